import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { createLogger } from "../log/logger.ts";
import {
  backoffDelay,
  createHttpClient,
  DEFAULT_TIMEOUT_MS,
  type Fetch,
  failedBeforeSending,
  type HttpClientOptions,
  HttpFailure,
  type OutboundRequest,
  type ReceivedResponse,
  retryAfterMs,
  type SendOptions,
} from "./client.ts";
import { createLimiter, rateSchedule } from "./limiter.ts";
import { platformFetch } from "./transport.ts";
import { createVirtualTime, type VirtualTime } from "./virtual-time.ts";

type Step =
  | { status: number; headers?: Record<string, string>; body?: string }
  | { error: unknown }
  /** Never answers; rejects when the signal aborts. */
  | "hang"
  /** Never answers and ignores the signal. */
  | "deaf";

interface Call {
  url: string;
  init: RequestInit;
  headers: Record<string, string>;
  at: number;
}

function scripted(vt: VirtualTime, steps: Step[]) {
  const calls: Call[] = [];
  const fetch: Fetch = async (url, init) => {
    calls.push({ url, init, headers: { ...(init.headers as Record<string, string>) }, at: vt.elapsed() });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)];
    if (step === undefined) throw new Error("no scripted step");
    if (step === "deaf") return new Promise<Response>(() => {});
    if (step === "hang") {
      return new Promise<Response>((_, reject) => {
        init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    }
    if ("error" in step) throw step.error;
    return new Response(step.body ?? "", { status: step.status, headers: step.headers ?? {} });
  };
  return { calls, fetch };
}

const GET: OutboundRequest = {
  method: "GET",
  url: "https://cce.example.com/api/v3/projects/p/clusters?limit=1",
};
const POST: OutboundRequest = {
  method: "POST",
  url: "https://cce.example.com/api/v3/projects/p/clusters",
  body: "{}",
};
const read: SendOptions = { account: "prod", api: "test.get", idempotent: true };
const create: SendOptions = { account: "prod", api: "test.create", idempotent: false };

function setup(steps: Step[], options: Partial<HttpClientOptions> = {}) {
  const vt = createVirtualTime();
  const transport = scripted(vt, steps);
  const client = createHttpClient({
    fetch: transport.fetch,
    now: vt.now,
    sleep: vt.sleep,
    setTimer: vt.setTimer,
    random: () => 0.5,
    ...options,
  });
  /** Sends and drives virtual time until the send settles. */
  const run = async (request: OutboundRequest, send: SendOptions): Promise<ReceivedResponse> => {
    const pending = client.send(request, send);
    pending.catch(() => {});
    await vt.runAll();
    return pending;
  };
  return { vt, calls: transport.calls, client, run };
}

const refused = () =>
  new TypeError("fetch failed", {
    cause: Object.assign(
      new AggregateError([
        Object.assign(new Error("connect ECONNREFUSED ::1:443"), { code: "ECONNREFUSED" }),
      ]),
      {
        code: "ECONNREFUSED",
      },
    ),
  });
const reset = () =>
  new TypeError("fetch failed", {
    cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
  });

describe("responses", () => {
  it("returns status, headers and the full text for any status without throwing", async () => {
    const { calls, run } = setup([
      { status: 404, headers: { "x-request-id": "r1" }, body: '{"error_code":"CCE.01404001"}' },
    ]);
    const response = await run(GET, read);
    expect(response.status).toBe(404);
    expect(response.headers.get("x-request-id")).toBe("r1");
    expect(response.text).toBe('{"error_code":"CCE.01404001"}');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init.method).toBe("GET");
    expect(calls[0]!.url).toBe(GET.url);
  });

  it("sends the body and the caller's headers when there is no signer", async () => {
    const { calls, run } = setup([{ status: 201 }]);
    await run({ ...POST, headers: { "Content-Type": "application/json" } }, create);
    expect(calls[0]!.init.body).toBe("{}");
    expect(calls[0]!.headers).toEqual({ "Content-Type": "application/json" });
    // A redirect would resend signed headers to another path: the vendor client sees the 3xx instead.
    expect(calls[0]!.init.redirect).toBe("manual");
  });

  it("never retries other 4xx, even when idempotent", async () => {
    for (const status of [400, 401, 403, 404, 409, 422]) {
      const { calls, vt, run } = setup([{ status }, { status: 200 }]);
      expect((await run(GET, read)).status).toBe(status);
      expect(calls).toHaveLength(1);
      expect(vt.sleeps).toEqual([]);
    }
  });

  it("rejects a malformed URL at once, without calling the transport", async () => {
    const { calls, client } = setup([{ status: 200 }]);
    await expect(client.send({ method: "GET", url: "/relative" }, read)).rejects.toThrow(TypeError);
    expect(calls).toHaveLength(0);
  });
});

