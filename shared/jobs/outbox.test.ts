// The outbox of outcome events, end to end on the jobs runtime and the real EventBridge publisher
// (with a fake PutEvents client): recorded with the final write, published by a later tick after a
// "crash", only failed entries retried with back-off, the same event id on every attempt, given up
// after the max age, never lost to the sweep, and a publisher that reads only what is due.
import { beforeEach, describe, expect, it } from "vitest";
import { countingBackend } from "../../test/contract/store/counting-backend.ts";
import {
  createEventBridgePublisher,
  type OutcomeEvent as EventBridgeEvent,
  type EventPublisher,
  PutEventsCallError,
  type PutEventsOutput,
  type PutEventsRequestEntry,
} from "../events/eventbridge.ts";
import { createLogger } from "../log/logger.ts";
import type { Provider } from "../providers/port.ts";
import type { StoreBackend } from "../store/backend.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore, FINISHED_OPERATION_TTL_MS, type Operation, type Store } from "../store/store.ts";
import type { JobKind, OutcomeEvent } from "./job-kind.ts";
import { eventIdOf, OUTBOX_LEASE, OUTBOX_MAX_AGE_MS, publishOutbox } from "./outbox.ts";
import { runDueOperations } from "./runtime.ts";

const T0 = new Date("2026-03-02T22:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const DAY_S = 24 * 3600;

/**
 * One step, then done; `data.blob` goes into the event (to make one too large for EventBridge);
 * with `data.noted`, the step also makes a ledger entry.
 */
const ping: JobKind<Operation> = {
  name: "ping",
  kinds: ["ping"],
  priority: 0,
  deadlineMs: 3600_000,
  prepare: (op) => ({ step: "done", ctx: op }),
  steps: {
    done: {
      run: (op) => ({
        status: "succeeded",
        step: "done",
        data: op.data,
        ledger: op.data.noted
          ? [{ at: T0, operationId: op.id, target: op.target, kind: "ping.succeeded", detail: {} }]
          : [],
        event: {
          detailType: "nightshift.ping",
          detail: {
            kind: "ping",
            operationId: op.id,
            target: op.target,
            requested: "ping",
            outcome: "succeeded",
            taken: ["ping"],
            ...(op.data.blob ? { before: op.data.blob } : {}),
          },
        },
      }),
    },
  },
  fail: (op, _now, error) => ({ status: "failed", step: op.step, data: op.data, error, ledger: [] }),
};

const toEvent = (event: OutcomeEvent, time: Date): EventBridgeEvent => ({
  detailType: event.detailType,
  time,
  detail: {
    target: event.detail.target,
    requested: event.detail.requested,
    taken: event.detail.taken.join(", "),
    ...(event.detail.before !== undefined ? { before: event.detail.before } : {}),
    operationId: event.detail.operationId,
    outcome: event.detail.outcome,
  },
});

/** The bus: records each PutEvents call's entries; `failing` event ids get `code`, `down` refuses whole calls. */
interface Bus {
  calls: PutEventsRequestEntry[][];
  failing: Set<string>;
  code: string;
  down: boolean;
}

const detailOf = (entry: PutEventsRequestEntry) =>
  JSON.parse(entry.Detail!) as { eventId: string; operationId: string };

function eventBridge(bus: Bus): EventPublisher {
  return createEventBridgePublisher({
    client: {
      async putEvents(given): Promise<PutEventsOutput> {
        const entries = [...given];
        bus.calls.push(entries);
        if (bus.down) throw new PutEventsCallError("InternalFailure", "service unavailable", 500);
        const failed = entries.map((e) => bus.failing.has(detailOf(e).eventId));
        return {
          FailedEntryCount: failed.filter(Boolean).length,
          Entries: failed.map((f, i) =>
            f ? { ErrorCode: bus.code, ErrorMessage: `${bus.code} now` } : { EventId: `aws-${i}` },
          ),
        };
      },
    },
    sleep: async () => {},
    random: () => 0,
  });
}

let backend: StoreBackend;
let counted: ReturnType<typeof countingBackend>;
let store: Store;
let bus: Bus;
let lines: Array<{ level: string; msg: string; [field: string]: unknown }>;

beforeEach(() => {
  backend = memoryBackend();
  counted = countingBackend(backend);
  store = createStore(counted.backend);
  bus = { calls: [], failing: new Set(), code: "ThrottlingException", down: false };
  lines = [];
});

const log = () =>
  createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)), now: () => T0 });

