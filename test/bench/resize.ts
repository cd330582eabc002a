// Event-to-cloud-call latency on Node: from `accept` being handed an event (what the webhook route
// does once it has authenticated and parsed it) to the resize request leaving for the cloud, with
// everything the product does in between: the durable record, the rules, the operation, the
// in-process start (functions/compose.ts's Node path: runTargetsNow), the lease, the cluster and
// pool reads, the decision and the step writes, on a SQLite store against the sandbox in its own
// process. Goal: p99 under 2 s (the ticker alone would take up to its 15 s period).
// Two runs: events one after another (`benchEventToCloudCall`), and events in flight at once on
// distinct pools, each of its own cluster, as an alert storm brings them
// (`benchConcurrentEventsToCloudCall`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JOBS } from "../../functions/jobs.ts";
import { createAcceptEvents } from "../../functions/resize/accept.ts";
import { createHttpClient } from "../../shared/http/client.ts";
import { createNodeTransport } from "../../shared/http/transport.node.ts";
import { runTargetsNow } from "../../shared/jobs/start-now.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { createProvider } from "../../shared/providers/registry.ts";
import { sandboxAccounts } from "../../shared/sandbox/accounts.ts";
import { parseScheduleFile } from "../../shared/schedule/schedule-file.ts";
import { sqliteBackend } from "../../shared/store/sqlite.node.ts";
import type { Operation } from "../../shared/store/store.ts";
import { createStore } from "../../shared/store/store.ts";
import { startSandboxProcess } from "./clients.ts";

const RULE = `kind: resize
name: bench-grow
match: { type: Backlog }
action: { set: 3 }
cooldownMinutes: 0
`;

