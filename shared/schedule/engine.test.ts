// The tick's decisions, exactly: transition-based memory, enforce, catch-up asymmetry, first
// sight, dwell, snooze, holds, a paused schedule, kill switch. Asia/Shanghai is UTC+8 all year.
import { describe, expect, it } from "vitest";
import { testSchedule } from "../../test/fixtures/schedule.ts";
import type { SchedulePause, TargetState } from "../store/store.ts";
import { type Decision, decideTick, stateAfter, type TargetFacts } from "./engine.ts";
import { ownershipOf } from "./ownership.ts";
import type { Schedule } from "./types.ts";

const weekdays = ["mon", "tue", "wed", "thu", "fri"] as const;
const schedule = (overrides: Partial<Schedule> = {}): Schedule =>
  testSchedule({
    name: "qa-weeknights",
    targets: [{ tags: { env: "qa" } }],
    rules: [
      { to: "asleep", days: weekdays, at: "20:00" },
      { to: "awake", days: weekdays, at: "08:00" },
    ],
    graceMinutes: 60,
    minDwellMinutes: 30,
    ...overrides,
  });

const target = (overrides: Partial<TargetFacts> = {}): TargetFacts => ({
  targetId: "prod-hw/c1",
  provider: "huawei",
  account: "prod-hw",
  region: "cn-north-4",
  id: "c1",
  name: "qa-1",
  tags: { env: "qa" },
  ...overrides,
});

// Monday 2026-11-23 in Shanghai.
const local = (time: string, day = "2026-11-23") => new Date(`${day}T${time}:00+08:00`);
const SLEEP_MON = "qa-weeknights:asleep:2026-11-23T20:00";
const WAKE_MON = "qa-weeknights:awake:2026-11-23T08:00";

function decide(
  now: Date,
  state?: TargetState,
  s: Schedule = schedule(),
  t: TargetFacts = target(),
): Decision[] {
  return decideTick({
    now,
    schedules: [s],
    calendars: new Map(),
    targets: [t],
    states: new Map(state ? [[t.targetId, state]] : []),
  });
}

const handled = (slot: string, to: "asleep" | "awake", at: Date): TargetState => ({
  lastTransition: { to, at: at.toISOString(), slot, by: "schedule" },
});

