// The renewal window: when a team allows its credentials to be rotated (e.g. not in business
// hours). Declared as a cron expression, an IANA time zone and a duration:
//
//   every firing of the cron (a standard five-field expression, minute precision, read in the time
//   zone) opens the window for `durationMinutes` of elapsed time (default 1: the cron's matching
//   minutes are then exactly the allowed minutes). Firings whose windows overlap or touch merge.
//
// So `* 22-23,0-5 * * *` (every minute from 22:00 to 05:59) and `0 22 * * *` for 480 minutes both
// allow 22:00-06:00 local time. Firings follow croner's daylight-saving rules: a time in the
// spring-forward gap fires at the first valid time after it when the pattern names one fixed
// minute and hour (`30 2 * * *` fires at 03:00 that day), and is skipped for a pattern with
// wildcards, steps, ranges or lists (`* 2 * * *` has no minute that day); a repeated time (fall
// back) fires once for a fixed time and on both passes otherwise. The duration is elapsed time, so
// `0 22 * * *` for 480 minutes closes at 05:00 local time on the night the clocks go back.
// Day-of-month and day-of-week combine with OR when both are restricted, as in Vixie cron.
import { Cron } from "croner";
import { assertTimezone, TimezoneError } from "../schedule/timezone.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
export const DEFAULT_WINDOW_MINUTES = 1;
/** Longest window one firing may open: a week (longer ones are better said with the cron). */
export const MAX_WINDOW_MINUTES = 7 * 24 * 60;

export interface RenewalWindowSpec {
  cron: string;
  timezone: string;
  /** How long each firing keeps the window open, whole minutes; default 1. */
  durationMinutes?: number;
}

export class WindowError extends Error {
  override name = "WindowError";
  /** The declaration field at fault. */
  readonly field: "cron" | "timezone" | "durationMinutes";
  constructor(field: "cron" | "timezone" | "durationMinutes", message: string) {
    super(message);
    this.field = field;
  }
}

export type WindowState =
  /** Open since the firing at `openedAt`, at least until `openUntil` (a later firing may extend it). */
  | { open: true; openedAt: Date; openUntil: Date }
  /** Closed; `opensAt` is the next firing, null when the cron never fires again. */
  | { open: false; opensAt: Date | null };

export interface RenewalWindow {
  readonly spec: Readonly<Required<RenewalWindowSpec>>;
  state(at: Date): WindowState;
  isOpen(at: Date): boolean;
  /** The first instant ≥ `at` inside the window (`at` itself when open); null: it never opens. */
  nextOpening(at: Date): Date | null;
  /** The latest firing at or before `at`, null if none (for gap measurement). */
  lastFiring(at: Date): Date | null;
}

// Window states are constant within a minute (firings and durations are whole minutes), and many
// targets share a window and get due at the same opening, so open states are memoised per minute
// and closed stretches as intervals (one computation answers every instant of the stretch).
const CACHE_LIMIT = 10_000;

/** Closed stretches [from, to) with their next opening, sorted by `from`, found by bisection. */
class ClosedStretches {
  private stretches: Array<{ from: number; to: number; opensAt: Date | null }> = [];
  find(ms: number) {
    const list = this.stretches;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const stretch = list[mid]!;
      if (ms < stretch.from) hi = mid - 1;
      else if (ms >= stretch.to) lo = mid + 1;
      else return stretch;
    }
    return undefined;
  }
  add(from: number, to: number, opensAt: Date | null) {
    if (this.stretches.length >= CACHE_LIMIT) this.stretches = [];
    const list = this.stretches;
    let index = list.length;
    while (index > 0 && list[index - 1]!.from > from) index--;
    list.splice(index, 0, { from, to, opensAt });
  }
}

