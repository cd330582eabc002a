// `npm run bench`: throughput and latency figures with ratios. Benchmarks live here, not in timed
// unit tests, because shared machines make timings flaky. Each section returns its figures (unit,
// which way is better, goal); they are printed as tables (report.ts), written as a JSON record
// (record.ts, record-file.ts) and, given a previous record, compared with it. Peak RSS per
// section: rss.ts.
//
// Each suite file exports a `signingBench` ({vendor, requests, ours, sdk}); the runner times both
// sides on the same requests, alternating rounds so drift on a busy machine hits both equally.

import { execFile } from "node:child_process";
import { loadavg } from "node:os";
import { promisify } from "node:util";
import { WORKERS_SUBREQUEST_LIMIT } from "../../shared/jobs/budget.ts";
import { BUNDLE_BUDGET_GZIP_BYTES, BUNDLE_GOAL_GZIP_BYTES, buildWorkerBundle } from "../bundle/build.ts";
import {
  type EvaluationFigures,
  measureEvaluationInNode,
  measureEvaluationInWorkerd,
  measureStartup,
} from "../bundle/startup.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchMetrics } from "./metrics.ts";
import { benchNight, type NightBenchResult, type PhaseResult } from "./night.ts";
import { benchDecideTick } from "./planning.ts";
import {
  BenchRecordError,
  buildRecord,
  compareRecords,
  type Figure,
  figureList,
  runDifferences,
  type SectionFigures,
  type SectionRecord,
} from "./record.ts";
import {
  BenchOptionError,
  benchEnv,
  ensureWritable,
  gitFacts,
  machineFacts,
  readRecord,
  recordOptions,
  writeRecord,
} from "./record-file.ts";
import { sandboxIssuer } from "./renewal-sandbox.ts";
import { benchRenewalYear, type YearResult } from "./renewal-year.ts";
import { formatNumber, renderComparison, renderSection } from "./report.ts";
import { benchConcurrentEventsToCloudCall, benchEventToCloudCall, type EventLatency } from "./resize.ts";
import { SAMPLE_MS, type SectionMemory, watchMemory } from "./rss.ts";
import { signingBench as alibaba } from "./signing.alibaba.ts";
import { signingBench as baidu } from "./signing.baidu.ts";
import { signingBench as huawei } from "./signing.huawei.ts";
import { benchStore } from "./store.ts";
import { tickStoreSection } from "./tick-store.ts";
import { type AcceptanceFigures, type BenchStore, benchWebhookAcceptance } from "./webhooks.ts";
import { startWorkerdSigner } from "./workerd.ts";

interface SigningBench<T> {
  vendor: string;
  requests: T[];
  ours: (input: T) => Promise<unknown>;
  sdk: (input: T) => unknown;
}

/**
 * BENCH_ONLY=a,b runs only those sections (a night takes minutes), in this order. Default: all of them.
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
    throw new BenchOptionError(
      `BENCH_ONLY: unknown section ${unknown.join(", ")}; the sections are ${SECTIONS.join(", ")}`,
    );
  }
  return new Set(asked as Section[]);
}

type FigureList = ReturnType<typeof figureList>;

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

/** The sections in the order they run, each returning its figures. */
const RUN: Record<Section, () => Promise<SectionFigures>> = {
  signing,
  clients,
  planning: async () => planning(),
  "node-night": nodeNight,
  "workers-night": workersNight,
  store: storeClaims,
  "tick-store": () => tickStoreSection(Number(process.env.BENCH_FINISHED ?? 60_000)),
  webhooks: webhookAcceptance,
  resize: eventToCloudCall,
  "renewal-year": renewalYear,
  dashboard,
  bundle,
  metrics,
};

const MIB = 1024 * 1024;

