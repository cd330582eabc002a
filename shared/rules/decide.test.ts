import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ResizeMemory } from "../store/store.ts";
import {
  boundsFor,
  clampSize,
  type DecideInput,
  decideResize,
  percentChange,
  type ResizeDecision,
  requestedSize,
} from "./decide.ts";
import type { PoolAction, ResizeRule } from "./rule-schema.ts";

const NOW = new Date("2026-03-02T10:00:00Z");
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

function rule(action: PoolAction, extra: Partial<ResizeRule> = {}): ResizeRule & { action: PoolAction } {
  return {
    name: "grow",
    source: "schedules/rules.yaml",
    enabled: true,
    match: { status: "firing", labels: {}, data: {} },
    target: {
      provider: { from: "event", name: "provider" },
      account: { from: "event", name: "account" },
      region: { from: "event", name: "region" },
      cluster: { from: "event", name: "cluster" },
      pool: { from: "event", name: "pool" },
    },
    cooldownMinutes: 5,
    hysteresis: { minutes: 0, nodes: 0 },
    revert: false,
    allowWake: false,
    releaseNodes: false,
    dryRun: false,
    ...extra,
    action,
  };
}

const POOL = { id: "p1", name: "runners", desired: 3 };

function decide(input: Partial<DecideInput> & Pick<DecideInput, "rule">): ResizeDecision {
  return decideResize({ intent: "act", pool: POOL, now: NOW, operationId: "op-1", ...input });
}

describe("AWS step scaling adjustment types", () => {
  it("set is ExactCapacity, add is ChangeInCapacity", () => {
    expect(requestedSize({ kind: "set", value: 7 }, 3)).toBe(7);
    expect(requestedSize({ kind: "add", value: 2 }, 3)).toBe(5);
    expect(requestedSize({ kind: "add", value: -5 }, 3)).toBe(-2);
  });

  it("percent rounds toward zero above 1, to ±1 below it (AWS's examples)", () => {
    expect(percentChange(10, 10, 1)).toBe(1);
    expect(percentChange(127, 10, 1)).toBe(12); // 12.7 → 12
    expect(percentChange(3, 22.333, 1)).toBe(1); // .67 → 1
    expect(percentChange(3, -19.333, 1)).toBe(-1); // -.58 → -1
    expect(percentChange(29, -23, 1)).toBe(-6); // -6.67 → -6
    expect(percentChange(0, 50, 1)).toBe(1);
  });

  it("percent honours minStep (MinAdjustmentMagnitude): 25% of 4 with a minimum of 2 adds 2", () => {
    expect(percentChange(4, 25, 2)).toBe(2);
    expect(percentChange(4, -25, 2)).toBe(-2);
    expect(percentChange(40, 25, 2)).toBe(10);
  });

  it("property: a percent change is never smaller than minStep nor has the wrong sign", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: -100, max: 1000, noNaN: true }).filter((p) => p !== 0),
        fc.integer({ min: 1, max: 20 }),
        (current, percent, minStep) => {
          const change = percentChange(current, percent, minStep);
          expect(Math.sign(change)).toBe(Math.sign(percent));
          expect(Math.abs(change)).toBeGreaterThanOrEqual(minStep);
          const exact = Math.abs((current * percent) / 100);
          expect(Math.abs(change)).toBeLessThanOrEqual(Math.max(minStep, 1, Math.floor(exact)));
        },
      ),
    );
  });

  it("clamps to min and max, never below 0", () => {
    expect(clampSize(12, { min: 1, max: 10 })).toEqual({
      size: 10,
      clamped: { requested: 12, to: 10, min: 1, max: 10 },
    });
    expect(clampSize(0, { min: 2 })).toEqual({ size: 2, clamped: { requested: 0, to: 2, min: 2 } });
    expect(clampSize(-3, {})).toEqual({ size: 0, clamped: { requested: -3, to: 0 } });
    expect(clampSize(5, { min: 1, max: 10 })).toEqual({ size: 5 });
  });
});

