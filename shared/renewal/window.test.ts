import { describe, expect, it } from "vitest";
import { checkWindowSatisfiable, compileWindow, longestWindowGap, WindowError } from "./window.ts";

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("renewal window: each cron firing opens the window for durationMinutes", () => {
  it("with the default of one minute, the cron's matching minutes are the allowed minutes", () => {
    // Nights 22:00-05:59 Berlin (winter: UTC+1).
    const w = compileWindow({ cron: "* 22-23,0-5 * * *", timezone: "Europe/Berlin" });
    expect(w.isOpen(at("2026-01-14T21:00:00Z"))).toBe(true); // 22:00 local
    expect(w.isOpen(at("2026-01-15T04:59:59Z"))).toBe(true); // 05:59:59
    expect(w.isOpen(at("2026-01-15T05:00:00Z"))).toBe(false); // 06:00
    expect(w.isOpen(at("2026-01-14T20:59:59Z"))).toBe(false); // 21:59:59
    expect(w.nextOpening(at("2026-01-15T10:00:00Z"))).toEqual(at("2026-01-15T21:00:00Z"));
    expect(w.nextOpening(at("2026-01-14T23:30:00Z"))).toEqual(at("2026-01-14T23:30:00Z"));
  });

  it("a duration keeps one firing's window open that long, and says since and until when", () => {
    const w = compileWindow({ cron: "0 22 * * 1-5", timezone: "Europe/Berlin", durationMinutes: 480 });
    // Wednesday 2026-01-14 22:00 CET = 21:00Z, open until 06:00 CET = 05:00Z.
    expect(w.state(at("2026-01-15T03:00:00Z"))).toEqual({
      open: true,
      openedAt: at("2026-01-14T21:00:00Z"),
      openUntil: at("2026-01-15T05:00:00Z"),
    });
    expect(w.state(at("2026-01-15T05:00:00Z"))).toEqual({ open: false, opensAt: at("2026-01-15T21:00:00Z") });
    // Friday night's window ends Saturday 06:00; the next firing is Monday 22:00.
    expect(w.nextOpening(at("2026-01-17T12:00:00Z"))).toEqual(at("2026-01-19T21:00:00Z"));
  });

  it("follows summer time in Europe/Berlin: the same local hours move in UTC", () => {
    const w = compileWindow({ cron: "0 22 * * *", timezone: "Europe/Berlin", durationMinutes: 60 });
    expect(w.nextOpening(at("2026-01-15T12:00:00Z"))).toEqual(at("2026-01-15T21:00:00Z")); // CET
    expect(w.nextOpening(at("2026-07-15T12:00:00Z"))).toEqual(at("2026-07-15T20:00:00Z")); // CEST
  });

  it("spring forward (2026-03-29, 02:00 → 03:00 Berlin): a fixed time in the gap fires at 03:00", () => {
    const w = compileWindow({ cron: "30 2 * * *", timezone: "Europe/Berlin", durationMinutes: 30 });
    expect(w.nextOpening(at("2026-03-28T12:00:00Z"))).toEqual(at("2026-03-29T01:00:00Z")); // 03:00 CEST
    expect(w.isOpen(at("2026-03-29T01:29:00Z"))).toBe(true);
    expect(w.isOpen(at("2026-03-29T01:30:00Z"))).toBe(false);
    expect(w.nextOpening(at("2026-03-29T02:00:00Z"))).toEqual(at("2026-03-30T00:30:00Z")); // 02:30 CEST
  });

  it("spring forward: matching minutes inside the gap do not exist, so that night has none", () => {
    const w = compileWindow({ cron: "* 2 * * *", timezone: "Europe/Berlin" });
    expect(w.nextOpening(at("2026-03-29T00:00:00Z"))).toEqual(at("2026-03-30T00:00:00Z")); // Monday 02:00 CEST
  });

  it("fall back (2026-10-25, 03:00 → 02:00 Berlin): matching minutes open on both passes", () => {
    const w = compileWindow({ cron: "* 2 * * *", timezone: "Europe/Berlin" });
    expect(w.isOpen(at("2026-10-25T00:30:00Z"))).toBe(true); // 02:30 CEST
    expect(w.isOpen(at("2026-10-25T01:30:00Z"))).toBe(true); // 02:30 CET
    expect(w.isOpen(at("2026-10-25T02:00:00Z"))).toBe(false); // 03:00 CET
  });

  it("fall back: a fixed time fires once, and the duration is elapsed time", () => {
    const w = compileWindow({ cron: "0 22 * * *", timezone: "Europe/Berlin", durationMinutes: 480 });
    // Saturday 24 Oct 22:00 CEST = 20:00Z; 480 min later is 04:00Z = 05:00 CET.
    expect(w.state(at("2026-10-25T03:59:00Z"))).toMatchObject({
      open: true,
      openUntil: at("2026-10-25T04:00:00Z"),
    });
    expect(w.isOpen(at("2026-10-25T04:00:00Z"))).toBe(false);
    const once = compileWindow({ cron: "30 2 * * *", timezone: "Europe/Berlin" });
    expect(once.nextOpening(at("2026-10-25T00:00:00Z"))).toEqual(at("2026-10-25T00:30:00Z"));
    expect(once.nextOpening(at("2026-10-25T00:31:00Z"))).toEqual(at("2026-10-26T01:30:00Z"));
  });

  it("in a zone without summer time (Asia/Shanghai) the UTC hours stay put all year", () => {
    const w = compileWindow({ cron: "0 1 * * *", timezone: "Asia/Shanghai", durationMinutes: 120 });
    for (const day of ["2026-01-15", "2026-03-29", "2026-07-15", "2026-10-25"]) {
      expect(w.nextOpening(at(`${day}T12:00:00Z`))).toEqual(new Date(at(`${day}T17:00:00Z`)));
    }
  });

  it("refuses a bad cron, zone or duration, naming the field", () => {
    const fail = (spec: Parameters<typeof compileWindow>[0]) => {
      try {
        compileWindow(spec);
      } catch (error) {
        return error as WindowError;
      }
      throw new Error("accepted");
    };
    expect(fail({ cron: "0 22 * *", timezone: "UTC" })).toMatchObject({ field: "cron" });
    expect(fail({ cron: "0 0 22 * * *", timezone: "UTC" }).message).toMatch(/five-field/);
    expect(fail({ cron: "0 22 * * *", timezone: "Mars/Olympus" })).toMatchObject({ field: "timezone" });
    expect(fail({ cron: "0 22 * * *", timezone: "UTC", durationMinutes: 1.5 })).toMatchObject({
      field: "durationMinutes",
    });
    expect(fail({ cron: "0 22 * * *", timezone: "UTC", durationMinutes: 0 })).toBeInstanceOf(WindowError);
  });
});