describe("backoff", () => {
  it("waits random() * min(max, base * 2^retry) between attempts (full jitter)", async () => {
    const randoms = [0.25, 0.5, 1];
    const { calls, vt, run } = setup([{ status: 500 }], { random: () => randoms.shift() ?? 0 });
    const response = await run(GET, read);
    expect(response.status).toBe(500);
    expect(calls).toHaveLength(4);
    expect(vt.sleeps).toEqual([0.25 * 200, 0.5 * 400, 1 * 800]);
    expect(calls.map((c) => c.at)).toEqual([0, 50, 250, 1050]);
  });

  it("caps the exponential at maxDelayMs", async () => {
    const { vt, run } = setup([{ status: 502 }], {
      random: () => 1,
      retry: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 3000 },
    });
    await run(GET, read);
    expect(vt.sleeps).toEqual([1000, 2000, 3000, 3000]);
  });

  it("every wait lies in [0, cap) for any random value (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 30 }),
        (r, retry) => {
          const delay = backoffDelay({ baseDelayMs: 200, maxDelayMs: 20_000 }, retry, () => r);
          const cap = Math.min(20_000, 200 * 2 ** retry);
          return delay >= 0 && delay < cap && delay === r * cap;
        },
      ),
    );
  });

  it("stops after the attempts budget and returns the last response", async () => {
    const { calls, run } = setup(
      [{ status: 503, body: "one" }, { status: 503, body: "two" }, { status: 200 }],
      {
        retry: { attempts: 2 },
      },
    );
    const response = await run(POST, create);
    expect(calls).toHaveLength(2);
    expect(response.status).toBe(503);
    expect(response.text).toBe("two");
  });

  it("makes one attempt only when attempts is 1", async () => {
    const { calls, vt, run } = setup([{ status: 429 }], { retry: { attempts: 1 } });
    expect((await run(GET, read)).status).toBe(429);
    expect(calls).toHaveLength(1);
    expect(vt.sleeps).toEqual([]);
  });

  it("starts no wait that would end past budgetMs", async () => {
    const { calls, vt, run } = setup([{ status: 500 }], { random: () => 1, retry: { budgetMs: 500 } });
    await run(GET, read);
    // Waits 200 (t=200), then 400 would end at 600 > 500: stop.
    expect(vt.sleeps).toEqual([200]);
    expect(calls).toHaveLength(2);
  });

  it("rejects a nonsensical attempts count", () => {
    expect(() => createHttpClient({ fetch: async () => new Response(""), retry: { attempts: 0 } })).toThrow(
      RangeError,
    );
  });
});

