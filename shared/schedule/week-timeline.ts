// The week timeline of one target, as data: what the dashboard draws (functions/dashboard/
// timeline-svg.ts). Pure: the caller passes the owning schedule and its calendars, the target's
// state and ledger entries, the first local date and `now`.
//
// Everything is laid out in the schedule's time zone, one row per local day. A position is the
// time elapsed since that day's local midnight, so a spring-forward day is 23 hours long and a
// fall-back day 25: nothing is stretched, and the wall-clock ticks (00, 06, 12, 18) sit where
// those times really fall.
import { type SleepLedgerEntry, sleepIntervals } from "../savings/sleep-intervals.ts";
import type { TargetState } from "../store/store.ts";
import { resolveDay } from "./calendar.ts";
import { desiredStateAt, planTransitions, ScheduleError } from "./plan.ts";
import {
  assertTimezone,
  dateOfDayNumber,
  dayNumber,
  localDayAndMinutes,
  localMinutesToUtc,
  TimezoneError,
  timeOfMinutes,
  weekdayOfDayNumber,
} from "./timezone.ts";
import type { Calendar, DayKind, DesiredState, LocalDate, LocalTime, Schedule, Weekday } from "./types.ts";

const MINUTE_MS = 60_000;
const TICK_HOURS = [0, 6, 12, 18];
export const MAX_TIMELINE_DAYS = 14;

export type TimelineBandKind =
  /** The schedule wants the target asleep (its rules, holidays and exceptions together). */
  | "planned-sleep"
  /** The ledger says the target was asleep (a sleep succeeded, no wake since). */
  | "actual-sleep"
  /** A schedule exception: its dates, held in `state`. */
  | "exception"
  /** Sleeps held off (a snooze or postpone, from the API or a notice link). */
  | "snooze"
  /** Held awake by an event's rule (resize rules' wake with holdMinutes). */
  | "hold"
  /** The schedule is paused for the target. */
  | "pause";

export const BAND_KINDS: readonly TimelineBandKind[] = [
  "planned-sleep",
  "actual-sleep",
  "exception",
  "snooze",
  "hold",
  "pause",
];

/** A wall-clock reading in the timeline's zone; `time` "24:00" is the end of `date`. */
export interface LocalReading {
  date: LocalDate;
  weekday: Weekday;
  time: LocalTime;
}

/** The part of a band within one day's row. */
export interface TimelineSegment {
  /** Index into `days`. */
  day: number;
  /** Minutes since the day's local midnight (elapsed, so DST-exact). */
  startMinute: number;
  endMinute: number;
}

export interface TimelineBand {
  kind: TimelineBandKind;
  /** Clipped to the timeline. */
  start: Date;
  end: Date;
  startLocal: LocalReading;
  endLocal: LocalReading;
  /** It began before the timeline / goes on after it. */
  continuesBefore: boolean;
  continuesAfter: boolean;
  /** An actual sleep still going on at `now` (drawn to `now`). */
  ongoing?: boolean;
  /** Exceptions: the state held. */
  state?: DesiredState;
  /** Why, when known: an exception's reason, a hold's rule, how a snooze was asked for. */
  note?: string;
  segments: TimelineSegment[];
}

export type TimelineMarkerKind = "resize" | "failure";

export interface TimelineMarker {
  kind: TimelineMarkerKind;
  at: Date;
  local: LocalReading;
  day: number;
  minute: number;
  /** What happened, from the ledger (e.g. "resize workers 2→4"). */
  label: string;
}

export interface TimelineDay {
  date: LocalDate;
  weekday: Weekday;
  start: Date;
  end: Date;
  /** 1440, or 1380 / 1500 on a DST change. */
  minutes: number;
  kind: DayKind;
  /** The holiday or make-up day's name, and the calendar that says so. */
  name?: string;
  calendar?: string;
  /** A holiday computed from the statute, not yet published (builtin calendars after their coverage). */
  provisional: boolean;
  /** Wall-clock hours 00, 06, 12, 18 at their elapsed minute (a time that does not exist is left out). */
  ticks: Array<{ minute: number; label: LocalTime }>;
}

