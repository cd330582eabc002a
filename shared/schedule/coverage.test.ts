import { describe, expect, it } from "vitest";
import { builtinCalendar, combineCalendars } from "./calendar.ts";
import { parseCalendarFile } from "./calendar-file.ts";
import { coverageEnds, coverageWarnings } from "./coverage.ts";
import { calendarsFor } from "./engine.ts";
import { planTransitions } from "./plan.ts";
import type { Calendar, CalendarRef, Schedule } from "./types.ts";

const cn = builtinCalendar("cn-mainland");

// The State Council's 2027 arrangement as a user would drop it in (dates illustrative).
const CN_2027 = `name: cn-mainland-2027
replaces: { builtin: cn-mainland, years: [2027] }
holidays:
  - from: 2027-01-01
    to: 2027-01-03
    name: New Year's Day (元旦)
  - from: 2027-02-05
    to: 2027-02-13
    name: Spring Festival (春节)
workdays:
  - date: 2027-02-14
    name: make-up working day for Spring Festival (春节调休上班)
`;
const cn2027 = parseCalendarFile(CN_2027, "schedules/calendars/cn-mainland-2027.yaml");
const company = parseCalendarFile(
  "holidays:\n  - date: 2027-03-01\n    name: Team day\n",
  "schedules/calendars/company.yaml",
);

const CALENDARS = new Map<string, Calendar>([
  ["cn-mainland", cn],
  ["calendars/cn-mainland-2027.yaml", cn2027],
  ["calendars/company.yaml", company],
]);

function schedule(calendars: CalendarRef[], name = "office"): Schedule {
  return {
    name,
    source: `schedules/${name}.yaml`,
    enabled: true,
    timezone: "Asia/Shanghai",
    mode: "full",
    enforce: false,
    targets: [{}],
    rules: [
      { to: "awake", days: ["mon", "tue", "wed", "thu", "fri"], at: "08:30" },
      { to: "asleep", days: ["mon", "tue", "wed", "thu", "fri"], at: "21:00" },
    ],
    calendars,
    holidays: "asleep",
    makeupDayAs: "mon",
    exceptions: [],
    graceMinutes: 60,
    minDwellMinutes: 0,
    releaseNodes: false,
    namespaces: [],
  };
}

const at = (text: string) => new Date(text);
const warn = (schedules: Schedule[], from: string, to: string, now: string) =>
  coverageWarnings({ schedules, calendars: CALENDARS, from: at(from), to: at(to), now: at(now) });

describe("coverageWarnings", () => {
  const office = schedule([{ builtin: "cn-mainland" }]);

  it("says nothing more than 60 days before the official data ends", () => {
    expect(
      warn([office], "2026-10-31T00:00+08:00", "2026-10-31T00:00+08:00", "2026-10-31T23:59+08:00"),
    ).toEqual([]);
  });

  it("warns from 60 days before the end, naming the calendar, the last date, what follows and the fix", () => {
    const [warning, ...more] = warn(
      [office],
      "2026-12-06T10:00+08:00",
      "2026-12-06T10:00+08:00",
      "2026-12-06T10:00+08:00",
    );
    expect(more).toEqual([]);
    expect(warning).toMatchObject({
      schedule: "office",
      source: "schedules/office.yaml",
      calendar: "cn-mainland",
      lastCovered: "2026-12-31",
      firstUncovered: "2027-01-01",
      provisional: true,
    });
    expect(warning?.message).toBe(
      'schedule "office": calendar cn-mainland has official data only up to 2026-12-31 (25 days from now); ' +
        "from 2027-01-01 it uses provisional statutory holidays computed from the statute (全国年节及纪念日放假办法); " +
        "2027's make-up working days (调休) and days off in lieu are unknown. Fix: when the State Council publishes " +
        "2027's arrangement, add it as a calendar file with `replaces: { builtin: cn-mainland, years: [2027] }` and " +
        "list it in this schedule's calendars (see schedules/calendars/README.md), or upgrade nightshift.",
    );
    expect(
      warn([office], "2026-11-01T00:00+08:00", "2026-11-01T00:00+08:00", "2026-11-01T00:00+08:00"),
    ).toHaveLength(1);
  });

  it("warns when the planned window reaches uncovered dates, however far ahead", () => {
    const [warning] = warn(
      [office],
      "2029-03-01T00:00+08:00",
      "2029-03-08T00:00+08:00",
      "2026-06-01T00:00+08:00",
    );
    expect(warning?.lastCovered).toBe("2026-12-31");
    expect(warning?.firstUncovered).toBe("2029-03-01");
    expect(warning?.message).toContain(
      "has official data only up to 2026-12-31, and this plan reaches 2029-03-08",
    );
    const [beyond] = warn(
      [office],
      "2101-01-01T00:00+08:00",
      "2101-01-02T00:00+08:00",
      "2026-06-01T00:00+08:00",
    );
    expect(beyond?.provisional).toBe(false);
    expect(beyond?.message).toContain("it knows no holidays and no make-up working days");
  });

  it("is silenced by a calendar file that replaces the uncovered year, listed by the same schedule", () => {
    const withFile = schedule(
      [{ builtin: "cn-mainland" }, { file: "calendars/cn-mainland-2027.yaml" }],
      "filed",
    );
    const december = ["2026-12-06T10:00+08:00", "2026-12-06T10:00+08:00", "2026-12-06T10:00+08:00"] as const;
    expect(warn([withFile], ...december)).toEqual([]);
    expect(warn([office, withFile], ...december).map((w) => w.schedule)).toEqual(["office"]);
    // ...until 2028 comes within 60 days.
    const [next] = warn(
      [withFile],
      "2027-11-15T00:00+08:00",
      "2027-11-15T00:00+08:00",
      "2027-11-15T00:00+08:00",
    );
    expect(next?.lastCovered).toBe("2027-12-31");
    expect(next?.message).toContain("2028's arrangement");
  });

  it("never warns about custom calendars, which end where their author says", () => {
    const own = schedule([{ file: "calendars/company.yaml" }], "own");
    expect(warn([own], "2030-01-01T00:00+08:00", "2030-01-08T00:00+08:00", "2029-12-01T00:00+08:00")).toEqual(
      [],
    );
  });
});

