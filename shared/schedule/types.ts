// The schedule domain, as every part of the sleep/wake engine sees it: what a parsed schedule is,
// what a calendar answers, and what the planner produces. Parsing (YAML → Schedule) lives in
// schedule-file.ts, calendars in calendar.ts, the pure planner in plan.ts.

import type { ProviderKind } from "../providers/port.ts";

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";
export const WEEKDAYS: readonly Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** Local wall-clock time of day, "HH:MM" 00:00-23:59. */
export type LocalTime = string;
/** Local calendar date, "YYYY-MM-DD". */
export type LocalDate = string;

export type DesiredState = "asleep" | "awake";

/**
 * What sleeping means for a target:
 * - full: Huawei: scale pools to 0 then hibernate; others: their whole sleep (pools / replicas to 0)
 * - control-plane: Huawei: hibernate/awake only (nodes keep running)
 * - nodes: pools / instance groups / node removal only (no hibernate)
 * - workloads: Autopilot: Deployments/StatefulSets of the chosen namespaces to 0 and back
 */
export const SLEEP_MODES = ["full", "control-plane", "nodes", "workloads"] as const;
export type SleepMode = (typeof SLEEP_MODES)[number];

/** One rule: at `at` on each of `days`, the target should enter `to`. */
export interface TransitionRule {
  to: DesiredState;
  days: readonly Weekday[];
  at: LocalTime;
}

/** Which targets a schedule applies to. Every given field must match (AND); lists match any (OR). */
export interface TargetSelector {
  accounts?: readonly string[];
  regions?: readonly string[];
  clusterIds?: readonly string[];
  /** Glob patterns over cluster names: `*` any run of characters, `?` one character. */
  names?: readonly string[];
  /** Every listed tag must be present with exactly that value ("*" = any value). */
  tags?: Readonly<Record<string, string>>;
  providers?: readonly ProviderKind[];
}

/** A date range (local dates, inclusive) during which the target is held in one state. */
export interface ScheduleException {
  from: LocalDate;
  to: LocalDate;
  state: DesiredState;
  reason?: string;
}

export interface CalendarRef {
  /** A calendar shipped with nightshift, e.g. "cn-mainland". */
  builtin?: string;
  /** A custom calendar file, relative to the schedules directory. */
  file?: string;
}

export interface Notice {
  /** How long before a sleep the notice goes out. */
  minutesBefore: number;
  /** Standard-Webhooks-signed POST target; the secret comes from the environment. */
  webhookUrl: string;
}

export interface Schedule {
  /** Unique across the schedules directory. */
  name: string;
  /** Where it was declared, for messages: "schedules/qa.yaml". */
  source: string;
  enabled: boolean;
  timezone: string;
  mode: SleepMode;
  /** Converge every tick instead of acting only on transitions (overrides manual changes). */
  enforce: boolean;
  targets: readonly TargetSelector[];
  rules: readonly TransitionRule[];
  calendars: readonly CalendarRef[];
  /**
   * On a public holiday: "asleep" keeps the target asleep all day (its wake rules are dropped);
   * "ignore" treats holidays like any other day.
   */
  holidays: "asleep" | "ignore";
  /** On a make-up working day (e.g. a working Saturday), apply this weekday's rules. */
  makeupDayAs: Weekday;
  exceptions: readonly ScheduleException[];
  /** A missed sleep is still carried out up to this long after its time; a missed wake always is. */
  graceMinutes: number;
  /** At least this long between a sleep and the following wake (and vice versa). */
  minDwellMinutes: number;
  notice?: Notice;
  /** Alibaba: removing pool nodes releases instances; only when explicitly allowed. */
  releaseNodes: boolean;
  /** Autopilot workloads mode: the namespaces whose Deployments/StatefulSets sleep. */
  namespaces: readonly string[];
}

/** What a calendar says about one local date. */
export type DayKind = "holiday" | "makeup-workday" | "normal";

export interface Calendar {
  /** e.g. "cn-mainland" or "calendars/company.yaml" */
  name: string;
  /** First and last years of the data (builtins: of the official, published data). */
  coverage: { from: number; to: number };
  /**
   * Builtins: after `coverage`, up to the year `to`, the statutory holidays are computed and marked
   * provisional (make-up working days unknown); after that every day is "normal".
   */
  provisional?: { to: number };
  /** A calendar file that, in `years`, takes the place of the builtin calendar `builtin`. */
  replaces?: { builtin: string; years: readonly number[] };
  dayKind(date: LocalDate): DayKind;
  /** The holiday's name, when there is one (for plans and notices). */
  describe(date: LocalDate): string | undefined;
}

/**
 * One planned transition of one schedule: the instant (UTC) and the local wall-clock time it was
 * declared at. `slot` identifies it for idempotency: `${schedule}:${to}:${localDate}T${localTime}`
 * (plus `:exception-start` / `:exception-end` for transitions made by an exception).
 */
export interface PlannedTransition {
  schedule: string;
  to: DesiredState;
  at: Date;
  local: { date: LocalDate; time: LocalTime; weekday: Weekday; timezone: string };
  slot: string;
  /** Why: "rule", "exception-start", "exception-end", "holiday". */
  cause: "rule" | "exception-start" | "exception-end" | "holiday";
  /** For DST: the declared time did not exist (moved forward) or occurred twice (first taken). */
  dst?: "skipped" | "repeated";
  note?: string;
}
