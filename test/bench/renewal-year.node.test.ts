// The simulated renewal year on a small fleet, so the harness cannot rot between `npm run bench`
// runs. Seeded, so the figures are exact from run to run.
import { describe, expect, it } from "vitest";
import { sandboxIssuer } from "./renewal-sandbox.ts";
import { benchRenewalYear, type Issuer, modelIssuer, seeded } from "./renewal-year.ts";

describe("benchRenewalYear on 40 clusters over 60 days", () => {
  it("renews every cluster in time despite 20 % failed attempts, windows included", async () => {
    const year = await benchRenewalYear({ clusters: 40, failureRate: 0.2, days: 60, windowShare: 0.5 });
    expect(year.expiredEpisodes).toBe(0);
    expect(year.failedAttempts).toBeGreaterThan(0.1 * year.attempts);
    expect(year.failedAttempts).toBeLessThan(0.3 * year.attempts);
    expect(year.withWindow).toBeGreaterThan(0);
    // Alibaba's 3-day and 1-day kubeconfigs renew every 2 days or 16 hours; Baidu's yearly one at most once.
    expect(year.byVendor.alibaba.renewalsPerCluster).toBeGreaterThan(25);
    expect(year.byVendor.baidu.renewalsPerCluster).toBeLessThanOrEqual(1);
    expect(year.delayMs.p99).toBeGreaterThan(0);
    expect(year.delayMs.max).toBeLessThan(3 * 86_400_000);
  }, 120_000);

  it("counts expired stretches when the issuer keeps failing", async () => {
    const year = await benchRenewalYear({ clusters: 8, failureRate: 0.99, days: 10, windowShare: 0 });
    expect(year.expiredEpisodes).toBeGreaterThan(0);
    expect(year.expiredMinutes).toBeGreaterThan(0);
  });

  it("takes the issuer as a parameter (the job replaces the model after the merge)", async () => {
    const calls: string[] = [];
    const model = modelIssuer({ failureRate: 0, random: seeded(1) });
    const issuer: Issuer = async (request) => {
      calls.push(request.cluster.vendor);
      return model(request);
    };
    const year = await benchRenewalYear({ clusters: 4, failureRate: 0, days: 5, issuer });
    expect(calls.length).toBe(year.attempts);
    expect(new Set(calls)).toContain("alibaba");
  });

  it("runs the renewal job on the sandbox clouds as the issuer: real certificates, injected failures", async () => {
    const start = new Date("2026-01-01T00:00:00Z");
    const sandbox = await sandboxIssuer({ start, failureRate: 0.2 });
    try {
      const year = await benchRenewalYear({
        clusters: sandbox.clusters,
        failureRate: 0.2,
        days: 8,
        issuer: sandbox.issuer,
        start,
      });
      expect(year.clusters).toBeGreaterThanOrEqual(8);
      expect(year.expiredEpisodes).toBe(0);
      expect(year.failedAttempts).toBeGreaterThan(0); // the sandbox's injected 5xx reached the job
      expect(year.failedAttempts).toBeLessThan(0.4 * year.attempts);
      expect(year.byVendor.alibaba.renewalsPerCluster).toBeGreaterThan(2);
    } finally {
      await sandbox.stop();
    }
  }, 120_000);

  it("refuses nonsense sizes, naming them", async () => {
    await expect(benchRenewalYear({ clusters: 0, failureRate: 0.2 })).rejects.toThrow("clusters");
    await expect(benchRenewalYear({ clusters: 2, failureRate: 1 })).rejects.toThrow("failureRate");
  });
});
