// When a schedule's builtin calendar does not cover the dates it plans: the one rule that
// `nightshift validate`, `nightshift plan`, the tick's log and GET /api/plan all report from.
//
// A builtin calendar covers the years of its official data (`coverage`) plus the years that a
// calendar file listed by the same schedule `replaces`. A schedule is warned about when any date
// from the start of the window it plans up to the later of the window's end and WARN_DAYS_AHEAD
// after `now` (in the schedule's time zone) lies outside that: well before the data runs out, so
// there is time to add the next year's arrangement. Custom calendars without `replaces` say what
// their author wrote and have no end to warn about.
import { dateOfDayNumber, dayNumber, localDayAndMinutes, localToUtc } from "./timezone.ts";
import type { Calendar, LocalDate, Schedule } from "./types.ts";

/** How long before a builtin calendar's official data ends the warning starts. */
export const WARN_DAYS_AHEAD = 60;
const DAY_MS = 86_400_000;

export interface CoverageWarning {
  schedule: string;
  /** The schedule's file, e.g. "schedules/baidu-china-holidays.yaml". */
  source: string;
  calendar: string;
  /** The last date with official data (or a replacing file) before the first uncovered one. */
  lastCovered?: LocalDate;
  /** The first date without official data, e.g. "2027-01-01". */
  firstUncovered: LocalDate;
  /** Whether the first uncovered year has provisional statutory holidays (else no days at all). */
  provisional: boolean;
  message: string;
}

export interface CoverageInput {
  schedules: readonly Schedule[];
  /** Calendars by reference (builtin name or file path), as loaded. */
  calendars: ReadonlyMap<string, Calendar>;
  /** The window planned (from exclusive, to inclusive); validate plans none: from = to = now. */
  from: Date;
  to: Date;
  now: Date;
}

/** The builtin calendars a schedule lists, each with the years its calendar files replace. */
function builtinsOf(
  schedule: Schedule,
  calendars: ReadonlyMap<string, Calendar>,
): Array<{ calendar: Calendar; replaced: ReadonlySet<number> }> {
  const listed = schedule.calendars.flatMap((ref) => {
    const calendar = calendars.get(ref.builtin ?? ref.file ?? "");
    return calendar ? [{ ref, calendar }] : [];
  });
  return listed.flatMap(({ ref, calendar }) =>
    ref.builtin === undefined
      ? []
      : [
          {
            calendar,
            replaced: new Set(
              listed.flatMap(({ calendar: file }) =>
                file.replaces?.builtin === calendar.name ? file.replaces.years : [],
              ),
            ),
          },
        ],
  );
}

/** Whether a builtin calendar, with the years replaced by files, has data for `year`. */
function coversYear(calendar: Calendar, replaced: ReadonlySet<number>, year: number): boolean {
  return replaced.has(year) || (calendar.coverage.from <= year && year <= calendar.coverage.to);
}

export function coverageWarnings(input: CoverageInput): CoverageWarning[] {
  const warnings: CoverageWarning[] = [];
  for (const schedule of input.schedules) {
    for (const { calendar, replaced } of builtinsOf(schedule, input.calendars)) {
      const warning = warningFor(schedule, calendar, replaced, input);
      if (warning !== undefined) warnings.push(warning);
    }
  }
  return warnings;
}

export interface CoverageEnd {
  schedule: string;
  calendar: string;
  /** The first local date, from the first of January of `now`'s year on, without official data (or a replacing file). */
  firstUncovered: LocalDate;
  /** When that date starts in the schedule's time zone: how long the calendar's data lasts. */
  endsAt: Date;
}

/**
 * Per schedule and builtin calendar it lists, where the calendar's data ends (the metrics' coverage
 * left). Counted from the current year: a year already uncovered gives its first of January.
 */
export function coverageEnds(input: Pick<CoverageInput, "schedules" | "calendars" | "now">): CoverageEnd[] {
  const ends: CoverageEnd[] = [];
  for (const schedule of input.schedules) {
    const today = dateOfDayNumber(localDayAndMinutes(input.now, schedule.timezone).day);
    for (const { calendar, replaced } of builtinsOf(schedule, input.calendars)) {
      let year = yearOf(today);
      while (coversYear(calendar, replaced, year)) year++;
      const firstUncovered = `${year}-01-01`;
      ends.push({
        schedule: schedule.name,
        calendar: calendar.name,
        firstUncovered,
        endsAt: localToUtc(firstUncovered, "00:00", schedule.timezone).at,
      });
    }
  }
  return ends;
}

function warningFor(
  schedule: Schedule,
  calendar: Calendar,
  replaced: ReadonlySet<number>,
  { from, to, now }: CoverageInput,
): CoverageWarning | undefined {
  const local = (instant: Date) => dateOfDayNumber(localDayAndMinutes(instant, schedule.timezone).day);
  const covered = (year: number) => coversYear(calendar, replaced, year);
  // From WARN_DAYS_AHEAD days before the last covered date: the next day is then uncovered.
  const ahead = now.getTime() + (WARN_DAYS_AHEAD + 1) * DAY_MS;
  const until = local(new Date(Math.max(to.getTime(), ahead)));
  const first = yearOf(local(from));
  let year = first;
  while (year <= yearOf(until) && covered(year)) year++;
  if (year > yearOf(until)) return undefined;

  const lowest = Math.min(calendar.coverage.from, ...replaced);
  let lastYear = year - 1;
  while (lastYear >= lowest && !covered(lastYear)) lastYear--;
  const lastCovered = lastYear >= lowest ? `${lastYear}-12-31` : undefined;
  const firstUncovered = year === first ? local(from) : `${year}-01-01`;
  const provisional =
    calendar.provisional !== undefined && year > calendar.coverage.to && year <= calendar.provisional.to;

  const planned = local(to);
  const when =
    lastCovered === undefined
      ? `has no official data before ${calendar.coverage.from}-01-01`
      : planned > lastCovered
        ? `has official data only up to ${lastCovered}, and this plan reaches ${planned}`
        : `has official data only up to ${lastCovered} (${dayNumber(lastCovered) - dayNumber(local(now))} days from now)`;
  const after = provisional
    ? `from ${firstUncovered} it uses provisional statutory holidays computed from the statute ` +
      `(全国年节及纪念日放假办法); ${year}'s make-up working days (调休) and days off in lieu are unknown`
    : `from ${firstUncovered} it knows no holidays and no make-up working days: every day is an ordinary day`;
  const fix =
    `when the State Council publishes ${year}'s arrangement, add it as a calendar file with ` +
    `\`replaces: { builtin: ${calendar.name}, years: [${year}] }\` and list it in this schedule's calendars ` +
    "(see schedules/calendars/README.md), or upgrade nightshift";
  return {
    schedule: schedule.name,
    source: schedule.source,
    calendar: calendar.name,
    ...(lastCovered !== undefined ? { lastCovered } : {}),
    firstUncovered,
    provisional,
    message: `schedule "${schedule.name}": calendar ${calendar.name} ${when}; ${after}. Fix: ${fix}.`,
  };
}

function yearOf(date: LocalDate): number {
  return Number(date.slice(0, 4));
}
