// The built Worker's start-up in workerd: from spawning workerd (wrangler's local runtime) with the
// bundle to the first `/healthz` answer, against the same for a one-line Worker; the difference is
// what the bundle costs (parse, compile, top-level evaluation, the first request's configuration).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";

const BASELINE = 'export default { fetch() { return new Response("ok"); } };';

async function timeToHealthz(file: string): Promise<number> {
  const started = performance.now();
  const worker = await unstable_startWorker({
    name: "nightshift-startup",
    entrypoint: file,
    compatibilityDate: "2026-08-22",
    compatibilityFlags: ["nodejs_compat"],
    build: { bundle: false },
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