/** Finishes `count` ping operations at `now` with the outbox on; their ids. */
async function finish(count: number, now = T0, data: Record<string, unknown> = {}, from = 0) {
  const ids = Array.from({ length: count }, (_, i) => `ping-${String(from + i).padStart(3, "0")}`);
  for (const [i, id] of ids.entries())
    await store.operations.create(
      { id, target: `acct/c${from + i}`, kind: "ping", step: "start", data: { account: "acct", ...data } },
      { now },
    );
  await runDueOperations({
    store,
    jobs: [ping],
    providers: () => ({}) as Provider,
    now,
    log: log(),
    holder: "worker-1",
    outbox: true,
  });
  return ids;
}

const tick = (now: Date, publisher: EventPublisher | undefined = eventBridge(bus)) =>
  publishOutbox({ store, publisher, toEvent, now, log: log(), holder: "worker-1" });

const sentIds = () => bus.calls.map((entries) => entries.map((e) => detailOf(e).operationId));
const entryOf = async (id: string, now = T0) => (await store.operations.get(id, now))!.outbox!;

describe("recording", () => {
  it("a crash right after the final write loses nothing: a later tick publishes the event", async () => {
    const [id] = await finish(1);
    // The process "crashed" here: nothing was published, yet the event is in the store, due.
    expect(bus.calls).toEqual([]);
    expect((await store.operations.outboxDue({ dueBy: T0 }, T0)).map((o) => o.id)).toEqual([id]);

    expect(await tick(at(60))).toEqual({ due: 1, sent: 1, failed: 0, undelivered: 0 });
    const [[entry]] = bus.calls as [[PutEventsRequestEntry]];
    expect(entry).toMatchObject({ Source: "nightshift", DetailType: "nightshift.ping", Time: T0 });
    expect(JSON.parse(entry.Detail!)).toEqual({
      eventId: await eventIdOf(id!, "nightshift.ping"),
      target: "acct/c0",
      requested: "ping",
      taken: "ping",
      operationId: id,
      outcome: "succeeded",
    });
    expect(await entryOf(id!)).toMatchObject({
      state: "published",
      attempts: 1,
      settledAt: at(60).toISOString(),
    });
    expect(await tick(at(120))).toEqual({ due: 0, sent: 0, failed: 0, undelivered: 0 });
    expect(bus.calls).toHaveLength(1);
  });

  it("a crash between the final write and its ledger entry: the tick appends the entry, then publishes", async () => {
    await store.operations.create(
      { id: "noted", target: "acct/c0", kind: "ping", step: "start", data: { account: "acct", noted: true } },
      { now: T0 },
    );
    const dying: Store = {
      ...store,
      ledger: {
        ...store.ledger,
        append: async () => {
          throw new Error("process killed");
        },
      },
    };
    const run = await runDueOperations({
      store: dying,
      jobs: [ping],
      providers: () => ({}) as Provider,
      now: T0,
      log: log(),
      holder: "worker-1",
      outbox: true,
    });
    expect(run.errors.map((e) => e.message)).toEqual(["process killed"]);
    // Finished, its entry pending: not in the outbox until the entry is appended.
    expect(await store.operations.outboxDue({ dueBy: T0 }, T0)).toEqual([]);
    expect(await store.ledger.query({ operationId: "noted" })).toEqual([]);

    expect(await tick(at(60))).toEqual({ due: 1, sent: 1, failed: 0, undelivered: 0 });
    expect((await store.ledger.query({ operationId: "noted" })).map((e) => e.kind)).toEqual([
      "ping.succeeded",
    ]);
    expect(await tick(at(120))).toEqual({ due: 0, sent: 0, failed: 0, undelivered: 0 });
    expect(await store.ledger.query({ operationId: "noted" })).toHaveLength(1);
  });

  it("event ids are stable per operation and event type, and differ between them", async () => {
    const id = await eventIdOf("sleep:nightly:c1:2026-03-02", "nightshift.sleep");
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await eventIdOf("sleep:nightly:c1:2026-03-02", "nightshift.sleep")).toBe(id);
    expect(await eventIdOf("sleep:nightly:c1:2026-03-03", "nightshift.sleep")).not.toBe(id);
    expect(await eventIdOf("sleep:nightly:c1:2026-03-02", "nightshift.wake")).not.toBe(id);
  });
});

