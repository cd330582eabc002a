// Webhook acceptance on the Node host: deliveries at concurrency 50 against the service's HTTP
// side in a process of its own (test/bench/webhooks-server.ts), each answered once the resize
// function's `accept` has recorded its event: the claim, the resize operation a rule creates for
// it, and the record marked done, durable in SQLite (group commit: the writes of concurrent
// deliveries share one commit) or in memory. Distinct deliveries are new events; duplicates are one
// event delivered again and again (its claim found, a ledger entry saying so). Latency is the
// sender's: request sent to answer read, over keep-alive connections. The cloud call is not part
// of it (it runs on the jobs runtime after the answer).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { Pool } from "undici";
import { signWebhook } from "../../shared/signer/webhooks.ts";

const TOKEN = "bench-alertmanager-token-0123456789abcdef";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** "sqlite-unbatched": the SQLite backend without group commit (one commit per write), for comparison. */
export type BenchStore = "sqlite" | "sqlite-unbatched" | "memory";

export interface AcceptanceFigures {
  source: "alertmanager" | "events";
  deliveries: "distinct" | "duplicate";
  store: BenchStore;
  count: number;
  perSecond: number;
  /** The sender's latency: request sent to answer read (ms). */
  p50: number;
  p99: number;
  /** The service's own time per delivery, Request to Response, without socket queueing (ms). */
  handledP50: number;
  handledP99: number;
  /** Paced rate (deliveries per second), or undefined: as fast as answered. */
  ratePerSecond?: number;
  /** Answers other than the expected 202 (distinct) or 200 (duplicate). */
  unexpected: number;
  /** Resize operations the row's deliveries created: one per distinct event, none for duplicates. */
  operationsCreated: number;
}

interface Delivery {
  headers: Record<string, string>;
  body: string;
}

function alertmanagerDelivery(n: number): Delivery {
  const body = JSON.stringify({
    receiver: "nightshift",
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "QueueBacklogHigh", cluster: "qa-1", pool: "workers", n: String(n) },
        annotations: { summary: "backlog above 1000" },
        startsAt: "2026-11-22T19:55:00Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph",
        fingerprint: n.toString(16).padStart(16, "0"),
      },
    ],
    groupLabels: { alertname: "QueueBacklogHigh" },
    commonLabels: { alertname: "QueueBacklogHigh", cluster: "qa-1", pool: "workers" },
    commonAnnotations: { summary: "backlog above 1000" },
    externalURL: "http://alertmanager:9093",
    version: "4",
    groupKey: '{}:{alertname="QueueBacklogHigh"}',
    truncatedAlerts: 0,
  });
  return { headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, body };
}

async function signedDelivery(n: number, now: Date): Promise<Delivery> {
  const body = JSON.stringify({
    type: "nodepool.resize",
    data: { cluster: "qa-1", pool: "workers", size: 5 },
  });
  const headers = await signWebhook(SECRET, { id: `msg_bench_${n}`, body, now });
  return { headers: { "content-type": "application/json", ...headers }, body };
}

