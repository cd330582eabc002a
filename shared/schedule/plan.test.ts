import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { combineCalendars, TableCalendar } from "./calendar.ts";
import {
  compileScheduleIndex,
  compileSelector,
  desiredStateAt,
  matchesTarget,
  nextTransition,
  type PlanWindow,
  planTransitions,
  ScheduleError,
  type SelectableTarget,
} from "./plan.ts";
import type {
  Calendar,
  DayKind,
  PlannedTransition,
  Schedule,
  ScheduleException,
  TransitionRule,
  Weekday,
} from "./types.ts";
import { WEEKDAYS } from "./types.ts";

const WEEKNIGHTS: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];

function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    name: "team",
    source: "schedules/team.yaml",
    enabled: true,
    timezone: "Europe/Berlin",
    mode: "full",
    enforce: false,
    targets: [{}],
    rules: [],
    calendars: [],
    holidays: "asleep",
    makeupDayAs: "mon",
    exceptions: [],
    graceMinutes: 60,
    minDwellMinutes: 0,
    releaseNodes: false,
    namespaces: [],
    ...overrides,
  };
}

const sleep = (days: Weekday[], at: string): TransitionRule => ({ to: "asleep", days, at });
const wake = (days: Weekday[], at: string): TransitionRule => ({ to: "awake", days, at });
const weeknights = (overrides: Partial<Schedule> = {}) =>
  schedule({ rules: [wake(WEEKNIGHTS, "08:00"), sleep(WEEKNIGHTS, "20:00")], ...overrides });

/** A tiny calendar for tests: listed dates are holidays or make-up working days. */
function calendar(days: Record<string, DayKind>, names: Record<string, string> = {}): Calendar {
  return {
    name: "test-calendar",
    coverage: { from: 2020, to: 2035 },
    dayKind: (date) => days[date] ?? "normal",
    describe: (date) => names[date],
  };
}

const window = (from: string, to: string): PlanWindow => ({ from: new Date(from), to: new Date(to) });

/** The plan reduced to what the assertions read: instant, target state, slot, cause, DST flag. */
function brief(plan: PlannedTransition[]) {
  return plan.map((t) => ({
    at: t.at.toISOString(),
    to: t.to,
    slot: t.slot,
    cause: t.cause,
    ...(t.dst === undefined ? {} : { dst: t.dst }),
  }));
}

describe("planTransitions across DST", () => {
  const weekendNights = schedule({ rules: [sleep(["sat", "sun"], "02:30"), wake(["sat", "sun"], "09:00")] });

  it("Berlin spring-forward (2026-03-29): 02:30 does not exist and lands at 03:30 CEST", () => {
    const plan = planTransitions(weekendNights, [], window("2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"));
    expect(brief(plan)).toEqual([
      { at: "2026-03-28T01:30:00.000Z", to: "asleep", slot: "team:asleep:2026-03-28T02:30", cause: "rule" },
      { at: "2026-03-28T08:00:00.000Z", to: "awake", slot: "team:awake:2026-03-28T09:00", cause: "rule" },
      {
        at: "2026-03-29T01:30:00.000Z",
        to: "asleep",
        slot: "team:asleep:2026-03-29T02:30",
        cause: "rule",
        dst: "skipped",
      },
      { at: "2026-03-29T07:00:00.000Z", to: "awake", slot: "team:awake:2026-03-29T09:00", cause: "rule" },
    ]);
    expect(plan[2]!.local).toEqual({
      date: "2026-03-29",
      time: "02:30",
      weekday: "sun",
      timezone: "Europe/Berlin",
    });
  });

  it("Berlin fall-back (2026-10-25): 02:30 happens twice and the first one is taken", () => {
    const plan = planTransitions(weekendNights, [], window("2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z"));
    expect(brief(plan)).toEqual([
      { at: "2026-10-24T00:30:00.000Z", to: "asleep", slot: "team:asleep:2026-10-24T02:30", cause: "rule" },
      { at: "2026-10-24T07:00:00.000Z", to: "awake", slot: "team:awake:2026-10-24T09:00", cause: "rule" },
      {
        at: "2026-10-25T00:30:00.000Z",
        to: "asleep",
        slot: "team:asleep:2026-10-25T02:30",
        cause: "rule",
        dst: "repeated",
      },
      { at: "2026-10-25T08:00:00.000Z", to: "awake", slot: "team:awake:2026-10-25T09:00", cause: "rule" },
    ]);
  });

  it("New York on both DST Sundays (2026-03-08 and 2026-11-01)", () => {
    const ny = schedule({
      timezone: "America/New_York",
      rules: [sleep(["sun"], "01:30"), sleep(["sun"], "02:30"), wake(["sun"], "08:00")],
    });
    const spring = planTransitions(ny, [], window("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"));
    expect(brief(spring)).toEqual([
      { at: "2026-03-08T06:30:00.000Z", to: "asleep", slot: "team:asleep:2026-03-08T01:30", cause: "rule" },
      {
        at: "2026-03-08T07:30:00.000Z",
        to: "asleep",
        slot: "team:asleep:2026-03-08T02:30",
        cause: "rule",
        dst: "skipped",
      },
      { at: "2026-03-08T12:00:00.000Z", to: "awake", slot: "team:awake:2026-03-08T08:00", cause: "rule" },
    ]);
    const fall = planTransitions(ny, [], window("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"));
    expect(brief(fall)).toEqual([
      {
        at: "2026-11-01T05:30:00.000Z",
        to: "asleep",
        slot: "team:asleep:2026-11-01T01:30",
        cause: "rule",
        dst: "repeated",
      },
      { at: "2026-11-01T07:30:00.000Z", to: "asleep", slot: "team:asleep:2026-11-01T02:30", cause: "rule" },
      { at: "2026-11-01T13:00:00.000Z", to: "awake", slot: "team:awake:2026-11-01T08:00", cause: "rule" },
    ]);
  });

  it("keeps one transition when a skipped time lands on a declared one (02:30 and 03:30 in Berlin)", () => {
    const clash = schedule({ rules: [sleep(["sun"], "02:30"), wake(["sun"], "03:30")] });
    const plan = planTransitions(clash, [], window("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"));
    expect(brief(plan)).toEqual([
      { at: "2026-03-29T01:30:00.000Z", to: "awake", slot: "team:awake:2026-03-29T03:30", cause: "rule" },
    ]);
    expect(desiredStateAt(clash, [], new Date("2026-03-29T01:30:00Z"))).toBe("awake");
  });

  it("sorts by instant when a skipped time lands after a later declared one", () => {
    const crossing = schedule({ rules: [sleep(["sun"], "02:45"), wake(["sun"], "03:15")] });
    const plan = planTransitions(crossing, [], window("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"));
    expect(brief(plan).map((t) => [t.at, t.to])).toEqual([
      ["2026-03-29T01:15:00.000Z", "awake"],
      ["2026-03-29T01:45:00.000Z", "asleep"],
    ]);
    expect(desiredStateAt(crossing, [], new Date("2026-03-29T02:00:00Z"))).toBe("asleep");
  });
});

