// Pausing and resuming a schedule as the API and the dashboard call it: what the record says, what
// is refused (naming the field), one ledger entry per request however often it is retried, and the
// pure reading of a record (when it holds, what it defers, how it is shown).
import { describe, expect, it } from "vitest";
import { countingBackend } from "../../test/contract/store/counting-backend.ts";
import { testSchedule } from "../../test/fixtures/schedule.ts";
import type { LedgerEntryInput, StoreBackend } from "../store/backend.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore, type SchedulePause, type Store } from "../store/store.ts";
import {
  deferredByPause,
  MAX_PAUSE_DAYS,
  pauseHolds,
  pauseLedgerTarget,
  pauseSchedule,
  pauseView,
  readPauses,
  resumeSchedule,
} from "./pause.ts";

const NOW = new Date("2026-11-23T10:00:00Z");
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
const schedules = [testSchedule({ name: "qa" }), testSchedule({ name: "berlin" })];
const entries = (store: Store) => store.ledger.query({ target: pauseLedgerTarget("qa") });

function fresh() {
  const store = createStore(memoryBackend());
  return { store, deps: { store, schedules } };
}

describe("pauseSchedule", () => {
  it("pauses until a time, records who and why, and appends one entry", async () => {
    const { store, deps } = fresh();
    const outcome = await pauseSchedule(deps, "qa", {
      until: minutes(120),
      reason: "  release freeze ",
      by: "dashboard",
      now: NOW,
    });
    expect(outcome).toEqual({
      ok: true,
      schedule: "qa",
      changed: true,
      pause: {
        since: NOW.toISOString(),
        until: minutes(120).toISOString(),
        reason: "release freeze",
        by: "dashboard",
      },
    });
    const stored = await store.schedulePauses.get("qa", NOW);
    expect(stored?.value).toMatchObject({ pausedAt: NOW.toISOString(), until: minutes(120).toISOString() });
    expect(await entries(store)).toEqual([
      expect.objectContaining({
        kind: "schedule.paused",
        target: "schedule:qa",
        at: NOW,
        detail: {
          schedule: "qa",
          until: minutes(120).toISOString(),
          reason: "release freeze",
          by: "dashboard",
          since: NOW.toISOString(),
        },
      }),
    ]);
    expect(await store.schedulePauses.get("berlin", NOW)).toBeUndefined();
  });

  it("changes a pause that holds, keeping its start; a pause after one ended starts anew", async () => {
    const { store, deps } = fresh();
    await pauseSchedule(deps, "qa", { until: minutes(60), by: "admin API", now: NOW });
    const changed = await pauseSchedule(deps, "qa", { by: "admin API", now: minutes(30) });
    expect(changed).toMatchObject({ ok: true, pause: { since: NOW.toISOString(), until: null } });
    const resumed = await resumeSchedule(deps, "qa", { by: "admin API", now: minutes(40) });
    expect(resumed).toEqual({ ok: true, schedule: "qa", pause: null, changed: true });
    const again = await pauseSchedule(deps, "qa", { by: "admin API", now: minutes(50) });
    expect(again).toMatchObject({ pause: { since: minutes(50).toISOString() } });
    expect((await store.schedulePauses.get("qa", minutes(50)))?.value.resumedAt).toBeUndefined();
    expect((await entries(store)).map((e) => e.kind)).toEqual([
      "schedule.paused",
      "schedule.paused",
      "schedule.resumed",
      "schedule.paused",
    ]);
  });

  it("refuses an unknown schedule, saying how to list them, and bad times and reasons, naming the field", async () => {
    const { store, deps } = fresh();
    expect(await pauseSchedule(deps, "nope", { by: "admin API", now: NOW })).toMatchObject({
      ok: false,
      status: 404,
      code: "unknown_schedule",
      message: expect.stringContaining("GET /api/schedules"),
    });
    expect(await pauseSchedule(deps, "qa", { until: NOW, by: "admin API", now: NOW })).toMatchObject({
      ok: false,
      status: 400,
      field: "until",
      message: expect.stringContaining("in the future"),
    });
    const tooLate = new Date(NOW.getTime() + (MAX_PAUSE_DAYS * 24 * 60 + 1) * 60_000);
    expect(await pauseSchedule(deps, "qa", { until: tooLate, by: "admin API", now: NOW })).toMatchObject({
      ok: false,
      field: "until",
      message: expect.stringContaining(`at most ${MAX_PAUSE_DAYS} days`),
    });
    expect(
      await pauseSchedule(deps, "qa", { reason: "x".repeat(501), by: "admin API", now: NOW }),
    ).toMatchObject({ ok: false, field: "reason" });
    // Exactly the cap is fine.
    const latest = new Date(NOW.getTime() + MAX_PAUSE_DAYS * 24 * 3600_000);
    expect(await pauseSchedule(deps, "qa", { until: latest, by: "admin API", now: NOW })).toMatchObject({
      ok: true,
    });
    expect((await entries(store)).length).toBe(1);
  });
});

