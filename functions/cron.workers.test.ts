// The Worker's cron inside workerd over the real local D1: it only decides and sends its decisions'
// writes (one queue send per 100), so its subrequests stay few however many decisions a minute
// brings; the consumers apply them, and a duplicated decision message creates its operation and
// its "scheduled" ledger entry once.
import { afterEach, describe, expect, it } from "vitest";
import { countingBackend, subrequestBudget, WORKERS_SUBREQUEST_LIMIT } from "../shared/jobs/budget.ts";
import { CONSUMER_CONCURRENCY, type QueueMessage } from "../shared/jobs/dispatch.ts";
import { createLogger } from "../shared/log/logger.ts";
import type { Target } from "../shared/providers/inventory.ts";
import type { Schedule } from "../shared/schedule/types.ts";
import { d1Backend } from "../shared/store/d1.workers.ts";
import { createStore } from "../shared/store/store.ts";
import {
  type ScheduledNight,
  SUBJECTS,
  scheduleFor,
  startScheduledNight,
} from "../test/contract/night-harness.ts";
import { consumeInvocation, SimulatedQueue } from "../test/contract/queue-model.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { DB, emptiedD1 } from "../test/setup/d1.workers.ts";
import { CRON_SAVINGS_PAGES, cronSavingsPages, cronTickDeps } from "./cron.ts";
import { runTick, type TickDeps } from "./tick.ts";

const SLEEP_AT = Date.parse("2026-03-02T12:00:00Z"); // Monday 20:00 in Shanghai

/** A queue that counts its `sendBatch` calls (each one subrequest). */
function countedQueue(now: () => number) {
  const queue = new SimulatedQueue(now);
  const sendBatch = queue.sendBatch.bind(queue);
  const counted = Object.assign(queue, { calls: 0 });
  counted.sendBatch = async (messages) => {
    counted.calls++;
    await sendBatch(messages);
  };
  return counted;
}

describe("the Worker's cron with many decisions", () => {
  const CLUSTERS = 2500;
  const targets: Target[] = Array.from({ length: CLUSTERS }, (_, i) => ({
    provider: "huawei",
    account: `hw-${i % 25}`,
    region: "cn-north-4",
    id: `c${i}`,
    name: `c${i}`,
    phase: "running",
    vendorPhase: "Available",
    tags: { night: "yes" },
    targetId: `hw-${i % 25}/c${i}`,
    nodePools: [],
  }));
  const schedule = testSchedule({
    name: "night",
    targets: [{ providers: ["huawei"], tags: { night: "yes" } }],
    rules: [{ to: "asleep", days: ["mon"], at: "20:00" }],
  });

  it("sends 2,500 decisions in 25 queue sends and stays far under its subrequest limit", async () => {
    await emptiedD1();
    let now = SLEEP_AT - 60_000;
    const queue = countedQueue(() => now);
    const base: TickDeps = {
      store: createStore(d1Backend(DB)),
      log: createLogger({ level: "error", write: () => {} }),
      schedules: [schedule],
      calendars: new Map(),
      inventory: async () => ({ targets, errors: [] }),
      providerFor: () => undefined,
      holder: "worker:cron-test",
    };
    const cron = async () => {
      const budget = subrequestBudget(WORKERS_SUBREQUEST_LIMIT);
      const store = createStore(countingBackend(d1Backend(DB), budget));
      const sends = queue.calls;
      const report = await runTick({
        now: new Date(now),
        trigger: "cron",
        deps: cronTickDeps(base, { store, queue, budget }),
      });
      return { report, spent: budget.spent, sends: queue.calls - sends };
    };

    // First sight: one state write per target, all of them sent, none written by the cron.
    const sight = await cron();
    expect(sight.report.errors).toEqual([]);
    expect(sight.report.operations.sent).toBe(CLUSTERS);
    expect(sight.sends).toBe(CLUSTERS / 100);
    expect(sight.spent).toBeLessThan(50);
    expect(await createStore(d1Backend(DB)).targets.list(new Date(now))).toEqual([]);
    // The consumers apply them (no operation yet: nothing to run).
    const log = base.log;
    const consumed = async () => {
      for (let batch = queue.take(now); batch.length > 0; batch = queue.take(now)) {
        const { report } = await consumeInvocation(batch, queue, d1Backend(DB), {
          providers: () => () => undefined,
          now: new Date(now),
          log,
          holder: "worker:consumer",
          concurrency: CONSUMER_CONCURRENCY,
        });
        expect(report.retry).toEqual([]);
      }
    };
    await consumed();
    expect(await createStore(d1Backend(DB)).targets.list(new Date(now))).toHaveLength(CLUSTERS);

    // 20:00: 2,500 sleeps decided in one minute (applied by the cron itself: ~10,000 subrequests).
    now = SLEEP_AT;
    const night = await cron();
    expect(night.report.operations).toMatchObject({ created: 0, sent: CLUSTERS });
    expect(night.sends).toBe(CLUSTERS / 100);
    expect(night.spent).toBeLessThan(50);
    expect(queue.waiting.map((m) => (m.body as QueueMessage & { writes?: unknown }).writes)).toHaveLength(
      CLUSTERS,
    );
  }, 120_000);
});