describe("planTransitions: weeks, spans, calendars", () => {
  it("Asia/Shanghai weeknights: ten transitions Monday to Friday, none at the weekend", () => {
    const shanghai = weeknights({ timezone: "Asia/Shanghai" });
    const plan = planTransitions(shanghai, [], window("2026-03-08T16:00:00Z", "2026-03-15T16:00:00Z"));
    expect(plan).toHaveLength(10);
    expect(brief(plan.slice(0, 2))).toEqual([
      { at: "2026-03-09T00:00:00.000Z", to: "awake", slot: "team:awake:2026-03-09T08:00", cause: "rule" },
      { at: "2026-03-09T12:00:00.000Z", to: "asleep", slot: "team:asleep:2026-03-09T20:00", cause: "rule" },
    ]);
    expect(plan.at(-1)!.at.toISOString()).toBe("2026-03-13T12:00:00.000Z");
    expect(new Set(plan.map((t) => t.local.weekday))).toEqual(new Set(WEEKNIGHTS));
    expect(plan.map((t) => t.to)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? "asleep" : "awake")));
  });

  it("a span Friday 20:00 to Monday 08:00 plans nothing on Saturday or Sunday", () => {
    const weekend = schedule({ rules: [sleep(["fri"], "20:00"), wake(["mon"], "08:00")] });
    const plan = planTransitions(weekend, [], window("2026-06-11T00:00:00Z", "2026-06-16T00:00:00Z"));
    expect(brief(plan)).toEqual([
      { at: "2026-06-12T18:00:00.000Z", to: "asleep", slot: "team:asleep:2026-06-12T20:00", cause: "rule" },
      { at: "2026-06-15T06:00:00.000Z", to: "awake", slot: "team:awake:2026-06-15T08:00", cause: "rule" },
    ]);
    expect(desiredStateAt(weekend, [], new Date("2026-06-13T10:00:00Z"))).toBe("asleep");
    expect(desiredStateAt(weekend, [], new Date("2026-06-15T10:00:00Z"))).toBe("awake");
  });

  it("a holiday on a Wednesday drops its rules; Thursday's wake wakes the cluster", () => {
    const holidays = calendar({ "2026-05-06": "holiday" }, { "2026-05-06": "Company Day" });
    const plan = planTransitions(
      weeknights(),
      [holidays],
      window("2026-05-05T00:00:00Z", "2026-05-08T00:00:00Z"),
    );
    // Asleep since Tuesday 20:00, so the holiday itself needs no transition.
    expect(brief(plan)).toEqual([
      { at: "2026-05-05T06:00:00.000Z", to: "awake", slot: "team:awake:2026-05-05T08:00", cause: "rule" },
      { at: "2026-05-05T18:00:00.000Z", to: "asleep", slot: "team:asleep:2026-05-05T20:00", cause: "rule" },
      { at: "2026-05-07T06:00:00.000Z", to: "awake", slot: "team:awake:2026-05-07T08:00", cause: "rule" },
      { at: "2026-05-07T18:00:00.000Z", to: "asleep", slot: "team:asleep:2026-05-07T20:00", cause: "rule" },
    ]);
    expect(desiredStateAt(weeknights(), [holidays], new Date("2026-05-06T10:00:00Z"))).toBe("asleep");
  });

  it("a holiday sends an awake cluster to sleep at local midnight, naming the holiday", () => {
    const holidays = calendar({ "2026-05-06": "holiday" }, { "2026-05-06": "Company Day" });
    const wakeOnly = schedule({ rules: [wake(WEEKNIGHTS, "07:00")] });
    const plan = planTransitions(
      wakeOnly,
      [holidays],
      window("2026-05-05T00:00:00Z", "2026-05-08T00:00:00Z"),
    );
    expect(brief(plan)).toEqual([
      { at: "2026-05-05T05:00:00.000Z", to: "awake", slot: "team:awake:2026-05-05T07:00", cause: "rule" },
      {
        at: "2026-05-05T22:00:00.000Z",
        to: "asleep",
        slot: "team:asleep:2026-05-06T00:00",
        cause: "holiday",
      },
      { at: "2026-05-07T05:00:00.000Z", to: "awake", slot: "team:awake:2026-05-07T07:00", cause: "rule" },
    ]);
    expect(plan[1]!.note).toBe("holiday: Company Day (test-calendar)");
  });

  it("holidays: ignore plans a holiday like any other day", () => {
    const holidays = calendar({ "2026-05-06": "holiday" });
    const plan = planTransitions(
      weeknights({ holidays: "ignore" }),
      [holidays],
      window("2026-05-05T22:00:00Z", "2026-05-06T22:00:00Z"),
    );
    expect(plan.map((t) => t.slot)).toEqual(["team:awake:2026-05-06T08:00", "team:asleep:2026-05-06T20:00"]);
  });

  it("a make-up working Saturday follows Monday's rules", () => {
    const chinaLike = calendar({ "2026-10-10": "makeup-workday" });
    const office = schedule({
      timezone: "Asia/Shanghai",
      makeupDayAs: "mon",
      rules: [
        wake(["mon"], "07:00"),
        wake(["tue", "wed", "thu", "fri"], "08:30"),
        sleep(WEEKNIGHTS, "20:00"),
      ],
    });
    const plan = planTransitions(office, [chinaLike], window("2026-10-09T16:00:00Z", "2026-10-11T16:00:00Z"));
    expect(brief(plan)).toEqual([
      { at: "2026-10-09T23:00:00.000Z", to: "awake", slot: "team:awake:2026-10-10T07:00", cause: "rule" },
      { at: "2026-10-10T12:00:00.000Z", to: "asleep", slot: "team:asleep:2026-10-10T20:00", cause: "rule" },
    ]);
    expect(plan[0]!.local.weekday).toBe("sat");
    expect(plan[0]!.note).toBe("make-up working day: mon rules");
    // Without the calendar the same Saturday has no transitions.
    expect(planTransitions(office, [], window("2026-10-09T16:00:00Z", "2026-10-11T16:00:00Z"))).toEqual([]);
  });

  it("a holiday wins where two calendars disagree", () => {
    const a = calendar({ "2026-10-10": "makeup-workday" });
    const b = calendar({ "2026-10-10": "holiday" });
    const plan = planTransitions(
      weeknights(),
      [a, b],
      window("2026-10-09T22:00:00Z", "2026-10-10T22:00:00Z"),
    );
    expect(plan).toEqual([]);
  });
});

