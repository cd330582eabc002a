// The pure planner: which transitions a schedule declares in a time window, in the schedule's own
// time zone, exactly across DST. No I/O and no clock: the caller passes the window and the instant.
//
// Disabled schedules plan like enabled ones: whether a schedule acts on a target (`enabled: false`
// is the kill switch) is decided by ownership.ts, not here.
//
// How a day is planned, in local time:
// - rules fire on their weekdays; on a make-up working day, the rules of `makeupDayAs` fire instead;
// - on a holiday with `holidays: asleep`, the day's rules are dropped and the target is sent to sleep
//   at 00:00 unless it is known to be asleep already (the next normal day's wake rule wakes it);
// - an exception holds its state from 00:00 of `from` to 24:00 of `to`: rules inside are dropped,
//   "exception-start" is emitted unless the state before is known to be the held one, and
//   "exception-end" at 24:00 of `to` returns to the schedule's own state there (including what
//   happens at that 00:00) when that is known and differs from the held one.
// Whether a holiday or an exception emits depends on the state before it: the outcome of the
// latest rule, holiday or exception day within LOOKBACK_DAYS, unknown when there is none. So a
// plan never depends on where its window starts: (a,b] then (b,c] is exactly the plan of (a,c].
import type { Cluster } from "../providers/port.ts";
import { resolveDay } from "./calendar.ts";
import {
  assertTimezone,
  dateOfDayNumber,
  dayNumber,
  localDayAndMinutes,
  localMinutesToUtc,
  minutesOfTime,
  TimezoneError,
  weekdayOfDayNumber,
} from "./timezone.ts";
import {
  type Calendar,
  type DayKind,
  type DesiredState,
  type LocalTime,
  type PlannedTransition,
  type Schedule,
  type TargetSelector,
  WEEKDAYS,
  type Weekday,
} from "./types.ts";

/** How far back the planner looks for the state a holiday or an exception starts from. */
export const LOOKBACK_DAYS = 14;
// A state depends on the latest assertion within LOOKBACK_DAYS; an exception-end's own value
// depends on the schedule's state within LOOKBACK_DAYS before it. Walking twice that far back
// therefore reproduces every decision exactly, wherever the walk starts.
const WALK_BACK_DAYS = 2 * LOOKBACK_DAYS;
const DAY_MS = 86_400_000;
// nextTransition searches these successive spans (days) after `after`, then gives up: a year and
// more without a transition means the schedule has none.
const NEXT_SEARCH_SPANS = [2, 7, 30, 120, 240];

export class ScheduleError extends Error {
  override name = "ScheduleError";
}

export interface PlanWindow {
  /** Exclusive. */
  from: Date;
  /** Inclusive. */
  to: Date;
}

/** What target selection looks at: the fields of a discovered cluster. */
export type SelectableTarget = Pick<Cluster, "account" | "region" | "id" | "name" | "tags" | "provider">;
export type TargetPredicate = (target: SelectableTarget) => boolean;

type Cause = PlannedTransition["cause"];

interface PreparedRule {
  to: DesiredState;
  time: LocalTime;
  minutes: number;
}

interface PreparedException {
  from: number;
  to: number;
  state: DesiredState;
}

/** A schedule checked once and reshaped for planning (cached per Schedule object). */
interface PreparedSchedule {
  name: string;
  timezone: string;
  rulesByWeekday: ReadonlyMap<Weekday, readonly PreparedRule[]>;
  exceptions: readonly PreparedException[];
  holidaysAsleep: boolean;
  makeupDayAs: Weekday;
}

/** One transition the walk produced, before it is dressed as a PlannedTransition. */
interface Step {
  day: number;
  time: LocalTime;
  at: number;
  to: DesiredState;
  cause: Cause;
  dst?: "skipped" | "repeated";
  note?: string;
}

const prepared = new WeakMap<Schedule, PreparedSchedule>();

