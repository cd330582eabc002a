// A paused schedule through the tick (functions/tick.ts), on the memory store: the tick reads every
// schedule's pause in ONE store read however many targets there are, defers the paused schedule's
// sleeps without writing anything, still wakes, sends no pre-action notice of a sleep the pause
// holds, and sleeps once the pause is resumed.
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import type { Target } from "../shared/providers/inventory.ts";
import { pauseSchedule, resumeSchedule } from "../shared/schedule/pause.ts";
import type { StoreBackend } from "../shared/store/backend.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore, type TargetState } from "../shared/store/store.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { testTarget } from "../test/fixtures/target.ts";
import { runTick, type TickDeps } from "./tick.ts";

const SLEEP = new Date("2026-11-23T12:00:00Z"); // Monday 20:00 in Shanghai
const WAKE = new Date("2026-11-24T00:00:00Z"); // Tuesday 08:00
const minutes = (at: Date, n: number) => new Date(at.getTime() + n * 60_000);
const TARGETS = 40;

const qa = testSchedule({
  name: "qa",
  targets: [{ tags: { env: "qa" } }],
  rules: [
    { to: "asleep", days: ["mon", "tue", "wed"], at: "20:00" },
    { to: "awake", days: ["mon", "tue", "wed"], at: "08:00" },
  ],
  notice: { minutesBefore: 15, webhookUrl: "https://hooks.example.com/nightshift" },
});
const prod = testSchedule({
  name: "prod",
  targets: [{ tags: { env: "prod" } }],
  rules: [{ to: "asleep", days: ["mon"], at: "20:00" }],
});
const targets: Target[] = Array.from({ length: TARGETS }, (_, i) =>
  testTarget({ targetId: `hw/c${i}`, id: `c${i}`, name: `c${i}`, tags: { env: i === 0 ? "prod" : "qa" } }),
);
const awake: TargetState = {
  lastTransition: {
    to: "awake",
    at: "2026-11-23T00:00:00.000Z",
    slot: "qa:awake:2026-11-23T08:00",
    by: "schedule",
  },
};

/** The memory backend, counting `list` calls per namespace. */
function listCounting() {
  const inner = memoryBackend();
  const lists = new Map<string, number>();
  const backend: StoreBackend = Object.assign(Object.create(inner), {
    list: (namespace: string, ...rest: [{ prefix?: string; limit?: number }, Date]) => {
      lists.set(namespace, (lists.get(namespace) ?? 0) + 1);
      return inner.list(namespace, ...rest);
    },
  });
  return { store: createStore(backend), lists };
}

describe("the tick and a paused schedule", () => {
  it("reads the pauses once per tick, defers the paused schedule's sleeps only, wakes, and sleeps after the resume", async () => {
    const { store, lists } = listCounting();
    for (const t of targets) await store.targets.put(t.targetId, awake, null, minutes(SLEEP, -60));
    const notices: string[] = [];
    const deps: TickDeps = {
      store,
      log: createLogger({ level: "error", write: () => {} }),
      schedules: [qa, prod],
      calendars: new Map(),
      inventory: async () => ({ targets, errors: [] }),
      providerFor: () => undefined,
      holder: "test",
      notices: {
        settings: { secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] },
        fetch: async (url) => {
          notices.push(String(url));
          return new Response(null, { status: 204 });
        },
      },
    };
    const tick = (now: Date) => runTick({ now, trigger: "ticker", deps, dryRun: false });
    const schedules = [qa, prod];

    await pauseSchedule({ store, schedules }, "qa", {
      reason: "release freeze",
      by: "test",
      now: minutes(SLEEP, -30),
    });

    // 19:50: within the notice's 15 minutes, but the pause holds the sleep: no notice.
    lists.clear();
    const before = await tick(minutes(SLEEP, -10));
    expect(before.errors).toEqual([]);
    expect(notices).toEqual([]);
    expect(lists.get("schedule-pause")).toBe(1);

    // 20:00: the 39 targets of qa wait; prod's one target sleeps.
    lists.clear();
    const night = await tick(SLEEP);
    expect(lists.get("schedule-pause")).toBe(1);
    const deferred = night.decisions.filter((d) => d.kind === "defer");
    expect(deferred).toHaveLength(TARGETS - 1);
    expect(deferred[0]).toMatchObject({
      schedule: "qa",
      reason: "paused",
      to: "asleep",
      detail: "release freeze",
    });
    expect(night.decisions.filter((d) => d.kind === "act")).toEqual([
      expect.objectContaining({ target: "hw/c0", schedule: "prod", to: "asleep" }),
    ]);
    expect((await store.operations.list({}, SLEEP)).map((op) => op.id)).toEqual([
      "prod:asleep:2026-11-23T20:00@hw/c0",
    ]);
    // Nothing remembered for the deferred targets: their slot is still open.
    expect((await store.targets.get("hw/c1", SLEEP))?.value).toEqual(awake);

    // Tuesday 08:00, still paused: the wake happens (it is the latest transition now).
    const morning = await tick(WAKE);
    expect(morning.decisions.filter((d) => d.kind === "act" && d.schedule === "qa")).toHaveLength(
      TARGETS - 1,
    );

    // Tuesday 20:00, paused: deferred; resumed at 21:00: the sleep happens at the next tick.
    const tuesday = minutes(WAKE, 12 * 60);
    expect((await tick(tuesday)).decisions.filter((d) => d.reason === "paused")).toHaveLength(TARGETS - 1);
    await resumeSchedule({ store, schedules }, "qa", { by: "test", now: minutes(tuesday, 60) });
    const resumed = await tick(minutes(tuesday, 61));
    const sleeps = resumed.decisions.filter((d) => d.kind === "act" && d.to === "asleep");
    expect(sleeps).toHaveLength(TARGETS - 1);
    expect(sleeps[0]?.operationId).toBe("qa:asleep:2026-11-24T20:00@hw/c1");

    // Not paused any more: Wednesday's sleep is announced to every target.
    await tick(minutes(tuesday, 24 * 60 - 10));
    expect(notices).toHaveLength(TARGETS - 1);
  });
});
