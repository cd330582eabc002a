// The Worker's queue side inside workerd over the real local D1: a message that keeps failing goes
// to the dead-letter queue and from there into the ledger and GET /api/operations; duplicated
// messages (in one batch and in concurrent invocations) never repeat a step; an invocation stops
// taking steps before its subrequest budget runs out and hands the rest on.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { STEP_SUBREQUESTS_MAX } from "../shared/jobs/budget.ts";
import {
  AFTER_STEPS_RESERVE,
  type ConsumeReport,
  DEAD_LETTER_QUEUE,
  dispatchDue,
  OPERATIONS_QUEUE,
  type OperationMessage,
} from "../shared/jobs/dispatch.ts";
import type { OutcomeEvent } from "../shared/jobs/job-kind.ts";
import { d1Backend } from "../shared/store/d1.workers.ts";
import { createStore, type Store } from "../shared/store/store.ts";
import {
  type ResolvedCluster,
  type ScheduledNight,
  SUBJECTS,
  scheduleFor,
  startScheduledNight,
} from "../test/contract/night-harness.ts";
import {
  consumeInvocation,
  type QueuedMessage,
  SimulatedQueue,
  WRANGLER_CONSUMER,
} from "../test/contract/queue-model.ts";
import { DB, emptiedD1 } from "../test/setup/d1.workers.ts";
import { JOBS } from "./jobs.ts";
import type { TickDeps } from "./tick.ts";
import { createWorker } from "./worker.workers.ts";

const START = "2026-03-02T11:40:00Z"; // Monday 19:40 in Shanghai
const SLEEP_AT = Date.parse("2026-03-02T12:00:00Z");
const ADMIN_TOKEN = "queue-test-admin-token-0123456789abcdef";

async function emptiedStore(): Promise<Store> {
  return createStore(d1Backend(await emptiedD1()));
}

describe("the dead-letter queue", () => {
  // The Worker logs to the console: its error lines are this test's subject, not output.
  beforeEach(() => void vi.spyOn(console, "log").mockImplementation(() => {}));
  afterEach(() => vi.restoreAllMocks());

  it("a message that fails every retry is dead-lettered once however often delivered, and its operation shows it", async () => {
    const store = await emptiedStore();
    const now = new Date(SLEEP_AT);
    const op = {
      id: "night:asleep@acc/c1",
      target: "acc/c1",
      kind: "sleep",
      step: "start",
      data: { account: "acc" },
    };
    await store.operations.create(op, { now });
    const worker = createWorker({ now: () => now });
    const queue = new SimulatedQueue(() => now.getTime());
    await queue.sendBatch([{ body: { operationId: op.id, target: op.target } }]);
    // D1 unreachable: every delivery fails and the consumer asks for the batch again.
    const broken = {
      ...env,
      DB: {
        prepare() {
          throw new Error("D1_ERROR: network connection lost");
        },
        batch() {
          throw new Error("D1_ERROR: network connection lost");
        },
      },
    };
    let deliveries = 0;
    for (let batch = queue.take(now.getTime()); batch.length > 0; batch = queue.take(now.getTime())) {
      const messages = createMessageBatch(OPERATIONS_QUEUE, batch);
      const ctx = createExecutionContext();
      await worker.queue(messages as never, broken, ctx as never);
      const result = await getQueueResult(messages, ctx);
      expect(result.retryBatch.retry).toBe(true);
      queue.settle(batch, new Set(batch.map((m) => m.id)), now.getTime());
      deliveries++;
    }
    expect(deliveries).toBe(WRANGLER_CONSUMER.maxRetries + 1);
    expect(queue.deadLetters.map((m) => (m.body as OperationMessage).operationId)).toEqual([op.id]);

    const good = { ...env, NIGHTSHIFT_ADMIN_TOKEN: ADMIN_TOKEN };
    // Delivered twice (at least once: a consumer that died before its ack gets the batch again).
    for (let delivery = 0; delivery < 2; delivery++) {
      const dead = createMessageBatch(DEAD_LETTER_QUEUE, queue.deadLetters);
      const ctx = createExecutionContext();
      await worker.queue(dead as never, good, ctx as never);
      expect((await getQueueResult(dead, ctx)).retryBatch.retry).toBe(false);
    }

    const entries = await store.ledger.query({ operationId: op.id });
    expect(entries).toEqual([
      expect.objectContaining({
        kind: "dead-letter",
        target: op.target,
        detail: { message: queue.deadLetters[0]!.id, queue: DEAD_LETTER_QUEUE },
      }),
    ]);
    const response = await worker.fetch(
      new Request("https://nightshift.test/api/operations", {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }),
      good,
    );
    expect(response.status).toBe(200);
    const { operations } = (await response.json()) as { operations: Array<Record<string, unknown>> };
    expect(operations).toEqual([
      expect.objectContaining({
        id: op.id,
        status: "pending",
        error: expect.objectContaining({ kind: "dead-letter" }),
      }),
    ]);
  });

  it("a body that is no operation message is retried, then recorded naming what was wrong", async () => {
    const store = await emptiedStore();
    const now = new Date(SLEEP_AT);
    const worker = createWorker({ now: () => now });
    const bad = [{ id: "bad-1", timestamp: now, attempts: 1, body: { hello: "world" } }];
    const messages = createMessageBatch(OPERATIONS_QUEUE, bad);
    const ctx = createExecutionContext();
    await worker.queue(messages as never, { ...env }, ctx as never);
    expect((await getQueueResult(messages, ctx)).retryMessages).toEqual([{ msgId: "bad-1" }]);
    const dead = createMessageBatch(DEAD_LETTER_QUEUE, bad);
    const dctx = createExecutionContext();
    await worker.queue(dead as never, { ...env }, dctx as never);
    await getQueueResult(dead, dctx);
    const [entry] = await store.ledger.query({ operationId: "unknown" });
    expect(entry).toMatchObject({ kind: "dead-letter", detail: { message: "bad-1" } });
    expect(String(entry!.detail.invalid)).toContain('expected {"operationId"');
  });
});

