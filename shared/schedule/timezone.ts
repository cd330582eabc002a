// Wall-clock time in an IANA time zone ↔ UTC instants, with the platform's own tz data (Intl), so
// the same code runs on Node and in workerd. Local dates and times are plain strings
// ("2026-03-29", "02:30"); their arithmetic is done on day numbers, never through the host zone.
import type { LocalDate, LocalTime, Weekday } from "./types.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// Date.getUTCDay() order: 0 = Sunday.
const WEEKDAY_BY_UTC_DAY: readonly Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export class TimezoneError extends Error {
  override name = "TimezoneError";
}

export interface LocalInstant {
  date: LocalDate;
  time: LocalTime;
  weekday: Weekday;
}

export interface ResolvedLocalTime {
  at: Date;
  /**
   * "skipped": the wall time does not exist that day (spring forward); `at` is as many minutes after
   * the gap starts as the time was after the gap's start. "repeated": it occurred twice (fall back);
   * `at` is the first occurrence.
   */
  dst?: "skipped" | "repeated";
}

// One formatter per zone: constructing Intl.DateTimeFormat costs far more than using one.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat("en-US", {
        timeZone: timezone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      throw new TimezoneError(
        `unknown time zone "${timezone}": use an IANA name such as "Europe/Berlin" or "Asia/Shanghai"`,
      );
    }
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** Throws a TimezoneError naming the zone when the platform does not know it. */
export function assertTimezone(timezone: string): void {
  formatterFor(timezone);
}

