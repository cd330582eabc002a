import { describe, expect, it } from "vitest";
import { CN_MAINLAND_HOLIDAYS, CN_MAINLAND_SOURCE } from "./calendars/cn-mainland.ts";
import { CN_STATUTE_YEARS, cnStatuteOf, cnStatutoryHolidays } from "./cn-statute.ts";
import { qingmingDate } from "./solar-term.ts";

// Runs on Node and inside workerd: the lunar dates come from each runtime's own Intl.
const official = new Set(CN_MAINLAND_HOLIDAYS.map(([date]) => date));

// Statutory days the shipped data (chinese-days 1.5.7) lacks, with what the State Council said.
// chinese-days writes 2012's Dragon Boat holiday as `.r(6,22).r(6,24)` (two days) where the
// notice (国办发明电〔2011〕39号) gives 22-24 June 2012; lunar 5/5 was Saturday 23 June.
const MISSING_FROM_SOURCE = ["2012-06-23"];

describe("cn-statute: statutory holidays computed per the statute in force", () => {
  it("are holidays in the official data of every shipped year, statutory day by statutory day", () => {
    const missing: string[] = [];
    let checked = 0;
    for (let year = CN_MAINLAND_SOURCE.years.from; year <= CN_MAINLAND_SOURCE.years.to; year++) {
      for (const [date] of cnStatutoryHolidays(year)) {
        checked++;
        if (!official.has(date)) missing.push(date);
      }
    }
    expect(checked).toBe(251);
    expect(missing).toEqual(MISSING_FROM_SOURCE);
  });

  it("puts Qingming on the official day off of every year it has been a holiday (2008-2026)", () => {
    for (let year = 2008; year <= 2026; year++) {
      const tombSweeping = CN_MAINLAND_HOLIDAYS.filter(
        ([date, name]) => name === "Tomb-sweeping Day" && date.startsWith(`${year}-`),
      );
      expect(
        tombSweeping.map(([date]) => date),
        `${year}`,
      ).toContain(qingmingDate(year));
    }
    expect(qingmingDate(2027)).toBe("2027-04-05");
  });

  it("follows each version of the statute", () => {
    const names = (year: number) => cnStatutoryHolidays(year).map(([date, name]) => `${date} ${name}`);
    expect(cnStatuteOf(2007).version).toBe("1999");
    expect(names(2007)).toEqual([
      "2007-01-01 New Year's Day",
      "2007-02-18 Spring Festival",
      "2007-02-19 Spring Festival",
      "2007-02-20 Spring Festival",
      "2007-05-01 Labour Day",
      "2007-05-02 Labour Day",
      "2007-05-03 Labour Day",
      "2007-10-01 National Day",
      "2007-10-02 National Day",
      "2007-10-03 National Day",
    ]);
    // 2008-2013: New Year's Eve, 1/1, 1/2; Qingming, Dragon Boat and Mid-autumn join.
    expect(cnStatuteOf(2013).version).toBe("2007");
    expect(names(2013).filter((day) => day.includes("Spring"))).toEqual([
      "2013-02-09 Spring Festival",
      "2013-02-10 Spring Festival",
      "2013-02-11 Spring Festival",
    ]);
    expect(names(2013)).toHaveLength(11);
    expect(cnStatuteOf(2024).version).toBe("2013");
    expect(names(2024).filter((day) => day.includes("Spring"))).toEqual([
      "2024-02-10 Spring Festival",
      "2024-02-11 Spring Festival",
      "2024-02-12 Spring Festival",
    ]);
    // From 2025: four Spring Festival days from New Year's Eve, two Labour days.
    expect(cnStatuteOf(2027).version).toBe("2024");
    expect(names(2027)).toEqual([
      "2027-01-01 New Year's Day",
      "2027-02-05 Spring Festival",
      "2027-02-06 Spring Festival",
      "2027-02-07 Spring Festival",
      "2027-02-08 Spring Festival",
      "2027-04-05 Tomb-sweeping Day",
      "2027-05-01 Labour Day",
      "2027-05-02 Labour Day",
      "2027-06-09 Dragon Boat Festival",
      "2027-09-15 Mid-autumn Festival",
      "2027-10-01 National Day",
      "2027-10-02 National Day",
      "2027-10-03 National Day",
    ]);
    // Mid-autumn on National Day (2020-10-01): one date, listed once.
    expect(names(2020).filter((day) => day.startsWith("2020-10-01"))).toEqual([
      "2020-10-01 Mid-autumn Festival",
    ]);
  });

  it("computes 2000-2100 and refuses other years", () => {
    expect(CN_STATUTE_YEARS).toEqual({ from: 2000, to: 2100 });
    expect(cnStatutoryHolidays(2100)[0]).toEqual(["2100-01-01", "New Year's Day", "元旦"]);
    expect(() => cnStatutoryHolidays(1999)).toThrow(/computed for 2000-2100, not 1999/);
    expect(() => cnStatutoryHolidays(2101)).toThrow(/computed for 2000-2100, not 2101/);
  });
});
