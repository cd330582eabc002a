// The fleet's savings summary as the tick keeps it: computed exactly as of the tick's time, read
// over several ticks when the ledger is larger than one may read, fresh for ten minutes, computed
// again for new rates, written once when two ticks race, and absent on a fresh install.
import { describe, expect, it } from "vitest";
import { testSchedule } from "../../test/fixtures/schedule.ts";
import { testTarget } from "../../test/fixtures/target.ts";
import { compileOwnership } from "../schedule/ownership.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore, type Store } from "../store/store.ts";
import { estimateSavings } from "./estimate.ts";
import { readFleetSavings, refreshFleetSavings, SAVINGS_SCAN_KEY } from "./fleet-savings.ts";
import type { FleetSavings } from "./fleet-scan.ts";
import type { Rates } from "./rates-schema.ts";
import { sleepIntervals } from "./sleep-intervals.ts";

/** Sunday 22 November 2026, 12:00 UTC (20:00 in Shanghai): the period is from 23 October 12:00 UTC. */
const NOW = new Date("2026-11-22T12:00:00Z");
const MINUTE = 60_000;

const RATES: Rates[] = [
  {
    kind: "rates",
    name: "fleet",
    source: "schedules/rates.yaml",
    currency: "CNY",
    teamTag: "team",
    targets: [{ accounts: ["hw", "ali"] }],
    cluster: 0.5,
    pools: [{ match: { name: "*" }, rate: { perNode: 1 } }],
  },
];

/** hw/c1 (Shanghai, team platform), ali/c2 (no schedule: UTC, no team tag), bd/c3 (no rates). */
const TARGETS = [
  testTarget({ tags: { team: "platform" } }),
  testTarget({ targetId: "ali/c2", provider: "alibaba", account: "ali", id: "c2", name: "web", tags: {} }),
  testTarget({ targetId: "bd/c3", provider: "baidu", account: "bd", id: "c3", name: "data", tags: {} }),
];
const SCHEDULES = [
  testSchedule({ name: "shanghai", timezone: "Asia/Shanghai", targets: [{ accounts: ["hw"] }] }),
];
const ownershipOf = compileOwnership(SCHEDULES);

async function append(
  store: Store,
  at: string,
  target: string,
  operationId: string,
  kind: string,
  detail = {},
) {
  await store.ledger.append({ at: new Date(at), operationId, target, kind, detail });
}

/** The month's nights, in the order a ledger may hold them (append order is not time order). */
async function nights(store: Store): Promise<void> {
  // hw/c1: 3 nodes and the cluster (3.5/h) asleep Tue 20:00 to Wed 08:00 in Shanghai: 4 h + 8 h.
  await append(store, "2026-11-17T11:59:00Z", "hw/c1", "s1", "sleep.scale-pool", {
    pool: "p1",
    name: "workers",
    before: { desired: 3 },
  });
  await append(store, "2026-11-17T12:00:00Z", "hw/c1", "s1", "sleep.succeeded");
  await append(store, "2026-11-18T00:00:00Z", "hw/c1", "w1", "wake.awake");
  await append(store, "2026-11-18T00:05:00Z", "hw/c1", "w1", "wake.succeeded");
  // ...and asleep again since 18:00 Shanghai today: 2 h up to now, its pools' entry appended late.
  await append(store, "2026-11-22T10:00:00Z", "hw/c1", "s2", "sleep.succeeded");
  await append(store, "2026-11-22T09:59:00Z", "hw/c1", "s2", "sleep.scale-pool", {
    pool: "p1",
    name: "workers",
    before: { desired: 3 },
  });
  // ali/c2: the cluster alone (0.5/h) asleep from before the period: only its last 24 h count (UTC).
  await append(store, "2026-10-22T12:00:00Z", "ali/c2", "b1", "sleep.succeeded");
  await append(store, "2026-10-24T12:00:00Z", "ali/c2", "b2", "wake.awake");
  // bd/c3: asleep 6 h, priced by no rates.
  await append(store, "2026-11-22T02:00:00Z", "bd/c3", "c1", "sleep.succeeded");
  await append(store, "2026-11-22T08:00:00Z", "bd/c3", "c2", "wake.succeeded");
  // What is not a sleep, and a target no longer in the fleet, count nothing.
  await append(store, "2026-11-19T03:00:00Z", "hw/c1", "r1", "resize.applied");
  await append(store, "2026-11-19T03:00:00Z", "gone/c9", "g1", "sleep.succeeded");
}