function prepare(schedule: Schedule): PreparedSchedule {
  const cached = prepared.get(schedule);
  if (cached !== undefined) return cached;
  const where = `schedule "${schedule.name}" (${schedule.source})`;
  const fail = (field: string, message: string): never => {
    throw new ScheduleError(`${where}: ${field}: ${message}`);
  };
  const parse = <T>(field: string, read: () => T): T => {
    try {
      return read();
    } catch (error) {
      if (error instanceof TimezoneError) return fail(field, error.message);
      throw error;
    }
  };
  parse("timezone", () => assertTimezone(schedule.timezone));
  if (!WEEKDAYS.includes(schedule.makeupDayAs)) {
    fail("makeupDayAs", `"${schedule.makeupDayAs}" is not a weekday; use one of ${WEEKDAYS.join(", ")}`);
  }

  const byWeekday = new Map<Weekday, Map<number, PreparedRule>>();
  schedule.rules.forEach((rule, index) => {
    const field = `rules[${index}]`;
    if (rule.to !== "asleep" && rule.to !== "awake") {
      fail(`${field}.to`, `"${rule.to}" is not a state; use "asleep" or "awake"`);
    }
    const minutes = parse(`${field}.at`, () => minutesOfTime(rule.at));
    for (const day of rule.days) {
      if (!WEEKDAYS.includes(day)) {
        fail(`${field}.days`, `"${day}" is not a weekday; use one of ${WEEKDAYS.join(", ")}`);
      }
      let rules = byWeekday.get(day);
      if (rules === undefined) {
        rules = new Map();
        byWeekday.set(day, rules);
      }
      const clash = rules.get(minutes);
      if (clash !== undefined && clash.to !== rule.to) {
        fail(
          field,
          `on ${day} at ${rule.at} it says ${rule.to} while another rule says ${clash.to}; move or remove one`,
        );
      }
      rules.set(minutes, { to: rule.to, time: rule.at, minutes });
    }
  });
  const rulesByWeekday = new Map<Weekday, PreparedRule[]>();
  for (const [day, rules] of byWeekday) {
    rulesByWeekday.set(
      day,
      [...rules.values()].sort((a, b) => a.minutes - b.minutes),
    );
  }

  const exceptions = schedule.exceptions.map((exception, index): PreparedException => {
    const field = `exceptions[${index}]`;
    const from = parse(`${field}.from`, () => dayNumber(exception.from));
    const to = parse(`${field}.to`, () => dayNumber(exception.to));
    if (to < from) fail(field, `ends (${exception.to}) before it starts (${exception.from}); swap the dates`);
    if (exception.state !== "asleep" && exception.state !== "awake") {
      fail(`${field}.state`, `"${exception.state}" is not a state; use "asleep" or "awake"`);
    }
    return { from, to, state: exception.state };
  });

  const result: PreparedSchedule = {
    name: schedule.name,
    timezone: schedule.timezone,
    rulesByWeekday,
    exceptions,
    holidaysAsleep: schedule.holidays === "asleep",
    makeupDayAs: schedule.makeupDayAs,
  };
  prepared.set(schedule, result);
  return result;
}

/** The held state on a local day: the last-listed exception covering it wins. */
function heldOn(schedule: PreparedSchedule, day: number): DesiredState | undefined {
  let held: DesiredState | undefined;
  for (const exception of schedule.exceptions) {
    if (exception.from <= day && day <= exception.to) held = exception.state;
  }
  return held;
}

/** Where calendars disagree, a holiday wins over a make-up working day. */
function dayKindOf(calendars: readonly Calendar[], date: string): { kind: DayKind; note?: string } {
  const day = resolveDay(calendars, date);
  if (day === undefined) return { kind: "normal" };
  if (day.entry.kind === "makeup-workday") return { kind: day.entry.kind };
  return { kind: day.entry.kind, note: `holiday: ${day.entry.name} (${day.calendar.name})` };
}

interface DayEvent {
  minutes: number;
  time: LocalTime;
  to: DesiredState;
  cause: "rule" | "holiday";
  at: number;
  dst?: "skipped" | "repeated";
  note?: string;
}

