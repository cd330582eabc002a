// The planner lease on the memory store, with an injected real-time clock: one planner at a time,
// kept while renewed, taken over once a dead planner's lease ran out, handed over on release.
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../store/memory.ts";
import { createStore, type Store } from "../store/store.ts";
import { createPlannerLease, PLANNER_LEASE, plannerLeaseTtlMs } from "./planner-lease.ts";

const T0 = Date.parse("2026-03-02T20:00:00Z");
const TICK_SECONDS = 15;
const TTL = plannerLeaseTtlMs(TICK_SECONDS);

function replicas(store: Store, names: string[]) {
  let now = T0;
  const clock = {
    advance: (ms: number) => {
      now += ms;
    },
  };
  const leases = names.map((holder) =>
    createPlannerLease({ store, holder, ttlMs: TTL, now: () => new Date(now) }),
  );
  return { clock, leases };
}

describe("planner lease", () => {
  it("lasts two tick intervals", () => {
    expect(plannerLeaseTtlMs(TICK_SECONDS)).toBe(30_000);
  });

  it("has one planner; the others are told who it is", async () => {
    const store = createStore(memoryBackend());
    const { leases } = replicas(store, ["a", "b", "c"]);
    const [a, b, c] = leases;
    expect(await a!.claim()).toEqual({ plans: true, changed: true });
    expect(await b!.claim()).toEqual({ plans: false, changed: false, holder: "a" });
    expect(await c!.claim()).toEqual({ plans: false, changed: false, holder: "a" });
  });

  it("gives exactly one planner among replicas claiming at the same instant", async () => {
    const store = createStore(memoryBackend());
    const { leases } = replicas(store, ["a", "b", "c", "d", "e"]);
    const claims = await Promise.all(leases.map((lease) => lease.claim()));
    expect(claims.filter((claim) => claim.plans)).toHaveLength(1);
  });

  it("stays with a planner that renews every tick, for longer than the TTL", async () => {
    const store = createStore(memoryBackend());
    const { clock, leases } = replicas(store, ["a", "b"]);
    const [a, b] = leases;
    await a!.claim();
    for (let tick = 0; tick < 10; tick++) {
      clock.advance(TICK_SECONDS * 1000);
      expect(await a!.claim()).toEqual({ plans: true, changed: false });
      expect((await b!.claim()).plans).toBe(false);
    }
  });

  it("survives a renewal one tick late, and is taken over once a dead planner's TTL ran out", async () => {
    const store = createStore(memoryBackend());
    const { clock, leases } = replicas(store, ["a", "b"]);
    const [a, b] = leases;
    await a!.claim();
    clock.advance(2 * TICK_SECONDS * 1000 - 1);
    expect(await b!.claim()).toEqual({ plans: false, changed: false, holder: "a" });
    expect(await a!.claim()).toEqual({ plans: true, changed: false });
    // a dies: nothing renews it any more.
    clock.advance(TTL - 1);
    expect((await b!.claim()).plans).toBe(false);
    clock.advance(1);
    expect(await b!.claim()).toEqual({ plans: true, changed: true });
    // a comes back (it was only hung): it learns that it no longer plans.
    expect(await a!.claim()).toEqual({ plans: false, changed: true, holder: "b" });
    expect(await a!.claim()).toEqual({ plans: false, changed: false, holder: "b" });
  });

  it("is handed over at once on release, and a stale holder's release frees nothing", async () => {
    const store = createStore(memoryBackend());
    const { clock, leases } = replicas(store, ["a", "b", "c"]);
    const [a, b, c] = leases;
    await a!.claim();
    clock.advance(TTL);
    await b!.claim();
    // a's token is stale: releasing must not free b's lease.
    await a!.release();
    expect((await c!.claim()).plans).toBe(false);
    await b!.release();
    expect(await c!.claim()).toEqual({ plans: true, changed: true });
    expect(
      (await store.leases.acquire(PLANNER_LEASE, { holder: "x", ttlMs: 1, now: new Date(T0 + TTL) }))
        .acquired,
    ).toBe(false);
  });

  it("answers concurrent claims of one replica with one store round", async () => {
    const store = createStore(memoryBackend());
    let acquisitions = 0;
    const counted: Store = {
      ...store,
      leases: {
        ...store.leases,
        acquire: (...args) => {
          acquisitions++;
          return store.leases.acquire(...args);
        },
      },
    };
    const [a] = replicas(counted, ["a"]).leases;
    const [first, second] = await Promise.all([a!.claim(), a!.claim()]);
    expect(first).toEqual({ plans: true, changed: true });
    expect(second).toBe(first);
    expect(acquisitions).toBe(1);
  });
});
