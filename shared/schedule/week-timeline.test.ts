import { describe, expect, it } from "vitest";
import { testSchedule } from "../../test/fixtures/schedule.ts";
import type { SleepLedgerEntry } from "../savings/sleep-intervals.ts";
import { builtinCalendar } from "./calendar.ts";
import { ScheduleError } from "./plan.ts";
import type { Schedule, TransitionRule, Weekday } from "./types.ts";
import { type TimelineBand, weekStartOf, weekTimeline, withNow } from "./week-timeline.ts";

const WEEKDAYS: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];
const DAILY: Weekday[] = [...WEEKDAYS, "sat", "sun"];
const rule = (to: "asleep" | "awake", days: Weekday[], at: string): TransitionRule => ({ to, days, at });

// plan.test.ts's team schedule: Berlin, every target, holidays asleep, grace 60 min, no dwell.
function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return testSchedule({
    name: "team",
    timezone: "Europe/Berlin",
    targets: [{}],
    holidays: "asleep",
    graceMinutes: 60,
    minDwellMinutes: 0,
    ...overrides,
  });
}

/** A band as "start→end" in UTC ISO minutes, with its continuation flags. */
const span = (band: TimelineBand) =>
  `${band.continuesBefore ? "…" : ""}${band.start.toISOString().slice(0, 16)}→${band.end.toISOString().slice(0, 16)}${band.continuesAfter ? "…" : ""}`;
const ofKind = (bands: TimelineBand[], kind: TimelineBand["kind"]) => bands.filter((b) => b.kind === kind);

describe("weekTimeline: DST in Europe/Berlin", () => {
  const nightly = schedule({ rules: [rule("asleep", DAILY, "22:00"), rule("awake", DAILY, "07:00")] });

  it("makes the spring-forward Sunday 23 hours long and places its times by elapsed minutes", () => {
    const timeline = weekTimeline({
      schedule: nightly,
      start: "2026-03-23",
      now: new Date("2026-03-29T12:00:00Z"),
    });
    expect(timeline.timezone).toBe("Europe/Berlin");
    expect(timeline.from.toISOString()).toBe("2026-03-22T23:00:00.000Z");
    expect(timeline.to.toISOString()).toBe("2026-03-29T22:00:00.000Z");
    expect(timeline.days.map((d) => d.minutes)).toEqual([1440, 1440, 1440, 1440, 1440, 1440, 1380]);
    expect(timeline.days[6]!.weekday).toBe("sun");
    // 06:00 CEST on the short day is 5 hours after midnight CET.
    expect(timeline.days[6]!.ticks).toEqual([
      { minute: 0, label: "00:00" },
      { minute: 300, label: "06:00" },
      { minute: 660, label: "12:00" },
      { minute: 1020, label: "18:00" },
    ]);
    const sleeps = ofKind(timeline.bands, "planned-sleep");
    expect(sleeps.map(span)).toEqual([
      "…2026-03-22T23:00→2026-03-23T06:00",
      "2026-03-23T21:00→2026-03-24T06:00",
      "2026-03-24T21:00→2026-03-25T06:00",
      "2026-03-25T21:00→2026-03-26T06:00",
      "2026-03-26T21:00→2026-03-27T06:00",
      "2026-03-27T21:00→2026-03-28T06:00",
      // Saturday 22:00 CET to Sunday 07:00 CEST: 8 hours, not 9.
      "2026-03-28T21:00→2026-03-29T05:00",
      "2026-03-29T20:00→2026-03-29T22:00…",
    ]);
    const sunday = sleeps.at(-2)!;
    expect(sunday.startLocal).toEqual({ date: "2026-03-28", weekday: "sat", time: "22:00" });
    expect(sunday.endLocal).toEqual({ date: "2026-03-29", weekday: "sun", time: "07:00" });
    expect(sunday.segments).toEqual([
      { day: 5, startMinute: 1320, endMinute: 1440 },
      { day: 6, startMinute: 0, endMinute: 360 },
    ]);
    // 22:00 CEST on the 23-hour day is 21 hours after its midnight; the band ends at 24:00.
    expect(sleeps.at(-1)!.segments).toEqual([{ day: 6, startMinute: 1260, endMinute: 1380 }]);
    expect(sleeps.at(-1)!.endLocal).toEqual({ date: "2026-03-29", weekday: "sun", time: "24:00" });
    expect(timeline.now).toEqual({
      at: new Date("2026-03-29T12:00:00Z"),
      day: 6,
      minute: 780,
      local: { date: "2026-03-29", weekday: "sun", time: "14:00" },
    });
  });

  it("makes the fall-back Sunday 25 hours long", () => {
    const timeline = weekTimeline({
      schedule: nightly,
      start: "2026-10-19",
      now: new Date("2026-10-01T00:00:00Z"),
    });
    expect(timeline.days.map((d) => d.minutes)).toEqual([1440, 1440, 1440, 1440, 1440, 1440, 1500]);
    expect(timeline.days[6]!.ticks.map((t) => t.minute)).toEqual([0, 420, 780, 1140]);
    const sleeps = ofKind(timeline.bands, "planned-sleep");
    // Saturday 22:00 CEST to Sunday 07:00 CET: 10 hours.
    expect(sleeps.at(-2)!.end.getTime() - sleeps.at(-2)!.start.getTime()).toBe(10 * 3600_000);
    expect(sleeps.at(-1)!.segments).toEqual([{ day: 6, startMinute: 1380, endMinute: 1500 }]);
    expect(timeline.now).toBeUndefined();
  });

  it("finds the week's Monday in the zone, not in UTC", () => {
    // Sunday 23:30 UTC is Monday 00:30 in Berlin.
    expect(weekStartOf(new Date("2026-03-22T23:30:00Z"), "Europe/Berlin")).toBe("2026-03-23");
    expect(weekStartOf(new Date("2026-03-22T23:30:00Z"), "UTC")).toBe("2026-03-16");
    expect(weekStartOf(new Date("2026-03-22T23:30:00Z"), "America/New_York", "sun")).toBe("2026-03-22");
  });

  it("draws New York's spring-forward week in its own zone", () => {
    const timeline = weekTimeline({
      schedule: schedule({
        timezone: "America/New_York",
        rules: [rule("awake", DAILY, "01:00"), rule("asleep", DAILY, "02:30")],
      }),
      start: "2026-03-08",
      days: 1,
      now: new Date("2026-03-08T12:00:00Z"),
    });
    expect(timeline.days[0]!.minutes).toBe(1380);
    // 02:30 does not exist that day: it lands 30 minutes after the gap, at 03:30 EDT (elapsed 150).
    const [overnight, band] = ofKind(timeline.bands, "planned-sleep");
    expect(overnight!.segments).toEqual([{ day: 0, startMinute: 0, endMinute: 60 }]);
    expect(band!.segments).toEqual([{ day: 0, startMinute: 150, endMinute: 1380 }]);
    expect(band!.startLocal.time).toBe("03:30");
    expect(band!.continuesAfter).toBe(true);
  });
});

