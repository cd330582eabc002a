// What one GET /metrics costs with a fleet of 1,000 targets: the store seeded as after weeks of
// nights (finished and unfinished operations, a ledger of every action, each target's renewal
// state with its certificate, the hosts' tallies of cloud calls and store latency), then scraped
// through the app both hosts serve, timed around `app.request` (authentication, the store's reads,
// the exposition). The first scrape folds the whole seeded ledger into the stored counts (in
// pages, FOLD_PAGES per scrape, so it takes a few); the figures are the scrapes after, idle (nothing
// appended between two scrapes) and busy (a night's pace of entries appended before each).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../functions/app.ts";
import { JOBS } from "../../functions/jobs.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { createMetricsRecorder } from "../../shared/metrics/recorder.ts";
import type { RenewalState } from "../../shared/renewal/state.ts";
import type { StoreBackend } from "../../shared/store/backend.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { redisBackend } from "../../shared/store/redis.node.ts";
import { sqliteBackend } from "../../shared/store/sqlite.node.ts";
import { createStore, type Store } from "../../shared/store/store.ts";
import { type BackendCounts, countingBackend } from "../contract/store/counting-backend.ts";
import { isInstalled, redisSkipped, startRedisServer } from "../setup/servers.ts";
import { NOW, seed } from "./tick-seed.ts";

const TOKEN = "bench-metrics-token-0123456789abcdef";
const ACCOUNTS = 10;
const KINDS = [
  "sleep.scheduled",
  "sleep.scale-pool",
  "sleep.hibernate",
  "sleep.succeeded",
  "wake.scheduled",
  "wake.awake",
  "wake.restore-pool",
  "wake.succeeded",
  "resize.accepted",
  "resize.cooldown",
];

export interface MetricsBenchOptions {
  targets: number;
  /** Ledger entries per target in the seeded history. */
  entriesPerTarget: number;
  /** Scrapes measured per case. */
  scrapes: number;
  /** Busy case: entries appended before each scrape. */
  appendedPerScrape: number;
}

export interface MetricsFigures {
  backend: string;
  targets: number;
  ledgerEntries: number;
  /** Scrapes that counted the seeded ledger (FOLD_PAGES pages each), and the time of the first. */
  catchUpScrapes: number;
  firstMs: number;
  idle: { p50: number; p99: number; counts: BackendCounts };
  busy: { p50: number; p99: number; counts: BackendCounts };
  /** This process's CPU time per busy scrape (user + system, ms), median: what a shared machine's load does not inflate. */
  busyCpuP50: number;
  /** Sample lines and bytes of one answer. */
  samples: number;
  bytes: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

function renewalState(i: number): RenewalState {
  const account = `acc${i % ACCOUNTS}`;
  const notBefore = new Date(NOW.getTime() - 20 * 86_400_000);
  const notAfter = new Date(notBefore.getTime() + 30 * 86_400_000);
  return {
    target: `${account}/cluster-${i}`,
    declaration: "ci-credentials",
    provider: i % 2 === 0 ? "huawei" : "alibaba",
    account,
    clusterId: `cluster-${i}`,
    specFingerprint: "f",
    nextAttemptAt: new Date(notAfter.getTime() - 86_400_000).toISOString(),
    sinks: [],
    updatedAt: NOW.toISOString(),
    certificate: {
      subject: "CN=ci",
      issuer: "CN=cluster-ca",
      serial: String(i),
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
    },
    renewalTime: new Date(notAfter.getTime() - 86_400_000).toISOString(),
  };
}

async function appendEntries(store: Store, from: number, count: number, targets: number) {
  let next = from;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < from + count) {
        const i = next++;
        const target = `acc${i % ACCOUNTS}/cluster-${i % targets}`;
        await store.ledger.append({
          at: NOW,
          operationId: `op-${i}`,
          target,
          kind: KINDS[i % KINDS.length]!,
          detail: { step: i },
        });
      }
    }),
  );
}