describe("resumeSchedule", () => {
  it("ends the pause now; a schedule not paused (never, resumed, or past its until) is left as it is", async () => {
    const { store, deps } = fresh();
    expect(await resumeSchedule(deps, "qa", { by: "admin API", now: NOW })).toEqual({
      ok: true,
      schedule: "qa",
      pause: null,
      changed: false,
    });
    await pauseSchedule(deps, "qa", { until: minutes(60), by: "admin API", now: NOW });
    expect(await resumeSchedule(deps, "qa", { by: "admin API", now: minutes(61) })).toMatchObject({
      changed: false,
    });
    await pauseSchedule(deps, "qa", { by: "admin API", now: minutes(70) });
    const resumed = await resumeSchedule(deps, "qa", {
      reason: "freeze over",
      by: "dashboard",
      now: minutes(80),
    });
    expect(resumed).toMatchObject({ ok: true, changed: true, pause: null });
    expect((await store.schedulePauses.get("qa", minutes(80)))?.value).toMatchObject({
      pausedAt: minutes(70).toISOString(),
      resumedAt: minutes(80).toISOString(),
      resumedBy: "dashboard",
    });
    expect(await resumeSchedule(deps, "qa", { by: "admin API", now: minutes(81) })).toMatchObject({
      changed: false,
    });
    const resumes = (await entries(store)).filter((e) => e.kind === "schedule.resumed");
    expect(resumes).toEqual([
      expect.objectContaining({
        detail: {
          schedule: "qa",
          pausedAt: minutes(70).toISOString(),
          reason: "freeze over",
          by: "dashboard",
        },
      }),
    ]);
    expect(await resumeSchedule(deps, "nope", { by: "admin API", now: NOW })).toMatchObject({ status: 404 });
  });
});