describe("decideResize: acting", () => {
  it("resizes by the action and remembers the resize", () => {
    const decision = decide({ rule: rule({ kind: "add", value: 2 }) });
    expect(decision).toMatchObject({
      outcome: "resize",
      direction: "up",
      change: { mode: "size", from: 3, to: 5 },
      memory: {
        lastResizeAt: NOW.toISOString(),
        lastDirection: "up",
        lastRule: "grow",
        lastOperationId: "op-1",
      },
    });
    expect(decision.memory?.remembered).toBeUndefined(); // only reverting rules remember the size
  });

  it("a reverting rule remembers the size before it, and keeps an older remembered size", () => {
    const first = decide({ rule: rule({ kind: "set", value: 6 }, { revert: true }) });
    expect(first.memory?.remembered).toEqual({ desired: 3, rule: "grow", at: NOW.toISOString() });
    const older = { desired: 2, rule: "grow", at: minutesAgo(60) };
    const again = decide({
      rule: rule({ kind: "set", value: 6 }, { revert: true }),
      memory: { remembered: older, lastResizeAt: minutesAgo(30), lastDirection: "up" },
    });
    expect(again.memory?.remembered).toEqual(older);
  });

  it("clamps and says so; a clamp that leaves the size as it is changes nothing", () => {
    expect(decide({ rule: rule({ kind: "add", value: 20 }, { max: 8 }) })).toMatchObject({
      outcome: "resize",
      change: { from: 3, to: 8 },
      clamped: { requested: 23, to: 8, max: 8 },
      message: expect.stringContaining("clamped to max 8"),
    });
    expect(decide({ rule: rule({ kind: "add", value: -5 }, { min: 3 }) })).toMatchObject({
      outcome: "no-change",
      clamped: { requested: -2, to: 3, min: 3 },
    });
  });

  it("holds a pool in its cooldown (any rule's last resize), and acts once it is over", () => {
    const memory: ResizeMemory = { lastResizeAt: minutesAgo(4), lastDirection: "up", lastRule: "other" };
    expect(decide({ rule: rule({ kind: "add", value: 1 }), memory })).toEqual({
      outcome: "cooldown",
      until: new Date(NOW.getTime() + 60_000),
      retry: false,
      message: expect.stringContaining("rule other"),
    });
    const over = { ...memory, lastResizeAt: minutesAgo(5) };
    expect(decide({ rule: rule({ kind: "add", value: 1 }), memory: over }).outcome).toBe("resize");
  });

  it("hysteresis: a change against the last direction waits; the same direction does not", () => {
    const r = rule({ kind: "add", value: -1 }, { cooldownMinutes: 0, hysteresis: { minutes: 30, nodes: 0 } });
    const memory: ResizeMemory = { lastResizeAt: minutesAgo(10), lastDirection: "up" };
    expect(decide({ rule: r, memory })).toMatchObject({
      outcome: "hysteresis",
      direction: "down",
      until: new Date(NOW.getTime() + 20 * 60_000),
    });
    expect(decide({ rule: r, memory: { ...memory, lastDirection: "down" } }).outcome).toBe("resize");
    expect(decide({ rule: r, memory: { ...memory, lastResizeAt: minutesAgo(30) } }).outcome).toBe("resize");
  });

  it("hysteresis: a change smaller than hysteresis.nodes is not made", () => {
    const r = rule({ kind: "percent", value: 10, minStep: 1 }, { hysteresis: { minutes: 0, nodes: 2 } });
    expect(decide({ rule: r })).toMatchObject({ outcome: "hysteresis", direction: "up" });
    expect(decide({ rule: r, pool: { ...POOL, desired: 30 } })).toMatchObject({
      outcome: "resize",
      change: { from: 30, to: 33 },
    });
  });

  it("moves the autoscaler's bounds instead of the size when it is on", () => {
    const pool = { ...POOL, desired: 3, autoscaling: { enabled: true, min: 1, max: 6 } };
    expect(decide({ rule: rule({ kind: "set", value: 8 }), pool })).toMatchObject({
      outcome: "resize",
      direction: "up",
      change: { mode: "bounds", from: { min: 1, max: 6 }, to: { min: 8, max: 8 }, size: 8 },
    });
    expect(decide({ rule: rule({ kind: "add", value: 2 }), pool })).toMatchObject({
      change: { mode: "bounds", to: { min: 5, max: 6 } },
    });
    expect(decide({ rule: rule({ kind: "add", value: -2 }), pool })).toMatchObject({
      direction: "down",
      change: { mode: "bounds", to: { min: 1, max: 1 } },
    });
    // Bounds that already hold the size: nothing to do.
    const held = { ...pool, autoscaling: { enabled: true, min: 5, max: 6 } };
    expect(decide({ rule: rule({ kind: "set", value: 5 }), pool: { ...held, desired: 5 } }).outcome).toBe(
      "no-change",
    );
    // An autoscaler that is off is not moved: the size is.
    const off = { ...pool, autoscaling: { enabled: false, min: 1, max: 6 } };
    expect(decide({ rule: rule({ kind: "set", value: 5 }), pool: off })).toMatchObject({
      change: { mode: "size", from: 3, to: 5 },
    });
  });

  it("leaves an asleep pool alone unless the rule allows waking it to grow it", () => {
    const asleep = { restores: 3 };
    const pool = { ...POOL, desired: 0 };
    expect(decide({ rule: rule({ kind: "add", value: 2 }), pool, asleep }).outcome).toBe("asleep");
    const wake = rule({ kind: "add", value: 2 }, { allowWake: true });
    expect(decide({ rule: wake, pool, asleep })).toMatchObject({
      outcome: "wake-first",
      size: 5, // from the size the wake restores, not the 0 it sleeps at
    });
    const shrink = rule({ kind: "add", value: -1 }, { allowWake: true });
    expect(decide({ rule: shrink, pool, asleep })).toMatchObject({
      outcome: "asleep",
      message: expect.stringContaining("not woken to shrink"),
    });
  });

  it("a dry run decides the same and changes nothing (no memory to store)", () => {
    const decision = decide({ rule: rule({ kind: "add", value: 2 }, { dryRun: true, max: 4 }) });
    expect(decision).toMatchObject({
      outcome: "dry-run",
      would: "resize",
      change: { from: 3, to: 4 },
      clamped: { requested: 5, to: 4 },
    });
    expect(decision.memory).toBeUndefined();
    // The guards still apply to a dry run.
    const memory = { lastResizeAt: minutesAgo(1), lastDirection: "up" as const };
    expect(decide({ rule: rule({ kind: "add", value: 2 }, { dryRun: true }), memory }).outcome).toBe(
      "cooldown",
    );
  });
});

