// Each target's last finished action of each kind (sleep, wake, resize, renew), kept in one small
// record per target (store.lastActions), so the fleet page reads every target's with one list, exact
// however long ago the action was and however long the ledger has grown since.
//
// Written in one place, when an operation ends: the jobs runtime's final write of the operation
// carries how it ended (`op.finished`, from the step's result: finishedAction), in the same
// compare-and-set write as the finish and its ledger entries. Whoever then appends that write's
// ledger entries copies it into the target's record (appendPending, ledger-pending.ts) before the
// entries are cleared: the runtime right away, or after a crash the flusher of finished operations
// (flushFinishedLedgers, every tick), since the operation stays in the store's "ledger" index until
// they are. The store has no write across two records, so this is the next best thing: the record
// is written at least once per finish, and writing it again changes nothing (recordFinished is
// idempotent per operation, and an older finish never replaces a newer one).
//
// A skipped operation (nothing to do: already asleep, in cooldown, not due) is no action: the
// record keeps the last one that acted.
import type { FinishedAction, Operation, Store, TargetActions } from "../store/store.ts";
import { StoreConflictError } from "../store/store.ts";
import type { OutcomeEvent, StepResult } from "./job-kind.ts";

/** The longest error kept (a cloud's message can be long; the operation keeps it whole). */
export const SHORT_ERROR_LENGTH = 200;
const MAX_CAS_ATTEMPTS = 8;

export function shortError(message: string): string {
  return message.length <= SHORT_ERROR_LENGTH ? message : `${message.slice(0, SHORT_ERROR_LENGTH - 1)}…`;
}

/**
 * How an operation ended, from the result of its final step at `now`: undefined while it goes on,
 * and for a skip (the outcome event says "skipped": the operation did nothing).
 */
export function finishedAction(
  op: Pick<Operation, "id" | "kind">,
  result: Pick<StepResult<OutcomeEvent>, "status" | "error" | "event">,
  now: Date,
): FinishedAction | undefined {
  if (result.status !== "succeeded" && result.status !== "failed") return undefined;
  const outcome = result.event?.detail.outcome ?? result.status;
  if (outcome !== "succeeded" && outcome !== "failed") return undefined;
  const message = outcome === "failed" ? (result.error ?? result.event?.detail.error)?.message : undefined;
  return {
    kind: op.kind,
    outcome,
    at: now.toISOString(),
    operationId: op.id,
    ...(message !== undefined ? { error: shortError(message) } : {}),
  };
}

/** Whether `a` ended after `b` (at the same instant: the larger operation id, so every writer agrees). */
const later = (a: FinishedAction, b: FinishedAction) =>
  a.at !== b.at ? a.at > b.at : a.operationId > b.operationId;

/**
 * The record with `action` as its kind's last, or undefined when that changes nothing: the same
 * operation is there already (a repeated write), or a later one of the kind.
 */
export function withFinished(
  current: TargetActions | undefined,
  action: FinishedAction,
  now: Date,
): TargetActions | undefined {
  const known = current?.byKind[action.kind];
  if (known && (known.operationId === action.operationId || later(known, action))) return undefined;
  return { byKind: { ...current?.byKind, [action.kind]: action }, updatedAt: now.toISOString() };
}

/** The target's last finished action of any kind. */
export function lastOf(actions: TargetActions | undefined): FinishedAction | undefined {
  let last: FinishedAction | undefined;
  for (const action of Object.values(actions?.byKind ?? {})) if (!last || later(action, last)) last = action;
  return last;
}

/**
 * Copies a finished operation's `finished` into its target's record, with compare-and-set (another
 * target's finish never races it; a second writer of the same finish finds it there).
 */
export async function recordFinished(store: Store, op: Operation, now: Date): Promise<void> {
  const action = op.finished;
  if (!action) return;
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const current = await store.lastActions.get(op.target, now);
    const next = withFinished(current?.value, action, now);
    if (!next) return;
    if ((await store.lastActions.put(op.target, next, current?.version ?? null, now)) !== undefined) return;
  }
  throw new StoreConflictError(`last actions of "${op.target}"`);
}

/** Every target's record, by target id: one list. */
export async function listLastActions(store: Store, now: Date): Promise<Map<string, TargetActions>> {
  return new Map((await store.lastActions.list(now)).map((r) => [r.key, r.value]));
}