const EXPECTED: FleetSavings = {
  currency: "CNY",
  computedAt: NOW.toISOString(),
  from: "2026-10-23T12:00:00.000Z",
  to: NOW.toISOString(),
  teams: [
    {
      team: "platform",
      targets: 1,
      hours: 14,
      amount: 49,
      days: [
        { date: "2026-11-17", hours: 4, amount: 14 },
        { date: "2026-11-18", hours: 8, amount: 28 },
        { date: "2026-11-22", hours: 2, amount: 7 },
      ],
      months: [{ month: "2026-11", hours: 14, amount: 49 }],
    },
    {
      targets: 1,
      hours: 24,
      amount: 12,
      days: [
        { date: "2026-10-23", hours: 12, amount: 6 },
        { date: "2026-10-24", hours: 12, amount: 6 },
      ],
      months: [{ month: "2026-10", hours: 24, amount: 12 }],
    },
  ],
  targets: 2,
  unrated: [{ target: "bd/c3", hours: 6 }],
  hours: 38,
  amount: 61,
  days: [
    { date: "2026-10-23", hours: 12, amount: 6 },
    { date: "2026-10-24", hours: 12, amount: 6 },
    { date: "2026-11-17", hours: 4, amount: 14 },
    { date: "2026-11-18", hours: 8, amount: 28 },
    { date: "2026-11-22", hours: 2, amount: 7 },
  ],
  months: [
    { month: "2026-10", hours: 24, amount: 12 },
    { month: "2026-11", hours: 14, amount: 49 },
  ],
  complete: true,
};

const refresh = (store: Store, now: Date, pages = 100, rates = RATES) =>
  refreshFleetSavings({ store, targets: TARGETS, ownershipOf, rates, now, pages });