/** The peak-RSS table: a row per section run. */
function peakRssFigures(peaks: ReadonlyArray<[Section, SectionMemory]>): SectionFigures {
  const f = figureList("peak-rss");
  for (const [section, m] of peaks) {
    if (m.bench !== null) f.add(section, "bench process", m.bench / MIB, "MiB", { better: "lower" });
    if (m.largestChild)
      f.add(section, "largest child", m.largestChild.bytes / MIB, "MiB", { better: "lower" });
    if (m.children > 0) {
      f.add(section, "children at once", m.childrenTogether / MIB, "MiB", { better: "lower" });
      f.add(section, "child processes", m.children, "count", { better: "neither" });
    }
  }
  const largest = peaks
    .filter(([, m]) => m.largestChild)
    .map(([section, m]) => `${section} ${m.largestChild!.name}`)
    .join(", ");
  const samplerMs = peaks.reduce((sum, [, m]) => sum + m.samplerCpuMs, 0);
  return {
    title: "Peak resident memory (RSS) per section, as the kernel counts it",
    figures: f.figures,
    notes: [
      "bench process: its own high-water mark (VmHWM), reset at the section's start; children: every process it started " +
        `(and theirs), each one's VmHWM read every ${SAMPLE_MS} ms while it lives (growth in a child's last ${SAMPLE_MS} ms is missed); ` +
        "at once: the most they held together in one sample.",
      ...(largest ? [`largest child: ${largest}`] : []),
      `the sampler (a process of its own) took ${formatNumber(samplerMs)} ms of CPU over the run`,
    ],
  };
}

async function main() {
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const only = sectionsToRun(process.env.BENCH_ONLY);
  const options = recordOptions(process.argv.slice(2), process.env, startedAt);
  // Before hours of measuring: a bad record to compare with, or a path that cannot be written, is refused now.
  const previous = options.compare ? readRecord(options.compare) : undefined;
  ensureWritable(options.out);
  const machine = machineFacts(loadAtStart);
  console.log(
    `nightshift benchmarks: Node ${process.version}, ${machine.cpus} CPUs (${machine.cpuModel}), load average ` +
      `${loadAtStart[0]!.toFixed(1)}; ${ROUNDS} rounds of ${ROUND_MS} ms, median`,
  );
  if (process.env.BENCH_ONLY) console.log(`BENCH_ONLY: ${[...only].join(", ")}`);
  if (previous) console.log(`comparing with ${options.compare} (${previous.startedAt})`);

  const memory = await watchMemory();
  const sections: SectionRecord[] = [];
  const figures: Figure[] = [];
  const peaks: Array<[Section, SectionMemory]> = [];
  try {
    for (const name of SECTIONS.filter((s) => only.has(s))) {
      console.log(`\n[${name}] running`);
      await memory?.begin();
      const started = performance.now();
      let result: SectionFigures | undefined;
      let error: string | undefined;
      try {
        result = await RUN[name]();
      } catch (thrown) {
        error = thrown instanceof Error ? thrown.message : String(thrown);
        console.error(thrown);
      }
      const section: SectionRecord = {
        name,
        title: result?.title ?? name,
        notes: result?.notes ?? [],
        seconds: Math.round(performance.now() - started) / 1000,
        ...(error === undefined ? {} : { error }),
      };
      const memoryOf = await memory?.end();
      if (memoryOf) peaks.push([name, memoryOf]);
      for (const line of renderSection(section, result?.figures ?? [])) console.log(line);
      sections.push(section);
      figures.push(...(result?.figures ?? []));
    }
  } finally {
    memory?.stop();
  }
  if (memory) {
    const rss = peakRssFigures(peaks);
    const section = { name: "peak-rss", title: rss.title, notes: rss.notes, seconds: 0 };
    for (const line of renderSection(section, rss.figures)) console.log(line);
    sections.push(section);
    figures.push(...rss.figures);
  } else console.log("\nPeak RSS: not measured (it needs Linux /proc)");

  const record = buildRecord({
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineFacts(loadAtStart),
    git: gitFacts(),
    settings: {
      sections: SECTIONS.filter((s) => only.has(s)),
      rounds: ROUNDS,
      roundMs: ROUND_MS,
      env: benchEnv(process.env),
    },
    sections,
    figures,
  });
  writeRecord(record, options.out);
  console.log(`\nrecord: ${options.out}`);
  if (previous) {
    const comparison = compareRecords(previous, record, options.noise);
    for (const line of renderComparison(comparison, previous, record, runDifferences(previous, record)))
      console.log(line);
  }
  const failed = sections.filter((s) => s.error).map((s) => s.name);
  if (failed.length > 0) {
    console.error(`\nfailed sections: ${failed.join(", ")} (their figures are missing from the record)`);
    process.exitCode = 1;
  }
}

