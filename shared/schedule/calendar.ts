// Calendars of public holidays and make-up working days: the builtin mainland-China calendar,
// custom calendar files (format: schedules/calendars/README.md; read by calendar-file.ts), and
// several combined into one.
//
// The planner asks dayKind() for every target of every schedule on every tick, so each calendar is
// a precomputed Map from local date to entry and a lookup is one Map.get.
//
// The builtin cn-mainland calendar has three kinds of days:
//   - official: the State Council's published arrangements (holidays and make-up working days), for
//     the years of `coverage` (calendars/cn-mainland.ts);
//   - provisional: for later years up to `provisional.to`, only the statutory holidays, computed
//     from the statute in force (cn-statute.ts) on first use; make-up working days are unknown;
//   - replaced: a calendar file with `replaces: { builtin: cn-mainland, years: [...] }` listed by the
//     same schedule (the official arrangement dropped in as a file) takes over those years: the
//     builtin's days there, official or provisional, are dropped (withReplacements).
//
// Combining (combineCalendars, after replacements), for each date:
//   1. a make-up working day declared `overridesHolidays: true` (custom files only) wins over all;
//   2. otherwise a holiday in any calendar wins (a company shutdown beats a national make-up day);
//   3. otherwise a make-up working day in any calendar;
//   4. otherwise the day is normal.
// Among entries of equal rank, the first calendar in the list names the day.

import {
  CN_MAINLAND_HOLIDAYS,
  CN_MAINLAND_MAKEUP_WORKDAYS,
  CN_MAINLAND_SOURCE,
} from "./calendars/cn-mainland.ts";
import { CN_STATUTE_YEARS, cnStatutoryHolidays } from "./cn-statute.ts";
import type { Calendar, DayKind, LocalDate } from "./types.ts";

export interface CalendarEntry {
  kind: Exclude<DayKind, "normal">;
  /** What describe() says: the holiday's name, or what the make-up working day makes up for. */
  name: string;
  /** A make-up working day that beats holidays of other calendars when combined. */
  overridesHolidays: boolean;
}

/** Days computed rather than published: the years after a calendar's coverage, up to `to`. */
export interface ProvisionalDays {
  to: number;
  /** The entries of one year (called once per year, on first use). */
  daysOf(year: number): ReadonlyMap<LocalDate, CalendarEntry>;
}

/** A calendar backed by a precomputed table: every date not in it (nor provisional) is "normal". */
export class TableCalendar implements Calendar {
  readonly name: string;
  readonly coverage: { from: number; to: number };
  readonly entries: ReadonlyMap<LocalDate, CalendarEntry>;
  readonly provisional?: { to: number };
  readonly replaces?: { builtin: string; years: readonly number[] };
  readonly #provisional?: ProvisionalDays;
  readonly #provisionalYears = new Map<number, ReadonlyMap<LocalDate, CalendarEntry>>();

  constructor(
    name: string,
    coverage: { from: number; to: number },
    entries: ReadonlyMap<LocalDate, CalendarEntry>,
    options: { provisional?: ProvisionalDays; replaces?: { builtin: string; years: readonly number[] } } = {},
  ) {
    this.name = name;
    this.coverage = coverage;
    this.entries = entries;
    if (options.provisional !== undefined) {
      this.#provisional = options.provisional;
      this.provisional = { to: options.provisional.to };
    }
    if (options.replaces !== undefined) this.replaces = options.replaces;
  }