export interface WeekTimeline {
  timezone: string;
  /** The owning schedule's name; absent for a target no schedule owns. */
  schedule?: string;
  from: Date;
  to: Date;
  days: TimelineDay[];
  /** In BAND_KINDS order, each kind by start. */
  bands: TimelineBand[];
  markers: TimelineMarker[];
  /** Where `now` falls, when within the timeline. */
  now?: { at: Date; day: number; minute: number; local: LocalReading };
}

export interface PauseSpan {
  from: Date;
  /** Absent: until resumed. */
  until?: Date;
  reason?: string;
}

export interface WeekTimelineInput {
  /** The schedule that owns the target; absent: nothing planned (the timeline shows what happened). */
  schedule?: Schedule;
  /** The schedule's calendars, resolved (engine.ts calendarsFor). */
  calendars?: readonly Calendar[];
  /** The zone when there is no schedule (default UTC); ignored otherwise. */
  timezone?: string;
  /** The first local date shown (see weekStartOf). */
  start: LocalDate;
  /** How many days (default 7, at most MAX_TIMELINE_DAYS). */
  days?: number;
  now: Date;
  state?: Pick<TargetState, "snoozeUntil" | "heldAwake">;
  /**
   * The target's ledger entries from some time before `start` (a sleep begun earlier shows) to
   * `now`: sleeps and wakes, resizes, snoozes, holds, failures.
   */
  ledger?: readonly SleepLedgerEntry[];
  pauses?: readonly PauseSpan[];
}

/** The local date that begins the week (Monday by default) holding `at` in `timezone`. */
export function weekStartOf(at: Date, timezone: string, firstDay: Weekday = "mon"): LocalDate {
  let { day } = localDayAndMinutes(at, timezone);
  while (weekdayOfDayNumber(day) !== firstDay) day--;
  return dateOfDayNumber(day);
}

interface Span {
  start: number;
  end: number;
}