describe("window satisfiability", () => {
  const from = at("2026-01-01T00:00:00Z");

  it("measures the longest closed stretch", () => {
    // Weeknights only: Friday 06:00 to Monday 22:00 closed = 2 d 16 h.
    const w = compileWindow({ cron: "0 22 * * 1-5", timezone: "UTC", durationMinutes: 480 });
    const gap = longestWindowGap(w, { from, horizonMs: 14 * DAY, resolutionMs: HOUR });
    expect(gap.longestGapMs).toBe(2 * DAY + 16 * HOUR);
    expect(gap.startsAt.getUTCDay()).toBe(6); // Saturday 06:00 (Friday night's window closes then)
  });

  it("accepts a window that opens within the slack, refuses one that does not", () => {
    const nightly = compileWindow({ cron: "* 22-23,0-5 * * *", timezone: "Europe/Berlin" });
    // Alibaba's 3-day kubeconfig at 2/3: one day between renewal time and expiry.
    expect(checkWindowSatisfiable(nightly, { from, slackMs: DAY })).toMatchObject({
      ok: true,
      longestGapMs: 16 * HOUR,
    });
    const weeknights = compileWindow({ cron: "0 22 * * 1-5", timezone: "UTC", durationMinutes: 480 });
    const verdict = checkWindowSatisfiable(weeknights, { from, slackMs: DAY });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toMatch(/stays closed for 2 d 16 h .* longer than the 1 d/);
  });

  it("refuses a cron that never fires", () => {
    const never = compileWindow({ cron: "0 0 30 2 *", timezone: "UTC" });
    const verdict = checkWindowSatisfiable(never, { from, slackMs: 30 * DAY });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toMatch(/does not open/);
  });
});