async function seedFleet(store: Store, o: MetricsBenchOptions) {
  await seed(store, 0, o.targets, false);
  await seed(store, o.targets, o.targets * 3, true);
  await appendEntries(store, 0, o.targets * o.entriesPerTarget, o.targets);
  for (let i = 0; i < o.targets; i++) {
    const state = renewalState(i);
    await store.renewals.putDue(state.target, state, new Date(state.nextAttemptAt), null, NOW);
  }
  // The hosts' tallies, as after a night: every store method in a few buckets, cloud calls by API and status.
  const recorder = createMetricsRecorder();
  for (const operation of [
    "get",
    "put",
    "list",
    "listIndex",
    "append",
    "query",
    "addTallies",
    "listTallies",
  ] as const)
    for (const seconds of [0.00005, 0.0002, 0.0007, 0.003, 0.02]) recorder.storeCall(operation, seconds);
  for (const api of [
    "huawei.listClusters",
    "huawei.resizeNodePool",
    "huawei.getJob",
    "alibaba.DescribeClustersV1",
    "alibaba.scaleOutNodePool",
  ])
    for (const status of [200, 429, 500]) recorder.httpExchange({ api, account: "acc0", status });
  await recorder.flush(store);
}

async function measure(name: string, backend: StoreBackend, o: MetricsBenchOptions): Promise<MetricsFigures> {
  const counted = countingBackend(backend);
  const recorder = createMetricsRecorder();
  const store = createStore(counted.backend, { observe: recorder.storeCall });
  try {
    await seedFleet(store, o);
    const providers = new Map(
      Array.from({ length: ACCOUNTS }, (_, i) => [`acc${i}`, i % 2 === 0 ? "huawei" : "alibaba"] as const),
    );
    const app = createApp({
      host: "node",
      log: createLogger({ write: () => {} }),
      now: () => NOW,
      inventory: async () => ({ targets: [], errors: [], listedAt: NOW.toISOString() }),
      store,
      schedules: [],
      calendars: new Map(),
      metrics: { token: TOKEN, recorder, providers, operationKinds: JOBS.flatMap((job) => job.kinds) },
    });
    const scrape = async () => {
      counted.reset();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const response = await app.request("/metrics", { headers: { Authorization: `Bearer ${TOKEN}` } });
      const text = await response.text();
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      if (response.status !== 200)
        throw new Error(`GET /metrics answered ${response.status}: ${text.slice(0, 200)}`);
      return { ms, cpuMs: (used.user + used.system) / 1000, text, counts: { ...counted.counts } };
    };
    // Until the seeded ledger is counted: a scrape that folded entries in writes their counts
    // (beside the flush of this process's counts).
    const folded = (run: { counts: BackendCounts }) => run.counts.writes > 1;
    const first = await scrape();
    let catchUpScrapes = folded(first) ? 1 : 0;
    let last = first;
    while (folded(last) && catchUpScrapes < 100) {
      last = await scrape();
      if (folded(last)) catchUpScrapes++;
    }
    const idle: number[] = [];
    let idleCounts = last.counts;
    for (let i = 0; i < o.scrapes; i++) {
      const run = await scrape();
      idle.push(run.ms);
      idleCounts = run.counts;
    }
    const busy: number[] = [];
    const busyCpu: number[] = [];
    let busyCounts = last.counts;
    let appended = o.targets * o.entriesPerTarget;
    for (let i = 0; i < o.scrapes; i++) {
      await appendEntries(store, appended, o.appendedPerScrape, o.targets);
      appended += o.appendedPerScrape;
      const run = await scrape();
      busy.push(run.ms);
      busyCpu.push(run.cpuMs);
      busyCounts = run.counts;
    }
    return {
      backend: name,
      targets: o.targets,
      ledgerEntries: o.targets * o.entriesPerTarget,
      catchUpScrapes,
      firstMs: first.ms,
      idle: { p50: percentile(idle, 50), p99: percentile(idle, 99), counts: idleCounts },
      busy: { p50: percentile(busy, 50), p99: percentile(busy, 99), counts: busyCounts },
      busyCpuP50: percentile(busyCpu, 50),
      samples: last.text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length,
      bytes: new TextEncoder().encode(last.text).length,
    };
  } finally {
    await store.close();
  }
}

/** Figures per backend (memory, the SQLite file, Redis when installed), and what was skipped. */
export async function benchMetrics(
  o: MetricsBenchOptions,
): Promise<{ figures: MetricsFigures[]; skipped: string[] }> {
  const figures: MetricsFigures[] = [];
  const skipped: string[] = [];
  figures.push(await measure("memory", memoryBackend(), o));
  const dir = mkdtempSync(join(tmpdir(), "nightshift-bench-metrics-"));
  try {
    figures.push(await measure("sqlite", await sqliteBackend(join(dir, "state.db")), o));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (isInstalled("redis-server")) {
    const redis = await startRedisServer();
    try {
      figures.push(await measure("redis", await redisBackend({ url: redis.url, prefix: "bench:" }), o));
    } finally {
      await redis.stop();
    }
  } else skipped.push(redisSkipped());
  return { figures, skipped };
}
