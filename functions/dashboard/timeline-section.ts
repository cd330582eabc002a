// The timeline and savings parts of the dashboard's pages: a target's week timeline (with links to
// the weeks before and after) and its savings this month, and on the fleet page each schedule's
// week as a strip and the fleet's savings by team. Reads what it needs, then draws with
// timeline-svg.ts and savings-view.ts.
import { html } from "hono/html";
import type { Target } from "../../shared/providers/inventory.ts";
import { estimateSavings } from "../../shared/savings/estimate.ts";
import { sleepIntervals } from "../../shared/savings/sleep-intervals.ts";
import { calendarsFor } from "../../shared/schedule/engine.ts";
import type { Ownership } from "../../shared/schedule/ownership.ts";
import { pauseEnd } from "../../shared/schedule/pause.ts";
import type { SelectableTarget } from "../../shared/schedule/plan.ts";
import {
  addDays,
  dateOfDayNumber,
  dayNumber,
  localDayAndMinutes,
  localMinutesToUtc,
  localToUtc,
  TimezoneError,
} from "../../shared/schedule/timezone.ts";
import type { LocalDate } from "../../shared/schedule/types.ts";
import { weekStartOf, weekTimeline } from "../../shared/schedule/week-timeline.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import type { TargetState } from "../../shared/store/store.ts";
import type { DashboardDeps } from "./deps.ts";
import { type Html, targetHref, utcTime, withQuery } from "./layout.ts";
import {
  byTarget,
  type FleetSavings,
  fleetSavingsOf,
  fleetSleeps,
  readLedger,
  targetSavingsSection,
  teamSavingsSection,
} from "./savings-view.ts";
import { timelineFigure, timelineStrip } from "./timeline-svg.ts";

const DAY_MS = 86_400_000;
/** How far before a period the ledger is read, so a sleep begun before it is seen. */
const LOOKBACK_MS = 31 * DAY_MS;
/** The fleet's savings cover the last 30 days. */
const FLEET_SAVINGS_DAYS = 30;

/** The Monday of `week` (any date of it, `YYYY-MM-DD`), else of the current week; in `timezone`. */
export function chosenWeek(week: string | undefined, timezone: string, now: Date): LocalDate {
  if (week !== undefined) {
    try {
      return weekStartOf(localToUtc(week, "12:00", timezone).at, timezone);
    } catch (error) {
      if (!(error instanceof TimezoneError)) throw error;
    }
  }
  return weekStartOf(now, timezone);
}

const midnight = (date: LocalDate, timezone: string) => localMinutesToUtc(dayNumber(date), 0, timezone).at;

/** The target's ledger over each span, one read where they overlap. */
async function ledgerOver(
  deps: DashboardDeps,
  target: string,
  spans: ReadonlyArray<{ from: Date; to: Date }>,
): Promise<LedgerEntry[][]> {
  const [a, b] = spans as [{ from: Date; to: Date }, { from: Date; to: Date }];
  if (a.from <= b.to && b.from <= a.to) {
    const from = new Date(Math.min(a.from.getTime(), b.from.getTime()));
    const to = new Date(Math.max(a.to.getTime(), b.to.getTime()));
    const { entries } = await readLedger(deps.store, { target, from, to });
    return spans.map((span) => entries.filter((e) => e.at >= span.from && e.at < span.to));
  }
  return Promise.all(spans.map(async (span) => (await readLedger(deps.store, { target, ...span })).entries));
}

/** A target's week timeline and its savings this month. */
export async function targetTimelineSection(
  deps: DashboardDeps,
  input: { target: Target; ownership: Ownership; state?: TargetState; week?: string; now: Date },
): Promise<Html> {
  const { target, ownership, now } = input;
  const schedule = ownership.status === "owned" ? ownership.schedule : undefined;
  const timezone = schedule?.timezone ?? "UTC";
  const calendars = schedule ? calendarsFor(schedule, deps.calendars) : [];
  const start = chosenWeek(input.week, timezone, now);
  const weekFrom = midnight(start, timezone);
  const weekTo = midnight(addDays(start, 7), timezone);
  const today = localDayAndMinutes(now, timezone).day;
  const monthStart = midnight(`${dateOfDayNumber(today).slice(0, 7)}-01`, timezone);
  const after = new Date(now.getTime() + 1);
  const [[weekEntries, monthEntries], pause] = await Promise.all([
    ledgerOver(deps, target.targetId, [
      {
        from: new Date(weekFrom.getTime() - LOOKBACK_MS),
        to: new Date(Math.min(weekTo.getTime(), after.getTime())),
      },
      { from: new Date(monthStart.getTime() - LOOKBACK_MS), to: after },
    ]) as Promise<[LedgerEntry[], LedgerEntry[]]>,
    schedule ? deps.store.schedulePauses.get(schedule.name, now) : undefined,
  ]);
  // The schedule's pause as recorded now (earlier pauses are in the schedule's own ledger).
  const end = pause ? pauseEnd(pause.value) : undefined;
  const pauses = pause
    ? [
        {
          from: new Date(pause.value.pausedAt),
          ...(end ? { until: end } : {}),
          ...(pause.value.reason !== undefined ? { reason: pause.value.reason } : {}),
        },
      ]
    : [];
  const timeline = weekTimeline({
    ...(schedule ? { schedule, calendars } : { timezone }),
    start,
    now,
    ...(input.state ? { state: input.state } : {}),
    ledger: weekEntries,
    pauses,
  });
  const savings = estimateSavings({
    targets: [{ target, intervals: sleepIntervals(monthEntries), timezone }],
    rates: deps.rates ?? [],
    from: monthStart,
    to: now,
    now,
    timezone,
  });
  const href = targetHref(target.targetId);
  const current = weekStartOf(now, timezone);
  const why =
    ownership.status === "owned"
      ? ""
      : html`<p class="muted">No schedule owns this target, so nothing is planned; the timeline shows what the ledger recorded, in UTC.</p>`;
  return html`<h2 id="timeline">Week of ${start}</h2>
${why}
<nav class="pages" aria-label="Timeline weeks">
<a href="${withQuery(href, { week: addDays(start, -7) })}#timeline">Previous week</a>
${start !== current ? html`<a href="${href}#timeline">This week</a>` : ""}
<a href="${withQuery(href, { week: addDays(start, 7) })}#timeline">Next week</a>
</nav>
${timelineFigure(timeline, { id: "timeline", title: `Week of ${start} for ${target.name} (${timezone})` })}
<h2 id="savings">Estimated savings</h2>
${targetSavingsSection(savings, target.targetId)}`;
}

