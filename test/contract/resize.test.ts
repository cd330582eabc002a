// Contract: node-pool resize on events against the sandbox clouds, on Node and inside workerd.
// Events go through `accept` (durable record, rules, operations), the runner advances the resize
// job with the sleep/wake job on one store, and the assertions read what the CLOUD shows (pool
// sizes, autoscaler bounds, its request log) and the ledger.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, type Operation } from "../../shared/store/store.ts";
import { alert, loadText, markRequests, type ResizeHarness, startResizeHarness } from "./resize-harness.ts";

let h: ResizeHarness;

beforeAll(async () => {
  h = await startResizeHarness({ seed: 31, start: "2026-03-02T02:00:00Z" });
});
afterAll(async () => {
  await h.stop();
});
beforeEach(async () => {
  await h.sb.inspect("huawei", "POST", "reset");
  await h.advanceClock(0); // the reset set the sandbox's clock back: follow it
  await markRequests(h);
});

const rules = (yaml: string) => loadText(yaml).rules;
const GROW = `kind: resize
name: grow-batch
match: { type: BatchBacklog }
action: { add: 2 }
max: 6
cooldownMinutes: 30
revert: true
`;

async function labels(pool = "batch") {
  const { account, clusterId } = await h.devCore();
  return { alertname: "BatchBacklog", account, cluster: clusterId, pool };
}

async function freshStore() {
  // Each test starts from an empty store (the night harness's store is swapped in place).
  const store = createStore(memoryBackend());
  Object.assign(h.store, store);
}

async function ledgerKinds(operationId: string) {
  return (await h.store.ledger.query({ operationId, limit: 1000 })).map((e) => e.kind);
}

/** A full sleep or wake of dev-core, created now for the sleep/wake job. */
async function devCoreOperation(direction: "sleep" | "wake") {
  const { account, clusterId } = await h.devCore();
  return h.createOperation({ direction, mode: "full", provider: "huawei", account, clusterId });
}

/** The same, run to its end. */
async function runDevCore(direction: "sleep" | "wake") {
  await h.runUntilFinished((await devCoreOperation(direction)).id);
}

