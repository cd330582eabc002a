// Contract: a whole scheduled night inside the Workers runtime. The real local D1 holds the state;
// the cron tick (`runTick`, what the Worker's `scheduled` handler calls) runs every 10 simulated
// minutes from Monday 19:40 to Tuesday past 08:00 (Asia/Shanghai) against the sandbox clouds, with
// 10% server errors and 5% throttling on every cloud. One schedule per provider and mode. What the
// CLOUDS say is checked: asleep before 08:00, and after the wake every pool as it was before.
// Then the Worker's real `scheduled` and `queue` exports, configured with an account through its
// environment and the bundled example schedules, sleep and wake that account's cluster over D1:
// the cron dispatches to the OPERATIONS queue (modelled on the test's clock, queue-model.ts), and
// the test delivers its batches to the Worker's queue consumer when they are due.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TickReport } from "../../functions/tick.ts";
import worker, { createWorker } from "../../functions/worker.workers.ts";
import { createHttpClient } from "../../shared/http/client.ts";
import { OPERATIONS_QUEUE } from "../../shared/jobs/dispatch.ts";
import { createProvider } from "../../shared/providers/registry.ts";
import { d1Backend } from "../../shared/store/d1.workers.ts";
import { createStore, FINISHED, type Operation, type Store } from "../../shared/store/store.ts";
import { DB, emptiedD1 } from "../setup/d1.workers.ts";
import { newSandbox } from "../setup/sandbox.ts";
import {
  type ResolvedCluster,
  type ScheduledNight,
  SUBJECTS,
  scheduleFor,
  startScheduledNight,
} from "./night-harness.ts";
import { SimulatedQueue } from "./queue-model.ts";
import { poolShape } from "./sleepwake-harness.ts";

const TICK_SECONDS = 600;
const MAX_TICKS = 120; // 20 simulated hours: the night takes about 80
const START = "2026-03-02T11:40:00Z"; // Monday 19:40 in Shanghai
const SLEEP_AT = "2026-03-02T12:00:00.000Z"; // Monday 20:00
const WAKE_AT = "2026-03-03T00:00:00.000Z"; // Tuesday 08:00
/** The store over this file's D1, emptied: the file's tests share the database. */
async function emptiedStore(): Promise<Store> {
  return createStore(d1Backend(await emptiedD1()));
}

const shapeOf = async (c: ResolvedCluster) => poolShape(await c.provider.listNodePools(c.clusterId));

