// Contract: whole nights of sleep and wake against the sandbox clouds, on Node and inside workerd.
// Each test creates a durable operation as the engine would, then loops { runDueOperations; the
// sandbox clock and `now` forward 60 s } until it finishes, and checks what the CLOUD says: the
// cluster hibernated / the pools at 0 after the sleep, and after the wake every pool exactly as it
// was before (size, nodes, autoscaler). Also: injected faults, a pool resized by hand while
// asleep (conflict, not overwritten), and a step repeated after a crash (no repeated effect).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { advance } from "../../functions/sleepwake/steps.ts";
import type { Provider } from "../../shared/providers/port.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";
import { type NightHarness, poolShape, startNightHarness } from "./sleepwake-harness.ts";

let night: NightHarness;
const CLOUDS: CloudName[] = ["huawei", "alibaba", "baidu"];

beforeAll(async () => {
  night = await startNightHarness({ seed: 21, start: "2026-03-02T19:00:00Z" });
});
afterAll(async () => {
  await night.stop();
});
beforeEach(async () => {
  for (const cloud of [...CLOUDS, "autopilot"] as const) {
    await night.sb.inspect(cloud, "POST", "reset");
    await night.sb.inspect(cloud, "PUT", "faults", { serverError: 0, throttle: 0 });
  }
  night.events.length = 0;
});

interface Subject {
  cloud: CloudName;
  accountName: string;
  cluster: string;
}

const HUAWEI: Subject = { cloud: "huawei", accountName: "platform-dev-cn-north-4", cluster: "dev-core" };
const ALIBABA: Subject = { cloud: "alibaba", accountName: "ack-dev", cluster: "dev-web" };
const BAIDU: Subject = { cloud: "baidu", accountName: "acme-gz", cluster: "data-dev" };

async function subject(s: Subject): Promise<{ provider: Provider; account: string; clusterId: string }> {
  const account = night.account(s.cloud, s.accountName).id;
  const provider = night.provider(account);
  const cluster = (await provider.listClusters()).find((c) => c.name === s.cluster);
  if (!cluster) throw new Error(`no ${s.cloud} cluster ${s.cluster}`);
  return { provider, account, clusterId: cluster.id };
}

async function pools(provider: Provider, clusterId: string) {
  return poolShape(await provider.listNodePools(clusterId));
}

async function kinds(operationId: string): Promise<string[]> {
  return (await night.ledger(operationId)).map((e) => e.kind);
}

const count = (list: string[], kind: string) => list.filter((k) => k === kind).length;
/** The operation fields of a full-mode sleep or wake of one cluster. */
const full = (provider: "huawei" | "alibaba", account: string, clusterId: string) =>
  ({ mode: "full", provider, account, clusterId }) as const;

describe("Huawei CCE whole nights", () => {
  it("full: pools to 0 then hibernate; wake awakes and restores every pool as it was", async () => {
    const { provider, account, clusterId } = await subject(HUAWEI);
    const before = await pools(provider, clusterId);
    const autoscaled = Object.values(before).filter(
      (p) => p.autoscaling && (p.autoscaling as { enabled: boolean }).enabled,
    );
    expect(autoscaled.length).toBeGreaterThan(0); // the night covers the autoscaler too

    const sleep = await night.createOperation({ direction: "sleep", ...full("huawei", account, clusterId) });
    const slept = await night.runUntilFinished(sleep.id);
    expect(slept.status).toBe("succeeded");
    expect((await provider.getCluster(clusterId)).vendorPhase).toBe("Hibernation");
    for (const pool of await provider.listNodePools(clusterId)) {
      expect(pool).toMatchObject({ desired: 0, ready: 0, phase: "stable" });
      expect(pool.autoscaling?.enabled ?? false).toBe(false);
    }
    const sleepKinds = await kinds(sleep.id);
    expect(count(sleepKinds, "sleep.scale-pool")).toBe(
      Object.values(before).filter((p) => p.desired > 0).length,
    );
    expect(count(sleepKinds, "sleep.autoscaler-off")).toBe(autoscaled.length);
    expect(count(sleepKinds, "sleep.hibernate")).toBe(1);
    expect(sleepKinds.at(-1)).toBe("sleep.succeeded");
    const snapshot = await night.store.snapshots.get(`${account}/${clusterId}`, night.now());
    expect(snapshot?.value.operationId).toBe(sleep.id);

    const wake = await night.createOperation({ direction: "wake", ...full("huawei", account, clusterId) });
    const woke = await night.runUntilFinished(wake.id);
    expect(woke.status).toBe("succeeded");
    expect((await provider.getCluster(clusterId)).vendorPhase).toBe("Available");
    expect(await pools(provider, clusterId)).toEqual(before);
    const wakeKinds = await kinds(wake.id);
    expect(count(wakeKinds, "wake.awake")).toBe(1);
    expect(count(wakeKinds, "wake.restore-pool")).toBe(count(sleepKinds, "sleep.scale-pool"));
    expect(count(wakeKinds, "wake.restore-autoscaling")).toBe(autoscaled.length);
    expect(count(wakeKinds, "wake.conflict")).toBe(0);
    expect(await night.store.snapshots.get(`${account}/${clusterId}`, night.now())).toBeUndefined();
    expect(night.events.map((e) => [e.detailType, e.detail.outcome])).toEqual([
      ["nightshift.sleep", "succeeded"],
      ["nightshift.wake", "succeeded"],
    ]);
  });
});

