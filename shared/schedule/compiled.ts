// Loaded schedules as plain data, and back: what `nightshift bundle-schedules` writes into the
// Worker (functions/schedules.bundle.ts) once the files have been parsed and validated at build
// time, so the Worker carries neither the YAML parser nor the validation's work (a renewal window
// is checked by scanning a year of its cron) and starts with the schedules ready.
import type { Renewal } from "../renewal/renewal-schema.ts";
import type { ResizeRule } from "../rules/rule-schema.ts";
import type { Rates } from "../savings/rates-schema.ts";
import { builtinCalendar, type CalendarEntry, TableCalendar } from "./calendar.ts";
import type { LoadedSchedules } from "./load.ts";
import type { Calendar, LocalDate, Schedule } from "./types.ts";

/** A calendar file's table; builtins are named only (their data is in the code). */
export type CompiledCalendar =
  | { builtin: string }
  | {
      name: string;
      coverage: { from: number; to: number };
      replaces?: { builtin: string; years: readonly number[] };
      entries: ReadonlyArray<readonly [LocalDate, CalendarEntry]>;
    };

export interface CompiledSchedules {
  schedules: Schedule[];
  renewals: Renewal[];
  rules: ResizeRule[];
  rates: Rates[];
  /** By reference, as schedules name them: a builtin's name or a file path. */
  calendars: Record<string, CompiledCalendar>;
}

export type Loaded = Exclude<LoadedSchedules, { errors: unknown }>;

/** Plain data (JSON) of successfully loaded schedules. */
export function compileSchedules(loaded: Loaded): CompiledSchedules {
  const calendars: Record<string, CompiledCalendar> = {};
  for (const [ref, calendar] of loaded.calendars) {
    if (!(calendar instanceof TableCalendar))
      throw new Error(`calendar ${ref} is not a table calendar and cannot be compiled`);
    if (calendar.provisional !== undefined) {
      // Computed days come with the code: only builtins have them.
      if (builtinCalendar(ref) !== calendar)
        throw new Error(`calendar ${ref} has computed days but is no builtin`);
      calendars[ref] = { builtin: ref };
      continue;
    }
    calendars[ref] = {
      name: calendar.name,
      coverage: calendar.coverage,
      ...(calendar.replaces ? { replaces: calendar.replaces } : {}),
      entries: [...calendar.entries],
    };
  }
  return {
    schedules: loaded.schedules,
    renewals: loaded.renewals,
    rules: loaded.rules,
    rates: loaded.rates,
    calendars,
  };
}

/** The loaded schedules again, with their calendars (builtins from the code, files from their tables). */
export function loadCompiledSchedules(compiled: CompiledSchedules): Loaded {
  const calendars = new Map<string, Calendar>();
  for (const [ref, calendar] of Object.entries(compiled.calendars)) {
    calendars.set(
      ref,
      "builtin" in calendar
        ? builtinCalendar(calendar.builtin)
        : new TableCalendar(
            calendar.name,
            calendar.coverage,
            new Map(calendar.entries),
            calendar.replaces ? { replaces: calendar.replaces } : {},
          ),
    );
  }
  return {
    schedules: compiled.schedules,
    renewals: compiled.renewals,
    rules: compiled.rules,
    rates: compiled.rates,
    calendars,
  };
}
