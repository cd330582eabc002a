import { describe, expect, it } from "vitest";
import type { OutcomeEvent as EventBridgeEvent, EventPublisher } from "../shared/events/eventbridge.ts";
import { applyWrites, type DecisionWrites } from "../shared/jobs/decision-writes.ts";
import { outboxEntryFor } from "../shared/jobs/outbox.ts";
import { createLogger } from "../shared/log/logger.ts";
import type { Target } from "../shared/providers/inventory.ts";
import { readFleetSavings } from "../shared/savings/fleet-savings.ts";
import type { Rates } from "../shared/savings/rates-schema.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore, type Store } from "../shared/store/store.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { testTarget } from "../test/fixtures/target.ts";
import type { SleepWakeEvent } from "./sleepwake/steps.ts";
import { observedState, outcomeEvent, runTick, type TickDeps } from "./tick.ts";

/** A tick's dependencies with nothing to act on (no schedules, an empty fleet, no providers, a quiet log), but for `fields`. */
function tickDeps(store: Store, fields: Partial<TickDeps> = {}): TickDeps {
  return {
    store,
    log: createLogger({ level: "error", write: () => {} }),
    schedules: [],
    calendars: new Map(),
    inventory: async () => ({ targets: [], errors: [] }),
    providerFor: () => undefined,
    holder: "test",
    ...fields,
  };
}

const finished = (overrides: Partial<SleepWakeEvent["detail"]> = {}): SleepWakeEvent => ({
  detailType: "nightshift.wake",
  detail: {
    kind: "wake",
    operationId: "qa:awake:2026-11-24T08:00@hw/c1",
    target: "hw/c1",
    provider: "huawei",
    account: "hw",
    clusterId: "c1",
    mode: "full",
    schedule: "qa",
    slot: "qa:awake:2026-11-24T08:00",
    requested: "wake",
    outcome: "succeeded",
    taken: ["awake", "restore-pool p1 0→3"],
    before: { pools: { p1: 3 } },
    conflicts: [],
    ...overrides,
  },
});

describe("outcomeEvent", () => {
  const now = new Date("2026-11-24T00:05:00Z");

  it("carries the target, requested and taken action, before, and the operation id", () => {
    expect(outcomeEvent(finished(), now)).toEqual({
      detailType: "nightshift.wake",
      time: now,
      detail: {
        target: "hw/c1",
        requested: "wake",
        taken: "awake, restore-pool p1 0→3",
        before: { pools: { p1: 3 } },
        operationId: "qa:awake:2026-11-24T08:00@hw/c1",
        outcome: "succeeded",
      },
    });
  });

  it("reports a wake that left a human's change in place as a conflict, and failures with their error", () => {
    const conflict = { pool: "p1", expected: 0, found: 5 } as never;
    expect(outcomeEvent(finished({ conflicts: [conflict] }), now).detail).toMatchObject({
      outcome: "conflict",
      after: { conflicts: [conflict] },
    });
    const failed = outcomeEvent(
      finished({ outcome: "failed", taken: [], error: { kind: "auth", message: "signature refused" } }),
      now,
    );
    expect(failed.detail).toMatchObject({
      outcome: "failed",
      taken: "none",
      error: { code: "auth", message: "signature refused" },
    });
  });
});

describe("observedState (for enforce)", () => {
  const cluster = (overrides: Partial<Target>): Target => ({
    targetId: "acct/c1",
    provider: "baidu",
    account: "acct",
    region: "r1",
    id: "c1",
    name: "c1",
    phase: "running",
    vendorPhase: "running",
    tags: {},
    nodePools: [],
    ...overrides,
  });
  const pool = (desired: number) => ({
    id: "p",
    name: "p",
    desired,
    ready: desired,
    phase: "stable" as const,
    vendorPhase: "",
  });

  it("reads a running cluster without pools as awake only where the cloud hibernates, whatever its name", () => {
    expect(observedState(cluster({ provider: "baidu" }), true)).toBe("awake");
    expect(observedState(cluster({ provider: "huawei" }), false)).toBeUndefined();
    expect(observedState(cluster({ phase: "hibernated" }), true)).toBe("asleep");
  });

  it("reads nothing from pools not known, whatever the cloud; a hibernated phase still says asleep", () => {
    const unknown = { poolsUnknown: "not listed yet" };
    expect(observedState(cluster({ ...unknown }), true)).toBeUndefined();
    expect(observedState(cluster({ ...unknown }), false)).toBeUndefined();
    expect(observedState(cluster({ ...unknown, phase: "hibernated" }), true)).toBe("asleep");
  });

  it("otherwise reads the pools: all at zero is asleep", () => {
    expect(observedState(cluster({ nodePools: [pool(0), pool(0)] }), false)).toBe("asleep");
    expect(observedState(cluster({ nodePools: [pool(0), pool(2)] }), true)).toBe("awake");
  });
});