describe("weekTimeline: the mainland-China calendar", () => {
  const office = schedule({
    name: "acme-office-days",
    timezone: "Asia/Shanghai",
    rules: [rule("asleep", WEEKDAYS, "21:00"), rule("awake", WEEKDAYS, "08:30")],
    calendars: [{ builtin: "cn-mainland" }],
    makeupDayAs: "mon",
  });
  const calendars = [builtinCalendar("cn-mainland")];

  it("marks the Spring Festival week: a make-up Saturday that wakes, a holiday Sunday asleep", () => {
    const timeline = weekTimeline({
      schedule: office,
      calendars,
      start: "2026-02-09",
      now: new Date("2026-02-14T02:00:00Z"),
    });
    expect(timeline.days.map((d) => `${d.date} ${d.kind}`)).toEqual([
      "2026-02-09 normal",
      "2026-02-10 normal",
      "2026-02-11 normal",
      "2026-02-12 normal",
      "2026-02-13 normal",
      "2026-02-14 makeup-workday",
      "2026-02-15 holiday",
    ]);
    expect(timeline.days[5]).toMatchObject({ calendar: "cn-mainland", provisional: false });
    expect(timeline.days[5]!.name).toContain("Spring Festival");
    expect(timeline.days[6]!.name).toBe("Spring Festival (春节)");
    const sleeps = ofKind(timeline.bands, "planned-sleep");
    expect(
      sleeps.map(
        (b) => `${b.startLocal.weekday} ${b.startLocal.time}→${b.endLocal.weekday} ${b.endLocal.time}`,
      ),
    ).toEqual([
      "mon 00:00→mon 08:30",
      "mon 21:00→tue 08:30",
      "tue 21:00→wed 08:30",
      "wed 21:00→thu 08:30",
      "thu 21:00→fri 08:30",
      "fri 21:00→sat 08:30",
      // The make-up Saturday follows Monday's rules; the holiday keeps the target asleep after it.
      "sat 21:00→sun 24:00",
    ]);
    expect(sleeps[0]!.continuesBefore).toBe(true);
    expect(sleeps.at(-1)!.continuesAfter).toBe(true);
    expect(timeline.now).toMatchObject({ day: 5, minute: 600, local: { time: "10:00" } });
  });

  it("marks a provisional holiday (after the published years) as provisional", () => {
    const timeline = weekTimeline({
      schedule: office,
      calendars,
      start: "2026-12-28",
      now: new Date("2026-12-28T00:00:00Z"),
    });
    const newYear = timeline.days[4]!;
    expect(newYear).toMatchObject({
      date: "2027-01-01",
      kind: "holiday",
      provisional: true,
      calendar: "cn-mainland",
    });
    expect(newYear.name).toContain("provisional");
    expect(timeline.days.filter((d) => d.provisional).map((d) => d.date)).toEqual(["2027-01-01"]);
    // Thursday night's sleep runs through the holiday into the weekend.
    expect(ofKind(timeline.bands, "planned-sleep").at(-1)!.startLocal).toEqual({
      date: "2026-12-31",
      weekday: "thu",
      time: "21:00",
    });
  });
});

