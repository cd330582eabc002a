// The webhook routes on Node and in workerd: each source's authentication, the 4xx a sender must
// not retry (401, 400 naming the field, 413, 415), the 2xx once every event is recorded (202; 200
// when all were duplicates) and the 503 it must retry. Behind them is the resize function's own
// `accept`, with a rule that turns each signed `nodepool.resize` event into a resize operation, so
// a refused delivery is seen to create nothing and a replay to create nothing more.
import { describe, expect, it } from "vitest";
import type { WebhookCredentials } from "../../shared/config/config.ts";
import type { AcceptEvents, InboundEvent } from "../../shared/events/inbound.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { parseScheduleFile } from "../../shared/schedule/schedule-file.ts";
import { signWebhook } from "../../shared/signer/webhooks.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore } from "../../shared/store/store.ts";
import { createApp } from "../app.ts";
import { WEBHOOK_BODY_LIMIT } from "../request-body.ts";
import { createAcceptEvents } from "../resize/accept.ts";

const NOW = new Date("2026-11-22T20:00:30Z");
const TOKENS = ["alertmanager-token-old-0123456789abcdef", "alertmanager-token-new-0123456789abcdef"];
const PASSWORD = "alertmanager-password-0123456789abcdef";
const SECRETS = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_bmV3LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"];
const API_KEYS = ["eventbridge-key-old-0123456789abcdef", "eventbridge-key-new-0123456789abcdef"];
const CREDENTIALS: WebhookCredentials = {
  alertmanager: { tokens: TOKENS, basic: { username: "alertmanager", passwords: [PASSWORD] } },
  events: { secrets: SECRETS },
  eventbridge: { header: "x-nightshift-key", apiKeys: API_KEYS },
};
const ALL_SECRETS = [...TOKENS, PASSWORD, ...SECRETS, ...API_KEYS];

const PARSED = parseScheduleFile(
  `kind: resize
name: signed-resize
match: { source: events, type: nodepool.resize }
target: { account: hw }
action: { set: 5 }
`,
  "routes-test.yaml",
);
if ("errors" in PARSED) throw new Error(JSON.stringify(PARSED.errors));
const RULES = PARSED.rules;

/**
 * The app with the resize function's accept on a memory store (`store: "down"`: one whose every
 * write fails, as when D1 is unreachable), and what that accept was handed and accepted.
 */
function setup(options: { store?: "down"; accept?: "none"; webhooks?: WebhookCredentials } = {}) {
  const backend = memoryBackend();
  if (options.store === "down")
    backend.put = async () => {
      throw new Error("D1_ERROR: the store is unreachable (token whsec_must-not-leak)");
    };
  const store = createStore(backend);
  const lines: string[] = [];
  const log = createLogger({ write: (line) => lines.push(line), secrets: ALL_SECRETS });
  const real = createAcceptEvents({
    store,
    rules: RULES,
    accounts: new Map([["hw", { kind: "huawei", region: "cn-north-4" }]]),
    log,
  });
  const recorder = { accepted: [] as InboundEvent[], calls: 0 };
  const accept: AcceptEvents = async (events, now) => {
    recorder.calls++;
    const results = await real(events, now);
    results.forEach((result, i) => {
      if (result.status === "accepted") recorder.accepted.push(events[i]!);
    });
    return results;
  };
  const operations = async () => (await store.operations.list({}, NOW)).map((op) => op.kind);
  const app = createApp({
    host: "node",
    log,
    now: () => NOW,
    inventory: async () => ({ targets: [], errors: [] }),
    store,
    schedules: [],
    calendars: new Map(),
    webhooks: options.webhooks ?? CREDENTIALS,
    ...(options.accept === "none" ? {} : { accept }),
  });
  return { app, store, recorder, operations, lines };
}

