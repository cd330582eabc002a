// Runs inside workerd for `npm run bench`: claims against the local D1 with the same store code
// the Worker uses. Latencies come from Date.now(), which workerd advances across I/O (each D1
// call is I/O), so per-claim times are real even though CPU time is hidden.
import type { D1Database } from "@cloudflare/workers-types";
import { d1Backend } from "../../shared/store/d1.workers.ts";
import { createStore } from "../../shared/store/store.ts";

// wrangler.toml binds the rate-limiter Durable Object, so every entrypoint run with it exports it.
export { AccountRateLimiter } from "../../functions/account-rate.workers.ts";

export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const url = new URL(request.url);
    const count = Number(url.searchParams.get("count") ?? "100");
    const concurrency = Number(url.searchParams.get("concurrency") ?? "1");
    const run = url.searchParams.get("run") ?? "r";
    const store = createStore(d1Backend(env.DB));
    const now = new Date("2026-11-22T20:00:00Z");
    const latencies: number[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          const t = Date.now();
          await store.idempotency.claim(`bench:${run}:${i}`, {
            fingerprint: "f",
            leaseMs: 60_000,
            ttlMs: 3_600_000,
            now,
          });
          latencies.push(Date.now() - t);
        }
      }),
    );
    return Response.json({ ms: Date.now() - started, latencies });
  },
};
