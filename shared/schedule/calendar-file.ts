// Custom calendar files (format: schedules/calendars/README.md) → a TableCalendar, or every problem
// with its line and field. Kept apart from calendar.ts so what evaluates calendars (the planner, the
// Worker) does not carry the YAML parser: the Worker's calendar files are read at build time.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import * as z from "zod";
import { BUILTIN_CALENDARS, type CalendarEntry, TableCalendar } from "./calendar.ts";
import type { DayKind, LocalDate } from "./types.ts";
import { yamlValue } from "./yaml-value.ts";

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

  const value = yamlValue(doc);
  if (!value.ok) {
    at(value.offset, "", value.message);
    return fail();
  }
  const parsed = calendarFile.safeParse(value.value);
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
