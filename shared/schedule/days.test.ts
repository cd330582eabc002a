import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expandDays, formatDays } from "./days.ts";
import { DAY_TOKEN } from "./schedule-schema.ts";
import { WEEKDAYS, type Weekday } from "./types.ts";

describe("expandDays", () => {
  it("expands groups", () => {
    expect(expandDays("weekdays")).toEqual(["mon", "tue", "wed", "thu", "fri"]);
    expect(expandDays("weekends")).toEqual(["sat", "sun"]);
    expect(expandDays("daily")).toEqual(WEEKDAYS);
  });

  it("expands ranges, wrapping over the weekend", () => {
    expect(expandDays("mon-wed")).toEqual(["mon", "tue", "wed"]);
    expect(expandDays("fri-mon")).toEqual(["mon", "fri", "sat", "sun"]);
    expect(expandDays("sun-mon")).toEqual(["mon", "sun"]);
  });

  it("merges a list, Monday first, without repeats", () => {
    expect(expandDays(["sat", "mon-tue", "weekdays", "tue"])).toEqual([
      "mon",
      "tue",
      "wed",
      "thu",
      "fri",
      "sat",
    ]);
  });

  it("covers (end - start) mod 7 + 1 days for any range", () => {
    fc.assert(
      fc.property(fc.constantFrom(...WEEKDAYS), fc.constantFrom(...WEEKDAYS), (first, last) => {
        fc.pre(first !== last);
        const token = `${first}-${last}`;
        expect(DAY_TOKEN.test(token)).toBe(true);
        const span = ((WEEKDAYS.indexOf(last) - WEEKDAYS.indexOf(first) + 7) % 7) + 1;
        expect(expandDays(token)).toHaveLength(span);
        expect(expandDays(token)).toContain(first);
        expect(expandDays(token)).toContain(last);
      }),
    );
  });
});

describe("formatDays", () => {
  it("names groups and runs", () => {
    expect(formatDays(WEEKDAYS)).toBe("daily");
    expect(formatDays(["mon", "tue", "wed", "thu", "fri"])).toBe("weekdays");
    expect(formatDays(["sat", "sun"])).toBe("weekends");
    expect(formatDays(["mon", "tue", "wed", "thu"])).toBe("mon-thu");
    expect(formatDays(["mon", "wed", "fri"])).toBe("mon,wed,fri");
    expect(formatDays(["mon", "fri", "sat", "sun"])).toBe("fri-mon");
    expect(formatDays(["mon", "tue", "fri"])).toBe("mon,tue,fri");
  });

  it("reads back as the same days for every set of days", () => {
    fc.assert(
      fc.property(fc.subarray([...WEEKDAYS], { minLength: 1 }), (days: Weekday[]) => {
        const tokens = formatDays(days).split(",");
        for (const token of tokens) expect(DAY_TOKEN.test(token)).toBe(true);
        expect(expandDays(tokens)).toEqual(days);
      }),
    );
  });
});
