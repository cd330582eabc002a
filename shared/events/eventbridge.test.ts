import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../config/config.ts";
import type { LogFields, Logger } from "../log/logger.ts";
import {
  createEventBridgePublisher,
  entrySize,
  eventBridgeClient,
  eventBridgeEndpoint,
  MAX_ENTRY_BYTES,
  type OutcomeEvent,
  PutEventsCallError,
  type PutEventsOutput,
  type PutEventsRequestEntry,
  type PutEventsSender,
} from "./eventbridge.ts";

const TIME = new Date("2026-03-02T22:00:00.000Z");

function outcome(n: number, extra: Partial<OutcomeEvent["detail"]> = {}): OutcomeEvent {
  return {
    detailType: "nightshift.sleep",
    time: TIME,
    detail: {
      target: `baidu:prod:bj:cce-${n}`,
      requested: "sleep",
      taken: "sleep",
      operationId: `op-${n}`,
      outcome: "succeeded",
      ...extra,
    },
  };
}

type Answer = (entries: PutEventsRequestEntry[], call: number) => PutEventsOutput | Error;

/** A PutEvents client that records each call's entries and answers with `answer`. */
function fakeClient(answer: Answer = (entries) => accepted(entries)) {
  const calls: PutEventsRequestEntry[][] = [];
  const client: PutEventsSender = {
    async putEvents(given) {
      const entries = [...given];
      calls.push(entries);
      const result = answer(entries, calls.length - 1);
      if (result instanceof Error) throw result;
      return result;
    },
  };
  const operations = () =>
    calls.map((entries) => entries.map((e) => JSON.parse(e.Detail!).operationId as string));
  return { client, calls, operations };
}

function accepted(entries: PutEventsRequestEntry[], errors: Record<number, string> = {}): PutEventsOutput {
  return {
    FailedEntryCount: Object.keys(errors).length,
    Entries: entries.map((_, i) =>
      errors[i]
        ? { ErrorCode: errors[i], ErrorMessage: `${errors[i]} for entry ${i}` }
        : { EventId: `id-${i}` },
    ),
  };
}

function serviceError(code: string, status: number): PutEventsCallError {
  return new PutEventsCallError(code, `${code} happened`, status);
}

function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields?: LogFields }> = [];
  const logger: Logger = {
    debug: (message, fields) => lines.push({ level: "debug", message, fields }),
    info: (message, fields) => lines.push({ level: "info", message, fields }),
    warn: (message, fields) => lines.push({ level: "warn", message, fields }),
    error: (message, fields) => lines.push({ level: "error", message, fields }),
    routine: (message, fields) => lines.push({ level: "info", message, fields }),
    child: () => logger,
  };
  return { logger, lines };
}

function publisherWith(client: PutEventsSender, log?: Logger) {
  const delays: number[] = [];
  const publisher = createEventBridgePublisher({
    client,
    eventBusName: "nightly",
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.25,
    ...(log ? { log } : {}),
  });
  return { publisher, delays };
}

const ops = (...ns: number[]) => ns.map((n) => `op-${n}`);
const range = (from: number, to: number) => ops(...Array.from({ length: to - from }, (_, i) => from + i));

