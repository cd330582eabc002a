// Calendars of public holidays and make-up working days: the builtin mainland-China calendar,
// custom calendar files (format: schedules/calendars/README.md), and several combined into one.
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

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { z } from "zod";
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

// ---- dates ------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_RANGE_DAYS = 366;

/** Days since 1970-01-01 for a real "YYYY-MM-DD" date in 1900-2999, else undefined. */
function dayNumber(date: string): number | undefined {
  const match = DATE_PATTERN.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1900 || year > 2999) return undefined;
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  return ms / DAY_MS;
}

function dateOf(day: number): LocalDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

// ---- custom calendar files --------------------------------------------------------------------

export interface CalendarFileIssue {
  source: string;
  line: number;
  column: number;
  /** Where in the file: "holidays[1].to"; "" for the file as a whole. */
  field: string;
  message: string;
}

export class CalendarFileError extends Error {
  readonly issues: readonly CalendarFileIssue[];
  constructor(issues: readonly CalendarFileIssue[]) {
    const lines = issues.map(
      (i) => `  ${i.source}:${i.line}:${i.column}: ${i.field ? `${i.field}: ` : ""}${i.message}`,
    );
    super(`invalid calendar file ${issues[0]?.source ?? ""}:\n${lines.join("\n")}`);
    this.name = "CalendarFileError";
    this.issues = issues;
  }
}

const EXAMPLE_DAY = "e.g. `- date: 2026-12-24` with `name: Company shutdown`";

const dateField = z
  .string({
    error: "must be a date written YYYY-MM-DD, e.g. 2026-12-24 (quote it if YAML reads it otherwise)",
  })
  .refine((value) => DATE_PATTERN.test(value), {
    error: "must be a date written YYYY-MM-DD, e.g. 2026-12-24",
  })
  .refine((value) => !DATE_PATTERN.test(value) || dayNumber(value) !== undefined, {
    error: "is not a real date between 1900 and 2999: check the month and the day",
  });

const nameField = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? "is required: say what the day is, e.g. `name: Company shutdown`"
        : "must be text",
  })
  .trim()
  .min(1, { error: "must not be empty: say what the day is, e.g. `name: Company shutdown`" });

const dayFields = {
  date: dateField.optional(),
  from: dateField.optional(),
  to: dateField.optional(),
  name: nameField,
};
const holidayEntry = z.strictObject(dayFields, { error: `each holiday is a mapping, ${EXAMPLE_DAY}` });
const workdayEntry = z.strictObject(
  {
    ...dayFields,
    overridesHolidays: z.boolean({ error: "must be true or false" }).optional(),
  },
  { error: `each make-up working day is a mapping, ${EXAMPLE_DAY}` },
);

const replacesField = z.strictObject(
  {
    builtin: z
      .string({ error: `must name a builtin calendar: ${BUILTIN_CALENDARS.join(", ")}` })
      .refine((name) => BUILTIN_CALENDARS.includes(name), {
        error: `must name a builtin calendar: ${BUILTIN_CALENDARS.join(", ")}`,
      }),
    years: z
      .array(z.int({ error: "each year is a number, e.g. 2027" }).min(1900).max(2999), {
        error: "must be a list of the years the file gives the official arrangement of, e.g. [2027]",
      })
      .min(1, { error: "must list at least one year, e.g. [2027]" }),
  },
  { error: "is a mapping, e.g. `replaces: { builtin: cn-mainland, years: [2027] }`" },
);

const calendarFile = z.strictObject(
  {
    name: nameField.optional(),
    description: z.string({ error: "must be text" }).optional(),
    replaces: replacesField.optional(),
    holidays: z.array(holidayEntry, { error: `must be a list of days, ${EXAMPLE_DAY}` }).optional(),
    workdays: z.array(workdayEntry, { error: `must be a list of days, ${EXAMPLE_DAY}` }).optional(),
  },
  { error: "a calendar file is a YAML mapping with `name:`, `holidays:` and/or `workdays:`" },
);

type CalendarFile = z.infer<typeof calendarFile>;
type Path = readonly (string | number)[];

const ALLOWED_KEYS = {
  top: Object.keys(calendarFile.shape),
  holidays: Object.keys(holidayEntry.shape),
  workdays: Object.keys(workdayEntry.shape),
  replaces: Object.keys(replacesField.shape),
};

function fieldName(path: Path): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
}

function rangeStart(node: unknown): number | undefined {
  return (node as YamlNode | null | undefined)?.range?.[0];
}

/** The offset of the node at `path` (or, with `key`, of that key in the mapping at `path`). */
function offsetOf(root: unknown, path: Path, key?: string): number {
  let node = root;
  let offset = rangeStart(root) ?? 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === part);
      if (pair === undefined) break;
      offset = rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number" && node.items[part] !== undefined) {
      node = node.items[part];
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    offset = rangeStart(pair?.key) ?? offset;
  }
  return offset;
}

interface Declared {
  kind: Exclude<DayKind, "normal">;
  field: string;
  line: number;
}

/**
 * Parses a custom calendar file. `source` names it in messages and, unless the file has a `name:`,
 * is the calendar's name. Throws CalendarFileError listing every problem with its line and field.
 */