const alertmanagerPayload = (
  overrides: { status?: string; startsAt?: string; fingerprints?: string[] } = {},
) => ({
  receiver: "nightshift",
  status: overrides.status ?? "firing",
  alerts: (overrides.fingerprints ?? ["a3f2c1d4e5b6a7c8"]).map((fingerprint, i) => ({
    status: overrides.status ?? "firing",
    labels: { alertname: "QueueBacklogHigh", cluster: `qa-${i + 1}`, pool: "workers" },
    annotations: { summary: "backlog above 1000" },
    startsAt: overrides.startsAt ?? "2026-11-22T19:55:00Z",
    endsAt: overrides.status === "resolved" ? "2026-11-22T20:00:00Z" : "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus:9090/graph",
    fingerprint,
  })),
  groupLabels: { alertname: "QueueBacklogHigh" },
  commonLabels: { alertname: "QueueBacklogHigh", pool: "workers" },
  commonAnnotations: {},
  externalURL: "http://alertmanager:9093",
  version: "4",
  groupKey: '{}:{alertname="QueueBacklogHigh"}',
  truncatedAlerts: 0,
});

const json = { "Content-Type": "application/json" };
const bearer = (token: string) => ({ ...json, Authorization: `Bearer ${token}` });
const basic = (user: string, password: string) => ({
  ...json,
  Authorization: `Basic ${btoa(`${user}:${password}`)}`,
});

type Answer = {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & {
    error?: { code: string; message: string; details: Record<string, unknown> };
  };
};
async function post(
  app: ReturnType<typeof setup>["app"],
  path: string,
  init: { headers?: Record<string, string>; body: string | ReadableStream<Uint8Array> },
): Promise<Answer> {
  const response = await app.request(path, {
    method: "POST",
    ...init,
    ...(typeof init.body === "string" ? {} : { duplex: "half" }),
  } as RequestInit);
  const text = await response.text();
  for (const secret of ALL_SECRETS) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/\bat .+:\d+:\d+|Error:/);
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

