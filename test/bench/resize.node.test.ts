// The event-to-cloud-call benchmark on a few events, so `npm run bench` cannot rot.
import { describe, expect, it } from "vitest";
import { benchConcurrentEventsToCloudCall, benchEventToCloudCall } from "./resize.ts";

describe("benchEventToCloudCall", () => {
  it("measures from accept to the resize request leaving for the cloud", async () => {
    const figures = await benchEventToCloudCall(4);
    expect(figures.events).toBe(4);
    expect(figures.p50Ms).toBeGreaterThan(0);
    expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms);
  }, 60_000);

  it("measures events in flight at once on distinct pools, each reaching the cloud", async () => {
    const figures = await benchConcurrentEventsToCloudCall(6);
    expect(figures.events).toBe(6);
    expect(figures.p50Ms).toBeGreaterThan(0);
    expect(figures.maxMs).toBeGreaterThanOrEqual(figures.p99Ms);
  }, 60_000);
});