async function bundle(): Promise<SectionFigures> {
  const f = figureList("bundle");
  const built = await buildWorkerBundle();
  f.add("size", "raw", built.rawBytes / 1024, "KiB", { better: "lower", exact: true });
  f.add("size", "gzip -9", built.gzipBytes / 1024, "KiB", {
    better: "lower",
    exact: true,
    goal: { op: "<=", value: BUNDLE_GOAL_GZIP_BYTES / 1024 },
  });
  const startup = await measureStartup(built.code, ROUNDS);
  const spawn = { table: "spawn to first /healthz (workerd)" } as const;
  f.add("median", "bundle", startup.bundleMs, "ms", { better: "lower", ...spawn });
  f.add("median", "one-line Worker", startup.baselineMs, "ms", { better: "neither", ...spawn });
  f.add("median", "difference", startup.scriptMs, "ms", { better: "lower", ...spawn });
  // A row per step and host, the median and the least of the runs side by side.
  const split = (host: string, e: EvaluationFigures) => {
    const cpu = { better: "lower", table: "CPU time" } as const;
    f.add(`${host}: global scope`, "median", e.evaluateMs, "ms", {
      ...cpu,
      // Cloudflare refuses a Worker whose global scope takes over ~1 s of CPU to start.
      ...(host === "workerd" ? { goal: { op: "<", value: 1000 } as const } : {}),
    });
    f.add(`${host}: global scope`, "least", e.evaluateMinMs, "ms", cpu);
    f.add(`${host}: first request over warm`, "median", e.firstRequestMs, "ms", cpu);
    f.add(`${host}: first request over warm`, "least", e.firstRequestMinMs, "ms", cpu);
    f.add(`${host}: warm /healthz`, "median", e.warmRequestMs, "ms", cpu);
    return e.runs;
  };
  const workerdRuns = split("workerd", await measureEvaluationInWorkerd(built.code, ROUNDS));
  const nodeRuns = split("Node", await measureEvaluationInNode(built.code, Math.max(ROUNDS, 7)));
  return {
    title: "Worker bundle (as wrangler deploy builds it) and its start-up in workerd",
    figures: f.figures,
    notes: [
      `size: gzip -9 of the bundle; goal ${formatNumber(BUNDLE_GOAL_GZIP_BYTES / 1024)} KiB, the test's budget today ${formatNumber(BUNDLE_BUDGET_GZIP_BYTES / 1024)} KiB`,
      `spawn to first /healthz: median of ${startup.runs}, the bundle against a one-line Worker (both with the D1 and queue bindings); ` +
        "the difference is parse, compile, evaluation and the first request's set-up",
      `global scope: the bundle's import(); first request: its extra over a warm /healthz; least: the least of the runs ` +
        `(on a busy machine the closest to the work itself). workerd: median of ${workerdRuns} isolates, workerd's CPU time ` +
        `over the import()ing request; Node: median of ${nodeRuns} processes, CPU time`,
      "limit: Cloudflare refuses a Worker whose global scope takes over ~1 s of CPU to start",
    ],
  };
}

async function dashboard(): Promise<SectionFigures> {
  const f = figureList("dashboard");
  const views = 200;
  const results = await benchDashboard(1000, views);
  for (const r of results) {
    f.add(r.store, "GET / p50", r.fleet.p50, "ms", { better: "lower" });
    f.add(r.store, "GET / p99", r.fleet.p99, "ms", { better: "lower", goal: { op: "<", value: 200 } });
    f.add(r.store, "GET / size", r.fleet.bytes / 1024, "KiB", { better: "lower" });
    f.add(r.store, "target p50", r.target.p50, "ms", { better: "lower" });
    f.add(r.store, "target p99", r.target.p99, "ms", { better: "lower" });
    f.add(r.store, "savings refresh", r.savingsRefresh, "ms", { better: "lower" });
    f.add(r.store, "operations", r.operations, "count", { better: "neither", exact: true });
    f.add(r.store, "ledger entries", r.ledger, "count", { better: "neither", exact: true });
  }
  return {
    title:
      "Dashboard server time (app.request, signed in): 1,000 targets, 10 schedules, 20 finished operations and " +
      `40 ledger entries per target, renewal states; ${views} views each`,
    figures: f.figures,
    notes: [
      "target: GET /targets/{id}; p99: the 99th percentile of the views; savings refresh: the tick's refresh of the fleet's savings",
      "goal: GET / under 200 ms of server time for 1,000 targets",
    ],
  };
}