describe("planTransitions: a make-up day that overrides holidays", () => {
  it("wins over another calendar's holiday, as combineCalendars says (one precedence rule)", () => {
    const shutdown = new TableCalendar(
      "company",
      { from: 2026, to: 2026 },
      new Map([["2026-10-10", { kind: "makeup-workday", name: "release day", overridesHolidays: true }]]),
    );
    const national = calendar({ "2026-10-10": "holiday" });
    const span = window("2026-10-09T22:00:00Z", "2026-10-10T22:00:00Z");
    const plan = planTransitions(weeknights(), [national, shutdown], span);
    expect(plan.map((t) => [t.to, t.note])).toEqual([
      ["awake", "make-up working day: mon rules"],
      ["asleep", "make-up working day: mon rules"],
    ]);
    expect(combineCalendars([national, shutdown]).dayKind("2026-10-10")).toBe("makeup-workday");
    // Without the override flag the holiday wins.
    const plain = new TableCalendar(
      "company",
      { from: 2026, to: 2026 },
      new Map([["2026-10-10", { kind: "makeup-workday", name: "release day", overridesHolidays: false }]]),
    );
    expect(planTransitions(weeknights(), [national, plain], span)).toEqual([]);
  });
});

describe("planTransitions: exceptions", () => {
  it("keep-awake over a weekend starts at Saturday 00:00 and ends by itself at Monday 00:00", () => {
    const s = weeknights({
      exceptions: [{ from: "2026-06-13", to: "2026-06-14", state: "awake", reason: "release" }],
    });
    const plan = planTransitions(s, [], window("2026-06-12T12:00:00Z", "2026-06-15T12:00:00Z"));
    expect(brief(plan)).toEqual([
      { at: "2026-06-12T18:00:00.000Z", to: "asleep", slot: "team:asleep:2026-06-12T20:00", cause: "rule" },
      {
        at: "2026-06-12T22:00:00.000Z",
        to: "awake",
        slot: "team:awake:2026-06-13T00:00:exception-start",
        cause: "exception-start",
      },
      {
        at: "2026-06-14T22:00:00.000Z",
        to: "asleep",
        slot: "team:asleep:2026-06-15T00:00:exception-end",
        cause: "exception-end",
      },
      { at: "2026-06-15T06:00:00.000Z", to: "awake", slot: "team:awake:2026-06-15T08:00", cause: "rule" },
    ]);
    expect(desiredStateAt(s, [], new Date("2026-06-14T12:00:00Z"))).toBe("awake");
    expect(desiredStateAt(s, [], new Date("2026-06-15T03:00:00Z"))).toBe("asleep");
  });

  it("suppresses rules inside the range and emits nothing where the state already matches", () => {
    const s = weeknights({ exceptions: [{ from: "2026-06-16", to: "2026-06-18", state: "asleep" }] });
    const plan = planTransitions(s, [], window("2026-06-14T22:00:00Z", "2026-06-19T22:00:00Z"));
    expect(plan.map((t) => t.slot)).toEqual([
      "team:awake:2026-06-15T08:00",
      "team:asleep:2026-06-15T20:00",
      "team:awake:2026-06-19T08:00",
      "team:asleep:2026-06-19T20:00",
    ]);
    expect(desiredStateAt(s, [], new Date("2026-06-17T10:00:00Z"))).toBe("asleep");
  });

  it("an exception ending at a rule's time emits one transition: the exception-end", () => {
    const s = schedule({
      timezone: "Asia/Shanghai",
      rules: [wake(WEEKNIGHTS, "00:00"), sleep(WEEKNIGHTS, "20:00")],
      exceptions: [{ from: "2026-06-16", to: "2026-06-17", state: "asleep" }],
    });
    const plan = planTransitions(s, [], window("2026-06-15T00:00:00Z", "2026-06-18T11:00:00Z"));
    expect(brief(plan)).toEqual([
      { at: "2026-06-15T12:00:00.000Z", to: "asleep", slot: "team:asleep:2026-06-15T20:00", cause: "rule" },
      {
        at: "2026-06-17T16:00:00.000Z",
        to: "awake",
        slot: "team:awake:2026-06-18T00:00:exception-end",
        cause: "exception-end",
      },
    ]);
  });

  it("a holiday inside a keep-awake exception decides where the exception ends, and that state lasts", () => {
    const s = schedule({ exceptions: [{ from: "2026-01-31", to: "2026-02-02", state: "awake" }] });
    const holidays = [calendar({ "2026-01-31": "holiday" })];
    expect(
      brief(planTransitions(s, holidays, window("2026-01-29T00:00:00Z", "2026-02-20T00:00:00Z"))),
    ).toEqual([
      {
        at: "2026-01-30T23:00:00.000Z",
        to: "awake",
        slot: "team:awake:2026-01-31T00:00:exception-start",
        cause: "exception-start",
      },
      {
        at: "2026-02-02T23:00:00.000Z",
        to: "asleep",
        slot: "team:asleep:2026-02-03T00:00:exception-end",
        cause: "exception-end",
      },
    ]);
    expect(desiredStateAt(s, holidays, new Date("2026-02-15T12:00:00Z"))).toBe("asleep");
    // 14 days after the exception-end it is still in reach; 15 days after, nothing says anything.
    expect(desiredStateAt(s, holidays, new Date("2026-02-17T12:00:00Z"))).toBe("asleep");
    expect(desiredStateAt(s, holidays, new Date("2026-02-18T12:00:00Z"))).toBeUndefined();
  });

  it("a later exception overrides an earlier one on the days they share", () => {
    const exceptions: ScheduleException[] = [
      { from: "2026-06-13", to: "2026-06-14", state: "awake" },
      { from: "2026-06-14", to: "2026-06-14", state: "asleep" },
    ];
    const plan = planTransitions(
      weeknights({ exceptions }),
      [],
      window("2026-06-12T19:00:00Z", "2026-06-15T12:00:00Z"),
    );
    expect(plan.map((t) => [t.slot, t.at.toISOString()])).toEqual([
      ["team:awake:2026-06-13T00:00:exception-start", "2026-06-12T22:00:00.000Z"],
      ["team:asleep:2026-06-14T00:00:exception-start", "2026-06-13T22:00:00.000Z"],
      ["team:awake:2026-06-15T08:00", "2026-06-15T06:00:00.000Z"],
    ]);
  });
});