describe("Huawei CCE modes and phases", () => {
  it("control-plane: hibernates and awakes only; the pools keep their nodes", async () => {
    const { provider, account, clusterId } = await subject(HUAWEI);
    const before = await pools(provider, clusterId);
    const fields = { mode: "control-plane", provider: "huawei", account, clusterId } as const;
    const sleep = await night.createOperation({ direction: "sleep", ...fields });
    expect((await night.runUntilFinished(sleep.id)).status).toBe("succeeded");
    expect((await provider.getCluster(clusterId)).vendorPhase).toBe("Hibernation");
    expect(await pools(provider, clusterId)).toEqual(before);
    expect(await kinds(sleep.id)).toEqual(["sleep.hibernate", "sleep.succeeded"]);

    const wake = await night.createOperation({ direction: "wake", ...fields });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect((await provider.getCluster(clusterId)).vendorPhase).toBe("Available");
    expect(await pools(provider, clusterId)).toEqual(before);
    expect(await kinds(wake.id)).toEqual(["wake.awake", "wake.succeeded"]);
  });

  it("nodes: pools to 0 and back; the control plane stays up", async () => {
    const { provider, account, clusterId } = await subject(HUAWEI);
    const before = await pools(provider, clusterId);
    const fields = { mode: "nodes", provider: "huawei", account, clusterId } as const;
    const sleep = await night.createOperation({ direction: "sleep", ...fields });
    expect((await night.runUntilFinished(sleep.id)).status).toBe("succeeded");
    expect((await provider.getCluster(clusterId)).vendorPhase).toBe("Available");
    expect(Object.values(await pools(provider, clusterId)).map((p) => [p.desired, p.ready])).toEqual(
      Object.values(before).map(() => [0, 0]),
    );
    expect(await kinds(sleep.id)).not.toContain("sleep.hibernate");

    const wake = await night.createOperation({ direction: "wake", ...fields });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await pools(provider, clusterId)).toEqual(before);
    expect(await kinds(wake.id)).not.toContain("wake.awake");
  });

  it("an already hibernated cluster: the sleep succeeds as a no-op without a cloud change", async () => {
    const { provider, account, clusterId } = await subject({ ...HUAWEI, cluster: "dev-batch" });
    const before = await pools(provider, clusterId);
    const sleep = await night.createOperation({ direction: "sleep", ...full("huawei", account, clusterId) });
    const done = await night.runUntilFinished(sleep.id);
    expect(done.status).toBe("succeeded");
    expect(await kinds(sleep.id)).toEqual(["sleep.skipped"]);
    expect((await night.ledger(sleep.id))[0]?.detail.reason).toContain("already hibernated");
    expect(night.events.at(-1)?.detail).toMatchObject({ outcome: "skipped", taken: [] });
    expect(await pools(provider, clusterId)).toEqual(before);
    expect(await night.store.snapshots.get(`${account}/${clusterId}`, night.now())).toBeUndefined();
  });

  it("an upgrading cluster is waited for (not failed), then put to sleep", async () => {
    const { provider, account, clusterId } = await subject({ ...HUAWEI, cluster: "staging-web" });
    expect((await provider.getCluster(clusterId)).phase).toBe("busy");
    const before = await pools(provider, clusterId);
    const sleep = await night.createOperation({ direction: "sleep", ...full("huawei", account, clusterId) });
    await night.tick();
    const waiting = await night.store.operations.get(sleep.id, night.now());
    expect(waiting).toMatchObject({ status: "waiting", step: "check-cluster" });
    expect((waiting!.data.progress as { waitingFor: string }).waitingFor).toContain("Upgrading");

    const done = await night.runUntilFinished(sleep.id);
    expect(done.status).toBe("succeeded");
    expect((await provider.getCluster(clusterId)).vendorPhase).toBe("Hibernation");
    // The upgrade took 25 minutes; the first cloud change came after it.
    const firstChange = (await night.ledger(sleep.id)).find((e) => e.kind !== "sleep.snapshot")!;
    expect(firstChange.at.getTime() - Date.parse(sleep.createdAt)).toBeGreaterThanOrEqual(25 * 60_000);

    const wake = await night.createOperation({ direction: "wake", ...full("huawei", account, clusterId) });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await pools(provider, clusterId)).toEqual(before);
  });
});