describe("refreshFleetSavings", () => {
  it("computes the last 30 days' savings as of the tick's time, by team, exactly", async () => {
    const store = createStore(memoryBackend());
    await nights(store);
    expect(await refresh(store, NOW)).toEqual({ status: "computed", pages: 1, through: NOW.toISOString() });
    expect(await readFleetSavings(store, RATES, NOW)).toEqual({ savings: EXPECTED, otherRates: false });
    // The same as the estimate of each target's intervals at once (estimate.ts, the target page's).
    const entries = await store.ledger.query({ limit: 1000 });
    const batch = estimateSavings({
      targets: TARGETS.map((target) => ({
        target,
        intervals: sleepIntervals(entries.filter((e) => e.target === target.targetId)),
        timezone: target.account === "hw" ? "Asia/Shanghai" : "UTC",
      })),
      rates: RATES,
      from: new Date(EXPECTED.from),
      to: NOW,
      now: NOW,
      timezone: "UTC",
    });
    expect(batch.teams).toEqual(EXPECTED.teams);
    expect(batch.unrated).toEqual(EXPECTED.unrated);
    expect([batch.hours, batch.amount, batch.days, batch.months]).toEqual([
      EXPECTED.hours,
      EXPECTED.amount,
      EXPECTED.days,
      EXPECTED.months,
    ]);
  });

  it("reads a ledger larger than one tick may over several ticks, to the same summary", async () => {
    const store = createStore(memoryBackend());
    await nights(store);
    // 6,000 entries of no sleep, spread over the period (and appended after the nights).
    const start = Date.parse("2026-10-01T00:00:00Z");
    for (let i = 0; i < 6000; i++)
      await store.ledger.append({
        at: new Date(start + i * 10 * MINUTE),
        operationId: `r${i}`,
        target: "hw/c1",
        kind: "resize.decided",
        detail: {},
      });
    const statuses: string[] = [];
    for (let tick = 0; tick < 40; tick++) {
      // The ticks come a minute apart: the scan stays as of its first.
      const result = await refresh(store, new Date(NOW.getTime() + tick * MINUTE), 2);
      if (result.status === "fresh") break;
      expect(result.pages).toBeLessThanOrEqual(2);
      statuses.push(result.status);
    }
    expect(statuses.at(-1)).toBe("computed");
    expect(statuses.filter((s) => s === "scanning").length).toBeGreaterThan(3);
    expect((await readFleetSavings(store, RATES, NOW))?.savings).toEqual(EXPECTED);
    expect(await store.shared.get(SAVINGS_SCAN_KEY, NOW)).toBeUndefined();
  });

  it("stays fresh for ten minutes, then is computed again as of that tick; other rates compute it at once", async () => {
    const store = createStore(memoryBackend());
    await nights(store);
    await refresh(store, NOW);
    await append(store, new Date(NOW.getTime() + 5 * MINUTE).toISOString(), "hw/c1", "w2", "wake.awake");
    const later = (minutes: number) => new Date(NOW.getTime() + minutes * MINUTE);
    expect(await refresh(store, later(9))).toEqual({ status: "fresh", computedAt: NOW.toISOString() });
    expect((await refresh(store, later(11))).status).toBe("computed");
    const again = (await readFleetSavings(store, RATES, later(11)))!.savings;
    expect(again.computedAt).toBe(later(11).toISOString());
    // The sleep under way ended at the wake: 2 h 5 min at 3.5/h, on 22 November in Shanghai.
    expect(again.teams[0]?.days.at(-1)).toEqual({ date: "2026-11-22", hours: 2.083333, amount: 7.291667 });

    const cheaper: Rates[] = [{ ...RATES[0]!, cluster: 0.25 }];
    expect(await readFleetSavings(store, cheaper, later(12))).toMatchObject({ otherRates: true });
    expect((await refresh(store, later(12), 100, cheaper)).status).toBe("computed");
    expect(await readFleetSavings(store, cheaper, later(12))).toMatchObject({
      otherRates: false,
      // The period now starts 12 minutes later: ali/c2's 23.8 h at the new 0.25/h.
      savings: { teams: [{ team: "platform" }, { hours: 23.8, amount: 5.95 }] },
    });
  });

  it("is written once when two ticks refresh it at the same time", async () => {
    const store = createStore(memoryBackend());
    await nights(store);
    const results = await Promise.all([refresh(store, NOW), refresh(store, NOW)]);
    expect(results.map((r) => r.status).sort()).toEqual(["computed", "lost-race"]);
    expect((await store.shared.get("savings-summary", NOW))?.version).toBe(1);
  });

  it("leaves out, and says so, a moment holding more entries than a tick may read", async () => {
    const store = createStore(memoryBackend());
    await nights(store);
    for (let i = 0; i < 1500; i++)
      await append(store, "2026-11-20T00:00:00Z", "hw/c1", `x${i}`, "resize.decided");
    let result = await refresh(store, NOW, 1);
    for (let tick = 1; tick < 200 && result.status === "scanning"; tick++)
      result = await refresh(store, NOW, 1);
    expect(result.status).toBe("computed");
    const savings = (await readFleetSavings(store, RATES, NOW))!.savings;
    expect(savings.complete).toBe(false);
    // Everything else is counted.
    expect(savings.hours).toBe(EXPECTED.hours);
  });

  it("is not computed on a fresh install", async () => {
    expect(await readFleetSavings(createStore(memoryBackend()), RATES, NOW)).toBeUndefined();
  });
});