describe("decideResize: reverting on resolve", () => {
  const remembered = { desired: 3, rule: "grow", at: minutesAgo(20) };
  const memory: ResizeMemory = {
    lastResizeAt: minutesAgo(20),
    lastDirection: "up",
    lastRule: "grow",
    remembered,
  };
  const reverting = rule({ kind: "add", value: 3 }, { revert: true });
  const grown = { ...POOL, desired: 6 };

  it("puts the pool back to the remembered size and forgets it", () => {
    const decision = decideResize({
      rule: reverting,
      intent: "revert",
      pool: grown,
      memory,
      now: NOW,
      operationId: "op-2",
    });
    expect(decision).toMatchObject({
      outcome: "resize",
      intent: "revert",
      direction: "down",
      change: { mode: "size", from: 6, to: 3 },
      memory: { lastResizeAt: NOW.toISOString(), lastDirection: "down", lastOperationId: "op-2" },
    });
    expect(decision.memory?.remembered).toBeUndefined();
  });

  it("waits for the cooldown instead of dropping the revert", () => {
    const recent = { ...memory, lastResizeAt: minutesAgo(2) };
    expect(
      decideResize({
        rule: reverting,
        intent: "revert",
        pool: grown,
        memory: recent,
        now: NOW,
        operationId: "o",
      }),
    ).toMatchObject({ outcome: "cooldown", retry: true, until: new Date(NOW.getTime() + 3 * 60_000) });
  });

  it("is not held by hysteresis (reverting is the point)", () => {
    const r = { ...reverting, hysteresis: { minutes: 60, nodes: 10 } };
    expect(
      decideResize({ rule: r, intent: "revert", pool: grown, memory, now: NOW, operationId: "o" }).outcome,
    ).toBe("resize");
  });

  it("has nothing to revert without a remembered size, or when another rule remembered it", () => {
    const none = decideResize({ rule: reverting, intent: "revert", pool: grown, now: NOW, operationId: "o" });
    expect(none.outcome).toBe("nothing-to-revert");
    const other = { ...reverting, name: "other" };
    expect(
      decideResize({ rule: other, intent: "revert", pool: grown, memory, now: NOW, operationId: "o" }),
    ).toMatchObject({ outcome: "nothing-to-revert", message: expect.stringContaining("rule grow's") });
  });

  it("an asleep pool gets the remembered size for its wake instead", () => {
    const decision = decideResize({
      rule: reverting,
      intent: "revert",
      pool: { ...grown, desired: 0 },
      asleep: { restores: 6 },
      memory,
      now: NOW,
      operationId: "o",
    });
    expect(decision).toMatchObject({ outcome: "remember-for-wake", restores: { desired: 3 } });
    expect(decision.memory?.remembered).toBeUndefined();
  });

  it("restores the remembered autoscaler bounds", () => {
    const pool = { ...POOL, desired: 8, autoscaling: { enabled: true, min: 8, max: 8 } };
    const withBounds: ResizeMemory = {
      ...memory,
      remembered: { ...remembered, autoscaling: { enabled: true, min: 1, max: 6 } },
    };
    expect(
      decideResize({
        rule: reverting,
        intent: "revert",
        pool,
        memory: withBounds,
        now: NOW,
        operationId: "o",
      }),
    ).toMatchObject({
      outcome: "resize",
      change: { mode: "bounds", from: { min: 8, max: 8 }, to: { min: 1, max: 6 } },
    });
  });

  it("an already reverted pool needs no change, and the memory is cleared", () => {
    const decision = decideResize({
      rule: reverting,
      intent: "revert",
      pool: POOL,
      memory,
      now: NOW,
      operationId: "o",
    });
    expect(decision.outcome).toBe("no-change");
    expect(decision.memory).toBeDefined();
    expect(decision.memory?.remembered).toBeUndefined();
  });
});

