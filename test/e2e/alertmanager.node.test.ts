// A real Prometheus Alertmanager (Debian's prometheus-alertmanager; `npm test` installs it) in front
// of the Node service, exactly as a user runs them: its webhook receiver points at
// /webhooks/alertmanager with bearer credentials in `http_config.authorization`, and a resize rule
// in the service's schedules folder grows the pool an alert names. Alerts posted to Alertmanager's
// API v2 resize a pool of the embedded sandbox cloud (its inspection API shows the new size);
// resolving them puts the pool back to the size it had; two Alertmanagers with the same
// configuration, each sending the same alerts, cause one resize.
//
// The service is `startServer`, in this process, with nothing standing in: its own `accept` (the
// resize function), a SQLite store, the embedded sandbox clouds, the in-process start of accepted
// operations. Alertmanager flushes a group 100 ms after its first alert and every 100 ms after
// (group_wait, group_interval), so each step takes little more than the resize. (resolve_timeout
// plays no part: every alert is posted with its endsAt, as Prometheus posts them.)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configuredLogger } from "../../functions/compose.ts";
import { eventKey } from "../../functions/resize/accept.ts";
import { type RunningServer, startServer } from "../../functions/server.node.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { alertEventId } from "../../shared/events/inbound/alertmanager.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import { type AlertmanagerServer, startAlertmanager } from "../setup/servers.ts";

const TOKEN = "alertmanager-e2e-token-0123456789abcdef";
const DEADLINE_MS = 30_000;
/**
 * The rule under test: an alert whose name starts with Nightshift grows the pool its labels name
 * (account, cluster, pool) by 2, and puts it back when the alert resolves.
 */
const RULE = `kind: resize
name: backlog-grows-pool
match: { source: alertmanager, type: "Nightshift*" }
action: { add: 2 }
max: 30
cooldownMinutes: 0
revert: true
`;

let dir: string;
let service: RunningServer;
const logLines: string[] = [];
const alertmanagers: AlertmanagerServer[] = [];

interface SandboxPool {
  name: string;
  initialNodeCount: number;
  isDefault: boolean;
  autoscaling: { enable: boolean };
}
interface SandboxCluster {
  uid: string;
  name: string;
  projectId: string;
  phase: string;
  pools: SandboxPool[];
}
interface SandboxState {
  accounts: Array<{ name: string; projects: Array<{ region: string; projectId: string }> }>;
  clusters: SandboxCluster[];
}

/** The Huawei cloud as the sandbox's inspection API shows it (not through nightshift's provider). */
async function inspect(): Promise<SandboxState> {
  const { inspection } = service.runtime.sandbox!.description.huawei as { inspection: string };
  const response = await fetch(`${inspection}/state`);
  return ((await response.json()) as { state: SandboxState }).state;
}

/** A pool an alert names: its account, cluster and name, as the alert's labels carry them. */
interface AlertedPool {
  account: string;
  cluster: string;
  pool: string;
}

/** Two fixed-size pools (an autoscaled pool's bounds would move instead) of running clusters. */
let pools: AlertedPool[];
let sizes: number[];

async function sizesNow(): Promise<number[]> {
  const { clusters } = await inspect();
  return pools.map(
    ({ cluster, pool }) =>
      clusters.find((c) => c.uid === cluster)!.pools.find((p) => p.name === pool)!.initialNodeCount,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-alertmanager-e2e-"));
  // No sleep schedules: only the rule.
  writeFileSync(join(dir, "rules.yaml"), RULE);
  const config = loadConfig({
    PORT: "0",
    NIGHTSHIFT_STORE: `sqlite:${join(dir, "state.db")}`,
    NIGHTSHIFT_SCHEDULES_DIR: dir,
    NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: TOKEN,
  });
  const log = configuredLogger(config, { write: (line) => logLines.push(line), format: "json" });
  service = await startServer(config, log);
  const state = await inspect();
  const accountOf = new Map(
    state.accounts.flatMap((a) =>
      a.projects.map((p) => [p.projectId, `sandbox-huawei-${a.name}-${p.region}`]),
    ),
  );
  pools = state.clusters
    .filter((c) => c.phase === "Available")
    .flatMap((c) =>
      c.pools
        .filter((p) => !p.isDefault && !p.autoscaling.enable)
        .map((p) => ({ account: accountOf.get(c.projectId)!, cluster: c.uid, pool: p.name })),
    )
    .slice(0, 2);
  expect(pools).toHaveLength(2);
  sizes = await sizesNow();
}, 60_000);

afterAll(async () => {
  for (const alertmanager of alertmanagers.splice(0)) await alertmanager.stop();
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** alertmanager.yml: one webhook receiver, the service with bearer credentials, groups flushed at once. */
const alertmanagerConfig = (serviceUrl: string) => `
route:
  receiver: nightshift
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 100ms
  repeat_interval: 1h
receivers:
  - name: nightshift
    webhook_configs:
      - url: ${serviceUrl}/webhooks/alertmanager
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            type: Bearer
            credentials: ${TOKEN}
`;

async function startOne(): Promise<AlertmanagerServer> {
  const alertmanager = await startAlertmanager(alertmanagerConfig(service.url));
  alertmanagers.push(alertmanager);
  return alertmanager;
}

interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** POST /api/v2/alerts, as Prometheus does. */
async function postAlerts(alertmanager: AlertmanagerServer, alerts: PostedAlert[]): Promise<void> {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(alerts),
  });
  if (!response.ok)
    throw new Error(`Alertmanager refused the alerts: ${response.status} ${await response.text()}`);
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const output = alertmanagers.map((a) => a.output().split("\n").slice(-30).join("\n")).join("\n---\n");
  throw new Error(
    `timed out waiting for ${what}\nservice log:\n${logLines.slice(-20).join("\n")}\nalertmanager:\n${output}`,
  );
}

