// The outcome-event publisher with its real client (SigV4-signed PutEvents, built by eventBridgeClient from loadConfig) against a
// local EventBridge endpoint that checks SigV4 on every request: batching, only failed entries
// retried, whole-call failures, refused credentials, and oversized entries never sent.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config.ts";
import {
  createEventBridgePublisher,
  eventBridgeClient,
  type OutcomeEvent,
} from "../../shared/events/eventbridge.ts";
import type { Fetch } from "../../shared/http/client.ts";
import {
  type EventBridgeEndpoint,
  type ReceivedEntry,
  startEventBridgeEndpoint,
} from "./eventbridge-endpoint.node.ts";

const TIME = new Date("2026-03-02T22:00:00.000Z");

function outcome(n: number, extra: Partial<OutcomeEvent["detail"]> = {}): OutcomeEvent {
  return {
    detailType: n % 2 === 0 ? "nightshift.sleep" : "nightshift.wake",
    time: new Date(TIME.getTime() + n * 1000),
    detail: {
      target: `huawei:prod-hw:cn-north-4:cluster-${n}`,
      requested: "sleep",
      taken: "sleep",
      before: { pools: { default: 3 } },
      after: { pools: { default: 0 } },
      operationId: `op-${n}`,
      outcome: "succeeded",
      ...extra,
    },
  };
}

const operationOf = (entry: ReceivedEntry) =>
  (JSON.parse(entry.Detail!) as { operationId: string }).operationId;
const callsAsOperations = (ep: EventBridgeEndpoint) => ep.calls.map((c) => c.entries.map(operationOf));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `op-${from + i}`);

let endpoint: EventBridgeEndpoint;
let delays: number[];

beforeEach(async () => {
  endpoint = await startEventBridgeEndpoint();
  delays = [];
});
afterEach(async () => {
  await endpoint.close();
});

function publisher(overrides: { secret?: string; bus?: string; fetch?: Fetch } = {}) {
  const settings = eventBridgeClient(
    loadConfig({
      NIGHTSHIFT_EVENTBRIDGE_REGION: endpoint.region,
      NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: endpoint.accessKeyId,
      NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: overrides.secret ?? endpoint.secretAccessKey,
      NIGHTSHIFT_EVENTBRIDGE_ENDPOINT: endpoint.url,
      ...(overrides.bus ? { NIGHTSHIFT_EVENTBRIDGE_BUS: overrides.bus } : {}),
    }).eventBridge!,
    overrides.fetch ? { fetch: overrides.fetch } : {},
  );
  const events = createEventBridgePublisher({
    ...settings,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
  });
  return { events };
}

