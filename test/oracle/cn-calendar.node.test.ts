import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { builtinCalendar } from "../../shared/schedule/calendar.ts";
import {
  CN_MAINLAND_HOLIDAYS,
  CN_MAINLAND_MAKEUP_WORKDAYS,
  CN_MAINLAND_SOURCE,
} from "../../shared/schedule/calendars/cn-mainland.ts";
import { CN_MAINLAND_MODULE, loadChineseDays, renderCnMainlandModule } from "./cn-calendar.generate.node.ts";

// chinese-days builds its tables when imported, from dates in the host's local time zone, and is
// only right at or east of UTC (under America/New_York every date shifts back a day). Load and
// query it under Asia/Shanghai, the zone the data is for, and give the host its own zone back
// afterwards (the Node project's test files share processes).
const hostTimeZone = process.env.TZ;
process.env.TZ = "Asia/Shanghai";
const { default: chineseDays } = await import("chinese-days");
afterAll(() => {
  if (hostTimeZone === undefined) delete process.env.TZ;
  else process.env.TZ = hostTimeZone;
});

const cn = builtinCalendar("cn-mainland");
const WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** chinese-days reads dates in the local time zone: give it local midnight. */
function localDate(date: string): Date {
  const [year, month, day] = date.split("-").map(Number);
  return new Date(year ?? 0, (month ?? 1) - 1, day ?? 1);
}

function datesOf(year: number): string[] {
  const dates: string[] = [];
  for (let ms = Date.UTC(year, 0, 1); ms < Date.UTC(year + 1, 0, 1); ms += 86_400_000) {
    dates.push(new Date(ms).toISOString().slice(0, 10));
  }
  return dates;
}

function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

describe("shared/schedule/calendars/cn-mainland.ts against chinese-days", () => {
  it("is exactly what the generator produces now from the installed chinese-days (not stale)", () => {
    const source = loadChineseDays();
    expect(CN_MAINLAND_SOURCE.package).toBe("chinese-days");
    expect(CN_MAINLAND_SOURCE.version, "chinese-days was upgraded: run the generator").toBe(source.version);
    const shipped = readFileSync(CN_MAINLAND_MODULE, "utf8");
    expect(shipped).toBe(renderCnMainlandModule(source, CN_MAINLAND_SOURCE.generatedOn));
  });

  it("would be caught stale: a changed source renders a different module", () => {
    const source = loadChineseDays();
    const holidays = { ...source.data.holidays };
    delete holidays["2025-10-01"];
    const changed = renderCnMainlandModule({ ...source, data: { ...source.data, holidays } }, "2026-11-22");
    expect(changed).not.toBe(renderCnMainlandModule(source, "2026-11-22"));
    expect(() => renderCnMainlandModule(source, "22.11.2026")).toThrow(/YYYY-MM-DD/);
    const broken = { ...source.data.holidays, "2025-10-01": "National Day" };
    expect(() =>
      renderCnMainlandModule({ ...source, data: { ...source.data, holidays: broken } }, "2026-11-22"),
    ).toThrow(/unexpected value for 2025-10-01/);
  });

  it("agrees with isWorkday, isHoliday, isInLieu and getDayDetail on every day of every covered year, and the years either side", () => {
    const inLieu = new Set(CN_MAINLAND_HOLIDAYS.filter((row) => row[3] === "in-lieu").map(([date]) => date));
    const names = new Map<string, string>();
    for (const [date, name, chineseName] of [...CN_MAINLAND_HOLIDAYS, ...CN_MAINLAND_MAKEUP_WORKDAYS]) {
      names.set(date, `${name},${chineseName},`);
    }
    let checked = 0;
    for (let year = cn.coverage.from - 1; year <= cn.coverage.to + 1; year++) {
      for (const date of datesOf(year)) {
        // The official table only: after it, cn-mainland's provisional days are its own.
        const kind = cn.entries.get(date)?.kind ?? "normal";
        const day = weekday(date);
        const work = kind === "makeup-workday" || (kind === "normal" && day >= 1 && day <= 5);
        const local = localDate(date);
        expect(chineseDays.isWorkday(local), `isWorkday ${date}`).toBe(work);
        expect(chineseDays.isHoliday(local), `isHoliday ${date}`).toBe(!work);
        expect(chineseDays.isInLieu(local), `isInLieu ${date}`).toBe(inLieu.has(date));
        const detail = chineseDays.getDayDetail(local);
        expect(detail.date).toBe(date);
        expect(detail.work, `getDayDetail(${date}).work`).toBe(work);
        // The name tells a public holiday on a weekend from an ordinary weekend.
        const name = names.get(date);
        if (name === undefined) expect(detail.name, date).toBe(WEEKDAY_NAMES[day]);
        else expect(detail.name.startsWith(name), `${date}: ${detail.name}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(365 * 24);
  });

  it("has, per year, exactly chinese-days' statutory holidays and weekend working days", () => {
    for (let year = cn.coverage.from; year <= cn.coverage.to; year++) {
      const start = localDate(`${year}-01-01`);
      const end = localDate(`${year}-12-31`);
      const dates = datesOf(year);
      expect(chineseDays.getHolidaysInRange(start, end, false), `${year}`).toEqual(
        dates.filter((date) => cn.dayKind(date) === "holiday"),
      );
      const weekendWorkdays = chineseDays
        .getWorkdaysInRange(start, end, true)
        .filter((date) => weekday(date) === 0 || weekday(date) === 6);
      expect(weekendWorkdays, `${year}`).toEqual(
        dates.filter((date) => cn.dayKind(date) === "makeup-workday"),
      );
    }
  });
});