/** Waits until the pools have exactly these sizes (as the sandbox shows them). */
const waitForSizes = (what: string, expected: number[]) =>
  waitFor(what, async () => {
    const now = await sizesNow();
    return JSON.stringify(now) === JSON.stringify(expected) ? now : undefined;
  });

/** One alert per pool, as Prometheus would send them. */
function alertsOf(alertname: string, startsAt: Date, endsAt: Date, onPools = pools): PostedAlert[] {
  return onPools.map(({ account, cluster, pool }) => ({
    labels: { alertname, account, cluster, pool, severity: "page" },
    annotations: { summary: `${pool} backlog above 1000` },
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    generatorURL: "http://prometheus.example:9090/graph",
  }));
}

const ledger = () => service.runtime.store.ledger.query({ limit: 1000 });
const ofAlert = (entries: LedgerEntry[], alertname: string) =>
  entries.filter((e) => (e.detail.event as { type?: string } | undefined)?.type === alertname);
/** The sizes before the tests, the first `count` pools grown by `by`. */
/** The resizes applied for an alert's events: its operations' `resize.applied` entries. */
async function appliedFor(alertname: string): Promise<LedgerEntry[]> {
  const entries = await ledger();
  const operations = new Set(
    ofAlert(entries, alertname)
      .filter((e) => e.kind === "resize.accepted")
      .map((e) => e.operationId),
  );
  return entries.filter((e) => e.kind === "resize.applied" && operations.has(e.operationId));
}
const grown = (by: number, count = pools.length) => sizes.map((size, i) => (i < count ? size + by : size));

describe("a real Alertmanager delivering to the Node service", () => {
  it("its firing alerts grow the pools the rule names; their resolution puts them back", {
    timeout: 90_000,
  }, async () => {
    const alertmanager = await startOne();
    const startsAt = new Date(Date.now() - 60_000);
    await postAlerts(alertmanager, alertsOf("NightshiftBacklog", startsAt, new Date(Date.now() + 3600_000)));
    await waitForSizes("the pools grown by the rule's step", grown(2));

    // Each alert was recorded under the id its groupKey, fingerprint, startsAt and status make,
    // before the answer, and created one resize operation.
    const accepted = ofAlert(await ledger(), "NightshiftBacklog").filter((e) => e.kind === "resize.accepted");
    expect(accepted.map((e) => (e.detail.target as { pool: string }).pool).sort()).toEqual(
      pools.map((p) => p.pool).sort(),
    );
    for (const entry of accepted) {
      const event = entry.detail.event as { id: string; origin: Record<string, string>; status: string };
      expect(event).toMatchObject({
        source: "alertmanager",
        status: "firing",
        occurredAt: startsAt.toISOString(),
        origin: { receiver: "nightshift", externalURL: alertmanager.url },
      });
      expect(event.id).toBe(
        await alertEventId(event.origin.groupKey!, {
          fingerprint: event.origin.fingerprint!,
          startsAt: startsAt.toISOString(),
          status: "firing",
        }),
      );
      const key = eventKey({ source: "alertmanager", id: event.id });
      const record = await service.runtime.store.idempotency.claim(key, {
        fingerprint: key,
        leaseMs: 1000,
        ttlMs: 1000,
        now: new Date(),
      });
      expect(record.outcome).toBe("completed");
    }

    // Resolved: the same alerts, ended a second ago. The pools go back to their remembered sizes.
    await postAlerts(alertmanager, alertsOf("NightshiftBacklog", startsAt, new Date(Date.now() - 1000)));
    await waitForSizes("the pools back at their remembered sizes", sizes);
    // Two resizes per pool, the growth and the revert (the revert's entry follows its cloud call).
    await waitFor("the reverts recorded", async () => {
      const applied = await appliedFor("NightshiftBacklog");
      return applied.length >= 4 ? applied : undefined;
    });
    expect(await appliedFor("NightshiftBacklog")).toHaveLength(4);
    expect(logLines.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });

  it("resizes once when two Alertmanagers with the same configuration both send the alert", {
    timeout: 90_000,
  }, async () => {
    sizes = await sizesNow();
    const pair = [await startOne(), await startOne()];
    const startsAt = new Date(Date.now() - 30_000);
    const alerts = alertsOf("NightshiftPairBacklog", startsAt, new Date(Date.now() + 3600_000), [pools[0]!]);
    await Promise.all(pair.map((alertmanager) => postAlerts(alertmanager, alerts)));

    // Both delivered it: one acceptance, one duplicate, whichever came first.
    const seen = await waitFor("both Alertmanagers' deliveries", async () => {
      const entries = ofAlert(await ledger(), "NightshiftPairBacklog");
      const from = (kind: string) =>
        entries
          .filter((e) => e.kind === kind)
          .map((e) => (e.detail.event as { origin: { externalURL: string } }).origin.externalURL);
      const accepted = from("resize.accepted");
      const duplicates = from("event.duplicate");
      return accepted.length + duplicates.length >= 2 ? { accepted, duplicates, entries } : undefined;
    });
    expect(seen.accepted).toHaveLength(1);
    expect(new Set([...seen.accepted, ...seen.duplicates])).toEqual(new Set(pair.map((a) => a.url)));
    await waitForSizes("the pool grown once", grown(2, 1));
    await waitFor("the resize recorded", async () =>
      (await appliedFor("NightshiftPairBacklog")).length >= 1 ? true : undefined,
    );
    // A while longer (both Alertmanagers flush the group many times over): still one resize.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await sizesNow()).toEqual(grown(2, 1));
    expect(await appliedFor("NightshiftPairBacklog")).toHaveLength(1);
  });
});