describe("Alibaba ACK and Baidu CCE whole nights", () => {
  it("Alibaba: removes the pools' nodes only with releaseNodes, and scales out by the remembered counts", async () => {
    const { provider, account, clusterId } = await subject(ALIBABA);
    const before = await pools(provider, clusterId);
    const fields = { mode: "nodes", provider: "alibaba", account, clusterId, releaseNodes: true } as const;
    const sleep = await night.createOperation({ direction: "sleep", ...fields });
    expect((await night.runUntilFinished(sleep.id)).status).toBe("succeeded");
    for (const pool of await provider.listNodePools(clusterId)) {
      expect(pool).toMatchObject({ desired: 0, ready: 0 });
      expect(pool.autoscaling?.enabled ?? false).toBe(false);
    }
    const wake = await night.createOperation({ direction: "wake", ...fields });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await pools(provider, clusterId)).toEqual(before);
  });

  it("Alibaba: without releaseNodes the sleep fails, says how to allow it, and changes nothing", async () => {
    const { provider, account, clusterId } = await subject(ALIBABA);
    const before = await pools(provider, clusterId);
    const mark = (await night.sb.inspect("alibaba", "GET", "requests")).requests.at(-1)?.seq ?? 0;
    const sleep = await night.createOperation({ direction: "sleep", ...full("alibaba", account, clusterId) });
    const failed = await night.runUntilFinished(sleep.id);
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toContain("`releaseNodes: true`");
    expect(failed.error?.message).toContain('Schedule "test-schedule"');
    expect(await kinds(sleep.id)).toEqual(["sleep.failed"]);
    expect(night.events.at(-1)?.detail).toMatchObject({ outcome: "failed", error: { kind: "invalid" } });
    const calls = (await night.sb.inspect("alibaba", "GET", `requests?since=${mark}`)).requests as Array<{
      method: string;
    }>;
    expect(calls.filter((r) => r.method !== "GET")).toEqual([]);
    expect(await pools(provider, clusterId)).toEqual(before);
  });

  it("Baidu: instance-group replicas (autoscaled) to 0 and back", async () => {
    const { provider, account, clusterId } = await subject(BAIDU);
    const before = await pools(provider, clusterId);
    expect(Object.values(before).some((p) => (p.autoscaling as { enabled?: boolean } | null)?.enabled)).toBe(
      true,
    );
    const fields = { mode: "full", provider: "baidu", account, clusterId } as const;
    const sleep = await night.createOperation({ direction: "sleep", ...fields });
    expect((await night.runUntilFinished(sleep.id)).status).toBe("succeeded");
    for (const pool of await provider.listNodePools(clusterId))
      expect(pool).toMatchObject({ desired: 0, ready: 0 });
    const wake = await night.createOperation({ direction: "wake", ...fields });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await pools(provider, clusterId)).toEqual(before);
  });
});

