// The outbox of outcome events: published at least once, never lost to a crash or a failing bus.
//
// Recording: with `outbox: true`, the jobs runtime writes a finished operation's outcome event
// (`outboxEntryFor`) in the SAME compare-and-set write that finishes the operation, so there is no
// moment when the operation is finished and its event not recorded. While the event is pending, the
// store keeps the operation in its "outbox" index at the event's due time and never expires it
// (store.ts), so the 30-day sweep cannot lose it.
//
// Publishing (`publishOutbox`, every tick, after the operations advance):
//   - first appends the ledger entries a crashed worker left pending in finished operations
//     (ledger-pending.ts): such an operation enters the outbox index only once they are appended;
//   - reads only what is due: the outbox index up to now, at most `limit` entries, never the history;
//   - one publisher at a time (the store lease "outbox"): overlapping ticks do not send twice;
//   - sends them in PutEvents batches of 10 (eventbridge.ts, with its short in-call retries);
//   - marks each published entry "published" (the operation then expires 30 days later);
//   - keeps each failed entry (the whole call refused, or its own ErrorCode) pending, alone, due
//     again after a back-off of 30 s doubling to 30 min (backoff.ts), with its attempts, next
//     attempt and last error in the record;
//   - gives an entry up ("undelivered": a ledger entry `<kind>.event-undelivered` and an error log)
//     when EventBridge refuses the event itself (too large, malformed: it would refuse it again),
//     when no bus is configured any more, or when it is still failing 7 days after it was recorded.
//
// Duplicates: a crash between PutEvents and the mark, or an answer lost on the way back, sends the
// event again on a later tick with the same `detail.eventId` (eventIdOf), so consumers can drop it.
// Times here are real time (EventBridge's), except the event's own time: when the outcome happened.
import type { OutcomeEvent as EventBridgeEvent, EventPublisher } from "../events/eventbridge.ts";
import type { Logger } from "../log/logger.ts";
import { fingerprint, type Operation, type OutboxEntry, type Store } from "../store/store.ts";
import { backoffSeconds } from "./backoff.ts";
import type { OutcomeEvent } from "./job-kind.ts";
import { flushFinishedLedgers, flushLedger, pendingEntries } from "./ledger-pending.ts";

/** After this long (from when it was recorded) an event still failing is given up on. */
export const OUTBOX_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
/** Entries one tick publishes at most (10 PutEvents calls); the rest are due at the next tick. */
export const OUTBOX_DEFAULT_LIMIT = 100;
/** The store lease that makes one publisher at a time. */
export const OUTBOX_LEASE = "outbox";
const OUTBOX_LEASE_TTL_MS = 2 * 60 * 1000;
/** Failures about the event itself: sending it again gets the same answer, so it is given up at once. */
export const UNDELIVERABLE_CODES: ReadonlySet<string> = new Set([
  "InvalidEvent",
  "EntryTooLarge",
  "MalformedDetail",
]);
export const NO_BUS_CODE = "NoEventBus";

/** One id per outcome: the same on every attempt, distinct per operation and event type. */
export async function eventIdOf(operationId: string, detailType: string): Promise<string> {
  return (await fingerprint(["nightshift.outcome", detailType, operationId])).slice(0, 32);
}

/** The outbox entry a finished operation's final write carries: pending, due at once. */
export async function outboxEntryFor(event: OutcomeEvent, time: Date, realNow: Date): Promise<OutboxEntry> {
  return {
    eventId: await eventIdOf(event.detail.operationId, event.detailType),
    event: JSON.parse(JSON.stringify(event)) as OutboxEntry["event"],
    time: time.toISOString(),
    state: "pending",
    recordedAt: realNow.toISOString(),
    attempts: 0,
    nextAttemptAt: realNow.toISOString(),
  };
}

export interface PublishOutboxOptions {
  store: Store;
  /** Where events go; undefined when no bus is configured (due entries are then given up on). */
  publisher: EventPublisher | undefined;
  /** A job's outcome event as the EventBridge event (functions/tick.ts outcomeEvent). */
  toEvent: (event: OutcomeEvent, time: Date) => EventBridgeEvent;
  /** Real time: what is due, the back-off, the max age and the lease. */
  now: Date;
  log: Logger;
  /** Who holds the lease (host and process). */
  holder: string;
  /** Entries published per call at most. Default 100. */
  limit?: number;
}

export interface OutboxReport {
  /** Entries that were due and taken. */
  due: number;
  sent: number;
  /** Failed this time, pending again with back-off. */
  failed: number;
  /** Given up on this time. */
  undelivered: number;
  /** Another publisher held the lease: nothing was taken. */
  leaseHeld?: true;
}

type Settled = { op: Operation; entry: OutboxEntry };

