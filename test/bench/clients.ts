// Client benchmark: provider calls against the sandbox clouds (run as a separate process, as a
// user would run `nightshift sandbox`) at a fixed concurrency, with latency percentiles and this
// process's memory while it runs.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createHttpClient } from "../../shared/http/client.ts";
import { createNodeTransport } from "../../shared/http/transport.node.ts";
import type { Provider } from "../../shared/providers/port.ts";
import { createProvider } from "../../shared/providers/registry.ts";
import { sandboxAccounts } from "../../shared/sandbox/accounts.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";

const CLI = new URL("../../functions/cli.node.ts", import.meta.url).pathname;

export async function startSandboxProcess() {
  const child = spawn(process.execPath, [CLI, "sandbox", "--port", "0", "--speed", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
  child.stdout.resume();
  return {
    description: JSON.parse(firstLine) as Record<CloudName, Record<string, unknown>>,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Calls `operation` from `concurrency` workers for `ms`; latencies in ms. */
async function drive(operation: () => Promise<unknown>, concurrency: number, ms: number) {
  const latencies: number[] = [];
  let errors = 0;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const deadline = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          await operation();
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - started;
  clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  return {
    callsPerSecond: (latencies.length / elapsed) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    peakRssMb: peakRss / 1024 / 1024,
  };
}

export async function benchClients(options: { concurrency: number; ms: number }) {
  const sandbox = await startSandboxProcess();
  const transport = createNodeTransport({ connections: options.concurrency });
  // No client-side rate limit here: the figure is what the client stack itself can push.
  const http = createHttpClient({ fetch: transport.fetch, concurrency: options.concurrency });
  const results: Array<{ vendor: string; operation: string } & Awaited<ReturnType<typeof drive>>> = [];
  try {
    const byVendor = new Map<string, Provider>();
    for (const account of sandboxAccounts(sandbox.description)) {
      if (!byVendor.has(account.vendor)) {
        byVendor.set(
          account.vendor,
          createProvider(account, { http, now: () => new Date(), nonce: () => crypto.randomUUID() }),
        );
      }
    }
    for (const [vendor, provider] of byVendor) {
      const clusters = await provider.listClusters();
      const cluster = clusters[0];
      if (!cluster) continue;
      const operation = provider.capabilities.nodePools
        ? () => provider.listNodePools(cluster.id)
        : () => provider.getCluster(cluster.id);
      const name = provider.capabilities.nodePools ? "listNodePools" : "getCluster";
      results.push({ vendor, operation: name, ...(await drive(operation, options.concurrency, options.ms)) });
    }
  } finally {
    await transport.close();
    await sandbox.stop();
  }
  return results;
}

// Run on its own (`node test/bench/clients.ts <concurrency> <ms>`) so the memory figure is the
// client stack's alone, not the other benchmarks' (wrangler, the vendor SDKs).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [concurrency = "50", ms = "2000"] = process.argv.slice(2);
  const results = await benchClients({ concurrency: Number(concurrency), ms: Number(ms) });
  process.stdout.write(`${JSON.stringify(results)}\n`);
}