describe("POST /webhooks/alertmanager", () => {
  it("accepts any configured bearer token (rotation) or basic credentials, then answers duplicates with 200", async () => {
    const { app, recorder } = setup();
    const body = JSON.stringify(
      alertmanagerPayload({ fingerprints: ["a3f2c1d4e5b6a7c8", "0011223344556677"] }),
    );
    const first = await post(app, "/webhooks/alertmanager", { headers: bearer(TOKENS[0]!), body });
    expect(first.status).toBe(202);
    const ids = recorder.accepted.map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(first.body).toEqual({ accepted: ids, duplicates: [] });
    expect(recorder.accepted.map((e) => [e.type, e.status, e.labels.cluster])).toEqual([
      ["QueueBacklogHigh", "firing", "qa-1"],
      ["QueueBacklogHigh", "firing", "qa-2"],
    ]);

    // The HA twin (or a retry) with the new token: recorded already, so 200 and nothing new.
    const again = await post(app, "/webhooks/alertmanager", { headers: bearer(TOKENS[1]!), body });
    expect(again).toMatchObject({ status: 200, body: { accepted: [], duplicates: ids } });
    // One old alert and one new: 202 with both lists.
    const mixed = JSON.stringify(
      alertmanagerPayload({ fingerprints: ["a3f2c1d4e5b6a7c8", "8899aabbccddeeff"] }),
    );
    const partly = await post(app, "/webhooks/alertmanager", {
      headers: basic("alertmanager", PASSWORD),
      body: mixed,
    });
    expect(partly.status).toBe(202);
    expect(partly.body).toEqual({ accepted: [recorder.accepted[2]!.id], duplicates: [ids[0]] });
    // Resolved is another notification of the same alert: a new event.
    const resolved = JSON.stringify(alertmanagerPayload({ status: "resolved" }));
    const resolution = await post(app, "/webhooks/alertmanager", {
      headers: bearer(TOKENS[1]!),
      body: resolved,
    });
    expect(resolution.status).toBe(202);
    expect(recorder.accepted.at(-1)).toMatchObject({
      status: "resolved",
      occurredAt: "2026-11-22T20:00:00.000Z",
    });
    expect(recorder.accepted).toHaveLength(4);
  });

  it("refuses bad or missing credentials with 401 and the configured challenges, recording nothing", async () => {
    const { app, recorder, lines } = setup();
    const body = JSON.stringify(alertmanagerPayload());
    for (const headers of [
      json,
      bearer("alertmanager-token-old-0123456789abcdeX"),
      bearer(TOKENS[0]!.slice(0, -1)),
      basic("alertmanager", `${PASSWORD}x`),
      basic("someone-else", PASSWORD),
      { ...json, Authorization: `Basic ${TOKENS[0]}` },
      { ...json, Authorization: `Token ${TOKENS[0]}` },
    ]) {
      const refused = await post(app, "/webhooks/alertmanager", { headers, body });
      expect(refused.status).toBe(401);
      expect(refused.body.error?.code).toBe("unauthorized");
      expect(refused.headers.get("WWW-Authenticate")).toBe(
        'Bearer realm="nightshift", Basic realm="nightshift", charset="UTF-8"',
      );
    }
    expect(recorder.calls).toBe(0);
    expect(lines.join("\n")).toContain("webhook refused: bad or missing credentials");
    // Bearer only: only that challenge.
    const bearerOnly = setup({ webhooks: { ...CREDENTIALS, alertmanager: { tokens: TOKENS } } });
    const refused = await post(bearerOnly.app, "/webhooks/alertmanager", {
      headers: basic("alertmanager", PASSWORD),
      body,
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toBe('Bearer realm="nightshift"');
  });

  it("answers 400 naming the field, 415 for another content type, 413 over the limit: never reaching accept", async () => {
    const { app, recorder } = setup();
    const payload = alertmanagerPayload();
    const { fingerprint: _, ...noFingerprint } = payload.alerts[0]!;
    const malformed = await post(app, "/webhooks/alertmanager", {
      headers: bearer(TOKENS[0]!),
      body: JSON.stringify({ ...payload, alerts: [noFingerprint] }),
    });
    expect(malformed).toMatchObject({
      status: 400,
      body: {
        error: {
          code: "invalid_body",
          message: "alerts[0].fingerprint: is required (string)",
          details: {
            field: "alerts[0].fingerprint",
            issues: ["alerts[0].fingerprint: is required (string)"],
          },
        },
      },
    });
    const notJson = await post(app, "/webhooks/alertmanager", {
      headers: bearer(TOKENS[0]!),
      body: "{alerts:",
    });
    expect(notJson).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
    const form = await post(app, "/webhooks/alertmanager", {
      headers: { Authorization: `Bearer ${TOKENS[0]}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: JSON.stringify(payload),
    });
    expect(form).toMatchObject({ status: 415, body: { error: { code: "unsupported_media_type" } } });
    const large = await post(app, "/webhooks/alertmanager", {
      headers: bearer(TOKENS[0]!),
      body: JSON.stringify({ ...payload, receiver: "x".repeat(WEBHOOK_BODY_LIMIT) }),
    });
    expect(large).toMatchObject({ status: 413, body: { error: { code: "body_too_large" } } });
    expect(recorder.calls).toBe(0);
  });

  it("answers 503 with Retry-After when accept throws, so Alertmanager retries; no stack, no secret", async () => {
    const { app, lines } = setup({ store: "down" });
    const answer = await post(app, "/webhooks/alertmanager", {
      headers: bearer(TOKENS[0]!),
      body: JSON.stringify(alertmanagerPayload()),
    });
    expect(answer.status).toBe(503);
    expect(answer.headers.get("Retry-After")).toBe("10");
    expect(answer.body.error).toEqual({
      code: "events_not_recorded",
      message: "the events could not be recorded just now; nothing was accepted, send them again",
      details: { source: "alertmanager", retryAfterSeconds: 10 },
    });
    expect(answer.body.error?.message).not.toContain("D1_ERROR");
    expect(lines.join("\n")).toContain("the store is unreachable");
  });
});

describe("POST /webhooks/events (Standard Webhooks)", () => {
  const event = { type: "nodepool.resize", data: { cluster: "qa-1", pool: "workers", size: 5 } };
  const signed = async (secrets: string[], id: string, body: string, at = NOW) => ({
    ...json,
    ...(await signWebhook(secrets, { id, body, now: at })),
  });

  it("accepts a delivery signed with either secret, or both (rotation); a replay is a duplicate", async () => {
    const { app, recorder, operations } = setup();
    const body = JSON.stringify(event);
    const first = await post(app, "/webhooks/events", {
      headers: await signed([SECRETS[1]!], "msg_1", body),
      body,
    });
    expect(first).toMatchObject({ status: 202, body: { accepted: ["msg_1"], duplicates: [] } });
    expect(recorder.accepted).toEqual([
      {
        source: "events",
        id: "msg_1",
        type: "nodepool.resize",
        labels: {},
        data: event.data,
        occurredAt: "2026-11-22T20:00:30.000Z",
        origin: { sentAt: "2026-11-22T20:00:30.000Z" },
      },
    ]);
    // A sender mid-rotation signs with an old secret nightshift no longer has and the current one.
    const rotating = await signed(["whsec_b2xkLXJldGlyZWQtc2VjcmV0", SECRETS[0]!], "msg_2", body);
    expect(rotating["webhook-signature"].split(" ")).toHaveLength(2);
    expect((await post(app, "/webhooks/events", { headers: rotating, body })).status).toBe(202);

    // The same delivery captured and sent again (within the tolerance): refused as a duplicate,
    // durably (the record in the store, not this process's memory).
    const replay = await post(app, "/webhooks/events", {
      headers: await signed([SECRETS[1]!], "msg_1", body),
      body,
    });
    expect(replay).toMatchObject({ status: 200, body: { accepted: [], duplicates: ["msg_1"] } });
    expect(recorder.accepted.map((e) => e.id)).toEqual(["msg_1", "msg_2"]);
    // One resize operation per event: the replay created none.
    expect(await operations()).toEqual(["resize", "resize"]);
  });

  it("refuses forged, tampered, expired, future and unsigned deliveries with 401", async () => {
    const { app, recorder, operations } = setup();
    const body = JSON.stringify(event);
    const forged = await post(app, "/webhooks/events", {
      headers: await signed(["whsec_Zm9yZ2VkLXNlY3JldC0wMTIzNDU2Nzg5"], "msg_f", body),
      body,
    });
    expect(forged).toMatchObject({
      status: 401,
      body: { error: { code: "unauthorized", details: { reason: "bad-signature" } } },
    });
    const tampered = await post(app, "/webhooks/events", {
      headers: await signed([SECRETS[0]!], "msg_t", body),
      body: body.replace('"size":5', '"size":50'),
    });
    expect(tampered.body.error?.details.reason).toBe("bad-signature");
    const sixMinutes = 6 * 60_000;
    const expired = await post(app, "/webhooks/events", {
      headers: await signed([SECRETS[0]!], "msg_e", body, new Date(NOW.getTime() - sixMinutes)),
      body,
    });
    expect(expired).toMatchObject({ status: 401, body: { error: { details: { reason: "expired" } } } });
    const future = await post(app, "/webhooks/events", {
      headers: await signed([SECRETS[0]!], "msg_u", body, new Date(NOW.getTime() + sixMinutes)),
      body,
    });
    expect(future.body.error?.details.reason).toBe("future");
    // Four minutes late is within the tolerance.
    const late = await post(app, "/webhooks/events", {
      headers: await signed([SECRETS[0]!], "msg_l", body, new Date(NOW.getTime() - 4 * 60_000)),
      body,
    });
    expect(late.status).toBe(202);
    const unsigned = await post(app, "/webhooks/events", { headers: json, body });
    expect(unsigned).toMatchObject({
      status: 401,
      body: { error: { details: { reason: "missing-headers" } } },
    });
    expect(recorder.accepted.map((e) => e.id)).toEqual(["msg_l"]);
    // Only the delivery within the tolerance became a resize operation.
    expect(await operations()).toEqual(["resize"]);
  });

  it("checks the body once the signature holds: 415, then 400 naming the field", async () => {
    const { app, recorder } = setup();
    const body = JSON.stringify({ type: "nodepool.resize", data: "five" });
    const wrongType = await post(app, "/webhooks/events", {
      headers: { ...(await signed([SECRETS[0]!], "msg_1", body)), "Content-Type": "text/plain" },
      body,
    });
    expect(wrongType.status).toBe(415);
    const malformed = await post(app, "/webhooks/events", {
      headers: await signed([SECRETS[0]!], "msg_2", body),
      body,
    });
    expect(malformed).toMatchObject({ status: 400, body: { error: { details: { field: "data" } } } });
    expect(malformed.body.error?.message).toMatch(/^data: must be a JSON object/);
    expect(recorder.calls).toBe(0);
  });
});

describe("POST /webhooks/eventbridge", () => {
  const envelope = {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "Nightly E2E Started",
    source: "com.example.ci",
    account: "111122223333",
    time: "2026-11-22T19:59:00Z",
    region: "eu-central-1",
    resources: [],
    detail: { cluster: "qa-1" },
  };
  const withKey = (key: string) => ({
    "Content-Type": "application/json; charset=utf-8",
    "X-Nightshift-Key": key,
  });

  it("accepts either API key in the configured header; EventBridge's redelivery is a duplicate", async () => {
    const { app, recorder } = setup();
    const body = JSON.stringify(envelope);
    expect(await post(app, "/webhooks/eventbridge", { headers: withKey(API_KEYS[1]!), body })).toMatchObject({
      status: 202,
      body: { accepted: [envelope.id], duplicates: [] },
    });
    expect(await post(app, "/webhooks/eventbridge", { headers: withKey(API_KEYS[0]!), body })).toMatchObject({
      status: 200,
      body: { accepted: [], duplicates: [envelope.id] },
    });
    expect(recorder.accepted).toMatchObject([
      { source: "eventbridge", type: "Nightly E2E Started", data: { cluster: "qa-1" } },
    ]);
  });

  it("refuses a wrong or missing key with 401, and a transformed body with 400", async () => {
    const { app, recorder } = setup();
    const body = JSON.stringify(envelope);
    for (const headers of [
      withKey(`${API_KEYS[0]}x`),
      { "Content-Type": "application/json", "x-api-key": API_KEYS[0]! },
    ]) {
      const refused = await post(app, "/webhooks/eventbridge", { headers, body });
      expect(refused.status).toBe(401);
      expect(refused.body.error?.message).toContain("x-nightshift-key header");
    }
    const transformed = await post(app, "/webhooks/eventbridge", {
      headers: withKey(API_KEYS[0]!),
      body: JSON.stringify(envelope.detail),
    });
    expect(transformed).toMatchObject({ status: 400, body: { error: { code: "invalid_body" } } });
    expect(recorder.calls).toBe(0);
  });
});

describe("the webhook routes when they cannot take events", () => {
  it("answer 503 naming the variables when a source has no credentials", async () => {
    const { app } = setup({
      webhooks: {
        alertmanager: { tokens: [] },
        events: { secrets: [] },
        eventbridge: { header: "x-api-key", apiKeys: [] },
      },
    });
    for (const [source, variable] of [
      ["alertmanager", "NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS"],
      ["events", "NIGHTSHIFT_WEBHOOK_EVENT_SECRETS"],
      ["eventbridge", "NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEYS"],
    ] as const) {
      const answer = await post(app, `/webhooks/${source}`, { headers: json, body: "{}" });
      expect(answer.status).toBe(503);
      expect(answer.body.error?.code).toBe("webhook_disabled");
      expect(answer.body.error?.message).toContain(variable);
    }
  });

  it("answer 503, never a pretended 2xx, when nothing is wired to record the events", async () => {
    const { app } = setup({ accept: "none" });
    const answer = await post(app, "/webhooks/alertmanager", {
      headers: bearer(TOKENS[0]!),
      body: JSON.stringify(alertmanagerPayload()),
    });
    expect(answer.status).toBe(503);
    expect(answer.body.error?.code).toBe("events_unavailable");
  });

  it("answer 405 to anything but POST", async () => {
    const { app } = setup();
    const response = await app.request("/webhooks/events", { method: "GET" });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST");
  });
});
