// `npm run bench`: throughput and latency figures with ratios, printed as a table. Benchmarks
// live here, not in timed unit tests, because shared machines make timings flaky.
//
// Each suite file exports a `signingBench` ({vendor, requests, ours, sdk}); the runner times both
// sides on the same requests, alternating rounds so drift on a busy machine hits both equally.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { WORKERS_SUBREQUEST_LIMIT } from "../../shared/jobs/budget.ts";
import { BUNDLE_BUDGET_GZIP_BYTES, BUNDLE_GOAL_GZIP_BYTES, buildWorkerBundle } from "../bundle/build.ts";
import { measureEvaluationInNode, measureEvaluationInWorkerd, measureStartup } from "../bundle/startup.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchMetrics } from "./metrics.ts";
import { benchNight, type NightBenchResult, type PhaseResult } from "./night.ts";
import { benchDecideTick } from "./planning.ts";
import { sandboxIssuer } from "./renewal-sandbox.ts";
import { benchRenewalYear, type YearResult } from "./renewal-year.ts";
import { benchConcurrentEventsToCloudCall, benchEventToCloudCall, type EventLatency } from "./resize.ts";
import { signingBench as alibaba } from "./signing.alibaba.ts";
import { signingBench as baidu } from "./signing.baidu.ts";
import { signingBench as huawei } from "./signing.huawei.ts";
import { benchStore } from "./store.ts";
import { reportTickStore } from "./tick-store.ts";
import { type AcceptanceFigures, type BenchStore, benchWebhookAcceptance } from "./webhooks.ts";
import { startWorkerdSigner } from "./workerd.ts";

interface SigningBench<T> {
  vendor: string;
  requests: T[];
  ours: (input: T) => Promise<unknown>;
  sdk: (input: T) => unknown;
}

/**
 * BENCH_ONLY=a,b runs only those sections (a night takes minutes): signing, clients, planning,
 * node-night, workers-night, store, tick-store, webhooks, resize, renewal-year, dashboard, bundle, metrics. Default: all of them.
 */
