import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { errorResponse } from "./errors.ts";
import { DEFAULT_TTL_MS, type IdempotencyOptions, idempotency, parseIdempotencyKey } from "./idempotency.ts";

const KEY = '"8e03978e-40d5-43e8-bc93-6894a57f9324"';
const START = Date.parse("2026-11-22T10:00:00Z");

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** An app whose handlers count their runs, over the real store on the memory backend. */
function setup(options: Partial<IdempotencyOptions> = {}) {
  let clock = START;
  const runs: string[] = [];
  const logLines: string[] = [];
  const hold = { gate: undefined as Promise<void> | undefined, entered: gate() };
  const app = new Hono();
  app.use(
    "/api/*",
    idempotency({
      store: createStore(memoryBackend()).idempotency,
      now: () => new Date(clock),
      required: false,
      log: createLogger({ write: (line) => logLines.push(line) }),
      ...options,
    }),
  );
  app.on(["POST", "PUT", "PATCH", "DELETE"], "/api/things", async (c) => {
    const text = await c.req.text();
    runs.push(`${c.req.method} ${text}`);
    const n = runs.length;
    const wait = hold.gate;
    if (wait) {
      hold.gate = undefined; // only the next run waits
      hold.entered.open();
      await wait;
    }
    c.header("Location", `/api/things/${n}`);
    c.header("X-Request-Id", `req-${n}`);
    c.header("Set-Cookie", `session=${n}`);
    return c.json({ run: n, received: text ? JSON.parse(text) : null }, 201);
  });
  app.get("/api/things", (c) => {
    runs.push("GET");
    return c.json({ run: runs.length });
  });
  app.post("/api/binary", (c) => {
    runs.push("binary");
    return c.body(new Uint8Array([0xff, 0x00, 0xfe, 0x80, runs.length]), 200, {
      "Content-Type": "application/octet-stream",
    });
  });
  app.post("/api/empty", (c) => {
    runs.push("empty");
    return c.body(null, 204);
  });
  app.post("/api/status/:code", (c) => {
    runs.push(`status ${c.req.param("code")}`);
    const code = Number(c.req.param("code")) as 400;
    return errorResponse(c, code, "refused", `run ${runs.length}`);
  });
  app.post("/api/throw", () => {
    runs.push("throw");
    if (runs.length === 1) throw new Error("cloud exploded");
    return new Response("recovered", { status: 200 });
  });
  app.post("/api/refuse", () => {
    runs.push("refuse");
    throw new HTTPException(409, { message: `run ${runs.length}` });
  });
  app.onError((error, c) =>
    error instanceof HTTPException
      ? errorResponse(c, error.status as 409, "refused", error.message)
      : errorResponse(c, 500, "internal", "internal error; see the service log"),
  );

  const send = (
    path: string,
    init: { method?: string; key?: string | null; body?: string; caller?: string } = {},
  ) => {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (init.key !== null) headers["Idempotency-Key"] = init.key ?? KEY;
    if (init.caller) headers["X-Caller"] = init.caller;
    return app.request(path, {
      method: init.method ?? "POST",
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  };
  return {
    app,
    runs,
    logLines,
    send,
    advance: (ms: number) => {
      clock += ms;
    },
    /** The next handler run waits until the returned function is called. */
    block: () => {
      const g = gate();
      hold.gate = g.opened;
      hold.entered = gate();
      return { release: g.open, entered: hold.entered.opened };
    },
  };
}

async function errorOf(response: Response) {
  const body = (await response.json()) as { error: { code: string; message: string; details: object } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "details", "message"]);
  return body.error;
}

describe("Idempotency-Key values", () => {
  it("accepts an sf-string and a bare token, and both name the same key", () => {
    expect(parseIdempotencyKey('"8e03978e-40d5"')).toBe("8e03978e-40d5");
    expect(parseIdempotencyKey("8e03978e-40d5")).toBe("8e03978e-40d5");
    expect(parseIdempotencyKey('"a\\"b\\\\c"')).toBe('a"b\\c');
    expect(parseIdempotencyKey("x".repeat(255))).toBe("x".repeat(255));
    expect(parseIdempotencyKey(`"${"x".repeat(255)}"`)).toBe("x".repeat(255));
    expect(parseIdempotencyKey("key:with/odd*chars~!")).toBe("key:with/odd*chars~!");
  });

  it.each([
    ["empty", ""],
    ["an empty sf-string", '""'],
    ["256 characters", "x".repeat(256)],
    ["256 characters, quoted", `"${"x".repeat(256)}"`],
    ["a space inside", '"two words"'],
    ["a bare space", "two words"],
    ["non-ASCII", '"clé"'],
    ["an unterminated string", '"abc'],
    ['an escape other than \\" and \\\\', '"a\\nb"'],
    ["text after the closing quote", '"abc"def'],
    ["two header fields combined", '"a", "b"'],
    ["sf parameters", '"abc";v=1'],
    ["a bare comma", "a,b"],
    ["a bare quote", 'a"b'],
    ["a bare backslash", "a\\b"],
  ])("refuses %s", (_name, value) => {
    expect(parseIdempotencyKey(value)).toBeUndefined();
  });

  it("answers a malformed key with 400 in the product's error shape, without running the handler", async () => {
    const t = setup();
    for (const key of ['"two words"', "x".repeat(256), '"a", "b"']) {
      const response = await t.send("/api/things", { key, body: "{}" });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatchObject({
        code: "idempotency_key_invalid",
        details: { header: "Idempotency-Key" },
      });
    }
    expect(t.runs).toEqual([]);
  });
});

describe("which requests are guarded", () => {
  it("never records safe methods, even with a key", async () => {
    const t = setup({ required: true });
    const first = await t.send("/api/things", { method: "GET" });
    const second = await t.send("/api/things", { method: "GET" });
    expect(await first.json()).toEqual({ run: 1 });
    expect(await second.json()).toEqual({ run: 2 });
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    const withoutKey = await t.send("/api/things", { method: "GET", key: null });
    expect(withoutKey.status).toBe(200);
  });

  it.each(["POST", "PUT", "PATCH", "DELETE"])("guards %s", async (method) => {
    const t = setup();
    const body = method === "DELETE" ? undefined : '{"size":3}';
    const first = await t.send("/api/things", { method, ...(body ? { body } : {}) });
    const second = await t.send("/api/things", { method, ...(body ? { body } : {}) });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect(t.runs).toHaveLength(1);
  });

  it("refuses a missing key with 400 where it is required", async () => {
    const t = setup({ required: true });
    const response = await t.send("/api/things", { key: null, body: "{}" });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({
      code: "idempotency_key_missing",
      message: expect.stringContaining("Idempotency-Key"),
    });
    expect(t.runs).toEqual([]);
  });

  it("lets a request without a key through, unrecorded, where it is optional", async () => {
    const t = setup({ required: false });
    await t.send("/api/things", { key: null, body: "{}" });
    const second = await t.send("/api/things", { key: null, body: "{}" });
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    expect(t.runs).toHaveLength(2);
  });
});

describe("replay", () => {
  it("runs the handler once and replays the stored response byte for byte", async () => {
    const t = setup();
    const first = await t.send("/api/things", { body: '{"pool":"p1","size":3}' });
    const firstBody = await first.text();
    const replayed = await t.send("/api/things", { body: '{"pool":"p1","size":3}' });
    expect(t.runs).toEqual(['POST {"pool":"p1","size":3}']);
    expect(first.status).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await replayed.text()).toBe(firstBody);
    expect(JSON.parse(firstBody)).toEqual({ run: 1, received: { pool: "p1", size: 3 } });
    expect(replayed.headers.get("Content-Type")).toBe(first.headers.get("Content-Type"));
    expect(replayed.headers.get("Location")).toBe("/api/things/1");
    // Per-response and per-client headers are not part of the stored representation.
    expect(first.headers.get("Set-Cookie")).toBe("session=1");
    expect(replayed.headers.get("Set-Cookie")).toBeNull();
    expect(replayed.headers.get("X-Request-Id")).toBeNull();
  });

  it("treats the quoted and the bare form of one key as the same key", async () => {
    const t = setup();
    await t.send("/api/things", { key: '"abc-123"', body: "{}" });
    const replayed = await t.send("/api/things", { key: "abc-123", body: "{}" });
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    expect(t.runs).toHaveLength(1);
  });

  it("replays bytes that are not text exactly", async () => {
    const t = setup();
    const first = new Uint8Array(await (await t.send("/api/binary")).arrayBuffer());
    const replayed = await t.send("/api/binary");
    expect(first).toEqual(new Uint8Array([0xff, 0x00, 0xfe, 0x80, 1]));
    expect(new Uint8Array(await replayed.arrayBuffer())).toEqual(first);
    expect(replayed.headers.get("Content-Type")).toBe("application/octet-stream");
  });

  it("replays a response without a body", async () => {
    const t = setup();
    expect((await t.send("/api/empty")).status).toBe(204);
    const replayed = await t.send("/api/empty");
    expect(replayed.status).toBe(204);
    expect(await replayed.text()).toBe("");
    expect(t.runs).toEqual(["empty"]);
  });

  it("hands the handler the body it fingerprinted", async () => {
    const t = setup();
    const response = await t.send("/api/things", { body: '{"a":[1,2]}' });
    expect(await response.json()).toMatchObject({ received: { a: [1, 2] } });
  });

  it.each([400, 403, 404, 409, 422])(
    "stores and replays a %i from the handler: the request was processed",
    async (code) => {
      const t = setup();
      const first = await t.send(`/api/status/${code}`);
      const replayed = await t.send(`/api/status/${code}`);
      expect(first.status).toBe(code);
      expect(replayed.status).toBe(code);
      expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
      expect(await replayed.json()).toEqual(await first.json());
      expect(t.runs).toHaveLength(1);
    },
  );
});

