// A renewal window: the minutes at which a renewal may start, as a standard 5-field cron expression
// read in an IANA time zone (e.g. "* 1-5 * * 1-5" in Europe/Berlin: any minute from 01:00 to 05:59
// on weekdays, Berlin time). Parsed with croner, with the options below, by every module that
// evaluates windows (validation here, the next allowed instant in the renewal policy), so they
// agree on what an expression means.
import { Cron } from "croner";

export interface RenewalWindow {
  /** Standard 5-field cron: minute hour day-of-month month day-of-week. */
  cron: string;
  /** IANA time zone the expression is read in. */
  timezone: string;
}

/**
 * Exactly 5 fields (minute precision, no seconds or years); day-of-month and day-of-week restrict
 * as POSIX cron does (either may match when both are given).
 */
export const WINDOW_CRON_OPTIONS = { mode: "5-part", domAndDow: false } as const;

/** The window as a croner schedule (never started: it is only asked for matching instants). */
export function windowCron(window: RenewalWindow): Cron {
  return new Cron(window.cron, { ...WINDOW_CRON_OPTIONS, timezone: window.timezone, paused: true });
}

/** An instant the satisfiability check starts from; a pattern without years repeats, so any will do. */
const REFERENCE = new Date(Date.UTC(2000, 0, 1));

/**
 * Whether the window ever opens: the expression parses and some minute matches it (a window on
 * February 30th never does). Pure: it does not read the clock.
 */
export function windowIsSatisfiable(
  window: RenewalWindow,
  from: Date = REFERENCE,
): { ok: true; first: Date } | { ok: false; reason: string } {
  let cron: Cron;
  try {
    cron = windowCron(window);
  } catch (error) {
    // croner's messages name the field and the value ("Invalid value for minute: 60").
    const message = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
    return { ok: false, reason: `"${window.cron}" is not a 5-field cron expression: ${message}` };
  }
  let first: Date | null;
  try {
    first = cron.nextRun(from);
  } catch {
    return { ok: false, reason: `"${window.timezone}" is not a time zone croner can use` };
  }
  return first
    ? { ok: true, first }
    : {
        ok: false,
        reason: `"${window.cron}" matches no date at all (e.g. February 30th), so renewal could never run`,
      };
}