describe("planTransitions: one-sided and disabled schedules", () => {
  it("a sleep-only schedule plans only sleeps and stays asleep", () => {
    const s = schedule({ rules: [sleep(WEEKNIGHTS, "19:00")] });
    const plan = planTransitions(s, [], window("2026-06-14T22:00:00Z", "2026-06-21T22:00:00Z"));
    expect(plan).toHaveLength(5);
    expect(plan.every((t) => t.to === "asleep")).toBe(true);
    expect(plan[0]!.at.toISOString()).toBe("2026-06-15T17:00:00.000Z");
    expect(desiredStateAt(s, [], new Date("2026-06-16T08:00:00Z"))).toBe("asleep");
  });

  it("a wake-only schedule plans only wakes", () => {
    const s = schedule({ rules: [wake(["mon"], "06:00")] });
    const plan = planTransitions(s, [], window("2026-06-01T00:00:00Z", "2026-06-29T00:00:00Z"));
    expect(plan.map((t) => t.at.toISOString())).toEqual([
      "2026-06-01T04:00:00.000Z",
      "2026-06-08T04:00:00.000Z",
      "2026-06-15T04:00:00.000Z",
      "2026-06-22T04:00:00.000Z",
    ]);
    expect(plan.every((t) => t.to === "awake")).toBe(true);
  });

  it("says nothing where no rule is in reach", () => {
    const empty = schedule({ rules: [] });
    expect(desiredStateAt(empty, [], new Date("2026-06-16T08:00:00Z"))).toBeUndefined();
    expect(planTransitions(empty, [], window("2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z"))).toEqual([]);
    expect(nextTransition(empty, [], new Date("2026-06-16T08:00:00Z"))).toBeUndefined();
    // Sleep-only on Saturdays, but the last three Saturdays were make-up working days (Monday's
    // rules: none): no sleep in the last 14 days.
    const saturdays = calendar({
      "2026-06-06": "makeup-workday",
      "2026-06-13": "makeup-workday",
      "2026-06-20": "makeup-workday",
    });
    const s = schedule({ rules: [sleep(["sat"], "22:00")] });
    expect(desiredStateAt(s, [saturdays], new Date("2026-06-22T08:00:00Z"))).toBeUndefined();
    expect(desiredStateAt(s, [], new Date("2026-06-22T08:00:00Z"))).toBe("asleep");
  });

  it("a holiday after a quiet week: last Friday's sleep still counts, so no transition", () => {
    const s = schedule({ rules: [sleep(["fri"], "20:00")] });
    const thursday = calendar({ "2026-06-18": "holiday" });
    expect(planTransitions(s, [thursday], window("2026-06-17T12:00:00Z", "2026-06-18T12:00:00Z"))).toEqual(
      [],
    );
  });

  it("a holiday sends the target to sleep when no state is known within 14 days", () => {
    // Sleep-only on Saturdays; the three Saturdays before are make-up working days (Monday's rules:
    // none), so the last sleep (2026-05-30) is out of reach when Monday 2026-06-22 is a holiday.
    const days = calendar({
      "2026-06-06": "makeup-workday",
      "2026-06-13": "makeup-workday",
      "2026-06-20": "makeup-workday",
      "2026-06-22": "holiday",
    });
    const s = schedule({ rules: [sleep(["sat"], "22:00")] });
    expect(brief(planTransitions(s, [days], window("2026-06-21T12:00:00Z", "2026-06-22T12:00:00Z")))).toEqual(
      [
        {
          at: "2026-06-21T22:00:00.000Z",
          to: "asleep",
          slot: "team:asleep:2026-06-22T00:00",
          cause: "holiday",
        },
      ],
    );
  });

  it("disabled schedules still plan (enabled is the engine's kill switch, not the planner's)", () => {
    const w = window("2026-06-14T22:00:00Z", "2026-06-21T22:00:00Z");
    const plan = planTransitions(weeknights({ enabled: false }), [], w);
    expect(plan).toEqual(planTransitions(weeknights(), [], w));
    expect(plan).toHaveLength(10);
  });
});