export function parseCalendarFile(text: string, source: string): TableCalendar {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const issues: CalendarFileIssue[] = [];
  const at = (offset: number, field: string, message: string) => {
    const { line, col } = lineCounter.linePos(offset);
    issues.push({ source, line, column: col, field, message });
  };
  const fail = (): never => {
    issues.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new CalendarFileError(issues);
  };

  for (const error of doc.errors) at(error.pos[0], "", `YAML syntax: ${error.message.split("\n")[0]}`);
  if (issues.length > 0) fail();

  const parsed = calendarFile.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((part) => typeof part !== "symbol");
      if (issue.code === "unrecognized_keys") {
        const allowed =
          path.length === 0
            ? ALLOWED_KEYS.top
            : path[0] === "holidays" || path[0] === "workdays" || path[0] === "replaces"
              ? ALLOWED_KEYS[path[0]]
              : ALLOWED_KEYS.workdays;
        for (const key of issue.keys) {
          at(
            offsetOf(doc.contents, path, key),
            fieldName([...path, key]),
            `unknown field; the fields here are: ${allowed.join(", ")}`,
          );
        }
      } else {
        at(offsetOf(doc.contents, path), fieldName(path), issue.message);
      }
    }
    fail();
  }
  const file = parsed.data as CalendarFile;

  const entries = new Map<LocalDate, CalendarEntry>();
  const declared = new Map<LocalDate, Declared>();
  const lists = [
    ["holidays", "holiday", file.holidays ?? []],
    ["workdays", "makeup-workday", file.workdays ?? []],
  ] as const;
  for (const [list, kind, days] of lists) {
    days.forEach((day, index) => {
      const path = [list, index] as const;
      const field = fieldName(path);
      const entryOffset = offsetOf(doc.contents, path);
      const range = dayRange(day, (part, message) =>
        at(
          part === undefined ? entryOffset : offsetOf(doc.contents, [...path, part]),
          part ? `${field}.${part}` : field,
          message,
        ),
      );
      if (range === undefined) return;
      const line = lineCounter.linePos(entryOffset).line;
      const overridesHolidays = "overridesHolidays" in day && day.overridesHolidays === true;
      for (let n = range.first; n <= range.last; n++) {
        const date = dateOf(n);
        const earlier = declared.get(date);
        if (earlier !== undefined) {
          const what = earlier.kind === "holiday" ? "a holiday" : "a make-up working day";
          at(
            entryOffset,
            field,
            `${date} is already ${what} at line ${earlier.line} (${earlier.field}); declare each date once per calendar`,
          );
          break;
        }
        declared.set(date, { kind, field, line });
        entries.set(date, { kind, name: day.name, overridesHolidays });
      }
    });
  }
  if (issues.length === 0 && entries.size === 0) {
    at(rangeStart(doc.contents) ?? 0, "", "declares no days: add `holidays:` and/or `workdays:` entries");
  }
  // An arrangement without a single holiday in a year it replaces is a mistyped year.
  file.replaces?.years.forEach((year, index) => {
    const holidays = [...entries].filter(
      ([date, entry]) => entry.kind === "holiday" && date.startsWith(`${year}-`),
    );
    if (entries.size > 0 && holidays.length === 0) {
      at(
        offsetOf(doc.contents, ["replaces", "years", index]),
        `replaces.years[${index}]`,
        `the file has no holiday in ${year}, so it cannot be ${year}'s arrangement: check the year`,
      );
    }
  });
  if (issues.length > 0) fail();

  const years = [...entries.keys(), ...(file.replaces?.years ?? []).map((year) => `${year}`)].map((date) =>
    Number(date.slice(0, 4)),
  );
  return new TableCalendar(
    file.name ?? source,
    { from: Math.min(...years), to: Math.max(...years) },
    entries,
    file.replaces !== undefined
      ? { replaces: { builtin: file.replaces.builtin, years: file.replaces.years } }
      : {},
  );
}

/** One day (`date:`) or an inclusive range (`from:` + `to:`) as day numbers; reports what is wrong. */
function dayRange(
  day: { date?: string | undefined; from?: string | undefined; to?: string | undefined },
  report: (part: "from" | "to" | undefined, message: string) => void,
): { first: number; last: number } | undefined {
  if (day.date !== undefined) {
    if (day.from !== undefined || day.to !== undefined) {
      report(undefined, "give either `date:` (one day) or `from:` and `to:` (a range), not both");
      return undefined;
    }
    const n = dayNumber(day.date) ?? 0;
    return { first: n, last: n };
  }
  if (day.from === undefined && day.to === undefined) {
    report(undefined, "needs `date:` (one day) or `from:` and `to:` (an inclusive range)");
    return undefined;
  }
  if (day.from === undefined || day.to === undefined) {
    report(
      day.from === undefined ? "to" : "from",
      "a range needs both `from:` and `to:` (for one day, write `date:`)",
    );
    return undefined;
  }
  const first = dayNumber(day.from) ?? 0;
  const last = dayNumber(day.to) ?? 0;
  if (last < first) {
    report("to", `ends before it starts (from: ${day.from}); swap \`from:\` and \`to:\``);
    return undefined;
  }
  if (last - first + 1 > MAX_RANGE_DAYS) {
    report("to", `the range spans ${last - first + 1} days, more than ${MAX_RANGE_DAYS}: check the years`);
    return undefined;
  }
  return { first, last };
}