describe("a calendar file that replaces cn-mainland's years", () => {
  const cal = (refs: CalendarRef[]) => combineCalendars(calendarsFor(schedule(refs), CALENDARS));

  it("drops the provisional days of those years and applies its own holidays and make-up days", () => {
    const provisional = cal([{ builtin: "cn-mainland" }]);
    expect(provisional.describe("2027-02-08")).toContain("provisional");
    expect(provisional.dayKind("2027-02-09")).toBe("normal");
    expect(provisional.dayKind("2027-02-14")).toBe("normal"); // make-up days are unknown
    expect(provisional.dayKind("2027-10-01")).toBe("holiday");

    const filed = cal([{ builtin: "cn-mainland" }, { file: "calendars/cn-mainland-2027.yaml" }]);
    expect(filed.describe("2027-02-08")).toBe("Spring Festival (春节)");
    expect(filed.dayKind("2027-02-09")).toBe("holiday");
    expect(filed.dayKind("2027-02-14")).toBe("makeup-workday");
    // The file replaces the whole year: a provisional day it does not list is gone.
    expect(filed.dayKind("2027-10-01")).toBe("normal");
    // Other years keep the builtin's days, official and provisional.
    expect(filed.describe("2026-10-01")).toBe("National Day (国庆节)");
    expect(filed.describe("2028-10-01")).toContain("provisional");
  });

  it("only replaces when the same schedule lists it, and plans accordingly", () => {
    const office = schedule([{ builtin: "cn-mainland" }]);
    const filed = schedule([{ builtin: "cn-mainland" }, { file: "calendars/cn-mainland-2027.yaml" }]);
    const window = { from: at("2027-02-13T00:00+08:00"), to: at("2027-02-15T00:00+08:00") };
    const plan = (s: Schedule) =>
      planTransitions(s, calendarsFor(s, CALENDARS), window).map(
        (t) => `${t.to} ${t.local.date} ${t.local.time}`,
      );
    expect(plan(office)).toEqual([]);
    // Sunday 14 February is the arrangement's make-up working day: Monday's rules.
    expect(plan(filed)).toEqual(["awake 2027-02-14 08:30", "asleep 2027-02-14 21:00"]);
  });
});

describe("coverageEnds", () => {
  const ends = (schedules: Schedule[], now: string) =>
    coverageEnds({ schedules, calendars: CALENDARS, now: at(now) });

  it("gives the first day without official data, from the schedule's local midnight", () => {
    expect(ends([schedule([{ builtin: "cn-mainland" }])], "2026-06-01T00:00+08:00")).toEqual([
      {
        schedule: "office",
        calendar: "cn-mainland",
        firstUncovered: "2027-01-01",
        endsAt: at("2027-01-01T00:00+08:00"),
      },
    ]);
  });

  it("moves past the years a listed calendar file replaces, and names no custom calendar", () => {
    const refs: CalendarRef[] = [
      { builtin: "cn-mainland" },
      { file: "calendars/cn-mainland-2027.yaml" },
      { file: "calendars/company.yaml" },
    ];
    expect(ends([schedule(refs, "replaced")], "2026-06-01T00:00+08:00")).toEqual([
      {
        schedule: "replaced",
        calendar: "cn-mainland",
        firstUncovered: "2028-01-01",
        endsAt: at("2028-01-01T00:00+08:00"),
      },
    ]);
    expect(ends([schedule([{ file: "calendars/company.yaml" }])], "2026-06-01T00:00+08:00")).toEqual([]);
  });

  it("counts from the current local year: data that already ran out ends on its first of January", () => {
    const [end] = ends([schedule([{ builtin: "cn-mainland" }])], "2027-03-01T00:00+08:00");
    expect(end?.firstUncovered).toBe("2027-01-01");
    // New Year's Eve 20:00 UTC is already 2027 in Shanghai.
    expect(ends([schedule([{ builtin: "cn-mainland" }])], "2026-12-31T20:00Z")[0]?.firstUncovered).toBe(
      "2027-01-01",
    );
  });
});
