// Snoozing a target: its sleeps wait until `until` (wakes never do). One application for the admin
// API (`POST /api/targets/{id}/snooze`) and the dashboard's form, so both write the same state and
// the same ledger entry.
import type { Store } from "../shared/store/store.ts";

/** The longest snooze a person may ask for (API, dashboard): 7 days. */
export const MAX_SNOOZE_MINUTES = 7 * 24 * 60;

const MAX_ATTEMPTS = 5;

export type SnoozeOutcome = { ok: true; snoozeUntil: string; seq: number } | { ok: false; code: "conflict" };

/**
 * Writes the target's `snoozeUntil` by compare-and-set, then appends `target.snoozed`.
 *
 * The entry's key is the request's idempotency key when there is one: the state is another record
 * than the ledger, so a request that died after its state write is retried with its key, writes
 * the state again and appends its one entry. Without a key a retry is a new request; the entry is
 * then keyed by the state version it records.
 */
export async function snoozeTarget(
  store: Store,
  target: string,
  until: Date,
  now: Date,
  request: { requestKey?: string; via?: string } = {},
): Promise<SnoozeOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await store.targets.get(target, now);
    const next = { ...current?.value, snoozeUntil: until.toISOString(), updatedAt: now.toISOString() };
    const written = await store.targets.put(target, next, current?.version ?? null, now);
    if (written === undefined) continue;
    const entry = await store.ledger.append({
      at: now,
      operationId: `snooze@${target}@${now.toISOString()}`,
      target,
      kind: "target.snoozed",
      detail: { until: until.toISOString(), ...(request.via ? { via: request.via } : {}) },
      key: `target.snoozed:${target}:${request.requestKey !== undefined ? `request:${request.requestKey}` : `v${written}`}`,
    });
    return { ok: true, snoozeUntil: until.toISOString(), seq: entry.seq };
  }
  return { ok: false, code: "conflict" };
}