describe("desiredStateAt and nextTransition", () => {
  const s = weeknights();
  const sleepAt = new Date("2026-06-16T18:00:00Z"); // Tuesday 20:00 in Berlin

  it("changes exactly at the transition instant", () => {
    expect(desiredStateAt(s, [], sleepAt)).toBe("asleep");
    expect(desiredStateAt(s, [], new Date(sleepAt.getTime() - 1))).toBe("awake");
  });

  it("agrees with the last planned transition", () => {
    const at = new Date("2026-06-20T12:00:00Z");
    const plan = planTransitions(s, [], { from: new Date(at.getTime() - 7 * 86_400_000), to: at });
    expect(desiredStateAt(s, [], at)).toBe(plan.at(-1)!.to);
    expect(plan.at(-1)!.slot).toBe("team:asleep:2026-06-19T20:00");
  });

  it("finds the next transition strictly after an instant", () => {
    expect(nextTransition(s, [], sleepAt)?.slot).toBe("team:awake:2026-06-17T08:00");
    expect(nextTransition(s, [], new Date(sleepAt.getTime() - 1))?.slot).toBe("team:asleep:2026-06-16T20:00");
    const weekend = schedule({ rules: [sleep(["fri"], "20:00"), wake(["mon"], "08:00")] });
    expect(nextTransition(weekend, [], new Date("2026-06-12T18:00:00Z"))?.at.toISOString()).toBe(
      "2026-06-15T06:00:00.000Z",
    );
  });

  it("looks past a long exception", () => {
    const long = weeknights({ exceptions: [{ from: "2026-07-01", to: "2026-08-31", state: "awake" }] });
    const next = nextTransition(long, [], new Date("2026-07-01T12:00:00Z"));
    expect(next?.slot).toBe("team:asleep:2026-09-01T00:00:exception-end");
  });
});

