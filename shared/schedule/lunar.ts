// Chinese lunisolar dates (农历) from the Web-standard Intl.DateTimeFormat `chinese` calendar, which
// Node and workerd both implement (ICU): no tables of our own. Dates are read in Asia/Shanghai,
// the zone the Chinese calendar is defined for.
//
// ICU computes new moons with its own approximate astronomy; when a new moon falls within minutes
// of midnight in China it can start a month on the wrong day. Against the official calendar
// (GB/T 33661-2017, as tabulated by chinese-days, checked in test/oracle/lunar.node.test.ts) that
// happens for two months that matter here in 2000-2099: ICU_CORRECTIONS moves them back.

const DAY_MS = 86_400_000;

const formatter = new Intl.DateTimeFormat("en-u-ca-chinese", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "numeric",
  day: "numeric",
});

export interface LunarDate {
  /** The Gregorian year the lunar year starts in. */
  year: number;
  month: number;
  day: number;
  /** A leap month (闰月) repeats the month before it: "6bis" in ICU's English. */
  leap: boolean;
}

/** The lunar date of a Gregorian date "YYYY-MM-DD" (midday in China). */
export function lunarDateOf(date: string): LunarDate {
  const [year, month, day] = date.split("-").map(Number);
  const parts = formatter.formatToParts(new Date(Date.UTC(year!, month! - 1, day!, 4)));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const monthText = part("month");
  const lunar = {
    year: Number(part("relatedYear")),
    month: Number.parseInt(monthText, 10),
    day: Number(part("day")),
    leap: !/^\d+$/.test(monthText),
  };
  if (!Number.isInteger(lunar.year) || !Number.isInteger(lunar.month) || !Number.isInteger(lunar.day)) {
    throw new Error(`this runtime's Intl chinese calendar gave an unexpected date for ${date}`);
  }
  return lunar;
}

/** Lunar "year-month" → days to add to ICU's date for that month (ICU 78 vs GB/T 33661-2017). */
export const ICU_CORRECTIONS: ReadonlyMap<string, number> = new Map([
  ["2027-1", -1], // new moon 2027-02-06 23:56 CST: 1/1 is Feb 6, ICU says Feb 7
  ["2030-1", 1], // new moon 2030-02-03 00:07 CST: 1/1 is Feb 3, ICU says Feb 2
]);

const years = new Map<number, ReadonlyMap<string, string>>();

/** Lunar "M-D" (ordinary months only) → Gregorian date, for the days of Gregorian `year`. */
function lunarDaysOf(year: number): ReadonlyMap<string, string> {
  let days = years.get(year);
  if (days === undefined) {
    const found = new Map<string, string>();
    for (let ms = Date.UTC(year, 0, 1); ms < Date.UTC(year + 1, 0, 1); ms += DAY_MS) {
      const date = new Date(ms).toISOString().slice(0, 10);
      const lunar = lunarDateOf(date);
      // Only the lunar year that starts in `year`: January's days belong to the one before.
      if (lunar.year === year && !lunar.leap) found.set(`${lunar.month}-${lunar.day}`, date);
    }
    days = found;
    years.set(year, days);
  }
  return days;
}

/**
 * The Gregorian date of lunar month/day (an ordinary month, not a leap one) in the lunar year that
 * starts in Gregorian `year`; every date the statutory holidays use falls in that Gregorian year.
 */
export function gregorianOfLunar(year: number, month: number, day: number): string {
  // ICU starts a corrected month `shift` days off, so each of its days is off by as much.
  const shift = ICU_CORRECTIONS.get(`${year}-${month}`) ?? 0;
  const date = lunarDaysOf(year).get(`${month}-${day}`);
  if (date === undefined) throw new Error(`lunar ${month}/${day} of ${year} is not in Gregorian ${year}`);
  return shift === 0
    ? date
    : new Date(Date.parse(`${date}T00:00:00Z`) + shift * DAY_MS).toISOString().slice(0, 10);
}

/** Lunar New Year's Eve (除夕): the last day of the 12th month, the day before lunar 1/1. */
export function lunarNewYearsEve(year: number): string {
  const newYear = Date.parse(`${gregorianOfLunar(year, 1, 1)}T00:00:00Z`);
  return new Date(newYear - DAY_MS).toISOString().slice(0, 10);
}