describe("publishing", () => {
  it("sends batches of 10 and retries only the failed entries, on a later tick, after the back-off", async () => {
    const ids = await finish(12);
    bus.failing = new Set([
      await eventIdOf(ids[3]!, "nightshift.ping"),
      await eventIdOf(ids[11]!, "nightshift.ping"),
    ]);
    expect(await tick(T0)).toEqual({ due: 12, sent: 10, failed: 2, undelivered: 0 });
    // 10 + 2 entries, then the publisher's own 3 quick retries of the two throttled ones.
    expect(sentIds().map((c) => c.length)).toEqual([10, 2, 2, 2, 2]);
    expect(await entryOf(ids[3]!)).toMatchObject({
      state: "pending",
      attempts: 1,
      nextAttemptAt: at(30).toISOString(),
      lastError: { code: "ThrottlingException", message: "ThrottlingException now" },
    });
    expect(lines.find((l) => l.msg === "outcome events not delivered; retrying later")).toMatchObject({
      level: "warn",
      failed: 2,
      codes: ["ThrottlingException"],
      next: at(30).toISOString(),
    });

    bus.calls = [];
    bus.failing.clear();
    expect(await tick(at(29))).toMatchObject({ due: 0, sent: 0 });
    expect(await tick(at(30))).toEqual({ due: 2, sent: 2, failed: 0, undelivered: 0 });
    expect(sentIds()).toEqual([[ids[3], ids[11]]]);
    expect(await tick(at(3600))).toMatchObject({ due: 0, sent: 0 });
    expect(sentIds()).toHaveLength(1);
  });

  it("retries a bus refusing whole calls with back-off doubling from 30 s, the same event id each time", async () => {
    const [id] = await finish(1);
    bus.down = true;
    const times = [0, 30, 90, 210];
    for (const [i, t] of times.entries()) {
      expect(await tick(at(t))).toEqual({ due: 1, sent: 0, failed: 1, undelivered: 0 });
      expect(await entryOf(id!)).toMatchObject({
        attempts: i + 1,
        nextAttemptAt: at(t + 30 * 2 ** i).toISOString(),
        lastError: { code: "InternalFailure" },
      });
    }
    bus.down = false;
    expect(await tick(at(449))).toMatchObject({ due: 0 });
    expect(await tick(at(450))).toMatchObject({ sent: 1 });
    const eventIds = new Set(bus.calls.flat().map((e) => detailOf(e).eventId));
    expect(eventIds).toEqual(new Set([await eventIdOf(id!, "nightshift.ping")]));
    expect(await entryOf(id!)).toMatchObject({ state: "published", attempts: 5 });
    expect((await entryOf(id!)).lastError).toBeUndefined();
  });

  it("a crash between PutEvents and the mark sends the event again with the same id, then never again", async () => {
    const [id] = await finish(1);
    const real = eventBridge(bus);
    const crashing: EventPublisher = {
      async publish(events) {
        await real.publish(events);
        throw new Error("the process died before it could mark the event");
      },
    };
    expect(await tick(T0, crashing)).toMatchObject({ sent: 0, failed: 1 });
    expect(await tick(at(30))).toMatchObject({ sent: 1 });
    expect(await tick(at(3600))).toMatchObject({ due: 0, sent: 0 });
    const eventIds = bus.calls.flat().map((e) => detailOf(e).eventId);
    expect(eventIds).toEqual([
      await eventIdOf(id!, "nightshift.ping"),
      await eventIdOf(id!, "nightshift.ping"),
    ]);
  });

  it("one publisher at a time: while another holds the outbox lease, nothing is sent", async () => {
    const [id] = await finish(1);
    await store.leases.acquire(OUTBOX_LEASE, { holder: "worker-2", ttlMs: 120_000, now: T0 });
    expect(await tick(at(1))).toEqual({ due: 0, sent: 0, failed: 0, undelivered: 0, leaseHeld: true });
    expect(bus.calls).toEqual([]);
    expect(await tick(at(121))).toMatchObject({ sent: 1 });
    expect((await entryOf(id!)).state).toBe("published");
  });

  it("publishes at most `limit` entries per tick, earliest due first; the rest at the next tick", async () => {
    const ids = await finish(25);
    const limited = (now: Date) =>
      publishOutbox({ store, publisher: eventBridge(bus), toEvent, now, log: log(), holder: "w", limit: 20 });
    expect(await limited(T0)).toMatchObject({ due: 20, sent: 20 });
    expect(await limited(at(1))).toMatchObject({ due: 5, sent: 5 });
    expect(sentIds().flat()).toEqual(ids);
  });
});

