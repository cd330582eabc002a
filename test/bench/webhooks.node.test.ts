// The webhook benchmark on a few deliveries, so `npm run bench` cannot rot: every row is measured,
// every answer is the one expected (202 for a new event, 200 for a duplicate), and the resize
// function's accept created one operation per new event.
import { describe, expect, it } from "vitest";
import { benchWebhookAcceptance } from "./webhooks.ts";

describe("benchWebhookAcceptance", () => {
  it("measures distinct and duplicate deliveries of both sources, every answer as expected", async () => {
    const figures = await benchWebhookAcceptance(40, { concurrency: 10, store: "sqlite" });
    expect(figures.map((f) => [f.source, f.deliveries, f.store, f.count])).toEqual([
      ["alertmanager", "distinct", "sqlite", 40],
      ["alertmanager", "duplicate", "sqlite", 40],
      ["events", "distinct", "sqlite", 40],
      ["events", "duplicate", "sqlite", 40],
    ]);
    // The real accept: one resize operation per new event, none for a duplicate.
    expect(figures.map((f) => f.operationsCreated)).toEqual([40, 0, 40, 0]);
    for (const f of figures) {
      expect(f.unexpected).toBe(0);
      expect(f.perSecond).toBeGreaterThan(0);
      expect(f.p99).toBeGreaterThanOrEqual(f.p50);
      expect(f.handledP50).toBeGreaterThan(0);
    }
  }, 60_000);

  it("paces deliveries at the rate asked, all senders together", async () => {
    const figures = await benchWebhookAcceptance(30, { concurrency: 5, store: "memory", ratePerSecond: 100 });
    for (const f of figures) {
      expect(f).toMatchObject({ ratePerSecond: 100, unexpected: 0 });
      // 30 deliveries due over 290 ms: never faster than the rate.
      expect(f.perSecond).toBeLessThanOrEqual(105);
    }
    expect(figures.map((f) => f.operationsCreated)).toEqual([30, 0, 30, 0]);
  }, 60_000);
});
