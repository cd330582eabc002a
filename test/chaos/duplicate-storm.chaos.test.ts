// Chaos: the duplicate storm. 10,000 deliveries of 100 distinct Alertmanager alerts from 50
// concurrent senders through the real HTTP route (the Hono app on the Node server, bearer token,
// the resize function's `accept`) into a SQLite store; then the jobs runtime works the operations
// off against the sandbox through issue 15's fault mix. Each alert asks its pool for one more node,
// so exactly 100 resizes must reach the cloud (counted in the sandbox's request log: node pool
// updates that the cloud carried out) and every pool must end exactly that many nodes larger.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { expect } from "vitest";
import { createAcceptEvents } from "../../functions/resize/accept.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { sqliteBackend } from "../../shared/store/sqlite.node.ts";
import { createStore, FINISHED } from "../../shared/store/store.ts";
import { JOBS, loadText } from "../contract/resize-harness.ts";
import { startNightHarness } from "../contract/sleepwake-harness.ts";
import { serveOnLoopback, webhooksApp } from "../setup/webhooks-server.node.ts";
import {
  CHAOS_CLIENT_TIMEOUT_MS,
  CHAOS_FAULTS,
  chaosIt,
  cloudCalls,
  printFigures,
  setFaults,
} from "./chaos.ts";

const TOKEN = "chaos-alertmanager-token-0123456789abcdef";
const DISTINCT = 100;
const DELIVERIES = 10_000;
const SENDERS = 50;
const MAX_TICKS = 600;
/** Simulated time between ticks: a resize and its pool's settling take a few minutes. */
const TICK_SECONDS = 180;
const RULE = `kind: resize
name: storm-backlog
match: { source: alertmanager, type: StormBacklog }
action: { add: 1 }
max: 1000
cooldownMinutes: 0
`;
/**
 * Pools without an autoscaler, in running clusters (six targets, so the resizes of different
 * clusters run side by side): one node pool update per resize, Huawei's PUT of the pool, Baidu's
 * PUT of the instance group's replicas.
 */
const POOLS = [
  { cloud: "huawei", accountName: "platform-dev-cn-north-4", cluster: "dev-core", pool: "batch" },
  { cloud: "huawei", accountName: "qa-team-cn-north-4", cluster: "qa-e2e", pool: "browsers" },
  { cloud: "huawei", accountName: "qa-team-cn-north-4", cluster: "qa-perf", pool: "load" },
  { cloud: "huawei", accountName: "platform-dev-ap-southeast-1", cluster: "sg-dev", pool: "general" },
  { cloud: "baidu", accountName: "acme-bj", cluster: "web-staging", pool: "default" },
  { cloud: "baidu", accountName: "acme-bj", cluster: "web-prod", pool: "batch" },
] as const;
/** A node pool update: Huawei's PUT of the pool, Baidu's PUT of the instance group's replicas. */
const isPoolUpdate = (method: string, path: string) =>
  method === "PUT" && /\/(nodepools\/[^/]+|instancegroup\/[^/]+\/replicas)$/.test(path);

function alertmanagerBody(n: number, labels: Record<string, string>): string {
  return JSON.stringify({
    receiver: "nightshift",
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "StormBacklog", ...labels, n: String(n) },
        annotations: { summary: "backlog above 1000" },
        startsAt: "2026-03-02T02:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph",
        fingerprint: (0xc4a05 * 1000 + n).toString(16).padStart(16, "0"),
      },
    ],
    groupLabels: { alertname: "StormBacklog" },
    commonLabels: { alertname: "StormBacklog" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    version: "4",
    groupKey: '{}:{alertname="StormBacklog"}',
    truncatedAlerts: 0,
  });
}

