import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, localToUtc, TimezoneError, utcToLocal, weekdayOf } from "./timezone.ts";

const utc = (iso: string) => new Date(iso);

describe("localToUtc", () => {
  it("converts ordinary times with the offset in force", () => {
    expect(localToUtc("2026-01-15", "08:00", "Europe/Berlin")).toEqual({ at: utc("2026-01-15T07:00:00Z") });
    expect(localToUtc("2026-07-15", "08:00", "Europe/Berlin")).toEqual({ at: utc("2026-07-15T06:00:00Z") });
    expect(localToUtc("2026-07-15", "20:00", "Asia/Shanghai")).toEqual({ at: utc("2026-07-15T12:00:00Z") });
    expect(localToUtc("2026-07-15", "00:00", "Asia/Kolkata")).toEqual({ at: utc("2026-07-14T18:30:00Z") });
  });

  it("moves a time inside Berlin's skipped hour forward by the gap (2026-03-29)", () => {
    expect(localToUtc("2026-03-29", "01:59", "Europe/Berlin")).toEqual({ at: utc("2026-03-29T00:59:00Z") });
    expect(localToUtc("2026-03-29", "02:00", "Europe/Berlin")).toEqual({
      at: utc("2026-03-29T01:00:00Z"),
      dst: "skipped",
    });
    expect(localToUtc("2026-03-29", "02:30", "Europe/Berlin")).toEqual({
      at: utc("2026-03-29T01:30:00Z"),
      dst: "skipped",
    });
    expect(localToUtc("2026-03-29", "03:00", "Europe/Berlin")).toEqual({ at: utc("2026-03-29T01:00:00Z") });
    expect(localToUtc("2026-03-29", "09:00", "Europe/Berlin")).toEqual({ at: utc("2026-03-29T07:00:00Z") });
  });

  it("takes the first occurrence of a time in Berlin's repeated hour (2026-10-25)", () => {
    expect(localToUtc("2026-10-25", "01:59", "Europe/Berlin")).toEqual({ at: utc("2026-10-24T23:59:00Z") });
    expect(localToUtc("2026-10-25", "02:00", "Europe/Berlin")).toEqual({
      at: utc("2026-10-25T00:00:00Z"),
      dst: "repeated",
    });
    expect(localToUtc("2026-10-25", "02:30", "Europe/Berlin")).toEqual({
      at: utc("2026-10-25T00:30:00Z"),
      dst: "repeated",
    });
    expect(localToUtc("2026-10-25", "03:00", "Europe/Berlin")).toEqual({ at: utc("2026-10-25T02:00:00Z") });
  });

  it("handles both New York DST days (2026-03-08, 2026-11-01)", () => {
    expect(localToUtc("2026-03-08", "02:30", "America/New_York")).toEqual({
      at: utc("2026-03-08T07:30:00Z"),
      dst: "skipped",
    });
    expect(localToUtc("2026-03-08", "08:00", "America/New_York")).toEqual({
      at: utc("2026-03-08T12:00:00Z"),
    });
    expect(localToUtc("2026-11-01", "01:30", "America/New_York")).toEqual({
      at: utc("2026-11-01T05:30:00Z"),
      dst: "repeated",
    });
    expect(localToUtc("2026-11-01", "08:00", "America/New_York")).toEqual({
      at: utc("2026-11-01T13:00:00Z"),
    });
  });

  it("handles a half-hour DST gap (Lord Howe Island, 2026-10-04)", () => {
    expect(localToUtc("2026-10-04", "02:15", "Australia/Lord_Howe")).toEqual({
      at: utc("2026-10-03T15:45:00Z"),
      dst: "skipped",
    });
    expect(localToUtc("2026-10-04", "02:30", "Australia/Lord_Howe")).toEqual({
      at: utc("2026-10-03T15:30:00Z"),
    });
  });

  it("rejects unknown zones and malformed dates and times, saying how to write them", () => {
    expect(() => localToUtc("2026-01-01", "08:00", "Europe/Atlantis")).toThrow(
      /unknown time zone "Europe\/Atlantis": use an IANA name such as "Europe\/Berlin"/,
    );
    expect(() => localToUtc("2026-02-30", "08:00", "UTC")).toThrow(/invalid date "2026-02-30".*YYYY-MM-DD/);
    expect(() => localToUtc("2026-1-5", "08:00", "UTC")).toThrow(TimezoneError);
    expect(() => localToUtc("2026-01-05", "24:00", "UTC")).toThrow(/invalid time "24:00".*HH:MM/);
    expect(() => localToUtc("2026-01-05", "8:00", "UTC")).toThrow(/invalid time "8:00"/);
  });
});

describe("utcToLocal", () => {
  it("gives the local date, time and weekday", () => {
    expect(utcToLocal(utc("2026-03-29T01:30:00Z"), "Europe/Berlin")).toEqual({
      date: "2026-03-29",
      time: "03:30",
      weekday: "sun",
    });
    expect(utcToLocal(utc("2026-07-15T16:30:59Z"), "Asia/Shanghai")).toEqual({
      date: "2026-07-16",
      time: "00:30",
      weekday: "thu",
    });
    expect(utcToLocal(utc("2026-03-08T04:59:00Z"), "America/New_York")).toEqual({
      date: "2026-03-07",
      time: "23:59",
      weekday: "sat",
    });
  });

  it("shows both occurrences of a repeated hour as the same wall time", () => {
    const first = utcToLocal(utc("2026-10-25T00:30:00Z"), "Europe/Berlin");
    const second = utcToLocal(utc("2026-10-25T01:30:00Z"), "Europe/Berlin");
    expect(first).toEqual({ date: "2026-10-25", time: "02:30", weekday: "sun" });
    expect(second).toEqual(first);
    expect(utcToLocal(utc("2026-10-25T02:00:00Z"), "Europe/Berlin").time).toBe("03:00");
  });

  it("rejects an invalid instant", () => {
    expect(() => utcToLocal(new Date(Number.NaN), "UTC")).toThrow(/Invalid Date/);
  });

  it("round-trips every minute-aligned instant, except the second pass of a repeated hour", () => {
    const zones = [
      "Europe/Berlin",
      "America/New_York",
      "Asia/Shanghai",
      "Australia/Lord_Howe",
      "America/Santiago",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2024, 0, 1) / 60_000, max: Date.UTC(2030, 0, 1) / 60_000 }),
        (zone, minute) => {
          const instant = new Date(minute * 60_000);
          const local = utcToLocal(instant, zone);
          const back = localToUtc(local.date, local.time, zone);
          expect(back.dst).not.toBe("skipped");
          if (back.dst === "repeated") expect(back.at.getTime()).toBeLessThanOrEqual(instant.getTime());
          else expect(back.at).toEqual(instant);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("maps every wall time back to itself unless the time was skipped", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("Europe/Berlin", "America/New_York", "Australia/Lord_Howe"),
        fc.integer({ min: 0, max: 6 * 366 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        (zone, dayOffset, minutes) => {
          const date = addDays("2024-01-01", dayOffset);
          const time = `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
          const resolved = localToUtc(date, time, zone);
          const local = utcToLocal(resolved.at, zone);
          if (resolved.dst === "skipped") expect(local.time > time || local.date > date).toBe(true);
          else expect(local).toEqual({ date, time, weekday: weekdayOf(date) });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("local date arithmetic", () => {
  it("adds days across months, leap days and years, and names weekdays", () => {
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(weekdayOf("2026-03-29")).toBe("sun");
    expect(weekdayOf("2026-10-10")).toBe("sat");
    expect(weekdayOf("1969-12-31")).toBe("wed");
  });
});