async function signing(): Promise<SectionFigures> {
  const f = figureList("signing");
  const atLeastSdk = { better: "higher", goal: { op: ">=", value: 1 } } as const;
  const suites = [huawei, alibaba, baidu] as SigningBench<unknown>[];
  const workerd = await startWorkerdSigner();
  try {
    for (const suite of suites) {
      const r = await benchSigning(suite, workerd);
      f.add(r.vendor, "SDK on Node", r.sdk, "/s", { better: "higher" });
      f.add(r.vendor, "ours on Node", r.ours, "/s", { better: "higher" });
      f.add(r.vendor, "ratio on Node", r.ratio, "x", atLeastSdk);
      f.add(r.vendor, "SDK in workerd", r.workerdSdk, "/s", { better: "higher" });
      f.add(r.vendor, "ours in workerd", r.workerd, "/s", { better: "higher" });
      f.add(r.vendor, "ratio in workerd", r.workerdRatio, "x", atLeastSdk);
      f.add(r.vendor, "workerd vs SDK on Node", r.workerdVsNodeSdk, "x", atLeastSdk);
    }
  } finally {
    await workerd.dispose();
  }
  return {
    title:
      "Signing throughput: requests signed per second of CPU time, the same 200 requests for every column",
    figures: f.figures,
    notes: [
      "Each vendor's suite (test/bench/signing.*.ts) has two sides: ours (nightshift's signer, hashing through #digest) and " +
        "the vendor SDK's own signer (Huawei AKSKSigner.sign, Alibaba pop-core ROAClient.request with a transport that captures the signed request instead of sending it, " +
        "Baidu Auth.generateAuthorization with the headers its client adds). Both sides run on Node and, the same modules " +
        "bundled with nodejs_compat, inside workerd, where the Worker signs.",
      "ratio = ours / SDK on the same host; workerd vs SDK on Node = ours in workerd / the SDK on Node; each the median of " +
        "the rounds' own ratios (a round times all four columns back to back); goal: 1.00x or more.",
      `Per second of CPU time (Node: this process; workerd: its ${workerd.clock === "CPU" ? "threads' CPU time" : "wall time (no /proc here)"} ` +
        "over the requests, net of one request's round trip).",
    ],
  };
}

async function clients(): Promise<SectionFigures> {
  const concurrency = 50;
  const f = figureList("clients");
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
    const row = `${r.vendor} ${r.operation}`;
    f.add(row, "calls", r.callsPerSecond, "/s", { better: "higher" });
    f.add(row, "p50", r.p50, "ms", { better: "lower" });
    f.add(row, "p99", r.p99, "ms", { better: "lower" });
    f.add(row, "errors", r.errors, "count", { better: "lower", goal: { op: "=", value: 0 } });
    f.add(row, "client RSS", r.peakRssMb, "MiB", { better: "lower" });
  }
  return {
    title: `Provider clients against the sandbox clouds (separate process), concurrency ${concurrency}, signed requests`,
    figures: f.figures,
    notes: [
      "client RSS: the client process's own peak, sampled every 50 ms (the sandbox is a process of its own)",
    ],
  };
}

function planning(): SectionFigures {
  const f = figureList("planning");
  const result = benchDecideTick(10_000, 50);
  const row = "10,000 targets x 50 schedules";
  f.add(row, "median", result.medianMs, "ms", { better: "lower", goal: { op: "<", value: 50 } });
  f.add(row, "decisions", result.decisions, "count", { better: "neither", exact: true });
  return {
    title: "Planning one tick (decideTick)",
    figures: f.figures,
    notes: [`median of 8 rounds; ${(result.medianMs / 50).toFixed(2)} of the 50 ms budget`],
  };
}

