import { describe, expect, it } from "vitest";
import { closest, editDistance } from "./closest.ts";

describe("editDistance", () => {
  it("counts inserts, deletes, substitutions and swapped neighbours, ignoring case", () => {
    expect(editDistance("timezone", "timezone")).toBe(0);
    expect(editDistance("timezne", "timezone")).toBe(1);
    expect(editDistance("tiemzone", "timezone")).toBe(1);
    expect(editDistance("TimeZone", "timezone")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("closest", () => {
  const keys = ["name", "enabled", "timezone", "mode", "enforce", "graceMinutes", "minDwellMinutes"];

  it("suggests the nearest known word within the distance", () => {
    expect(closest("timezne", keys)).toBe("timezone");
    expect(closest("enforced", keys)).toBe("enforce");
    expect(closest("graceMinute", keys)).toBe("graceMinutes");
  });

  it("suggests nothing when every known word is too far", () => {
    expect(closest("schedule", keys)).toBeUndefined();
    expect(closest("tz", keys)).toBeUndefined();
  });
});