describe("nights through injected faults (20% server errors, 10% throttling)", () => {
  const cases: Array<[Subject, "full" | "nodes"]> = [
    [HUAWEI, "full"],
    [ALIBABA, "nodes"],
    [BAIDU, "nodes"],
  ];
  it.each(cases)("%o finishes both halves with every pool back as it was", async (s, mode) => {
    const { provider, account, clusterId } = await subject(s);
    const before = await pools(provider, clusterId);
    const fields = { mode, provider: s.cloud, account, clusterId, releaseNodes: true };
    await night.sb.inspect(s.cloud, "PUT", "faults", { serverError: 0.2, throttle: 0.1 });
    const sleep = await night.createOperation({ direction: "sleep", ...fields });
    expect((await night.runUntilFinished(sleep.id, 600)).status).toBe("succeeded");
    const wake = await night.createOperation({ direction: "wake", ...fields });
    expect((await night.runUntilFinished(wake.id, 600)).status).toBe("succeeded");
    await night.sb.inspect(s.cloud, "PUT", "faults", { serverError: 0, throttle: 0 });

    expect(await pools(provider, clusterId)).toEqual(before);
    // Faults cost retries, never a repeated action: one ledger entry per pool each way.
    const sleepKinds = await kinds(sleep.id);
    const shrunk = Object.values(before).filter((p) => p.desired > 0).length;
    expect(count(sleepKinds, "sleep.scale-pool")).toBe(shrunk);
    expect(count(await kinds(wake.id), "wake.restore-pool")).toBe(shrunk);
    const faulted = (await night.sb.inspect(s.cloud, "GET", "requests")).requests.filter(
      (r: { fault?: string }) => r.fault,
    );
    expect(faulted.length).toBeGreaterThan(0);
  });
});

describe("faults the HTTP layer does not retry", () => {
  it("reach the runner, which backs off and still finishes the night exactly", async () => {
    const bare = await startNightHarness({ seed: 22, httpAttempts: 1 });
    try {
      const account = bare.account("huawei", HUAWEI.accountName).id;
      const provider = bare.provider(account);
      const clusterId = (await provider.listClusters()).find((c) => c.name === HUAWEI.cluster)!.id;
      const before = poolShape(await provider.listNodePools(clusterId));
      await bare.sb.inspect("huawei", "PUT", "faults", { serverError: 0.2, throttle: 0.1 });
      const fields = { mode: "full", provider: "huawei", account, clusterId } as const;
      const sleep = await bare.createOperation({ direction: "sleep", ...fields });
      const slept = await bare.runUntilFinished(sleep.id, 1000);
      const wake = await bare.createOperation({ direction: "wake", ...fields });
      const woke = await bare.runUntilFinished(wake.id, 1000);
      await bare.sb.inspect("huawei", "PUT", "faults", { serverError: 0, throttle: 0 });
      expect([slept.status, woke.status]).toEqual(["succeeded", "succeeded"]);
      expect(slept.attempts + woke.attempts).toBeGreaterThan(2); // retried by the runner, not the HTTP layer
      expect(poolShape(await provider.listNodePools(clusterId))).toEqual(before);
      const all = [...(await bare.ledger(sleep.id)), ...(await bare.ledger(wake.id))].map((e) => e.kind);
      expect(count(all, "sleep.hibernate")).toBe(1);
      expect(count(all, "wake.awake")).toBe(1);
      expect(count(all, "wake.restore-pool")).toBe(count(all, "sleep.scale-pool"));
    } finally {
      await bare.stop();
    }
  });
});

describe("a pool resized by hand while asleep", () => {
  it("is not overwritten on wake: a conflict is recorded and reported, the other pools are restored", async () => {
    const { provider, account, clusterId } = await subject(HUAWEI);
    const before = await pools(provider, clusterId);
    const fields = { mode: "nodes", provider: "huawei", account, clusterId } as const;
    const sleep = await night.createOperation({ direction: "sleep", ...fields });
    expect((await night.runUntilFinished(sleep.id)).status).toBe("succeeded");

    const listed = await provider.listNodePools(clusterId);
    const touched = listed.find((p) => p.name === "batch")!;
    await provider.resizeNodePool(clusterId, touched.id, { desired: 2 }); // a human, at 23:00
    await night.advanceClock(600);

    const wake = await night.createOperation({ direction: "wake", ...fields });
    const woke = await night.runUntilFinished(wake.id);
    expect(woke.status).toBe("succeeded");
    const after = await pools(provider, clusterId);
    expect(after.batch).toMatchObject({ desired: 2, ready: 2 });
    const { batch: _b, ...othersAfter } = after;
    const { batch: _c, ...othersBefore } = before;
    expect(othersAfter).toEqual(othersBefore);

    const conflict = (await night.ledger(wake.id)).find((e) => e.kind === "wake.conflict");
    expect(conflict?.detail).toMatchObject({
      resource: "pool",
      id: touched.id,
      name: "batch",
      before: { left: 0, snapshot: before.batch!.desired },
      after: { found: 2 },
    });
    const event = night.events.at(-1)!;
    expect(event.detail.outcome).toBe("succeeded");
    expect(event.detail.conflicts).toEqual([
      expect.objectContaining({ resource: "pool", name: "batch", found: 2, restore: before.batch!.desired }),
    ]);
  });
});