describe("decideTick", () => {
  it("acts once on a due transition and remembers its slot", () => {
    const before = handled(WAKE_MON, "awake", local("08:00"));
    const [decision] = decide(local("20:01"), before);
    expect(decision).toMatchObject({
      kind: "act",
      schedule: "qa-weeknights",
      operationId: `${SLEEP_MON}@prod-hw/c1`,
      transition: { to: "asleep", slot: SLEEP_MON, at: local("20:00") },
    });
    const after = stateAfter(decision!, before, local("20:01"))!;
    expect(after.lastTransition).toMatchObject({
      to: "asleep",
      slot: SLEEP_MON,
      operationId: `${SLEEP_MON}@prod-hw/c1`,
    });
    expect(decide(local("20:02"), after)[0]).toMatchObject({ kind: "skip", reason: "already-handled" });
  });

  it("respects a manual wake at night: the handled sleep slot is not repeated", () => {
    const asleep = handled(SLEEP_MON, "asleep", local("20:00"));
    expect(decide(local("22:00"), asleep, schedule(), target({ observed: "awake" }))[0]).toMatchObject({
      kind: "skip",
      reason: "already-handled",
    });
  });

  it("with enforce, converges instead: an observed awake cluster is put back to sleep", () => {
    const asleep = handled(SLEEP_MON, "asleep", local("20:00"));
    const [decision] = decide(
      local("22:00"),
      asleep,
      schedule({ enforce: true }),
      target({ observed: "awake" }),
    );
    expect(decision).toMatchObject({
      kind: "act",
      enforce: true,
      operationId: `${SLEEP_MON}@prod-hw/c1#enforce`,
    });
    expect(
      decide(local("22:00"), asleep, schedule({ enforce: true }), target({ observed: "asleep" }))[0],
    ).toMatchObject({
      kind: "skip",
    });
  });

  it("with enforce, waits for a state not observed yet: deferred saying why, never acted on, stored nothing", () => {
    const asleep = handled(SLEEP_MON, "asleep", local("20:00"));
    const enforce = schedule({ enforce: true });
    const unobserved = target({ unobserved: "node pools not listed yet" });
    const [decision] = decide(local("22:00"), asleep, enforce, unobserved);
    expect(decision).toEqual({
      kind: "defer",
      targetId: "prod-hw/c1",
      schedule: "qa-weeknights",
      transition: expect.objectContaining({ slot: SLEEP_MON }),
      reason: "unobserved",
      detail: "node pools not listed yet",
    });
    expect(stateAfter(decision!, asleep, local("22:00"))).toBeUndefined();
    // Once observed, it converges; without enforce, nothing waits for an observation.
    expect(decide(local("22:01"), asleep, enforce, target({ observed: "awake" }))[0]).toMatchObject({
      kind: "act",
      enforce: true,
    });
    expect(decide(local("22:00"), asleep, schedule(), unobserved)[0]).toMatchObject({
      kind: "skip",
      reason: "already-handled",
    });
    // A due transition acts on the schedule, observed or not (the operation reads the cluster itself).
    const awake = handled(WAKE_MON, "awake", local("08:00"));
    expect(decide(local("20:01"), awake, enforce, unobserved)[0]).toMatchObject({
      kind: "act",
      enforce: false,
    });
  });

  it("always catches up a missed wake, however late", () => {
    const asleep = handled("qa-weeknights:asleep:2026-11-20T20:00", "asleep", local("20:00", "2026-11-20"));
    expect(decide(local("13:00"), asleep)[0]).toMatchObject({
      kind: "act",
      transition: { to: "awake", slot: WAKE_MON },
    });
  });

  it("carries out a missed sleep only inside the grace window", () => {
    const awake = handled(WAKE_MON, "awake", local("08:00"));
    expect(decide(local("20:59"), awake)[0]).toMatchObject({ kind: "act" });
    expect(decide(local("21:00"), awake)[0]).toMatchObject({ kind: "act" });
    const late = decide(local("21:01"), awake)[0]!;
    expect(late).toMatchObject({ kind: "skip", reason: "missed-sleep" });
    // The skip is remembered, so it is not reconsidered every tick.
    expect(stateAfter(late, awake, local("21:01"))?.lastTransition?.slot).toBe(SLEEP_MON);
  });

  it("never acts on first sight (first deploy, or a new cluster)", () => {
    const [decision] = decide(local("20:05"));
    expect(decision).toMatchObject({ kind: "skip", reason: "first-sight" });
    expect(stateAfter(decision!, undefined, local("20:05"))?.lastTransition).toMatchObject({
      slot: SLEEP_MON,
      to: "asleep",
    });
  });

  it("keeps the minimum dwell between a sleep and the next wake", () => {
    const s = schedule({
      rules: [
        { to: "asleep", days: weekdays, at: "20:00" },
        { to: "awake", days: weekdays, at: "20:10" },
      ],
    });
    const asleep = handled(SLEEP_MON, "asleep", local("20:00"));
    expect(decide(local("20:11"), asleep, s)[0]).toMatchObject({
      kind: "defer",
      reason: "dwell",
      until: local("20:30"),
    });
    expect(decide(local("20:30"), asleep, s)[0]).toMatchObject({ kind: "act", transition: { to: "awake" } });
  });

  it("holds a sleep while the target is snoozed, and counts grace from the snooze's end", () => {
    const snoozed: TargetState = {
      ...handled(WAKE_MON, "awake", local("08:00")),
      snoozeUntil: local("21:30").toISOString(),
    };
    expect(decide(local("20:05"), snoozed)[0]).toMatchObject({
      kind: "defer",
      reason: "snoozed",
      until: local("21:30"),
    });
    expect(decide(local("21:45"), snoozed)[0]).toMatchObject({ kind: "act", transition: { to: "asleep" } });
    expect(decide(local("22:31"), snoozed)[0]).toMatchObject({ kind: "skip", reason: "missed-sleep" });
  });

  it("does nothing for a disabled schedule (the kill switch) or an unmatched target", () => {
    const awake = handled(WAKE_MON, "awake", local("08:00"));
    expect(decide(local("20:05"), awake, schedule({ enabled: false }))).toEqual([]);
    expect(decide(local("20:05"), awake, schedule(), target({ tags: { env: "prod" } }))).toEqual([]);
  });

  it("refuses to guess when two enabled schedules match one target", () => {
    const decisions = decideTick({
      now: local("20:05"),
      schedules: [schedule(), schedule({ name: "other" })],
      calendars: new Map(),
      targets: [target()],
      states: new Map(),
    });
    expect(decisions).toEqual([
      expect.objectContaining({
        kind: "skip",
        reason: "several-schedules",
        detail: expect.stringContaining("qa-weeknights, other"),
      }),
    ]);
  });

  it("follows ownership.ts: skips the target two enabled schedules match, acts where a disabled one also matches", () => {
    const two = [schedule(), schedule({ name: "other" })];
    const decide = (schedules: Schedule[]) =>
      decideTick({
        now: local("20:05"),
        schedules,
        calendars: new Map(),
        targets: [target()],
        states: new Map([[target().targetId, handled(WAKE_MON, "awake", local("08:00"))]]),
      });
    const conflict = ownershipOf(target(), two);
    expect(conflict.status).toBe("several-schedules");
    expect(decide(two)).toEqual([
      {
        kind: "skip",
        targetId: "prod-hw/c1",
        reason: "several-schedules",
        detail: conflict.status === "several-schedules" ? conflict.message : "",
      },
    ]);
    expect(decide([schedule({ name: "other", enabled: false }), schedule()])).toEqual([
      expect.objectContaining({ kind: "act", schedule: "qa-weeknights" }),
    ]);
  });
});

