import { describe, expect, it } from "vitest";
import { BUILTIN_CALENDARS, builtinCalendar, combineCalendars, TableCalendar } from "./calendar.ts";
import { CalendarFileError, type CalendarFileIssue, parseCalendarFile } from "./calendar-file.ts";
import {
  CN_MAINLAND_HOLIDAYS,
  CN_MAINLAND_MAKEUP_WORKDAYS,
  CN_MAINLAND_SOURCE,
} from "./calendars/cn-mainland.ts";
import type { Calendar, DayKind } from "./types.ts";

const cn = builtinCalendar("cn-mainland");

function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

function datesOf(year: number): string[] {
  const dates: string[] = [];
  for (let ms = Date.UTC(year, 0, 1); ms < Date.UTC(year + 1, 0, 1); ms += 86_400_000) {
    dates.push(new Date(ms).toISOString().slice(0, 10));
  }
  return dates;
}

function issuesOf(text: string, source = "schedules/calendars/team.yaml"): CalendarFileIssue[] {
  try {
    parseCalendarFile(text, source);
  } catch (error) {
    if (error instanceof CalendarFileError) return [...error.issues];
    throw error;
  }
  throw new Error("expected a CalendarFileError");
}

/** `line:column field: message` for compact assertions. */
function brief(issues: CalendarFileIssue[]): string[] {
  return issues.map((i) => `${i.line}:${i.column} ${i.field}: ${i.message}`);
}

describe("builtin cn-mainland", () => {
  it("knows the 2025 National Day / Mid-autumn holiday and its two make-up working days", () => {
    expect(cn.dayKind("2025-10-01")).toBe("holiday");
    expect(cn.describe("2025-10-01")).toBe("National Day (国庆节)");
    expect(cn.dayKind("2025-10-06")).toBe("holiday");
    expect(cn.describe("2025-10-06")).toBe("Mid-autumn Festival (中秋)");
    expect(cn.dayKind("2025-10-08")).toBe("holiday");
    expect(weekday("2025-09-28")).toBe(0);
    expect(cn.dayKind("2025-09-28")).toBe("makeup-workday");
    expect(weekday("2025-10-11")).toBe(6);
    expect(cn.dayKind("2025-10-11")).toBe("makeup-workday");
    expect(cn.describe("2025-10-11")).toBe("make-up working day for National Day (国庆节调休上班)");
    expect(cn.dayKind("2025-10-09")).toBe("normal");
  });

  it("knows the 2026 Spring Festival and its make-up Saturdays", () => {
    expect(cn.dayKind("2026-02-17")).toBe("holiday");
    expect(cn.describe("2026-02-17")).toBe("Spring Festival (春节)");
    for (const date of ["2026-02-15", "2026-02-23"]) expect(cn.dayKind(date)).toBe("holiday");
    for (const date of ["2026-02-14", "2026-02-28"]) expect(cn.dayKind(date)).toBe("makeup-workday");
    expect(cn.dayKind("2026-02-24")).toBe("normal");
  });

  it("calls ordinary weekdays and weekends normal: weekends are the schedule's business", () => {
    expect(weekday("2025-10-14")).toBe(2);
    expect(cn.dayKind("2025-10-14")).toBe("normal");
    expect(cn.describe("2025-10-14")).toBeUndefined();
    expect(cn.dayKind("2025-10-18")).toBe("normal");
  });

  it("has official data for 2004-2026, provisional statutory holidays to 2100, and nothing outside", () => {
    expect(cn.coverage).toEqual({ from: 2004, to: 2026 });
    expect(CN_MAINLAND_SOURCE.years).toEqual(cn.coverage);
    expect(cn.provisional).toEqual({ to: 2100 });
    for (const date of ["2003-10-01", "2003-01-01", "2101-01-01", "2101-10-01"]) {
      expect(cn.dayKind(date)).toBe("normal");
      expect(cn.describe(date)).toBeUndefined();
    }
    expect(cn.dayKind("2004-10-01")).toBe("holiday");
    expect(cn.describe("2026-10-01")).toBe("National Day (国庆节)");
    const note = (year: number) =>
      `provisional: computed from the statute, the State Council has not published ${year}'s arrangement`;
    expect(cn.dayKind("2027-01-01")).toBe("holiday");
    expect(cn.describe("2027-01-01")).toBe(`New Year's Day (元旦, ${note(2027)})`);
    expect(cn.describe("2027-02-05")).toBe(`Spring Festival (春节, ${note(2027)})`); // New Year's Eve
    expect(cn.describe("2027-10-03")).toBe(`National Day (国庆节, ${note(2027)})`);
    expect(cn.dayKind("2027-10-04")).toBe("normal"); // days off in lieu are the arrangement's, unknown
    expect(cn.describe("2100-10-01")).toBe(`National Day (国庆节, ${note(2100)})`);
    // Make-up working days are never guessed.
    for (let year = 2027; year <= 2030; year++) {
      expect(
        datesOf(year).filter((date) => cn.dayKind(date) === "makeup-workday"),
        `${year}`,
      ).toEqual([]);
    }
  });

  it("has, every covered year, Spring Festival and National Day, and make-up days only on weekends", () => {
    for (let year = cn.coverage.from; year <= cn.coverage.to; year++) {
      const names = new Set(datesOf(year).map((date) => cn.describe(date)));
      expect(names, `${year}`).toContain("Spring Festival (春节)");
      expect(names, `${year}`).toContain("National Day (国庆节)");
      expect(names, `${year}`).toContain("New Year's Day (元旦)");
    }
    for (const [date] of CN_MAINLAND_MAKEUP_WORKDAYS) expect([0, 6], date).toContain(weekday(date));
    const holidays = new Set(CN_MAINLAND_HOLIDAYS.map(([date]) => date));
    for (const [date] of CN_MAINLAND_MAKEUP_WORKDAYS) expect(holidays.has(date), date).toBe(false);
    expect(cn.entries.size).toBe(CN_MAINLAND_HOLIDAYS.length + CN_MAINLAND_MAKEUP_WORKDAYS.length);
  });

  it("is built once, and an unknown name is refused with the list of builtins", () => {
    expect(builtinCalendar("cn-mainland")).toBe(cn);
    expect(BUILTIN_CALENDARS).toEqual(["cn-mainland"]);
    expect(() => builtinCalendar("cn-hongkong")).toThrow(
      /unknown builtin calendar "cn-hongkong"; the builtin calendars are: cn-mainland .*schedules\/calendars\/README\.md/,
    );
  });
});