export interface EventLatency {
  events: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function benchEventToCloudCall(events: number): Promise<EventLatency> {
  const sandbox = await startSandboxProcess();
  const dir = mkdtempSync(join(tmpdir(), "nightshift-resize-bench-"));
  const transport = createNodeTransport();
  const store = createStore(await sqliteBackend(join(dir, "state.db")));
  try {
    const huawei = sandbox.description.huawei as { inspection: string };
    const clock = async (advanceSeconds = 0) =>
      new Date(
        (
          (await (
            await fetch(`${huawei.inspection}/clock`, {
              method: "POST",
              body: JSON.stringify({ advanceSeconds }),
              headers: { "content-type": "application/json" },
            })
          ).json()) as { now: string }
        ).now,
      );
    let now = await clock();
    // The moment each resize request leaves for the cloud.
    const sent: number[] = [];
    const fetchSpy: typeof transport.fetch = (input, init) => {
      const url = String(input);
      if ((init?.method ?? "GET") === "PUT" && url.includes("/nodepools/")) sent.push(performance.now());
      return transport.fetch(input, init);
    };
    const http = createHttpClient({ fetch: fetchSpy });
    const accounts = sandboxAccounts(sandbox.description);
    const providers = new Map(
      accounts.map((a) => [
        a.id,
        createProvider(a, { http, now: () => now, nonce: () => crypto.randomUUID() }),
      ]),
    );
    const account = "sandbox-huawei-platform-dev-cn-north-4";
    const cluster = (await providers.get(account)!.listClusters()).find((c) => c.name === "dev-core")!;
    const base = (await providers.get(account)!.listNodePools(cluster.id)).find(
      (p) => p.name === "batch",
    )!.desired;
    const log = createLogger({ level: "error", write: () => {} });
    const target = `${account}/${cluster.id}`;
    const run = () =>
      runTargetsNow({
        store,
        jobs: JOBS,
        providers: (id) => providers.get(id),
        now: () => now,
        log,
        holder: "bench",
        targets: [target],
      });
    const latencies: number[] = [];
    for (let i = 0; i < events; i++) {
      // One node more, then back: every event is a change.
      const rules = parseScheduleFile(
        RULE.replace("set: 3", `set: ${i % 2 === 0 ? base + 1 : base}`),
        "bench.yaml",
      );
      if ("errors" in rules) throw new Error(JSON.stringify(rules.errors));
      let started: Promise<unknown> = Promise.resolve();
      const accept = createAcceptEvents({
        store,
        rules: rules.rules,
        accounts: new Map([...providers].map(([id, p]) => [id, { kind: p.kind, region: p.region }])),
        log,
        // As compose.ts does on Node: the work starts at once, not awaited by the answer.
        start: async () => {
          started = run();
        },
      });
      const sentBefore = sent.length;
      const t0 = performance.now();
      await accept(
        [
          {
            source: "alertmanager",
            id: `bench-${i}`,
            type: "Backlog",
            status: "firing",
            labels: { account, cluster: cluster.id, pool: "batch" },
            data: {},
            occurredAt: now.toISOString(),
            origin: {},
          },
        ],
        now,
      );
      await started;
      if (sent.length === sentBefore) throw new Error(`event ${i}: no resize request was sent`);
      latencies.push(sent[sentBefore]! - t0);
      // The pool converges (and the operation finishes) in cloud time: move it on, then finish it.
      now = await clock(600);
      await run();
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return { events, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1)! };
  } finally {
    await store.close();
    await transport.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench's own Huawei fleet: `clusters` running clusters in one account, one 2-node pool each. */
function concurrentFleet(clusters: number) {
  const projectId = "0b1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
  return {
    account: {
      name: "bench-resize",
      accessKeyId: "BENCHRESIZE0001",
      secretAccessKey: "bench-resize-secret-0123456789abcdef",
      projects: [{ region: "cn-north-4", projectId }],
    },
    clusters: Array.from({ length: clusters }, (_, i) => ({
      projectId,
      name: `storm-${String(i).padStart(3, "0")}`,
      nodePools: [{ name: "workers", size: 2 }],
    })),
  };
}

/**
 * `inFlight` events handed to `accept` at once, each on a pool of its own cluster (one
 * delivery each, as the webhook route hands them on concurrently): from each event's `accept` call
 * to its pool's resize request leaving for the cloud. One process, one SQLite store, one
 * in-process start per accept, as compose.ts wires them on Node.
 */
export async function benchConcurrentEventsToCloudCall(inFlight: number): Promise<EventLatency> {
  const sandbox = await startSandboxProcess();
  const dir = mkdtempSync(join(tmpdir(), "nightshift-resize-bench-"));
  const transport = createNodeTransport({ connections: inFlight });
  const store = createStore(await sqliteBackend(join(dir, "state.db")));
  try {
    const huawei = sandbox.description.huawei as { endpoint: string; inspection: string };
    const fleet = concurrentFleet(inFlight);
    const seeded = await fetch(`${huawei.inspection}/seed`, {
      method: "POST",
      body: JSON.stringify({ accounts: [fleet.account], clusters: fleet.clusters }),
      headers: { "content-type": "application/json" },
    });
    if (!seeded.ok) throw new Error(`seeding the sandbox: ${seeded.status} ${await seeded.text()}`);
    const now = new Date(((await (await fetch(`${huawei.inspection}/clock`)).json()) as { now: string }).now);
    // When each cluster's resize request left (the cluster id is in its path).
    const sentAt = new Map<string, number>();
    const fetchSpy: typeof transport.fetch = (input, init) => {
      const url = String(input);
      const cluster = url.match(/\/clusters\/([^/]+)\/nodepools\//)?.[1];
      if ((init?.method ?? "GET") === "PUT" && cluster && !sentAt.has(cluster))
        sentAt.set(cluster, performance.now());
      return transport.fetch(input, init);
    };
    const account = "bench-resize";
    const provider = createProvider(
      {
        id: account,
        vendor: "huawei",
        accessKeyId: fleet.account.accessKeyId,
        secretAccessKey: fleet.account.secretAccessKey,
        region: "cn-north-4",
        projectId: fleet.account.projects[0]!.projectId,
        endpoint: huawei.endpoint,
      },
      { http: createHttpClient({ fetch: fetchSpy }), now: () => now, nonce: () => crypto.randomUUID() },
    );
    const clusters = await provider.listClusters();
    if (clusters.length !== inFlight) throw new Error(`seeded ${clusters.length} clusters, not ${inFlight}`);
    const log = createLogger({ level: "error", write: () => {} });
    const rules = parseScheduleFile(RULE.replace("set: 3", "add: 1"), "bench.yaml");
    if ("errors" in rules) throw new Error(JSON.stringify(rules.errors));
    const runs: Array<Promise<unknown>> = [];
    const accept = createAcceptEvents({
      store,
      rules: rules.rules,
      accounts: new Map([[account, { kind: provider.kind, region: provider.region }]]),
      log,
      // As compose.ts does on Node: the work starts at once, not awaited by the answer.
      start: async (operations: readonly Operation[]) => {
        runs.push(
          runTargetsNow({
            store,
            jobs: JOBS,
            providers: (id) => (id === account ? provider : undefined),
            now: () => now,
            log,
            holder: "bench",
            targets: operations.map((op) => op.target),
          }),
        );
      },
    });
    const startedAt = new Map<string, number>();
    await Promise.all(
      clusters.map((cluster, i) => {
        startedAt.set(cluster.id, performance.now());
        return accept(
          [
            {
              source: "alertmanager",
              id: `storm-${i}`,
              type: "Backlog",
              status: "firing",
              labels: { account, cluster: cluster.id, pool: "workers" },
              data: {},
              occurredAt: now.toISOString(),
              origin: {},
            },
          ],
          now,
        );
      }),
    );
    await Promise.all(runs);
    const latencies = clusters.map((cluster) => {
      const sent = sentAt.get(cluster.id);
      if (sent === undefined) throw new Error(`cluster ${cluster.name}: no resize request was sent`);
      return sent - startedAt.get(cluster.id)!;
    });
    const sorted = latencies.sort((a, b) => a - b);
    return {
      events: inFlight,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1)!,
    };
  } finally {
    await store.close();
    await transport.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
