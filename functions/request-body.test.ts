// The body-size limits, on Node and in workerd: checked before authentication and before the
// idempotency middleware reads the body, with or without a Content-Length.
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { createApp } from "./app.ts";
import { API_BODY_LIMIT, DEFAULT_BODY_LIMIT, WEBHOOK_BODY_LIMIT } from "./request-body.ts";

const TOKEN = "body-limit-token-0123456789abcdef";
const NOW = new Date("2026-11-23T10:00:00Z");

function setup() {
  const store = createStore(memoryBackend());
  const app = createApp({
    host: "node",
    log: createLogger({ write: () => {} }),
    now: () => NOW,
    adminToken: TOKEN,
    inventory: async () => ({ targets: [], errors: [] }),
    store,
    schedules: [],
    calendars: new Map(),
  });
  return { app, store };
}

/** A body of `size` bytes, streamed in 16 KiB chunks with no Content-Length. */
function chunked(size: number): ReadableStream<Uint8Array> {
  let left = size;
  return new ReadableStream({
    pull(controller) {
      if (left <= 0) return controller.close();
      const chunk = new Uint8Array(Math.min(16 * 1024, left)).fill(0x20);
      left -= chunk.length;
      controller.enqueue(chunk);
    },
  });
}

const tooLarge = (limitBytes: number, described: string) => ({
  error: {
    code: "body_too_large",
    message: `the request body is larger than this route accepts (${described})`,
    details: { limitBytes },
  },
});

describe("body limits", () => {
  it("are 64 KiB for the admin API, 1 MiB for webhooks, 8 KiB elsewhere", () => {
    expect([API_BODY_LIMIT, WEBHOOK_BODY_LIMIT, DEFAULT_BODY_LIMIT]).toEqual([65536, 1048576, 8192]);
  });

  it("refuse an oversized admin body with 413 before authentication and before idempotency", async () => {
    const { app, store } = setup();
    const response = await app.request("/api/targets/prod-hw/c-qa/snooze", {
      method: "POST",
      // No Authorization: the size is refused first, so no unauthenticated caller makes us read it.
      headers: { "Content-Type": "application/json", "Idempotency-Key": '"k-1"' },
      body: `{"minutes":60,"pad":"${"x".repeat(API_BODY_LIMIT)}"}`,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    expect(await response.json()).toEqual(tooLarge(API_BODY_LIMIT, "64 KiB"));
    // The idempotency middleware never saw it: the key is free.
    const claim = await store.idempotency.claim("http/admin/k-1", {
      fingerprint: "x",
      leaseMs: 1000,
      ttlMs: 1000,
      now: NOW,
    });
    expect(claim.outcome).toBe("claimed");
  });

  it("count a chunked body as it streams in, without a Content-Length", async () => {
    const { app } = setup();
    const response = await app.request("/api/targets/prod-hw/c-qa/snooze", {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: chunked(API_BODY_LIMIT + 1),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual(tooLarge(API_BODY_LIMIT, "64 KiB"));
  });

  it("let a body within the limit through to the handler, streamed or not", async () => {
    const { app } = setup();
    const body = `{"minutes":60}${" ".repeat(API_BODY_LIMIT - 14)}`;
    for (const init of [{ body }, { body: chunked(API_BODY_LIMIT), duplex: "half" }]) {
      const response = await app.request("/api/targets/prod-hw/c-qa/snooze", {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        ...init,
      } as RequestInit);
      // Past the limit check: the handler answers (no such target, or blank JSON).
      expect(response.status).not.toBe(413);
      expect([400, 404]).toContain(response.status);
    }
  });

  it("give webhooks room for large Alertmanager groups, and other routes none", async () => {
    const { app } = setup();
    const post = (path: string, size: number) =>
      app.request(path, {
        method: "POST",
        body: "x".repeat(size),
        headers: { "Content-Type": "application/json" },
      });
    // Within the limit it reaches the route (off here: no credentials configured); beyond it is
    // refused first.
    const within = await post("/webhooks/alertmanager", WEBHOOK_BODY_LIMIT);
    expect(within.status).toBe(503);
    expect(((await within.json()) as { error: { code: string } }).error.code).toBe("webhook_disabled");
    const webhook = await post("/webhooks/alertmanager", WEBHOOK_BODY_LIMIT + 1);
    expect(webhook.status).toBe(413);
    expect(await webhook.json()).toEqual(tooLarge(WEBHOOK_BODY_LIMIT, "1 MiB"));
    const health = await post("/healthz", DEFAULT_BODY_LIMIT + 1);
    expect(health.status).toBe(413);
    expect(await health.json()).toEqual(tooLarge(DEFAULT_BODY_LIMIT, "8 KiB"));
  });
});

describe("JSON bodies", () => {
  const snooze = (headers: Record<string, string>, body: BodyInit) =>
    setup().app.request("/api/targets/hw/c1/snooze", {
      method: "POST",
      body,
      headers: { Authorization: `Bearer ${TOKEN}`, ...headers },
    });
  const gzip = async (text: string) =>
    new Uint8Array(
      await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
    );

  it("a compressed body: 415 naming Content-Encoding, not 'not valid JSON' over its bytes", async () => {
    const response = await snooze(
      { "Content-Type": "application/json", "Content-Encoding": "gzip" },
      await gzip('{"minutes": 30}'),
    );
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      error: {
        code: "unsupported_media_type",
        message:
          "the body must be sent uncompressed (got Content-Encoding: gzip); send it without Content-Encoding",
        details: { header: "Content-Encoding" },
      },
    });
  });

  it("a charset other than UTF-8: 415 naming it; charset=utf-8 is fine", async () => {
    const response = await snooze({ "Content-Type": "application/json; charset=utf-16" }, '{"minutes": 30}');
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({
      error: { code: "unsupported_media_type", message: expect.stringContaining("got charset=utf-16") },
    });
    const utf8 = await snooze({ "Content-Type": 'application/json; charset="UTF-8"' }, '{"minutes": 30}');
    expect(utf8.status).not.toBe(415);
  });
});