describe("a scheduled night in the Workers runtime, every provider and mode, through faults", () => {
  let night: ScheduledNight;
  let store: Store;
  const clusters = new Map<string, ResolvedCluster>();
  const before = new Map<string, ReturnType<typeof poolShape>>();
  const asleep = new Map<string, { vendorPhase: string; pools: ReturnType<typeof poolShape> }>();
  const reports: TickReport[] = [];
  let operations: Operation[] = [];

  beforeAll(async () => {
    store = await emptiedStore();
    night = await startScheduledNight({ seed: 51, start: START });
    for (const subject of SUBJECTS) {
      const cluster = await night.resolve(subject);
      clusters.set(subject.schedule, cluster);
      before.set(subject.schedule, await shapeOf(cluster));
    }
    const deps = night.tickDeps(
      store,
      SUBJECTS.map((s) => scheduleFor(s, clusters.get(s.schedule)!)),
    );
    await night.faults({ serverError: 0.1, throttle: 0.05 });

    const finished = (ops: Operation[]) => ops.length > 0 && ops.every((op) => FINISHED.includes(op.status));
    const wakes = async () =>
      (await store.operations.list({}, night.now())).filter((op) => op.kind === "wake");
    for (let i = 0; i < MAX_TICKS; i++) {
      if (night.now().toISOString() >= WAKE_AT && asleep.size === 0) {
        // Before the 08:00 tick (which wakes them at once): the clouds as the night left them.
        for (const [name, cluster] of clusters) {
          asleep.set(name, {
            vendorPhase: (await cluster.provider.getCluster(cluster.clusterId)).vendorPhase,
            pools: await shapeOf(cluster),
          });
        }
      }
      reports.push(await night.tick(deps));
      if (night.now().toISOString() >= WAKE_AT && finished(await wakes())) break;
      await night.advance(TICK_SECONDS);
    }
    await night.faults({ serverError: 0, throttle: 0 });
    operations = await store.operations.list({}, night.now());
  }, 60_000);

  afterAll(async () => {
    await night?.stop();
  });

  const opsOf = (kind: "sleep" | "wake") => operations.filter((op) => op.kind === kind);
  const ticksAt = (iso: string) => reports.filter((r) => r.at === iso);

  it("records baselines on the first tick and acts on nothing", () => {
    const first = reports[0]!;
    expect(first.at).toBe(new Date(START).toISOString());
    const ours = first.decisions.filter((d) => [...clusters.values()].some((c) => c.targetId === d.target));
    expect(ours).toHaveLength(SUBJECTS.length);
    for (const decision of ours) expect(decision).toMatchObject({ kind: "skip", reason: "first-sight" });
    expect(first.operations).toEqual({ created: 0, advanced: 0 });
  });

  it("creates one sleep per target at 20:00 and one wake per target at 08:00, nothing else", () => {
    expect(ticksAt(SLEEP_AT)[0]?.operations.created).toBe(SUBJECTS.length);
    expect(ticksAt(WAKE_AT)[0]?.operations.created).toBe(SUBJECTS.length);
    const created = reports.filter((r) => r.operations.created > 0).map((r) => r.at);
    expect(created).toEqual([SLEEP_AT, WAKE_AT]);
    expect(operations).toHaveLength(2 * SUBJECTS.length);
    for (const subject of SUBJECTS) {
      const { targetId } = clusters.get(subject.schedule)!;
      const mine = operations.filter((op) => op.target === targetId);
      expect(mine.map((op) => [op.kind, op.id, op.createdAt])).toEqual([
        ["sleep", `${subject.schedule}:asleep:2026-03-02T20:00@${targetId}`, SLEEP_AT],
        ["wake", `${subject.schedule}:awake:2026-03-03T08:00@${targetId}`, WAKE_AT],
      ]);
    }
  });

  it("finishes every sleep before 08:00 and every wake after it, through the faults", async () => {
    for (const op of operations) expect(op, op.id).toMatchObject({ status: "succeeded" });
    // The steps' calls are not retried by the HTTP layer: the runner backed off and tried again.
    expect(operations.reduce((sum, op) => sum + op.attempts, 0)).toBeGreaterThan(0);
    expect(Math.max(...opsOf("sleep").map((op) => Date.parse(op.updatedAt)))).toBeLessThan(
      Date.parse(WAKE_AT),
    );
    for (const cloud of ["huawei", "alibaba", "baidu"] as const) {
      const requests = (await night.sb.inspect(cloud, "GET", "requests")).requests as Array<{
        fault?: string;
      }>;
      expect(requests.filter((r) => r.fault).length, cloud).toBeGreaterThan(0);
    }
    expect(reports.at(-1)!.at >= WAKE_AT).toBe(true);
  });

  it("leaves each cloud asleep in its mode through the night", () => {
    const sizes = (pools: ReturnType<typeof poolShape>) =>
      Object.fromEntries(Object.entries(pools).map(([name, p]) => [name, [p.desired, p.ready]]));
    const zero = (name: string) =>
      Object.fromEntries(Object.keys(before.get(name)!).map((pool) => [pool, [0, 0]]));
    const state = (name: string) => ({
      vendorPhase: asleep.get(name)?.vendorPhase,
      pools: sizes(asleep.get(name)!.pools),
    });
    expect(state("huawei-full")).toEqual({ vendorPhase: "Hibernation", pools: zero("huawei-full") });
    // Control-plane mode keeps the nodes running, autoscalers included.
    expect(asleep.get("huawei-control-plane")).toEqual({
      vendorPhase: "Hibernation",
      pools: before.get("huawei-control-plane"),
    });
    expect(state("huawei-nodes")).toEqual({ vendorPhase: "Available", pools: zero("huawei-nodes") });
    expect(state("alibaba-nodes").pools).toEqual(zero("alibaba-nodes"));
    expect(state("baidu-nodes").pools).toEqual(zero("baidu-nodes"));
    // No autoscaler may bring a sleeping pool back up.
    for (const name of ["huawei-full", "huawei-nodes", "alibaba-nodes"]) {
      for (const pool of Object.values(asleep.get(name)!.pools)) {
        expect((pool.autoscaling as { enabled?: boolean } | null)?.enabled ?? false).toBe(false);
      }
    }
  });

  it("restores every pool's size and autoscaling after the wake, and the control planes", async () => {
    for (const [name, cluster] of clusters) {
      expect(await shapeOf(cluster), name).toEqual(before.get(name));
      expect((await cluster.provider.getCluster(cluster.clusterId)).vendorPhase, name).not.toBe(
        "Hibernation",
      );
    }
    const huawei = clusters.get("huawei-full")!;
    expect((await huawei.provider.getCluster(huawei.clusterId)).vendorPhase).toBe("Available");
  });

  it("writes the scheduled and step entries to the D1 ledger, each cloud action once", async () => {
    const kinds = async (op: Operation) =>
      (await store.ledger.query({ operationId: op.id, limit: 1000 })).map((e) => e.kind);
    const count = (list: string[], kind: string) => list.filter((k) => k === kind).length;
    for (const subject of SUBJECTS) {
      const { targetId } = clusters.get(subject.schedule)!;
      const sleep = opsOf("sleep").find((op) => op.target === targetId)!;
      const wake = opsOf("wake").find((op) => op.target === targetId)!;
      const slept = await kinds(sleep);
      const woke = await kinds(wake);
      expect([slept[0], slept.at(-1)], subject.schedule).toEqual(["sleep.scheduled", "sleep.succeeded"]);
      expect([woke[0], woke.at(-1)], subject.schedule).toEqual(["wake.scheduled", "wake.succeeded"]);
      const hibernates = subject.mode === "full" || subject.mode === "control-plane";
      expect(count(slept, "sleep.hibernate"), subject.schedule).toBe(hibernates ? 1 : 0);
      expect(count(woke, "wake.awake"), subject.schedule).toBe(hibernates ? 1 : 0);
      const shrunk = Object.values(before.get(subject.schedule)!).filter((p) => p.desired > 0).length;
      const scales = subject.mode === "control-plane" ? 0 : shrunk;
      expect(count(slept, "sleep.scale-pool"), subject.schedule).toBe(scales);
      expect(count(woke, "wake.restore-pool"), subject.schedule).toBe(scales);
      expect(count(woke, "wake.conflict"), subject.schedule).toBe(0);
      // The tick remembers the handled transition per target.
      const state = await store.targets.get(targetId, night.now());
      expect(state?.value.lastTransition).toMatchObject({
        to: "awake",
        operationId: wake.id,
        by: "schedule",
      });
    }
  });

  it("logs one cron tick line per tick", () => {
    const ticks = night.logs.filter((l) => l.msg === "tick");
    expect(ticks).toHaveLength(reports.length);
    expect(ticks.every((l) => l.trigger === "cron" && l.host === "workers")).toBe(true);
  });
});