/** The schedule's own transitions on a local day (before exceptions), in instant order. */
function eventsOfDay(schedule: PreparedSchedule, calendars: readonly Calendar[], day: number): DayEvent[] {
  const resolve = (minutes: number) => localMinutesToUtc(day, minutes, schedule.timezone);
  const { kind, note } =
    calendars.length === 0
      ? { kind: "normal" as DayKind, note: undefined }
      : dayKindOf(calendars, dateOfDayNumber(day));
  if (kind === "holiday" && schedule.holidaysAsleep) {
    const { at, dst } = resolve(0);
    return [{ minutes: 0, time: "00:00", to: "asleep", cause: "holiday", at: at.getTime(), dst, note }];
  }
  const weekday = kind === "makeup-workday" ? schedule.makeupDayAs : weekdayOfDayNumber(day);
  const rules = schedule.rulesByWeekday.get(weekday);
  if (rules === undefined) return [];
  const ruleNote =
    kind === "makeup-workday" ? `make-up working day: ${schedule.makeupDayAs} rules` : undefined;
  const events = rules.map((rule): DayEvent => {
    const { at, dst } = resolve(rule.minutes);
    return {
      minutes: rule.minutes,
      time: rule.time,
      to: rule.to,
      cause: "rule",
      at: at.getTime(),
      dst,
      note: ruleNote,
    };
  });
  // A time in a skipped hour lands after the gap, possibly after a later declared time.
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.at < events[i - 1]!.at) return events.sort((a, b) => a.at - b.at);
  }
  return events;
}

/**
 * Walks local days firstDay..lastDay and hands every assertion of the target's state to `visit`, in
 * order: the transitions (emit: true) and the silent ones that confirm the state (a holiday while
 * asleep, each day of a hold). `visit` may stop the walk by returning false.
 */
function walk(
  schedule: PreparedSchedule,
  calendars: readonly Calendar[],
  firstDay: number,
  lastDay: number,
  visit: (step: Step, emit: boolean) => boolean,
): void {
  // The state the target should be in, and what the schedule alone (no exceptions) says; each with
  // the local day it was last asserted on, since it expires after LOOKBACK_DAYS.
  let effective: DesiredState | undefined;
  let effectiveDay = Number.NEGATIVE_INFINITY;
  let own: DesiredState | undefined;
  let ownDay = Number.NEGATIVE_INFINITY;
  const effectiveOn = (day: number) => (effectiveDay >= day - LOOKBACK_DAYS ? effective : undefined);
  const ownOn = (day: number) => (ownDay >= day - LOOKBACK_DAYS ? own : undefined);
  const assert = (step: Step, emit: boolean): boolean => {
    effective = step.to;
    effectiveDay = step.day;
    return visit(step, emit);
  };
  const midnight = (day: number, to: DesiredState, cause: Cause): Step => {
    const { at, dst } = localMinutesToUtc(day, 0, schedule.timezone);
    return { day, time: "00:00", at: at.getTime(), to, cause, dst };
  };

  let heldBefore = heldOn(schedule, firstDay - 1);
  for (let day = firstDay; day <= lastDay; day++) {
    const held = heldOn(schedule, day);
    const events = eventsOfDay(schedule, calendars, day);
    if (held !== undefined) {
      const starts = held !== heldBefore && effectiveOn(day) !== held;
      if (!assert(midnight(day, held, "exception-start"), starts)) return;
      for (const event of events) {
        own = event.to;
        ownDay = day;
      }
      heldBefore = held;
      continue;
    }
    let next = 0;
    if (heldBefore !== undefined) {
      // The exception ended at this midnight: back to the schedule's own state at this instant,
      // which includes what happens at 00:00 itself (a rule or a holiday).
      for (; next < events.length && events[next]!.minutes === 0; next++) {
        own = events[next]!.to;
        ownDay = day;
      }
      const back = ownOn(day);
      if (back !== undefined) {
        const ends = back !== effectiveOn(day);
        if (!assert(midnight(day, back, "exception-end"), ends)) return;
      }
    }
    for (; next < events.length; next++) {
      const { minutes: _, ...event } = events[next]!;
      const emit = event.cause === "rule" || effectiveOn(day) !== "asleep";
      own = event.to;
      ownDay = day;
      if (!assert({ day, ...event }, emit)) return;
    }
    heldBefore = held;
  }
}