describe("runTick's outbox hook", () => {
  const now = new Date("2026-11-24T00:05:00Z");

  async function tickWith(events: EventPublisher | undefined) {
    const store = createStore(memoryBackend());
    // An operation a previous tick finished before it could publish (it crashed).
    const { operation } = await store.operations.create(
      { id: "op-1", target: "hw/c1", kind: "wake", step: "done", data: {}, status: "succeeded" },
      { now },
    );
    const outbox = await outboxEntryFor(finished(), now, now);
    await store.operations.updateOutbox(operation, outbox, now);
    const sent: EventBridgeEvent[] = [];
    const publisher: EventPublisher | undefined = events && {
      async publish(batch) {
        sent.push(...batch);
        return events.publish(batch);
      },
    };
    const report = await runTick({
      now,
      trigger: "cli",
      deps: tickDeps(store, publisher ? { events: publisher } : {}),
    });
    return { report, sent, entry: (await store.operations.get("op-1", now))?.outbox };
  }

  it("publishes what is due in the outbox, with its event id, and reports it", async () => {
    const { report, sent, entry } = await tickWith({
      publish: async (batch) => ({ sent: batch.length, failed: [] }),
    });
    expect(report.events).toEqual({ sent: 1, failed: 0, undelivered: 0 });
    expect(sent.map((e) => e.detail)).toEqual([
      { eventId: entry!.eventId, ...outcomeEvent(finished(), now).detail },
    ]);
    expect(entry?.state).toBe("published");
  });

  it("with no bus configured, gives up what is left in the outbox", async () => {
    const { report, entry } = await tickWith(undefined);
    expect(report.events).toEqual({ sent: 0, failed: 0, undelivered: 1 });
    expect(entry).toMatchObject({ state: "undelivered", lastError: { code: "NoEventBus" } });
  });
});

describe("runTick on a replica that does not plan", () => {
  const now = new Date("2026-11-23T12:00:00Z");
  async function tickWith(plan: boolean | undefined) {
    const store = createStore(memoryBackend());
    // Due work left by the planner: an operation for an account this replica does not know.
    await store.operations.create(
      { id: "op-1", target: "gone/c1", kind: "sleep", step: "start", data: { account: "gone" } },
      { now },
    );
    let listings = 0;
    const lines: Array<Record<string, unknown>> = [];
    const deps = tickDeps(store, {
      log: createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) }),
      inventory: async () => {
        listings++;
        return { targets: [], errors: [] };
      },
    });
    const report = await runTick({ now, trigger: "ticker", deps, ...(plan === undefined ? {} : { plan }) });
    return { report, listings, tick: lines.find((l) => l.msg === "tick") };
  }

  it("advances the due operations without listing the fleet or deciding", async () => {
    const { report, listings, tick } = await tickWith(false);
    expect(listings).toBe(0);
    expect(report.decisions).toEqual([]);
    expect(report.operations.advanced).toBe(1);
    expect(tick).toMatchObject({ planned: false, advanced: 1 });
  });

  it("plans by default (the planner, a single process, the Worker)", async () => {
    const { report, listings, tick } = await tickWith(undefined);
    expect(listings).toBe(1);
    expect(report.operations.advanced).toBe(1);
    expect(tick).toMatchObject({ planned: true });
  });
});

describe("runTick with waitUntil (the Node ticker within its period)", () => {
  const now = new Date("2026-11-23T12:00:00Z");
  async function tickWaiting(periodMs: number) {
    const store = createStore(memoryBackend());
    // A poll due 3 s into the tick (for an account this process does not know: the step ends it).
    await store.operations.create(
      {
        id: "op-1",
        target: "gone/c1",
        kind: "sleep",
        step: "start",
        data: { account: "gone" },
        nextAttemptAt: new Date(now.getTime() + 3000).toISOString(),
      },
      { now },
    );
    let clock = now.getTime();
    const asked: string[] = [];
    const deps = tickDeps(store, { clock: () => new Date(clock) });
    const report = await runTick({
      now,
      trigger: "ticker",
      deps,
      plan: false,
      waitUntil: async (at) => {
        asked.push(at.toISOString());
        if (at.getTime() >= now.getTime() + periodMs) return false;
        clock = at.getTime();
        return true;
      },
    });
    return { report, asked, op: await store.operations.get("op-1", new Date(clock)) };
  }

  it("runs an operation falling due within the period at its time, then stops with nothing left", async () => {
    const { report, asked, op } = await tickWaiting(8000);
    expect(asked).toEqual(["2026-11-23T12:00:03.000Z"]);
    expect(report.operations.advanced).toBe(1);
    expect(op).toMatchObject({ status: "failed", updatedAt: "2026-11-23T12:00:03.000Z" });
  });

  it("leaves one falling due after the period to the next tick", async () => {
    const { report, asked, op } = await tickWaiting(2000);
    expect(asked).toEqual(["2026-11-23T12:00:03.000Z"]);
    expect(report.operations.advanced).toBe(0);
    expect(op).toMatchObject({ status: "pending" });
  });
});

