// Pausing a schedule: a person stops a schedule from putting its targets to sleep, until a time (at
// most MAX_PAUSE_DAYS ahead) or until they resume it. The rule, in one place:
//   - While a pause holds, the engine defers every sleep of the schedule's targets (DeferReason
//     `paused`, like a snooze of each of them), `enforce` included. Wakes still happen: a cluster
//     left asleep is an outage, and a pause is no reason to keep one down.
//   - Pausing does not wake a cluster that is asleep, and an operation already under way finishes.
//   - When the pause ends (resumed, or `until` passed) the schedule's state applies again, as after
//     a hold awake: a sleep it deferred happens then, its lateness counted from the pause's end.
//   - Only the schedule's own sleeps: rules (resize, wake/sleep on an event) and certificate renewal
//     have declarations of their own and are not paused with it; neither are pre-action notices
//     sent for a sleep the pause holds.
// The record (store.schedulePauses, one per schedule name) is written by compare-and-set, and every
// pause and resume appends one ledger entry keyed by its cause (the request's Idempotency-Key, or
// the version it was written over), carried in the record until appended. The tick reads every
// record in one store read (readPauses).
import { pendingEntry } from "../jobs/ledger-pending.ts";
import type { PendingLedgerEntry, SchedulePause, Store } from "../store/store.ts";
import type { DesiredState, Schedule } from "./types.ts";

export const MAX_PAUSE_DAYS = 30;
export const MAX_PAUSE_REASON_LENGTH = 500;
const DAY_MS = 24 * 3600 * 1000;
/** Lost compare-and-set races a pause or resume retries (each loss means someone else wrote). */
const WRITE_ATTEMPTS = 5;

/** The ledger's `target` of a schedule's entries (cluster targets are `account/clusterId`). */
export const pauseLedgerTarget = (schedule: string) => `schedule:${schedule}`;

/** When the pause ends or ended; undefined: it holds until resumed. */
export function pauseEnd(pause: SchedulePause): Date | undefined {
  const end = pause.resumedAt ?? pause.until;
  return end === undefined ? undefined : new Date(end);
}

/** Whether `pause` holds the schedule's sleeps at `at` (from when it began until it ends). */
export function pauseHolds(pause: SchedulePause | undefined, at: Date): pause is SchedulePause {
  if (!pause || Date.parse(pause.pausedAt) > at.getTime()) return false;
  const end = pauseEnd(pause);
  return end === undefined || end > at;
}

/**
 * When a sleep that could start at `startable` (its planned time, or later after a snooze, a hold
 * or the dwell) may start because of `pause`: the pause's end when the pause held it (began before
 * the sleep was late, ended after it could start), else `startable` itself. The engine counts the
 * sleep's lateness from this.
 */
export function startableAfterPause(
  pause: SchedulePause | undefined,
  startable: number,
  graceMs: number,
): number {
  const end = pause ? pauseEnd(pause) : undefined;
  if (!pause || !end || Date.parse(pause.pausedAt) > startable + graceMs) return startable;
  return Math.max(startable, end.getTime());
}

/** A pause as the API and the dashboard show it, or null when none holds at `now`. */
export interface PauseView {
  since: string;
  /** null: until resumed. */
  until: string | null;
  reason: string | null;
  by: string;
}

export function pauseView(pause: SchedulePause | undefined, now: Date): PauseView | null {
  if (!pauseHolds(pause, now)) return null;
  return { since: pause.pausedAt, until: pause.until ?? null, reason: pause.reason ?? null, by: pause.by };
}

/**
 * A planned transition's `deferred` field, for the plan and a target's next transition: a sleep
 * the schedule's pause holds waits for its end (`until`; null: a resume). `{}` for any other.
 */
export function deferredByPause(
  pause: SchedulePause | undefined,
  transition: { to: DesiredState; at: Date },
): { deferred?: { reason: "paused"; until: string | null } } {
  if (transition.to !== "asleep" || !pauseHolds(pause, transition.at)) return {};
  return { deferred: { reason: "paused", until: pause.until ?? null } };
}

/** A target's `paused` field: its schedule's pause while it holds, else `{}`. */
export function pausedField(pause: SchedulePause | undefined, now: Date): { paused?: PauseView } {
  const view = pauseView(pause, now);
  return view ? { paused: view } : {};
}

/** Every schedule's pause record, by schedule name: ONE store read (the tick's, the API's). */
export async function readPauses(store: Store, now: Date): Promise<Map<string, SchedulePause>> {
  return new Map((await store.schedulePauses.list(now)).map((r) => [r.key, r.value]));
}

export interface PauseRequest {
  /** When the pause ends by itself; absent: when resumed. At most MAX_PAUSE_DAYS ahead. */
  until?: Date;
  reason?: string;
  /** Who asks: "admin API", "dashboard". */
  by: string;
  /** The request's Idempotency-Key (or the form's): a retry with it appends no second entry. */
  key?: string;
  now: Date;
}

export type PauseOutcome =
  | { ok: true; schedule: string; pause: PauseView | null; changed: boolean }
  | PauseRefusal;

/** Why a pause or resume was refused: the HTTP status and error code it is answered with. */
export type PauseRefusal =
  | { ok: false; status: 400; code: "invalid_pause"; message: string; field: "until" | "reason" }
  | { ok: false; status: 404; code: "unknown_schedule"; message: string; field?: undefined }
  | { ok: false; status: 409; code: "conflict"; message: string; field?: undefined };

const unknownSchedule = (name: string, schedules: readonly Schedule[]): PauseOutcome => ({
  ok: false,
  status: 404,
  code: "unknown_schedule",
  message: `no schedule "${name}"; GET /api/schedules lists them${schedules.length === 0 ? " (none is configured)" : ""}`,
});

