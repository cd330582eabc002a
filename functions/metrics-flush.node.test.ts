// The Node service stores what it counts (cloud API calls, store latency) every tick, without
// anyone scraping: replicas add theirs to the same tallies, and a scrape of any of them reads the sum.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../shared/config/config.ts";
import { createLogger } from "../shared/log/logger.ts";
import { readTallyName, TALLY_PREFIX } from "../shared/metrics/recorder.ts";
import { type RunningServer, startServer } from "./server.node.ts";

let service: RunningServer;

beforeAll(async () => {
  // The embedded sandbox (no account), its example schedules: the ticker lists the fleet.
  const config = loadConfig({ PORT: "0", NIGHTSHIFT_STORE: "memory" });
  service = await startServer(config, createLogger({ write: () => {} }), { tickSeconds: 0.5 });
}, 30_000);

afterAll(async () => {
  await service?.stop();
});

describe("the Node service's metrics flush", () => {
  it("adds each tick's cloud calls and store calls to the store's tallies, unscraped", async () => {
    const deadline = Date.now() + 20_000;
    let series = new Set<string>();
    while (Date.now() < deadline) {
      const tallies = await service.runtime.store.tallies.list(TALLY_PREFIX);
      series = new Set(tallies.map((t) => readTallyName(t.name)?.series.series ?? "unknown"));
      if (series.has("cloud_requests") && series.has("store_duration_bucket")) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect([...series].sort()).toEqual(["cloud_requests", "store_duration_bucket", "store_duration_us"]);
    // GET /metrics is off without its token, so nothing here was flushed by a scrape.
    expect((await fetch(`${service.url}/metrics`)).status).toBe(503);
  });
});
