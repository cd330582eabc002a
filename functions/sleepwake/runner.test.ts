// The runner and the step machine against a scripted in-memory provider (the sandbox nights are in
// test/contract/sleepwake.test.ts): back-off, permanent failures, leases, lost races, deadlines,
// failure isolation, the snapshot never overwritten, and the clear refusals.
import { beforeEach, describe, expect, it } from "vitest";
import { backoffSeconds, type RunDueOptions, runDueOperations } from "../../shared/jobs/runtime.ts";
import { createLogger } from "../../shared/log/logger.ts";
import {
  type Cluster,
  type ClusterPhase,
  type NodePool,
  type Provider,
  ProviderError,
  type ProviderKind,
} from "../../shared/providers/port.ts";
import { PROVIDERS } from "../../shared/providers/registry.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, type Operation, type Store } from "../../shared/store/store.ts";
import { sleepWakeJob } from "./job.ts";

const T0 = new Date("2026-03-02T20:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

interface FakeCloud {
  provider: Provider;
  phase: ClusterPhase;
  pools: Map<string, NodePool>;
  calls: string[];
  /** Errors thrown by the next calls of a method, in order. */
  failNext: Map<string, Error[]>;
  /** Runs before each call (to simulate another worker, say). */
  onCall?: (method: string) => Promise<void>;
}

function fakeCloud(kind: ProviderKind = "huawei", sizes: Record<string, number> = { a: 2, b: 1 }): FakeCloud {
  const cloud: FakeCloud = {
    phase: "running",
    pools: new Map(
      Object.entries(sizes).map(([id, size]) => [
        id,
        { id, name: `pool-${id}`, desired: size, ready: size, phase: "stable", vendorPhase: "" },
      ]),
    ),
    calls: [],
    failNext: new Map(),
    provider: undefined as unknown as Provider,
  };
  const call = async <T>(method: string, body: () => T): Promise<T> => {
    await cloud.onCall?.(method);
    cloud.calls.push(method);
    const error = cloud.failNext.get(method)?.shift();
    if (error) throw error;
    return body();
  };
  const cluster = (id: string): Cluster => ({
    provider: kind,
    account: "acct",
    region: "r1",
    id,
    name: `cluster-${id}`,
    phase: cloud.phase,
    vendorPhase: cloud.phase === "busy" ? "Upgrading" : cloud.phase,
    tags: {},
  });
  const pool = (id: string) => {
    const found = cloud.pools.get(id);
    if (!found)
      throw new ProviderError({ kind: "not-found", provider: kind, api: "getNodePool", message: id });
    return { ...found };
  };
  cloud.provider = {
    kind,
    account: "acct",
    region: "r1",
    // The cloud's own: the steps choose from them.
    capabilities: PROVIDERS[kind].capabilities,
    // Steps read a cluster's phase from the account's listing (shared-reads.ts): a failing phase
    // read is injected on listClusters.
    listClusters: () => call("listClusters", () => [cluster("c1"), cluster("c2")]),
    getCluster: (id) => call("getCluster", () => cluster(id)),
    hibernate: (id) =>
      call("hibernate", () => {
        cloud.phase = "hibernated";
        return { kind: "cluster-phase", clusterId: id, until: "hibernated" };
      }),
    awake: (id) =>
      call("awake", () => {
        cloud.phase = "running";
        return { kind: "cluster-phase", clusterId: id, until: "running" };
      }),
    listNodePools: () => call("listNodePools", () => [...cloud.pools.values()].map((p) => ({ ...p }))),
    getNodePool: (_c, id) => call("getNodePool", () => pool(id)),
    resizeNodePool: (clusterId, poolId, request) =>
      call("resizeNodePool", () => {
        const p = cloud.pools.get(poolId)!;
        p.desired = request.desired;
        p.ready = request.desired;
        return { kind: "pool-size", clusterId, poolId, desired: request.desired };
      }),
    setNodePoolAutoscaling: (_clusterId, poolId, bounds) =>
      call("setNodePoolAutoscaling", () => {
        cloud.pools.get(poolId)!.autoscaling = { ...bounds };
        return { kind: "immediate" };
      }),
    listNodes: () => call("listNodes", () => []),
    issueKubeconfig: () =>
      call("issueKubeconfig", () => {
        throw new Error("not in this test");
      }),
    getJob: (id) => call("getJob", () => ({ id, phase: "succeeded", vendorPhase: "Success" })),
  };
  return cloud;
}

const serverError = (retryAfterSeconds?: number) =>
  new ProviderError({
    kind: "server",
    provider: "huawei",
    api: "huawei.getCluster",
    message: "500 CCE.01500001: internal error",
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });

let store: Store;
let lines: string[];
let opCounter = 0;

beforeEach(() => {
  store = createStore(memoryBackend());
  lines = [];
});

const log = () => createLogger({ level: "debug", write: (line) => lines.push(line), now: () => T0 });

async function createOp(
  fields: Partial<Record<string, unknown>> & { id?: string; kind?: string } = {},
  now = T0,
): Promise<Operation> {
  const { id = `op-${++opCounter}`, kind, ...data } = fields;
  const direction = (data.direction as string | undefined) ?? kind ?? "sleep";
  const account = (data.account as string | undefined) ?? "acct";
  const clusterId = (data.clusterId as string | undefined) ?? "c1";
  const { operation } = await store.operations.create(
    {
      id,
      target: `${account}/${clusterId}`,
      kind: kind ?? direction,
      step: "start",
      data: {
        direction,
        mode: "nodes",
        provider: "huawei",
        account,
        clusterId,
        schedule: "qa-nights",
        slot: "qa-nights:asleep:2026-03-02T20:00",
        releaseNodes: false,
        namespaces: [],
        ...data,
      },
    },
    { now },
  );
  return operation;
}

/** One step per operation per run: most tests here look at one step at a time (chaining: below). */
function run(cloud: FakeCloud | Record<string, FakeCloud>, now: Date, extra: Partial<RunDueOptions> = {}) {
  const byAccount = "provider" in cloud ? { acct: cloud as FakeCloud } : (cloud as Record<string, FakeCloud>);
  return runDueOperations({
    store,
    jobs: [sleepWakeJob],
    providers: (account) => byAccount[account]?.provider,
    now,
    log: log(),
    holder: "worker-1",
    stepsPerOperation: 1,
    ...extra,
  });
}

const get = async (id: string, now = T0) => (await store.operations.get(id, now))!;

describe("back-off", () => {
  it("waits 30 s, doubling, at most 30 min", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(backoffSeconds)).toEqual([
      30, 60, 120, 240, 480, 960, 1800, 1800, 1800,
    ]);
  });

  it("retries a transient error later, counting attempts, and clears the error once a step succeeds", async () => {
    const cloud = fakeCloud();
    cloud.failNext.set("listClusters", [serverError(), serverError(), serverError()]);
    const op = await createOp();
    const retries: Array<[string | undefined, number]> = [];
    let now = T0;
    for (let i = 0; i < 3; i++) {
      const report = await run(cloud, now);
      expect(report.operations[0]).toMatchObject({
        ran: i === 0 ? "start" : "check-cluster",
        status: "waiting",
      });
      const current = await get(op.id, now);
      retries.push([current.nextAttemptAt, current.attempts]);
      expect(current.error).toEqual({ kind: "server", message: expect.stringContaining("CCE.01500001") });
      // Not due before its time: nothing runs.
      expect((await run(cloud, new Date(Date.parse(current.nextAttemptAt!) - 1000))).advanced).toBe(0);
      now = new Date(current.nextAttemptAt!);
    }
    expect(retries).toEqual([
      [at(30).toISOString(), 1],
      [at(30 + 60).toISOString(), 2],
      [at(30 + 60 + 120).toISOString(), 3],
    ]);
    await run(cloud, now);
    const recovered = await get(op.id, now);
    expect(recovered).toMatchObject({ status: "running", step: "snapshot", attempts: 3 });
    expect(recovered.error).toBeUndefined();
    expect(recovered.nextAttemptAt).toBeUndefined();
    expect((recovered.data.progress as { failures?: number }).failures).toBeUndefined();
    expect(lines.some((l) => l.includes("retrying later"))).toBe(true);
  });

  it("honours a Retry-After longer than the back-off", async () => {
    const cloud = fakeCloud();
    cloud.failNext.set("listClusters", [serverError(300)]);
    const op = await createOp();
    await run(cloud, T0);
    expect((await get(op.id)).nextAttemptAt).toBe(at(300).toISOString());
  });

  it("fails a permanent error at once, with a ledger entry and an outcome event", async () => {
    const cloud = fakeCloud();
    cloud.failNext.set("listClusters", [
      new ProviderError({
        kind: "auth",
        provider: "huawei",
        api: "huawei.getCluster",
        message: "401 APIGW.0301",
      }),
    ]);
    const op = await createOp();
    const report = await run(cloud, T0);
    const failed = await get(op.id);
    expect(failed).toMatchObject({ status: "failed", error: { kind: "auth" }, attempts: 1 });
    const ledger = await store.ledger.query({ operationId: op.id });
    expect(ledger.map((e) => e.kind)).toEqual(["sleep.failed"]);
    expect(ledger[0]!.detail).toMatchObject({ step: "check-cluster", error: { kind: "auth" } });
    expect(report.events).toEqual([
      expect.objectContaining({
        detailType: "nightshift.sleep",
        detail: expect.objectContaining({ outcome: "failed", operationId: op.id, error: expect.anything() }),
      }),
    ]);
  });

  it("gives up on transient errors 6 h after the operation was created", async () => {
    const cloud = fakeCloud();
    const op = await createOp();
    cloud.failNext.set(
      "listClusters",
      Array.from({ length: 50 }, () => serverError()),
    );
    let now = T0;
    for (let i = 0; i < 50; i++) {
      await run(cloud, now);
      const current = await get(op.id, now);
      if (current.status === "failed") break;
      now = new Date(current.nextAttemptAt!);
    }
    const failed = await get(op.id, now);
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toContain("giving up 6 h after the operation was created");
    expect(now.getTime() - T0.getTime()).toBeLessThanOrEqual(6 * 3600 * 1000);
  });
});