describe("conflicts", () => {
  it("answers 409 with Retry-After while the first request still runs, then replays its result", async () => {
    const t = setup({ leaseMs: 30_000 });
    const blocked = t.block();
    const first = t.send("/api/things", { body: '{"n":1}' });
    await blocked.entered;
    t.advance(10_000);
    const concurrent = await t.send("/api/things", { body: '{"n":1}' });
    expect(concurrent.status).toBe(409);
    expect(concurrent.headers.get("Retry-After")).toBe("20");
    expect(await errorOf(concurrent)).toEqual({
      code: "idempotency_key_in_use",
      message: expect.stringContaining("still being processed"),
      details: { header: "Idempotency-Key", leaseUntil: new Date(START + 30_000).toISOString() },
    });
    blocked.release();
    expect((await first).status).toBe(201);
    const after = await t.send("/api/things", { body: '{"n":1}' });
    expect(after.headers.get("Idempotent-Replayed")).toBe("true");
    expect(t.runs).toHaveLength(1);
  });

  it("answers 422 when the key is reused with a different body, method, path or query", async () => {
    const t = setup();
    await t.send("/api/things", { body: '{"size":3}' });
    const attempts = [
      t.send("/api/things", { body: '{"size":4}' }),
      t.send("/api/things", { body: '{"size": 3}' }),
      t.send("/api/things", { method: "PUT", body: '{"size":3}' }),
      t.send("/api/things?dryRun=true", { body: '{"size":3}' }),
      t.send("/api/binary", { body: '{"size":3}' }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(422);
      expect(await errorOf(response)).toMatchObject({ code: "idempotency_key_reused" });
    }
    expect(t.runs).toHaveLength(1);
    // The original is still replayable after the refused reuses.
    expect((await t.send("/api/things", { body: '{"size":3}' })).headers.get("Idempotent-Replayed")).toBe(
      "true",
    );
  });

  it("keeps two callers' keys apart when scoped by caller", async () => {
    const t = setup({ scope: (c) => c.req.header("x-caller") ?? "" });
    const alice = await t.send("/api/things", { caller: "alice", body: '{"who":"alice"}' });
    const bob = await t.send("/api/things", { caller: "bob", body: '{"who":"bob"}' });
    expect(alice.status).toBe(201);
    expect(bob.status).toBe(201);
    expect(bob.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await bob.json()).toMatchObject({ run: 2, received: { who: "bob" } });
    // Scopes are encoded, so a scope holding the separator cannot alias another scope's key.
    const tricky = await t.send("/api/things", { caller: "alice/x", key: '"y"', body: "{}" });
    const plain = await t.send("/api/things", { caller: "alice", key: '"x/y"', body: '{"other":1}' });
    expect(tricky.status).toBe(201);
    expect(plain.status).toBe(201);
  });
});

describe("failures release the key", () => {
  it("passes a thrown error on and lets the retry run again", async () => {
    const t = setup();
    const failed = await t.send("/api/throw");
    expect(failed.status).toBe(500);
    expect(await errorOf(failed)).toMatchObject({ code: "internal" });
    const retried = await t.send("/api/throw");
    expect(retried.status).toBe(200);
    expect(await retried.text()).toBe("recovered");
    expect(retried.headers.get("Idempotent-Replayed")).toBeNull();
    expect((await t.send("/api/throw")).headers.get("Idempotent-Replayed")).toBe("true");
    expect(t.runs).toEqual(["throw", "throw"]);
  });

  it("releases the key when Hono's default error handler answers the throw", async () => {
    const store = createStore(memoryBackend()).idempotency;
    let calls = 0;
    const app = new Hono();
    app.use("*", idempotency({ store, now: () => new Date(START), required: true }));
    app.post("/x", async () => {
      calls++;
      throw new Error("boom");
    });
    // Hono's default handler answers 500 for the thrown error.
    const init = { method: "POST", headers: { "Idempotency-Key": KEY } };
    expect((await app.request("/x", init)).status).toBe(500);
    expect((await app.request("/x", init)).status).toBe(500);
    expect(calls).toBe(2);
  });

  it("releases the key for any thrown error, even one the error handler answers with a 4xx", async () => {
    const t = setup();
    expect((await t.send("/api/refuse")).status).toBe(409);
    const second = await t.send("/api/refuse");
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await errorOf(second)).toMatchObject({ message: "run 2" });
  });

  it.each([500, 502, 503, 408, 425, 429])("passes a %i on and does not store it", async (code) => {
    const t = setup();
    const first = await t.send(`/api/status/${code}`);
    const second = await t.send(`/api/status/${code}`);
    expect(first.status).toBe(code);
    expect(second.status).toBe(code);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await errorOf(second)).toMatchObject({ message: "run 2" });
    expect(t.runs).toHaveLength(2);
  });
});

