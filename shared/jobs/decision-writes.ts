// What one scheduling decision writes to the store, apart from deciding it: the Node tick applies
// the writes at once (functions/tick.ts); the Worker's cron sends them as queue messages and a
// consumer applies them (shared/jobs/dispatch.ts), so the cron's subrequests stay few. Computing
// the writes is pure; applying them is idempotent, so a duplicated or retried message is harmless:
// the operation is created by its deterministic id (a second create finds it and writes nothing
// more), and the target's state is written by compare-and-set against the version it was decided on.
import { type Decision, operationFor, stateAfter, type TargetFacts } from "../schedule/engine.ts";
import type { Schedule } from "../schedule/types.ts";
import type { NewOperation, Store, TargetState } from "../store/store.ts";
import { flushLedger, pendingEntry } from "./ledger-pending.ts";

/** JSON only: it travels in a queue message. */
export interface DecisionWrites {
  target: string;
  /** The operation to create (an `act`), with its ledger entry's kind and detail, written once. */
  operation?: { fields: NewOperation; scheduled: { kind: string; detail: Record<string, unknown> } };
  /** A sleep missed past its grace window: its ledger entry (its id, `<slot>@<target>`, names the cause). */
  missed?: { operationId: string; detail: Record<string, unknown> };
  /** The target's next state, written only over the version it was decided on (null: none yet). */
  state?: { value: TargetState; expectedVersion: number | null };
}

/** The writes of `decision` (pure); undefined for a decision that writes nothing. */
export function writesOf(
  decision: Decision,
  schedule: Schedule | undefined,
  facts: TargetFacts,
  stored: { value: TargetState; version: number } | undefined,
  now: Date,
): DecisionWrites | undefined {
  const writes: DecisionWrites = { target: decision.targetId };
  if (decision.kind === "act") {
    writes.operation = {
      fields: operationFor(decision, schedule!, facts),
      scheduled: {
        kind: `${decision.transition.to === "asleep" ? "sleep" : "wake"}.scheduled`,
        detail: {
          schedule: decision.schedule,
          slot: decision.transition.slot,
          plannedAt: decision.transition.at.toISOString(),
          local: decision.transition.local,
          enforce: decision.enforce,
        },
      },
    };
  }
  if (decision.kind === "skip" && decision.reason === "missed-sleep") {
    writes.missed = {
      operationId: `${decision.transition!.slot}@${decision.targetId}`,
      detail: { schedule: decision.schedule, slot: decision.transition!.slot, reason: decision.detail },
    };
  }
  const next = stateAfter(decision, stored?.value, now);
  if (next) writes.state = { value: next, expectedVersion: stored?.version ?? null };
  return writes.operation || writes.missed || writes.state ? writes : undefined;
}

/**
 * Applies `writes`: create the operation, the missed sleep's ledger entry, the target's state by
 * compare-and-set. Each ledger entry is recorded exactly once however often the same writes are
 * applied, and whichever store call a first attempt died at:
 *   - the `scheduled` entry is part of the operation's creating write (pending, ledger-pending.ts),
 *     then appended under a key naming that operation and cleared; a crash in between leaves it
 *     pending for the next apply of the same writes, or for the jobs runtime when it takes the
 *     operation;
 *   - the miss cannot share a write with the target's state (another record), so it is appended
 *     first under a key naming its cause (slot, which names the schedule, and target): a crash
 *     before the state write decides the miss again and appends nothing more, and a duplicate's
 *     append stores nothing. Appended before the state, never after it: a state written and its
 *     entry lost would never be decided again.
 * Returns whether the operation was created here and whether the state write won.
 */
export async function applyWrites(
  store: Store,
  writes: DecisionWrites,
  now: Date,
): Promise<{ created: boolean; stateWritten: boolean }> {
  let created = false;
  if (writes.operation) {
    const { fields, scheduled } = writes.operation;
    const entry = pendingEntry(`${fields.id}:${now.getTime()}:scheduled`, {
      at: now,
      operationId: fields.id,
      target: writes.target,
      kind: scheduled.kind,
      detail: scheduled.detail,
    });
    const result = await store.operations.create({ ...fields, ledgerPending: [entry] }, { now });
    created = result.created;
    // Created here, or by an attempt that died before appending: the entry is appended now.
    await flushLedger(store, result.operation, now);
  }
  if (writes.missed) {
    await store.ledger.append({
      at: now,
      operationId: writes.missed.operationId,
      target: writes.target,
      kind: "sleep.missed",
      detail: writes.missed.detail,
      key: `sleep.missed:${writes.missed.operationId}`,
    });
  }
  const stateWritten = writes.state
    ? (await store.targets.put(writes.target, writes.state.value, writes.state.expectedVersion, now)) !==
      undefined
    : false;
  return { created, stateWritten };
}

/** A queue message body that carries decision writes, or why it is not one (checked shallowly: we send it). */
export function parseWrites(body: unknown): DecisionWrites | { invalid: string } {
  const w = (body as { writes?: unknown } | null)?.writes as Partial<DecisionWrites> | undefined;
  const valid =
    typeof w === "object" &&
    w !== null &&
    typeof w.target === "string" &&
    (w.operation === undefined ||
      (typeof w.operation?.fields?.id === "string" && w.operation.fields.target === w.target)) &&
    (w.missed === undefined || typeof w.missed?.operationId === "string") &&
    (w.state === undefined ||
      (typeof w.state?.value === "object" &&
        (w.state.expectedVersion === null || Number.isInteger(w.state.expectedVersion))));
  if (!valid)
    return {
      invalid: `not a decision message (expected {"writes": {"target": "...", "operation"?, "missed"?, "state"?}}): ${JSON.stringify(body)}`,
    };
  return w as DecisionWrites;
}