describe("decideTick: a hold awake an event asked for (functions/resize/)", () => {
  const hold = (at: Date, until: Date) => ({
    heldAwake: {
      at: at.toISOString(),
      until: until.toISOString(),
      operationId: "ev-1:wake",
      rule: "ci-wakes-qa",
    },
  });

  it("holds the sleep until the hold ends, then sleeps (the same slot's operation)", () => {
    const state = {
      ...handled(WAKE_MON, "awake", local("08:00")),
      ...hold(local("19:00"), local("02:00", "2026-11-24")),
    };
    expect(decide(local("20:01"), state)[0]).toMatchObject({
      kind: "defer",
      reason: "held-awake",
      until: local("02:00", "2026-11-24"),
    });
    const [after] = decide(local("02:00", "2026-11-24"), state);
    // Late by six hours, but counted from the hold's end: within the grace window.
    expect(after).toMatchObject({ kind: "act", operationId: `${SLEEP_MON}@prod-hw/c1` });
    expect(stateAfter(after!, state, local("02:00", "2026-11-24"))?.heldAwake).toBeUndefined();
  });

  it("a cluster woken after its sleep sleeps again when the hold ends, with an operation of its own", () => {
    const slept = handled(SLEEP_MON, "asleep", local("20:00"));
    // Without a hold, a cluster woken at 23:00 stays awake until the next transition.
    expect(decide(local("23:30"), slept)[0]).toMatchObject({ kind: "skip", reason: "already-handled" });
    const state = { ...slept, ...hold(local("23:00"), local("02:00", "2026-11-24")) };
    expect(decide(local("23:30"), state)[0]).toMatchObject({ kind: "defer", reason: "held-awake" });
    const [again] = decide(local("02:01", "2026-11-24"), state);
    expect(again).toMatchObject({
      kind: "act",
      operationId: `${SLEEP_MON}@prod-hw/c1#after-hold-${local("23:00").getTime()}`,
    });
    const next = stateAfter(again!, state, local("02:01", "2026-11-24"))!;
    expect(next.heldAwake).toBeUndefined();
    expect(decide(local("02:02", "2026-11-24"), next)[0]).toMatchObject({
      kind: "skip",
      reason: "already-handled",
    });
  });

  it("never holds a wake, and a hold still running is kept by the state written meanwhile", () => {
    const state = {
      ...handled(SLEEP_MON, "asleep", local("20:00")),
      ...hold(local("07:00", "2026-11-24"), local("12:00", "2026-11-24")),
    };
    const [wake] = decide(local("08:00", "2026-11-24"), state);
    expect(wake).toMatchObject({ kind: "act", transition: { to: "awake" } });
    expect(stateAfter(wake!, state, local("08:00", "2026-11-24"))?.heldAwake).toEqual(state.heldAwake);
  });
});