describe("unstable clusters", () => {
  it("are polled, not failed, until 6 h after the operation was created", async () => {
    const cloud = fakeCloud();
    cloud.phase = "busy";
    const op = await createOp();
    await run(cloud, T0);
    expect(await get(op.id)).toMatchObject({ status: "waiting", nextAttemptAt: at(60).toISOString() });
    await run(cloud, at(3 * 3600));
    expect((await get(op.id, at(3 * 3600))).status).toBe("waiting");
    await run(cloud, at(6 * 3600));
    const failed = await get(op.id, at(6 * 3600));
    expect(failed.status).toBe("failed");
    expect(failed.error).toEqual({ kind: "deadline", message: expect.stringContaining("(it is Upgrading)") });
    expect(cloud.calls).not.toContain("resizeNodePool");
  });
});

describe("leases, races, isolation", () => {
  it("skips a target whose lease another worker holds, leaving its operation as it was", async () => {
    const cloud = fakeCloud();
    const op = await createOp();
    await store.leases.acquire(op.target, { holder: "worker-2", ttlMs: 120_000, now: T0 });
    const report = await run(cloud, T0);
    expect(report.skipped).toEqual([{ operationId: op.id, target: op.target, reason: "lease-held" }]);
    expect(await get(op.id)).toEqual(op);
    expect(cloud.calls).toEqual([]);
  });

  it("takes the lease for 2 minutes and gives it back", async () => {
    const cloud = fakeCloud();
    const op = await createOp();
    let seen: boolean | undefined;
    cloud.onCall = async () => {
      const probe = await store.leases.acquire(op.target, { holder: "probe", ttlMs: 1000, now: at(119) });
      seen = probe.acquired;
    };
    await run(cloud, T0);
    expect(seen).toBe(false); // held during the step, still within its 2 minutes
    expect((await store.leases.acquire(op.target, { holder: "next", ttlMs: 1000, now: T0 })).acquired).toBe(
      true,
    );
  });

  it("drops its result when another worker advanced the operation meanwhile (lost race)", async () => {
    const cloud = fakeCloud();
    const op = await createOp();
    cloud.onCall = async (method) => {
      if (method !== "listClusters") return;
      const current = await get(op.id);
      await store.operations.update(
        op.id,
        current.version,
        { step: "snapshot", status: "running" },
        { now: T0 },
      );
    };
    const report = await run(cloud, T0);
    expect(report.skipped).toEqual([{ operationId: op.id, target: op.target, reason: "lost-race" }]);
    expect(report.advanced).toBe(0);
    expect((await get(op.id)).step).toBe("snapshot"); // the other worker's write stands
    expect(await store.ledger.query({ operationId: op.id })).toEqual([]);
  });

  it("one target's failure never stops the others", async () => {
    const broken = fakeCloud();
    broken.failNext.set("listClusters", [new TypeError("boom")]);
    const healthy = fakeCloud();
    const a = await createOp({ account: "broken" });
    const b = await createOp({ account: "healthy" });
    const c = await createOp({ account: "missing" });
    await run({ broken, healthy }, T0);
    expect(await get(a.id)).toMatchObject({ status: "failed", error: { kind: "internal", message: "boom" } });
    expect(await get(b.id)).toMatchObject({ status: "running", step: "snapshot" });
    expect((await get(c.id)).error?.message).toContain('no cloud account "missing": it is not configured');
  });

  it("advances only the oldest unfinished operation of a target (a wake never overtakes its sleep)", async () => {
    const cloud = fakeCloud();
    const sleep = await createOp({ id: "sleep-1" });
    const wake = await createOp({ id: "wake-1", direction: "wake" }, at(1));
    await run(cloud, at(2));
    expect((await get(sleep.id, at(2))).step).toBe("snapshot");
    expect(await get(wake.id, at(2))).toEqual(wake);
  });

  it("advances at most `limit` operations per run", async () => {
    const clouds = { x: fakeCloud(), y: fakeCloud(), z: fakeCloud() };
    for (const account of Object.keys(clouds)) await createOp({ account });
    const report = await run(clouds, T0, { limit: 2 });
    expect(report).toMatchObject({ due: 3, advanced: 2 });
  });

  it("leaves other jobs' operations alone", async () => {
    const cloud = fakeCloud();
    await store.operations.create(
      { id: "resize-1", target: "acct/c1", kind: "resize", step: "start", data: {} },
      { now: T0 },
    );
    const report = await run(cloud, T0);
    expect(report.due).toBe(0);
  });
});

