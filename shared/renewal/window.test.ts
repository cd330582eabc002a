// Renewal windows: a cron expression in a time zone is satisfiable when some minute matches it.
import { describe, expect, it } from "vitest";
import { windowCron, windowIsSatisfiable } from "./window.ts";

describe("windowIsSatisfiable", () => {
  it("gives the first minute the window opens, read in its time zone", () => {
    const berlin = windowIsSatisfiable({ cron: "* 1-5 * * 1-5", timezone: "Europe/Berlin" });
    // 2000-01-01 is a Saturday: the first weekday is Monday the 3rd, 01:00 Berlin (CET, UTC+1).
    expect(berlin).toEqual({ ok: true, first: new Date("2000-01-03T00:00:00Z") });
    expect(
      windowIsSatisfiable(
        { cron: "30 2 * * *", timezone: "Asia/Shanghai" },
        new Date("2026-03-02T00:00:00Z"),
      ),
    ).toEqual({
      ok: true,
      first: new Date("2026-03-02T18:30:00Z"),
    });
    // February 29th exists (in leap years).
    expect(windowIsSatisfiable({ cron: "0 0 29 2 *", timezone: "UTC" }).ok).toBe(true);
  });

  it("refuses a window that never opens, and an expression that is not standard cron", () => {
    expect(windowIsSatisfiable({ cron: "0 0 30 2 *", timezone: "UTC" })).toEqual({
      ok: false,
      reason: '"0 0 30 2 *" matches no date at all (e.g. February 30th), so renewal could never run',
    });
    expect(windowIsSatisfiable({ cron: "0 0 31 4,6,9,11 *", timezone: "Asia/Shanghai" }).ok).toBe(false);
    const seconds = windowIsSatisfiable({ cron: "0 0 0 * * *", timezone: "UTC" });
    expect(seconds.ok === false && seconds.reason).toMatch(
      /^"0 0 0 \* \* \*" is not a 5-field cron expression: /,
    );
    const minute = windowIsSatisfiable({ cron: "60 * * * *", timezone: "UTC" });
    expect(minute.ok === false && minute.reason).toMatch(/minute: 60/);
  });

  it("parses day-of-month and day-of-week as POSIX cron does (either matches)", () => {
    // The 13th, or any Friday: in March 2026 the first is Friday the 6th.
    const cron = windowCron({ cron: "0 12 13 * 5", timezone: "UTC" });
    expect(cron.nextRun(new Date("2026-03-01T00:00:00Z"))).toEqual(new Date("2026-03-06T12:00:00Z"));
  });
});
