// The embedded demo's night, chosen from the example schedules for several real moments: whatever
// the day and hour, a sleep and then its wake fall within the first minute at the default speed.
import { beforeAll, describe, expect, it } from "vitest";
import { loadSchedules } from "../shared/schedule/load.node.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import { chooseDemoNight, DEMO_LEAD_MS } from "./demo-start.ts";

const SPEED = 600; // the default NIGHTSHIFT_SANDBOX_SPEED
const FIRST_MINUTE_MS = 60_000;

let schedules: Schedule[];
let calendars: Map<string, Calendar>;
beforeAll(async () => {
  const loaded = await loadSchedules(new URL("../schedules", import.meta.url).pathname);
  if ("errors" in loaded) throw new Error("the example schedules are invalid");
  ({ schedules, calendars } = loaded);
});

/** Real milliseconds after the demo starts at which the cloud instant `at` comes. */
const realMsUntil = (start: Date, at: Date) => (at.getTime() - start.getTime()) / SPEED;

describe("chooseDemoNight", () => {
  for (const [what, now] of [
    ["a Sunday afternoon", "2026-03-15T07:00:00Z"], // 15:00 in Shanghai, 08:00 in Berlin
    ["a Monday 03:00 (Shanghai)", "2026-03-15T19:00:00Z"],
    ["a holiday (National Day, Shanghai)", "2026-10-01T04:00:00Z"],
    ["a Friday evening (Shanghai)", "2026-03-20T12:30:00Z"],
    ["New Year's Eve, the payments batch keeping Autopilot awake", "2026-12-31T10:00:00Z"],
  ] as const) {
    it(`starts just before a sleep whose wake follows within a minute: ${what}`, () => {
      const realNow = new Date(now);
      const night = chooseDemoNight({ schedules, calendars, now: realNow, speed: SPEED });
      expect(night, what).toBeDefined();
      const { start, sleep, wake } = night!;
      expect(start.getTime()).toBeGreaterThanOrEqual(realNow.getTime());
      expect(sleep.to).toBe("asleep");
      expect(wake.to).toBe("awake");
      expect(wake.schedule).toBe(sleep.schedule);
      // The first tick sees the fleet before the sleep; the sleep and the wake both come in the minute.
      expect(sleep.at.getTime() - start.getTime()).toBeGreaterThan(0);
      expect(sleep.at.getTime() - start.getTime()).toBeLessThanOrEqual(DEMO_LEAD_MS);
      expect(realMsUntil(start, wake.at)).toBeLessThan(FIRST_MINUTE_MS);
    });
  }

  it("prefers the earliest such night, and takes longer nights when the clock runs faster", () => {
    const now = new Date("2026-03-16T10:00:00Z"); // Monday 18:00 in Shanghai
    const slow = chooseDemoNight({ schedules, calendars, now, speed: SPEED })!;
    expect(slow.sleep.slot).toBe("autopilot-dev-workloads:asleep:2026-03-16T22:00");
    const fast = chooseDemoNight({ schedules, calendars, now, speed: 1200 })!;
    // At 1200x a 12-hour night fits the minute: the QA cluster's 20:00 sleep comes first.
    expect(fast.sleep.slot).toBe("qa-weeknights:asleep:2026-03-16T20:00");
  });

  it("has no night to offer when the clock stands still or no schedule has a short enough one", () => {
    const now = new Date("2026-03-16T10:00:00Z");
    expect(chooseDemoNight({ schedules, calendars, now, speed: 0 })).toBeUndefined();
    expect(chooseDemoNight({ schedules: [], calendars, now, speed: SPEED })).toBeUndefined();
  });
});
