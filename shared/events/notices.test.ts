// sendNotice against a receiver that verifies every delivery with verifyWebhook (a fake fetch, so
// the same test runs on Node and in workerd), on a virtual clock that the backoff advances.
import { describe, expect, it } from "vitest";
import type { LogFields, Logger } from "../log/logger.ts";
import {
  memoryReplayGuard,
  type ReplayGuard,
  verifyWebhook,
  type WebhookVerification,
} from "../signer/webhooks.ts";
import { type NoticeDelivery, sendNotice } from "./notices.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW_SECRET = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=";
const START = Date.parse("2026-03-02T19:45:00.000Z");
const URL_ = "https://hooks.example.com/nightshift?token=receiver-token";
const BODY = {
  type: "nightshift.notice.sleep",
  target: "alibaba:prod:cn-hangzhou:c-1",
  at: "2026-03-02T20:00:00Z",
};

type Step = number | "network" | { status: number; headers: Record<string, string>; body?: string };

interface Delivery {
  headers: Headers;
  body: string;
  init: RequestInit;
  at: number;
  verification: WebhookVerification;
}

/**
 * A receiver answering with `script` in turn (then 200), verifying each delivery like a real one.
 * With a replay guard it processes each webhook-id once and answers 200 to a replay.
 */
function receiver(script: Step[], options: { secrets?: string[]; replayGuard?: ReplayGuard } = {}) {
  let clock = START;
  const delays: number[] = [];
  const deliveries: Delivery[] = [];
  const processed: string[] = [];
  const fetch: NoticeDelivery["fetch"] = async (url, init) => {
    expect(url).toBe(URL_);
    const headers = new Headers(init.headers);
    const body = String(init.body);
    const verification = await verifyWebhook(
      { headers, body },
      {
        secrets: options.secrets ?? [SECRET],
        now: new Date(clock),
        ...(options.replayGuard ? { replayGuard: options.replayGuard } : {}),
      },
    );
    deliveries.push({ headers, body, init, at: clock, verification });
    if (verification.ok) processed.push(verification.id);
    const step = script[deliveries.length - 1] ?? 200;
    if (step === "network") throw new TypeError("fetch failed");
    if (!verification.ok)
      return new Response(verification.reason, { status: verification.reason === "replayed" ? 200 : 401 });
    if (typeof step === "number")
      return new Response(step === 200 ? "ok" : `status ${step}`, { status: step });
    return new Response(step.body ?? "", { status: step.status, headers: step.headers });
  };
  const delivery = (overrides: Partial<NoticeDelivery> = {}): NoticeDelivery => ({
    url: URL_,
    secrets: SECRET,
    id: "op-42",
    body: BODY,
    now: () => new Date(clock),
    fetch,
    sleep: async (ms) => {
      delays.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...overrides,
  });
  return { delivery, deliveries, delays, processed };
}

function recordingLogger() {
  const lines: string[] = [];
  const write = (level: string) => (message: string, fields?: LogFields) =>
    lines.push(JSON.stringify({ level, message, ...fields }));
  const logger: Logger = {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    routine: write("info"),
    child: () => logger,
  };
  return { logger, lines };
}

describe("sendNotice", () => {
  it("delivers a signed JSON POST the receiver verifies, with webhook-id = the given id", async () => {
    const r = receiver([200]);
    expect(await sendNotice(r.delivery())).toEqual({ delivered: true, status: 200, attempts: 1 });
    expect(r.deliveries).toHaveLength(1);
    const [d] = r.deliveries;
    expect(d!.verification).toEqual({ ok: true, id: "op-42", timestamp: new Date(START) });
    expect(d!.body).toBe(JSON.stringify(BODY));
    expect(d!.headers.get("content-type")).toBe("application/json");
    expect(d!.init.method).toBe("POST");
    expect(d!.init.redirect).toBe("manual");
    expect(r.delays).toEqual([]);
  });

  it("sends a string body byte for byte", async () => {
    const r = receiver([200]);
    const body = '{"note":"下班了","n":1}';
    await sendNotice(r.delivery({ body }));
    expect(r.deliveries[0]!.body).toBe(body);
    expect(r.deliveries[0]!.verification.ok).toBe(true);
  });

  it("retries a 503 and a network error with the same webhook-id, each attempt signed at its own time", async () => {
    const r = receiver([503, "network", 200]);
    expect(await sendNotice(r.delivery())).toEqual({ delivered: true, status: 200, attempts: 3 });
    expect(r.delays).toEqual([250, 500]); // 0.5 × 500 ms, 0.5 × 1000 ms
    expect(r.deliveries.map((d) => d.headers.get("webhook-id"))).toEqual(["op-42", "op-42", "op-42"]);
    expect(r.deliveries.map((d) => Number(d.headers.get("webhook-timestamp")))).toEqual(
      [START, START + 250, START + 750].map((t) => Math.floor(t / 1000)),
    );
    expect(r.deliveries.every((d) => d.verification.ok)).toBe(true);
  });

  it("lets a receiver dedupe: a retry after a lost answer is recognised as already processed", async () => {
    // The receiver processed the first delivery but its 500 answer came from a later failure.
    const r = receiver([500, 200], { replayGuard: memoryReplayGuard() });
    expect(await sendNotice(r.delivery())).toEqual({ delivered: true, status: 200, attempts: 2 });
    expect(r.processed).toEqual(["op-42"]);
    expect(r.deliveries[1]!.verification).toMatchObject({ ok: false, reason: "replayed" });
  });

  it("signs with every secret during a rotation, so a receiver on either verifies", async () => {
    for (const known of [[SECRET], [NEW_SECRET]]) {
      const r = receiver([200], { secrets: known });
      await sendNotice(r.delivery({ secrets: [SECRET, NEW_SECRET] }));
      expect(r.deliveries[0]!.verification.ok).toBe(true);
      expect(r.deliveries[0]!.headers.get("webhook-signature")!.split(" ")).toHaveLength(2);
    }
  });

  it("stops at a 4xx: the receiver will not change its mind", async () => {
    const r = receiver([{ status: 422, headers: {}, body: "unknown notice type" }]);
    expect(await sendNotice(r.delivery())).toEqual({
      delivered: false,
      status: 422,
      attempts: 1,
      retryable: false,
      error: "the receiver answered HTTP 422: unknown notice type",
    });
  });

  it("gives up after 4 attempts of 5xx and says a later try may work", async () => {
    const { logger, lines } = recordingLogger();
    const r = receiver([500, 502, 503, 504]);
    expect(await sendNotice(r.delivery({ log: logger }))).toEqual({
      delivered: false,
      status: 504,
      attempts: 4,
      retryable: true,
      error: "the receiver answered HTTP 504: status 504",
    });
    expect(r.delays).toEqual([250, 500, 1000]);
    expect(lines).toHaveLength(4);
    // Logs name the receiver without its query (which may carry a token).
    expect(lines.join("\n")).not.toContain("receiver-token");
    expect(JSON.parse(lines[3]!)).toMatchObject({
      level: "error",
      url: "https://hooks.example.com/nightshift",
    });
  });

  it("honours Retry-After, and leaves a long one to the caller", async () => {
    const short = receiver([{ status: 429, headers: { "retry-after": "3" } }, 200]);
    expect(await sendNotice(short.delivery())).toMatchObject({ delivered: true, attempts: 2 });
    expect(short.delays).toEqual([3000]);

    const long = receiver([{ status: 503, headers: { "retry-after": "600" } }]);
    expect(await sendNotice(long.delivery())).toMatchObject({
      delivered: false,
      attempts: 1,
      retryable: true,
      status: 503,
    });
    expect(long.delays).toEqual([]);
  });

  it("does not follow a redirect (the signature is for the configured URL)", async () => {
    const r = receiver([{ status: 302, headers: { location: "https://elsewhere.example.com/" } }]);
    expect(await sendNotice(r.delivery())).toEqual({
      delivered: false,
      status: 302,
      attempts: 1,
      retryable: false,
      error:
        "the receiver redirected (HTTP 302 to https://elsewhere.example.com/); set the notice URL to the final address",
    });
  });

  it("times out an attempt that gets no answer and retries it", async () => {
    let calls = 0;
    const hanging: NoticeDelivery["fetch"] = (_url, init) => {
      calls++;
      return new Promise((_, reject) => {
        init.signal?.addEventListener("abort", () => reject(init.signal!.reason));
      });
    };
    const r = receiver([]);
    const outcome = await sendNotice(r.delivery({ fetch: hanging, timeoutMs: 5, attempts: 2 }));
    expect(calls).toBe(2);
    expect(outcome).toMatchObject({ delivered: false, attempts: 2, retryable: true });
    expect((outcome as { error: string }).error).toMatch(/TimeoutError/);
  });

  it.each([
    [{ url: "hooks.example.com/x" }, /must be an absolute http\(s\) URL/],
    [{ url: "ftp://hooks.example.com/x" }, /must be http\(s\); got ftp:/],
    [{ id: "" }, /webhook-id\) must be 1-256 visible ASCII characters/],
    [{ id: "op 42" }, /webhook-id\) must be 1-256 visible ASCII characters/],
    [{ secrets: [] }, /at least one webhook secret/],
    [{ secrets: "whsec_not base64!" }, /`whsec_` followed by base64/],
    [{ body: { n: 1n } }, /JSON-serializable/],
    [{ body: undefined }, /JSON-serializable/],
  ])("sends nothing for bad input %o and says what to fix", async (override, message) => {
    const r = receiver([]);
    const outcome = await sendNotice(r.delivery(override as Partial<NoticeDelivery>));
    expect(outcome).toMatchObject({
      delivered: false,
      attempts: 0,
      retryable: false,
      error: expect.stringMatching(message),
    });
    expect(r.deliveries).toEqual([]);
  });
});