const SECTIONS = [
  "signing",
  "clients",
  "planning",
  "node-night",
  "workers-night",
  "store",
  "tick-store",
  "webhooks",
  "resize",
  "renewal-year",
  "dashboard",
  "bundle",
  "metrics",
] as const;
type Section = (typeof SECTIONS)[number];
function sectionsToRun(value: string | undefined): ReadonlySet<Section> {
  if (!value) return new Set(SECTIONS);
  const asked = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = asked.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY: unknown section ${unknown.join(", ")}; the sections are ${SECTIONS.join(", ")}`,
    );
  }
  return new Set(asked as Section[]);
}
const ONLY = sectionsToRun(process.env.BENCH_ONLY);

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

// Process CPU time (user + system), not wall time: the machine may be shared, and a busy neighbour
// inflates wall time at random while both sides' CPU time stays what the signing costs.
const cpuNow = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

async function opsPerSecond<T>(requests: T[], fn: (input: T) => unknown, ms: number): Promise<number> {
  let done = 0;
  const start = cpuNow();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const request of requests) await fn(request);
    done += requests.length;
    elapsed = cpuNow() - start;
  }
  return (done / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function benchSigning<T>(
  suite: SigningBench<T>,
  workerd: Awaited<ReturnType<typeof startWorkerdSigner>>,
) {
  // Warm up both (JIT, key caches) before measuring.
  await opsPerSecond(suite.requests, suite.ours, 200);
  await opsPerSecond(suite.requests, suite.sdk, 200);
  // Each round times all four (both sides, both hosts) back to back, so a busy spell on a shared
  // machine lands on one round's four figures; the ratios are medians of the rounds' own ratios.
  const ours: number[] = [];
  const sdk: number[] = [];
  const inWorkerd: number[] = [];
  const sdkInWorkerd: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    ours.push(await opsPerSecond(suite.requests, suite.ours, ROUND_MS));
    sdk.push(await opsPerSecond(suite.requests, suite.sdk, ROUND_MS));
    inWorkerd.push(await workerd.opsPerSecond(suite.vendor, "ours", ROUND_MS));
    sdkInWorkerd.push(await workerd.opsPerSecond(suite.vendor, "sdk", ROUND_MS));
  }
  const ratio = (a: number[], b: number[]) => median(a.map((value, i) => value / b[i]!));
  return {
    vendor: suite.vendor,
    ours: median(ours),
    sdk: median(sdk),
    workerd: median(inWorkerd),
    workerdSdk: median(sdkInWorkerd),
    /** ours / SDK, both on Node. */
    ratio: ratio(ours, sdk),
    /** ours / SDK, both inside workerd. */
    workerdRatio: ratio(inWorkerd, sdkInWorkerd),
    /** ours inside workerd / the SDK on Node. */
    workerdVsNodeSdk: ratio(inWorkerd, sdk),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function main() {
  console.log(`nightshift benchmarks: Node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms, median`);
  if (process.env.BENCH_ONLY) console.log(`BENCH_ONLY: ${[...ONLY].join(", ")}`);
  if (ONLY.has("signing")) await signing();
  if (ONLY.has("clients")) await clients();
  if (ONLY.has("planning")) planning();
  if (ONLY.has("node-night")) await nodeNight();
  if (ONLY.has("workers-night")) await workersNight();
  if (ONLY.has("store")) await storeClaims();
  if (ONLY.has("tick-store")) await reportTickStore(Number(process.env.BENCH_FINISHED ?? 60_000));
  if (ONLY.has("webhooks")) await webhookAcceptance();
  if (ONLY.has("resize")) await reportEventToCloudCall();
  if (ONLY.has("renewal-year")) await reportRenewalYear();
  if (ONLY.has("dashboard")) await reportDashboard();
  if (ONLY.has("bundle")) await reportBundle();
  if (ONLY.has("metrics")) await reportMetrics();
}

async function reportBundle() {
  const bundle = await buildWorkerBundle();
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log("\nWorker bundle (as wrangler deploy builds it) and its start-up in workerd");
  console.log(
    `  size  ${kib(bundle.rawBytes)} raw, ${kib(bundle.gzipBytes)} gzip -9` +
      `   (budget ${kib(BUNDLE_BUDGET_GZIP_BYTES)}, goal ${kib(BUNDLE_GOAL_GZIP_BYTES)})`,
  );
  const startup = await measureStartup(bundle.code, ROUNDS);
  console.log(
    `  start-up, spawn to first /healthz, median of ${startup.runs}: bundle ${startup.bundleMs.toFixed(0)} ms,` +
      ` one-line Worker ${startup.baselineMs.toFixed(0)} ms, difference ${startup.scriptMs.toFixed(0)} ms` +
      " (parse, compile, evaluation and the first request's set-up; both with the D1 and queue bindings)",
  );
  const split = (label: string, f: Awaited<ReturnType<typeof measureEvaluationInNode>>, unit: string) =>
    console.log(
      `  ${label} global scope ${f.evaluateMs.toFixed(1)} ms (least ${f.evaluateMinMs.toFixed(1)}),` +
        ` first request +${f.firstRequestMs.toFixed(1)} ms (least ${f.firstRequestMinMs.toFixed(1)}) over a warm one` +
        ` (warm /healthz ${f.warmRequestMs.toFixed(2)} ms), median of ${f.runs} ${unit}`,
    );
  split(
    "workerd:",
    await measureEvaluationInWorkerd(bundle.code, ROUNDS),
    "isolates, workerd's CPU time over the import()ing request",
  );
  split("Node:   ", await measureEvaluationInNode(bundle.code, Math.max(ROUNDS, 7)), "processes, CPU time");
  console.log("  limit: Cloudflare refuses a Worker whose global scope takes over ~1 s of CPU to start");
}

async function reportDashboard() {
  console.log(
    "\nDashboard server time (app.request, signed in): 1,000 targets, 10 schedules, 20 finished operations and 40 ledger entries per target, renewal states; 200 views each, p99 the 99th percentile of them",
  );
  for (const f of await benchDashboard(1000, 200)) {
    console.log(
      `  ${f.store.padEnd(7)} GET /  p50 ${f.fleet.p50.toFixed(1).padStart(6)} ms  p99 ${f.fleet.p99.toFixed(1).padStart(6)} ms  (${Math.round(f.fleet.bytes / 1024)} KiB)` +
        `   GET /targets/{id}  p50 ${f.target.p50.toFixed(1).padStart(6)} ms  p99 ${f.target.p99.toFixed(1).padStart(6)} ms` +
        `   (${fmt(f.operations)} operations, ${fmt(f.ledger)} ledger entries; the tick's savings refresh ${f.savingsRefresh.toFixed(0)} ms)`,
    );
  }
  console.log("goal: GET / under 200 ms of server time for 1,000 targets");
}

