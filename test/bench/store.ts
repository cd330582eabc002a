// Store benchmark: idempotency claims per second and p99 claim latency, per backend. Each claim
// is a fresh key (the common case: a new event), from 16 concurrent callers.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoreBackend } from "../../shared/store/backend.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { redisBackend } from "../../shared/store/redis.node.ts";
import { sqliteBackend } from "../../shared/store/sqlite.node.ts";
import { createStore } from "../../shared/store/store.ts";
import { isInstalled, redisSkipped, startRedisServer } from "../setup/servers.ts";
import { startBindingsWorker } from "./workerd.ts";

export interface ClaimFigures {
  backend: string;
  claimsPerSecond: number;
  p50: number;
  p99: number;
}

const CONCURRENCY = 16;
const NOW = new Date("2026-11-22T20:00:00Z");

function summarise(backend: string, ms: number, latencies: number[]): ClaimFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { backend, claimsPerSecond: (latencies.length / ms) * 1000, p50: at(0.5), p99: at(0.99) };
}

async function claims(backend: StoreBackend, count: number): Promise<ClaimFigures> {
  const store = createStore(backend);
  const latencies: number[] = [];
  let next = 0;
  const run = async (n: number, record: boolean) => {
    next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < n) {
          const i = next++;
          const t = performance.now();
          await store.idempotency.claim(`bench:${record}:${i}`, {
            fingerprint: "f",
            leaseMs: 60_000,
            ttlMs: 3_600_000,
            now: NOW,
          });
          if (record) latencies.push(performance.now() - t);
        }
      }),
    );
  };
  await run(Math.min(200, count), false); // warm up
  const started = performance.now();
  await run(count, true);
  const ms = performance.now() - started;
  await store.close();
  return summarise(backend.kind, ms, latencies);
}

async function d1Claims(count: number): Promise<ClaimFigures> {
  const worker = await startBindingsWorker(new URL("./store.worker.ts", import.meta.url));
  try {
    await worker.fetch(`http://bench/?count=200&concurrency=${CONCURRENCY}&run=warm`);
    const started = performance.now();
    const response = await worker.fetch(
      `http://bench/?count=${count}&concurrency=${CONCURRENCY}&run=measure`,
    );
    const { latencies } = (await response.json()) as { latencies: number[] };
    return summarise("d1 (workerd, local)", performance.now() - started, latencies);
  } finally {
    await worker.dispose();
  }
}

async function redisClaims(count: number): Promise<ClaimFigures> {
  const redis = await startRedisServer();
  try {
    return await claims(await redisBackend({ url: redis.url, prefix: "bench:" }), count);
  } finally {
    await redis.stop();
  }
}

/** Figures per backend, and the sections skipped because a server they need is not installed. */
export async function benchStore(count: number): Promise<{ figures: ClaimFigures[]; skipped: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-bench-"));
  const figures = [
    await claims(memoryBackend(), count),
    await claims(await sqliteBackend(join(dir, "state.db")), count),
  ];
  const skipped: string[] = [];
  if (isInstalled("redis-server")) figures.push(await redisClaims(count));
  else skipped.push(redisSkipped());
  figures.push(await d1Claims(count));
  return { figures, skipped };
}