describe("giving up", () => {
  it("after 7 days of failures: a ledger entry and an error line, out of the outbox, then expires", async () => {
    const [id] = await finish(1);
    bus.down = true;
    await tick(T0);
    const lastChance = OUTBOX_MAX_AGE_MS / 1000 - 60;
    expect(await tick(at(lastChance))).toMatchObject({ failed: 1, undelivered: 0 });
    expect(await tick(at(lastChance + 60))).toMatchObject({ failed: 0, undelivered: 1 });
    const entry = await entryOf(id!, at(lastChance + 60));
    expect(entry).toMatchObject({
      state: "undelivered",
      attempts: 3,
      lastError: { code: "InternalFailure" },
    });
    expect(entry.lastError!.message).toContain("given up 7 days after the event was recorded");
    expect(await store.ledger.query({ operationId: id! })).toEqual([
      expect.objectContaining({
        kind: "ping.event-undelivered",
        detail: expect.objectContaining({
          eventId: await eventIdOf(id!, "nightshift.ping"),
          attempts: 3,
          error: entry.lastError,
        }),
      }),
    ]);
    expect(lines.find((l) => l.level === "error")).toMatchObject({
      msg: "outcome event undelivered; given up",
      operation: id,
      code: "InternalFailure",
    });
    const calls = bus.calls.length;
    bus.down = false;
    expect(await tick(at(lastChance + 3600))).toMatchObject({ due: 0 });
    expect(bus.calls).toHaveLength(calls);
    const settled = Date.parse(entry.settledAt!);
    expect(await store.operations.get(id!, new Date(settled + FINISHED_OPERATION_TTL_MS - 1))).toBeDefined();
    expect(await store.operations.get(id!, new Date(settled + FINISHED_OPERATION_TTL_MS))).toBeUndefined();
  });

  it("an event EventBridge refuses for itself (too large) is given up at once, never sent", async () => {
    const [big] = await finish(1, T0, { blob: "x".repeat(300 * 1024) });
    const [small] = await finish(1, T0, {}, 1);
    expect(await tick(T0)).toEqual({ due: 2, sent: 1, failed: 0, undelivered: 1 });
    expect(sentIds()).toEqual([[small]]);
    expect(await entryOf(big!)).toMatchObject({ state: "undelivered", lastError: { code: "EntryTooLarge" } });
  });

  it("with no bus configured any more, due entries are given up on at once: nothing accumulates", async () => {
    const [id] = await finish(1);
    const noBus = await publishOutbox({
      store,
      publisher: undefined,
      toEvent,
      now: at(1),
      log: log(),
      holder: "w",
    });
    expect(noBus).toEqual({ due: 1, sent: 0, failed: 0, undelivered: 1 });
    expect(await entryOf(id!)).toMatchObject({
      state: "undelivered",
      attempts: 0,
      lastError: { code: "NoEventBus" },
    });
    expect((await store.ledger.query({ operationId: id! })).map((e) => e.kind)).toEqual([
      "ping.event-undelivered",
    ]);
    expect(await store.operations.outboxDue({ dueBy: at(DAY_S) }, at(1))).toEqual([]);
  });

  it("a publisher killed between giving up and its ledger entry: the next tick appends it, once", async () => {
    const [id] = await finish(1);
    const dying: Store = {
      ...store,
      ledger: {
        ...store.ledger,
        append: async () => {
          throw new Error("process killed");
        },
      },
    };
    const publish = (s: Store, now: Date) =>
      publishOutbox({ store: s, publisher: undefined, toEvent, now, log: log(), holder: "w" });
    await expect(publish(dying, at(1))).rejects.toThrow("process killed");
    // Given up on, its entry recorded in the same write, not yet in the ledger.
    expect(await entryOf(id!)).toMatchObject({ state: "undelivered" });
    expect(await store.ledger.query({ operationId: id! })).toEqual([]);
    // The dead publisher's lease lapses; the next tick appends the entry, and no tick after it again.
    await publish(store, at(600));
    await publish(store, at(1200));
    expect((await store.ledger.query({ operationId: id! })).map((e) => [e.kind, e.at])).toEqual([
      ["ping.event-undelivered", at(1)],
    ]);
  });
});

