// Micro-benchmark of one tick's planning, as the engine does it: plan each schedule's last 7 days
// (its catch-up reach), compile the target selectors, then find each target's schedule. Synthetic, deterministic fleet (no randomness): varied zones, rules, a holiday calendar,
// exceptions, name globs and tags. The goal for 10,000 targets and 50 schedules is under 50 ms.
import { compileScheduleIndex, compileSelector, planTransitions, type SelectableTarget } from "./plan.ts";
import type { Calendar, DayKind, PlannedTransition, Schedule, Weekday } from "./types.ts";

const ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Singapore", "UTC"];
const PROVIDERS = ["huawei", "autopilot", "alibaba", "baidu"] as const;
const WEEKNIGHTS: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];
const TICK = new Date("2026-10-08T23:30:00Z");
const WEEK_MS = 7 * 86_400_000;

/** A holiday calendar shaped like the mainland-China one: a Golden Week and a make-up Saturday. */
export function benchCalendar(): Calendar {
  const days = new Map<string, DayKind>();
  for (let day = 1; day <= 8; day++) days.set(`2026-10-0${day}`, "holiday");
  days.set("2026-09-27", "makeup-workday");
  days.set("2026-10-10", "makeup-workday");
  return {
    name: "bench-calendar",
    coverage: { from: 2026, to: 2026 },
    dayKind: (date) => days.get(date) ?? "normal",
    describe: (date) => (days.get(date) === "holiday" ? "National Day" : undefined),
  };
}

export function benchSchedule(i: number): Schedule {
  const hour = (n: number) => String(n).padStart(2, "0");
  return {
    name: `team-${i}`,
    source: `schedules/team-${i}.yaml`,
    enabled: true,
    timezone: ZONES[i % ZONES.length]!,
    mode: "full",
    enforce: false,
    targets: [
      { names: [`team-${i}-*`], tags: { env: "*" } },
      { tags: { owner: `team-${i}` }, accounts: ["acct-0"] },
    ],
    rules: [
      { to: "awake", days: WEEKNIGHTS, at: `${hour(7 + (i % 3))}:${i % 2 ? "30" : "00"}` },
      { to: "asleep", days: WEEKNIGHTS, at: `${hour(19 + (i % 4))}:00` },
    ],
    calendars: i % 2 === 0 ? [{ builtin: "bench-calendar" }] : [],
    holidays: "asleep",
    makeupDayAs: "mon",
    exceptions: i % 5 === 0 ? [{ from: "2026-10-03", to: "2026-10-04", state: "awake" }] : [],
    graceMinutes: 60,
    minDwellMinutes: 0,
    releaseNodes: false,
    namespaces: [],
  };
}

export function benchTarget(i: number, schedules: number): SelectableTarget {
  return {
    provider: PROVIDERS[i % PROVIDERS.length]!,
    account: `acct-${i % 20}`,
    region: "cn-north-4",
    id: `c-${i}`,
    name: `team-${i % schedules}-cluster-${i}`,
    tags: { env: i % 3 ? "qa" : "dev", owner: `team-${(i * 7) % schedules}` },
  };
}

type Matching = "index" | "predicates";

function tick(
  schedules: readonly Schedule[],
  calendar: Calendar,
  targets: readonly SelectableTarget[],
  now: Date,
  matching: Matching,
): number {
  const latest: (PlannedTransition | undefined)[] = schedules.map((schedule) => {
    const calendars = schedule.calendars.length > 0 ? [calendar] : [];
    return planTransitions(schedule, calendars, { from: new Date(now.getTime() - WEEK_MS), to: now }).at(-1);
  });
  let owned = 0;
  if (matching === "index") {
    const select = compileScheduleIndex(schedules);
    for (const target of targets) {
      const [first] = select(target);
      if (first !== undefined && latest[first] !== undefined) owned++;
    }
  } else {
    const predicates = schedules.map((schedule) => compileSelector(schedule));
    for (const target of targets) {
      const first = predicates.findIndex((matches) => matches(target));
      if (first !== -1 && latest[first] !== undefined) owned++;
    }
  }
  return owned;
}

function medianTick(
  schedules: readonly Schedule[],
  calendar: Calendar,
  fleet: readonly SelectableTarget[],
  matching: Matching,
): number {
  let owned = tick(schedules, calendar, fleet, TICK, matching);
  const times: number[] = [];
  for (let round = 1; round <= 7; round++) {
    // Fresh schedule objects each round, so no per-schedule preparation is reused.
    const fresh = schedules.map((schedule) => ({ ...schedule }));
    const started = performance.now();
    owned += tick(fresh, calendar, fleet, new Date(TICK.getTime() + round * 60_000), matching);
    times.push(performance.now() - started);
  }
  if (owned === 0 && fleet.length > 0 && schedules.length > 0)
    throw new Error("benchPlanning matched no targets");
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * The median time of one planning tick (after a warm-up tick), in milliseconds: `ms` with
 * compileScheduleIndex, `predicatesMs` testing every schedule's compileSelector per target.
 */
export function benchPlanning(targets: number, schedules: number): { ms: number; predicatesMs: number } {
  const fleet = Array.from({ length: targets }, (_, i) => benchTarget(i, schedules));
  const all = Array.from({ length: schedules }, (_, i) => benchSchedule(i));
  const calendar = benchCalendar();
  return {
    ms: medianTick(all, calendar, fleet, "index"),
    predicatesMs: medianTick(all, calendar, fleet, "predicates"),
  };
}
