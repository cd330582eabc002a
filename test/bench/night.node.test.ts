// The night benchmark's machinery on a small fleet, so it cannot rot between `npm run bench` runs:
// every operation succeeds, the client never trips the clouds' rate limit, and the measured time
// never beats the lower bound (a ratio below 1 would mean the bound is wrong). Times are simulated
// and the fleet seeded, so the figures are exact from run to run.
import { describe, expect, it } from "vitest";
import { benchNight } from "./night.ts";

describe("benchNight on 40 clusters over 4 accounts", () => {
  it("sleeps and wakes every cluster, within twice the lower bound and never under it", async () => {
    const result = await benchNight({ clusters: 40, accounts: 4, ratePerSecond: 2, wake: true });
    expect(result).toMatchObject({ clusters: 40, accounts: 4, failed: 0, throttled: 0 });
    for (const phase of [result.sleep, result.wake!]) {
      expect(phase.ratio).toBeGreaterThanOrEqual(1);
      expect(phase.ratio).toBeLessThanOrEqual(2);
      expect(phase.apiCallsPerCluster).toBeGreaterThan(0);
    }
  }, 120_000);

  it("refuses nonsense sizes, naming them", async () => {
    await expect(benchNight({ clusters: 0, accounts: 1, ratePerSecond: 1 })).rejects.toThrow("clusters");
    await expect(benchNight({ clusters: 2, accounts: 3, ratePerSecond: 1 })).rejects.toThrow("accounts");
    await expect(benchNight({ clusters: 2, accounts: 1, ratePerSecond: 0 })).rejects.toThrow("ratePerSecond");
  });
});
