// GET /metrics from the Worker entry inside workerd, on D1: what an isolate counts is flushed to the
// store at the end of each invocation (waitUntil), so a scrape answered by any isolate sees it.
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TALLY_PREFIX } from "../shared/metrics/recorder.ts";
import { d1Backend } from "../shared/store/d1.workers.ts";
import { emptiedD1 } from "../test/setup/d1.workers.ts";
import worker from "./worker.workers.ts";

const TOKEN = "workers-metrics-token-0123456789";

async function fetchOnce(request: Request, bindings: Record<string, unknown>) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, bindings, ctx as never);
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  return { status: response.status, type: response.headers.get("content-type"), text };
}

const scrape = (bindings: Record<string, unknown>, token = TOKEN) =>
  fetchOnce(
    new Request("https://nightshift.example/metrics", { headers: { Authorization: `Bearer ${token}` } }),
    bindings,
  );

describe("Worker GET /metrics", () => {
  it("answers the exposition from D1, with the store calls of earlier invocations flushed by waitUntil", async () => {
    const db = await emptiedD1();
    const bindings = { ...env, DB: db, NIGHTSHIFT_METRICS_TOKEN: TOKEN };
    const first = await scrape(bindings);
    expect(first.status).toBe(200);
    expect(first.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(first.text).toContain('nightshift_build_info{host="workers",store="d1",version="');
    // The scrape's own store calls were flushed to D1 after it answered (waitUntil)...
    const stored = (await d1Backend(db).listTallies(TALLY_PREFIX)).map((t) => t.name);
    expect(stored.some((name) => name.includes("store_duration_bucket\u001flistTallies"))).toBe(true);
    // ...and the next scrape, whichever isolate answers it, shows them.
    const second = await scrape(bindings);
    expect(second.text).toMatch(
      /nightshift_store_operation_duration_seconds_count\{operation="listTallies"\} [1-9]/,
    );
  });

  it("flushes what a cron tick counted", async () => {
    const db = await emptiedD1();
    const bindings = { ...env, DB: db, NIGHTSHIFT_METRICS_TOKEN: TOKEN };
    const ctx = createExecutionContext();
    const controller = createScheduledController({
      scheduledTime: new Date("2026-11-22T22:00:00Z"),
      cron: "* * * * *",
    });
    await worker.scheduled(controller as never, bindings, ctx as never);
    await waitOnExecutionContext(ctx);
    const names = (await d1Backend(db).listTallies(TALLY_PREFIX)).map((t) => t.name);
    expect(names.some((name) => name.includes("store_duration_bucket\u001fsweep"))).toBe(true);
  });

  it("refuses the admin token and answers 503 naming the variable when no metrics token is set", async () => {
    const db = await emptiedD1();
    const refused = await scrape(
      { ...env, DB: db, NIGHTSHIFT_METRICS_TOKEN: TOKEN, NIGHTSHIFT_ADMIN_TOKEN: `${TOKEN}-admin` },
      `${TOKEN}-admin`,
    );
    expect(refused.status).toBe(401);
    const off = await scrape({ ...env, DB: db });
    expect(off.status).toBe(503);
    expect(JSON.parse(off.text).error.message).toContain("NIGHTSHIFT_METRICS_TOKEN");
  });
});
