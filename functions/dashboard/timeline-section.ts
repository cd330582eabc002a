// The timeline and savings parts of the dashboard's pages: a target's week timeline (with links to
// the weeks before and after) and its savings this month, and on the fleet page each schedule's
// week as a strip and the fleet's savings by team. Reads what it needs, then draws with
// timeline-svg.ts and savings-view.ts.
import { html } from "hono/html";
import type { Target } from "../../shared/providers/inventory.ts";
import { estimateSavings } from "../../shared/savings/estimate.ts";
import { readFleetSavings, SAVINGS_PERIOD_MS } from "../../shared/savings/fleet-savings.ts";
import { FLEET_SAVINGS_DAYS, LOOKBACK_MS } from "../../shared/savings/fleet-scan.ts";
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
import type { Calendar, LocalDate, Schedule } from "../../shared/schedule/types.ts";
import {
  type WeekTimeline,
  weekStartOf,
  weekTimeline,
  withNow,
} from "../../shared/schedule/week-timeline.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import type { TargetState } from "../../shared/store/store.ts";
import type { DashboardDeps } from "./deps.ts";
import { type Html, relative, targetHref, utcTime, withQuery } from "./layout.ts";
import { readLedger, targetSavingsSection, teamSavingsSection } from "./savings-view.ts";
import { timelineFigure, timelineStrip } from "./timeline-svg.ts";

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

/**
 * Each schedule's planned week, kept from one view to the next while the week and the calendars
 * are the same (schedules are loaded once): only where `now` falls changes (withNow).
 */
const plannedWeeks = new WeakMap<
  Schedule,
  { start: LocalDate; calendars: ReadonlyMap<string, Calendar>; timeline: WeekTimeline }
>();

function plannedWeek(schedule: Schedule, calendars: ReadonlyMap<string, Calendar>, now: Date): WeekTimeline {
  const start = weekStartOf(now, schedule.timezone);
  const kept = plannedWeeks.get(schedule);
  if (kept && kept.start === start && kept.calendars === calendars) return withNow(kept.timeline, now);
  const timeline = weekTimeline({ schedule, calendars: calendarsFor(schedule, calendars), start, now });
  plannedWeeks.set(schedule, { start, calendars, timeline });
  return timeline;
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
    const timeline = plannedWeek(schedule, deps.calendars, now);
    return { schedule, timeline, strip: timelineStrip(timeline) };
  });
  const stored = await readFleetSavings(deps.store, deps.rates ?? [], now);
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
${fleetSavingsSection(stored, now)}`;
}

/** The summary the tick keeps (shared/savings/fleet-savings.ts), and how old it is. */
function fleetSavingsSection(stored: Awaited<ReturnType<typeof readFleetSavings>>, now: Date): Html {
  const every = `every ${SAVINGS_PERIOD_MS / 60_000} minutes`;
  if (!stored)
    return html`<p class="muted">Not computed yet: the tick computes the fleet's savings from the ledger within minutes of starting, then ${every}.</p>`;
  const { savings, otherRates } = stored;
  return html`<p class="muted">From the ledger, as of ${utcTime(savings.computedAt)} (${relative(savings.computedAt, now)}; the tick computes it again ${every}).${
    otherRates
      ? html` <span class="warn">Computed with the rates deployed before: the tick is computing it again with the current ones.</span>`
      : ""
  }${savings.complete ? "" : html` <span class="warn">Partial: a part of the ledger was too dense to read.</span>`}</p>
${teamSavingsSection(savings, "savings")}`;
}
