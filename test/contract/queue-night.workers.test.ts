// Contract: a whole scheduled night driven the way the deployed Worker runs it, inside workerd over
// the real local D1: the cron tick (every 10 simulated minutes here) decides, creates and dispatches
// the operations to a queue; queue consumers advance them, each invocation with its own counted
// subrequest budget, and every wait comes back as a message delayed until the operation's next
// attempt (no polling by cron). The queue is modelled on the test's clock (queue-model.ts: delays,
// batches of wrangler.toml's size, retries). 10% server errors and 5% throttling on every cloud.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS } from "../../functions/jobs.ts";
import type { TickDeps, TickReport } from "../../functions/tick.ts";
import { WORKERS_SUBREQUEST_LIMIT } from "../../shared/jobs/budget.ts";
import { dispatchDue } from "../../shared/jobs/dispatch.ts";
import { d1Backend } from "../../shared/store/d1.workers.ts";
import { createStore, type Operation, type Store } from "../../shared/store/store.ts";
import { DB, emptiedD1 } from "../setup/d1.workers.ts";
import {
  type ResolvedCluster,
  type ScheduledNight,
  SUBJECTS,
  scheduleFor,
  startScheduledNight,
} from "./night-harness.ts";
import { consumeInvocation, SimulatedQueue } from "./queue-model.ts";
import { poolShape } from "./sleepwake-harness.ts";

const CRON_SECONDS = 600;
const START = "2026-03-02T11:40:00Z"; // Monday 19:40 in Shanghai
const SLEEP_AT = "2026-03-02T12:00:00.000Z";
const WAKE_AT = "2026-03-03T00:00:00.000Z";
const END_BY = Date.parse("2026-03-03T03:00:00Z");

describe("a scheduled night through the queue: cron dispatches, consumers advance", () => {
  let night: ScheduledNight;
  let store: Store;
  let queue: SimulatedQueue;
  const clusters = new Map<string, ResolvedCluster>();
  const before = new Map<string, ReturnType<typeof poolShape>>();
  const ticks: TickReport[] = [];
  const invocations: Array<{ messages: number; advanced: number; subrequests: number }> = [];
  let operations: Operation[] = [];

  beforeAll(async () => {
    store = createStore(d1Backend(await emptiedD1()));
    night = await startScheduledNight({ seed: 52, start: START });
    for (const subject of SUBJECTS) {
      const cluster = await night.resolve(subject);
      clusters.set(subject.schedule, cluster);
      before.set(subject.schedule, poolShape(await cluster.provider.listNodePools(cluster.clusterId)));
    }
    const now = () => night.now().getTime();
    queue = new SimulatedQueue(now);
    const base = night.tickDeps(
      store,
      SUBJECTS.map((s) => scheduleFor(s, clusters.get(s.schedule)!)),
    );
    const deps: TickDeps = {
      ...base,
      dispatch: (at, created) => dispatchDue({ store, queue, jobs: JOBS, now: at, created }),
    };
    await night.faults({ serverError: 0.1, throttle: 0.05 });

    const wakesDone = async () => {
      const wakes = (await store.operations.list({}, night.now())).filter((op) => op.kind === "wake");
      return wakes.length === SUBJECTS.length && wakes.every((op) => op.status === "succeeded");
    };
    let nextCron = now();
    while (now() < END_BY) {
      const next = Math.min(nextCron, queue.nextDelivery ?? Number.POSITIVE_INFINITY);
      if (next > now()) await night.advance((next - now()) / 1000);
      if (next === nextCron) {
        ticks.push(await night.tick(deps));
        nextCron += CRON_SECONDS * 1000;
        if (night.now().toISOString() >= WAKE_AT && (await wakesDone())) break;
        continue;
      }
      for (let batch = queue.take(now()); batch.length > 0; batch = queue.take(now())) {
        // One consumer invocation: its own budget over its own counted store and providers.
        const { report, budget } = await consumeInvocation(batch, queue, d1Backend(DB), {
          providers: (budget) => night.countedProviders(budget),
          now: night.now(),
          log: base.log,
          holder: "worker:queue-night",
          concurrency: 6,
        });
        queue.settle(batch, new Set(report.retry), now());
        invocations.push({
          messages: batch.length,
          advanced: report.run.advanced,
          subrequests: budget.spent,
        });
      }
    }
    await night.faults({ serverError: 0, throttle: 0 });
    operations = await store.operations.list({}, night.now());
  }, 120_000);

  afterAll(async () => {
    await night?.stop();
  });

  it("the cron creates and dispatches one sleep per target at 20:00 and one wake at 08:00, advancing none itself", () => {
    const at = (iso: string) => ticks.find((t) => t.at === iso)!;
    expect(at(SLEEP_AT).operations).toEqual({
      created: SUBJECTS.length,
      advanced: 0,
      dispatched: SUBJECTS.length,
    });
    expect(at(WAKE_AT).operations).toEqual({
      created: SUBJECTS.length,
      advanced: 0,
      dispatched: SUBJECTS.length,
    });
    expect(ticks.every((t) => t.operations.advanced === 0)).toBe(true);
    expect(operations).toHaveLength(2 * SUBJECTS.length);
  });

  it("finishes every sleep before 08:00 and every wake after it, through the faults", () => {
    for (const op of operations) expect(op, op.id).toMatchObject({ status: "succeeded" });
    expect(operations.reduce((sum, op) => sum + op.attempts, 0)).toBeGreaterThan(0);
    const sleeps = operations.filter((op) => op.kind === "sleep");
    expect(Math.max(...sleeps.map((op) => Date.parse(op.updatedAt)))).toBeLessThan(Date.parse(WAKE_AT));
  });

  it("waits by delayed messages, within each invocation's subrequest budget, nothing dead-lettered", () => {
    expect(queue.delayed).toBeGreaterThan(0);
    expect(invocations.length).toBeGreaterThan(SUBJECTS.length * 2);
    expect(invocations.reduce((sum, i) => sum + i.advanced, 0)).toBeGreaterThan(SUBJECTS.length * 4);
    expect(Math.max(...invocations.map((i) => i.subrequests))).toBeLessThanOrEqual(WORKERS_SUBREQUEST_LIMIT);
    expect(queue.deadLetters).toEqual([]);
  });

  it("restores every pool after the wake, each cloud action once in the ledger", async () => {
    for (const subject of SUBJECTS) {
      const cluster = clusters.get(subject.schedule)!;
      expect(poolShape(await cluster.provider.listNodePools(cluster.clusterId)), subject.schedule).toEqual(
        before.get(subject.schedule),
      );
      const kinds = (await store.ledger.query({ target: cluster.targetId, limit: 1000 })).map((e) => e.kind);
      const count = (kind: string) => kinds.filter((k) => k === kind).length;
      const hibernates = subject.mode === "full" || subject.mode === "control-plane";
      expect(count("sleep.hibernate"), subject.schedule).toBe(hibernates ? 1 : 0);
      expect(count("wake.awake"), subject.schedule).toBe(hibernates ? 1 : 0);
      expect(count("sleep.succeeded"), subject.schedule).toBe(1);
      expect(count("wake.succeeded"), subject.schedule).toBe(1);
      const shrunk = Object.values(before.get(subject.schedule)!).filter((p) => p.desired > 0).length;
      expect(count("wake.restore-pool"), subject.schedule).toBe(
        subject.mode === "control-plane" ? 0 : shrunk,
      );
      expect(count("wake.conflict"), subject.schedule).toBe(0);
    }
  });
});
