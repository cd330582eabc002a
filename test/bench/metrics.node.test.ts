// The metrics benchmark on a small fleet, so `npm run bench` cannot rot: every backend answers,
// a scrape reads each collection once, and the answer holds the series the seeded store implies.
import { describe, expect, it } from "vitest";
import { benchMetrics } from "./metrics.ts";

describe("benchMetrics", () => {
  it("scrapes a seeded store on every backend with one read per collection", async () => {
    const { figures, skipped } = await benchMetrics({
      targets: 30,
      entriesPerTarget: 5,
      scrapes: 3,
      appendedPerScrape: 5,
    });
    expect(figures.map((f) => f.backend)).toEqual(["memory", "sqlite", "redis"]);
    expect(skipped).toEqual([]);
    for (const f of figures) {
      expect(f.catchUpScrapes, f.backend).toBe(1);
      // The flush of this process's counts and the ledger counts' record: two writes, when entries were appended.
      expect(f.busy.counts, f.backend).toMatchObject({ reads: 5, writes: 2 });
      expect(f.idle.counts, f.backend).toMatchObject({ reads: 5, writes: 1 });
      // 30 renewal states x 6 certificate samples, plus the fleet's counters and gauges.
      expect(f.samples, f.backend).toBeGreaterThan(180);
      expect(f.idle.p50, f.backend).toBeGreaterThan(0);
    }
  }, 120_000);
});