describe("weekTimeline: exceptions, the ledger and the target's state", () => {
  const at = (iso: string) => new Date(iso);
  const ledger: SleepLedgerEntry[] = [
    // A sleep begun before the week.
    {
      at: at("2026-06-05T18:00:00Z"),
      kind: "sleep.scale-pool",
      operationId: "s1",
      detail: { pool: "p1", name: "workers", before: { desired: 3 } },
    },
    { at: at("2026-06-05T18:05:00Z"), kind: "sleep.succeeded", operationId: "s1", detail: {} },
    { at: at("2026-06-08T06:00:00Z"), kind: "wake.restore-pool", operationId: "w1", detail: {} },
    { at: at("2026-06-08T06:10:00Z"), kind: "wake.succeeded", operationId: "w1", detail: {} },
    {
      at: at("2026-06-09T10:00:00Z"),
      kind: "resize.applied",
      operationId: "r1",
      detail: { action: "resize workers 3→5" },
    },
    {
      at: at("2026-06-09T11:00:00Z"),
      kind: "resize.hold",
      operationId: "r2",
      detail: { until: "2026-06-09T15:00:00.000Z", rule: "ci-burst" },
    },
    {
      at: at("2026-06-09T18:00:00Z"),
      kind: "target.snoozed",
      operationId: "n1",
      detail: { until: "2026-06-09T20:00:00.000Z" },
    },
    {
      at: at("2026-06-09T19:00:00Z"),
      kind: "target.postpone",
      operationId: "n2",
      detail: { until: "2026-06-09T21:30:00.000Z", via: "notice link" },
    },
    {
      at: at("2026-06-10T18:00:00Z"),
      kind: "sleep.failed",
      operationId: "s2",
      detail: { error: { kind: "cloud", message: "quota" } },
    },
    // Still asleep at `now`.
    { at: at("2026-06-11T18:00:00Z"), kind: "sleep.succeeded", operationId: "s3", detail: {} },
  ];
  const now = at("2026-06-12T06:00:00Z");

  it("draws exceptions, actual sleeps (ongoing to now), snoozes, holds, pauses and markers", () => {
    const timeline = weekTimeline({
      schedule: schedule({
        exceptions: [{ from: "2026-06-12", to: "2026-06-20", state: "asleep", reason: "offsite" }],
      }),
      start: "2026-06-08",
      now,
      ledger,
      state: { snoozeUntil: "2026-06-09T21:30:00.000Z" },
      pauses: [{ from: at("2026-06-13T08:00:00Z"), reason: "migration" }],
    });
    expect(timeline.bands.map((b) => `${b.kind} ${span(b)}${b.note ? ` (${b.note})` : ""}`)).toEqual([
      // The exception's hold is part of the plan, and drawn as the exception it is.
      "planned-sleep 2026-06-11T22:00→2026-06-14T22:00…",
      "actual-sleep …2026-06-07T22:00→2026-06-08T06:00",
      "actual-sleep 2026-06-11T18:00→2026-06-12T06:00",
      "exception 2026-06-11T22:00→2026-06-14T22:00… (offsite)",
      "snooze 2026-06-09T18:00→2026-06-09T19:00 (snoozed)",
      "snooze 2026-06-09T19:00→2026-06-09T21:30 (postponed)",
      "hold 2026-06-09T11:00→2026-06-09T15:00 (rule ci-burst)",
      "pause 2026-06-13T08:00→2026-06-14T22:00… (migration)",
    ]);
    expect(timeline.bands.find((b) => b.kind === "exception")!.state).toBe("asleep");
    expect(timeline.bands.filter((b) => b.ongoing).map((b) => b.kind)).toEqual(["actual-sleep"]);
    expect(
      timeline.markers.map(
        (m) => `${m.kind} ${m.local.weekday} ${m.local.time} d${m.day} m${m.minute} ${m.label}`,
      ),
    ).toEqual([
      "resize tue 12:00 d1 m720 resize workers 3→5",
      "failure wed 20:00 d2 m1200 sleep.failed: quota",
    ]);
  });

  it("shows a snooze or hold known only from the target's state", () => {
    const timeline = weekTimeline({
      schedule: schedule({}),
      start: "2026-06-08",
      now,
      state: {
        snoozeUntil: "2026-06-08T10:00:00.000Z",
        heldAwake: {
          at: "2026-06-10T08:00:00.000Z",
          until: "2026-06-10T09:00:00.000Z",
          operationId: "r9",
          rule: "alert",
        },
      },
    });
    expect(timeline.bands.map((b) => `${b.kind} ${span(b)}`)).toEqual([
      "snooze …2026-06-07T22:00→2026-06-08T10:00",
      "hold 2026-06-10T08:00→2026-06-10T09:00",
    ]);
  });

  it("plans nothing for a target no schedule owns, in the zone asked for", () => {
    const timeline = weekTimeline({ timezone: "Asia/Shanghai", start: "2026-06-08", now, ledger });
    expect(timeline.schedule).toBeUndefined();
    expect(timeline.from.toISOString()).toBe("2026-06-07T16:00:00.000Z");
    expect(ofKind(timeline.bands, "planned-sleep")).toEqual([]);
    expect(ofKind(timeline.bands, "actual-sleep")).toHaveLength(2);
  });

  it("names the field of bad input", () => {
    expect(() => weekTimeline({ start: "2026-02-30", now })).toThrow(ScheduleError);
    expect(() => weekTimeline({ start: "2026-02-30", now })).toThrow(/start: invalid date "2026-02-30"/);
    expect(() => weekTimeline({ start: "2026-06-08", days: 40, now })).toThrow(
      /days must be a whole number from 1 to 14; got 40/,
    );
    expect(() => weekTimeline({ timezone: "Mars/Olympus", start: "2026-06-08", now })).toThrow(
      /timezone: unknown time zone "Mars\/Olympus"/,
    );
  });
});

