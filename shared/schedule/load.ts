// Schedule files (already read) → every schedule, the calendars they name, the resize rules
// (documents with `kind: resize`), the renewals (`kind: renewal`) and the rates (`kind: rates`), or
// every problem found. Runtime-neutral: the Node host reads the schedules directory (load.node.ts); the Worker
// runs with the same files bundled at deploy time (functions/schedules.bundle.ts).
import type { Renewal } from "../renewal/renewal-schema.ts";
import type { ResizeRule } from "../rules/rule-schema.ts";
import { type Rates, ratesCurrency } from "../savings/rates-schema.ts";
import { BUILTIN_CALENDARS, builtinCalendar } from "./calendar.ts";
import { CalendarFileError, parseCalendarFile } from "./calendar-file.ts";
import {
  duplicateNameMessage,
  duplicateRatesMessage,
  duplicateRuleMessage,
  type LocatedRates,
  type LocatedRenewal,
  type LocatedRule,
  type LocatedSchedule,
  parseScheduleDocuments,
  type ScheduleFileError,
} from "./schedule-file.ts";
import type { Calendar, Schedule } from "./types.ts";

export type LoadedSchedules =
  | {
      schedules: Schedule[];
      /** The renewal declarations (`kind: renewal` documents). */
      renewals: Renewal[];
      /** Every calendar a schedule names, by reference (builtin name or file path as written). */
      calendars: Map<string, Calendar>;
      /** The resize rules (shared/rules/), in file order. */
      rules: ResizeRule[];
      /** The rates of the savings estimate (`kind: rates`), in file order; all in one currency. */
      rates: Rates[];
    }
  | { errors: ScheduleFileError[] };

export interface ScheduleSources {
  /** The directory the paths are relative to, for messages ("schedules"). */
  dir: string;
  /** Schedule files directly in the directory, by file name, in name order. */
  schedules: ReadonlyArray<{ name: string; text: string }>;
  /** Calendar files by their path relative to the directory (as schedules reference them). */
  calendarFile: (path: string) => string | undefined;
}

const join = (dir: string, path: string) => `${dir.replace(/\/+$/, "")}/${path}`;

export function loadScheduleSources(sources: ScheduleSources): LoadedSchedules {
  const { dir } = sources;
  const errors: ScheduleFileError[] = [];
  const located: LocatedSchedule[] = [];
  const renewals: LocatedRenewal[] = [];
  const rules: LocatedRule[] = [];
  const rates: LocatedRates[] = [];
  for (const file of sources.schedules) {
    const source = join(dir, file.name);
    const result = parseScheduleDocuments(file.text, source, {
      builtinCalendars: BUILTIN_CALENDARS,
      checkCalendarFile: (path) =>
        sources.calendarFile(path) !== undefined
          ? undefined
          : `${join(dir, path)} does not exist; the path is relative to ${dir}/ (format: ${join(dir, "calendars/README.md")})`,
    });
    if ("errors" in result) errors.push(...result.errors);
    else {
      located.push(...result.schedules);
      renewals.push(...result.renewals);
      rules.push(...result.rules);
      rates.push(...result.rates);
    }
  }

  // Names are unique across the directory, whatever the kind of document.
  const firstByName = new Map<string, { source: string; line: number }>();
  const named = [
    ...located.map((entry) => ({ ...entry.schedule, at: entry.name })),
    ...renewals.map((entry) => ({ ...entry.renewal, at: entry.name })),
  ].sort((a, b) => (a.source === b.source ? a.at.line - b.at.line : a.source < b.source ? -1 : 1));
  for (const entry of named) {
    const earlier = firstByName.get(entry.name);
    if (earlier)
      errors.push({
        file: entry.source,
        ...entry.at,
        field: "name",
        message: duplicateNameMessage(entry.name, `${earlier.source}:${earlier.line}`),
      });
    else firstByName.set(entry.name, { source: entry.source, line: entry.at.line });
  }
  const firstRule = new Map<string, LocatedRule>();
  for (const entry of rules) {
    const earlier = firstRule.get(entry.rule.name);
    if (earlier)
      errors.push({
        file: entry.rule.source,
        ...entry.name,
        field: "name",
        message: duplicateRuleMessage(entry.rule.name, `${earlier.rule.source}:${earlier.name.line}`),
      });
    else firstRule.set(entry.rule.name, entry);
  }

  const firstRates = new Map<string, LocatedRates>();
  for (const entry of rates) {
    const earlier = firstRates.get(entry.rates.name);
    if (earlier)
      errors.push({
        file: entry.rates.source,
        ...entry.name,
        field: "name",
        message: duplicateRatesMessage(entry.rates.name, `${earlier.rates.source}:${earlier.name.line}`),
      });
    else firstRates.set(entry.rates.name, entry);
  }
  const currency = ratesCurrency(rates.map((entry) => entry.rates));
  if ("problem" in currency) {
    const other = rates.find((entry) => entry.rates.currency !== rates[0]!.rates.currency)!;
    errors.push({ file: other.rates.source, ...other.name, field: "currency", message: currency.problem });
  }

  const calendars = new Map<string, Calendar>();
  for (const { schedule } of located) {
    for (const ref of schedule.calendars) {
      const key = ref.builtin ?? ref.file!;
      if (calendars.has(key)) continue;
      if (ref.builtin !== undefined) {
        calendars.set(key, builtinCalendar(ref.builtin));
        continue;
      }
      const text = sources.calendarFile(key);
      if (text === undefined) continue; // already reported at the schedule's line
      try {
        calendars.set(key, parseCalendarFile(text, join(dir, key)));
      } catch (error) {
        if (!(error instanceof CalendarFileError)) throw error;
        errors.push(
          ...error.issues.map((issue) => ({
            file: issue.source,
            line: issue.line,
            column: issue.column,
            field: issue.field,
            message: issue.message,
          })),
        );
      }
    }
  }

  if (errors.length > 0) return { errors };
  return {
    schedules: located.map((entry) => entry.schedule),
    renewals: renewals.map((entry) => entry.renewal),
    calendars,
    rules: rules.map((entry) => entry.rule),
    rates: rates.map((entry) => entry.rates),
  };
}