async function signing() {
  console.log("\nSigning throughput: requests signed per second, the same 200 requests for every column.");
  console.log(
    "Each vendor's suite (test/bench/signing.*.ts) has two sides: ours (nightshift's signer, hashing" +
      " through #digest) and the vendor SDK's own signer (Huawei AKSKSigner.sign, Alibaba pop-core" +
      " ROAClient.request with its transport stubbed, Baidu Auth.generateAuthorization with the headers" +
      " its client adds). Both sides run on Node and, the same modules bundled with nodejs_compat, inside" +
      " workerd, where the Worker signs.",
  );
  const header = [
    "vendor",
    "SDK (Node)",
    "ours (Node)",
    "ratio",
    "SDK (workerd)",
    "ours (workerd)",
    "ratio",
    "vs SDK (Node)",
  ];
  console.log(header.map((h, i) => (i === 0 ? h.padEnd(10) : h.padStart(15))).join(""));
  const suites = [huawei, alibaba, baidu] as SigningBench<unknown>[];
  const workerd = await startWorkerdSigner();
  try {
    for (const suite of suites) {
      const r = await benchSigning(suite, workerd);
      const cells = [
        fmt(r.sdk),
        fmt(r.ours),
        `${r.ratio.toFixed(2)}x`,
        fmt(r.workerdSdk),
        fmt(r.workerd),
        `${r.workerdRatio.toFixed(2)}x`,
        `${r.workerdVsNodeSdk.toFixed(2)}x`,
      ];
      console.log(r.vendor.padEnd(10) + cells.map((c) => c.padStart(15)).join(""));
    }
  } finally {
    await workerd.dispose();
  }
  console.log(
    "\nratio = ours / SDK on the same host; vs SDK (Node) = ours in workerd / the SDK on Node; each the median of" +
      " the rounds' own ratios (a round times all four columns back to back); goal: 1.00x or more." +
      ` Per second of CPU time (Node: this process; workerd: its ${workerd.clock === "CPU" ? "threads' CPU time" : "wall time (no /proc here)"}` +
      " over the requests, net of one request's round trip).",
  );
}

async function clients() {
  const concurrency = 50;
  console.log(
    `\nProvider clients against the sandbox clouds (separate process), concurrency ${concurrency}, signed requests`,
  );
  const header2 = ["vendor", "operation", "calls/s", "p50 ms", "p99 ms", "errors", "peak RSS MB"];
  console.log(header2.map((h, i) => (i < 2 ? h.padEnd(16) : h.padStart(12))).join(""));
  const { stdout } = await promisify(execFile)(process.execPath, [
    new URL("./clients.ts", import.meta.url).pathname,
    String(concurrency),
    String(ROUND_MS * ROUNDS),
  ]);
  const clientResults = JSON.parse(stdout.trim().split("\n").at(-1)!) as Array<{
    vendor: string;
    operation: string;
    callsPerSecond: number;
    p50: number;
    p99: number;
    errors: number;
    peakRssMb: number;
  }>;
  for (const r of clientResults) {
    const cells = [
      fmt(r.callsPerSecond),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      String(r.errors),
      r.peakRssMb.toFixed(0),
    ];
    console.log(r.vendor.padEnd(16) + r.operation.padEnd(16) + cells.map((c) => c.padStart(12)).join(""));
  }
}

function planning() {
  const planning = benchDecideTick(10_000, 50);
  console.log(
    `\nPlanning one tick (decideTick): 10,000 targets x 50 schedules: ${planning.medianMs.toFixed(1)} ms median, ` +
      `${planning.decisions} decisions (goal: under 50 ms; ${(planning.medianMs / 50).toFixed(2)} of the budget)`,
  );
}

/** BENCH_TRACE=n: the n slowest clusters' requests, per phase, after the night's figures. */
const TRACE = Number(process.env.BENCH_TRACE ?? 0);

/** A phase's figures against both bounds (night.ts: the corrected one counts the starting requests). */
const phaseLine = (name: string, p: PhaseResult, goal: string) =>
  `  ${name}: ${p.simulatedMinutes.toFixed(2)} simulated minutes; ratio ${p.originalRatio.toFixed(2)} to the ` +
  `original bound ${p.originalBoundMinutes.toFixed(2)} (goal: ${goal}), ${p.ratio.toFixed(2)} to the corrected ` +
  `bound ${p.lowerBoundMinutes.toFixed(2)} (${p.boundBy}); ${p.apiCallsPerCluster.toFixed(1)} API calls per cluster` +
  (p.trace ?? []).map((line) => `\n    ${line}`).join("");