describe("consumers over the sandbox night", () => {
  let night: ScheduledNight | undefined;
  afterEach(async () => {
    await night?.stop();
    night = undefined;
  });

  /** The night at 20:00: the sleeps created and dispatched to `queue`. */
  async function sleepsDispatched(seed: number, subjects = SUBJECTS) {
    const store = await emptiedStore();
    night = await startScheduledNight({ seed, start: START });
    const n = night;
    const clusters = new Map<string, ResolvedCluster>();
    for (const s of subjects) clusters.set(s.schedule, await n.resolve(s));
    const queue = new SimulatedQueue(() => n.now().getTime());
    const deps: TickDeps = {
      ...n.tickDeps(
        store,
        subjects.map((s) => scheduleFor(s, clusters.get(s.schedule)!)),
      ),
      dispatch: (at, created) => dispatchDue({ store, queue, jobs: JOBS, now: at, created }),
    };
    await n.tick(deps); // first sight
    await n.advance((SLEEP_AT - n.now().getTime()) / 1000);
    expect((await n.tick(deps)).operations.dispatched).toBe(subjects.length);
    const consume = (messages: readonly QueuedMessage[], limit?: number, concurrency = 6) =>
      consumeInvocation(messages, queue, d1Backend(DB), {
        providers: (budget) => n.countedProviders(budget),
        now: n.now(),
        log: deps.log,
        holder: `worker:${crypto.randomUUID()}`,
        concurrency,
        ...(limit !== undefined ? { limit } : {}),
      }).then(({ report, budget }) => ({ report, spent: budget.spent }));
    /** Moves the clock to the next delivery; false when nothing is left to deliver. */
    const nextDelivery = async () => {
      const at = queue.nextDelivery;
      if (at === undefined) return false;
      if (at > n.now().getTime()) await n.advance((at - n.now().getTime()) / 1000);
      return true;
    };
    return { store, queue, clusters, consume, nextDelivery, night: n };
  }

  it("a duplicated message never repeats a step, in one batch or in two invocations at once", async () => {
    const subject = SUBJECTS.find((s) => s.schedule === "huawei-full")!;
    const { store, queue, clusters, consume, nextDelivery, night: n } = await sleepsDispatched(61, [subject]);
    // Every message the queue carries is doubled from here on (at-least-once delivery).
    const send = queue.sendBatch.bind(queue);
    queue.sendBatch = (messages) => {
      const list = [...messages];
      return send([...list, ...list]);
    };
    await send(queue.waiting.map((m) => ({ body: m.body })));
    const reports: Array<ConsumeReport<OutcomeEvent>> = [];
    let sameBatch = 0;
    for (let round = 0; round < 400 && (await nextDelivery()); round++) {
      const batch = queue.take(n.now().getTime());
      if (new Set(batch.map((m) => (m.body as OperationMessage).operationId)).size < batch.length)
        sameBatch++;
      // The batch, and a copy of it delivered to a second invocation at the same time.
      const [a, b] = await Promise.all([
        consume(batch),
        consume(batch.map((m) => ({ ...m, id: `${m.id}-copy` }))),
      ]);
      reports.push(a.report, b.report);
      queue.settle(batch, new Set(), n.now().getTime());
    }
    const [op] = await store.operations.list({}, n.now());
    expect(op).toMatchObject({ kind: "sleep", status: "succeeded" });
    expect(sameBatch).toBeGreaterThan(0);
    // Every step was one compare-and-set write (version 1 at creation), plus, for a step with
    // ledger entries that ended its chain, one that clears them once appended (a chained step's
    // write clears its predecessor's); duplicates ran none, and no entry is stored twice.
    const entries = await store.ledger.query({ operationId: op!.id, limit: 1000 });
    const stepsWithEntries = new Set(entries.flatMap((e) => (e.key ? [e.key.replace(/:\d+$/, "")] : [])))
      .size;
    expect(new Set(entries.map((e) => e.key)).size).toBe(entries.length);
    const advanced = reports.reduce((sum, r) => sum + r.run.advanced, 0);
    const clears = op!.version - 1 - advanced;
    expect(clears).toBeGreaterThan(0);
    expect(clears).toBeLessThan(stepsWithEntries);
    expect(reports.some((r) => r.run.skipped.length > 0)).toBe(true);
    const kinds = entries.map((e) => e.kind);
    const cluster = clusters.get(subject.schedule)!;
    const pools = (await cluster.provider.listNodePools(cluster.clusterId)).length;
    expect(kinds.filter((k) => k === "sleep.scale-pool")).toHaveLength(pools);
    expect(kinds.filter((k) => k === "sleep.hibernate")).toHaveLength(1);
    expect(kinds.filter((k) => k === "sleep.succeeded")).toHaveLength(1);
  }, 60_000);

  it("an invocation stops taking steps before its subrequest budget runs out, and hands the rest on", async () => {
    const LIMIT = 100;
    const { store, queue, consume, nextDelivery, night: n } = await sleepsDispatched(62);
    const first = queue.take(n.now().getTime());
    expect(first).toHaveLength(SUBJECTS.length);
    const { report, spent } = await consume(first, LIMIT, 1);
    expect(report.run.errors).toEqual([]);
    expect(report.run.advanced).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(LIMIT);
    // It stopped because one more step might not have fitted, not earlier.
    expect(spent + STEP_SUBREQUESTS_MAX + AFTER_STEPS_RESERVE).toBeGreaterThan(LIMIT);
    // What it did not get to is sent again at once, for another invocation.
    const now = n.now().getTime();
    const handedOn = queue.waiting
      .filter((m) => m.deliverAt === now)
      .map((m) => (m.body as OperationMessage).operationId);
    expect(handedOn.length).toBeGreaterThan(0);
    const ready = await store.operations.list({ status: ["pending", "running"] }, n.now());
    expect(ready.length).toBeGreaterThan(0);
    for (const op of ready) expect(handedOn, op.id).toContain(op.id);

    // Fresh invocations under the same small budget finish the night's sleeps.
    const spentPerInvocation: number[] = [];
    for (let round = 0; round < 2000 && (await nextDelivery()); round++) {
      const batch = queue.take(n.now().getTime());
      const next = await consume(batch, LIMIT, 1);
      expect(next.report.run.errors).toEqual([]);
      spentPerInvocation.push(next.spent);
      queue.settle(batch, new Set(next.report.retry), n.now().getTime());
    }
    const sleeps = await store.operations.list({}, n.now());
    expect(sleeps.map((o) => o.status)).toEqual(SUBJECTS.map(() => "succeeded"));
    expect(Math.max(...spentPerInvocation)).toBeLessThanOrEqual(LIMIT);
  }, 60_000);
});
