// The savings estimate: hours asleep × what the target costs per hour awake (rates-schema.ts), per
// local day and month, per target and per team tag. Pure: the caller passes the sleep intervals
// (sleep-intervals.ts), the rates, the period and `now`.
//
// Assumptions, documented in docs/reference/savings.md:
// - an asleep pool costs nothing for its nodes: a pool the sleep scaled to 0 saves its rate
//   (`hourly`, or `perNode` × the nodes it had) for every hour asleep;
// - `cluster` is saved for every hour asleep, whatever the mode (it is what the user says a sleep
//   stops beyond the priced pools: a hibernated control plane, Autopilot's workloads);
// - with pool rates, a pool none of them prices saves nothing (it is listed, so the rates can be
//   completed); without any, `cluster` is the whole cluster's rate;
// - an ongoing sleep counts up to `now`; hours outside [from, to) do not count;
// - days and months are each target's local dates (its schedule's zone): a team's day is the sum
//   of its targets' own days.

import type { SelectableTarget } from "../schedule/plan.ts";
import { globTest, matchesTarget } from "../schedule/plan.ts";
import { dateOfDayNumber, localDayAndMinutes, localMinutesToUtc } from "../schedule/timezone.ts";
import type { LocalDate } from "../schedule/types.ts";
import { type PoolRate, type Rates, ratesCurrency } from "./rates-schema.ts";
import type { SleepInterval, SleptPool } from "./sleep-intervals.ts";

const HOUR_MS = 3_600_000;

export class SavingsError extends Error {
  override name = "SavingsError";
}

export interface Amount {
  hours: number;
  amount: number;
}

/** Totals, and the same split by local day ("2026-01-31") and month ("2026-01"), oldest first. */
export interface Breakdown extends Amount {
  days: Array<Amount & { date: LocalDate }>;
  months: Array<Amount & { month: string }>;
}

export interface TargetSleeps {
  target: SelectableTarget & { targetId: string };
  intervals: readonly SleepInterval[];
  /** Its days and months are local dates here (its schedule's zone); default: the input's. */
  timezone?: string;
}

export interface TargetSavings extends Breakdown {
  target: string;
  /** The team tag's value; absent when the target has no such tag. */
  team?: string;
  /** The rates document that priced it. */
  rates: string;
  /** Pools slept whose nodes no pool rate prices (they count as saving nothing). */
  unpricedPools: string[];
}

export interface TeamSavings extends Breakdown {
  /** Absent: the targets without the team tag. */
  team?: string;
  targets: number;
}

export interface SavingsEstimate extends Breakdown {
  /** Absent when no rates are configured. */
  currency?: string;
  timezone: string;
  from: Date;
  to: Date;
  /** Targets with hours asleep in the period, by target id. */
  targets: TargetSavings[];
  /** By team, the tagged ones by name, then those without the tag. */
  teams: TeamSavings[];
  /** Targets asleep in the period that no rates document prices, and their hours. */
  unrated: Array<{ target: string; hours: number }>;
}

export interface SavingsInput {
  targets: readonly TargetSleeps[];
  rates: readonly Rates[];
  /** The period: only hours asleep within [from, to) count. */
  from: Date;
  to: Date;
  /** An ongoing sleep counts up to here (and nothing after it). */
  now: Date;
  /** Days and months are local dates in this zone, unless a target names its own. */
  timezone: string;
}

/** The rates document that prices a target: the first by name whose targets match it. */
export function ratesFor(target: SelectableTarget, rates: readonly Rates[]): Rates | undefined {
  return [...rates].sort((a, b) => (a.name < b.name ? -1 : 1)).find((r) => matchesTarget(r, target));
}

type CompiledPoolRate = { matches: (pool: SleptPool) => boolean; rate: PoolRate["rate"] };
const compiledPools = new WeakMap<readonly PoolRate[], CompiledPoolRate[]>();

function poolRate(pool: SleptPool, rates: readonly PoolRate[]): number | undefined {
  let compiled = compiledPools.get(rates);
  if (!compiled) {
    compiled = rates.map(({ match, rate }) => {
      if ("id" in match) return { matches: (p: SleptPool) => p.id === match.id, rate };
      const test = globTest(match.name);
      return { matches: (p: SleptPool) => test(p.name), rate };
    });
    compiledPools.set(rates, compiled);
  }
  for (const { matches, rate } of compiled) {
    if (matches(pool)) return "perNode" in rate ? rate.perNode * pool.nodes : rate.hourly;
  }
  return undefined;
}

/** What one sleep saves per hour under `rates`, and the pools no rate prices. */
export function hourlyRate(interval: SleepInterval, rates: Rates): { perHour: number; unpriced: string[] } {
  let perHour = rates.cluster ?? 0;
  const unpriced: string[] = [];
  // Without pool rates, `cluster` is the whole cluster's rate: no pool goes unpriced.
  if (rates.pools.length === 0) return { perHour, unpriced };
  for (const pool of interval.pools) {
    const rate = poolRate(pool, rates.pools);
    if (rate === undefined) unpriced.push(pool.name);
    else perHour += rate;
  }
  return { perHour, unpriced };
}

/**
 * A zone's local midnights over the period, computed once per zone: splitting an interval at them
 * is then arithmetic (a fleet has tens of thousands of intervals and a handful of zones).
 */