describe("decideResize: properties", () => {
  const actions = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), value: fc.integer({ min: 0, max: 200 }) }),
    fc.record({
      kind: fc.constant("add" as const),
      value: fc.integer({ min: -50, max: 50 }).filter((n) => n !== 0),
    }),
    fc.record({
      kind: fc.constant("percent" as const),
      value: fc.integer({ min: -100, max: 300 }).filter((n) => n !== 0),
      minStep: fc.integer({ min: 1, max: 5 }),
    }),
  );
  const bounds = fc
    .tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }))
    .map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) }));

  it("a resize's size is always within min/max, and never happens inside the cooldown", () => {
    fc.assert(
      fc.property(
        actions,
        bounds,
        fc.integer({ min: 0, max: 100 }),
        fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
        fc.integer({ min: 0, max: 60 }),
        (action, { min, max }, desired, lastMinutesAgo, cooldownMinutes) => {
          const memory: ResizeMemory | undefined =
            lastMinutesAgo === undefined
              ? undefined
              : { lastResizeAt: minutesAgo(lastMinutesAgo), lastDirection: "up" };
          const decision = decide({
            rule: rule(action, { min, max, cooldownMinutes }),
            pool: { ...POOL, desired },
            ...(memory ? { memory } : {}),
          });
          if (decision.outcome === "resize" && decision.change.mode === "size") {
            expect(decision.change.to).toBeGreaterThanOrEqual(min);
            expect(decision.change.to).toBeLessThanOrEqual(max);
            expect(decision.change.to).not.toBe(desired);
          }
          if (lastMinutesAgo !== undefined && lastMinutesAgo < cooldownMinutes)
            expect(decision.outcome).toBe("cooldown");
        },
      ),
    );
  });

  it("autoscaler bounds always hold the computed size and stay ordered", () => {
    fc.assert(
      fc.property(
        bounds,
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom("up" as const, "down" as const),
        (b, size, direction) => {
          const next = boundsFor(b, size, direction);
          expect(next.min).toBeLessThanOrEqual(next.max);
          if (direction === "up") expect(next.min).toBeGreaterThanOrEqual(size);
          else expect(next.max).toBeLessThanOrEqual(size);
        },
      ),
    );
  });
});