describe("a step repeated after a crash (the cloud call made, the store write lost)", () => {
  it("Huawei scale-down: the second run does not resize the same pool again", async () => {
    const { provider, account, clusterId } = await subject(HUAWEI);
    const before = await pools(provider, clusterId);
    const fields = { mode: "nodes", provider: "huawei", account, clusterId } as const;
    const sleep = await night.createOperation({ direction: "sleep", ...fields });
    let op = await night.runUntilStep(sleep.id, "scale-pools-down");
    // Turn the autoscalers off first, so the next run is a resize.
    while ((await provider.listNodePools(clusterId)).some((p) => p.autoscaling?.enabled)) {
      await night.tick({ stepsPerOperation: 1 });
      op = (await night.store.operations.get(sleep.id, night.now()))!;
    }
    const deps = { store: night.store, provider, now: night.now() };
    const first = await advance(op, deps);
    const second = await advance(op, deps); // same version: as if `first` was never stored
    // Resized by a call, or found resized (the lost write's call): recorded either way, once.
    const resized = (r: typeof first, found: boolean) =>
      r.ledger
        .filter((e) => e.kind === "sleep.scale-pool" && Boolean(e.detail.found) === found)
        .map((e) => e.detail.pool);
    expect(resized(first, false)).toHaveLength(1);
    expect(resized(second, false)).not.toContain(resized(first, false)[0]);
    expect(resized(second, true)).toEqual(resized(first, false));
    const written = await night.store.operations.update(
      op.id,
      op.version,
      { status: second.status, step: second.step, data: second.data, clear: ["nextAttemptAt"] },
      { now: night.now() },
    );
    expect(written.ok).toBe(true);
    expect((await night.runUntilFinished(sleep.id)).status).toBe("succeeded");

    const wake = await night.createOperation({ direction: "wake", ...fields });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await pools(provider, clusterId)).toEqual(before);
  });

  it("Alibaba restore (ScaleClusterNodePool adds nodes): run twice, the pool still ends at its old size", async () => {
    const { provider, account, clusterId } = await subject(ALIBABA);
    const before = await pools(provider, clusterId);
    const fields = { mode: "nodes", provider: "alibaba", account, clusterId, releaseNodes: true } as const;
    const sleep = await night.createOperation({ direction: "sleep", ...fields });
    expect((await night.runUntilFinished(sleep.id)).status).toBe("succeeded");

    const wake = await night.createOperation({ direction: "wake", ...fields });
    const op = await night.runUntilStep(wake.id, "restore-pools");
    const deps = { store: night.store, provider, now: night.now() };
    const first = await advance(op, deps);
    const second = await advance(op, deps);
    const restored = first.ledger.find((e) => e.kind === "wake.restore-pool")!;
    expect(restored).toBeDefined();
    // No second restore: the pool is found restored, and that is recorded (the lost write's action).
    const again = second.ledger.filter((e) => e.detail.pool === restored.detail.pool);
    expect(again.map((e) => [e.kind, e.detail.found])).toEqual([
      ["wake.restore-pool", "already done (an interrupted attempt's, or someone else's)"],
    ]);
    expect(second.ledger.filter((e) => e.kind === "wake.conflict")).toEqual([]);
    const pool = await provider.getNodePool(clusterId, String(restored.detail.pool));
    expect(pool.desired).toBe((restored.detail.after as { desired: number }).desired);

    await night.store.operations.update(
      op.id,
      op.version,
      { status: second.status, step: second.step, data: second.data, clear: ["nextAttemptAt"] },
      { now: night.now() },
    );
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await pools(provider, clusterId)).toEqual(before);
  });
});