describe("expiry", () => {
  it("replays for ttlMs after completion, then treats the key as new", async () => {
    const t = setup();
    await t.send("/api/things", { body: "{}" });
    t.advance(DEFAULT_TTL_MS - 1);
    expect((await t.send("/api/things", { body: "{}" })).headers.get("Idempotent-Replayed")).toBe("true");
    t.advance(1);
    const fresh = await t.send("/api/things", { body: '{"different":"payload"}' });
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get("Idempotent-Replayed")).toBeNull();
    expect(t.runs).toHaveLength(2);
  });

  it("honours a custom ttlMs", async () => {
    const t = setup({ ttlMs: 60_000 });
    await t.send("/api/things", { body: "{}" });
    t.advance(60_000);
    expect((await t.send("/api/things", { body: "{}" })).headers.get("Idempotent-Replayed")).toBeNull();
    expect(t.runs).toHaveLength(2);
  });

  it("lets a retry take over a lease that ran out, and keeps the taker's result", async () => {
    const t = setup({ leaseMs: 5_000 });
    const blocked = t.block();
    const stale = t.send("/api/things", { body: "{}" });
    await blocked.entered;
    t.advance(5_000);
    const takeover = await t.send("/api/things", { body: "{}" });
    expect(takeover.status).toBe(201);
    expect(await takeover.json()).toMatchObject({ run: 2 });
    blocked.release();
    // The slow original still answers its own client, but its result is fenced out of the store.
    expect(await (await stale).json()).toMatchObject({ run: 1 });
    expect(t.logLines.some((line) => line.includes("claim lost before completion"))).toBe(true);
    const replayed = await t.send("/api/things", { body: "{}" });
    expect(await replayed.json()).toMatchObject({ run: 2 });
    expect(t.runs).toHaveLength(2);
  });
});

describe("store failures", () => {
  it("refuses to run the handler when the key cannot be claimed", async () => {
    const t = setup({
      store: {
        ...createStore(memoryBackend()).idempotency,
        claim: async () => {
          throw new Error("store unreachable");
        },
      },
    });
    const response = await t.send("/api/things", { body: "{}" });
    expect(response.status).toBe(500);
    expect(t.runs).toEqual([]);
  });

  it("still answers the work done when the result cannot be stored", async () => {
    const real = createStore(memoryBackend()).idempotency;
    const t = setup({
      store: {
        ...real,
        complete: async () => {
          throw new Error("store unreachable");
        },
      },
    });
    const response = await t.send("/api/things", { body: "{}" });
    expect(response.status).toBe(201);
    expect(t.logLines.some((line) => line.includes("idempotency completion failed"))).toBe(true);
    // The key stays claimed until its lease ends, so a quick retry is told to wait, not rerun.
    expect((await t.send("/api/things", { body: "{}" })).status).toBe(409);
    expect(t.runs).toHaveLength(1);
  });
});