describe("withNow", () => {
  const nightly = schedule({
    rules: [rule("asleep", DAILY, "22:00"), rule("awake", DAILY, "07:00")],
    exceptions: [{ from: "2026-03-25", to: "2026-03-25", state: "awake", reason: "release" }],
  });
  const at = (iso: string) => new Date(iso);

  it("places a later now on a schedule's week computed earlier, as computing it then would", () => {
    const earlier = weekTimeline({ schedule: nightly, start: "2026-03-23", now: at("2026-03-23T06:00:00Z") });
    for (const now of [
      "2026-03-24T21:30:00Z",
      "2026-03-29T21:59:00Z",
      "2026-03-22T22:59:59Z",
      "2026-04-02T00:00:00Z",
    ])
      expect(withNow(earlier, at(now))).toEqual(
        weekTimeline({ schedule: nightly, start: "2026-03-23", now: at(now) }),
      );
    // Within the week: the day and minute of the spring-forward Sunday's 23:59 CEST.
    expect(withNow(earlier, at("2026-03-29T21:59:00Z")).now).toMatchObject({
      day: 6,
      minute: 1379,
      local: { date: "2026-03-29", weekday: "sun", time: "23:59" },
    });
    expect(withNow(earlier, at("2026-04-02T00:00:00Z")).now).toBeUndefined();
  });
});
