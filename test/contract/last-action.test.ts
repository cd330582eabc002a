// Contract: each job kind's operations, run to their end against the sandbox clouds, leave the
// target's last action of their kind (store.lastActions) as they ended: a success and a failure
// each for sleep/wake, resize and certificate renewal. What the fleet page shows as "last action".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHORT_ERROR_LENGTH } from "../../shared/jobs/last-action.ts";
import type { Provider } from "../../shared/providers/port.ts";
import type { FinishedAction, Operation, Store } from "../../shared/store/store.ts";
import { clusterOf, type RenewalHarness, startRenewalHarness } from "./renewal-harness.ts";
import { alert, loadText, type ResizeHarness, startResizeHarness } from "./resize-harness.ts";

/** The target's last action of `kind`, as the fleet reads it. */
async function lastOfKind(store: Store, target: string, kind: string, now: Date) {
  return (await store.lastActions.get(target, now))?.value.byKind[kind];
}

/** What the record must say of a finished operation: its own end, as its final write carried it. */
function endOf(op: Operation, outcome: FinishedAction["outcome"]): FinishedAction {
  expect(op.status).toBe(outcome);
  expect(op.finished).toBeDefined();
  expect(op.finished).toMatchObject({ kind: op.kind, outcome, operationId: op.id });
  return op.finished!;
}

describe("sleep/wake and resize operations", () => {
  let h: ResizeHarness;
  beforeAll(async () => {
    h = await startResizeHarness({ seed: 41, start: "2026-03-02T02:00:00Z" });
  });
  afterAll(async () => {
    await h.stop();
  });

  it("a sleep and a wake that succeed, and a sleep that fails, each as its kind's last", async () => {
    const { account, clusterId } = await h.devCore();
    const target = `${account}/${clusterId}`;
    const fields = { mode: "full", provider: "huawei", account, clusterId } as const;
    const sleep = await h.runUntilFinished((await h.createOperation({ direction: "sleep", ...fields })).id);
    expect(await lastOfKind(h.store, target, "sleep", h.now())).toEqual(endOf(sleep, "succeeded"));
    const wake = await h.runUntilFinished((await h.createOperation({ direction: "wake", ...fields })).id);
    expect(await lastOfKind(h.store, target, "wake", h.now())).toEqual(endOf(wake, "succeeded"));

    // Alibaba in full mode without releaseNodes: the sleep fails and says why.
    const ack = h.account("alibaba", "ack-dev").id;
    const web = (await h.provider(ack).listClusters()).find((c) => c.name === "dev-web")!;
    const failing = await h.createOperation({
      direction: "sleep",
      mode: "full",
      provider: "alibaba",
      account: ack,
      clusterId: web.id,
    });
    const failed = await h.runUntilFinished(failing.id);
    const recorded = await lastOfKind(h.store, `${ack}/${web.id}`, "sleep", h.now());
    expect(recorded).toEqual(endOf(failed, "failed"));
    // Its error as the operation holds it, shortened to what a row shows.
    expect(failed.error!.message.length).toBeGreaterThan(SHORT_ERROR_LENGTH);
    expect(recorded?.error).toBe(`${failed.error!.message.slice(0, SHORT_ERROR_LENGTH - 1)}…`);
    // The Huawei target's record kept both its kinds.
    expect(Object.keys((await h.store.lastActions.get(target, h.now()))!.value.byKind).sort()).toEqual([
      "sleep",
      "wake",
    ]);
  });

  it("a resize that succeeds, then one that fails, each the target's last resize", async () => {
    const { account, clusterId } = await h.devCore();
    const target = `${account}/${clusterId}`;
    const accept = h.accept(
      loadText(`kind: resize
name: grow-batch
match: { type: BatchBacklog }
action: { add: 1 }
max: 9
`).rules,
    );
    const [grown] = await accept(
      [alert({ alertname: "BatchBacklog", account, cluster: clusterId, pool: "batch" })],
      h.now(),
    );
    await h.runAll();
    const succeeded = (await h.store.operations.get(grown!.operations[0]!, h.now()))!;
    expect(await lastOfKind(h.store, target, "resize", h.now())).toEqual(endOf(succeeded, "succeeded"));

    await h.advanceClock(60);
    const [missing] = await accept(
      [alert({ alertname: "BatchBacklog", account, cluster: clusterId, pool: "no-such-pool" })],
      h.now(),
    );
    await h.runAll();
    const failed = (await h.store.operations.get(missing!.operations[0]!, h.now()))!;
    const recorded = await lastOfKind(h.store, target, "resize", h.now());
    expect(recorded).toEqual(endOf(failed, "failed"));
    expect(recorded?.error).toContain('no node pool "no-such-pool"');
  });
});

describe("certificate renewal operations", () => {
  let h: RenewalHarness;
  let web: { account: string; clusterId: string; target: string };
  beforeAll(async () => {
    h = await startRenewalHarness({ seed: 42, start: "2026-03-02T10:00:00Z" });
    web = await clusterOf(h, "alibaba", "ack-dev", "dev-web");
  });
  afterAll(async () => {
    await h.stop();
  });

  const renewOperations = async () =>
    (await h.store.operations.list({}, h.now())).filter(
      (op) => op.kind === "renew" && op.target === web.target,
    );

  it("a renewal that succeeds, then one whose credential is refused, each the target's last renewal", async () => {
    h.declare({
      kind: "renewal",
      name: "ack-ci",
      targets: [{ accounts: [web.account], providers: ["alibaba"], names: ["dev-web"] }],
      duration: "60m",
    });
    await h.tick();
    const [issued] = await renewOperations();
    expect(await lastOfKind(h.store, web.target, "renew", h.now())).toEqual(endOf(issued!, "succeeded"));

    // The next renewal's kubeconfig is for another cluster: refused, nothing stored.
    const state = (await h.state(web.target))!;
    const real = h.provider(web.account);
    const other = (await real.listClusters()).find((c) => c.id !== web.clusterId)!;
    h.wrap(
      web.account,
      Object.assign(Object.create(real) as Provider, {
        issueKubeconfig: (_id: string, validity: number) => real.issueKubeconfig(other.id, validity),
      }),
    );
    await h.advanceTo(new Date(state.nextAttemptAt));
    await h.tick();
    h.wrap(web.account, undefined);
    const failed = (await renewOperations()).find((op) => op.id !== issued!.id)!;
    const recorded = await lastOfKind(h.store, web.target, "renew", h.now());
    expect(recorded).toEqual(endOf(failed, "failed"));
    expect(recorded?.error).toContain("right-cluster");
  });
});