describe("runTick with sendWrites (the Worker's cron: consumers apply its decisions)", () => {
  const SLEEP = new Date("2026-03-02T12:00:00Z"); // Monday 20:00 in Shanghai
  const targets: Target[] = ["c1", "c2", "c3"].map((id) => ({
    provider: "huawei",
    account: "hw",
    region: "cn-north-4",
    id,
    name: id,
    phase: "running",
    vendorPhase: "Available",
    tags: { night: "yes" },
    targetId: `hw/${id}`,
    nodePools: [{ id: `${id}-p`, name: "pool", desired: 2, ready: 2 }] as Target["nodePools"],
  }));
  const schedule = testSchedule({
    name: "night",
    targets: [{ providers: ["huawei"], tags: { night: "yes" } }],
    rules: [{ to: "asleep", days: ["mon"], at: "20:00" }],
  });

  it("hands every decision's writes on and writes nothing itself; applied, they create each operation once", async () => {
    const store = createStore(memoryBackend());
    const deps = tickDeps(store, {
      schedules: [schedule],
      inventory: async () => ({ targets, errors: [] }),
      dispatch: async () => 0,
    });
    const sent: DecisionWrites[][] = [];
    const cron = {
      ...deps,
      sendWrites: async (writes: readonly DecisionWrites[]) => void sent.push([...writes]),
    };
    const sight = await runTick({ now: new Date(SLEEP.getTime() - 60_000), trigger: "cron", deps: cron });
    expect(sight.operations).toMatchObject({ created: 0, sent: 3 });
    expect(await store.targets.list(SLEEP)).toEqual([]);
    for (const writes of sent.flat()) await applyWrites(store, writes, SLEEP);
    const night = await runTick({ now: SLEEP, trigger: "cron", deps: cron });
    expect(night.operations).toMatchObject({ created: 0, sent: 3 });
    expect(await store.operations.list({}, SLEEP)).toEqual([]);
    // Applied twice (a duplicated message): one operation and one "scheduled" entry per target.
    const at = new Date(SLEEP.getTime() + 5_000);
    const applied = [];
    for (const writes of [...sent[1]!, ...sent[1]!]) applied.push(await applyWrites(store, writes, at));
    expect(applied.map((a) => a.created)).toEqual([true, true, true, false, false, false]);
    expect(applied.map((a) => a.stateWritten)).toEqual([true, true, true, false, false, false]);
    const ops = await store.operations.list({}, at);
    expect(ops.map((op) => op.target).sort()).toEqual(["hw/c1", "hw/c2", "hw/c3"]);
    const scheduled = await store.ledger.query({ target: "hw/c1" });
    expect(scheduled.filter((e) => e.kind === "sleep.scheduled")).toHaveLength(1);
    // The next tick sees the state the consumers wrote: nothing more to do.
    const after = await runTick({ now: new Date(SLEEP.getTime() + 60_000), trigger: "cron", deps: cron });
    expect(after.operations.sent).toBeUndefined();
  });
});

describe("runTick's savings summary (shared/savings/fleet-savings.ts)", () => {
  const now = new Date("2026-11-22T12:00:00Z");
  const fleet = { targets: [testTarget()], errors: [] };
  const rates: Rates[] = [
    {
      kind: "rates",
      name: "all",
      source: "schedules/rates.yaml",
      currency: "EUR",
      teamTag: "team",
      targets: [{ accounts: ["hw"] }],
      cluster: 2,
      pools: [],
    },
  ];
  const slept = async (store: Store) => {
    await store.ledger.append({
      at: new Date(now.getTime() - 5 * 3600_000),
      operationId: "s",
      target: "hw/c1",
      kind: "sleep.succeeded",
      detail: {},
    });
  };

  it("a planning tick computes it from the ledger as of its time, within the pages it is given", async () => {
    const store = createStore(memoryBackend());
    await slept(store);
    const pages: number[] = [];
    const deps = tickDeps(store, {
      inventory: async () => fleet,
      rates,
      savingsPages: () => {
        pages.push(3);
        return 3;
      },
    });
    const report = await runTick({ now, trigger: "cron", deps });
    expect(report.savings).toEqual({ status: "computed", pages: 1, through: now.toISOString() });
    expect(pages).toEqual([3]);
    expect(await readFleetSavings(store, rates, now)).toMatchObject({
      savings: { currency: "EUR", computedAt: now.toISOString(), hours: 5, amount: 10, targets: 1 },
    });
    // The next tick within ten minutes only reads that it is fresh.
    const next = await runTick({ now: new Date(now.getTime() + 60_000), trigger: "cron", deps });
    expect(next.savings).toEqual({ status: "fresh", computedAt: now.toISOString() });
  });

  it("a dry run or a replica that does not plan leaves it alone", async () => {
    const store = createStore(memoryBackend());
    await slept(store);
    const deps = tickDeps(store, { inventory: async () => fleet, rates });
    expect((await runTick({ now, trigger: "cli", deps, dryRun: true })).savings).toBeUndefined();
    expect((await runTick({ now, trigger: "ticker", deps, plan: false })).savings).toBeUndefined();
    expect(await readFleetSavings(store, rates, now)).toBeUndefined();
  });
});