async function nodeNight() {
  const night = await benchNight({
    clusters: 1000,
    accounts: 10,
    ratePerSecond: 10,
    wake: true,
    trace: TRACE,
  });
  console.log(
    `\nA night of ${night.clusters} sandbox clusters (Huawei, full) over ${night.accounts} accounts at 10 requests/s each, the Node host's way:\n` +
      `${phaseLine("sleep", night.sleep, "1.10 or less")}\n${phaseLine("wake ", night.wake!, "1.10 or less")}\n` +
      `  ${night.failed} failed, ${night.throttled} answered 429; ${night.realSeconds.toFixed(0)} s real`,
  );
}

async function workersNight() {
  // The Worker's way: cron every 60 s dispatching to the queue, consumers per wrangler.toml.
  const workersLine = (n: NightBenchResult) => {
    const w = n.workers!;
    return (
      `  ${w.invocations} consumer invocations, at most ${w.maxConsumerSubrequests} subrequests each ` +
      `(limit ${WORKERS_SUBREQUEST_LIMIT}); cron at most ${w.maxCronSubrequests} (store and queue at most ` +
      `${w.maxCronStoreSubrequests}; listing the fleet ${w.maxCronListingSubrequests}); ` +
      `${w.storeQueriesPerStep.toFixed(1)} store (D1) queries per step (goal: as few as the step's durable writes allow); ${w.messages} messages, ` +
      `${w.deadLettered} dead-lettered\n  ${n.failed} failed, ${n.throttled} answered 429; ${n.realSeconds.toFixed(0)} s real`
    );
  };
  const workersNight = await benchNight({
    clusters: 1000,
    accounts: 10,
    ratePerSecond: 10,
    wake: true,
    host: "workers",
    trace: TRACE,
  });
  console.log(
    `\nThe same night the Worker's way (cron + Cloudflare Queues consumers):\n` +
      `${phaseLine("sleep", workersNight.sleep, "1.2 or less")}\n${phaseLine("wake ", workersNight.wake!, "1.2 or less")}\n${workersLine(workersNight)}`,
  );
  // 10,000 clusters: consumers now read only their batch's targets, but the cron applies about 200
  // decisions per minute within its budget, so 10,000 first sights and creations take most of an
  // hour of cron ticks (the fleet's creations move to the consumers next). Opt in with
  // BENCH_WORKERS_LARGE=10000.
  const largeClusters = Number(process.env.BENCH_WORKERS_LARGE ?? 0);
  if (largeClusters > 0) {
    const large = await benchNight({
      clusters: largeClusters,
      accounts: Math.max(1, Math.round(largeClusters / 100)),
      ratePerSecond: 10,
      host: "workers",
    });
    console.log(
      `\n${large.clusters} clusters over ${large.accounts} accounts the Worker's way (sleep only):\n` +
        `${phaseLine("sleep", large.sleep, "1.2 or less")}\n${workersLine(large)}`,
    );
  } else {
    console.log(
      "\n10,000 clusters the Worker's way: skipped (the cron applies about 200 decisions per minute " +
        "within its subrequest budget, so the fleet is not created by the night); set BENCH_WORKERS_LARGE=10000 to run it.",
    );
  }
}

async function reportMetrics() {
  const options = {
    targets: Number(process.env.BENCH_METRICS_TARGETS ?? 1000),
    entriesPerTarget: 20,
    scrapes: 200,
    appendedPerScrape: 50,
  };
  console.log(
    `\nGET /metrics with ${options.targets} targets (${options.targets} unfinished and ${2 * options.targets} finished operations, ` +
      `${options.targets * options.entriesPerTarget} ledger entries, ${options.targets} renewal states), ${options.scrapes} scrapes per column`,
  );
  console.log(
    `${"backend".padEnd(10)}${"first ms".padStart(10)}${"catch-up".padStart(10)}${"idle p50".padStart(10)}${"idle p99".padStart(10)}` +
      `${"busy p50".padStart(10)}${"busy p99".padStart(10)}${"cpu p50".padStart(9)}${"reads".padStart(7)}${"rows".padStart(7)}${"writes".padStart(8)}${"samples".padStart(9)}${"KB".padStart(7)}`,
  );
  const { figures, skipped } = await benchMetrics(options);
  for (const f of figures) {
    console.log(
      `${f.backend.padEnd(10)}${f.firstMs.toFixed(1).padStart(10)}${String(f.catchUpScrapes).padStart(10)}` +
        `${f.idle.p50.toFixed(2).padStart(10)}${f.idle.p99.toFixed(2).padStart(10)}${f.busy.p50.toFixed(2).padStart(10)}` +
        `${f.busy.p99.toFixed(2).padStart(10)}${f.busyCpuP50.toFixed(1).padStart(9)}${String(f.busy.counts.reads).padStart(7)}${String(f.busy.counts.rows).padStart(7)}` +
        `${String(f.busy.counts.writes).padStart(8)}${String(f.samples).padStart(9)}${(f.bytes / 1024).toFixed(0).padStart(7)}`,
    );
  }
  for (const line of skipped) console.log(line);
  console.log(
    `first: the first scrape, which counts the seeded ledger's first ${10_000} entries; catch-up: the scrapes that ` +
      `counted the seeded ledger. idle: nothing appended between scrapes; busy: ${options.appendedPerScrape} ledger ` +
      "entries appended before each (folded in by that scrape); cpu: this process's CPU time per busy scrape (Redis's own not included). reads, rows, writes: store calls of one busy scrape " +
      "(the flush of this process's counts, the ledger counts and the entries since, the unfinished operations, the " +
      "renewal states, the tallies). Times around app.request, the exposition included.",
  );
}