describe("createEventBridgePublisher", () => {
  it("builds entries with Source nightshift, the detail type, the detail as JSON, the time and the bus", async () => {
    const fake = fakeClient();
    const event = outcome(1, { before: { pools: { a: 2 } }, after: { pools: { a: 0 } } });
    await publisherWith(fake.client).publisher.publish([event]);
    expect(fake.calls).toEqual([
      [
        {
          Source: "nightshift",
          DetailType: "nightshift.sleep",
          Detail: JSON.stringify(event.detail),
          Time: TIME,
          EventBusName: "nightly",
        },
      ],
    ]);
  });

  it("sends nothing for no events", async () => {
    const fake = fakeClient();
    expect(await publisherWith(fake.client).publisher.publish([])).toEqual({ sent: 0, failed: [] });
    expect(fake.calls).toEqual([]);
  });

  it("merges the retryable failures of several batches into one retry call, after a jittered wait", async () => {
    const fake = fakeClient((entries, call) => {
      if (call === 0) return accepted(entries, { 2: "ThrottlingException", 5: "MalformedDetail" });
      if (call === 1) return accepted(entries, { 9: "InternalFailure" });
      return accepted(entries);
    });
    const { publisher, delays } = publisherWith(fake.client);
    const events = Array.from({ length: 25 }, (_, n) => outcome(n));
    const result = await publisher.publish(events);

    expect(fake.operations()).toEqual([range(0, 10), range(10, 20), range(20, 25), ops(2, 19)]);
    expect(result.sent).toBe(24);
    expect(result.failed).toEqual([
      { event: events[5], errorCode: "MalformedDetail", errorMessage: "MalformedDetail for entry 5" },
    ]);
    expect(delays).toEqual([50]); // 0.25 × min(5000, 200 × 2^0)
  });

  it("matches failures to events by index even when the retry call holds other entries", async () => {
    // In the retry call the failed op-7 is at index 1: only its own answer must count.
    const fake = fakeClient((entries, call) => {
      if (call === 0) return accepted(entries, { 3: "ThrottlingException", 7: "ThrottlingException" });
      if (call === 1) return accepted(entries, { 1: "ThrottlingException" });
      return accepted(entries);
    });
    const { publisher, delays } = publisherWith(fake.client);
    const result = await publisher.publish(Array.from({ length: 10 }, (_, n) => outcome(n)));
    expect(fake.operations()).toEqual([range(0, 10), ops(3, 7), ops(7)]);
    expect(result).toEqual({ sent: 10, failed: [] });
    expect(delays).toEqual([50, 100]);
  });

  it("retries an entry at most 3 times, with the backoff doubling, then reports the last error", async () => {
    const fake = fakeClient((entries, call) =>
      accepted(entries, { 0: call < 3 ? "ThrottlingException" : "InternalFailure" }),
    );
    const { logger, lines } = recordingLogger();
    const { publisher, delays } = publisherWith(fake.client, logger);
    const result = await publisher.publish([outcome(0)]);

    expect(fake.calls).toHaveLength(4);
    expect(delays).toEqual([50, 100, 200]);
    expect(result.failed.map((f) => [f.errorCode, f.errorMessage])).toEqual([
      ["InternalFailure", "InternalFailure for entry 0"],
    ]);
    expect(lines.filter((l) => l.level === "warn").map((l) => l.fields?.retry)).toEqual([1, 2, 3]);
    expect(lines.filter((l) => l.level === "error")).toEqual([
      {
        level: "error",
        message: "eventbridge: events not delivered",
        fields: { failed: 1, sent: 0, codes: ["InternalFailure"] },
      },
    ]);
  });

  it.each([
    ["ThrottlingException (400)", serviceError("ThrottlingException", 400), true],
    ["InternalFailure (500)", serviceError("InternalFailure", 500), true],
    ["a 502 from a proxy", serviceError("Unknown", 502), true],
    ["a 429", serviceError("TooManyRequests", 429), true],
    ["a connection refused", new PutEventsCallError("NetworkError", "connect ECONNREFUSED"), true],
    ["no answer in time", new PutEventsCallError("TimeoutError", "no answer"), true],
    ["an unexpected failure", new TypeError("fetch failed"), true],
    ["AccessDeniedException (400)", serviceError("AccessDeniedException", 400), false],
    ["InvalidSignatureException (400)", serviceError("InvalidSignatureException", 400), false],
    ["ResourceNotFoundException (400)", serviceError("ResourceNotFoundException", 400), false],
    ["a 501", serviceError("NotImplemented", 501), false],
  ])("after a whole call fails with %s, retries it: %s", async (_, error, retried) => {
    const fake = fakeClient((entries, call) => (call === 0 ? error : accepted(entries)));
    const result = await publisherWith(fake.client).publisher.publish([outcome(0), outcome(1)]);
    if (retried) {
      expect(fake.operations()).toEqual([ops(0, 1), ops(0, 1)]);
      expect(result).toEqual({ sent: 2, failed: [] });
    } else {
      expect(fake.calls).toHaveLength(1);
      expect(result.sent).toBe(0);
      const code = (error as PutEventsCallError).code;
      expect(result.failed.map((f) => f.errorCode)).toEqual([code, code]);
    }
  });

  it("treats an entry the answer leaves out as not delivered and sends it again", async () => {
    const fake = fakeClient((entries, call) => {
      const full = accepted(entries);
      return call === 0 ? { ...full, Entries: full.Entries!.slice(0, 1) } : full;
    });
    const result = await publisherWith(fake.client).publisher.publish([outcome(0), outcome(1)]);
    expect(fake.operations()).toEqual([ops(0, 1), ops(1)]);
    expect(result).toEqual({ sent: 2, failed: [] });
  });

  it("fails events that cannot be sent, without sending them, and sends the others", async () => {
    const fake = fakeClient();
    const bad = [
      { ...outcome(1), detailType: "" },
      { ...outcome(2), time: new Date(Number.NaN) },
      outcome(3, { before: { nodes: 10n } }),
    ];
    const result = await publisherWith(fake.client).publisher.publish([outcome(0), ...bad]);
    expect(fake.operations()).toEqual([ops(0)]);
    expect(result.sent).toBe(1);
    expect(result.failed.map((f) => [f.event, f.errorCode])).toEqual(bad.map((e) => [e, "InvalidEvent"]));
    expect(result.failed.map((f) => f.errorMessage)).toEqual([
      "detailType must not be empty",
      "time must be a valid Date",
      expect.stringMatching(/^detail is not JSON-serializable: .*BigInt/i),
    ]);
  });

  it("accepts an entry of exactly 256 KB and refuses one byte more", async () => {
    const padded = (bytes: number) => {
      const base = outcome(0, { error: { code: "pad", message: "" } });
      const size = entrySize({
        Time: TIME,
        Source: "nightshift",
        DetailType: base.detailType,
        Detail: JSON.stringify(base.detail),
      });
      return outcome(0, { error: { code: "pad", message: "x".repeat(bytes - size) } });
    };
    const fake = fakeClient();
    const publisher = publisherWith(fake.client).publisher;

    expect(await publisher.publish([padded(MAX_ENTRY_BYTES)])).toEqual({ sent: 1, failed: [] });
    const over = await publisher.publish([padded(MAX_ENTRY_BYTES + 1)]);
    expect(over.sent).toBe(0);
    expect(over.failed[0]!.errorCode).toBe("EntryTooLarge");
    expect(over.failed[0]!.errorMessage).toBe(
      "the event is 262145 bytes; EventBridge accepts at most 262144 (256 KB) per entry: keep before/after to metadata and shorten error messages",
    );
    expect(fake.calls).toHaveLength(1);
  });
});