describe("steps chained in one run", () => {
  const chained = (clouds: Record<string, FakeCloud>, extra: Partial<RunDueOptions> = {}) =>
    runDueOperations({
      store,
      jobs: [sleepWakeJob],
      providers: (account) => clouds[account]?.provider,
      now: T0,
      log: log(),
      holder: "worker-1",
      ...extra,
    });

  it("runs an operation's steps back to back until it has to wait, writing each one", async () => {
    const cloud = fakeCloud("huawei", { a: 2, b: 1 });
    const op = await createOp();
    const report = await chained({ acct: cloud });
    expect(report.operations.map((o) => `${o.ran} → ${o.step}`)).toEqual([
      "start → snapshot",
      "snapshot → scale-pools-down",
      "scale-pools-down → scale-pools-down",
      "scale-pools-down → await-pools",
    ]);
    // Each step was written on its own (a crash repeats at most one); each write clears the entries
    // the step before appended, and the last step's are cleared on their own, as the chain ends
    // with them; the first poll waits a minute.
    expect(await get(op.id)).toMatchObject({
      status: "waiting",
      step: "await-pools",
      version: op.version + 4 + 1,
      nextAttemptAt: at(60).toISOString(),
    });
    expect((await store.ledger.query({ operationId: op.id })).map((e) => e.kind)).toEqual([
      "sleep.snapshot",
      "sleep.scale-pool",
      "sleep.scale-pool",
    ]);
    // One phase read from the listing, one pool listing; the pools it listed answer the reads
    // before each resize, so the only other calls are the resizes.
    expect(cloud.calls).toEqual(["listClusters", "listNodePools", "resizeNodePool", "resizeNodePool"]);
  });

  it("runs at most stepsPerOperation steps of one operation", async () => {
    const clouds = { x: fakeCloud(), y: fakeCloud() };
    const ops = [await createOp({ account: "x" }), await createOp({ account: "y" })];
    const report = await chained(clouds, { stepsPerOperation: 2 });
    expect(report.advanced).toBe(4);
    for (const op of ops) expect((await get(op.id)).step).toBe("scale-pools-down");
  });

  it("takes no operation and ends every chain once stepLimit steps ran", async () => {
    const clouds = { x: fakeCloud(), y: fakeCloud(), z: fakeCloud() };
    for (const account of Object.keys(clouds)) await createOp({ account });
    const report = await chained(clouds, { stepLimit: 3, concurrency: 1 });
    expect(report).toMatchObject({ due: 3, advanced: 3 });
    expect(report.operations.map((o) => o.operationId)).toEqual(
      Array(3).fill(report.operations[0]!.operationId),
    );
    expect(clouds.z.calls).toEqual([]);
  });

  it("stops going on once half the lease is spent, and dates each step by the clock", async () => {
    const cloud = fakeCloud();
    const op = await createOp();
    let reads = 0;
    // The lease is taken at T0; the first step starts 70 s later (a slow run): no second step.
    const report = await chained({ acct: cloud }, { clock: () => (reads++ === 0 ? T0 : at(70)) });
    expect(report.advanced).toBe(1);
    expect(await get(op.id, at(70))).toMatchObject({ step: "snapshot", updatedAt: at(70).toISOString() });
  });

  it("keeps the lease by real time while the clouds' clock runs ahead (the sped-up sandbox)", async () => {
    const cloud = fakeCloud();
    const op = await createOp();
    let reads = 0;
    // Each read of the cloud clock is an hour later; in real time no time passes at all.
    const report = await chained(
      { acct: cloud },
      { clock: () => at(3600 * reads++), realClock: () => T0, stepsPerOperation: 3 },
    );
    expect(report.advanced).toBe(3);
    expect((await get(op.id, at(3600 * reads))).step).not.toBe("snapshot");
  });

  it("reads the phases of one account's clusters from one listing", async () => {
    const cloud = fakeCloud();
    await createOp({ clusterId: "c1" });
    await createOp({ clusterId: "c2" });
    await chained({ acct: cloud }, { stepsPerOperation: 1, concurrency: 1 });
    expect(cloud.calls).toEqual(["listClusters"]);
  });
});