describe("EventBridge publisher against a SigV4-checking endpoint", () => {
  it("sends 25 events as calls of 10, 10 and 5 entries, Source nightshift, in order", async () => {
    const events = Array.from({ length: 25 }, (_, n) => outcome(n));
    const result = await publisher().events.publish(events);

    expect(result).toEqual({ sent: 25, failed: [] });
    expect(callsAsOperations(endpoint)).toEqual([range(0, 10), range(10, 20), range(20, 25)]);
    expect(endpoint.refused).toEqual([]);
    const first = endpoint.accepted[0]!;
    expect(first.Source).toBe("nightshift");
    expect(first.DetailType).toBe("nightshift.sleep");
    expect(first.Time).toBe(TIME.getTime() / 1000);
    expect(first.EventBusName).toBeUndefined();
    expect(JSON.parse(first.Detail!)).toEqual(events[0]!.detail);
    expect(endpoint.accepted.every((e) => e.Source === "nightshift")).toBe(true);
    expect(delays).toEqual([]);
  });

  it("puts events on the configured bus", async () => {
    await publisher({ bus: "platform-events" }).events.publish([outcome(1)]);
    expect(endpoint.accepted.map((e) => e.EventBusName)).toEqual(["platform-events"]);
  });

  it("retries only the failed entries, re-batched, and never the ones that cannot succeed", async () => {
    endpoint.failEntries({
      match: (e) => operationOf(e) === "op-3",
      times: 1,
      errorCode: "ThrottlingException",
      errorMessage: "Rate exceeded",
    });
    endpoint.failEntries({
      match: (e) => operationOf(e) === "op-12",
      times: 2,
      errorCode: "InternalFailure",
      errorMessage: "internal error",
    });
    endpoint.failEntries({
      match: (e) => operationOf(e) === "op-7",
      times: 1,
      errorCode: "NotAuthorizedForDetailTypeException",
      errorMessage: "not authorized for this detail type",
    });
    const events = Array.from({ length: 25 }, (_, n) => outcome(n));
    const result = await publisher().events.publish(events);

    expect(callsAsOperations(endpoint)).toEqual([
      range(0, 10),
      range(10, 20),
      range(20, 25),
      ["op-3", "op-12"],
      ["op-12"],
    ]);
    expect(result.sent).toBe(24);
    expect(result.failed).toEqual([
      {
        event: events[7],
        errorCode: "NotAuthorizedForDetailTypeException",
        errorMessage: "not authorized for this detail type",
      },
    ]);
    // Full jitter with random() = 0.5: half of 200 ms, then half of 400 ms.
    expect(delays).toEqual([100, 200]);
    expect(endpoint.accepted.map(operationOf).sort()).toEqual(
      range(0, 25)
        .filter((o) => o !== "op-7")
        .sort(),
    );
  });

  it("gives up after 3 retries and reports the last error", async () => {
    endpoint.failEntries({
      match: (e) => operationOf(e) === "op-1",
      times: 100,
      errorCode: "ThrottlingException",
      errorMessage: "Rate exceeded",
    });
    const events = [outcome(0), outcome(1)];
    const result = await publisher().events.publish(events);

    expect(callsAsOperations(endpoint)).toEqual([["op-0", "op-1"], ["op-1"], ["op-1"], ["op-1"]]);
    expect(result).toEqual({
      sent: 1,
      failed: [{ event: events[1], errorCode: "ThrottlingException", errorMessage: "Rate exceeded" }],
    });
    expect(delays).toEqual([100, 200, 400]);
  });

  it("retries a whole call that failed with a 5xx or a reset, and only that call", async () => {
    endpoint.failCalls({
      times: 1,
      kind: "error",
      status: 500,
      errorCode: "InternalFailure",
      message: "boom",
    });
    endpoint.failCalls({ times: 1, kind: "reset" });
    const events = Array.from({ length: 25 }, (_, n) => outcome(n));
    const result = await publisher().events.publish(events);

    expect(callsAsOperations(endpoint)).toEqual([
      range(0, 10), // 500
      range(10, 20), // reset
      range(20, 25),
      [...range(0, 10)],
      [...range(10, 20)],
    ]);
    expect(endpoint.calls.map((c) => c.status)).toEqual([500, 0, 200, 200, 200]);
    expect(result).toEqual({ sent: 25, failed: [] });
    expect(endpoint.accepted).toHaveLength(25);
  });

  it("does not retry a whole call refused for a reason that will not change", async () => {
    endpoint.failCalls({
      times: 1,
      kind: "error",
      status: 400,
      errorCode: "ResourceNotFoundException",
      message: "Event bus nightly does not exist.",
    });
    const events = [outcome(0), outcome(1)];
    const result = await publisher().events.publish(events);

    expect(endpoint.calls).toHaveLength(1);
    expect(result.sent).toBe(0);
    expect(result.failed.map((f) => f.errorCode)).toEqual([
      "ResourceNotFoundException",
      "ResourceNotFoundException",
    ]);
    expect(result.failed[0]!.errorMessage).toContain("Event bus nightly does not exist.");
  });

  it("is refused with InvalidSignatureException when signed with the wrong secret", async () => {
    const wrong = `${endpoint.secretAccessKey.slice(0, -1)}X`;
    const result = await publisher({ secret: wrong }).events.publish([outcome(0), outcome(1)]);

    expect(result.sent).toBe(0);
    expect(result.failed.map((f) => f.errorCode)).toEqual([
      "InvalidSignatureException",
      "InvalidSignatureException",
    ]);
    expect(result.failed[0]!.errorMessage).toContain("does not match the signature you provided");
    expect(endpoint.refused).toEqual([
      expect.objectContaining({ status: 400, type: "InvalidSignatureException" }),
    ]);
    expect(endpoint.calls).toEqual([]);
    expect(delays).toEqual([]);
  });

  it("refuses a body changed after signing (the payload hash is part of the signature)", async () => {
    const { events } = publisher({
      fetch: (url, init) =>
        fetch(url, { ...init, body: String(init.body).replace("cluster-0", "cluster-9") }),
    });
    const result = await events.publish([outcome(0)]);

    expect(result.failed.map((f) => f.errorCode)).toEqual(["InvalidSignatureException"]);
    expect(endpoint.refused.map((r) => r.type)).toEqual(["InvalidSignatureException"]);
    expect(endpoint.accepted).toEqual([]);
  });

  it("reports an oversized entry as failed without sending it, and sends the rest", async () => {
    const big = outcome(1, { after: { note: "x".repeat(300 * 1024) } });
    const events = [outcome(0), big, outcome(2)];
    const result = await publisher().events.publish(events);

    expect(result.sent).toBe(2);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.event).toBe(big);
    expect(result.failed[0]!.errorCode).toBe("EntryTooLarge");
    expect(result.failed[0]!.errorMessage).toMatch(/262144/);
    expect(callsAsOperations(endpoint)).toEqual([["op-0", "op-2"]]);
  });

  it("splits a batch whose entries together exceed 256 KB", async () => {
    // ~40 KB each: 6 fit in one call (~240 KB), the 7th would not.
    const events = Array.from({ length: 10 }, (_, n) =>
      outcome(n, { after: { note: "y".repeat(40 * 1024) } }),
    );
    const result = await publisher().events.publish(events);

    expect(result).toEqual({ sent: 10, failed: [] });
    expect(callsAsOperations(endpoint)).toEqual([range(0, 6), range(6, 10)]);
  });
});