describe("resize on events, against the sandbox", () => {
  beforeEach(freshStore);

  it("an alert grows the pool; its resolve reverts it once the cooldown is over", async () => {
    const before = await h.pool("batch");
    const accept = h.accept(rules(GROW));
    const l = await labels();
    const [fired] = await accept([alert(l, { id: "a-1" })], h.now());
    expect(fired).toMatchObject({
      status: "accepted",
      operations: [expect.stringMatching(/^resize:grow-batch:/)],
    });
    await h.runAll();
    expect(await h.pool("batch")).toMatchObject({
      desired: Math.min(6, before.desired + 2),
      ready: Math.min(6, before.desired + 2),
    });
    expect(await ledgerKinds(fired!.operations[0]!)).toEqual([
      "resize.accepted",
      "resize.resize",
      "resize.applied",
      "resize.succeeded",
    ]);

    const [resolved] = await accept([alert(l, { id: "a-1r", status: "resolved" })], h.now());
    // Resolved soon after: the cooldown (30 min from the resize) holds the revert, which then runs.
    await h.runAll();
    expect(await h.pool("batch")).toMatchObject({ desired: before.desired, ready: before.desired });
    expect(await ledgerKinds(resolved!.operations[0]!)).toEqual(
      expect.arrayContaining(["resize.cooldown", "resize.resize", "resize.applied", "resize.succeeded"]),
    );
    expect(await h.poolWrites()).toHaveLength(2);
  });

  it("a second event inside the cooldown changes nothing and says why", async () => {
    const accept = h.accept(rules(GROW.replace("revert: true\n", "")));
    const l = await labels();
    const [first] = await accept([alert(l)], h.now());
    await h.runAll();
    const [second] = await accept([alert(l)], h.now());
    await h.runAll();
    const op = (await h.store.operations.get(second!.operations[0]!, h.now())) as Operation;
    expect(op.status).toBe("succeeded");
    expect(await ledgerKinds(op.id)).toEqual(["resize.accepted", "resize.cooldown", "resize.skipped"]);
    expect(await h.poolWrites()).toHaveLength(1);
    expect(first!.operations).not.toEqual(second!.operations);
  });

  it("clamps to max", async () => {
    const before = await h.pool("batch");
    const accept = h.accept(rules(GROW.replace("add: 2", "add: 50")));
    const [fired] = await accept([alert(await labels())], h.now());
    await h.runAll();
    expect((await h.pool("batch")).desired).toBe(6);
    const decided = (await h.store.ledger.query({ operationId: fired!.operations[0]!, limit: 10 })).find(
      (e) => e.kind === "resize.resize",
    );
    expect(decided?.detail.decision).toMatchObject({
      clamped: { requested: before.desired + 50, to: 6, max: 6 },
    });
  });

  it("hysteresis: a shrink right after a growth waits its minutes; a change of fewer nodes than it asks is not made", async () => {
    const before = await h.pool("batch");
    const accept = h.accept(
      rules(`kind: resize
name: grow-batch
match: { type: BatchBacklog }
action: { add: 2 }
max: 10
cooldownMinutes: 0
---
kind: resize
name: shrink-batch
match: { type: BatchIdle }
action: { add: -1 }
cooldownMinutes: 0
hysteresis: { minutes: 30, nodes: 0 }
---
kind: resize
name: nudge-batch
match: { type: BatchNudge }
action: { add: 1 }
cooldownMinutes: 0
hysteresis: { minutes: 0, nodes: 2 }
`),
    );
    const l = await labels();
    const kindsOf = async (event: ReturnType<typeof alert>) => {
      const [answer] = await accept([event], h.now());
      await h.runAll();
      return ledgerKinds(answer!.operations[0]!);
    };
    expect(await kindsOf(alert(l))).toContain("resize.applied");
    expect((await h.pool("batch")).desired).toBe(before.desired + 2);
    // Against the last direction within 30 minutes: held.
    expect(await kindsOf(alert({ ...l, alertname: "BatchIdle" }))).toEqual([
      "resize.accepted",
      "resize.hysteresis",
      "resize.skipped",
    ]);
    // A change of 1 node where the rule asks for at least 2: not made.
    expect(await kindsOf(alert({ ...l, alertname: "BatchNudge" }))).toEqual([
      "resize.accepted",
      "resize.hysteresis",
      "resize.skipped",
    ]);
    expect((await h.pool("batch")).desired).toBe(before.desired + 2);
    // 31 minutes later the shrink is made.
    await h.advanceClock(31 * 60);
    expect(await kindsOf(alert({ ...l, alertname: "BatchIdle" }))).toContain("resize.applied");
    expect((await h.pool("batch")).desired).toBe(before.desired + 1);
    expect(await h.poolWrites()).toHaveLength(2);
  });

  it("moves the autoscaler's bounds when the pool's autoscaler is on", async () => {
    const general = await h.pool("general");
    expect(general.autoscaling?.enabled).toBe(true);
    const accept = h.accept(rules(GROW.replace("add: 2", "set: 5").replace("max: 6", "max: 8")));
    await accept([alert(await labels("general"))], h.now());
    await h.runAll();
    const after = await h.pool("general");
    expect(after.autoscaling).toEqual({
      enabled: true,
      min: Math.max(general.autoscaling!.min, 5),
      max: Math.max(general.autoscaling!.max, 5),
    });
  });

  it("a dry run records the decision and changes nothing", async () => {
    const accept = h.accept(rules(`${GROW}dryRun: true\n`));
    const [fired] = await accept([alert(await labels())], h.now());
    await h.runAll();
    expect(await ledgerKinds(fired!.operations[0]!)).toEqual([
      "resize.accepted",
      "resize.dry-run",
      "resize.skipped",
    ]);
    expect(await h.poolWrites()).toHaveLength(0);
  });

  it("a resize created before a sleep runs first; the sleep's snapshot remembers its size and the wake restores it", async () => {
    const before = await h.pool("batch");
    const { account, clusterId } = await h.devCore();
    const accept = h.accept(rules(GROW.replace("revert: true\n", "")));
    const [fired] = await accept([alert(await labels())], h.now());
    // A second later (created at the same instant, the sleep would go first: sleep/wake's priority).
    await h.advanceClock(1);
    const sleep = await devCoreOperation("sleep");
    // Two runners at once: the one-operation-per-target rule keeps the sleep behind the resize.
    await Promise.all([h.tick(), h.tick()]);
    await h.runAll();
    const resizeEntries = await h.store.ledger.query({ operationId: fired!.operations[0]!, limit: 100 });
    const sleepEntries = await h.store.ledger.query({ operationId: sleep.id, limit: 100 });
    expect(Math.max(...resizeEntries.map((e) => e.seq))).toBeLessThan(
      Math.min(...sleepEntries.map((e) => e.seq)),
    );
    const grown = before.desired + 2;
    const snapshot = await h.store.snapshots.get(`${account}/${clusterId}`, h.now());
    const remembered = (snapshot?.value.data.pools ?? []) as Array<{ id: string; desired: number }>;
    expect(remembered.find((p) => p.id === before.id)?.desired).toBe(grown);
    await runDevCore("wake");
    expect(await h.pool("batch")).toMatchObject({ desired: grown, ready: grown });
  });

  it("an asleep pool is not grown; with allowWake its cluster is woken first, then it grows", async () => {
    const before = await h.pool("batch");
    const { account, clusterId } = await h.devCore();
    await runDevCore("sleep");
    await markRequests(h);

    const [refused] = await h.accept(rules(GROW))([alert(await labels())], h.now());
    await h.runAll();
    expect(await ledgerKinds(refused!.operations[0]!)).toEqual([
      "resize.accepted",
      "resize.asleep",
      "resize.skipped",
    ]);
    expect(await h.poolWrites()).toHaveLength(0);

    const [woken] = await h.accept(rules(`${GROW.replace("grow-batch", "grow-waking")}allowWake: true\n`))(
      [alert(await labels())],
      h.now(),
    );
    await h.runAll(400);
    const id = woken!.operations[0]!;
    expect(await ledgerKinds(id)).toEqual([
      "resize.accepted",
      "resize.wake-first",
      "resize.wake-first",
      "resize.succeeded",
    ]);
    expect((await h.store.operations.get(`${id}:wake`, h.now()))?.status).toBe("succeeded");
    expect((await h.store.operations.get(`${id}:after-wake`, h.now()))?.status).toBe("succeeded");
    expect((await h.provider(account).getCluster(clusterId)).phase).toBe("running");
    // Grown from the size the wake restored, not from the 0 it slept at.
    expect(await h.pool("batch")).toMatchObject({ desired: before.desired + 2, ready: before.desired + 2 });
  });

  it("a revert while the pool sleeps goes into its snapshot: the wake restores the size before the alert", async () => {
    const before = await h.pool("batch");
    const accept = h.accept(rules(GROW));
    const l = await labels();
    await accept([alert(l, { id: "b-1" })], h.now());
    await h.runAll();
    await runDevCore("sleep");
    const [resolved] = await accept([alert(l, { id: "b-1r", status: "resolved" })], h.now());
    await h.runAll();
    expect(await ledgerKinds(resolved!.operations[0]!)).toEqual([
      "resize.accepted",
      "resize.remember-for-wake",
      "resize.remembered-for-wake",
      "resize.succeeded",
    ]);
    await runDevCore("wake");
    expect(await h.pool("batch")).toMatchObject({ desired: before.desired, ready: before.desired });
  });

  it("an event wakes an asleep cluster through the sleep/wake job and holds it awake", async () => {
    const { account, clusterId } = await h.devCore();
    await runDevCore("sleep");
    const wakeRule = rules(`kind: resize
name: ci-wake
match: { source: events, type: cluster.wake }
action: { wake: { hold: { field: until, maxMinutes: 360 } } }
`);
    const until = new Date(h.now().getTime() + 3 * 3600_000).toISOString();
    const [accepted] = await h.accept(wakeRule)(
      [
        {
          source: "events",
          id: "msg-1",
          type: "cluster.wake",
          labels: {},
          data: { account, cluster: clusterId, until },
          occurredAt: h.now().toISOString(),
          origin: {},
        },
      ],
      h.now(),
    );
    await h.runAll(400);
    const id = accepted!.operations[0]!;
    expect((await h.store.operations.get(id, h.now()))?.status).toBe("succeeded");
    const wake = await h.store.operations.get(`${id}:wake`, h.now());
    expect(wake).toMatchObject({
      kind: "wake",
      status: "succeeded",
      data: { schedule: "dev-nights", mode: "full" },
    });
    expect((await h.provider(account).getCluster(clusterId)).phase).toBe("running");
    expect((await h.store.targets.get(`${account}/${clusterId}`, h.now()))?.value.heldAwake).toMatchObject({
      until,
      operationId: id,
      rule: "ci-wake",
    });
  });
});