async function storeClaims() {
  console.log("\nStore: idempotency claims of fresh keys, 16 concurrent callers");
  console.log(
    `${"backend".padEnd(22)}${"claims/s".padStart(12)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}`,
  );
  const store = await benchStore(5000);
  for (const r of store.figures) {
    console.log(
      `${r.backend.padEnd(22)}${fmt(r.claimsPerSecond).padStart(12)}${r.p50.toFixed(2).padStart(10)}${r.p99.toFixed(2).padStart(10)}`,
    );
  }
  for (const line of store.skipped) console.log(line);
}

async function webhookAcceptance() {
  const webhookConcurrency = 50;
  const webhookCount = Number(process.env.BENCH_WEBHOOKS ?? 2000);
  const pacedRate = Number(process.env.BENCH_WEBHOOKS_RATE ?? 300);
  console.log(
    `\nWebhook acceptance on the Node host: up to ${webhookCount} deliveries per row, service in its own process, ` +
      "answered once the resize function's accept has recorded each event (claim, resize operation, record done; no cloud call)",
  );
  console.log(
    `${"senders".padEnd(11)}${"source".padEnd(14)}${"deliveries".padEnd(12)}${"store".padEnd(18)}${"per s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}` +
      `${"own p50".padStart(9)}${"own p99".padStart(9)}${"ops".padStart(7)}${"unexpected".padStart(12)}`,
  );
  // One sender at a time: the cost of one delivery. Then 50 at once, the goal's concurrency:
  // always 50 in flight (each sends again as soon as answered), then 50 senders at a fixed total rate.
  const runs: Array<{ concurrency: number; store: BenchStore; count: number; ratePerSecond?: number }> = [
    { concurrency: 1, store: "sqlite", count: Math.min(webhookCount, 500) },
    { concurrency: 1, store: "memory", count: Math.min(webhookCount, 500) },
    ...(["sqlite", "sqlite-unbatched", "memory"] as const).map((store) => ({
      concurrency: webhookConcurrency,
      store,
      count: webhookCount,
    })),
    ...(["sqlite", "memory"] as const).map((store) => ({
      concurrency: webhookConcurrency,
      store,
      count: Math.min(webhookCount, pacedRate * 5),
      ratePerSecond: pacedRate,
    })),
  ];
  const rows: Array<{ concurrency: number } & AcceptanceFigures> = [];
  for (const { concurrency, count, ...options } of runs) {
    for (const r of await benchWebhookAcceptance(count, { concurrency, ...options }))
      rows.push({ concurrency, ...r });
  }
  for (const r of rows) {
    const senders = r.ratePerSecond ? `${r.concurrency}@${r.ratePerSecond}/s` : String(r.concurrency);
    console.log(
      `${senders.padEnd(11)}${r.source.padEnd(14)}${r.deliveries.padEnd(12)}${r.store.padEnd(18)}${fmt(r.perSecond).padStart(9)}` +
        `${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${r.handledP50.toFixed(1).padStart(9)}` +
        `${r.handledP99.toFixed(1).padStart(9)}${String(r.operationsCreated).padStart(7)}${String(r.unexpected).padStart(12)}`,
    );
  }
  const saturated = rows.filter((r) => r.concurrency === webhookConcurrency && r.ratePerSecond === undefined);
  const worst = Math.max(...saturated.filter((r) => r.store === "sqlite").map((r) => r.p99));
  const fastest = Math.max(...saturated.filter((r) => r.store === "memory").map((r) => r.perSecond));
  console.log(
    "p50/p99: the sender's (sent, or due when paced, to answered); own: the service's time per delivery without socket " +
      "queueing; ops: resize operations created (one per distinct event). sqlite: group commit (the writes of concurrent " +
      "deliveries share one commit); sqlite-unbatched: one commit per write, for comparison; 50@N/s: 50 senders at N " +
      "deliveries/s in all.\n" +
      `Goal: p99 under 5 ms at concurrency 50 with SQLite; worst ${worst.toFixed(1)} ms with 50 always in flight. Then ` +
      `latency is at least 50 / throughput (Little's law): under 5 ms needs over 10,000 deliveries/s from one process; ` +
      `the memory store (nothing durable) does at most ${fmt(fastest)}/s, so the bound is the service's CPU per ` +
      "delivery (HTTP, parse, accept), not the durable record. On a machine other processes load, the paced p99 is " +
      "their scheduling as much as ours.",
  );
}

