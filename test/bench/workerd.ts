// Local workerd instances (through wrangler, as `wrangler dev` runs it) for the benchmarks: the
// signer (test/bench/signing.worker.ts), so it is measured on the Workers runtime as well as on
// Node, and bench workers over the project's bindings (a fresh local D1 each).
import { unstable_startWorker } from "wrangler";

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

export async function startWorkerdSigner() {
  const worker = await unstable_startWorker({
    name: "nightshift-signing-bench",
    entrypoint: new URL("./signing.worker.ts", import.meta.url).pathname,
    compatibilityDate: "2026-08-22",
    compatibilityFlags: ["nodejs_compat"],
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "none" },
  });
  await worker.ready;

  const call = async (inputs: unknown[], rounds: number) => {
    const started = performance.now();
    const response = await worker.fetch(`http://bench/sign?rounds=${rounds}`, {
      method: "POST",
      body: JSON.stringify(inputs),
    });
    const { signed } = (await response.json()) as { signed: number };
    return { ms: performance.now() - started, signed };
  };

  return {
    /** Requests signed per second inside workerd, net of one round trip's cost. */
    async opsPerSecond(inputs: unknown[], ms: number): Promise<number> {
      await call(inputs, 3); // warm up
      const overhead = (await call(inputs, 0)).ms;
      let rounds = 1;
      for (;;) {
        const { ms: took, signed } = await call(inputs, rounds);
        if (took >= ms) return (signed / Math.max(took - overhead, 1)) * 1000;
        rounds *= 2;
      }
    },
    dispose: () => worker.dispose(),
  };
}