describe("duplicated decision messages", () => {
  let night: ScheduledNight | undefined;
  afterEach(async () => {
    await night?.stop();
    night = undefined;
  });

  it("create each operation and its scheduled ledger entry once, and run its first steps at once", async () => {
    await emptiedD1();
    const store = createStore(d1Backend(DB));
    night = await startScheduledNight({ seed: 71, start: "2026-03-02T11:40:00Z" });
    const n = night;
    const subjects = SUBJECTS.slice(0, 3);
    const schedules: Schedule[] = [];
    for (const s of subjects) schedules.push(scheduleFor(s, await n.resolve(s)));
    const queue = countedQueue(() => n.now().getTime());
    const tick = async () => {
      const budget = subrequestBudget();
      const counted = createStore(countingBackend(d1Backend(DB), budget));
      return n.tick(cronTickDeps(n.tickDeps(counted, schedules), { store: counted, queue, budget }));
    };
    const consume = async (messages: ReturnType<SimulatedQueue["take"]>) =>
      (
        await consumeInvocation(messages, queue, d1Backend(DB), {
          providers: (budget) => n.countedProviders(budget),
          now: n.now(),
          log: createLogger({ level: "error", write: () => {} }),
          holder: `worker:${crypto.randomUUID()}`,
          concurrency: CONSUMER_CONCURRENCY,
        })
      ).report;

    await tick(); // first sight
    await consume(queue.take(n.now().getTime()));
    await n.advance((SLEEP_AT - n.now().getTime()) / 1000);
    expect((await tick()).operations.sent).toBe(subjects.length);
    const decisions = queue.take(n.now().getTime());
    expect(decisions).toHaveLength(subjects.length);
    // Each message twice in one batch, and the batch again in a second invocation at once.
    const doubled = [...decisions, ...decisions.map((m) => ({ ...m, id: `${m.id}-again` }))];
    const [a, b] = await Promise.all([
      consume(doubled),
      consume(decisions.map((m) => ({ ...m, id: `${m.id}-copy` }))),
    ]);
    expect([...a.retry, ...b.retry]).toEqual([]);
    expect([...a.created, ...b.created].sort()).toHaveLength(subjects.length);
    expect(new Set([...a.created, ...b.created]).size).toBe(subjects.length);
    // Run at once: the first steps were taken in the invocations that applied the decisions.
    expect(a.run.advanced + b.run.advanced).toBeGreaterThanOrEqual(subjects.length);

    const ops = await store.operations.list({}, n.now());
    expect(ops).toHaveLength(subjects.length);
    for (const op of ops) {
      const entries = await store.ledger.query({ operationId: op.id, limit: 1000 });
      expect(
        entries.filter((e) => e.kind === "sleep.scheduled"),
        op.id,
      ).toHaveLength(1);
      expect(op.version, op.id).toBeGreaterThan(1);
    }
    // The next minute's cron finds the decisions applied: nothing is sent again.
    await n.advance(60);
    expect((await tick()).operations.sent).toBeUndefined();
  }, 60_000);
});

describe("the savings summary's share of a cron invocation", () => {
  it("is at most CRON_SAVINGS_PAGES ledger pages, fewer when the invocation has spent more, keeping a reserve", () => {
    expect(cronSavingsPages(0)).toBe(CRON_SAVINGS_PAGES);
    expect(cronSavingsPages(WORKERS_SUBREQUEST_LIMIT - 60)).toBe(50);
    expect(cronSavingsPages(WORKERS_SUBREQUEST_LIMIT - 10)).toBe(0);
    expect(cronSavingsPages(WORKERS_SUBREQUEST_LIMIT + 5)).toBe(0);
  });
});