describe("the sweep and the history", () => {
  it("an unpublished event outlives the 30-day expiry of finished operations until it is published", async () => {
    const [id] = await finish(1);
    const later = at(31 * DAY_S);
    await store.sweep(later);
    expect((await store.operations.outboxDue({ dueBy: later }, later)).map((o) => o.id)).toEqual([id]);
    expect(await tick(later)).toMatchObject({ sent: 1 });
    // Published: from now on it expires like any finished operation.
    expect(
      await store.operations.get(id!, new Date(later.getTime() + FINISHED_OPERATION_TTL_MS)),
    ).toBeUndefined();
  });

  it("reads only what is due: the cost does not grow with published history or entries not yet due", async () => {
    const cost = async (now: Date) => {
      counted.reset();
      const report = await tick(now);
      return { report, reads: counted.counts.reads, rows: counted.counts.rows };
    };
    // Nothing due: one read of nothing in each index (pending ledger entries, the outbox).
    expect(await cost(T0)).toEqual({
      report: { due: 0, sent: 0, failed: 0, undelivered: 0 },
      reads: 2,
      rows: 0,
    });

    await finish(5, at(10), {}, 0);
    const small = await cost(at(10));
    expect(small.report).toMatchObject({ due: 5, sent: 5 });

    // 300 more published, and 50 failing ones waiting out their back-off.
    await finish(300, at(20), {}, 100);
    for (const sent of [100, 100, 100]) expect((await cost(at(20))).report.sent).toBe(sent);
    bus.down = true;
    await finish(50, at(30), {}, 500);
    await cost(at(30));
    bus.down = false;
    expect(await cost(at(40))).toEqual({
      report: { due: 0, sent: 0, failed: 0, undelivered: 0 },
      reads: 2,
      rows: 0,
    });
    await finish(5, at(50), {}, 1000);
    expect(await cost(at(50))).toEqual(small);
  });
});
