// The event-to-cloud-call benchmark on a few events, so `npm run bench` cannot rot.
import { describe, expect, it } from "vitest";
import { benchEventToCloudCall } from "./resize.ts";

describe("benchEventToCloudCall", () => {
  it("measures from accept to the resize request leaving for the cloud", async () => {
    const figures = await benchEventToCloudCall(4);
    expect(figures.events).toBe(4);
    expect(figures.p50Ms).toBeGreaterThan(0);
    expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms);
  }, 60_000);
});
