// A real Prometheus Alertmanager (Debian's prometheus-alertmanager; `npm test` installs it) in front
// of the Node service: its webhook receiver points at /webhooks/alertmanager with bearer
// credentials in `http_config.authorization`. Alerts posted to Alertmanager's API v2 arrive as
// events the service records; resolving them (endsAt in the past) delivers the resolution; two
// Alertmanagers with the same configuration, each sending the same alerts, are recorded once.
//
// The service is `startServer`, in this process, on a SQLite store and the embedded sandbox clouds.
// What records the events is the test recorder (test/setup/recording-accept.ts: the store's
// durable claim per event id) until the resize function is merged; then the service's own
// `accept` records them, and the pool's resize and revert are asserted where marked below.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configuredLogger } from "../../functions/compose.ts";
import { type RunningServer, startServer } from "../../functions/server.node.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { alertEventId } from "../../shared/events/inbound/alertmanager.ts";
import type { InboundEvent } from "../../shared/events/inbound.ts";
import { type RecordingAccept, recordingAccept, recordKey } from "../setup/recording-accept.ts";
import { type AlertmanagerServer, startAlertmanager } from "../setup/servers.ts";

const TOKEN = "alertmanager-e2e-token-0123456789abcdef";
const DEADLINE_MS = 30_000;

let dir: string;
let service: RunningServer;
let recorder: RecordingAccept;
const logLines: string[] = [];
const alertmanagers: AlertmanagerServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-alertmanager-e2e-"));
  const config = loadConfig({
    PORT: "0",
    NIGHTSHIFT_STORE: `sqlite:${join(dir, "state.db")}`,
    // No sleep schedules: only the events matter here. (The resize rule goes in this folder.)
    NIGHTSHIFT_SCHEDULES_DIR: dir,
    NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: TOKEN,
  });
  const log = configuredLogger(config, { write: (line) => logLines.push(line), format: "json" });
  service = await startServer(config, log, {
    accept: (store) => {
      recorder = recordingAccept(store);
      return recorder.accept;
    },
  });
}, 60_000);

afterAll(async () => {
  for (const alertmanager of alertmanagers.splice(0)) await alertmanager.stop();
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** alertmanager.yml: one webhook receiver, the service with bearer credentials, groups flushed within a second. */
const alertmanagerConfig = (serviceUrl: string) => `
route:
  receiver: nightshift
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
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

async function waitFor<T>(what: string, read: () => T | undefined): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const output = alertmanagers.map((a) => a.output().split("\n").slice(-30).join("\n")).join("\n---\n");
  throw new Error(
    `timed out waiting for ${what}\nservice log:\n${logLines.slice(-20).join("\n")}\nalertmanager:\n${output}`,
  );
}

const accepted = (alertname: string, status: "firing" | "resolved") =>
  recorder.accepted.filter((e) => e.type === alertname && e.status === status);

/** Two alerts of one group, as Prometheus would send them for two pools. */
function alertsOf(alertname: string, startsAt: Date, endsAt: Date): PostedAlert[] {
  return ["workers", "gpu"].map((pool) => ({
    labels: { alertname, provider: "huawei", cluster: "qa-1", pool, severity: "page" },
    annotations: { summary: `${pool} backlog above 1000` },
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    generatorURL: "http://prometheus.example:9090/graph",
  }));
}

async function expectedId(event: InboundEvent, startsAt: Date): Promise<string> {
  return alertEventId(event.origin.groupKey!, {
    fingerprint: event.origin.fingerprint!,
    startsAt: startsAt.toISOString(),
    status: event.status!,
  });
}

describe("a real Alertmanager delivering to the Node service", () => {
  it("records the firing alerts, then their resolution", { timeout: 90_000 }, async () => {
    const alertmanager = await startOne();
    const startsAt = new Date(Date.now() - 60_000);
    await postAlerts(alertmanager, alertsOf("NightshiftBacklog", startsAt, new Date(Date.now() + 3600_000)));

    const firing = await waitFor("the firing alerts", () => {
      const events = accepted("NightshiftBacklog", "firing");
      return events.length === 2 ? events : undefined;
    });
    expect(firing.map((e) => e.labels.pool).sort()).toEqual(["gpu", "workers"]);
    for (const event of firing) {
      expect(event).toMatchObject({
        source: "alertmanager",
        labels: { alertname: "NightshiftBacklog", provider: "huawei", cluster: "qa-1", severity: "page" },
        data: { summary: `${event.labels.pool} backlog above 1000` },
        occurredAt: startsAt.toISOString(),
        origin: {
          receiver: "nightshift",
          externalURL: alertmanager.url,
          generatorURL: "http://prometheus.example:9090/graph",
        },
      });
      expect(event.id).toBe(await expectedId(event, startsAt));
      // Recorded durably in the service's store (SQLite) before the answer.
      const record = await service.runtime.store.idempotency.claim(recordKey(event), {
        fingerprint: event.id,
        leaseMs: 1000,
        ttlMs: 1000,
        now: service.runtime.cloudNow(),
      });
      expect(record.outcome).toBe("in-progress");
    }
    // After the resize function is merged: the sandbox pool has grown by the rule's step here.

    // Resolved: the same alerts, ended a second ago.
    const endedAt = new Date(Date.now() - 1000);
    await postAlerts(alertmanager, alertsOf("NightshiftBacklog", startsAt, endedAt));
    const resolved = await waitFor("the resolved alerts", () => {
      const events = accepted("NightshiftBacklog", "resolved");
      return events.length === 2 ? events : undefined;
    });
    for (const event of resolved) {
      expect(event.occurredAt).toBe(endedAt.toISOString());
      expect(event.id).toBe(await expectedId(event, startsAt));
    }
    expect(new Set([...firing, ...resolved].map((e) => e.id)).size).toBe(4);
    // After the resize function is merged: the pool is back at its remembered size here.
    expect(logLines.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });

  it("records once what two Alertmanagers with the same configuration both send", {
    timeout: 90_000,
  }, async () => {
    const pair = [await startOne(), await startOne()];
    const startsAt = new Date(Date.now() - 30_000);
    const alerts = alertsOf("NightshiftPairBacklog", startsAt, new Date(Date.now() + 3600_000));
    await Promise.all(pair.map((alertmanager) => postAlerts(alertmanager, alerts)));

    // Each Alertmanager delivered both alerts: four deliveries, two of them duplicates.
    const deliveries = await waitFor("both Alertmanagers' deliveries", () => {
      const seen = recorder.deliveries.filter((d) => d.event.type === "NightshiftPairBacklog");
      const from = new Set(seen.map((d) => d.event.origin.externalURL));
      return from.size === 2 && seen.length >= 4 ? seen : undefined;
    });
    expect(new Set(deliveries.map((d) => d.event.origin.externalURL))).toEqual(
      new Set(pair.map((a) => a.url)),
    );
    const firing = accepted("NightshiftPairBacklog", "firing");
    expect(firing).toHaveLength(2);
    expect(
      deliveries
        .filter((d) => d.status === "duplicate")
        .map((d) => d.event.id)
        .sort(),
    ).toEqual(firing.map((e) => e.id).sort());
    // After the resize function is merged: one resize per pool, whatever the number of deliveries.
  });
});