describe("schedule and window errors", () => {
  it("names the schedule, the field and the fix", () => {
    const w = window("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z");
    expect(() => planTransitions(schedule({ timezone: "Mars/Olympus" }), [], w)).toThrow(
      'schedule "team" (schedules/team.yaml): timezone: unknown time zone "Mars/Olympus"',
    );
    expect(() => planTransitions(schedule({ rules: [wake(["mon"], "7:00")] }), [], w)).toThrow(
      /schedules\/team.yaml\): rules\[0\]\.at: invalid time "7:00": write a 24-hour time as HH:MM/,
    );
    expect(() =>
      planTransitions(schedule({ rules: [wake(["mon"], "07:00"), sleep(["sun", "mon"], "07:00")] }), [], w),
    ).toThrow(/rules\[1\]: on mon at 07:00 it says asleep while another rule says awake; move or remove one/);
    expect(() =>
      planTransitions(
        schedule({ exceptions: [{ from: "2026-06-05", to: "2026-06-01", state: "awake" }] }),
        [],
        w,
      ),
    ).toThrow(/exceptions\[0\]: ends \(2026-06-01\) before it starts \(2026-06-05\); swap the dates/);
    expect(() =>
      planTransitions(schedule(), [], window("2026-06-02T00:00:00Z", "2026-06-01T00:00:00Z")),
    ).toThrow(ScheduleError);
    expect(() => desiredStateAt(schedule(), [], new Date("not a date"))).toThrow(/at must be a valid Date/);
  });
});