export async function publishOutbox(options: PublishOutboxOptions): Promise<OutboxReport> {
  const { store, now, log } = options;
  const report: OutboxReport = { due: 0, sent: 0, failed: 0, undelivered: 0 };
  await flushFinishedLedgers(store, now);
  // The quiet tick's whole cost: that flush's empty read, and one read of at most one entry.
  if ((await store.operations.outboxDue({ dueBy: now, limit: 1 }, now)).length === 0) return report;
  const lease = await store.leases.acquire(OUTBOX_LEASE, {
    holder: options.holder,
    ttlMs: OUTBOX_LEASE_TTL_MS,
    now,
  });
  if (!lease.acquired) return { ...report, leaseHeld: true };
  try {
    // Listed under the lease: what a previous holder marked is no longer due.
    const due = await store.operations.outboxDue(
      { dueBy: now, limit: options.limit ?? OUTBOX_DEFAULT_LIMIT },
      now,
    );
    report.due = due.length;
    const settled = options.publisher
      ? await publish(due, options.publisher, options)
      : due.map((op) => failed(op, { code: NO_BUS_CODE, message: "no EventBridge bus is configured" }, now));
    for (const { op, entry } of settled) {
      if (entry.state === "published") report.sent++;
      else if (entry.state === "pending") report.failed++;
      else report.undelivered++;
      await settle(store, op, entry, now, log);
    }
    const retried = settled.filter((s) => s.entry.state === "pending");
    if (retried.length > 0) {
      log.warn("outcome events not delivered; retrying later", {
        failed: retried.length,
        codes: [...new Set(retried.map((s) => s.entry.lastError?.code))],
        next: retried.map((s) => s.entry.nextAttemptAt!).sort()[0],
      });
    }
  } finally {
    await store.leases.release(OUTBOX_LEASE, { token: lease.token, now }).catch((error: unknown) =>
      log.warn("outbox lease release failed; it expires by itself", {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
  return report;
}

/** Sends the due entries; each one's new state (published, or failed as `failed` decides). */
async function publish(
  due: readonly Operation[],
  publisher: EventPublisher,
  options: PublishOutboxOptions,
): Promise<Settled[]> {
  const { now } = options;
  const events = due.map((op) => {
    const entry = op.outbox!;
    const event = options.toEvent(entry.event as unknown as OutcomeEvent, new Date(entry.time));
    return { ...event, detail: { eventId: entry.eventId, ...event.detail } };
  });
  let failures: Map<string, { code: string; message: string }>;
  try {
    const result = await publisher.publish(events);
    failures = new Map(
      result.failed.map((f) => [f.event.detail.eventId!, { code: f.errorCode, message: f.errorMessage }]),
    );
  } catch (error) {
    // The publisher answers failures per event; a throw leaves every event's fate unknown.
    const failure = {
      code: error instanceof Error && error.name !== "Error" ? error.name : "PublishError",
      message: error instanceof Error ? error.message : String(error),
    };
    failures = new Map(due.map((op) => [op.outbox!.eventId, failure]));
  }
  return due.map((op) => {
    const entry = op.outbox!;
    const failure = failures.get(entry.eventId);
    if (failure) return failed(op, failure, now);
    const { nextAttemptAt: _, lastError: __, ...rest } = entry;
    const published: OutboxEntry = {
      ...rest,
      state: "published",
      attempts: entry.attempts + 1,
      settledAt: now.toISOString(),
    };
    return { op, entry: published };
  });
}

/** A failed attempt: pending again after the back-off, or given up on (see the top comment). */
function failed(op: Operation, error: { code: string; message: string }, now: Date): Settled {
  const entry = op.outbox!;
  const attempts = entry.attempts + (error.code === NO_BUS_CODE ? 0 : 1);
  const retryAt = now.getTime() + backoffSeconds(attempts) * 1000;
  const tooOld = retryAt > Date.parse(entry.recordedAt) + OUTBOX_MAX_AGE_MS;
  if (error.code === NO_BUS_CODE || UNDELIVERABLE_CODES.has(error.code) || tooOld) {
    const { nextAttemptAt: _, ...rest } = entry;
    const message = tooOld
      ? `${error.message} (still failing after ${attempts} attempts; given up ${OUTBOX_MAX_AGE_MS / 86_400_000} days after the event was recorded)`
      : error.message;
    return {
      op,
      entry: {
        ...rest,
        state: "undelivered",
        attempts,
        lastError: { code: error.code, message },
        settledAt: now.toISOString(),
      },
    };
  }
  return {
    op,
    entry: {
      ...entry,
      attempts,
      nextAttemptAt: new Date(retryAt).toISOString(),
      lastError: { code: error.code, message: error.message },
    },
  };
}

/**
 * Writes the entry's new state; an event given up on is also a ledger entry (in the same write, then
 * appended: ledger-pending.ts) and an error line.
 */
async function settle(
  store: Store,
  op: Operation,
  entry: OutboxEntry,
  now: Date,
  log: Logger,
): Promise<void> {
  const error = entry.lastError;
  const ledger =
    entry.state === "undelivered"
      ? pendingEntries(op, [
          {
            at: now,
            operationId: op.id,
            target: op.target,
            kind: `${op.kind}.event-undelivered`,
            detail: {
              eventId: entry.eventId,
              detailType: entry.event.detailType,
              attempts: entry.attempts,
              recordedAt: entry.recordedAt,
              error,
            },
          },
        ])
      : undefined;
  const written = await store.operations.updateOutbox(op, entry, now, ledger);
  if (!written) {
    // Only another publisher (after this one's lease ran out) writes a finished operation.
    log.warn("outbox entry was written by someone else meanwhile; theirs stands", {
      operation: op.id,
      eventId: entry.eventId,
    });
    return;
  }
  if (entry.state !== "undelivered") return;
  await flushLedger(store, written, now);
  log.error("outcome event undelivered; given up", {
    operation: op.id,
    target: op.target,
    eventId: entry.eventId,
    attempts: entry.attempts,
    code: error?.code,
    error: error?.message,
  });
}
