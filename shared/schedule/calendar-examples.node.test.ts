import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinCalendar, combineCalendars } from "./calendar.ts";
import { parseCalendarFile } from "./calendar-file.ts";
import { cnStatutoryHolidays } from "./cn-statute.ts";

// The example calendars in schedules/calendars/ parse, and mean what their comments and the
// README say (the runtime-neutral suite cannot read files inside workerd).
const DIR = "schedules/calendars";

describe(`${DIR}/*.yaml`, () => {
  const files = readdirSync(DIR).filter((file) => file.endsWith(".yaml"));

  it("has examples, and every one parses", () => {
    expect(files).toContain("company.yaml");
    for (const file of files) {
      const source = join(DIR, file);
      expect(() => parseCalendarFile(readFileSync(source, "utf8"), source), source).not.toThrow();
    }
  });

  it("company.yaml, combined with cn-mainland, gives the days its comments promise", () => {
    const source = join(DIR, "company.yaml");
    const company = parseCalendarFile(readFileSync(source, "utf8"), source);
    expect(company.name).toBe("acme-company");
    const days = combineCalendars([builtinCalendar("cn-mainland"), company]);
    expect(days.dayKind("2026-12-24")).toBe("holiday");
    for (const date of ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"]) {
      expect(days.dayKind(date)).toBe("holiday");
      expect(days.describe(date)).toBe("Year-end shutdown");
    }
    expect(days.dayKind("2026-12-19")).toBe("makeup-workday");
    // The release day overrides the public holiday; the day before stays a holiday.
    expect(days.dayKind("2026-10-07")).toBe("makeup-workday");
    expect(days.describe("2026-10-07")).toBe("Q4 release day");
    expect(days.dayKind("2026-10-06")).toBe("holiday");
  });

  it("the README's 2027 arrangement example replaces cn-mainland's 2027 and keeps every statutory day", () => {
    const readme = readFileSync(join(DIR, "README.md"), "utf8");
    const block = /```yaml\n# calendars\/cn-mainland-2027\.yaml[^\n]*\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const example = parseCalendarFile(block ?? "", "README.md");
    expect(example.replaces).toEqual({ builtin: "cn-mainland", years: [2027] });
    const days = combineCalendars([builtinCalendar("cn-mainland"), example]);
    for (const [date] of cnStatutoryHolidays(2027)) {
      expect(days.dayKind(date), date).toBe("holiday");
      expect(days.describe(date), date).not.toContain("provisional");
    }
    expect(days.dayKind("2027-10-09")).toBe("makeup-workday");
  });
});