/** Checks a declared window and prepares it; throws a WindowError naming the field and the fix. */
export function compileWindow(spec: RenewalWindowSpec): RenewalWindow {
  try {
    assertTimezone(spec.timezone);
  } catch (error) {
    if (error instanceof TimezoneError)
      throw new WindowError("timezone", `window.timezone: ${error.message}`);
    throw error;
  }
  const durationMinutes = spec.durationMinutes ?? DEFAULT_WINDOW_MINUTES;
  if (!Number.isInteger(durationMinutes) || durationMinutes < 1 || durationMinutes > MAX_WINDOW_MINUTES) {
    throw new WindowError(
      "durationMinutes",
      `window.durationMinutes must be a whole number of minutes from 1 to ${MAX_WINDOW_MINUTES} ` +
        `(got ${JSON.stringify(spec.durationMinutes)}), e.g. 480 for an eight-hour window`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(spec.cron, { timezone: spec.timezone, mode: "5-part", paused: true });
  } catch (error) {
    throw new WindowError(
      "cron",
      `window.cron ${JSON.stringify(spec.cron)} is not a five-field cron expression ` +
        `(minute hour day-of-month month day-of-week, e.g. "0 22 * * 1-5"): ${(error as Error).message}`,
    );
  }
  const durationMs = durationMinutes * MINUTE_MS;
  const openMinutes = new Map<number, WindowState>();
  const closed = new ClosedStretches();

  const lastFiring = (at: Date): Date | null =>
    // previousRuns excludes a run exactly at the reference: ask from a millisecond later.
    cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;

  const state = (at: Date): WindowState => {
    const minute = Math.floor(at.getTime() / MINUTE_MS);
    const stretch = closed.find(at.getTime());
    if (stretch !== undefined) return { open: false, opensAt: stretch.opensAt };
    const cached = openMinutes.get(minute);
    if (cached !== undefined) return cached;
    const start = new Date(minute * MINUTE_MS);
    const previous = lastFiring(start);
    if (previous !== null && previous.getTime() + durationMs > start.getTime()) {
      const open: WindowState = {
        open: true,
        openedAt: previous,
        openUntil: new Date(previous.getTime() + durationMs),
      };
      if (openMinutes.size >= CACHE_LIMIT) openMinutes.clear();
      openMinutes.set(minute, open);
      return open;
    }
    const opensAt = cron.nextRun(start);
    // Closed from the last window's end (or this minute) until the next firing.
    const from = previous === null ? start.getTime() : previous.getTime() + durationMs;
    closed.add(from, opensAt === null ? Number.POSITIVE_INFINITY : opensAt.getTime(), opensAt);
    return { open: false, opensAt };
  };

  return {
    spec: { cron: spec.cron, timezone: spec.timezone, durationMinutes },
    state,
    isOpen: (at) => state(at).open,
    nextOpening(at) {
      const current = state(at);
      return current.open ? at : current.opensAt;
    },
    lastFiring,
  };
}

export interface WindowGap {
  /** The longest closed stretch found, ms (gaps shorter than the resolution may be missed). */
  longestGapMs: number;
  /** Where it starts (the window's close; `from` when it was closed before the scan began). */
  startsAt: Date;
  /** Where it ends; null when the window did not open again within the horizon. */
  endsAt: Date | null;
}

/**
 * The longest time the window stays closed within [from, from + horizonMs). Probes every
 * `resolutionMs` and measures each closed stretch a probe lands in exactly, so every gap longer
 * than the resolution is found.
 */
export function longestWindowGap(
  window: RenewalWindow,
  options: { from: Date; horizonMs: number; resolutionMs: number },
): WindowGap {
  const from = options.from.getTime();
  const end = from + options.horizonMs;
  const step = Math.max(MINUTE_MS, options.resolutionMs);
  let longest: WindowGap = { longestGapMs: 0, startsAt: options.from, endsAt: options.from };
  let skipUntil = -Infinity;
  for (let probe = from; probe < end; probe += step) {
    if (probe < skipUntil) continue;
    const at = new Date(probe);
    const state = window.state(at);
    if (state.open) continue;
    const previous = window.lastFiring(at);
    const closedAt =
      previous === null ? from : Math.max(from, previous.getTime() + window.spec.durationMinutes * MINUTE_MS);
    const opensAt = state.opensAt === null || state.opensAt.getTime() > end ? null : state.opensAt.getTime();
    const gapMs = (opensAt ?? end) - closedAt;
    if (gapMs > longest.longestGapMs) {
      longest = {
        longestGapMs: gapMs,
        startsAt: new Date(closedAt),
        endsAt: opensAt === null ? null : new Date(opensAt),
      };
    }
    if (opensAt === null) break;
    skipUntil = opensAt;
  }
  return longest;
}

// Enough probes to scan a year at half a day's resolution; shorter slack scans a shorter horizon.
const SATISFIABILITY_PROBES = 1_000;
const SATISFIABILITY_HORIZON_MS = 366 * DAY_MS;

export type WindowSatisfiability =
  | { ok: true; longestGapMs: number; horizonMs: number }
  | { ok: false; longestGapMs: number; horizonMs: number; gap: WindowGap; message: string };

/**
 * Whether renewals can always happen inside the window before the credential expires: no closed
 * stretch may be longer than `slackMs`, the time between the renewal time and expiry (e.g. 1 day
 * for Alibaba's 3-day kubeconfig renewed at 2/3). Scans a year from `from` (shorter when the slack
 * is so small that a year would take more than 1,000 probes at half the slack).
 */
export function checkWindowSatisfiable(
  window: RenewalWindow,
  options: { from: Date; slackMs: number },
): WindowSatisfiability {
  const resolutionMs = Math.max(MINUTE_MS, Math.floor(options.slackMs / 2));
  const horizonMs = Math.min(SATISFIABILITY_HORIZON_MS, resolutionMs * SATISFIABILITY_PROBES);
  const gap = longestWindowGap(window, { from: options.from, horizonMs, resolutionMs });
  if (gap.endsAt !== null && gap.longestGapMs <= options.slackMs) {
    return { ok: true, longestGapMs: gap.longestGapMs, horizonMs };
  }
  const { cron, timezone, durationMinutes } = window.spec;
  const what = `window ${JSON.stringify(cron)} (${timezone}, ${durationMinutes} min per firing)`;
  const message =
    gap.endsAt === null
      ? `${what} does not open between ${gap.startsAt.toISOString()} and ${new Date(options.from.getTime() + horizonMs).toISOString()}, ` +
        `so a credential renewed in it would expire first: make the cron fire at least every ${formatSpan(options.slackMs)}`
      : `${what} stays closed for ${formatSpan(gap.longestGapMs)} (from ${gap.startsAt.toISOString()}), longer than ` +
        `the ${formatSpan(options.slackMs)} between renewal time and expiry: open it more often or longer, ` +
        `or renew earlier (a larger renewBefore or renewBeforePercentage)`;
  return { ok: false, longestGapMs: gap.longestGapMs, horizonMs, gap, message };
}

/** "2 d 3 h 5 min" */
export function formatSpan(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  const parts: string[] = [];
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) parts.push(`${days} d`);
  if (hours > 0) parts.push(`${hours} h`);
  if (rest > 0 || parts.length === 0) parts.push(`${rest} min`);
  return parts.join(" ");
}