class Midnights {
  readonly #at: number[] = [];
  readonly #dates: LocalDate[] = [];
  constructor(from: number, to: number, timezone: string) {
    const first = localDayAndMinutes(new Date(from), timezone).day;
    const last = localDayAndMinutes(new Date(to), timezone).day + 1;
    for (let day = first; day <= last; day++) {
      this.#at.push(localMinutesToUtc(day, 0, timezone).at.getTime());
      this.#dates.push(dateOfDayNumber(day));
    }
  }
  /** Calls `part` for each local day of [start, end) (within the period) with its milliseconds. */
  split(start: number, end: number, part: (date: LocalDate, ms: number) => void): void {
    // The last midnight at or before `start`.
    let low = 0;
    let high = this.#at.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.#at[mid]! <= start) low = mid;
      else high = mid - 1;
    }
    let at = start;
    for (let index = low; at < end; index++) {
      const next = Math.min(end, this.#at[index + 1] ?? end);
      part(this.#dates[index]!, next - at);
      at = next;
    }
  }
}

/** Adds up amounts by key, in key order. */
class Tally {
  hours = 0;
  amount = 0;
  readonly days = new Map<string, Amount>();
  add(date: LocalDate, hours: number, amount: number): void {
    this.hours += hours;
    this.amount += amount;
    const day = this.days.get(date) ?? { hours: 0, amount: 0 };
    day.hours += hours;
    day.amount += amount;
    this.days.set(date, day);
  }
  merge(other: Tally): void {
    for (const [date, day] of other.days) this.add(date, day.hours, day.amount);
  }
  breakdown(): Breakdown {
    const days = [...this.days.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const months = new Map<string, Amount>();
    for (const [date, day] of days) {
      const month = months.get(date.slice(0, 7)) ?? { hours: 0, amount: 0 };
      month.hours += day.hours;
      month.amount += day.amount;
      months.set(date.slice(0, 7), month);
    }
    return {
      ...tidy(this),
      days: days.map(([date, day]) => ({ date, ...tidy(day) })),
      months: [...months.entries()].map(([month, total]) => ({ month, ...tidy(total) })),
    };
  }
}

/** Sums of floats, rounded to a millionth: 0.1 + 0.2 shows as 0.3. */
const tidy = (value: Amount): Amount => ({
  hours: Math.round(value.hours * 1e6) / 1e6,
  amount: Math.round(value.amount * 1e6) / 1e6,
});

export function estimateSavings(input: SavingsInput): SavingsEstimate {
  const from = input.from.getTime();
  const to = Math.min(input.to.getTime(), input.now.getTime());
  if (Number.isNaN(from) || Number.isNaN(input.to.getTime()) || Number.isNaN(input.now.getTime())) {
    throw new SavingsError("from, to and now must be valid Dates");
  }
  if (input.to.getTime() < from) {
    throw new SavingsError(
      `to (${input.to.toISOString()}) must not be before from (${input.from.toISOString()})`,
    );
  }
  const currency = ratesCurrency(input.rates);
  if ("problem" in currency) throw new SavingsError(currency.problem);

  const zones = new Map<string, Midnights>();
  const midnightsOf = (timezone: string) => {
    let midnights = zones.get(timezone);
    if (!midnights) {
      midnights = new Midnights(from, Math.max(from, to), timezone);
      zones.set(timezone, midnights);
    }
    return midnights;
  };
  const targets: TargetSavings[] = [];
  const unrated: SavingsEstimate["unrated"] = [];
  const teams = new Map<string | undefined, { tally: Tally; targets: number }>();
  const total = new Tally();
  for (const { target, intervals, timezone = input.timezone } of input.targets) {
    const rates = ratesFor(target, input.rates);
    const tally = new Tally();
    const unpriced = new Set<string>();
    for (const interval of intervals) {
      const start = Math.max(interval.start.getTime(), from);
      const end = Math.min(interval.end?.getTime() ?? to, to);
      if (end <= start) continue;
      const rate = rates ? hourlyRate(interval, rates) : { perHour: 0, unpriced: [] };
      for (const name of rate.unpriced) unpriced.add(name);
      midnightsOf(timezone).split(start, end, (date, ms) => {
        const hours = ms / HOUR_MS;
        tally.add(date, hours, hours * rate.perHour);
      });
    }
    if (tally.days.size === 0) continue;
    if (rates === undefined) {
      unrated.push({ target: target.targetId, hours: tidy(tally).hours });
      continue;
    }
    const team = Object.hasOwn(target.tags, rates.teamTag) ? target.tags[rates.teamTag] : undefined;
    targets.push({
      target: target.targetId,
      ...(team !== undefined ? { team } : {}),
      rates: rates.name,
      unpricedPools: [...unpriced].sort(),
      ...tally.breakdown(),
    });
    const entry = teams.get(team) ?? { tally: new Tally(), targets: 0 };
    entry.tally.merge(tally);
    entry.targets++;
    teams.set(team, entry);
    total.merge(tally);
  }
  targets.sort((a, b) => (a.target < b.target ? -1 : 1));
  const teamList = [...teams.entries()]
    .sort(([a], [b]) => (a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : 1))
    .map(([team, { tally, targets: count }]) => ({
      ...(team !== undefined ? { team } : {}),
      targets: count,
      ...tally.breakdown(),
    }));
  return {
    ...(currency.currency !== undefined ? { currency: currency.currency } : {}),
    timezone: input.timezone,
    from: input.from,
    to: input.to,
    targets,
    teams: teamList,
    unrated: unrated.sort((a, b) => (a.target < b.target ? -1 : 1)),
    ...total.breakdown(),
  };
}