describe("the Worker's scheduled export", () => {
  it("ticks through the same runTick and D1 store (no accounts configured: it logs the tick)", async () => {
    await emptiedStore();
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const controller = createScheduledController({
        scheduledTime: new Date(SLEEP_AT),
        cron: "* * * * *",
      });
      const ctx = createExecutionContext();
      await worker.scheduled(controller as never, { ...env }, ctx as never);
      await waitOnExecutionContext(ctx);
    } finally {
      spy.mockRestore();
    }
    const ticks = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === "tick");
    expect(ticks).toEqual([
      expect.objectContaining({
        at: SLEEP_AT,
        trigger: "cron",
        host: "workers",
        dryRun: false,
        acted: 0,
        advanced: 0,
        errors: 0,
      }),
    ]);
    // The handler's store is the D1 binding: nothing was scheduled, so nothing was written.
    expect((await DB.prepare("SELECT COUNT(*) AS n FROM ledger").first<{ n: number }>())?.n).toBe(0);
  });

  it("with an account configured: the bundled example schedule sleeps and wakes its cluster, through faults", async () => {
    const store = await emptiedStore();
    // The Worker signs with the real clock, as it must against real clouds; this sandbox's clock
    // is simulated (moved by the test), so it judges signature age by real time.
    const sb = await newSandbox({ speed: 0, seed: 8, start: START, signaturesBy: "real" });
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const account = sb.huawei.accounts.find((a) => a.name === "qa-team-cn-north-4")!;
      const prefix = "NIGHTSHIFT_ACCOUNT_SANDBOX_HUAWEI_QA_TEAM_CN_NORTH_4_";
      let simNow = new Date((await sb.inspect("huawei", "GET", "clock")).now);
      const queue = new SimulatedQueue(() => simNow.getTime());
      // The consumers run on the clouds' (simulated) time; the cron on its scheduled time.
      const nightWorker = createWorker({ now: () => simNow });
      const workerEnv = {
        ...env,
        OPERATIONS: queue,
        [`${prefix}VENDOR`]: "huawei",
        [`${prefix}ACCESS_KEY_ID`]: account.accessKeyId,
        [`${prefix}SECRET_ACCESS_KEY`]: account.secretAccessKey,
        [`${prefix}REGION`]: account.region,
        [`${prefix}PROJECT_ID`]: account.projectId!,
        [`${prefix}ENDPOINT`]: sb.huawei.endpoint,
      };
      const provider = createProvider(
        {
          id: "sandbox-huawei-qa-team-cn-north-4",
          vendor: "huawei",
          accessKeyId: account.accessKeyId,
          secretAccessKey: account.secretAccessKey,
          region: account.region,
          projectId: account.projectId!,
          endpoint: sb.huawei.endpoint,
        },
        {
          http: createHttpClient({ fetch: (i, init) => fetch(i, init) }),
          now: () => new Date(),
          nonce: () => crypto.randomUUID(),
        },
      );
      // qa-weeknights (schedules/huawei-qa-weeknights.yaml) selects env=qa in this account: qa-e2e.
      const cluster = (await provider.listClusters()).find((c) => c.name === "qa-e2e")!;
      const targetId = `sandbox-huawei-qa-team-cn-north-4/${cluster.id}`;
      const before = poolShape(await provider.listNodePools(cluster.id));

      const moveTo = async (at: number) => {
        const seconds = (at - simNow.getTime()) / 1000;
        if (seconds > 0)
          simNow = new Date((await sb.inspect("huawei", "POST", "clock", { advanceSeconds: seconds })).now);
      };
      let consumed = 0;
      let asleepPhase: string | undefined;
      const opsOf = async () =>
        (await store.operations.list({}, simNow)).filter((o) => o.target === targetId);
      for (let i = 0; i < MAX_TICKS; i++) {
        if (simNow.toISOString() >= WAKE_AT && asleepPhase === undefined)
          asleepPhase = (await provider.getCluster(cluster.id)).vendorPhase;
        const controller = createScheduledController({ scheduledTime: simNow, cron: "* * * * *" });
        const ctx = createExecutionContext();
        await nightWorker.scheduled(controller as never, workerEnv, ctx as never);
        await waitOnExecutionContext(ctx);
        // After the first tick (its inventory listing is cached for minutes of real time): one
        // answer in ten a 500, so the Worker's steps fail, back off and retry by delayed messages.
        if (i === 0) await sb.inspect("huawei", "PUT", "faults", { serverError: 0.1 });
        const nextTick = simNow.getTime() + TICK_SECONDS * 1000;
        for (let at = queue.nextDelivery; at !== undefined && at < nextTick; at = queue.nextDelivery) {
          await moveTo(at);
          const taken = queue.take(simNow.getTime());
          const batch = createMessageBatch(OPERATIONS_QUEUE, taken);
          const ctx = createExecutionContext();
          await nightWorker.queue(batch as never, workerEnv, ctx as never);
          const result = await getQueueResult(batch, ctx);
          queue.settle(taken, new Set(result.retryMessages.map((m) => m.msgId)), simNow.getTime());
          consumed++;
        }
        const ops = await opsOf();
        if (ops.length === 2 && ops.every((o) => FINISHED.includes(o.status))) break;
        await moveTo(nextTick);
      }

      await sb.inspect("huawei", "PUT", "faults", { serverError: 0 });
      const ops = await opsOf();
      expect(ops.map((o) => [o.kind, o.id, o.status])).toEqual([
        ["sleep", `qa-weeknights:asleep:2026-03-02T20:00@${targetId}`, "succeeded"],
        ["wake", `qa-weeknights:awake:2026-03-03T08:00@${targetId}`, "succeeded"],
      ]);
      expect(asleepPhase).toBe("Hibernation");
      expect(poolShape(await provider.listNodePools(cluster.id))).toEqual(before);
      expect((await provider.getCluster(cluster.id)).vendorPhase).toBe("Available");
      const kinds = (await store.ledger.query({ target: targetId, limit: 1000 })).map((e) => e.kind);
      expect(kinds.filter((k) => k === "sleep.hibernate" || k === "wake.awake")).toEqual([
        "sleep.hibernate",
        "wake.awake",
      ]);
      // Every request the Worker signed with the real clock was accepted; the faults did happen.
      const requests = (await sb.inspect("huawei", "GET", "requests")).requests as Array<{
        status: number;
        fault?: string;
      }>;
      expect(requests.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
      expect(requests.filter((r) => r.fault).length).toBeGreaterThan(0);
      const ticks = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === "tick");
      expect(ticks.length).toBeGreaterThan(70);
      expect(ticks.every((t) => t.trigger === "cron" && t.host === "workers" && t.advanced === 0)).toBe(true);
      // The cron sent the sleep and the wake decided; the Worker's queue consumers created them
      // (each once) and advanced them.
      expect(ticks.reduce((sum, t) => sum + (t.sent ?? 0), 0)).toBeGreaterThanOrEqual(2);
      const batches = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === "queue batch");
      expect(batches.reduce((sum, b) => sum + b.created, 0)).toBe(2);
      expect(batches).toHaveLength(consumed);
      expect(batches.reduce((sum, b) => sum + b.advanced, 0)).toBeGreaterThan(5);
      expect(Math.max(...batches.map((b) => b.subrequests))).toBeLessThanOrEqual(1000);
      expect(queue.delayed).toBeGreaterThan(0);
      expect(queue.deadLetters).toEqual([]);
    } finally {
      spy.mockRestore();
      await sb.stop();
    }
  }, 60_000);
});