function slotOf(schedule: string, step: Step, date: string): string {
  const base = `${schedule}:${step.to}:${date}T${step.time}`;
  return step.cause === "exception-start" || step.cause === "exception-end" ? `${base}:${step.cause}` : base;
}

function toPlanned(schedule: PreparedSchedule, step: Step): PlannedTransition {
  const date = dateOfDayNumber(step.day);
  const planned: PlannedTransition = {
    schedule: schedule.name,
    to: step.to,
    at: new Date(step.at),
    local: { date, time: step.time, weekday: weekdayOfDayNumber(step.day), timezone: schedule.timezone },
    slot: slotOf(schedule.name, step, date),
    cause: step.cause,
  };
  if (step.dst !== undefined) planned.dst = step.dst;
  if (step.note !== undefined) planned.note = step.note;
  return planned;
}

function checkInstant(what: string, value: Date): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new ScheduleError(`${what} must be a valid Date`);
  return ms;
}

/**
 * Every transition of `schedule` with window.from < at <= window.to, sorted by instant. `calendars`
 * are the schedule's own calendars, already resolved from `schedule.calendars` by the caller.
 */
export function planTransitions(
  schedule: Schedule,
  calendars: readonly Calendar[],
  window: PlanWindow,
): PlannedTransition[] {
  const from = checkInstant("window.from", window.from);
  const to = checkInstant("window.to", window.to);
  if (to < from) {
    throw new ScheduleError(
      `window ends (${window.to.toISOString()}) before it starts (${window.from.toISOString()})`,
    );
  }
  const plan = prepare(schedule);
  // One local day beyond each side: the window's edges can fall on another local date than UTC's.
  const firstDay = localDayAndMinutes(window.from, plan.timezone).day - 1;
  const lastDay = localDayAndMinutes(window.to, plan.timezone).day + 1;
  const steps: Step[] = [];
  walk(plan, calendars, firstDay - WALK_BACK_DAYS, lastDay, (step, emit) => {
    if (emit && step.at > from && step.at <= to) steps.push(step);
    return true;
  });
  return collapse(steps).map((step) => toPlanned(plan, step));
}

/**
 * Sorted by instant; of transitions at the same instant (a skipped-hour time meeting the time just
 * after the gap) the later-declared one stands, as it would be the state afterwards anyway.
 */
function collapse(steps: Step[]): Step[] {
  const sorted = steps
    .map((step, order) => ({ step, order }))
    .sort((a, b) => a.step.at - b.step.at || a.order - b.order);
  const result: Step[] = [];
  for (const { step } of sorted) {
    if (result.length > 0 && result[result.length - 1]!.at === step.at) result[result.length - 1] = step;
    else result.push(step);
  }
  return result;
}

/**
 * The state the schedule wants at `at`: the outcome of its latest transition at or before `at`,
 * looking back LOOKBACK_DAYS (a holiday or an exception's hold confirms its state on every day it
 * covers). Undefined when nothing in reach says (e.g. a schedule with no rules, or a sleep-only
 * schedule whose sleep days were all make-up working days).
 */
export function desiredStateAt(
  schedule: Schedule,
  calendars: readonly Calendar[],
  at: Date,
): DesiredState | undefined {
  const ms = checkInstant("at", at);
  const plan = prepare(schedule);
  const { day } = localDayAndMinutes(at, plan.timezone);
  let state: DesiredState | undefined;
  let stateDay = Number.NEGATIVE_INFINITY;
  walk(plan, calendars, day - WALK_BACK_DAYS, day + 1, (step) => {
    if (step.at > ms) return false;
    state = step.to;
    stateDay = step.day;
    return true;
  });
  return stateDay >= day - LOOKBACK_DAYS ? state : undefined;
}

/** The first transition strictly after `after`, or undefined when there is none within a year. */
export function nextTransition(
  schedule: Schedule,
  calendars: readonly Calendar[],
  after: Date,
): PlannedTransition | undefined {
  let from = checkInstant("after", after);
  for (const days of NEXT_SEARCH_SPANS) {
    const to = from + days * DAY_MS;
    const [first] = planTransitions(schedule, calendars, { from: new Date(from), to: new Date(to) });
    if (first !== undefined) return first;
    from = to;
  }
  return undefined;
}

