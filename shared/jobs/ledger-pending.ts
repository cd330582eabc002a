// Every action is exactly one ledger entry, also across crashes. A step's ledger entries are written
// IN the compare-and-set write that records its result (`op.ledgerPending`), each with a key unique
// to the step attempt that won that write; then they are appended with their keys and cleared (by
// the write of the next step when the operation goes on at once, else by a write of their own). A
// process that dies in between leaves them pending in the operation, and whoever next holds it
// appends them first:
//   - an unfinished operation: the jobs runtime, when it next takes the operation (under its lease),
//     or, for the `scheduled` entry written with its creation, the next apply of the same decision
//     (decision-writes.ts);
//   - a finished one: `flushFinishedLedgers`, every tick before the outbox is published, reading
//     only the store's "ledger" index (store.ts LEDGER_INDEX), never the history.
// An append is idempotent per key (backend.ts), so a crash after the append and before the clear
// stores nothing twice, and two flushers at once are harmless (one clear wins, the other's loses).
// A late entry keeps its `at`; only its seq is later. The final write's entries carry the
// operation's end with them: appending them also records it as the target's last action
// (last-action.ts), before they are cleared.
import type { LedgerEntryInput } from "../store/backend.ts";
import { FINISHED, type Operation, type PendingLedgerEntry, type Store } from "../store/store.ts";
import { recordFinished } from "./last-action.ts";

/** Finished operations one flush takes at most; the rest wait for the next tick. */
export const LEDGER_FLUSH_LIMIT = 100;

/**
 * The entries as the step's write carries them. The key names the operation (its id and creation,
 * so a later operation reusing the id never collides), the version the step read (only one write
 * at a version wins) and the entry's place in the step.
 */
export function pendingEntries(op: Operation, entries: readonly LedgerEntryInput[]): PendingLedgerEntry[] {
  return entries.map((entry, i) =>
    pendingEntry(`${op.id}:${Date.parse(op.createdAt)}:${op.version}:${i}`, entry),
  );
}

/** One entry as an operation's write carries it, under `key`. */
export function pendingEntry(key: string, entry: Omit<LedgerEntryInput, "key">): PendingLedgerEntry {
  return {
    key,
    at: entry.at.toISOString(),
    operationId: entry.operationId,
    target: entry.target,
    kind: entry.kind,
    detail: entry.detail,
  };
}

/**
 * Appends the operation's pending entries (idempotently), leaving them in it: the jobs runtime
 * clears them with its next write of the operation (a chained step's result), which it makes anyway.
 * A finished operation's are followed by its end in the target's last actions (idempotent too).
 */
export async function appendPending(store: Store, op: Operation, now: Date): Promise<void> {
  for (const { at, ...entry } of op.ledgerPending ?? [])
    await store.ledger.append({ ...entry, at: new Date(at) });
  if (op.finished && FINISHED.includes(op.status)) await recordFinished(store, op, now);
}

/**
 * Appends the operation's pending entries (idempotently) and clears them with compare-and-set on
 * its version: the operation as it now stands, or undefined when someone else wrote it meanwhile.
 */
export async function flushLedger(store: Store, op: Operation, now: Date): Promise<Operation | undefined> {
  if ((op.ledgerPending ?? []).length === 0) return op;
  await appendPending(store, op, now);
  return store.operations.clearLedgerPending(op, now);
}

/** Flushes the finished operations left with pending entries; how many were flushed. */
export async function flushFinishedLedgers(
  store: Store,
  now: Date,
  limit: number = LEDGER_FLUSH_LIMIT,
): Promise<number> {
  let flushed = 0;
  for (const op of await store.operations.ledgerPending({ limit }, now)) {
    if (await flushLedger(store, op, now)) flushed++;
  }
  return flushed;
}