async function reportRenewalYear() {
  const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
  const print = (title: string, year: YearResult, seconds: number) => {
    const vendors = Object.entries(year.byVendor)
      .map(([vendor, f]) => `${vendor} ${f.renewalsPerCluster.toFixed(1)}`)
      .join(", ");
    console.log(
      `
${title}: ${year.clusters} clusters over the four clouds (vendor duration limits), 20 % of cloud answers ` +
        `failing, ${year.withWindow} with a renewal window ` +
        `(${year.windowsRefused} more declared a window validation refuses for their lifetime):
` +
        `  moments a stored credential was expired: ${year.expiredEpisodes} (${year.expiredMinutes} min; goal: 0)
` +
        `  renewals per cluster: ${year.renewalsPerCluster.toFixed(1)} (${vendors}); ${year.attempts} attempts, ${year.failedAttempts} failed
` +
        `  delay after the planned renewal time: p50 ${hours(year.delayMs.p50)}, p99 ${hours(year.delayMs.p99)}, max ${hours(year.delayMs.max)}; ` +
        `without a window p99 ${hours(year.delayWithoutWindowMs.p99)}
` +
        `  windows passed to beat expiry: ${year.windowOverrides}; longest back-off ${hours(year.longestBackoffMs)}; ` +
        `${seconds.toFixed(0)} s real`,
    );
  };
  let started = performance.now();
  print(
    "A simulated year of certificate renewal, model issuer",
    await benchRenewalYear({ clusters: 1000, failureRate: 0.2 }),
    (performance.now() - started) / 1000,
  );
  // The same year with the renewal job itself issuing, validating and storing every credential on
  // the sandbox clouds (virtual time): as many credentials as a few minutes allow.
  const start = new Date("2026-01-01T00:00:00Z");
  const sandbox = await sandboxIssuer({
    start,
    failureRate: 0.2,
    credentialsPerCluster: Number(process.env.BENCH_RENEWAL_CREDENTIALS_PER_CLUSTER ?? 4),
  });
  try {
    started = performance.now();
    print(
      "The same year with the renewal job on the sandbox clouds (real X.509, vault, 20 % injected 5xx)",
      await benchRenewalYear({ clusters: sandbox.clusters, failureRate: 0.2, issuer: sandbox.issuer, start }),
      (performance.now() - started) / 1000,
    );
  } finally {
    await sandbox.stop();
  }
}

async function reportEventToCloudCall() {
  const events = Number(process.env.BENCH_RESIZE_EVENTS ?? 100);
  const inFlight = Number(process.env.BENCH_RESIZE_IN_FLIGHT ?? 50);
  console.log(
    "\nResize on events (Node, SQLite store, sandbox in its own process): from accept to the resize request leaving for the cloud",
  );
  const line = (label: string, r: EventLatency) =>
    `${label.padEnd(44)}p50 ${r.p50Ms.toFixed(1).padStart(7)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms  max ${r.maxMs.toFixed(1).padStart(7)} ms`;
  console.log(line(`${events} events one after another`, await benchEventToCloudCall(events)));
  console.log(
    line(`${inFlight} events in flight, distinct pools`, await benchConcurrentEventsToCloudCall(inFlight)),
  );
  console.log("goal: p99 under 2,000 ms; the ticker alone: up to 15,000");
}

await main();