describe("what is retried", () => {
  it("retries 500/502/504 only when idempotent", async () => {
    for (const status of [500, 502, 504]) {
      const once = setup([{ status }, { status: 200 }]);
      expect((await once.run(POST, create)).status).toBe(status);
      expect(once.calls).toHaveLength(1);
      const again = setup([{ status }, { status: 200 }]);
      expect((await again.run(GET, read)).status).toBe(200);
      expect(again.calls).toHaveLength(2);
    }
  });

  it("does not retry 501 or 505", async () => {
    for (const status of [501, 505]) {
      const { calls, run } = setup([{ status }, { status: 200 }]);
      expect((await run(GET, read)).status).toBe(status);
      expect(calls).toHaveLength(1);
    }
  });

  it("retries 429 and 503 for a non-idempotent POST (the cloud did not act)", async () => {
    for (const status of [429, 503]) {
      const { calls, run } = setup([{ status }, { status: 201, body: "created" }]);
      const response = await run(POST, create);
      expect(response.status).toBe(201);
      expect(response.text).toBe("created");
      expect(calls).toHaveLength(2);
    }
  });

  it("isTransient true: a 400 throttle is retried like a 5xx (only when idempotent)", async () => {
    const throttle = { status: 400, body: '{"Code":"Throttling.User"}' };
    const isTransient = (r: ReceivedResponse) => r.text.includes("Throttling");
    const get = setup([throttle, { status: 200 }]);
    expect((await get.run(GET, { ...read, isTransient })).status).toBe(200);
    expect(get.calls).toHaveLength(2);
    const post = setup([throttle, { status: 200 }]);
    expect((await post.run(POST, { ...create, isTransient })).status).toBe(400);
    expect(post.calls).toHaveLength(1);
  });

  it('isTransient "throttled": retried whatever the method', async () => {
    const { calls, run } = setup([{ status: 400, body: "Throttling" }, { status: 200 }]);
    const response = await run(POST, {
      ...create,
      isTransient: (r) => (r.text === "Throttling" ? "throttled" : false),
    });
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it("isTransient true on a 503 is a throttle: retried for a POST too", async () => {
    const { calls, run } = setup([{ status: 503 }, { status: 200 }]);
    expect((await run(POST, { ...create, isTransient: () => true })).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it("isTransient false does not stop a 500 on a GET from being retried", async () => {
    const { calls, run } = setup([{ status: 500 }, { status: 200 }]);
    expect((await run(GET, { ...read, isTransient: () => false })).status).toBe(200);
    expect(calls).toHaveLength(2);
  });
});

describe("Retry-After", () => {
  it("waits the delta-seconds when longer than the jittered backoff", async () => {
    const { calls, vt, run } = setup([{ status: 429, headers: { "Retry-After": "3" } }, { status: 200 }]);
    expect((await run(POST, create)).status).toBe(200);
    expect(vt.sleeps).toEqual([3000]);
    expect(calls[1]!.at).toBe(3000);
  });

  it("keeps the jittered backoff when it is longer than Retry-After", async () => {
    const { vt, run } = setup([{ status: 503, headers: { "Retry-After": "0" } }, { status: 200 }], {
      random: () => 0.75,
    });
    await run(GET, read);
    expect(vt.sleeps).toEqual([150]);
  });

  it("reads an HTTP-date against the injected clock", async () => {
    // Virtual time starts at 2025-01-01T00:00:00Z.
    const { vt, run } = setup([
      { status: 429, headers: { "Retry-After": "Wed, 01 Jan 2025 00:00:07 GMT" } },
      { status: 200 },
    ]);
    expect((await run(GET, read)).status).toBe(200);
    expect(vt.sleeps).toEqual([7000]);
  });

  it("waits exactly up to the 5-minute cap", async () => {
    const { vt, run } = setup([{ status: 429, headers: { "Retry-After": "300" } }, { status: 200 }]);
    expect((await run(GET, read)).status).toBe(200);
    expect(vt.sleeps).toEqual([300_000]);
  });

  it("returns the response at once when Retry-After exceeds the cap", async () => {
    const { calls, vt, run } = setup([{ status: 429, headers: { "Retry-After": "301" } }, { status: 200 }]);
    const response = await run(GET, read);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("301");
    expect(calls).toHaveLength(1);
    expect(vt.sleeps).toEqual([]);
  });

  it("returns the response when the wait would overrun budgetMs", async () => {
    const { calls, run } = setup([{ status: 429, headers: { "Retry-After": "60" } }, { status: 200 }], {
      retry: { budgetMs: 30_000 },
    });
    expect((await run(GET, read)).status).toBe(429);
    expect(calls).toHaveLength(1);
  });

  it("parses delta-seconds and dates, and ignores what is neither", () => {
    const now = new Date("2025-01-01T00:00:00Z");
    const h = (value: string) => new Headers({ "Retry-After": value });
    expect(retryAfterMs(h("120"), now)).toBe(120_000);
    expect(retryAfterMs(h(" 2 "), now)).toBe(2000);
    expect(retryAfterMs(h("Wed, 01 Jan 2025 00:01:00 GMT"), now)).toBe(60_000);
    expect(retryAfterMs(h("Tue, 31 Dec 2024 23:00:00 GMT"), now)).toBe(0);
    expect(retryAfterMs(h("-1"), now)).toBeUndefined();
    expect(retryAfterMs(h("1.5"), now)).toBeUndefined();
    expect(retryAfterMs(h("soon"), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});

describe("timeouts and network failures", () => {
  it("turns a timeout into HttpFailure timeout and aborts the request", async () => {
    const { calls, vt, run } = setup(["hang"]);
    const error = await run(POST, { ...create, timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpFailure);
    expect((error as HttpFailure).kind).toBe("timeout");
    expect((error as HttpFailure).api).toBe("test.create");
    expect((error as HttpFailure).message).toContain("1500 ms");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init.signal?.aborted).toBe(true);
    expect(vt.elapsed()).toBe(1500);
  });

  it("defaults the timeout to 30 s, overridable per client", async () => {
    const byDefault = setup(["hang"], { retry: { attempts: 1 } });
    await expect(byDefault.run(GET, read)).rejects.toMatchObject({ kind: "timeout" });
    expect(byDefault.vt.elapsed()).toBe(DEFAULT_TIMEOUT_MS);
    const perClient = setup(["hang"], { retry: { attempts: 1 }, timeoutMs: 5000 });
    await expect(perClient.run(GET, read)).rejects.toMatchObject({ kind: "timeout" });
    expect(perClient.vt.elapsed()).toBe(5000);
  });

  it("times out even when the transport ignores the signal", async () => {
    const { run } = setup(["deaf"], { retry: { attempts: 1 } });
    await expect(run(GET, { ...read, timeoutMs: 100 })).rejects.toMatchObject({
      name: "HttpFailure",
      kind: "timeout",
    });
  });

  it("retries timeouts only when idempotent, then throws the last failure", async () => {
    const { calls, vt, run } = setup(["hang"]);
    const error = (await run(GET, { ...read, timeoutMs: 1000 }).catch((e: unknown) => e)) as HttpFailure;
    expect(error.kind).toBe("timeout");
    expect(error.attempts).toBe(4);
    expect(calls).toHaveLength(4);
    expect(vt.sleeps).toEqual([100, 200, 400]);
    expect(vt.elapsed()).toBe(4 * 1000 + 100 + 200 + 400);
  });

  it("recovers when a retried timeout is followed by an answer", async () => {
    const { calls, run } = setup(["hang", { status: 200, body: "ok" }]);
    expect((await run(GET, { ...read, timeoutMs: 1000 })).text).toBe("ok");
    expect(calls).toHaveLength(2);
  });

  it("a connection reset is a network failure: not retried for a POST", async () => {
    const { calls, run } = setup([{ error: reset() }, { status: 200 }]);
    const error = (await run(POST, create).catch((e: unknown) => e)) as HttpFailure;
    expect(error).toBeInstanceOf(HttpFailure);
    expect(error.kind).toBe("network");
    expect(error.beforeSending).toBe(false);
    expect(error.message).toContain("ECONNRESET");
    expect(error.message).toContain("POST https://cce.example.com/api/v3/projects/p/clusters");
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(calls).toHaveLength(1);
  });

  it("a connection reset is retried for an idempotent call", async () => {
    const { calls, run } = setup([{ error: reset() }, { status: 200 }]);
    expect((await run(GET, read)).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it("a refused connection is retried even for a POST (nothing was sent)", async () => {
    const { calls, run } = setup([{ error: refused() }, { error: refused() }, { status: 201 }]);
    expect((await run(POST, create)).status).toBe(201);
    expect(calls).toHaveLength(3);
  });

  it("a refused connection still gives up after the attempts budget", async () => {
    const { calls, run } = setup([{ error: refused() }]);
    const error = (await run(POST, create).catch((e: unknown) => e)) as HttpFailure;
    expect(error.kind).toBe("network");
    expect(error.beforeSending).toBe(true);
    expect(error.attempts).toBe(4);
    expect(calls).toHaveLength(4);
  });

  it("tells not-sent errors from the others, however undici nests them", () => {
    expect(failedBeforeSending(refused())).toBe(true);
    expect(failedBeforeSending(Object.assign(new Error("x"), { code: "UND_ERR_CONNECT_TIMEOUT" }))).toBe(
      true,
    );
    expect(failedBeforeSending(new TypeError("fetch failed", { cause: { code: "ENOTFOUND" } }))).toBe(true);
    expect(failedBeforeSending(reset())).toBe(false);
    expect(failedBeforeSending(new TypeError("fetch failed"))).toBe(false);
    expect(failedBeforeSending(new Error("Network connection lost."))).toBe(false);
    expect(failedBeforeSending("string")).toBe(false);
  });
});

describe("signing", () => {
  it("signs every attempt afresh, from the unsigned request", async () => {
    const seen: OutboundRequest[] = [];
    let n = 0;
    const { calls, vt, run } = setup([{ status: 503 }, { status: 500 }, { status: 200 }]);
    const sign = vi.fn(async (request: OutboundRequest) => {
      seen.push(structuredClone(request));
      n += 1;
      return { ...request.headers, "X-Sdk-Date": vt.now().toISOString(), Authorization: `sig-${n}` };
    });
    const request = { ...GET, headers: { Accept: "application/json" } };
    expect((await run(request, { ...read, sign })).status).toBe(200);
    expect(sign).toHaveBeenCalledTimes(3);
    expect(calls.map((c) => c.headers.Authorization)).toEqual(["sig-1", "sig-2", "sig-3"]);
    expect(new Set(calls.map((c) => c.headers["X-Sdk-Date"])).size).toBe(3);
    for (const s of seen) expect(s).toEqual(request);
    expect(request.headers).toEqual({ Accept: "application/json" });
  });

  it("lets a signer's error through unchanged and does not retry it", async () => {
    const { calls, client } = setup([{ status: 200 }]);
    const boom = new Error("no credentials");
    await expect(
      client.send(GET, {
        ...read,
        sign: async () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(calls).toHaveLength(0);
  });
});

describe("per-account limiter", () => {
  it("paces every attempt of an account at ratePerSecond, FIFO", async () => {
    const { vt, calls, client } = setup([{ status: 200 }], { ratePerSecond: 2 });
    const sends = ["a", "b", "c", "d"].map((id) => client.send({ ...GET, url: `${GET.url}&id=${id}` }, read));
    await vt.runAll();
    await Promise.all(sends);
    expect(calls.map((c) => [new URL(c.url).searchParams.get("id"), c.at])).toEqual([
      ["a", 0],
      ["b", 500],
      ["c", 1000],
      ["d", 1500],
    ]);
  });

  it("keeps accounts apart", async () => {
    const { vt, calls, client } = setup([{ status: 200 }], { ratePerSecond: 1 });
    const sends = [
      client.send(GET, { ...read, account: "a" }),
      client.send(GET, { ...read, account: "a" }),
      client.send(GET, { ...read, account: "b" }),
    ];
    await vt.runAll();
    await Promise.all(sends);
    expect(calls.map((c) => c.at).sort((x, y) => x - y)).toEqual([0, 0, 1000]);
  });

  it("charges a token for each retry", async () => {
    const { vt, calls, run } = setup([{ status: 503 }, { status: 200 }], {
      ratePerSecond: 1,
      random: () => 0,
    });
    expect((await run(POST, create)).status).toBe(200);
    // Backoff 0, but the second attempt waits for the next token.
    expect(calls.map((c) => c.at)).toEqual([0, 1000]);
    expect(vt.sleeps).toEqual([0, 1000]);
  });

  it("with sharedRate, two clients of one account share its bucket: each waits for the slot it was given", async () => {
    const vt = createVirtualTime();
    const transport = scripted(vt, [{ status: 200 }]);
    // The shared bucket (a Durable Object per account on Workers), booked by both clients.
    const buckets = new Map<string, ReturnType<typeof rateSchedule>>();
    const booked: string[] = [];
    const sharedRate = async (account: string) => {
      booked.push(account);
      const bucket = buckets.get(account) ?? rateSchedule(2);
      buckets.set(account, bucket);
      return bucket.reserve(vt.now().getTime());
    };
    const clients = [1, 2].map(() =>
      createHttpClient({
        fetch: transport.fetch,
        now: vt.now,
        sleep: vt.sleep,
        setTimer: vt.setTimer,
        sharedRate,
      }),
    );
    const sends = [
      clients[0]!.send(GET, read),
      clients[1]!.send(GET, read),
      clients[0]!.send(GET, read),
      clients[1]!.send(GET, { ...read, account: "other" }),
    ];
    await vt.runAll();
    await Promise.all(sends);
    // Alone, each client would have sent at once: together they keep the account's 2 per second.
    expect(transport.calls.map((c) => c.at).sort((x, y) => x - y)).toEqual([0, 0, 500, 1000]);
    expect(booked.sort()).toEqual(["other", "prod", "prod", "prod"]);
  });

  it("lets a burst go out back to back, then paces", async () => {
    const { vt, calls, client } = setup([{ status: 200 }], { ratePerSecond: 4, burst: 3 });
    const sends = Array.from({ length: 5 }, () => client.send(GET, read));
    await vt.runAll();
    await Promise.all(sends);
    expect(calls.map((c) => c.at)).toEqual([0, 0, 0, 250, 500]);
  });

  it("caps requests in flight per account and admits waiters in order", async () => {
    const vt = createVirtualTime();
    const answers: Array<(r: Response) => void> = [];
    const started: string[] = [];
    let inFlight = 0;
    let peak = 0;
    const fetch: Fetch = (url) => {
      started.push(new URL(url).searchParams.get("id")!);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      return new Promise<Response>((resolve) =>
        answers.push((r) => {
          inFlight -= 1;
          resolve(r);
        }),
      );
    };
    const client = createHttpClient({
      fetch,
      now: vt.now,
      sleep: vt.sleep,
      setTimer: vt.setTimer,
      concurrency: 2,
    });
    const sends = ["1", "2", "3", "4", "5"].map((id) =>
      client.send({ ...GET, url: `${GET.url}&id=${id}` }, read),
    );
    const other = client.send({ ...GET, url: `${GET.url}&id=other` }, { ...read, account: "other" });
    await vt.settle();
    expect(started).toEqual(["1", "2", "other"]);
    answers.shift()!(new Response("1"));
    await vt.settle();
    expect(started).toEqual(["1", "2", "other", "3"]);
    while (answers.length > 0) {
      answers.shift()!(new Response("x"));
      await vt.settle();
    }
    await Promise.all([...sends, other]);
    expect(started).toEqual(["1", "2", "other", "3", "4", "5"]);
    // Two for "prod" plus one for "other".
    expect(peak).toBe(3);
  });

  it("releases the slot when an attempt fails", async () => {
    const vt = createVirtualTime();
    const limiter = createLimiter({ concurrency: 1, now: vt.now, sleep: vt.sleep });
    const { calls, run } = setup([{ error: reset() }, { status: 200 }], { concurrency: 1 });
    await expect(run(POST, create)).rejects.toBeInstanceOf(HttpFailure);
    expect((await run(POST, create)).status).toBe(200);
    expect(calls).toHaveLength(2);
    const release = await limiter.acquire();
    expect(limiter.inFlight).toBe(1);
    const second = limiter.acquire();
    expect(limiter.waiting).toBe(1);
    release();
    release();
    (await second)();
    expect(limiter.inFlight).toBe(0);
  });

  it("refuses nonsensical limits", () => {
    const vt = createVirtualTime();
    expect(() => createLimiter({ ratePerSecond: 0, now: vt.now, sleep: vt.sleep })).toThrow(RangeError);
    expect(() => createLimiter({ concurrency: 0, now: vt.now, sleep: vt.sleep })).toThrow(RangeError);
    expect(() => createLimiter({ burst: 1.5, now: vt.now, sleep: vt.sleep })).toThrow(RangeError);
  });
});

describe("logging", () => {
  it("logs each retry without the query string", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", write: (line) => lines.push(line) });
    const url = "https://ecs.example.com/?Action=ScaleOut&Signature=c2VjcmV0";
    const { run } = setup([{ status: 503 }, { status: 200 }], { logger });
    await run({ method: "GET", url }, read);
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      msg: "http retry",
      api: "test.get",
      account: "prod",
      request: "GET https://ecs.example.com/",
      attempt: 1,
      reason: "status 503",
      delayMs: 100,
    });
    expect(lines[0]).not.toContain("Signature");
  });
});

describe("platformFetch", () => {
  it("calls the global fetch of the moment", async () => {
    const spy = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("from global"));
    try {
      const response = await platformFetch()("https://example.com/", { method: "GET" });
      expect(await response.text()).toBe("from global");
      expect(spy).toHaveBeenCalledWith("https://example.com/", { method: "GET" });
    } finally {
      spy.mockRestore();
    }
  });
});

describe("observe: every attempt's outcome, for the cloud API metrics", () => {
  it("is told each attempt, retries included: the status, or the failure's kind", async () => {
    const seen: unknown[] = [];
    const { run } = setup([{ error: refused() }, { status: 503 }, "hang", { status: 200, body: "ok" }], {
      observe: (exchange) => seen.push(exchange),
      retry: { attempts: 4 },
    });
    expect((await run(GET, read)).status).toBe(200);
    expect(seen).toEqual([
      { api: "test.get", account: "prod", failure: "network" },
      { api: "test.get", account: "prod", status: 503 },
      { api: "test.get", account: "prod", failure: "timeout" },
      { api: "test.get", account: "prod", status: 200 },
    ]);
  });
});
