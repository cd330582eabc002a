// The built Worker's start-up, three ways:
// - in workerd, whole: from spawning workerd (wrangler's local runtime) with the bundle to the first
//   `/healthz` answer, against the same for a one-line Worker; the difference is what the bundle
//   costs (parse, compile, top-level evaluation, the first request's configuration);
// - in workerd, split: a one-line wrapper Worker whose first request `import()`s the bundle, so its
//   global scope is evaluated inside a request that can be measured from outside (`performance.now()`
//   and `Date.now()` do not advance inside workerd): workerd's CPU time over the request (Linux
//   /proc; wall time elsewhere), then the first and a warm `/healthz`;
// - in Node: `import()` of the bundle and its first and a warm `/healthz`, in fresh processes, CPU
//   time measured inside the process.
// Cloudflare refuses a Worker whose global scope takes more than about 1 s of CPU to evaluate.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { unstable_startWorker } from "wrangler";

const BASELINE = 'export default { fetch() { return new Response("ok"); } };';

type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;

function startWorker(entrypoint: string): Promise<Worker> {
  return unstable_startWorker({
    name: "nightshift-startup",
    entrypoint,
    compatibilityDate: "2026-08-22",
    compatibilityFlags: ["nodejs_compat"],
    build: {
      bundle: false,
      findAdditionalModules: true,
      moduleRules: [{ type: "ESModule", globs: ["**/*.mjs"] }],
    },
    // The same bindings for both, so their set-up cancels out in the difference.
    bindings: {
      DB: { type: "d1", database_id: "startup" },
      OPERATIONS: { type: "queue", queue_name: "nightshift-operations" },
    },
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      logLevel: "none",
      persist: false,
    },
  });
}

async function timeToHealthz(file: string): Promise<number> {
  const started = performance.now();
  const worker = await startWorker(file);
  try {
    const response = await worker.fetch("http://localhost/healthz");
    await response.text();
    if (!response.ok) throw new Error(`/healthz answered ${response.status}`);
    return performance.now() - started;
  } finally {
    await worker.dispose();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function figures(
  results: ReadonlyArray<{ evaluate: number; first: number; warm: number }>,
): EvaluationFigures {
  return {
    evaluateMs: median(results.map((r) => r.evaluate)),
    evaluateMinMs: Math.min(...results.map((r) => r.evaluate)),
    firstRequestMs: median(results.map((r) => r.first)),
    firstRequestMinMs: Math.min(...results.map((r) => r.first)),
    warmRequestMs: median(results.map((r) => r.warm)),
    runs: results.length,
  };
}

export interface StartupFigures {
  /** Spawn to first /healthz answer, the bundle (median). */
  bundleMs: number;
  /** The same for a one-line Worker (median). */
  baselineMs: number;
  /** bundleMs - baselineMs: the bundle's parse, compile, evaluation and first-request set-up. */
  scriptMs: number;
  runs: number;
}

/** Alternates bundle and baseline runs so a busy machine's drift hits both. */
export async function measureStartup(code: Uint8Array, runs = 5): Promise<StartupFigures> {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-startup-"));
  const bundleFile = join(dir, "worker.js");
  const baselineFile = join(dir, "baseline.js");
  writeFileSync(bundleFile, code);
  writeFileSync(baselineFile, BASELINE);
  const bundle: number[] = [];
  const baseline: number[] = [];
  try {
    await timeToHealthz(baselineFile); // warm the workerd binary into the page cache
    for (let i = 0; i < runs; i++) {
      bundle.push(await timeToHealthz(bundleFile));
      baseline.push(await timeToHealthz(baselineFile));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bundleMs = median(bundle);
  const baselineMs = median(baseline);
  return { bundleMs, baselineMs, scriptMs: bundleMs - baselineMs, runs };
}

/** The split figures, each a median over fresh isolates (workerd) or processes (Node). */
export interface EvaluationFigures {
  /** The bundle's global scope: parse, compile and top-level evaluation (the `import()`). */
  evaluateMs: number;
  /** The least of the runs: on a busy machine, the closest to the work itself (noise only adds). */
  evaluateMinMs: number;
  /** The first request's extra over a warm one (configuration, schedules, the app built). */
  firstRequestMs: number;
  firstRequestMinMs: number;
  /** A warm `/healthz`. */
  warmRequestMs: number;
  runs: number;
}

// In workerd: the wrapper's `/__noop` times a request that does nothing, `/__load` one that
// evaluates the bundle; the difference is the evaluation.
const WRAPPER = `let worker;
export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === "/__noop") return new Response("noop");
    if (pathname === "/__load") { worker = (await import("./worker.mjs")).default; return new Response("loaded"); }
    return worker.fetch(request, env, ctx);
  },
};`;

/** The workerd processes this process started (Linux /proc); none elsewhere. */
export function workerdProcesses(): string[] {
  try {
    const parents = new Map<string, { parent: string; name: string }>();
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
        if (match) parents.set(pid, { parent: match[2]!, name: match[1]! });
      } catch {
        // gone meanwhile
      }
    }
    const descends = (pid: string): boolean => {
      for (let at = parents.get(pid); at; at = parents.get(at.parent))
        if (at.parent === String(process.pid)) return true;
      return false;
    };
    return [...parents]
      .filter(([pid, p]) => p.name.startsWith("workerd") && descends(pid))
      .map(([pid]) => pid);
  } catch {
    return [];
  }
}

/** CPU time (ms) of the given processes, all threads: what a request cost workerd, queueing aside. */
export function cpuMs(pids: readonly string[]): number {
  let ns = 0;
  for (const pid of pids) {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // thread ended
      }
    }
  }
  return ns / 1e6;
}