// en-US with h23 formats as "3/29/2026, 01:30:00". Parsing format() is about three times faster
// than formatToParts(), which remains the fallback should an ICU version print something else.
const FORMATTED = /^(\d{1,2})\/(\d{1,2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;

/** Wall-clock fields of an instant in a zone, as milliseconds of a UTC clock showing them. */
function wallClockMs(ms: number, timezone: string): number {
  const formatter = formatterFor(timezone);
  const match = FORMATTED.exec(formatter.format(ms));
  if (match !== null) {
    const [, month, day, year, hour, minute, second] = match;
    // Some ICU versions print midnight as 24 even with h23.
    return Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour) % 24,
      Number(minute),
      Number(second),
    );
  }
  const field: Record<string, number> = {};
  for (const part of formatter.formatToParts(ms)) field[part.type] = Number(part.value);
  return Date.UTC(
    field.year ?? Number.NaN,
    (field.month ?? Number.NaN) - 1,
    field.day ?? Number.NaN,
    (field.hour ?? Number.NaN) % 24,
    field.minute ?? Number.NaN,
    field.second ?? Number.NaN,
  );
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
function offsetMs(ms: number, timezone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClockMs(whole, timezone) - whole;
}

// The offset at each UTC midnight, per zone. Zones change offset at most once in a few days, so
// equal offsets at two consecutive midnights mean the whole day between has that offset: most
// conversions then need no formatting at all. Bounded, because a Node service runs for months.
const MIDNIGHT_OFFSETS_LIMIT = 50_000;
const midnightOffsets = new Map<string, Map<number, number>>();

function offsetAtUtcMidnight(day: number, timezone: string): number {
  let zone = midnightOffsets.get(timezone);
  if (zone === undefined) {
    zone = new Map();
    midnightOffsets.set(timezone, zone);
  }
  let offset = zone.get(day);
  if (offset === undefined) {
    if (zone.size >= MIDNIGHT_OFFSETS_LIMIT) zone.clear();
    offset = offsetMs(day * DAY_MS, timezone);
    zone.set(day, offset);
  }
  return offset;
}

/** offsetMs, from the midnight cache whenever the UTC day holds no offset change. */
function offsetAt(ms: number, timezone: string): number {
  const day = Math.floor(ms / DAY_MS);
  const start = offsetAtUtcMidnight(day, timezone);
  return start === offsetAtUtcMidnight(day + 1, timezone) ? start : offsetMs(ms, timezone);
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Days since 1970-01-01 for a local date; throws on a malformed or impossible date. */
export function dayNumber(date: LocalDate): number {
  const match = DATE_PATTERN.exec(date);
  if (match !== null) {
    const [, y, m, d] = match;
    const ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
    // Date.UTC rolls 2026-02-30 over to March; a round trip catches it.
    if (dateOfDayNumber(ms / DAY_MS) === date) return ms / DAY_MS;
  }
  throw new TimezoneError(
    `invalid date "${date}": write a real calendar date as YYYY-MM-DD, e.g. 2026-03-29`,
  );
}

export function dateOfDayNumber(day: number): LocalDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function weekdayOfDayNumber(day: number): Weekday {
  // 1970-01-01 was a Thursday (UTC day 4).
  return WEEKDAY_BY_UTC_DAY[(((day + 4) % 7) + 7) % 7]!;
}

export function weekdayOf(date: LocalDate): Weekday {
  return weekdayOfDayNumber(dayNumber(date));
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return dateOfDayNumber(dayNumber(date) + days);
}

/** Minutes after midnight of "HH:MM"; throws on anything else. */
export function minutesOfTime(time: LocalTime): number {
  const match = TIME_PATTERN.exec(time);
  if (match === null) {
    throw new TimezoneError(`invalid time "${time}": write a 24-hour time as HH:MM, e.g. 07:30 or 20:00`);
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

export function timeOfMinutes(minutes: number): LocalTime {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}`;
}

/**
 * The instant a wall-clock time names in a zone. Exact across DST: a time inside a skipped hour
 * maps to the same number of minutes after the gap starts (02:30 on a Berlin spring-forward day is
 * 03:30 CEST = 01:30 UTC); a time inside a repeated hour takes its first occurrence.
 */
export function localToUtc(date: LocalDate, time: LocalTime, timezone: string): ResolvedLocalTime {
  return localMinutesToUtc(dayNumber(date), minutesOfTime(time), timezone);
}

/** localToUtc on already-parsed values: `day` from dayNumber, `minutes` after local midnight. */
export function localMinutesToUtc(day: number, minutes: number, timezone: string): ResolvedLocalTime {
  const wall = day * DAY_MS + minutes * MINUTE_MS;
  // The instant lies within 14 h of `wall`, so between these two UTC midnights. A zone changes its
  // offset at most once in that span, so the offsets at its ends are the only candidates (the
  // approach of Temporal's GetPossibleEpochNanoseconds).
  const before = offsetAtUtcMidnight(day - 1, timezone);
  const after = offsetAtUtcMidnight(day + 2, timezone);
  if (before === after) return { at: new Date(wall - before) };
  const early = wall - before;
  const late = wall - after;
  const earlyValid = offsetMs(early, timezone) === before;
  const lateValid = offsetMs(late, timezone) === after;
  if (earlyValid && lateValid) return { at: new Date(Math.min(early, late)), dst: "repeated" };
  if (earlyValid) return { at: new Date(early) };
  if (lateValid) return { at: new Date(late) };
  // In the gap: reading the time with the offset in force before the gap lands as far past the
  // gap's start as the time was.
  return { at: new Date(early), dst: "skipped" };
}

/** The wall-clock date, time (to the minute) and weekday of an instant in a zone. */
export function utcToLocal(instant: Date, timezone: string): LocalInstant {
  const { day, minutes } = localDayAndMinutes(instant, timezone);
  return { date: dateOfDayNumber(day), time: timeOfMinutes(minutes), weekday: weekdayOfDayNumber(day) };
}

/** Local day number and minutes after midnight of an instant: utcToLocal without the strings. */
export function localDayAndMinutes(instant: Date, timezone: string): { day: number; minutes: number } {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new TimezoneError("invalid instant: got an Invalid Date");
  const wall = Math.floor(ms / MINUTE_MS) * MINUTE_MS + offsetAt(ms, timezone);
  const day = Math.floor(wall / DAY_MS);
  return { day, minutes: Math.floor((wall - day * DAY_MS) / MINUTE_MS) };
}
