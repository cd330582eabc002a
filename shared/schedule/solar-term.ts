// Solar terms (节气): the instant the sun's apparent geocentric longitude reaches a multiple of 15°.
// Only Qingming (清明, 15°) is needed: it is a statutory holiday in mainland China, on the date the
// term falls on in China Standard Time (UTC+8).
//
// Accuracy: the sun's position is Meeus, Astronomical Algorithms (2nd ed.), ch. 25, "low accuracy"
// (about 0.01° in longitude, i.e. within about 15 minutes of the true instant), with ΔT from the
// NASA/Espenak-Meeus polynomials. That decides the date unless the term falls within minutes of
// midnight in UTC+8; solar-term.test.ts checks the margin for every year this module is used for.

const DAY_MS = 86_400_000;
const JD_UNIX_EPOCH = 2_440_587.5;
const J2000 = 2_451_545.0;
const CST_OFFSET_MS = 8 * 3600_000;
const DEG = Math.PI / 180;

/** TT - UT in seconds (Espenak & Meeus polynomials, 2005-2050 and 2050-2150). */
function deltaTSeconds(year: number): number {
  if (year < 2050) {
    const t = year - 2000;
    return 62.92 + 0.32217 * t + 0.005589 * t * t;
  }
  const u = (year - 1820) / 100;
  return -20 + 32 * u * u - 0.5628 * (2150 - year);
}

/** The sun's apparent longitude in degrees [0, 360) at Julian Ephemeris Day `jde` (Meeus ch. 25). */
export function apparentSolarLongitude(jde: number): number {
  const t = (jde - J2000) / 36_525;
  const l0 = 280.46646 + 36_000.76983 * t + 0.0003032 * t * t;
  const m = (357.52911 + 35_999.05029 * t - 0.0001537 * t * t) * DEG;
  const c =
    (1.914602 - 0.004817 * t - 0.000014 * t * t) * Math.sin(m) +
    (0.019993 - 0.000101 * t) * Math.sin(2 * m) +
    0.000289 * Math.sin(3 * m);
  const omega = (125.04 - 1934.136 * t) * DEG;
  const apparent = l0 + c - 0.00569 - 0.00478 * Math.sin(omega);
  return ((apparent % 360) + 360) % 360;
}

/** The instant (UTC) in `year` when the sun's apparent longitude is `longitude` degrees. */
export function solarTermInstant(year: number, longitude: number): Date {
  // Start from the mean position (0° at about March 20) and refine by Newton's method: the sun
  // moves about 0.9856° a day, and three or four steps settle well below a second.
  const deltaT = deltaTSeconds(year) / 86_400;
  let jd = Date.UTC(year, 2, 20) / DAY_MS + JD_UNIX_EPOCH + (longitude / 360) * 365.2422;
  for (let step = 0; step < 8; step++) {
    const error = ((longitude - apparentSolarLongitude(jd + deltaT) + 540) % 360) - 180;
    jd += error / 0.985_647;
    if (Math.abs(error) < 1e-7) break;
  }
  return new Date((jd - JD_UNIX_EPOCH) * DAY_MS);
}

/** The date of Qingming (清明, longitude 15°) in China Standard Time, "YYYY-MM-DD". */
export function qingmingDate(year: number): string {
  return new Date(solarTermInstant(year, 15).getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);
}
