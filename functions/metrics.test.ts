// GET /metrics through the app both hosts serve (this file runs on Node and inside workerd).
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import { createMetricsRecorder } from "../shared/metrics/recorder.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore, type Store } from "../shared/store/store.ts";
import { type AppMetrics, createApp } from "./app.ts";

const NOW = new Date("2026-11-22T20:00:00Z");
const TOKEN = "metrics-token-0123456789abcdef";
const ADMIN_TOKEN = "admin-token-0123456789abcdef";

function app(metrics: Partial<AppMetrics> = {}, store: Store = createStore(memoryBackend())) {
  return createApp({
    host: "node",
    log: createLogger({ write: () => {} }),
    now: () => NOW,
    inventory: async () => ({ targets: [], errors: [], listedAt: NOW.toISOString() }),
    store,
    schedules: [],
    calendars: new Map(),
    adminToken: ADMIN_TOKEN,
    metrics: { providers: new Map([["prod-hw", "huawei"]]), operationKinds: ["sleep", "wake"], ...metrics },
  });
}

const scrape = (target: ReturnType<typeof app>, authorization?: string) =>
  target.request("/metrics", authorization ? { headers: { Authorization: authorization } } : {});

describe("GET /metrics", () => {
  it("answers the exposition in Prometheus' text format to the metrics token", async () => {
    const store = createStore(memoryBackend());
    await store.ledger.append({
      at: NOW,
      operationId: "o",
      target: "prod-hw/c1",
      kind: "sleep.succeeded",
      detail: {},
    });
    const response = await scrape(app({ token: TOKEN }, store), `Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    expect(text).toContain("# TYPE nightshift_transitions_total counter\n");
    expect(text).toContain('nightshift_transitions_total{kind="sleep",provider="huawei"} 1\n');
    expect(text).toContain('nightshift_build_info{host="node",store="memory",version="');
    expect(text.endsWith("\n")).toBe(true);
  });

  it("refuses a missing or wrong token, and the admin token, saying what to send", async () => {
    const target = app({ token: TOKEN });
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN}x`,
      `Bearer ${ADMIN_TOKEN}`,
      `Basic ${btoa(`u:${TOKEN}`)}`,
    ]) {
      const response = await scrape(target, authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get("WWW-Authenticate")).toContain("Bearer");
      expect(await response.json()).toEqual({
        error: {
          code: "unauthorized",
          message: "send the metrics token as `Authorization: Bearer <NIGHTSHIFT_METRICS_TOKEN>`",
          details: {},
        },
      });
    }
  });

  it("is off, naming the variable that turns it on, while no metrics token is configured", async () => {
    const response = await scrape(app(), `Bearer ${ADMIN_TOKEN}`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: {
        code: "metrics_disabled",
        message: "the metrics are disabled: set NIGHTSHIFT_METRICS_TOKEN to enable them",
        details: {},
      },
    });
  });

  it("includes what this process counted, flushed to the store before it reads", async () => {
    const recorder = createMetricsRecorder();
    const store = createStore(memoryBackend(), { observe: recorder.storeCall });
    recorder.httpExchange({ api: "huawei.listClusters", account: "prod-hw", status: 429 });
    await store.targets.get("prod-hw/c1", NOW);
    const text = await (await scrape(app({ token: TOKEN, recorder }, store), `Bearer ${TOKEN}`)).text();
    expect(text).toContain(
      'nightshift_cloud_requests_total{api="huawei.listClusters",provider="huawei",status="429"} 1\n',
    );
    // The store call made before the flush is in, timed by the store's own decorator; the
    // scrape's own calls (the flush, the reads) wait for the next flush.
    expect(text).toContain('nightshift_store_operation_duration_seconds_count{operation="get"} 1\n');
    expect(text).not.toContain('operation="addTallies"');
    expect(recorder.pending().map((p) => p.name)).toEqual(
      expect.arrayContaining([expect.stringContaining("addTallies"), expect.stringContaining("listTallies")]),
    );
  });

  it("answers 503, not a half page, when the store does not answer", async () => {
    const broken = createStore({
      ...memoryBackend(),
      listTallies: async () => {
        throw new Error("store down");
      },
    });
    const response = await scrape(app({ token: TOKEN }, broken), `Bearer ${TOKEN}`);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("15");
    expect(await response.json()).toMatchObject({ error: { code: "metrics_unavailable" } });
  });
});