/** BENCH_TRACE=n: the n slowest clusters' requests, per phase, after the night's figures. */
const TRACE = Number(process.env.BENCH_TRACE ?? 0);
/** BENCH_NIGHT_CLUSTERS=n: a smaller (quicker) night than the 1,000 clusters the goals are set for. */
const NIGHT_CLUSTERS = Number(process.env.BENCH_NIGHT_CLUSTERS ?? 1000);

/**
 * A phase's figures against both bounds (night.ts: the corrected one counts the starting
 * requests). Simulated in virtual time over a seeded fleet: exact from run to run.
 */
function phaseFigures(f: FigureList, row: string, p: PhaseResult, goal: number): string[] {
  const exact = { exact: true };
  f.add(row, "simulated", p.simulatedMinutes, "min", { better: "lower", ...exact });
  f.add(row, "original bound", p.originalBoundMinutes, "min", { better: "neither", ...exact });
  f.add(row, "ratio to original", p.originalRatio, "x", {
    better: "lower",
    goal: { op: "<=", value: goal },
    ...exact,
  });
  f.add(row, "corrected bound", p.lowerBoundMinutes, "min", { better: "neither", ...exact });
  f.add(row, "ratio to corrected", p.ratio, "x", { better: "lower", ...exact });
  f.add(row, "API calls per cluster", p.apiCallsPerCluster, "count", { better: "lower", ...exact });
  return [
    `${row}: the corrected bound is set by ${p.boundBy}`,
    ...(p.trace ?? []).map((line) => `  ${line}`),
  ];
}

/** A night's outcome (a row per quantity, a column per night): failures and 429s (goal: none), its real time. */
function outcomeFigures(f: FigureList, night: string, n: NightBenchResult) {
  const table = { table: "outcome" };
  const none = { better: "lower", exact: true, goal: { op: "=", value: 0 }, ...table } as const;
  f.add("failed", night, n.failed, "count", none);
  f.add("answered 429", night, n.throttled, "count", none);
  f.add("real time", night, n.realSeconds, "s", { better: "lower", ...table });
}

const NIGHT_NOTES = [
  "simulated: minutes from the phase's time to the end of the tick that saw its last operation succeed; ratio to original: " +
    "against the original bound (every cluster's cloud work starting at the phase's time); ratio to corrected: against the " +
    "bound after each account's unavoidable first requests",
];

async function nodeNight(): Promise<SectionFigures> {
  const f = figureList("node-night");
  const night = await benchNight({
    clusters: NIGHT_CLUSTERS,
    accounts: 10,
    ratePerSecond: 10,
    wake: true,
    trace: TRACE,
  });
  const notes = [...phaseFigures(f, "sleep", night.sleep, 1.1), ...phaseFigures(f, "wake", night.wake!, 1.1)];
  outcomeFigures(f, "night", night);
  return {
    title: `A night of ${night.clusters} sandbox clusters (Huawei, full) over ${night.accounts} accounts at 10 requests/s each, the Node host's way`,
    figures: f.figures,
    notes: [...NIGHT_NOTES, ...notes, "goal: ratio to original 1.10 or less"],
  };
}

/** What the Worker's invocations did (a row per quantity, a column per night): subrequests against the limit, D1 queries, messages. */
function workersFigures(f: FigureList, night: string, n: NightBenchResult) {
  const w = n.workers!;
  const options = { exact: true, table: "the Worker's invocations" };
  const withinLimit = {
    better: "lower",
    goal: { op: "<=", value: WORKERS_SUBREQUEST_LIMIT },
    ...options,
  } as const;
  f.add("consumer invocations", night, w.invocations, "count", { better: "neither", ...options });
  f.add("consumer subrequests, most", night, w.maxConsumerSubrequests, "count", withinLimit);
  f.add("cron subrequests, most", night, w.maxCronSubrequests, "count", withinLimit);
  f.add("cron store and queue, most", night, w.maxCronStoreSubrequests, "count", {
    better: "lower",
    ...options,
  });
  f.add("cron listing, most", night, w.maxCronListingSubrequests, "count", { better: "lower", ...options });
  f.add("D1 queries per step", night, w.storeQueriesPerStep, "count", { better: "lower", ...options });
  f.add("messages", night, w.messages, "count", { better: "neither", ...options });
  f.add("dead-lettered", night, w.deadLettered, "count", {
    better: "lower",
    goal: { op: "=", value: 0 },
    ...options,
  });
}

