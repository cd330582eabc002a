// The chaos harness itself: the seed is parsed strictly, derived streams replay, a failing
// scenario names the seed that reproduces it, and the figures line says what was measured.
import { describe, expect, it } from "vitest";
import { chaosSeed, formatFigures, reproduceLine, scenarioRandom, scenarioSeed } from "./chaos.ts";
import { runSeed } from "./seed.global.ts";

describe("the chaos harness", () => {
  it("takes CHAOS_SEED when given, draws one otherwise, and refuses anything but an integer", () => {
    expect(runSeed({ CHAOS_SEED: "42" }, () => 0.5)).toBe(42);
    expect(runSeed({}, () => 0.5)).toBe(2 ** 30);
    expect(runSeed({ CHAOS_SEED: "" }, () => 0.25)).toBe(2 ** 29);
    expect(() => runSeed({ CHAOS_SEED: "12abc" }, Math.random)).toThrow(
      'CHAOS_SEED must be a non-negative integer (got "12abc"); e.g. CHAOS_SEED=42',
    );
    expect(() => runSeed({ CHAOS_SEED: "-3" }, Math.random)).toThrow(/CHAOS_SEED/);
  });

  it("derives each scenario's stream from the run's seed and the scenario's name", () => {
    const draw = (name: string, seed: number) => Array.from({ length: 4 }, scenarioRandom(name, seed));
    expect(draw("night", 7)).toEqual(draw("night", 7));
    expect(draw("night", 7)).not.toEqual(draw("night", 8));
    expect(draw("night", 7)).not.toEqual(draw("storm", 7));
    expect(scenarioSeed("night", 7)).toBeGreaterThan(0);
    expect(Number.isSafeInteger(chaosSeed())).toBe(true);
  });

  it("prints the replay line and one figures line per scenario", () => {
    expect(reproduceLine(1234)).toBe("reproduce: CHAOS_SEED=1234 npm run test:chaos");
    expect(
      formatFigures({
        scenario: "night/huawei",
        targets: 3,
        cloudCalls: 120,
        faults: { throttle: 9, "server-error": 20, reset: 2 },
        retries: 14,
        ms: 2345,
        extra: { events: 6 },
      }),
    ).toBe(
      "chaos night/huawei: targets 3, cloud calls 120, faults 31 (reset 2, server-error 20, throttle 9), retries 14, 2.3 s, events 6",
    );
  });
});