describe("target selection", () => {
  const target = (overrides: Partial<SelectableTarget> = {}): SelectableTarget => ({
    provider: "huawei",
    account: "prod-hw",
    region: "cn-north-4",
    id: "c-1",
    name: "qa-berlin-1",
    tags: { team: "payments", env: "qa" },
    ...overrides,
  });

  it("matches every given field (AND), any value of a list (OR)", () => {
    const match = compileSelector({ accounts: ["prod-hw", "prod-ali"], regions: ["cn-north-4"] });
    expect(match(target())).toBe(true);
    expect(match(target({ account: "prod-ali" }))).toBe(true);
    expect(match(target({ region: "cn-east-3" }))).toBe(false);
    expect(match(target({ account: "dev" }))).toBe(false);
    expect(compileSelector({ clusterIds: ["c-2"] })(target())).toBe(false);
    expect(compileSelector({ providers: ["baidu", "huawei"] })(target())).toBe(true);
    expect(compileSelector({})(target())).toBe(true);
    expect(compileSelector({ accounts: [] })(target())).toBe(false);
  });

  it("matches names by case-sensitive glob, with regex characters taken literally", () => {
    expect(compileSelector({ names: ["qa-*"] })(target())).toBe(true);
    expect(compileSelector({ names: ["qa-berlin-?"] })(target())).toBe(true);
    expect(compileSelector({ names: ["qa-berlin-?"] })(target({ name: "qa-berlin-10" }))).toBe(false);
    expect(compileSelector({ names: ["QA-*"] })(target())).toBe(false);
    expect(compileSelector({ names: ["*-berlin-*"] })(target())).toBe(true);
    expect(compileSelector({ names: ["prod.eu-*"] })(target({ name: "prodXeu-1" }))).toBe(false);
    expect(compileSelector({ names: ["prod.eu-*"] })(target({ name: "prod.eu-1" }))).toBe(true);
    expect(compileSelector({ names: ["qa-berlin-1"] })(target())).toBe(true);
    expect(compileSelector({ names: ["*-1"] })(target())).toBe(true);
    expect(compileSelector({ names: ["*-2"] })(target())).toBe(false);
    expect(compileSelector({ names: ["q*1"] })(target())).toBe(true);
    expect(compileSelector({ names: ["q*2"] })(target())).toBe(false);
    expect(compileSelector({ names: ["*"] })(target({ name: "" }))).toBe(true);
    expect(compileSelector({ names: ["nope", "other-*", "*berlin*"] })(target())).toBe(true);
  });

  it("requires every tag, with * for any value", () => {
    expect(compileSelector({ tags: { team: "payments" } })(target())).toBe(true);
    expect(compileSelector({ tags: { team: "payments", env: "prod" } })(target())).toBe(false);
    expect(compileSelector({ tags: { env: "*" } })(target())).toBe(true);
    expect(compileSelector({ tags: { owner: "*" } })(target())).toBe(false);
    expect(compileSelector({ tags: { constructor: "*" } })(target())).toBe(false);
  });

  it("matches a schedule when any of its selectors does", () => {
    const s = schedule({ targets: [{ names: ["prod-*"] }, { tags: { env: "qa" } }] });
    expect(matchesTarget(s, target())).toBe(true);
    expect(matchesTarget(s, target({ tags: {} }))).toBe(false);
    expect(matchesTarget(s, target({ tags: {}, name: "prod-1" }))).toBe(true);
    expect(matchesTarget(schedule({ targets: [] }), target())).toBe(false);
  });
});