describe("a whole night on the fake cloud", () => {
  async function night(cloud: FakeCloud, id: string, start: Date): Promise<{ op: Operation; now: Date }> {
    let now = start;
    for (let i = 0; i < 100; i++) {
      await run(cloud, now);
      const op = await get(id, now);
      if (["succeeded", "failed"].includes(op.status)) return { op, now };
      now = new Date(Math.max(now.getTime() + 1000, Date.parse(op.nextAttemptAt ?? now.toISOString())));
    }
    throw new Error("did not finish");
  }

  it("never overwrites an existing snapshot: a second sleep keeps the first one's sizes", async () => {
    const cloud = fakeCloud("huawei", { a: 3, b: 2 });
    const first = await createOp({ id: "sleep-1" });
    await night(cloud, first.id, T0);
    expect([...cloud.pools.values()].map((p) => p.desired)).toEqual([0, 0]);
    // The wake never came (it failed); a pool was added meanwhile; the next night sleeps again.
    cloud.pools.set("c", { id: "c", name: "pool-c", desired: 4, ready: 4, phase: "stable", vendorPhase: "" });
    const second = await createOp({ id: "sleep-2" }, at(86_400));
    const { op } = await night(cloud, second.id, at(86_400));
    expect(op.status).toBe("succeeded");
    const snapshot = await store.snapshots.get("acct/c1", at(86_400));
    expect(snapshot?.value.operationId).toBe("sleep-1");
    expect(snapshot?.value.data).toEqual({
      pools: [
        { id: "a", name: "pool-a", desired: 3 },
        { id: "b", name: "pool-b", desired: 2 },
        { id: "c", name: "pool-c", desired: 4 },
      ],
    });
    const wake = await createOp({ id: "wake-1", direction: "wake" }, at(2 * 86_400));
    await night(cloud, wake.id, at(2 * 86_400));
    expect([...cloud.pools.values()].map((p) => p.desired)).toEqual([3, 2, 4]);
    expect(await store.snapshots.get("acct/c1", at(2 * 86_400))).toBeUndefined();
  });

  it("a wake with no snapshot wakes nothing it does not know about and says so", async () => {
    const cloud = fakeCloud();
    const wake = await createOp({ id: "wake-1", direction: "wake" });
    const { op } = await night(cloud, wake.id, T0);
    expect(op.status).toBe("succeeded");
    const kinds = (await store.ledger.query({ operationId: wake.id })).map((e) => e.kind);
    expect(kinds).toEqual(["wake.skipped"]);
    const [entry] = await store.ledger.query({ operationId: wake.id });
    expect(entry?.detail.reason).toContain("no snapshot was found for this target");
    expect(cloud.calls.filter((c) => c === "resizeNodePool")).toEqual([]);
  });

  it("turns the autoscaler off before the resize and back on after the restore", async () => {
    const cloud = fakeCloud("baidu", { a: 3 });
    cloud.pools.get("a")!.autoscaling = { enabled: true, min: 2, max: 5 };
    const sleep = await createOp({ id: "sleep-1", provider: "baidu" });
    await night(cloud, sleep.id, T0);
    expect(cloud.pools.get("a")).toMatchObject({
      desired: 0,
      autoscaling: { enabled: false, min: 2, max: 5 },
    });
    const wake = await createOp({ id: "wake-1", provider: "baidu", direction: "wake" }, at(3600));
    await night(cloud, wake.id, at(3600));
    expect(cloud.pools.get("a")).toMatchObject({
      desired: 3,
      autoscaling: { enabled: true, min: 2, max: 5 },
    });
    const changes = cloud.calls.filter((c) => c === "resizeNodePool" || c === "setNodePoolAutoscaling");
    expect(changes).toEqual([
      "setNodePoolAutoscaling",
      "resizeNodePool",
      "resizeNodePool",
      "setNodePoolAutoscaling",
    ]);
  });
  it("a crash between a cloud call and its write repeats the step without the call, and still records the action once", async () => {
    // A night of a pool with an autoscaler, clean and then with the process dying right after each
    // cloud-changing call (the operation's write is lost): the repeated step finds its change made
    // and skips the call; its ledger entry and its `taken` action must still be recorded, once.
    const nightOf = async (crash: boolean) => {
      let crashNextWrite = false;
      const backend = memoryBackend();
      store = createStore(
        crash
          ? new Proxy(backend, {
              get(target, key, receiver) {
                const value = Reflect.get(target, key, receiver);
                if (key !== "put") return value;
                return (...args: Parameters<typeof backend.put>) => {
                  if (args[0] === "op" && crashNextWrite) {
                    crashNextWrite = false;
                    throw new Error("the process died before its write");
                  }
                  return backend.put(...args);
                };
              },
            })
          : backend,
      );
      const cloud = fakeCloud("baidu", { a: 3 });
      cloud.pools.get("a")!.autoscaling = { enabled: true, min: 2, max: 5 };
      cloud.onCall = async (method) => {
        if (method === "resizeNodePool" || method === "setNodePoolAutoscaling") crashNextWrite = crash;
      };
      // The wake's last change is the store's: the snapshot dropped, then the write lost.
      const snapshots = store.snapshots;
      const drop = snapshots.delete.bind(snapshots);
      snapshots.delete = async (...args: Parameters<typeof drop>) => {
        const dropped = await drop(...args);
        crashNextWrite = crash;
        return dropped;
      };
      const sleep = await createOp({ id: "sleep-1", provider: "baidu" });
      const slept = await night(cloud, sleep.id, T0);
      const wake = await createOp({ id: "wake-1", provider: "baidu", direction: "wake" }, at(3600));
      const woken = await night(cloud, wake.id, at(3600));
      const kinds = async (id: string) =>
        (await store.ledger.query({ operationId: id, limit: 100 })).map((e) => e.kind).sort();
      return {
        changes: cloud.calls.filter((c) => c === "resizeNodePool" || c === "setNodePoolAutoscaling"),
        pool: cloud.pools.get("a"),
        ledger: { sleep: await kinds(sleep.id), wake: await kinds(wake.id) },
        taken: [slept.op, woken.op].map((op) => (op.data.progress as { taken?: string[] }).taken),
        statuses: [slept.op.status, woken.op.status],
      };
    };
    const clean = await nightOf(false);
    const crashed = await nightOf(true);
    expect(crashed.statuses).toEqual(["succeeded", "succeeded"]);
    expect(crashed.changes).toEqual(clean.changes);
    expect(crashed.pool).toEqual(clean.pool);
    expect(crashed.ledger).toEqual(clean.ledger);
    expect(crashed.ledger.sleep.filter((k) => k === "sleep.autoscaler-off")).toHaveLength(1);
    expect(crashed.ledger.wake.filter((k) => k === "wake.restore-pool")).toHaveLength(1);
    expect(crashed.ledger.wake.filter((k) => k === "wake.drop-snapshot")).toHaveLength(1);
    expect(crashed.taken).toEqual(clean.taken);
  });
});