describe("decideTick: a paused schedule (shared/schedule/pause.ts)", () => {
  const awakeSinceMorning = handled(WAKE_MON, "awake", local("08:00"));
  const paused = (at: Date, fields: Partial<SchedulePause> = {}): SchedulePause => ({
    pausedAt: at.toISOString(),
    by: "admin API",
    updatedAt: at.toISOString(),
    ...fields,
  });
  const decidePaused = (now: Date, state: TargetState, pause: SchedulePause, s: Schedule = schedule()) =>
    decideTick({
      now,
      schedules: [s],
      calendars: new Map(),
      targets: [target({ observed: s.enforce ? "awake" : undefined })],
      states: new Map([["prod-hw/c1", state]]),
      pauses: new Map([[s.name, pause]]),
    });

  it("defers the sleep until the pause's end, then sleeps with the slot's own operation", () => {
    const pause = paused(local("19:00"), { until: local("22:00").toISOString(), reason: "release freeze" });
    expect(decidePaused(local("20:00"), awakeSinceMorning, pause)).toEqual([
      expect.objectContaining({
        kind: "defer",
        reason: "paused",
        until: local("22:00"),
        detail: "release freeze",
        transition: expect.objectContaining({ slot: SLEEP_MON }),
      }),
    ]);
    expect(decidePaused(local("21:59"), awakeSinceMorning, pause)[0]).toMatchObject({ kind: "defer" });
    // Two hours after the planned sleep, past the 60-minute grace: counted from the pause's end.
    const [after] = decidePaused(local("22:00"), awakeSinceMorning, pause);
    expect(after).toMatchObject({ kind: "act", operationId: `${SLEEP_MON}@prod-hw/c1`, enforce: false });
    // Without the pause the same tick would find the sleep missed.
    expect(decide(local("22:00"), awakeSinceMorning)[0]).toMatchObject({
      kind: "skip",
      reason: "missed-sleep",
    });
  });

  it("holds a pause without an end until it is resumed, naming no time", () => {
    const pause = paused(local("19:00"));
    const [held] = decidePaused(local("20:30"), awakeSinceMorning, pause);
    expect(held).toMatchObject({ kind: "defer", reason: "paused" });
    expect(held).not.toHaveProperty("until");
    expect(held).not.toHaveProperty("detail");
    expect(decidePaused(local("23:59"), awakeSinceMorning, pause)[0]).toMatchObject({ reason: "paused" });
    // Resumed at 23:00: the schedule's state applies again, the sleep late by three hours.
    const resumed = { ...pause, resumedAt: local("23:00").toISOString(), resumedBy: "admin API" };
    expect(decidePaused(local("23:01"), awakeSinceMorning, resumed)[0]).toMatchObject({
      kind: "act",
      transition: { to: "asleep", slot: SLEEP_MON },
    });
    // Past the grace window after the resume (the ticks stopped): recorded as missed.
    expect(decidePaused(local("00:01", "2026-11-24"), awakeSinceMorning, resumed)[0]).toMatchObject({
      kind: "skip",
      reason: "missed-sleep",
    });
  });

  it("still wakes the schedule's targets", () => {
    const slept = handled(SLEEP_MON, "asleep", local("20:00"));
    const [wake] = decidePaused(local("08:00", "2026-11-24"), slept, paused(local("21:00")));
    expect(wake).toMatchObject({ kind: "act", transition: { to: "awake" }, enforce: false });
    // Resumed after the wake: nothing more to do until the next sleep.
    const woken = stateAfter(wake!, slept, local("08:00", "2026-11-24"))!;
    const resumed = paused(local("21:00"), { resumedAt: local("09:00", "2026-11-24").toISOString() });
    expect(decidePaused(local("09:01", "2026-11-24"), woken, resumed)[0]).toMatchObject({
      kind: "skip",
      reason: "already-handled",
    });
  });

  it("does not revive a sleep that was already late when the pause began", () => {
    // The ticks stopped at 20:00 and came back at 22:00, when someone paused and resumed.
    const pause = paused(local("22:00"), { resumedAt: local("22:05").toISOString() });
    expect(decidePaused(local("22:06"), awakeSinceMorning, pause)[0]).toMatchObject({
      kind: "skip",
      reason: "missed-sleep",
    });
  });

  it("leaves the schedule's other transitions and other schedules alone, and a pause to come holds nothing yet", () => {
    const later = paused(local("21:00"));
    expect(decidePaused(local("20:00"), awakeSinceMorning, later)[0]).toMatchObject({ kind: "act" });
    const [other] = decideTick({
      now: local("20:00"),
      schedules: [schedule()],
      calendars: new Map(),
      targets: [target()],
      states: new Map([["prod-hw/c1", awakeSinceMorning]]),
      pauses: new Map([["another-schedule", paused(local("19:00"))]]),
    });
    expect(other).toMatchObject({ kind: "act" });
  });

  it("holds enforce's convergence to sleep, and converges again once resumed", () => {
    const enforced = schedule({ enforce: true });
    const slept = handled(SLEEP_MON, "asleep", local("20:00"));
    // Someone woke the cluster at 21:00: enforce would put it back to sleep.
    expect(decidePaused(local("21:30"), slept, paused(local("21:10")), enforced)[0]).toMatchObject({
      kind: "defer",
      reason: "paused",
    });
    const resumed = paused(local("21:10"), { resumedAt: local("22:00").toISOString() });
    expect(decidePaused(local("22:01"), slept, resumed, enforced)[0]).toMatchObject({
      kind: "act",
      enforce: true,
      operationId: `${SLEEP_MON}@prod-hw/c1#enforce`,
    });
  });

  it("records a target seen for the first time as usual", () => {
    const [first] = decideTick({
      now: local("20:30"),
      schedules: [schedule()],
      calendars: new Map(),
      targets: [target()],
      states: new Map(),
      pauses: new Map([["qa-weeknights", paused(local("19:00"))]]),
    });
    expect(first).toMatchObject({ kind: "skip", reason: "first-sight" });
  });
});
