// The statutory public holidays of mainland China as the statute in force prescribes them
// (全国年节及纪念日放假办法), for years the State Council has not yet published an arrangement for.
// The statute fixes the days off; the yearly arrangement then moves days around them (调休: days
// off in lieu, weekend make-up working days), which no rule predicts — those stay unknown here.

import { gregorianOfLunar, lunarNewYearsEve } from "./lunar.ts";
import { qingmingDate } from "./solar-term.ts";

/** The years this module computes: the 1999 statute took effect in 2000; 2100 bounds ΔT and ICU. */
export const CN_STATUTE_YEARS = { from: 2000, to: 2100 } as const;

export type StatutoryHoliday = readonly [date: string, name: string, chineseName: string];

type Festival = readonly [name: string, chineseName: string, days: (year: number) => string[]];

const md = (year: number, month: number, day: number) =>
  `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
const lunar =
  (month: number, ...days: number[]) =>
  (year: number) =>
    days.map((day) => gregorianOfLunar(year, month, day));
const solar =
  (month: number, ...days: number[]) =>
  (year: number) =>
    days.map((day) => md(year, month, day));

const NEW_YEAR: Festival = ["New Year's Day", "元旦", solar(1, 1)];
const QINGMING: Festival = ["Tomb-sweeping Day", "清明", (year) => [qingmingDate(year)]];
const DRAGON_BOAT: Festival = ["Dragon Boat Festival", "端午", lunar(5, 5)];
const MID_AUTUMN: Festival = ["Mid-autumn Festival", "中秋", lunar(8, 15)];
const NATIONAL_DAY: Festival = ["National Day", "国庆节", solar(10, 1, 2, 3)];
const spring = (eve: boolean, ...days: number[]): Festival => [
  "Spring Festival",
  "春节",
  (year) => [...(eve ? [lunarNewYearsEve(year)] : []), ...lunar(1, ...days)(year)],
];
const labour = (...days: number[]): Festival => ["Labour Day", "劳动节", solar(5, ...days)];

/** Each version of the statute, by the first year it applies to. */
export const CN_STATUTES: ReadonlyArray<{ version: string; from: number; festivals: readonly Festival[] }> = [
  {
    version: "1999",
    from: 2000,
    festivals: [NEW_YEAR, spring(false, 1, 2, 3), labour(1, 2, 3), NATIONAL_DAY],
  },
  {
    version: "2007",
    from: 2008,
    festivals: [NEW_YEAR, spring(true, 1, 2), QINGMING, labour(1), DRAGON_BOAT, MID_AUTUMN, NATIONAL_DAY],
  },
  {
    version: "2013",
    from: 2014,
    festivals: [NEW_YEAR, spring(false, 1, 2, 3), QINGMING, labour(1), DRAGON_BOAT, MID_AUTUMN, NATIONAL_DAY],
  },
  {
    version: "2024",
    from: 2025,
    festivals: [
      NEW_YEAR,
      spring(true, 1, 2, 3),
      QINGMING,
      labour(1, 2),
      DRAGON_BOAT,
      MID_AUTUMN,
      NATIONAL_DAY,
    ],
  },
];

/** The version of the statute in force in `year`. */
export function cnStatuteOf(year: number): (typeof CN_STATUTES)[number] {
  if (!Number.isInteger(year) || year < CN_STATUTE_YEARS.from || year > CN_STATUTE_YEARS.to) {
    throw new RangeError(
      `statutory holidays are computed for ${CN_STATUTE_YEARS.from}-${CN_STATUTE_YEARS.to}, not ${year}`,
    );
  }
  return CN_STATUTES.findLast((statute) => statute.from <= year)!;
}

/**
 * The statutory days off of `year`, in date order. When two festivals meet on one date (National
 * Day and Mid-autumn, as in 2020), the date is listed once, named after the earlier festival above.
 */
export function cnStatutoryHolidays(year: number): StatutoryHoliday[] {
  const seen = new Set<string>();
  const days: StatutoryHoliday[] = [];
  for (const [name, chineseName, dates] of cnStatuteOf(year).festivals) {
    for (const date of dates(year)) {
      if (seen.has(date)) continue;
      seen.add(date);
      days.push([date, name, chineseName]);
    }
  }
  return days.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
