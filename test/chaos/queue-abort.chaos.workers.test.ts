// Chaos on the Workers host (inside workerd, over the real local D1): the queue consumer dies
// mid-batch. A night (every provider of the contract night: Huawei full / control-plane / nodes,
// ACK nodes, Baidu nodes) runs as the Worker runs it: the cron decides and sends, queue consumer
// invocations (queue-model.ts, the Worker's consumer with its budget) take the steps, the cron
// publishes the outbox to a bus (bus.ts).
//
// The abort: by the scenario's dice, an invocation dies after k operation writes (k drawn per
// batch): the write that would have been the (k+1)-th throws, and so does everything after it, its
// queue sends included, as when an isolate is evicted or the handler throws. The queue then
// redelivers the whole batch (Cloudflare retries a batch whose handler threw). At most
// MAX_ABORTS_PER_MESSAGE deliveries of one message are aborted, so none is dead-lettered.
//
// The proof: the same night without aborts (same sandbox seed, same clock) is the reference. The
// aborted night's cloud-changing calls, per call, equal the reference's, plus at most one repeat
// per abort that caught that call in flight (kill-support.ts); every operation succeeded; every
// cluster is back where the reference left it; the ledger holds each action once; every outcome
// event is published exactly once.
import { describe, expect } from "vitest";
import { cronTickDeps } from "../../functions/cron.ts";
import { countingBackend, subrequestBudget } from "../../shared/jobs/budget.ts";
import { CONSUMER_CONCURRENCY } from "../../shared/jobs/dispatch.ts";
import { eventIdOf } from "../../shared/jobs/outbox.ts";
import { createLogger } from "../../shared/log/logger.ts";
import type { LoggedRequest } from "../../shared/sandbox/cloud.ts";
import type { Schedule } from "../../shared/schedule/types.ts";
import type { StoreBackend } from "../../shared/store/backend.ts";
import { d1Backend } from "../../shared/store/d1.workers.ts";
import { createStore, FINISHED, type Operation } from "../../shared/store/store.ts";
import {
  type ResolvedCluster,
  SUBJECTS,
  scheduleFor,
  startScheduledNight,
} from "../contract/night-harness.ts";
import { consumeInvocation, type QueuedMessage, SimulatedQueue } from "../contract/queue-model.ts";
import { DB, emptiedD1 } from "../setup/d1.workers.ts";
import { flakyBus } from "./bus.ts";
import { CLOUDS, chaosIt, formatFigures, type Scenario } from "./chaos.ts";
import { account, between, type CloudCall, inFlightAtKill, type KillRecord } from "./kill-support.ts";

const START = "2026-03-02T11:40:00Z"; // Monday 19:40 in Shanghai
const SLEEP_AT = Date.parse("2026-03-02T12:00:00Z"); // 20:00
const WAKE_AT = Date.parse("2026-03-03T00:00:00Z"); // Tuesday 08:00
const ABORT_RATE = 0.5;
const MAX_ABORTS_PER_MESSAGE = 2;
const MAX_ROUNDS = 3_000;

class InvocationAborted extends Error {
  constructor() {
    super("the consumer invocation died mid-batch (chaos)");
  }
}

interface NightRun {
  mutations: CloudCall[];
  operations: Operation[];
  ledgerKinds: Map<string, string[]>;
  shapes: unknown;
  aborts: KillRecord[];
  invocations: number;
  redelivered: number;
  inFlight: number;
  duplicates: string[];
  accepted: string[];
  expectedEvents: string[];
}

/** The sandbox's cloud-changing calls, every cloud, as one list keyed by cloud. */
async function cloudMutations(sb: {
  inspect(cloud: string, method: string, path: string): Promise<unknown>;
}) {
  const calls: CloudCall[] = [];
  for (const cloud of CLOUDS) {
    const { requests } = (await sb.inspect(cloud, "GET", "requests")) as { requests: LoggedRequest[] };
    for (const r of requests) if (r.method !== "GET") calls.push({ ...r, seq: r.seq, cloud });
  }
  return calls;
}

/** What a call does to what: cloud, method, path and the RPC action (no signature parameters). */
function keyOf(call: CloudCall): string {
  const action = new URLSearchParams(call.query ?? "").get("Action");
  return `${call.cloud} ${call.method} ${call.path}${action ? ` ${action}` : ""}`;
}
/** The cluster a call changes (its path names it), else the call itself. */
const targetOfKey = (key: string) => /\/clusters?\/([^/ ]+)/.exec(key)?.[1] ?? key;

