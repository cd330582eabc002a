// Local workerd instances (through wrangler, as `wrangler dev` runs it) for the benchmarks: the
// signer (test/bench/signing.worker.ts), so it is measured on the Workers runtime as well as on
// Node, and bench workers over the project's bindings (a fresh local D1 each).
import { unstable_startWorker } from "wrangler";
import { cpuMs, workerdProcesses } from "../bundle/startup.ts";

/**
 * A bench worker with the project's wrangler.toml (its D1 binding, in memory: nothing persists),
 * serving `entrypoint` on a free loopback port; ready when returned.
 */
export async function startBindingsWorker(entrypoint: URL) {
  const worker = await unstable_startWorker({
    config: new URL("../../wrangler.toml", import.meta.url).pathname,
    entrypoint: entrypoint.pathname,
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      logLevel: "none",
      persist: false,
    },
  });
  try {
    await worker.ready;
  } catch (error) {
    await worker.dispose();
    throw error;
  }
  return worker;
}

/**
 * The signing suites inside workerd (test/bench/signing.worker.ts): ours and the vendor SDK's
 * signer, both bundled with nodejs_compat. pop-core's `httpx` transport is aliased to the
 * oracle's capturing transport, as on Node (test/oracle/pop-core-roa.ts).
 */
export async function startWorkerdSigner() {
  const worker = await unstable_startWorker({
    name: "nightshift-signing-bench",
    entrypoint: new URL("./signing.worker.ts", import.meta.url).pathname,
    compatibilityDate: "2026-08-22",
    compatibilityFlags: ["nodejs_compat"],
    build: { alias: { httpx: new URL("../oracle/pop-core-roa.ts", import.meta.url).pathname } },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "none" },
  });
  await worker.ready;

  // workerd's CPU time (Linux /proc, all threads of its processes) where it can be read, else the
  // wall time: the machine may be shared, and CPU time is what a busy neighbour does not inflate.
  // Looked up per call: wrangler starts the worker's own workerd process at the first request.
  let pids: string[] = [];
  const clock = () => (pids.length > 0 ? cpuMs(pids) : performance.now());
  const call = async (vendor: string, side: "ours" | "sdk", rounds: number) => {
    pids = workerdProcesses();
    const started = performance.now();
    const cpuStarted = clock();
    const response = await worker.fetch(`http://bench/sign?vendor=${vendor}&side=${side}&rounds=${rounds}`);
    if (!response.ok) throw new Error(`signing worker: ${response.status} ${await response.text()}`);
    const { signed } = (await response.json()) as { signed: number };
    return { wallMs: performance.now() - started, ms: clock() - cpuStarted, signed };
  };

  await call("huawei", "ours", 0); // starts the worker's process
  return {
    /** workerd's CPU time where Linux /proc gives it, else the wall time (which a shared machine inflates). */
    clock: pids.length > 0 ? ("CPU" as const) : ("wall" as const),
    /** Requests `side` signs per second of workerd's time over `vendor`'s suite, net of one round trip. */
    async opsPerSecond(vendor: string, side: "ours" | "sdk", ms: number): Promise<number> {
      await call(vendor, side, 3); // warm up
      const overhead = (await call(vendor, side, 0)).ms;
      let rounds = 1;
      for (;;) {
        const { wallMs, ms: took, signed } = await call(vendor, side, rounds);
        if (wallMs >= ms) return (signed / Math.max(took - overhead, 1)) * 1000;
        rounds *= 2;
      }
    },
    dispose: () => worker.dispose(),
  };
}