export function weekTimeline(input: WeekTimelineInput): WeekTimeline {
  const { schedule } = input;
  const timezone = schedule?.timezone ?? input.timezone ?? "UTC";
  try {
    assertTimezone(timezone);
  } catch (error) {
    if (error instanceof TimezoneError) throw new ScheduleError(`timezone: ${error.message}`);
    throw error;
  }
  const count = input.days ?? 7;
  if (!Number.isInteger(count) || count < 1 || count > MAX_TIMELINE_DAYS) {
    throw new ScheduleError(`days must be a whole number from 1 to ${MAX_TIMELINE_DAYS}; got ${count}`);
  }
  let first: number;
  try {
    first = dayNumber(input.start);
  } catch (error) {
    if (error instanceof TimezoneError) throw new ScheduleError(`start: ${error.message}`);
    throw error;
  }
  const now = input.now.getTime();
  if (Number.isNaN(now)) throw new ScheduleError("now must be a valid Date");
  const calendars = input.calendars ?? [];

  const midnight = (day: number) => localMinutesToUtc(day, 0, timezone).at.getTime();
  const days: TimelineDay[] = [];
  for (let i = 0; i < count; i++) {
    const day = first + i;
    const start = midnight(day);
    const end = midnight(day + 1);
    const date = dateOfDayNumber(day);
    const resolved = schedule ? resolveDay(calendars, date) : undefined;
    const kind: DayKind = resolved?.entry.kind ?? "normal";
    const year = Number(date.slice(0, 4));
    const provisional =
      resolved !== undefined &&
      resolved.calendar.provisional !== undefined &&
      year > resolved.calendar.coverage.to &&
      year <= resolved.calendar.provisional.to;
    const ticks: TimelineDay["ticks"] = [];
    for (const hour of TICK_HOURS) {
      const tick = localMinutesToUtc(day, hour * 60, timezone);
      if (tick.dst === "skipped") continue;
      ticks.push({ minute: (tick.at.getTime() - start) / MINUTE_MS, label: timeOfMinutes(hour * 60) });
    }
    days.push({
      date,
      weekday: weekdayOfDayNumber(day),
      start: new Date(start),
      end: new Date(end),
      minutes: (end - start) / MINUTE_MS,
      kind,
      ...(resolved ? { name: resolved.entry.name, calendar: resolved.calendar.name } : {}),
      provisional,
      ticks,
    });
  }
  const from = days[0]!.start.getTime();
  const to = days[days.length - 1]!.end.getTime();

  const reading = (ms: number, isEnd: boolean): LocalReading => {
    const local = localDayAndMinutes(new Date(ms), timezone);
    // An end at a midnight reads as 24:00 of the day before: the row it ends in.
    if (isEnd && local.minutes === 0 && ms === midnight(local.day)) {
      return {
        date: dateOfDayNumber(local.day - 1),
        weekday: weekdayOfDayNumber(local.day - 1),
        time: "24:00",
      };
    }
    return {
      date: dateOfDayNumber(local.day),
      weekday: weekdayOfDayNumber(local.day),
      time: timeOfMinutes(local.minutes),
    };
  };
  const place = (ms: number): { day: number; minute: number } => {
    let index = days.findIndex((d) => ms < d.end.getTime());
    if (index === -1) index = days.length - 1;
    return { day: index, minute: (ms - days[index]!.start.getTime()) / MINUTE_MS };
  };

  const bands: TimelineBand[] = [];
  const addBand = (
    kind: TimelineBandKind,
    span: Span,
    extra: Pick<TimelineBand, "ongoing" | "state" | "note"> = {},
  ) => {
    const start = Math.max(span.start, from);
    const end = Math.min(span.end, to);
    if (end <= start) return;
    const segments: TimelineSegment[] = [];
    days.forEach((day, index) => {
      const dayStart = day.start.getTime();
      const s = Math.max(start, dayStart);
      const e = Math.min(end, day.end.getTime());
      if (e > s)
        segments.push({
          day: index,
          startMinute: (s - dayStart) / MINUTE_MS,
          endMinute: (e - dayStart) / MINUTE_MS,
        });
    });
    const band: TimelineBand = {
      kind,
      start: new Date(start),
      end: new Date(end),
      startLocal: reading(start, false),
      endLocal: reading(end, true),
      continuesBefore: span.start < from,
      continuesAfter: span.end > to,
      segments,
    };
    if (extra.ongoing) band.ongoing = true;
    if (extra.state !== undefined) band.state = extra.state;
    if (extra.note !== undefined) band.note = extra.note;
    bands.push(band);
  };

  if (schedule) {
    // The planned state: what it is at the first midnight, then every transition after it.
    // From just before the first midnight, so a transition at that midnight is one of the plan's.
    const window = { from: new Date(from - 1), to: new Date(to) };
    let asleepSince = desiredStateAt(schedule, calendars, window.from) === "asleep" ? from - 1 : undefined;
    for (const transition of planTransitions(schedule, calendars, window)) {
      const at = transition.at.getTime();
      if (transition.to === "asleep" && asleepSince === undefined) asleepSince = at;
      else if (transition.to === "awake" && asleepSince !== undefined) {
        addBand("planned-sleep", { start: asleepSince, end: at });
        asleepSince = undefined;
      }
    }
    if (asleepSince !== undefined) addBand("planned-sleep", { start: asleepSince, end: to + 1 });

    for (const exception of schedule.exceptions) {
      const start = midnight(dayNumber(exception.from));
      const end = midnight(dayNumber(exception.to) + 1);
      addBand(
        "exception",
        { start, end },
        { state: exception.state, ...(exception.reason !== undefined ? { note: exception.reason } : {}) },
      );
    }
  }

  const ledger = input.ledger ?? [];
  for (const interval of sleepIntervals(ledger)) {
    const start = interval.start.getTime();
    if (start > now) continue;
    const end = interval.end?.getTime() ?? now;
    addBand("actual-sleep", { start, end }, interval.end === undefined ? { ongoing: true } : {});
  }

  // Snoozes: each replaces the one before it; the target state's own may predate the entries read.
  const snoozes = ledger
    .filter(
      (e) =>
        (e.kind === "target.snoozed" || e.kind === "target.snooze" || e.kind === "target.postpone") &&
        typeof e.detail.until === "string",
    )
    .map((e) => ({
      start: e.at.getTime(),
      end: Date.parse(e.detail.until as string),
      note: e.kind === "target.postpone" ? "postponed" : "snoozed",
    }))
    .sort((a, b) => a.start - b.start);
  const stateSnooze = input.state?.snoozeUntil ? Date.parse(input.state.snoozeUntil) : undefined;
  if (stateSnooze !== undefined && !snoozes.some((s) => s.end === stateSnooze)) {
    snoozes.unshift({ start: Number.NEGATIVE_INFINITY, end: stateSnooze, note: "snoozed" });
  }
  snoozes.forEach((snooze, index) => {
    const next = snoozes[index + 1];
    const end = next !== undefined && next.start < snooze.end ? next.start : snooze.end;
    addBand("snooze", { start: snooze.start, end }, { note: snooze.note });
  });

  const holds = ledger
    .filter((e) => e.kind === "resize.hold" && typeof e.detail.until === "string")
    .map((e) => ({
      start: e.at.getTime(),
      end: Date.parse(e.detail.until as string),
      note: typeof e.detail.rule === "string" ? `rule ${e.detail.rule}` : undefined,
    }));
  const held = input.state?.heldAwake;
  if (held && !holds.some((h) => h.start === Date.parse(held.at))) {
    holds.push({ start: Date.parse(held.at), end: Date.parse(held.until), note: `rule ${held.rule}` });
  }
  holds.sort((a, b) => a.start - b.start);
  for (const hold of holds) addBand("hold", hold, hold.note !== undefined ? { note: hold.note } : {});

  for (const pause of input.pauses ?? []) {
    addBand(
      "pause",
      { start: pause.from.getTime(), end: pause.until?.getTime() ?? Number.POSITIVE_INFINITY },
      pause.reason !== undefined ? { note: pause.reason } : {},
    );
  }

  bands.sort(
    (a, b) =>
      BAND_KINDS.indexOf(a.kind) - BAND_KINDS.indexOf(b.kind) || a.start.getTime() - b.start.getTime(),
  );

  const markers: TimelineMarker[] = [];
  for (const entry of ledger) {
    const at = entry.at.getTime();
    if (at < from || at >= to) continue;
    const kind: TimelineMarkerKind | undefined =
      entry.kind === "resize.applied" || entry.kind === "resize.requested"
        ? "resize"
        : entry.kind.endsWith(".failed")
          ? "failure"
          : undefined;
    if (kind === undefined) continue;
    const action = entry.detail.action;
    const error = entry.detail.error as { message?: unknown } | undefined;
    const label =
      typeof action === "string"
        ? action
        : typeof error?.message === "string"
          ? `${entry.kind}: ${error.message}`
          : entry.kind;
    markers.push({ kind, at: entry.at, local: reading(at, false), ...place(at), label });
  }
  markers.sort((a, b) => a.at.getTime() - b.at.getTime());

  const timeline: WeekTimeline = {
    timezone,
    from: new Date(from),
    to: new Date(to),
    days,
    bands,
    markers,
  };
  if (schedule) timeline.schedule = schedule.name;
  if (now >= from && now < to) timeline.now = { at: input.now, local: reading(now, false), ...place(now) };
  return timeline;
}