/** One night, aborted by `abortAfter` (writes before the abort; undefined: the invocation lives). */
async function night(
  sandboxSeed: number,
  abortAfter: ((batch: readonly QueuedMessage[]) => number | undefined) | undefined,
): Promise<NightRun> {
  await emptiedD1();
  const n = await startScheduledNight({ seed: sandboxSeed, start: START });
  try {
    const store = createStore(d1Backend(DB));
    const schedules: Schedule[] = [];
    const clusters: ResolvedCluster[] = [];
    for (const s of SUBJECTS) {
      const cluster = await n.resolve(s);
      clusters.push(cluster);
      schedules.push(scheduleFor(s, cluster));
    }
    const queue = new SimulatedQueue(() => n.now().getTime());
    // A bus that accepts everything: this scenario's faults are the consumer's.
    const bus = flakyBus(() => 1, { call: 0, entry: 0 });
    const log = createLogger({ level: "error", write: () => {} });
    const tick = async () => {
      const budget = subrequestBudget();
      const counted = createStore(countingBackend(d1Backend(DB), budget));
      return n.tick(
        cronTickDeps(n.tickDeps(counted, schedules, { events: bus.publisher }), {
          store: counted,
          queue,
          budget,
        }),
      );
    };
    const aborts: KillRecord[] = [];
    const abortsOf = new Map<string, number>();
    let invocations = 0;
    let redelivered = 0;
    let inFlight = 0;
    const consume = async (batch: QueuedMessage[]) => {
      invocations++;
      const allowed = batch.every((m) => (abortsOf.get(m.id) ?? 0) < MAX_ABORTS_PER_MESSAGE);
      const k = allowed ? abortAfter?.(batch) : undefined;
      const before = await cloudMutations(n.sb);
      const dying = k === undefined ? undefined : { writesLeft: k, dead: false };
      const backend = dying ? abortingBackend(d1Backend(DB), dying) : d1Backend(DB);
      const target = dying ? abortingQueue(queue, dying) : queue;
      try {
        const { report } = await consumeInvocation(batch, target, backend, {
          providers: (budget) => n.countedProviders(budget),
          now: n.now(),
          log,
          holder: `worker:${crypto.randomUUID()}`,
          concurrency: CONSUMER_CONCURRENCY,
          outbox: true,
        });
        if (dying?.dead) throw new InvocationAborted();
        queue.settle(batch, new Set(report.retry), n.now().getTime());
      } catch (error) {
        if (!(error instanceof InvocationAborted)) throw error;
        // The handler threw: the whole batch comes back.
        for (const m of batch) abortsOf.set(m.id, (abortsOf.get(m.id) ?? 0) + 1);
        redelivered += batch.length;
        const after = await cloudMutations(n.sb);
        // Per cloud the seqs are its own: the calls made during this invocation are those not in `before`.
        const made = after.filter((c) => !before.some((b) => b.cloud === c.cloud && b.seq === c.seq));
        const record = { inFlight: inFlightAtKill(made, -1, keyOf, targetOfKey) };
        aborts.push(record);
        if (record.inFlight.length > 0) inFlight++;
        queue.settle(batch, new Set(batch.map((m) => m.id)), n.now().getTime());
      }
    };
    const drain = async () => {
      for (let batch = queue.take(n.now().getTime()); batch.length > 0; batch = queue.take(n.now().getTime()))
        await consume(batch);
    };

    await tick(); // first sight
    await drain();
    await n.advance((SLEEP_AT - n.now().getTime()) / 1000);
    let operations: Operation[] = [];
    for (let round = 0; ; round++) {
      if (round >= MAX_ROUNDS)
        throw new Error(
          `the night did not end in ${MAX_ROUNDS} rounds: ${JSON.stringify(operations.map((op) => [op.target, op.kind, op.status, op.step]))}`,
        );
      await tick();
      await drain();
      operations = await store.operations.list({}, n.now());
      const pending = await store.operations.outboxDue({ dueBy: new Date(8.64e15), limit: 1 }, n.now());
      const settled = operations.every((op) => FINISHED.includes(op.status) && !op.ledgerPending?.length);
      if (n.now().getTime() >= WAKE_AT && settled && pending.length === 0 && queue.waiting.length === 0)
        break;
      // To the next delivery or the next cron minute; idle between the halves: on to the wake.
      const nextMinute = (Math.floor(n.now().getTime() / 60_000) + 1) * 60_000;
      const idle =
        settled && queue.waiting.length === 0 && pending.length === 0 && n.now().getTime() < WAKE_AT;
      const to = idle ? WAKE_AT : Math.min(queue.nextDelivery ?? nextMinute, nextMinute);
      if (to > n.now().getTime()) await n.advance((to - n.now().getTime()) / 1000);
    }

    const ledgerKinds = new Map<string, string[]>();
    for (const op of operations) {
      ledgerKinds.set(
        `${op.target} ${op.kind}`,
        (await store.ledger.query({ operationId: op.id, limit: 1000 })).map((e) => e.kind).sort(),
      );
    }
    // The last operation succeeds once the cloud accepted its change; the cloud may still be
    // applying it (a pool "updating" after its autoscaler came back). Both nights end at different
    // times, so let the cloud settle before comparing what it shows.
    await n.advance(15 * 60);
    const shapes = await Promise.all(
      clusters.map(async (c) => ({
        cluster: c.targetId,
        phase: (await c.provider.getCluster(c.clusterId)).vendorPhase,
        pools: (await c.provider.listNodePools(c.clusterId)).map((p) => JSON.stringify(p)).sort(),
      })),
    );
    return {
      mutations: await cloudMutations(n.sb),
      operations,
      ledgerKinds,
      shapes,
      aborts,
      invocations,
      redelivered,
      inFlight,
      duplicates: bus.duplicates(),
      accepted: bus.accepted.map((e) => e.eventId).sort(),
      expectedEvents: (
        await Promise.all(
          operations.map((op) => (op.outbox ? eventIdOf(op.id, op.outbox.event.detailType) : "none")),
        )
      ).sort(),
    };
  } finally {
    await n.stop();
  }
}