const TEAM = `name: acme-shutdown
description: the example from the README
holidays:
  - date: 2026-12-24
    name: Company shutdown
  - from: 2026-12-30
    to: 2027-01-02
    name: Year-end shutdown
workdays:
  - date: 2026-12-19
    name: Make-up for the shutdown
  - date: 2026-10-07
    name: Release day
    overridesHolidays: true
`;

describe("custom calendar files", () => {
  it("reads single days and inclusive ranges across a year end", () => {
    const team = parseCalendarFile(TEAM, "schedules/calendars/team.yaml");
    expect(team.name).toBe("acme-shutdown");
    expect(team.coverage).toEqual({ from: 2026, to: 2027 });
    expect(team.dayKind("2026-12-24")).toBe("holiday");
    expect(team.describe("2026-12-24")).toBe("Company shutdown");
    for (const date of ["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"]) {
      expect(team.dayKind(date)).toBe("holiday");
      expect(team.describe(date)).toBe("Year-end shutdown");
    }
    expect(team.dayKind("2026-12-29")).toBe("normal");
    expect(team.dayKind("2027-01-03")).toBe("normal");
    expect(team.dayKind("2026-12-19")).toBe("makeup-workday");
    expect(team.describe("2026-12-19")).toBe("Make-up for the shutdown");
    expect(team.entries.get("2026-10-07")).toEqual({
      kind: "makeup-workday",
      name: "Release day",
      overridesHolidays: true,
    });
    expect(team.entries.size).toBe(7);
  });

  it("is named after its file when it has no name, and accepts leap days", () => {
    const text = "workdays:\n  - date: 2028-02-29\n    name: Leap-day release\n";
    const calendar = parseCalendarFile(text, "calendars/leap.yaml");
    expect(calendar.name).toBe("calendars/leap.yaml");
    expect(calendar.coverage).toEqual({ from: 2028, to: 2028 });
    expect(calendar.dayKind("2028-02-29")).toBe("makeup-workday");
  });

  it("reports schema problems with file, line, column and field", () => {
    const text = [
      "name: broken", // 1
      "holidays:", // 2
      "  - date: 2026-02-30", // 3
      "    name: Not a day", // 4
      "  - dat: 2026-01-01", // 5
      "    name: Typo", // 6
      "  - date: 20261224", // 7
      "    name: Number", // 8
      "workdays:", // 9
      "  - date: 2026-12-19", // 10
      "  - date: 2026-12-20", // 11
      "    name: ''", // 12
      "    overridesHolidays: yes", // 13
      "colour: blue", // 14
    ].join("\n");
    const issues = issuesOf(text);
    expect(issues.every((i) => i.source === "schedules/calendars/team.yaml")).toBe(true);
    expect(brief(issues)).toEqual([
      "3:11 holidays[0].date: is not a real date between 1900 and 2999: check the month and the day",
      "5:5 holidays[1].dat: unknown field; the fields here are: date, from, to, name",
      "7:11 holidays[2].date: must be a date written YYYY-MM-DD, e.g. 2026-12-24 (quote it if YAML reads it otherwise)",
      "10:5 workdays[0].name: is required: say what the day is, e.g. `name: Company shutdown`",
      "12:11 workdays[1].name: must not be empty: say what the day is, e.g. `name: Company shutdown`",
      "13:24 workdays[1].overridesHolidays: must be true or false",
      "14:1 colour: unknown field; the fields here are: name, description, replaces, holidays, workdays",
    ]);
  });

  it("reports range and duplicate problems at the entry or field at fault", () => {
    const text = [
      "holidays:", // 1
      "  - date: 2026-12-24", // 2
      "    name: Eve", // 3
      "  - from: 2026-12-28", // 4
      "    to: 2026-12-20", // 5
      "    name: Backwards", // 6
      "  - from: 2026-12-22", // 7
      "    to: 2026-12-26", // 8
      "    name: Overlaps the eve", // 9
      "  - date: 2026-11-02", // 10
      "    to: 2026-11-03", // 11
      "    name: Both", // 12
      "  - from: 2026-11-09", // 13
      "    name: Half a range", // 14
      "  - from: 2026-01-01", // 15
      "    to: 2027-01-02", // 16
      "    name: Typo in the year", // 17
      "  - name: No date", // 18
      "workdays:", // 19
      "  - date: 2026-12-24", // 20
      "    name: Also a workday", // 21
    ].join("\n");
    expect(brief(issuesOf(text))).toEqual([
      "5:9 holidays[1].to: ends before it starts (from: 2026-12-28); swap `from:` and `to:`",
      "7:5 holidays[2]: 2026-12-24 is already a holiday at line 2 (holidays[0]); declare each date once per calendar",
      "10:5 holidays[3]: give either `date:` (one day) or `from:` and `to:` (a range), not both",
      "13:11 holidays[4].from: a range needs both `from:` and `to:` (for one day, write `date:`)",
      "16:9 holidays[5].to: the range spans 367 days, more than 366: check the years",
      "18:5 holidays[6]: needs `date:` (one day) or `from:` and `to:` (an inclusive range)",
      "20:5 workdays[0]: 2026-12-24 is already a holiday at line 2 (holidays[0]); declare each date once per calendar",
    ]);
  });

  it("reads `replaces:` (the official arrangement of a builtin's years) and refuses a wrong one", () => {
    const text = (replaces: string) =>
      `replaces: ${replaces}\nholidays:\n  - date: 2027-01-01\n    name: New Year's Day\n`;
    const file = parseCalendarFile(text("{ builtin: cn-mainland, years: [2027] }"), "calendars/cn-2027.yaml");
    expect(file.replaces).toEqual({ builtin: "cn-mainland", years: [2027] });
    expect(file.coverage).toEqual({ from: 2027, to: 2027 });
    expect(
      parseCalendarFile(text("{ builtin: cn-mainland, years: [2027] }").replace("replaces:", "#"), "x")
        .replaces,
    ).toBeUndefined();
    expect(brief(issuesOf(text("{ builtin: cn-hongkong, years: [2027] }")))).toEqual([
      "1:22 replaces.builtin: must name a builtin calendar: cn-mainland",
    ]);
    expect(brief(issuesOf(text("{ builtin: cn-mainland, years: [2027, 2028] }")))).toEqual([
      "1:49 replaces.years[1]: the file has no holiday in 2028, so it cannot be 2028's arrangement: check the year",
    ]);
    expect(brief(issuesOf(text("{ builtin: cn-mainland, years: [] }")))).toEqual([
      "1:42 replaces.years: must list at least one year, e.g. [2027]",
    ]);
    expect(brief(issuesOf(text("{ builtin: cn-mainland, years: 2027, extra: 1 }")))).toEqual([
      "1:42 replaces.years: must be a list of the years the file gives the official arrangement of, e.g. [2027]",
      "1:48 replaces.extra: unknown field; the fields here are: builtin, years",
    ]);
  });

  it("reports YAML syntax errors, the wrong shape, and a file without days", () => {
    expect(brief(issuesOf("holidays:\n  - date: [2026-01-01\n"))).toEqual([
      expect.stringMatching(/^3:1 : YAML syntax: /),
    ]);
    expect(brief(issuesOf(""))).toEqual([
      "1:1 : a calendar file is a YAML mapping with `name:`, `holidays:` and/or `workdays:`",
    ]);
    expect(brief(issuesOf("- date: 2026-01-01\n"))).toEqual([
      "1:1 : a calendar file is a YAML mapping with `name:`, `holidays:` and/or `workdays:`",
    ]);
    expect(brief(issuesOf("name: x\nholidays:\n  - 2026-12-24\n"))).toEqual([
      "3:5 holidays[0]: each holiday is a mapping, e.g. `- date: 2026-12-24` with `name: Company shutdown`",
    ]);
    expect(brief(issuesOf("name: x\nworkdays: 2026-12-19\n"))).toEqual([
      "2:11 workdays: must be a list of days, e.g. `- date: 2026-12-24` with `name: Company shutdown`",
    ]);
    expect(brief(issuesOf("name: empty\nholidays: []\n"))).toEqual([
      "1:1 : declares no days: add `holidays:` and/or `workdays:` entries",
    ]);
  });

  it("puts every problem in the error message, one per line, as file:line:column", () => {
    try {
      parseCalendarFile("holidays:\n  - date: 2026-13-01\n    name: x\nextra: 1\n", "calendars/x.yaml");
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe(
        [
          "invalid calendar file calendars/x.yaml:",
          "  calendars/x.yaml:2:11: holidays[0].date: is not a real date between 1900 and 2999: check the month and the day",
          "  calendars/x.yaml:4:1: extra: unknown field; the fields here are: name, description, replaces, holidays, workdays",
        ].join("\n"),
      );
    }
  });
});