export type StringTest = (value: string) => boolean;

/** One glob as the cheapest test that decides it: most are a prefix, a suffix or a substring. */
export function globTest(glob: string): StringTest {
  const inner = glob.slice(1, -1);
  if (!glob.includes("?")) {
    const stars = glob.split("*").length - 1;
    if (stars === 1 && glob.endsWith("*")) {
      const prefix = glob.slice(0, -1);
      return (value) => value.startsWith(prefix);
    }
    if (stars === 1 && glob.startsWith("*")) {
      const suffix = glob.slice(1);
      return (value) => value.endsWith(suffix);
    }
    if (stars === 2 && glob.length >= 2 && glob.startsWith("*") && glob.endsWith("*")) {
      return (value) => value.includes(inner);
    }
  }
  let source = "";
  for (const char of glob) {
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else source += char.replace(/[\\^$.|+()[\]{}/-]/g, "\\$&");
  }
  const pattern = new RegExp(`^${source}$`);
  return (value) => pattern.test(value);
}

/** A test for one list (any value matches): exact values by comparison or a Set, globs by globTest. */
function oneOf(values: readonly string[], globs: boolean): StringTest {
  const exact = new Set<string>();
  const tests: StringTest[] = [];
  for (const value of values) {
    if (globs && (value.includes("*") || value.includes("?"))) tests.push(globTest(value));
    else exact.add(value);
  }
  if (exact.size === 1 && tests.length === 0) {
    const [only] = exact;
    return (value) => value === only;
  }
  if (exact.size > 0) tests.unshift((value) => exact.has(value));
  if (tests.length === 0) return () => false;
  if (tests.length === 1) return tests[0]!;
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
}

function compileOne(selector: TargetSelector): TargetPredicate {
  // Cheapest and most selective first: exact fields, then tags, then name globs.
  const checks: TargetPredicate[] = [];
  if (selector.accounts !== undefined) {
    const match = oneOf(selector.accounts, false);
    checks.push((target) => match(target.account));
  }
  if (selector.clusterIds !== undefined) {
    const match = oneOf(selector.clusterIds, false);
    checks.push((target) => match(target.id));
  }
  if (selector.regions !== undefined) {
    const match = oneOf(selector.regions, false);
    checks.push((target) => match(target.region));
  }
  if (selector.providers !== undefined) {
    const match = oneOf(selector.providers, false);
    checks.push((target) => match(target.provider));
  }
  for (const [key, value] of Object.entries(selector.tags ?? {})) {
    // Inherited properties of a tags object are never strings, so === needs no hasOwn.
    checks.push(
      value === "*" ? (target) => Object.hasOwn(target.tags, key) : (target) => target.tags[key] === value,
    );
  }
  if (selector.names !== undefined) {
    const match = oneOf(selector.names, true);
    checks.push((target) => match(target.name));
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0]!;
  if (checks.length === 2) {
    const [first, second] = checks as [TargetPredicate, TargetPredicate];
    return (target) => first(target) && second(target);
  }
  return (target) => {
    for (const check of checks) if (!check(target)) return false;
    return true;
  };
}

/**
 * A predicate for a selector (every given field must match; a list matches any of its values;
 * names are case-sensitive globs) or for a schedule (any of its selectors). Compile once per tick,
 * then call it for every target.
 */
export function compileSelector(selector: TargetSelector | Pick<Schedule, "targets">): TargetPredicate {
  if (!("targets" in selector)) return compileOne(selector);
  const predicates = selector.targets.map(compileOne);
  if (predicates.length === 0) return () => false;
  if (predicates.length === 1) return predicates[0]!;
  if (predicates.length === 2) {
    const [first, second] = predicates as [TargetPredicate, TargetPredicate];
    return (target) => first(target) || second(target);
  }
  return (target) => {
    for (const predicate of predicates) if (predicate(target)) return true;
    return false;
  };
}

const compiled = new WeakMap<object, TargetPredicate>();

/** compileSelector and call, with the compiled predicate cached per selector or schedule object. */
export function matchesTarget(
  selector: TargetSelector | Pick<Schedule, "targets">,
  target: SelectableTarget,
): boolean {
  let predicate = compiled.get(selector);
  if (predicate === undefined) {
    predicate = compileSelector(selector);
    compiled.set(selector, predicate);
  }
  return predicate(target);
}