async function workersNight(): Promise<SectionFigures> {
  // The Worker's way: cron every 60 s dispatching to the queue, consumers per wrangler.toml.
  const f = figureList("workers-night");
  const night = await benchNight({
    clusters: NIGHT_CLUSTERS,
    accounts: 10,
    ratePerSecond: 10,
    wake: true,
    host: "workers",
    trace: TRACE,
  });
  const notes = [...phaseFigures(f, "sleep", night.sleep, 1.2), ...phaseFigures(f, "wake", night.wake!, 1.2)];
  workersFigures(f, "night", night);
  outcomeFigures(f, "night", night);
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
    // A row of the phases' table, a column of the others (its accounts: one per 100 clusters; sleep only).
    notes.push(...phaseFigures(f, `sleep, ${large.clusters} clusters`, large.sleep, 1.2));
    workersFigures(f, `${large.clusters} clusters`, large);
    outcomeFigures(f, `${large.clusters} clusters`, large);
  } else {
    notes.push(
      "10,000 clusters the Worker's way: skipped (the cron applies about 200 decisions per minute within its subrequest " +
        "budget, so the fleet is not created by the night); set BENCH_WORKERS_LARGE=10000 to run it.",
    );
  }
  return {
    title: "The same night the Worker's way (cron + Cloudflare Queues consumers)",
    figures: f.figures,
    notes: [
      ...NIGHT_NOTES,
      "subrequests: all kinds per invocation (the cron's split into store and queue, and the fleet's listing); " +
        "D1 queries per step: goal as few as the step's durable writes allow",
      ...notes,
      `goals: ratio to original 1.2 or less; subrequests within the limit of ${WORKERS_SUBREQUEST_LIMIT}`,
    ],
  };
}

async function metrics(): Promise<SectionFigures> {
  const f = figureList("metrics");
  const options = {
    targets: Number(process.env.BENCH_METRICS_TARGETS ?? 1000),
    entriesPerTarget: 20,
    scrapes: 200,
    appendedPerScrape: 50,
  };
  const { figures, skipped } = await benchMetrics(options);
  for (const m of figures) {
    const counted = { better: "lower", exact: true } as const;
    f.add(m.backend, "first", m.firstMs, "ms", { better: "lower" });
    f.add(m.backend, "catch-up scrapes", m.catchUpScrapes, "count", counted);
    f.add(m.backend, "idle p50", m.idle.p50, "ms", { better: "lower" });
    f.add(m.backend, "idle p99", m.idle.p99, "ms", { better: "lower" });
    f.add(m.backend, "busy p50", m.busy.p50, "ms", { better: "lower" });
    f.add(m.backend, "busy p99", m.busy.p99, "ms", { better: "lower" });
    f.add(m.backend, "busy CPU p50", m.busyCpuP50, "ms", { better: "lower" });
    f.add(m.backend, "reads", m.busy.counts.reads, "count", counted);
    f.add(m.backend, "rows", m.busy.counts.rows, "count", counted);
    f.add(m.backend, "writes", m.busy.counts.writes, "count", counted);
    f.add(m.backend, "samples", m.samples, "count", { better: "neither", exact: true });
    f.add(m.backend, "size", m.bytes / 1024, "KiB", { better: "lower" });
  }
  return {
    title:
      `GET /metrics with ${options.targets} targets (${options.targets} unfinished and ${2 * options.targets} finished operations, ` +
      `${options.targets * options.entriesPerTarget} ledger entries, ${options.targets} renewal states), ${options.scrapes} scrapes per column`,
    figures: f.figures,
    notes: [
      ...skipped,
      `first: the first scrape, which counts the seeded ledger's first ${formatNumber(10_000)} entries; catch-up: the scrapes that ` +
        `counted the seeded ledger. idle: nothing appended between scrapes; busy: ${options.appendedPerScrape} ledger ` +
        "entries appended before each (folded in by that scrape); CPU: this process's CPU time per busy scrape (Redis's own not included).",
      "reads, rows, writes: store calls of one busy scrape (the flush of this process's counts, the ledger counts and the entries " +
        "since, the unfinished operations, the renewal states, the tallies). Times around app.request, the exposition included.",
    ],
  };
}