describe("custom calendar files: YAML that parses but has no value", () => {
  it("names an alias used before its anchor, at the alias, instead of throwing YAML's ReferenceError", () => {
    expect(brief(issuesOf("name: *team\nholidays: []\nx: &team ops\n"))).toEqual([
      "1:7 : YAML: Unresolved alias (the anchor must be set before the alias): team; set the anchor (&name) before any alias (*name) to it, or write the value out",
    ]);
  });
});

describe("combineCalendars", () => {
  const team = parseCalendarFile(TEAM, "schedules/calendars/team.yaml");
  const both = combineCalendars([cn, team]);

  it("lets a holiday in any calendar win over a normal day and over a make-up working day", () => {
    expect(both.dayKind("2026-12-24")).toBe("holiday"); // team only
    expect(both.dayKind("2026-10-01")).toBe("holiday"); // cn only
    const shutdownOnMakeupSaturday = parseCalendarFile(
      "holidays:\n  - date: 2026-10-10\n    name: Shutdown\n",
      "calendars/shutdown.yaml",
    );
    expect(cn.dayKind("2026-10-10")).toBe("makeup-workday");
    const combined = combineCalendars([cn, shutdownOnMakeupSaturday]);
    expect(combined.dayKind("2026-10-10")).toBe("holiday");
    expect(combined.describe("2026-10-10")).toBe("Shutdown");
  });

  it("lets a custom make-up working day beat a public holiday only when it says overridesHolidays", () => {
    expect(cn.dayKind("2026-10-07")).toBe("holiday");
    expect(both.dayKind("2026-10-07")).toBe("makeup-workday");
    expect(both.describe("2026-10-07")).toBe("Release day");
    const plain = parseCalendarFile(
      "workdays:\n  - date: 2026-10-06\n    name: Wishful thinking\n",
      "calendars/plain.yaml",
    );
    const combined = combineCalendars([plain, cn]);
    expect(combined.dayKind("2026-10-06")).toBe("holiday");
    expect(combined.describe("2026-10-06")).toBe("National Day (国庆节)");
  });

  it("matches the documented precedence on every day of 2026 and 2027", () => {
    for (const date of [...datesOf(2026), ...datesOf(2027)]) {
      const kinds = [cn.dayKind(date), team.dayKind(date)];
      const override = team.entries.get(date)?.overridesHolidays === true;
      const expected: DayKind = override
        ? "makeup-workday"
        : kinds.includes("holiday")
          ? "holiday"
          : kinds.includes("makeup-workday")
            ? "makeup-workday"
            : "normal";
      expect(both.dayKind(date), date).toBe(expected);
    }
  });

  it("lets the first calendar listed name a day both call a holiday", () => {
    const eve = parseCalendarFile(
      "holidays:\n  - date: 2026-10-01\n    name: Team outing\n",
      "calendars/eve.yaml",
    );
    expect(combineCalendars([eve, cn]).describe("2026-10-01")).toBe("Team outing");
    expect(combineCalendars([cn, eve]).describe("2026-10-01")).toBe("National Day (国庆节)");
  });

  it("precomputes tables, covers the union of years, and names the parts", () => {
    // cn-mainland computes its provisional years on demand, so with it the days resolve per call.
    expect(both).not.toBeInstanceOf(TableCalendar);
    expect(combineCalendars([team, team])).toBeInstanceOf(TableCalendar);
    expect(both.name).toBe("cn-mainland + acme-shutdown");
    expect(both.coverage).toEqual({ from: 2004, to: 2027 });
    expect(both.dayKind("2027-01-01")).toBe("holiday"); // team's shutdown, beyond cn's years
  });

  it("returns a single calendar as it is, and no calendars as all-normal covering no year", () => {
    expect(combineCalendars([cn])).toBe(cn);
    const none = combineCalendars([]);
    expect(none.dayKind("2026-10-01")).toBe("normal");
    expect(none.describe("2026-10-01")).toBeUndefined();
    expect(none.coverage.from).toBeGreaterThan(none.coverage.to);
  });

  it("combines other Calendar implementations by asking them per date", () => {
    const fridays: Calendar = {
      name: "every-friday-off",
      coverage: { from: 2026, to: 2026 },
      dayKind: (date) => (date.startsWith("2026-") && weekday(date) === 5 ? "holiday" : "normal"),
      describe: (date) => (date.startsWith("2026-") && weekday(date) === 5 ? "Friday off" : undefined),
    };
    const combined = combineCalendars([team, fridays]);
    expect(combined.dayKind("2026-11-06")).toBe("holiday");
    expect(combined.describe("2026-11-06")).toBe("Friday off");
    expect(combined.dayKind("2026-12-19")).toBe("makeup-workday");
    expect(combined.dayKind("2026-11-05")).toBe("normal");
    expect(combined.coverage).toEqual({ from: 2026, to: 2027 });
  });
});