describe("entrySize", () => {
  it("counts as EventBridge does: Time 14 bytes, strings in UTF-8 bytes, resources included", () => {
    expect(
      entrySize({
        Time: TIME,
        Source: "nightshift",
        DetailType: "nightshift.wake",
        Detail: '{"pool":"默认节点池"}',
      }),
    ).toBe(14 + 10 + 15 + (9 + 15 + 2));
    expect(entrySize({ Source: "a", DetailType: "b", Resources: ["arn:x", "é"] })).toBe(1 + 1 + 5 + 2);
  });
});

describe("the EventBridge settings (loadConfig) and client", () => {
  const full = {
    NIGHTSHIFT_EVENTBRIDGE_REGION: "eu-central-1",
    NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: "AKIDEXAMPLE",
    NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  };

  it("is undefined when nothing is configured (blank values and other bindings ignored)", () => {
    expect(loadConfig({}).eventBridge).toBeUndefined();
    expect(
      loadConfig({ NIGHTSHIFT_EVENTBRIDGE_REGION: " ", DB: { prepare() {} } }).eventBridge,
    ).toBeUndefined();
  });

  it("names every missing variable when partly configured", () => {
    const attempt = () =>
      loadConfig({
        NIGHTSHIFT_EVENTBRIDGE_BUS: "nightly",
        NIGHTSHIFT_EVENTBRIDGE_REGION: "eu-central-1",
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([
        "NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID",
        "NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY",
      ]);
      expect((error as Error).message).toMatch(/go together; unset all NIGHTSHIFT_EVENTBRIDGE_\*/);
    }
  });

  it("refuses a region or endpoint that is not one, naming the variable", () => {
    expect(() => loadConfig({ ...full, NIGHTSHIFT_EVENTBRIDGE_REGION: "Frankfurt" })).toThrow(
      /NIGHTSHIFT_EVENTBRIDGE_REGION: must be an AWS region such as eu-central-1/,
    );
    expect(() => loadConfig({ ...full, NIGHTSHIFT_EVENTBRIDGE_ENDPOINT: "vpce-0abc" })).toThrow(
      /NIGHTSHIFT_EVENTBRIDGE_ENDPOINT: must be an http\(s\) URL/,
    );
  });

  it("never puts the secret in an error", () => {
    expect(() => loadConfig({ ...full, NIGHTSHIFT_EVENTBRIDGE_REGION: "nowhere" })).toThrow(
      expect.not.objectContaining({
        message: expect.stringContaining(full.NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY),
      }),
    );
  });

  it("builds a client that serializes, signs and parses PutEvents in this runtime", async () => {
    const seen: Array<{ url: string; headers: Headers; body: unknown }> = [];
    const settings = eventBridgeClient(
      loadConfig({
        ...full,
        NIGHTSHIFT_EVENTBRIDGE_BUS: "nightly",
        NIGHTSHIFT_EVENTBRIDGE_ENDPOINT: "https://events.example.test",
      }).eventBridge!,
      {
        now: () => new Date("2026-03-02T22:00:07Z"),
        fetch: async (url, init) => {
          seen.push({ url, headers: new Headers(init.headers), body: JSON.parse(String(init.body)) });
          const first = seen.length === 1;
          const answer = {
            FailedEntryCount: first ? 1 : 0,
            Entries: first
              ? [{ EventId: "e-1" }, { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" }]
              : [{ EventId: "e-2" }],
          };
          return new Response(JSON.stringify(answer), {
            headers: { "content-type": "application/x-amz-json-1.1" },
          });
        },
      },
    );
    expect(settings.eventBusName).toBe("nightly");
    const result = await createEventBridgePublisher({
      ...settings,
      sleep: async () => {},
      random: () => 0,
    }).publish([outcome(0), outcome(1)]);

    expect(result).toEqual({ sent: 2, failed: [] });
    expect(seen).toHaveLength(2);
    const [first, second] = seen;
    expect(first!.url).toBe("https://events.example.test");
    expect(first!.headers.get("x-amz-target")).toBe("AWSEvents.PutEvents");
    expect(first!.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(first!.headers.get("x-amz-date")).toBe("20260302T220007Z");
    expect(first!.headers.get("authorization")).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260302\/eu-central-1\/events\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
    expect(first!.body).toEqual({
      Entries: [0, 1].map((n) => ({
        Source: "nightshift",
        DetailType: "nightshift.sleep",
        Detail: JSON.stringify(outcome(n).detail),
        Time: TIME.getTime() / 1000,
        EventBusName: "nightly",
      })),
    });
    expect(
      (second!.body as { Entries: Array<{ Detail: string }> }).Entries.map(
        (e) => JSON.parse(e.Detail).operationId,
      ),
    ).toEqual(["op-1"]);
  });

  it("reads a refused call's error type and message, and a missing answer as a network error", async () => {
    const config = loadConfig(full).eventBridge!;
    const refusing = eventBridgeClient(config, {
      fetch: async () =>
        new Response(
          JSON.stringify({
            __type: "com.amazonaws.events#ResourceNotFoundException",
            message: "Event bus nightly does not exist.",
          }),
          { status: 400 },
        ),
    });
    await expect(refusing.client.putEvents([{ Source: "nightshift" }])).rejects.toMatchObject({
      code: "ResourceNotFoundException",
      status: 400,
      message: "Event bus nightly does not exist.",
    });
    const unreachable = eventBridgeClient(config, {
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    await expect(unreachable.client.putEvents([{ Source: "nightshift" }])).rejects.toMatchObject({
      code: "NetworkError",
      status: undefined,
    });
  });

  it("calls the region's endpoint, .com.cn in the China regions", () => {
    expect(eventBridgeEndpoint("eu-central-1")).toBe("https://events.eu-central-1.amazonaws.com/");
    expect(eventBridgeEndpoint("cn-north-1")).toBe("https://events.cn-north-1.amazonaws.com.cn/");
  });
});