async function startService(store: BenchStore): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [new URL("./webhooks-server.ts", import.meta.url).pathname], {
    env: {
      PATH: process.env.PATH ?? "",
      NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: TOKEN,
      NIGHTSHIFT_WEBHOOK_EVENT_SECRETS: SECRET,
      BENCH_WEBHOOK_STORE: store === "memory" ? "memory" : "sqlite",
      BENCH_SQLITE_GROUP_COMMIT: store === "sqlite-unbatched" ? "0" : "1",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the webhook bench server exited with ${code}`)));
  });
  return {
    url: (JSON.parse(line) as { url: string }).url,
    stop: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function operationCount(pool: Pool): Promise<number> {
  const response = await pool.request({ method: "GET", path: "/__bench/operations" });
  return ((await response.body.json()) as { operations: number }).operations;
}

/** Sends every delivery once, `concurrency` at a time; latencies in ms. */
async function drive(
  pool: Pool,
  path: string,
  deliveries: Delivery[],
  expected: number,
  concurrency: number,
  ratePerSecond?: number,
) {
  const before = await operationCount(pool);
  const latencies: number[] = [];
  let unexpected = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) {
        const n = next++;
        const delivery = deliveries[n]!;
        // Paced: delivery n is due at its slot, and its latency counts from then, so a service
        // that falls behind is charged for the wait it causes (no coordinated omission).
        const due = ratePerSecond ? started + (n * 1000) / ratePerSecond : undefined;
        if (due !== undefined && due > performance.now())
          await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
        const t = due ?? performance.now();
        const response = await pool.request({
          method: "POST",
          path,
          headers: delivery.headers,
          body: delivery.body,
        });
        await response.body.text();
        latencies.push(performance.now() - t);
        if (response.statusCode !== expected) unexpected++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const handled = await pool.request({ method: "GET", path: "/__bench/handled" });
  const times = ((await handled.body.json()) as number[]).sort((a, b) => a - b);
  const after = await operationCount(pool);
  return {
    operationsCreated: after - before,
    perSecond: deliveries.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    handledP50: percentile(times, 0.5),
    handledP99: percentile(times, 0.99),
    unexpected,
  };
}

export async function benchWebhookAcceptance(
  count: number,
  options: {
    concurrency?: number;
    store?: BenchStore;
    /**
     * Paced: deliveries sent at this rate (per second, all senders together), each by whichever
     * of the `concurrency` senders is free, latency counted from its due time. Unset: each sender
     * sends its next delivery as soon as its last is answered (`concurrency` always in flight).
     */
    ratePerSecond?: number;
  } = {},
): Promise<AcceptanceFigures[]> {
  const concurrency = options.concurrency ?? 50;
  const store = options.store ?? "sqlite";
  const service = await startService(store);
  const pool = new Pool(service.url, { connections: concurrency });
  const figures: AcceptanceFigures[] = [];
  try {
    // Signed deliveries must be fresh (5-minute tolerance): signed now, all of them before the clock starts.
    const now = new Date();
    const sources = {
      alertmanager: { path: "/webhooks/alertmanager", make: async (n: number) => alertmanagerDelivery(n) },
      events: { path: "/webhooks/events", make: (n: number) => signedDelivery(n, now) },
    } as const;
    for (const [source, { path, make }] of Object.entries(sources) as Array<
      [AcceptanceFigures["source"], (typeof sources)[keyof typeof sources]]
    >) {
      // Warm up (JIT, connections, SQLite pages) on events of their own.
      const warm = await Promise.all(Array.from({ length: 300 }, (_, i) => make(1_000_000 + i)));
      await drive(pool, path, warm, 202, concurrency);
      await pool.request({ method: "GET", path: "/__bench/handled" }).then((r) => r.body.text());
      const distinct = await Promise.all(Array.from({ length: count }, (_, i) => make(i)));
      figures.push({
        source,
        deliveries: "distinct",
        store,
        count,
        ...(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : {}),
        ...(await drive(pool, path, distinct, 202, concurrency, options.ratePerSecond)),
      });
      // One event, recorded above, delivered `count` times more.
      const duplicate = Array.from({ length: count }, () => distinct[0]!);
      figures.push({
        source,
        deliveries: "duplicate",
        store,
        count,
        ...(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : {}),
        ...(await drive(pool, path, duplicate, 200, concurrency, options.ratePerSecond)),
      });
    }
  } finally {
    await pool.close();
    await service.stop();
  }
  return figures;
}

// `node test/bench/webhooks.ts [count]`: this section alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 2000);
  console.table([
    ...(await benchWebhookAcceptance(count, { store: "sqlite" })),
    ...(await benchWebhookAcceptance(count, { store: "sqlite-unbatched" })),
    ...(await benchWebhookAcceptance(count, { store: "memory" })),
  ]);
}