async function storeClaims(): Promise<SectionFigures> {
  const f = figureList("store");
  const store = await benchStore(5000);
  for (const r of store.figures) {
    f.add(r.backend, "claims", r.claimsPerSecond, "/s", { better: "higher" });
    f.add(r.backend, "p50", r.p50, "ms", { better: "lower" });
    f.add(r.backend, "p99", r.p99, "ms", { better: "lower" });
  }
  return {
    title: "Store: idempotency claims of fresh keys, 16 concurrent callers",
    figures: f.figures,
    notes: store.skipped,
  };
}

async function webhookAcceptance(): Promise<SectionFigures> {
  const f = figureList("webhooks");
  const webhookConcurrency = 50;
  const webhookCount = Number(process.env.BENCH_WEBHOOKS ?? 2000);
  const pacedRate = Number(process.env.BENCH_WEBHOOKS_RATE ?? 300);
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
    const row = `${senders} ${r.source} ${r.deliveries} ${r.store}`;
    const goal =
      r.concurrency === webhookConcurrency && r.ratePerSecond === undefined && r.store === "sqlite";
    f.add(row, "deliveries", r.count, "count", { better: "neither", exact: true });
    f.add(row, "per s", r.perSecond, "/s", { better: "higher" });
    f.add(row, "p50", r.p50, "ms", { better: "lower" });
    f.add(row, "p99", r.p99, "ms", {
      better: "lower",
      ...(goal ? { goal: { op: "<", value: 5 } as const } : {}),
    });
    f.add(row, "own p50", r.handledP50, "ms", { better: "lower" });
    f.add(row, "own p99", r.handledP99, "ms", { better: "lower" });
    const operations = r.deliveries === "distinct" ? r.count : 0;
    f.add(row, "ops", r.operationsCreated, "count", {
      better: "neither",
      exact: true,
      goal: { op: "=", value: operations },
    });
    f.add(row, "unexpected", r.unexpected, "count", {
      better: "lower",
      exact: true,
      goal: { op: "=", value: 0 },
    });
  }
  const saturated = rows.filter((r) => r.concurrency === webhookConcurrency && r.ratePerSecond === undefined);
  const worst = Math.max(...saturated.filter((r) => r.store === "sqlite").map((r) => r.p99));
  const fastest = Math.max(...saturated.filter((r) => r.store === "memory").map((r) => r.perSecond));
  return {
    title:
      `Webhook acceptance on the Node host: up to ${webhookCount} deliveries per row, service in its own process, ` +
      "answered once the resize function's accept has recorded each event (claim, resize operation, record done; no cloud call)",
    figures: f.figures,
    notes: [
      "rows: senders (50@N/s: 50 senders at N deliveries/s in all), source, distinct or duplicate deliveries, store. p50/p99: the " +
        "sender's (sent, or due when paced, to answered); own: the service's time per delivery without socket queueing; ops: " +
        "resize operations created (one per distinct event). sqlite: group commit (the writes of concurrent deliveries share " +
        "one commit); sqlite-unbatched: one commit per write, for comparison.",
      `Goal: p99 under 5 ms at concurrency 50 with SQLite; worst ${worst.toFixed(1)} ms with 50 always in flight. Then ` +
        `latency is at least 50 / throughput (Little's law): under 5 ms needs over 10,000 deliveries/s from one process; ` +
        `the memory store (nothing durable) does at most ${formatNumber(Math.round(fastest))}/s, so the bound is the service's CPU per ` +
        "delivery (HTTP, parse, accept), not the durable record. On a machine other processes load, the paced p99 is " +
        "their scheduling as much as ours.",
    ],
  };
}