function checkReason(reason: string | undefined): PauseOutcome | string | undefined {
  const text = reason?.trim();
  if (!text) return undefined;
  if (text.length > MAX_PAUSE_REASON_LENGTH)
    return {
      ok: false,
      status: 400,
      code: "invalid_pause",
      field: "reason",
      message: `reason may be at most ${MAX_PAUSE_REASON_LENGTH} characters (got ${text.length})`,
    };
  return text;
}

/**
 * Pauses schedule `name` (or changes the pause that holds it: its `until` and reason; it keeps
 * its start). Appends one `schedule.paused` ledger entry per request.
 */
export async function pauseSchedule(
  deps: { store: Store; schedules: readonly Schedule[] },
  name: string,
  request: PauseRequest,
): Promise<PauseOutcome> {
  const { now } = request;
  if (!deps.schedules.some((s) => s.name === name)) return unknownSchedule(name, deps.schedules);
  const reason = checkReason(request.reason);
  if (typeof reason === "object") return reason;
  const until = request.until;
  if (until !== undefined) {
    const latest = new Date(now.getTime() + MAX_PAUSE_DAYS * DAY_MS);
    const problem =
      Number.isNaN(until.getTime()) || until <= now
        ? `until must be in the future (it is now ${now.toISOString()})`
        : until > latest
          ? `a pause may last at most ${MAX_PAUSE_DAYS} days: until may be ${latest.toISOString()} at the latest; leave until out to pause until resumed`
          : undefined;
    if (problem) return { ok: false, status: 400, code: "invalid_pause", field: "until", message: problem };
  }
  return writeChange(deps.store, name, request, "schedule.paused", (current) => {
    const holding = pauseHolds(current, now) ? current : undefined;
    const value: Omit<SchedulePause, "entry"> = {
      pausedAt: holding?.pausedAt ?? now.toISOString(),
      ...(until ? { until: until.toISOString() } : {}),
      ...(reason ? { reason } : {}),
      by: request.by,
      updatedAt: now.toISOString(),
    };
    const detail = {
      schedule: name,
      until: value.until ?? null,
      reason: value.reason ?? null,
      by: request.by,
      since: value.pausedAt,
    };
    return { value, detail };
  });
}

/**
 * Ends the pause of schedule `name` now; its state applies again at the next tick. A schedule that
 * is not paused is left as it is (changed: false, no ledger entry), so a repeated resume is harmless.
 */
export async function resumeSchedule(
  deps: { store: Store; schedules: readonly Schedule[] },
  name: string,
  request: Omit<PauseRequest, "until">,
): Promise<PauseOutcome> {
  const { now } = request;
  if (!deps.schedules.some((s) => s.name === name)) return unknownSchedule(name, deps.schedules);
  const reason = checkReason(request.reason);
  if (typeof reason === "object") return reason;
  return writeChange(deps.store, name, request, "schedule.resumed", (current) => {
    if (!pauseHolds(current, now)) return undefined;
    const { entry: _, ...rest } = current;
    const value = {
      ...rest,
      resumedAt: now.toISOString(),
      resumedBy: request.by,
      updatedAt: now.toISOString(),
    };
    const detail = { schedule: name, pausedAt: current.pausedAt, reason: reason ?? null, by: request.by };
    return { value, detail };
  });
}

/**
 * Writes the change `decide` makes of the schedule's record (undefined: none) by compare-and-set,
 * carrying its ledger entry, then appends the entry. The entry's key names the cause: the request's
 * key, else the version the change was written over (only one write over a version wins).
 */
async function writeChange(
  store: Store,
  name: string,
  request: { by: string; key?: string; now: Date },
  kind: "schedule.paused" | "schedule.resumed",
  decide: (
    current: SchedulePause | undefined,
  ) => { value: Omit<SchedulePause, "entry">; detail: Record<string, unknown> } | undefined,
): Promise<PauseOutcome> {
  const { now } = request;
  const requestKey = request.key !== undefined ? `${kind}:${name}:request:${request.key}` : undefined;
  const appendEntry = ({ at, ...entry }: PendingLedgerEntry) =>
    store.ledger.append({ ...entry, at: new Date(at) });
  const outcome = (value: SchedulePause | undefined, changed: boolean): PauseOutcome => ({
    ok: true,
    schedule: name,
    pause: pauseView(value, now),
    changed,
  });
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const current = await store.schedulePauses.get(name, now);
    const owed = current?.value.entry;
    // This request's retry, its write having won before its entry was appended: append it now.
    if (owed && requestKey !== undefined && owed.key === requestKey) {
      await appendEntry(owed);
      return outcome(current.value, true);
    }
    const change = decide(current?.value);
    if (!change) return outcome(current?.value, false);
    // The entry the record's last change owes (appended already, unless its process died first).
    if (owed) await appendEntry(owed);
    const entry = pendingEntry(requestKey ?? `${kind}:${name}:over-v${current?.version ?? 0}`, {
      at: now,
      operationId: `${kind === "schedule.paused" ? "pause" : "resume"}@${name}@${now.toISOString()}`,
      target: pauseLedgerTarget(name),
      kind,
      detail: change.detail,
    });
    const value: SchedulePause = { ...change.value, entry };
    const written = await store.schedulePauses.put(name, value, current?.version ?? null, now);
    if (written === undefined) continue;
    await appendEntry(entry);
    return outcome(value, true);
  }
  return {
    ok: false,
    status: 409,
    code: "conflict",
    message: "the schedule's pause changed concurrently; try again",
  };
}