/** The literal text a glob starts with ("team-1-*" → "team-1-"). */
function literalPrefix(glob: string): string {
  const wildcard = glob.search(/[*?]/);
  return wildcard === -1 ? glob : glob.slice(0, wildcard);
}

interface IndexedSelector {
  schedule: number;
  matches: TargetPredicate;
}

/** Nested maps from a key to the selectors anchored on it. */
class Buckets<K> {
  readonly map = new Map<K, IndexedSelector[]>();
  add(key: K, entry: IndexedSelector): void {
    const list = this.map.get(key);
    if (list === undefined) this.map.set(key, [entry]);
    else list.push(entry);
  }
}

/**
 * All schedules' selectors compiled into one lookup: for a target, the indices (ascending) of the
 * schedules that select it. Equal to testing compileSelector(schedule) for each schedule, but each
 * selector is filed under one field it requires (an account, a cluster id, a tag value, a name
 * prefix, a region or a provider), so a target only runs the few selectors that could match it.
 */
export function compileScheduleIndex(
  schedules: readonly Pick<Schedule, "targets">[],
): (target: SelectableTarget) => number[] {
  const byAccount = new Buckets<string>();
  const byId = new Buckets<string>();
  const byRegion = new Buckets<string>();
  const byProvider = new Buckets<string>();
  const byTag = new Map<string, Buckets<string>>();
  // Name prefixes, grouped by length so a lookup is one slice per distinct length.
  const byNamePrefix = new Map<number, Buckets<string>>();
  const always: IndexedSelector[] = [];

  schedules.forEach((schedule, index) => {
    for (const selector of schedule.targets) {
      const entry = { schedule: index, matches: compileOne(selector) };
      const exactTag = Object.entries(selector.tags ?? {}).find(([, value]) => value !== "*");
      const prefixes = selector.names?.map(literalPrefix);
      if (selector.accounts !== undefined)
        for (const account of selector.accounts) byAccount.add(account, entry);
      else if (selector.clusterIds !== undefined) for (const id of selector.clusterIds) byId.add(id, entry);
      else if (exactTag !== undefined) {
        const [key, value] = exactTag;
        let buckets = byTag.get(key);
        if (buckets === undefined) {
          buckets = new Buckets();
          byTag.set(key, buckets);
        }
        buckets.add(value, entry);
      } else if (prefixes?.every((prefix) => prefix.length > 0)) {
        // Filed under each of its prefixes; a schedule already found is not tested again.
        for (const prefix of new Set(prefixes)) {
          let buckets = byNamePrefix.get(prefix.length);
          if (buckets === undefined) {
            buckets = new Buckets();
            byNamePrefix.set(prefix.length, buckets);
          }
          buckets.add(prefix, entry);
        }
      } else if (selector.regions !== undefined)
        for (const region of selector.regions) byRegion.add(region, entry);
      else if (selector.providers !== undefined)
        for (const provider of selector.providers) byProvider.add(provider, entry);
      else always.push(entry);
    }
  });

  const prefixLengths = [...byNamePrefix.entries()];
  const tagBuckets = [...byTag.entries()];
  return (target) => {
    const found: number[] = [];
    const test = (entries: IndexedSelector[] | undefined) => {
      if (entries === undefined) return;
      for (const entry of entries) {
        if (!found.includes(entry.schedule) && entry.matches(target)) found.push(entry.schedule);
      }
    };
    test(byAccount.map.get(target.account));
    test(byId.map.get(target.id));
    for (const [key, buckets] of tagBuckets) {
      if (Object.hasOwn(target.tags, key)) test(buckets.map.get(target.tags[key]!));
    }
    for (const [length, buckets] of prefixLengths) {
      if (target.name.length >= length) test(buckets.map.get(target.name.slice(0, length)));
    }
    test(byRegion.map.get(target.region));
    test(byProvider.map.get(target.provider));
    test(always);
    return found.length > 1 ? found.sort((a, b) => a - b) : found;
  };
}