describe("compileScheduleIndex", () => {
  const target = (overrides: Partial<SelectableTarget> = {}): SelectableTarget => ({
    provider: "huawei",
    account: "prod-hw",
    region: "cn-north-4",
    id: "c-1",
    name: "qa-berlin-1",
    tags: {},
    ...overrides,
  });

  it("finds every schedule that selects a target, in schedule order", () => {
    const select = compileScheduleIndex([
      { targets: [{ names: ["qa-*"] }] },
      { targets: [{ accounts: ["other"] }, { tags: { team: "payments" } }] },
      { targets: [{ regions: ["cn-east-3"] }] },
      { targets: [{}] },
      { targets: [{ names: ["*-berlin-?"], providers: ["huawei"] }] },
    ]);
    expect(select(target())).toEqual([0, 3, 4]);
    expect(select(target({ name: "prod-1", tags: { team: "payments" } }))).toEqual([1, 3]);
    expect(select(target({ name: "prod-1", account: "other", region: "cn-east-3" }))).toEqual([1, 2, 3]);
    expect(compileScheduleIndex([])(target())).toEqual([]);
  });

  it("agrees with compileSelector on random selectors and targets", () => {
    const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
    const names = ["qa-1", "qa-12", "prod-eu-1", "prod.eu-2", "a*b", "x"];
    const globs = ["qa-*", "*-1", "*eu*", "prod?eu-*", "qa-1", "a*b", "*", "?", "prod.eu-2"];
    const tagValue = pick(["a", "b", "*"]);
    const selector = fc.record(
      {
        accounts: fc.array(pick(["a1", "a2", "a3"]), { maxLength: 2 }),
        regions: fc.array(pick(["r1", "r2"]), { maxLength: 2 }),
        clusterIds: fc.array(pick(["c1", "c2", "c3"]), { maxLength: 2 }),
        names: fc.array(pick(globs), { maxLength: 3 }),
        tags: fc.dictionary(pick(["team", "env", "constructor"]), tagValue, { maxKeys: 2 }),
        providers: fc.array(pick(["huawei", "autopilot", "alibaba", "baidu"] as const), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    const randomTarget = fc.record({
      provider: pick(["huawei", "autopilot", "alibaba", "baidu"] as const),
      account: pick(["a1", "a2", "a3"]),
      region: pick(["r1", "r2"]),
      id: pick(["c1", "c2", "c3"]),
      name: pick(names),
      tags: fc.dictionary(pick(["team", "env"]), pick(["a", "b"]), { maxKeys: 2 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ targets: fc.array(selector, { maxLength: 3 }) }), { maxLength: 6 }),
        fc.array(randomTarget, { minLength: 1, maxLength: 10 }),
        (schedules, targets) => {
          const select = compileScheduleIndex(schedules);
          const predicates = schedules.map((s) => compileSelector(s));
          for (const t of targets) {
            const expected = predicates.flatMap((matches, index) => (matches(t) ? [index] : []));
            expect(select(t)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("planTransitions properties", () => {
  const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "UTC"];
  const BASE = Date.UTC(2026, 0, 1);
  const DAY = 86_400_000;
  const dateAt = (day: number) => new Date(BASE + day * DAY).toISOString().slice(0, 10);
  const time = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45, 59))
    .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
  const rule = fc.record({
    to: fc.constantFrom("asleep" as const, "awake" as const),
    days: fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 3 }),
    at: time,
  });
  // Exceptions and calendar days are placed relative to the window's first day, so that holidays
  // and holds near the window (whose transitions depend on the state before them) are common.
  const exception = fc.record({
    from: fc.integer({ min: -25, max: 45 }),
    length: fc.integer({ min: 0, max: 20 }),
    state: fc.constantFrom("asleep" as const, "awake" as const),
  });
  const calendarDay = fc.tuple(
    fc.integer({ min: -25, max: 45 }),
    fc.constantFrom<DayKind>("holiday", "makeup-workday"),
  );
  // Random rules may clash (same weekday and time, opposite states); drop those rules.
  const withoutClashes = (rules: TransitionRule[]): TransitionRule[] => {
    const seen = new Map<string, string>();
    return rules.filter((r) => {
      const clash = r.days.some((d) => (seen.get(`${d}@${r.at}`) ?? r.to) !== r.to);
      if (!clash) for (const d of r.days) seen.set(`${d}@${r.at}`, r.to);
      return !clash;
    });
  };
  const scenario = fc.record({
    timezone: fc.constantFrom(...ZONES),
    // Few weekdays per rule, so the state often comes from days before the window.
    rules: fc.array(rule, { maxLength: 4 }).map(withoutClashes),
    exceptions: fc.array(exception, { maxLength: 3 }),
    holidays: fc.constantFrom("asleep" as const, "ignore" as const),
    makeupDayAs: fc.constantFrom(...WEEKDAYS),
    days: fc.array(calendarDay, { maxLength: 15 }),
    // Three instants a <= b <= c within 2026 (minutes), c - a up to 40 days.
    a: fc.integer({ min: 30 * 1440, max: 300 * 1440 }),
    ab: fc.integer({ min: 0, max: 20 * 1440 }),
    bc: fc.integer({ min: 0, max: 20 * 1440 }),
  });

  it("plans sorted, inside the window, with unique slots, and (a,b] + (b,c] = (a,c]", () => {
    fc.assert(
      fc.property(scenario, ({ days, exceptions, a, ab, bc, ...fields }) => {
        const firstDay = Math.floor(a / 1440);
        const s = schedule({
          ...fields,
          exceptions: exceptions.map(({ from, length, state }) => ({
            from: dateAt(firstDay + from),
            to: dateAt(firstDay + from + length),
            state,
          })),
        });
        const calendars = [
          calendar(Object.fromEntries(days.map(([day, kind]) => [dateAt(firstDay + day), kind]))),
        ];
        const at = (minute: number) => new Date(BASE + minute * 60_000);
        const [ta, tb, tc] = [at(a), at(a + ab), at(a + ab + bc)];
        const whole = planTransitions(s, calendars, { from: ta, to: tc });
        const first = planTransitions(s, calendars, { from: ta, to: tb });
        const second = planTransitions(s, calendars, { from: tb, to: tc });
        for (let i = 0; i < whole.length; i++) {
          const t = whole[i]!;
          expect(t.at.getTime()).toBeGreaterThan(ta.getTime());
          expect(t.at.getTime()).toBeLessThanOrEqual(tc.getTime());
          if (i > 0) expect(t.at.getTime()).toBeGreaterThan(whole[i - 1]!.at.getTime());
        }
        expect(new Set(whole.map((t) => t.slot)).size).toBe(whole.length);
        expect([...first, ...second]).toEqual(whole);
        // The state after the last planned transition is the desired state at the window's end
        // (while that transition is within the planner's 14-day reach).
        const last = whole.at(-1);
        if (last !== undefined && tc.getTime() - last.at.getTime() < 13 * DAY) {
          expect(desiredStateAt(s, calendars, tc)).toBe(last.to);
        }
      }),
      { numRuns: 300 },
    );
  });
});