chaosIt(
  "the duplicate storm: 10,000 deliveries of 100 events from 50 senders, exactly 100 resizes",
  async (scenario) => {
    let unanswered = 0;
    const dir = mkdtempSync(join(tmpdir(), "nightshift-chaos-storm-"));
    const store = createStore(await sqliteBackend(join(dir, "state.db"), { groupCommit: true }));
    const h = await startNightHarness({
      seed: scenario.seed,
      start: "2026-03-02T02:00:00Z",
      jobs: JOBS,
      store,
      httpAttempts: 3,
      timeoutMs: CHAOS_CLIENT_TIMEOUT_MS,
      // Node pool updates whose answer never came back (timeout, reset): the cloud may have carried
      // them out, so the step sends the same absolute size again.
      fetch: async (input, init) => {
        const update = isPoolUpdate(init.method ?? "GET", new URL(String(input)).pathname);
        try {
          return await globalThis.fetch(input, init);
        } catch (error) {
          if (update) unanswered++;
          throw error;
        }
      },
    });
    const log = createLogger({ level: "error", write: () => {} });
    const accept = createAcceptEvents({
      store,
      rules: loadText(RULE).rules,
      accounts: new Map([...h.providers].map(([id, p]) => [id, { kind: p.kind, region: p.region }])),
      log,
    });
    const config = loadConfig({ NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: TOKEN });
    const app = webhooksApp({ log, store, webhooks: config.webhooks, accept });
    const { server, base } = await serveOnLoopback((request) => app.fetch(request));
    const senders = new Pool(base, { connections: SENDERS });
    try {
      const pools = await Promise.all(
        POOLS.map(async (spec) => {
          const account = h.account(spec.cloud, spec.accountName).id;
          const provider = h.provider(account);
          const cluster = (await provider.listClusters()).find((c) => c.name === spec.cluster)!;
          const pool = (await provider.listNodePools(cluster.id)).find((p) => p.name === spec.pool)!;
          expect(pool.autoscaling?.enabled ?? false, spec.pool).toBe(false);
          return { ...spec, account, provider, clusterId: cluster.id, poolId: pool.id, before: pool.desired };
        }),
      );
      // 100 distinct alerts, each on a pool chosen by the seed; 100 copies of each, shuffled.
      const owner = Array.from({ length: DISTINCT }, () => Math.floor(scenario.random() * pools.length));
      const bodies = owner.map((p, n) =>
        alertmanagerBody(n, {
          account: pools[p]!.account,
          cluster: pools[p]!.clusterId,
          pool: pools[p]!.pool,
        }),
      );
      const order = Array.from({ length: DELIVERIES }, (_, i) => i % DISTINCT);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(scenario.random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const statuses = new Map<number, number>();
      let next = 0;
      const sendStarted = performance.now();
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < order.length) {
            const body = bodies[order[next++]!]!;
            const response = await senders.request({
              method: "POST",
              path: "/webhooks/alertmanager",
              headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
              body,
            });
            await response.body.text();
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          }
        }),
      );
      const sendSeconds = (performance.now() - sendStarted) / 1000;
      // Every delivery answered 2xx: the first of each event 202 (accepted), the others 200 (duplicate).
      expect(Object.fromEntries(statuses)).toEqual({ 202: DISTINCT, 200: DELIVERIES - DISTINCT });
      expect(await store.operations.list({}, h.now())).toHaveLength(DISTINCT);

      await setFaults(h.sb, CHAOS_FAULTS);
      let ticks = 0;
      for (; ticks < MAX_TICKS; ticks++) {
        await h.tick();
        const active = await store.operations.list({ status: ["pending", "running", "waiting"] }, h.now());
        if (active.length === 0) break;
        await h.advanceClock(TICK_SECONDS);
      }
      await setFaults(h.sb, "none");
      const { calls, faults } = await cloudCalls(h.sb);

      const operations = await store.operations.list({}, h.now());
      expect(operations.filter((op) => !FINISHED.includes(op.status) || op.status === "failed")).toEqual([]);
      // The resizes the cloud carried out: node pool updates answered 2xx (a faulted one never reached it).
      const requests = (
        await Promise.all(
          ["huawei", "baidu"].map((cloud) => h.sb.inspect(cloud as "huawei", "GET", "requests")),
        )
      ).flatMap(
        (log) =>
          log.requests as Array<{
            method: string;
            path: string;
            status: number;
            fault?: string;
          }>,
      );
      const resizes = requests.filter((r) => isPoolUpdate(r.method, r.path) && r.status < 300 && !r.fault);
      // Each pool exactly as much larger as it had alerts (one resize lost or doubled is off by
      // one), and the cloud carried out one node pool update per alert: 100, plus at most one
      // repeat of the same absolute size per update whose answer was lost.
      for (const [i, pool] of pools.entries()) {
        const mine = owner.filter((p) => p === i).length;
        const after = (await pool.provider.listNodePools(pool.clusterId)).find((p) => p.id === pool.poolId)!;
        expect(after.desired, `${pool.cluster}/${pool.pool}`).toBe(pool.before + mine);
      }
      const applied = (
        await Promise.all(operations.map((op) => store.ledger.query({ operationId: op.id, limit: 1000 })))
      )
        .flat()
        .filter((e) => e.kind === "resize.applied");
      expect(applied).toHaveLength(DISTINCT);
      expect(resizes.length).toBeGreaterThanOrEqual(DISTINCT);
      expect(resizes.length - DISTINCT).toBeLessThanOrEqual(unanswered);

      await printFigures({
        scenario: "duplicate storm",
        targets: pools.length,
        cloudCalls: calls,
        faults,
        retries: operations.reduce((sum, op) => sum + op.attempts, 0),
        ms: performance.now() - scenario.startedAt,
        extra: {
          deliveries: DELIVERIES,
          senders: SENDERS,
          "deliveries/s": Math.round(DELIVERIES / sendSeconds),
          operations: operations.length,
          "pool updates": resizes.length,
          "answers lost": unanswered,
          ticks,
        },
      });
    } finally {
      await senders.close();
      server.close();
      server.closeAllConnections();
      await h.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