  /** The official entry of `date`, else its provisional one. */
  entry(date: LocalDate): CalendarEntry | undefined {
    const official = this.entries.get(date);
    if (official !== undefined || this.#provisional === undefined) return official;
    const year = Number(date.slice(0, 4));
    if (year <= this.coverage.to || year > this.#provisional.to) return undefined;
    let days = this.#provisionalYears.get(year);
    if (days === undefined) {
      days = this.#provisional.daysOf(year);
      this.#provisionalYears.set(year, days);
    }
    return days.get(date);
  }

  dayKind(date: LocalDate): DayKind {
    return this.entry(date)?.kind ?? "normal";
  }

  describe(date: LocalDate): string | undefined {
    return this.entry(date)?.name;
  }
}

// ---- builtin calendars ----------------------------------------------------------------------

export const BUILTIN_CALENDARS: readonly string[] = ["cn-mainland"];

function cnMainland(): TableCalendar {
  const entries = new Map<LocalDate, CalendarEntry>();
  for (const [date, name, chineseName] of CN_MAINLAND_HOLIDAYS) {
    entries.set(date, { kind: "holiday", name: `${name} (${chineseName})`, overridesHolidays: false });
  }
  for (const [date, holiday, chineseName] of CN_MAINLAND_MAKEUP_WORKDAYS) {
    const name = `make-up working day for ${holiday} (${chineseName}调休上班)`;
    entries.set(date, { kind: "makeup-workday", name, overridesHolidays: false });
  }
  return new TableCalendar("cn-mainland", { ...CN_MAINLAND_SOURCE.years }, entries, {
    provisional: { to: CN_STATUTE_YEARS.to, daysOf: cnProvisionalDays },
  });
}

/** A year's statutory holidays, marked provisional; its make-up working days are unknown. */
function cnProvisionalDays(year: number): Map<LocalDate, CalendarEntry> {
  const note = `provisional: computed from the statute, the State Council has not published ${year}'s arrangement`;
  const entries = new Map<LocalDate, CalendarEntry>();
  for (const [date, name, chineseName] of cnStatutoryHolidays(year)) {
    entries.set(date, {
      kind: "holiday",
      name: `${name} (${chineseName}, ${note})`,
      overridesHolidays: false,
    });
  }
  return entries;
}

const builtins = new Map<string, TableCalendar>();

/** A calendar shipped with nightshift, built once per process. */
export function builtinCalendar(name: string): TableCalendar {
  let calendar = builtins.get(name);
  if (calendar === undefined) {
    if (name !== "cn-mainland") {
      throw new Error(
        `unknown builtin calendar "${name}"; the builtin calendars are: ${BUILTIN_CALENDARS.join(", ")} ` +
          "(for your own days, write a calendar file: see schedules/calendars/README.md)",
      );
    }
    calendar = cnMainland();
    builtins.set(name, calendar);
  }
  return calendar;
}

// ---- combining --------------------------------------------------------------------------------

function entryIn(calendar: Calendar, date: LocalDate): CalendarEntry | undefined {
  if (calendar instanceof TableCalendar) return calendar.entry(date);
  const kind = calendar.dayKind(date);
  if (kind === "normal") return undefined;
  return { kind, name: calendar.describe(date) ?? calendar.name, overridesHolidays: false };
}

/**
 * A schedule's calendars with the replacements applied: a builtin calendar whose years a calendar
 * file in the list `replaces` says nothing on those years (the file's days apply there instead).
 */
export function withReplacements(calendars: readonly Calendar[]): Calendar[] {
  const replaced = new Map<string, Set<number>>();
  for (const { replaces } of calendars) {
    if (replaces === undefined) continue;
    const years = replaced.get(replaces.builtin) ?? new Set<number>();
    for (const year of replaces.years) years.add(year);
    replaced.set(replaces.builtin, years);
  }
  if (replaced.size === 0) return [...calendars];
  return calendars.map((calendar) => {
    const years = replaced.get(calendar.name);
    // Only the builtin itself: a custom file that happens to share its name is not replaced.
    if (years === undefined || builtins.get(calendar.name) !== calendar) return calendar;
    const kept = (date: LocalDate) => !years.has(Number(date.slice(0, 4)));
    return {
      name: calendar.name,
      coverage: calendar.coverage,
      ...(calendar.provisional !== undefined ? { provisional: calendar.provisional } : {}),
      dayKind: (date) => (kept(date) ? calendar.dayKind(date) : "normal"),
      describe: (date) => (kept(date) ? calendar.describe(date) : undefined),
    };
  });
}

/**
 * What a date is by the precedence at the top of this file, and which calendar says so: the one
 * rule the planner and combineCalendars both follow.
 */
export function resolveDay(
  calendars: readonly Calendar[],
  date: LocalDate,
): { entry: CalendarEntry; calendar: Calendar } | undefined {
  let holiday: { entry: CalendarEntry; calendar: Calendar } | undefined;
  let makeup: { entry: CalendarEntry; calendar: Calendar } | undefined;
  for (const calendar of calendars) {
    const entry = entryIn(calendar, date);
    if (entry === undefined) continue;
    if (entry.kind === "makeup-workday" && entry.overridesHolidays) return { entry, calendar };
    if (entry.kind === "holiday") holiday ??= { entry, calendar };
    else makeup ??= { entry, calendar };
  }
  return holiday ?? makeup;
}

const resolve = (calendars: readonly Calendar[], date: LocalDate) => resolveDay(calendars, date)?.entry;

/** Several calendars as one, by the precedence at the top of this file. Coverage is their union. */
export function combineCalendars(listed: readonly Calendar[]): Calendar {
  const calendars = withReplacements(listed);
  const [only] = calendars;
  if (calendars.length === 1 && only !== undefined) return only;
  const name = calendars.length === 0 ? "none" : calendars.map((calendar) => calendar.name).join(" + ");
  // No calendars cover no year: an empty range.
  const coverage =
    calendars.length === 0
      ? { from: 0, to: -1 }
      : {
          from: Math.min(...calendars.map((calendar) => calendar.coverage.from)),
          to: Math.max(...calendars.map((calendar) => calendar.coverage.to)),
        };
  // Tables merge into one table; provisional days are computed per year, so they resolve per call.
  const tables = calendars.filter(
    (calendar) => calendar instanceof TableCalendar && calendar.provisional === undefined,
  ) as TableCalendar[];
  if (tables.length === calendars.length) {
    const entries = new Map<LocalDate, CalendarEntry>();
    for (const table of tables) {
      for (const date of table.entries.keys()) {
        if (entries.has(date)) continue;
        const entry = resolve(calendars, date);
        if (entry !== undefined) entries.set(date, entry);
      }
    }
    return new TableCalendar(name, coverage, entries);
  }
  // Some other Calendar implementation (no table to merge): resolve on each call.
  return {
    name,
    coverage,
    dayKind: (date) => resolve(calendars, date)?.kind ?? "normal",
    describe: (date) => resolve(calendars, date)?.name,
  };
}