describe("one ledger entry per request", () => {
  it("a request retried with its key appends nothing more, also after a write whose entry was lost", async () => {
    const backend = memoryBackend();
    const store = createStore(backend);
    const deps = { store, schedules };
    const request = { until: minutes(60), by: "admin API", key: "k-1", now: NOW };
    await pauseSchedule(deps, "qa", request);
    await pauseSchedule(deps, "qa", { ...request, now: minutes(1) });
    expect((await entries(store)).length).toBe(1);

    // A resume whose process died after its write, before its entry: the retry appends it.
    const noAppend: StoreBackend = Object.assign(Object.create(backend), {
      append: async (entry: LedgerEntryInput) => {
        if (entry.kind === "schedule.resumed") throw new Error("gone");
        return backend.append(entry);
      },
    });
    await expect(
      resumeSchedule({ store: createStore(noAppend), schedules }, "qa", {
        by: "admin API",
        key: "k-2",
        now: minutes(5),
      }),
    ).rejects.toThrow("gone");
    expect((await entries(store)).map((e) => e.kind)).toEqual(["schedule.paused"]);
    expect((await store.schedulePauses.get("qa", minutes(5)))?.value.resumedAt).toBe(
      minutes(5).toISOString(),
    );
    const retried = await resumeSchedule(deps, "qa", { by: "admin API", key: "k-2", now: minutes(6) });
    expect(retried).toMatchObject({ ok: true, changed: true, pause: null });
    const [, resumed, ...more] = await entries(store);
    expect(more).toEqual([]);
    expect(resumed).toMatchObject({ kind: "schedule.resumed", at: minutes(5) });
  });

  it("without a key, the entry a lost append owed is appended by the schedule's next change", async () => {
    const backend = memoryBackend();
    const store = createStore(backend);
    const noAppend: StoreBackend = Object.assign(Object.create(backend), {
      append: async () => {
        throw new Error("gone");
      },
    });
    await expect(
      pauseSchedule({ store: createStore(noAppend), schedules }, "qa", { by: "admin API", now: NOW }),
    ).rejects.toThrow("gone");
    expect(await entries(store)).toEqual([]);
    await resumeSchedule({ store, schedules }, "qa", { by: "admin API", now: minutes(10) });
    expect((await entries(store)).map((e) => [e.kind, e.at])).toEqual([
      ["schedule.paused", NOW],
      ["schedule.resumed", minutes(10)],
    ]);
  });

  it("two requests without keys are two pauses, each with its entry", async () => {
    const { store, deps } = fresh();
    await pauseSchedule(deps, "qa", { by: "admin API", now: NOW });
    await pauseSchedule(deps, "qa", { by: "admin API", now: NOW });
    expect((await entries(store)).length).toBe(2);
  });
});

describe("reading pauses", () => {
  const pause: SchedulePause = {
    pausedAt: NOW.toISOString(),
    until: minutes(60).toISOString(),
    reason: "freeze",
    by: "admin API",
    updatedAt: NOW.toISOString(),
  };

  it("holds from its start until its end (until, or the resume)", () => {
    expect(pauseHolds(pause, minutes(-1))).toBe(false);
    expect(pauseHolds(pause, NOW)).toBe(true);
    expect(pauseHolds(pause, minutes(59))).toBe(true);
    expect(pauseHolds(pause, minutes(60))).toBe(false);
    expect(pauseHolds({ ...pause, resumedAt: minutes(10).toISOString() }, minutes(10))).toBe(false);
    const { until: _, ...open } = pause;
    expect(pauseHolds(open, minutes(100_000))).toBe(true);
    expect(pauseHolds(undefined, NOW)).toBe(false);
  });

  it("defers the sleeps it holds, never a wake, and shows itself only while it holds", () => {
    expect(deferredByPause(pause, { to: "asleep", at: minutes(30) })).toEqual({
      deferred: { reason: "paused", until: minutes(60).toISOString() },
    });
    expect(deferredByPause(pause, { to: "awake", at: minutes(30) })).toEqual({});
    expect(deferredByPause(pause, { to: "asleep", at: minutes(90) })).toEqual({});
    expect(pauseView(pause, minutes(1))).toEqual({
      since: NOW.toISOString(),
      until: minutes(60).toISOString(),
      reason: "freeze",
      by: "admin API",
    });
    expect(pauseView(pause, minutes(61))).toBeNull();
  });

  it("reads every schedule's pause in one store read", async () => {
    const counting = countingBackend(memoryBackend());
    const store = createStore(counting.backend);
    for (const name of ["qa", "berlin"])
      await pauseSchedule({ store, schedules }, name, { by: "admin API", now: NOW });
    counting.reset();
    const pauses = await readPauses(store, NOW);
    expect([...pauses.keys()].sort()).toEqual(["berlin", "qa"]);
    expect(counting.counts).toEqual({ reads: 1, rows: 2, writes: 0 });
  });
});
