// A schedule paused through the admin API and the Worker's cron, inside workerd over the real local
// D1: the cron reads the pauses in one D1 query per invocation (not one per target), defers the
// paused schedule's sleeps and sends nothing for them; once resumed, the next cron sends the sleeps.
import { describe, expect, it } from "vitest";
import { countingBackend, subrequestBudget } from "../shared/jobs/budget.ts";
import { CONSUMER_CONCURRENCY, type QueueMessage } from "../shared/jobs/dispatch.ts";
import { createLogger } from "../shared/log/logger.ts";
import type { Target } from "../shared/providers/inventory.ts";
import type { StoreBackend } from "../shared/store/backend.ts";
import { d1Backend } from "../shared/store/d1.workers.ts";
import { createStore } from "../shared/store/store.ts";
import { consumeInvocation, SimulatedQueue } from "../test/contract/queue-model.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { testTarget } from "../test/fixtures/target.ts";
import { DB, emptiedD1 } from "../test/setup/d1.workers.ts";
import { createApp } from "./app.ts";
import { cronTickDeps } from "./cron.ts";
import { runTick, type TickDeps } from "./tick.ts";

const SLEEP_AT = Date.parse("2026-03-02T12:00:00Z"); // Monday 20:00 in Shanghai
const CLUSTERS = 120;
const TOKEN = "cron-pause-admin-token-0123456789abcdef";
const log = createLogger({ level: "error", write: () => {} });

const schedule = testSchedule({
  name: "night",
  targets: [{ tags: { night: "yes" } }],
  rules: [{ to: "asleep", days: ["mon"], at: "20:00" }],
});
const targets: Target[] = Array.from({ length: CLUSTERS }, (_, i) =>
  testTarget({ targetId: `hw-${i % 5}/c${i}`, account: `hw-${i % 5}`, id: `c${i}`, tags: { night: "yes" } }),
);

/** `inner`, counting its `list` calls per namespace. */
function listCounting(inner: StoreBackend, lists: Map<string, number>): StoreBackend {
  return Object.assign(Object.create(inner), {
    list: (namespace: string, ...rest: [{ prefix?: string; limit?: number }, Date]) => {
      lists.set(namespace, (lists.get(namespace) ?? 0) + 1);
      return inner.list(namespace, ...rest);
    },
  });
}

describe("a paused schedule and the Worker's cron", () => {
  it("defers its sleeps with one pause read per invocation, and sends them once resumed", async () => {
    await emptiedD1();
    let now = SLEEP_AT - 60_000;
    const queue = new SimulatedQueue(() => now);
    const lists = new Map<string, number>();
    const base: TickDeps = {
      store: createStore(d1Backend(DB)),
      log,
      schedules: [schedule],
      calendars: new Map(),
      inventory: async () => ({ targets, errors: [] }),
      providerFor: () => undefined,
      holder: "worker:cron-pause-test",
    };
    const cron = async () => {
      lists.clear();
      const budget = subrequestBudget();
      const store = createStore(countingBackend(listCounting(d1Backend(DB), lists), budget));
      const report = await runTick({
        now: new Date(now),
        trigger: "cron",
        deps: cronTickDeps(base, { store, queue, budget }),
      });
      return { report, spent: budget.spent };
    };
    const consume = async () => {
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
    const admin = (verb: "pause" | "resume", body: object) =>
      createApp({
        host: "workers",
        log,
        now: () => new Date(now),
        adminToken: TOKEN,
        inventory: async () => ({ targets, errors: [] }),
        store: createStore(d1Backend(DB)),
        schedules: [schedule],
        calendars: new Map(),
      }).request(`/api/schedules/night/${verb}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });

    // First sight, applied by the consumers.
    expect((await cron()).report.errors).toEqual([]);
    await consume();

    const paused = await admin("pause", { reason: "load test tonight" });
    expect(paused.status).toBe(200);

    // 20:00: every sleep deferred, nothing sent, the pauses read once.
    now = SLEEP_AT;
    const night = await cron();
    expect(night.report.errors).toEqual([]);
    expect(lists.get("schedule-pause")).toBe(1);
    expect(new Set(night.report.decisions.map((d) => `${d.kind}:${d.reason}`))).toEqual(
      new Set(["defer:paused"]),
    );
    expect(night.report.decisions).toHaveLength(CLUSTERS);
    expect(night.report.operations.sent).toBeUndefined();
    expect(queue.waiting).toEqual([]);
    // Its few store queries (5 when written), whatever the fleet's size.
    expect(night.spent).toBeLessThan(10);

    // Resumed at 20:05: the next cron sends every sleep (one send per 100).
    now = SLEEP_AT + 5 * 60_000;
    expect((await admin("resume", {})).status).toBe(200);
    now += 60_000;
    const resumed = await cron();
    expect(lists.get("schedule-pause")).toBe(1);
    expect(resumed.report.operations.sent).toBe(CLUSTERS);
    const writes = queue.waiting.map((m) => (m.body as QueueMessage & { writes?: unknown[] }).writes ?? []);
    expect(writes.flat()).toHaveLength(CLUSTERS);
  }, 120_000);
});