async function renewalYear(): Promise<SectionFigures> {
  const f = figureList("renewal-year");
  const hours = (ms: number) => ms / 3_600_000;
  // A row per quantity, a column per issuer: the two years side by side.
  const add = (column: string, year: YearResult, seconds: number, exact: boolean) => {
    const counted = { better: "lower", exact } as const;
    f.add("expired moments", column, year.expiredEpisodes, "count", {
      ...counted,
      goal: { op: "=", value: 0 },
    });
    f.add("expired minutes", column, year.expiredMinutes, "min", { ...counted, goal: { op: "=", value: 0 } });
    f.add("renewals per cluster", column, year.renewalsPerCluster, "count", { better: "neither", exact });
    for (const [vendor, v] of Object.entries(year.byVendor))
      f.add(`renewals per cluster, ${vendor}`, column, v.renewalsPerCluster, "count", {
        better: "neither",
        exact,
      });
    f.add("attempts", column, year.attempts, "count", counted);
    f.add("failed attempts", column, year.failedAttempts, "count", { better: "neither", exact });
    f.add("delay after planned, p50", column, hours(year.delayMs.p50), "h", counted);
    f.add("delay after planned, p99", column, hours(year.delayMs.p99), "h", counted);
    f.add("delay after planned, max", column, hours(year.delayMs.max), "h", counted);
    f.add("delay without a window, p99", column, hours(year.delayWithoutWindowMs.p99), "h", counted);
    f.add("windows passed to beat expiry", column, year.windowOverrides, "count", {
      better: "neither",
      exact,
    });
    f.add("longest back-off", column, hours(year.longestBackoffMs), "h", counted);
    f.add("clusters", column, year.clusters, "count", { better: "neither", exact });
    f.add("with a renewal window", column, year.withWindow, "count", { better: "neither", exact });
    f.add("real time", column, seconds, "s", { better: "lower" });
    return year;
  };
  let started = performance.now();
  // The model issuer draws its failures from a seeded generator: its year is the same every run.
  const model = add(
    "model issuer",
    await benchRenewalYear({ clusters: 1000, failureRate: 0.2 }),
    (performance.now() - started) / 1000,
    true,
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
    add(
      "sandbox clouds",
      await benchRenewalYear({ clusters: sandbox.clusters, failureRate: 0.2, issuer: sandbox.issuer, start }),
      (performance.now() - started) / 1000,
      false,
    );
  } finally {
    await sandbox.stop();
  }
  return {
    title:
      "A simulated year of certificate renewal over the four clouds (vendor duration limits), 20 % of cloud answers failing: " +
      "a model issuer, and the renewal job itself on the sandbox clouds (real X.509, vault, 20 % injected 5xx)",
    figures: f.figures,
    notes: [
      `expired moments: times a stored credential was expired (goal: 0); ${model.windowsRefused} clusters of the model's ` +
        "declared a window validation refuses for their lifetime; delays are after the planned renewal time",
    ],
  };
}

async function eventToCloudCall(): Promise<SectionFigures> {
  const f = figureList("resize");
  const events = Number(process.env.BENCH_RESIZE_EVENTS ?? 100);
  const inFlight = Number(process.env.BENCH_RESIZE_IN_FLIGHT ?? 50);
  const add = (row: string, r: EventLatency) => {
    f.add(row, "p50", r.p50Ms, "ms", { better: "lower" });
    f.add(row, "p99", r.p99Ms, "ms", { better: "lower", goal: { op: "<", value: 2000 } });
    f.add(row, "max", r.maxMs, "ms", { better: "lower" });
  };
  add(`${events} events one after another`, await benchEventToCloudCall(events));
  add(`${inFlight} events in flight, distinct pools`, await benchConcurrentEventsToCloudCall(inFlight));
  return {
    title:
      "Resize on events (Node, SQLite store, sandbox in its own process): from accept to the resize request leaving for the cloud",
    figures: f.figures,
    notes: ["goal: p99 under 2,000 ms; the ticker alone: up to 15,000"],
  };
}

try {
  await main();
} catch (error) {
  // A bad option, section name or record to compare with: the message says which and how to fix it.
  if (!(error instanceof BenchRecordError || error instanceof BenchOptionError)) throw error;
  console.error(`npm run bench: ${error.message}`);
  process.exitCode = 2;
}