/** The store key of the fleet's savings, shared by the page views and the replicas. */
export const SHARED_SAVINGS_KEY = "dashboard-savings";
/** The fleet's savings are computed again when older than this. */
export const SAVINGS_MAX_AGE_MS = 10 * 60_000;
/** At most this many ledger entries are read for them (then the page says the sum is partial). */
const FLEET_LEDGER_LIMIT = 200_000;

/** Which rates a stored estimate was computed with: a new deployment's rates compute it again. */
function ratesKey(deps: DashboardDeps): string {
  return JSON.stringify(deps.rates ?? []);
}

/**
 * The fleet's savings of the last 30 days: the copy in the store while younger than
 * SAVINGS_MAX_AGE_MS and computed with the same rates, else computed from the ledger and stored.
 * The copy is an optimisation: a store that cannot keep it costs a computation, never the page.
 */
export async function fleetSavings(
  deps: DashboardDeps,
  targets: readonly Target[],
  ownershipOf: (target: SelectableTarget) => Ownership,
  now: Date,
): Promise<FleetSavings> {
  const rates = ratesKey(deps);
  const copy = await deps.store.shared.get(SHARED_SAVINGS_KEY, now).catch(() => undefined);
  const stored = copy?.value.value as { rates?: string; savings?: FleetSavings } | undefined;
  const age = copy ? now.getTime() - Date.parse(copy.value.fetchedAt) : Number.NaN;
  if (stored?.savings && stored.rates === rates && age >= 0 && age < SAVINGS_MAX_AGE_MS)
    return stored.savings;
  const from = new Date(now.getTime() - FLEET_SAVINGS_DAYS * DAY_MS);
  const { entries, complete } = await readLedger(deps.store, {
    from: new Date(from.getTime() - LOOKBACK_MS),
    to: new Date(now.getTime() + 1),
    limit: FLEET_LEDGER_LIMIT,
  });
  const estimate = estimateSavings({
    targets: fleetSleeps(targets, byTarget(entries), ownershipOf),
    rates: deps.rates ?? [],
    from,
    to: now,
    now,
    timezone: "UTC",
  });
  const savings = fleetSavingsOf(estimate, now, complete);
  await deps.store.shared
    .put(
      SHARED_SAVINGS_KEY,
      { fetchedAt: now.toISOString(), value: { rates, savings } },
      copy?.version ?? null,
      now,
    )
    .catch(() => undefined);
  return savings;
}

/** The fleet page's part: each schedule's week as a strip, and the fleet's savings by team. */
export async function fleetTimelineSection(
  deps: DashboardDeps,
  input: {
    targets: readonly Target[];
    ownershipOf: (target: SelectableTarget) => Ownership;
    now: Date;
  },
): Promise<Html> {
  const { targets, ownershipOf, now } = input;
  const owned = new Map<string, number>();
  for (const target of targets) {
    const ownership = ownershipOf(target);
    if (ownership.status === "owned")
      owned.set(ownership.schedule.name, (owned.get(ownership.schedule.name) ?? 0) + 1);
  }
  const schedules = deps.schedules.filter((schedule) => schedule.enabled);
  const strips = schedules.map((schedule) => {
    const timeline = weekTimeline({
      schedule,
      calendars: calendarsFor(schedule, deps.calendars),
      start: weekStartOf(now, schedule.timezone),
      now,
    });
    return { schedule, timeline, strip: timelineStrip(timeline) };
  });
  const savings = await fleetSavings(deps, targets, ownershipOf, now);
  return html`<h2 id="schedules-week">Schedules this week</h2>
${
  strips.length === 0
    ? html`<p class="muted">No enabled schedule.</p>`
    : html`<table aria-labelledby="schedules-week">
<caption>Each enabled schedule's week from Monday, in its own time zone: dark is planned asleep, tinted days are holidays or make-up days, the red line is now. A target's page has the full timeline.</caption>
<thead><tr><th scope="col">Schedule</th><th scope="col">Time zone</th><th scope="col">Targets</th><th scope="col">Week</th></tr></thead>
<tbody>${strips.map(
        ({ schedule, timeline, strip }) =>
          html`<tr><th scope="row">${schedule.name}</th><td>${schedule.timezone}</td><td class="num">${owned.get(schedule.name) ?? 0}</td><td>${strip} <span class="muted">from ${timeline.days[0]!.date}</span></td></tr>`,
      )}</tbody></table>`
}
<h2 id="savings">Estimated savings, last ${FLEET_SAVINGS_DAYS} days</h2>
<p class="muted">From the ledger, as of ${utcTime(savings.computedAt)} (computed again every ${SAVINGS_MAX_AGE_MS / 60_000} minutes).${
    savings.complete
      ? ""
      : html` <span class="warn">Partial: the ledger held more entries than the ${FLEET_LEDGER_LIMIT} read.</span>`
  }</p>
${teamSavingsSection(savings, "savings")}`;
}
