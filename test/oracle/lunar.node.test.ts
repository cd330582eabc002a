import { afterAll, describe, expect, it } from "vitest";
import { gregorianOfLunar, ICU_CORRECTIONS, lunarDateOf } from "../../shared/schedule/lunar.ts";

// chinese-days' lunar table (1900-2100, the official GB/T 33661-2017 calendar) reads dates in the
// host's time zone: load and query it under Asia/Shanghai, and give the host its own zone back
// afterwards (the Node project's test files share processes).
const hostTimeZone = process.env.TZ;
process.env.TZ = "Asia/Shanghai";
const { default: chineseDays } = await import("chinese-days");
afterAll(() => {
  if (hostTimeZone === undefined) delete process.env.TZ;
  else process.env.TZ = hostTimeZone;
});

const pad = (n: number) => String(n).padStart(2, "0");

describe("shared/schedule/lunar.ts against chinese-days' lunar table", () => {
  it("gives the official date of every lunar day a statutory holiday uses, 2000-2099", () => {
    let checked = 0;
    for (let year = 2000; year <= 2099; year++) {
      for (const [month, day] of [
        [1, 1],
        [1, 2],
        [1, 3],
        [5, 5],
        [8, 15],
      ] as const) {
        const official = chineseDays.getSolarDateFromLunar(`${year}-${pad(month)}-${pad(day)}`).date;
        expect(gregorianOfLunar(year, month, day), `${year} lunar ${month}/${day}`).toBe(official);
        checked++;
      }
    }
    expect(checked).toBe(500);
  });

  it("needs each ICU correction: without it the runtime's Intl calendar is a day off", () => {
    expect([...ICU_CORRECTIONS.keys()]).toEqual(["2027-1", "2030-1"]);
    expect(lunarDateOf("2027-02-06")).toEqual({ year: 2026, month: 12, day: 30, leap: false });
    expect(chineseDays.getSolarDateFromLunar("2027-01-01").date).toBe("2027-02-06");
    expect(lunarDateOf("2030-02-02")).toEqual({ year: 2030, month: 1, day: 1, leap: false });
    expect(chineseDays.getSolarDateFromLunar("2030-01-01").date).toBe("2030-02-03");
  });
});