/** A request's cost: workerd's CPU time where /proc tells it (Linux), else the wall time. */
async function timed(worker: Worker, path: string, pids: readonly string[]): Promise<number> {
  const started = pids.length > 0 ? cpuMs(pids) : performance.now();
  const response = await worker.fetch(`http://localhost${path}`);
  const body = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${body.slice(0, 300)}`);
  return (pids.length > 0 ? cpuMs(pids) : performance.now()) - started;
}

async function workerdRun(dir: string): Promise<{ evaluate: number; first: number; warm: number }> {
  // Without bundling, wrangler uploads the other modules of the entry's folder: worker.mjs (an ES module by its extension).
  const worker = await startWorker(join(dir, "wrapper.js"));
  try {
    const pids = workerdProcesses();
    await timed(worker, "/__noop", pids);
    const noop = Math.min(await timed(worker, "/__noop", pids), await timed(worker, "/__noop", pids));
    const load = await timed(worker, "/__load", pids);
    const first = await timed(worker, "/healthz", pids);
    const warm = Math.min(
      await timed(worker, "/healthz", pids),
      await timed(worker, "/healthz", pids),
      await timed(worker, "/healthz", pids),
    );
    return { evaluate: load - noop, first: first - warm, warm };
  } finally {
    await worker.dispose();
  }
}

/** The bundle's global-scope evaluation and first request inside workerd (a fresh isolate per run). */
export async function measureEvaluationInWorkerd(code: Uint8Array, runs = 5): Promise<EvaluationFigures> {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-evaluate-"));
  writeFileSync(join(dir, "wrapper.js"), WRAPPER);
  writeFileSync(join(dir, "worker.mjs"), code);
  const results: Array<{ evaluate: number; first: number; warm: number }> = [];
  try {
    for (let i = 0; i < runs; i++) results.push(await workerdRun(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures(results);
}

// In Node: CPU time (user + system) around each step, in a fresh process.
const NODE_PROBE = `
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const env = {
  DB: { prepare() { throw new Error("no D1 in the start-up probe"); } },
  OPERATIONS: { send: async () => {}, sendBatch: async () => {} },
  LOG_LEVEL: "error",
};
const healthz = async (worker) => {
  const started = cpu();
  const response = await worker.fetch(new Request("http://localhost/healthz"), env, { waitUntil() {}, passThroughOnException() {} });
  await response.text();
  if (!response.ok) throw new Error("/healthz answered " + response.status);
  return cpu() - started;
};
const t0 = cpu();
const worker = (await import(process.argv[1])).default;
const evaluate = cpu() - t0;
const first = await healthz(worker);
const warm = Math.min(await healthz(worker), await healthz(worker), await healthz(worker));
process.stdout.write("\\n" + JSON.stringify({ evaluate, first: first - warm, warm }) + "\\n");
`;

/** The bundle's `import()` and first request in Node, CPU time, a fresh process per run. */
export async function measureEvaluationInNode(code: Uint8Array, runs = 7): Promise<EvaluationFigures> {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-evaluate-"));
  const file = join(dir, "worker.mjs");
  writeFileSync(file, code);
  const results: Array<{ evaluate: number; first: number; warm: number }> = [];
  try {
    for (let i = 0; i < runs; i++) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--input-type=module", "-e", NODE_PROBE, file],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      results.push(JSON.parse(stdout.trim().split("\n").at(-1)!));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures(results);
}