describe("clear refusals", () => {
  it("workloads mode with neither mutual-TLS access nor a gateway client fails saying what is missing", async () => {
    const cloud = fakeCloud("autopilot");
    const op = await createOp({ provider: "autopilot", mode: "workloads", namespaces: ["shop"] });
    await run(cloud, T0);
    const failed = await get(op.id);
    expect(failed).toMatchObject({ status: "failed", error: { kind: "unsupported" } });
    expect(failed.error?.message).toContain("workloads mode needs the cluster's Kubernetes API");
    expect(cloud.calls).toEqual([]);
  });

  it.each([
    ["autopilot", "full", 'mode "full" does not exist for CCE Autopilot'],
    ["alibaba", "control-plane", 'use mode "nodes"'],
    ["baidu", "workloads", 'mode "workloads" is for CCE Autopilot clusters only'],
  ] as const)("%s in mode %s fails: %s", async (provider, mode, message) => {
    const cloud = fakeCloud(provider);
    const op = await createOp({ provider, mode, releaseNodes: true });
    await run(cloud, T0);
    const failed = await get(op.id);
    expect(failed).toMatchObject({ status: "failed", error: { kind: "unsupported" } });
    expect(failed.error?.message).toContain(message);
  });

  it("an operation whose data is unreadable fails naming the field", async () => {
    const cloud = fakeCloud();
    const op = await createOp({ clusterId: "c1", mode: "sideways" });
    await run(cloud, T0);
    const failed = await get(op.id);
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toContain("data.mode");
  });

  it("an account of another cloud than the operation's fails", async () => {
    const cloud = fakeCloud("baidu");
    const op = await createOp({ provider: "huawei" });
    await run(cloud, T0);
    expect((await get(op.id)).error?.message).toContain(
      "is a baidu account, but the operation is for huawei",
    );
  });
});
