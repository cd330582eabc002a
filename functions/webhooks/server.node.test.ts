// The webhook routes through the real Node HTTP server (the one `nightshift start` serves with),
// with the resize function's accept on a SQLite store behind them: each source answers over a
// socket once its event is recorded, many concurrent deliveries of one event create one resize
// operation, and an oversized chunked body is cut off at the limit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookCredentials } from "../../shared/config/config.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { parseScheduleFile } from "../../shared/schedule/schedule-file.ts";
import { signWebhook } from "../../shared/signer/webhooks.ts";
import { openStore } from "../../shared/store/open.node.ts";
import type { Store } from "../../shared/store/store.ts";
import { serveOnLoopback, webhooksApp } from "../../test/setup/webhooks-server.node.ts";
import { WEBHOOK_BODY_LIMIT } from "../request-body.ts";
import { createAcceptEvents, eventKey } from "../resize/accept.ts";

const TOKEN = "server-test-alertmanager-token-0123456789";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const API_KEY = "server-test-eventbridge-key-0123456789";
const CREDENTIALS: WebhookCredentials = {
  alertmanager: { tokens: [TOKEN] },
  events: { secrets: [SECRET] },
  eventbridge: { header: "x-api-key", apiKeys: [API_KEY] },
};

/** Each signed nodepool.resize event becomes a resize operation (left for the ticker here). */
const RULE = `kind: resize
name: signed-resize
match: { source: events, type: nodepool.resize }
target: { account: hw }
action: { set: 5 }
`;
/** The events the ledger says were accepted (matched a rule or not), by source, in order. */
async function acceptedSources(): Promise<string[]> {
  const entries = await store.ledger.query({ limit: 1000 });
  return entries
    .filter((e) => e.kind === "resize.accepted" || e.kind === "event.unmatched")
    .map((e) => (e.detail.event as { source: string }).source);
}

let dir: string;
let store: Store;
let server: Awaited<ReturnType<typeof serveOnLoopback>>["server"];
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-webhooks-"));
  store = await openStore({ kind: "sqlite", path: join(dir, "state.db") });
  const rules = parseScheduleFile(RULE, "server-test.yaml");
  if ("errors" in rules) throw new Error(JSON.stringify(rules.errors));
  const log = createLogger({ write: () => {} });
  const app = webhooksApp({
    log,
    store,
    webhooks: CREDENTIALS,
    accept: createAcceptEvents({
      store,
      rules: rules.rules,
      accounts: new Map([["hw", { kind: "huawei", region: "cn-north-4" }]]),
      log,
    }),
  });
  ({ server, base } = await serveOnLoopback(app.fetch));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const alertPayload = {
  receiver: "nightshift",
  status: "firing",
  alerts: [
    {
      status: "firing",
      labels: { alertname: "QueueBacklogHigh", cluster: "qa-1" },
      annotations: {},
      startsAt: "2026-11-22T19:55:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "",
      fingerprint: "a3f2c1d4e5b6a7c8",
    },
  ],
  groupLabels: {},
  commonLabels: { alertname: "QueueBacklogHigh" },
  commonAnnotations: {},
  externalURL: "http://alertmanager:9093",
  version: "4",
  groupKey: "{}:{}",
  truncatedAlerts: 0,
};

describe("webhooks over the Node HTTP server", () => {
  it("accepts each source, recorded in SQLite before the answer", async () => {
    const alert = await fetch(`${base}/webhooks/alertmanager`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(alertPayload),
    });
    expect(alert.status).toBe(202);
    const { accepted } = (await alert.json()) as { accepted: string[] };
    expect(accepted).toHaveLength(1);
    // The record is in the store, complete, when the answer arrives: claiming it again finds it.
    const key = eventKey({ source: "alertmanager", id: accepted[0]! });
    const again = await store.idempotency.claim(key, {
      fingerprint: key,
      leaseMs: 1000,
      ttlMs: 1000,
      now: new Date(),
    });
    expect(again.outcome).toBe("completed");

    const body = JSON.stringify({ type: "cluster.wake", data: { cluster: "qa-1" } });
    const signed = await fetch(`${base}/webhooks/events`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        ...(await signWebhook(SECRET, { id: "msg_server_1", body, now: new Date() })),
      },
      body,
    });
    expect(await signed.json()).toEqual({ accepted: ["msg_server_1"], duplicates: [] });

    const envelope = {
      version: "0",
      id: "eb-server-1",
      "detail-type": "Nightly E2E Started",
      source: "com.example.ci",
      account: "111122223333",
      time: new Date().toISOString(),
      region: "eu-central-1",
      resources: [],
      detail: { cluster: "qa-1" },
    };
    const bridged = await fetch(`${base}/webhooks/eventbridge`, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8", "x-api-key": API_KEY },
      body: JSON.stringify(envelope),
    });
    expect(bridged.status).toBe(202);
    // No rule matches these three (the ledger says "event.unmatched" for each): no operation.
    expect(await acceptedSources()).toEqual(["alertmanager", "events", "eventbridge"]);
    expect(await store.operations.list({}, new Date())).toEqual([]);
  });

  it("records one of 200 concurrent deliveries of the same signed event, one operation; the rest are duplicates", async () => {
    const body = JSON.stringify({ type: "nodepool.resize", data: { cluster: "qa-1", pool: "workers" } });
    const headers = {
      "Content-Type": "application/json",
      ...(await signWebhook(SECRET, { id: "msg_storm", body, now: new Date() })),
    };
    const before = (await store.operations.list({}, new Date())).length;
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${base}/webhooks/events`, { method: "POST", headers, body }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { accepted: string[]; duplicates: string[] },
        })),
      ),
    );
    expect(answers.filter((a) => a.status === 202).map((a) => a.body)).toEqual([
      { accepted: ["msg_storm"], duplicates: [] },
    ]);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(199);
    expect((await store.operations.list({}, new Date())).length - before).toBe(1);
  });

  it("cuts an oversized chunked body off at the limit with 413, before authentication", async () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 4 * WEBHOOK_BODY_LIMIT) return controller.close();
        const chunk = new Uint8Array(64 * 1024).fill(0x20);
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${base}/webhooks/alertmanager`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
  });
});