/** The backend of an invocation that dies at its (k+1)-th operation write: that call and every later one throw. */
function abortingBackend(backend: StoreBackend, dying: { writesLeft: number; dead: boolean }): StoreBackend {
  const check = () => {
    if (dying.dead) throw new InvocationAborted();
  };
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || key === "close") return value;
      return (...args: unknown[]) => {
        check();
        if (key === "put" && args[0] === "op") {
          if (dying.writesLeft === 0) {
            dying.dead = true;
            throw new InvocationAborted();
          }
          dying.writesLeft--;
        }
        return value.apply(target, args);
      };
    },
  });
}

/** The queue as a dying invocation sees it: nothing is sent once it is dead. */
function abortingQueue(queue: SimulatedQueue, dying: { dead: boolean }) {
  return {
    sendBatch: async (messages: Parameters<SimulatedQueue["sendBatch"]>[0]) => {
      if (dying.dead) throw new InvocationAborted();
      await queue.sendBatch(messages);
    },
  };
}

describe("chaos: a queue consumer failing mid-batch on Workers", () => {
  chaosIt(
    "queue-abort: invocations die after k of their writes and the queue redelivers; nothing done twice, nothing lost",
    async ({ seed, random, startedAt }: Scenario) => {
      const reference = await night(seed, undefined);
      const chaotic = await night(seed, (batch) =>
        random() < ABORT_RATE ? between(random, 0, 2 * batch.length) : undefined,
      );
      const expected = new Map<string, number>();
      for (const call of reference.mutations) expected.set(keyOf(call), (expected.get(keyOf(call)) ?? 0) + 1);
      const accounting = account(chaotic.mutations, keyOf, expected, chaotic.aborts);
      console.log(
        formatFigures({
          scenario: "queue-abort",
          targets: SUBJECTS.length,
          cloudCalls: chaotic.mutations.length,
          faults: {},
          retries: accounting.repeats,
          ms: performance.now() - startedAt,
          extra: {
            invocations: chaotic.invocations,
            aborts: chaotic.aborts.length,
            "aborts with a step in flight": chaotic.inFlight,
            "messages redelivered": chaotic.redelivered,
            repeats: accounting.repeats,
            events: chaotic.accepted.length,
          },
        }),
      );
      expect(chaotic.aborts.length, "the dice aborted some invocations").toBeGreaterThan(0);
      // The cloud's record against the night without aborts.
      expect(accounting.lost, "changes never made").toEqual([]);
      expect(accounting.unexplained, "changes repeated beyond the aborts that caught them").toEqual([]);
      expect(accounting.unexpected, "changes the reference night never made").toEqual([]);
      // Every operation succeeded, the ledger holds each action once, the clusters end alike.
      const summary = (run: NightRun) =>
        run.operations.map((op) => `${op.target} ${op.kind} ${op.status}`).sort();
      expect(summary(chaotic)).toEqual(summary(reference));
      expect(summary(chaotic).every((line) => line.endsWith(" succeeded"))).toBe(true);
      expect(summary(chaotic)).toHaveLength(2 * SUBJECTS.length);
      expect(Object.fromEntries(chaotic.ledgerKinds)).toEqual(Object.fromEntries(reference.ledgerKinds));
      expect(chaotic.shapes).toEqual(reference.shapes);
      // Every outcome event published, exactly once.
      expect(chaotic.duplicates).toEqual([]);
      expect(chaotic.accepted).toEqual(chaotic.expectedEvents);
      expect(chaotic.accepted).toHaveLength(2 * SUBJECTS.length);
    },
    120_000,
  );
});
