// The sandbox framework with a minimal test cloud: logging, inspection, faults, throttling, time.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createSandboxCa } from "./ca.ts";
import { createSimClock, seededRandom } from "./clock.ts";
import {
  ACCESS_KEY_VAR,
  cloudApp,
  createRequestLog,
  type SandboxCloud,
  type SandboxContext,
} from "./cloud.ts";
import { createFaultControl } from "./faults.ts";
import { createThrottle } from "./throttle.ts";

function harness(random: () => number = seededRandom(7)) {
  let real = 1_000_000;
  const realNow = () => real;
  const clock = createSimClock({ start: new Date("2026-11-22T20:00:00Z"), speed: 0, realNow });
  const throttle = createThrottle({ ratePerSecond: Number.POSITIVE_INFINITY, realNow });
  const faults = createFaultControl();
  let seeded: unknown = "default";
  const routes = new Hono();
  routes.get("/things", (c) => {
    c.set(ACCESS_KEY_VAR as never, "AK1" as never);
    const taken = throttle.take("AK1");
    if (!taken.ok)
      return c.json({ code: "Throttled" }, 429, { "Retry-After": String(taken.retryAfterSeconds) });
    return c.json({ things: [1, 2] });
  });
  const cloud: SandboxCloud = {
    name: "baidu",
    routes,
    errorPages: {
      serverError: (c) => c.json({ code: "InternalError" }, 500),
      throttled: (c, seconds) =>
        c.json({ code: "RequestLimitExceeded" }, 429, { "Retry-After": String(seconds) }),
    },
    accounts: () => [],
    state: () => ({ seeded }),
    reset: async () => {
      seeded = "default";
    },
    seed: async (fleet) => {
      if (typeof fleet !== "object" || fleet === null || !("clusters" in fleet))
        throw new Error("fleet.clusters is required");
      seeded = fleet;
    },
    describe: () => ({}),
  };
  const ctx = {
    clock,
    random,
    ca: undefined as never,
    throttle,
    faults,
    realNow,
    signatureNow: () => clock.now(),
    urlOf: () => "http://sandbox",
  } satisfies SandboxContext;
  const log = createRequestLog();
  const app = cloudApp(cloud, ctx, log);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as any };
  };
  const advanceReal = (ms: number) => {
    real += ms;
  };
  return { call, log, clock, throttle, advanceReal };
}

describe("sandbox clock", () => {
  it("runs at the given speed from where it was set, and moves forward by hand", () => {
    let real = 0;
    const clock = createSimClock({
      start: new Date("2026-01-01T00:00:00Z"),
      speed: 3600,
      realNow: () => real,
    });
    real = 2_000; // two real seconds = two simulated hours
    expect(clock.now().toISOString()).toBe("2026-01-01T02:00:00.000Z");
    clock.setSpeed(0);
    real = 60_000;
    clock.advance(90_000);
    expect(clock.now().toISOString()).toBe("2026-01-01T02:01:30.000Z");
    expect(() => clock.advance(-1)).toThrow(/forward/);
  });

  it("seeded randomness is reproducible", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(seededRandom(43)()).not.toBe(seededRandom(42)());
  });
});

describe("sandbox framework", () => {
  it("logs vendor requests with the account, not inspection calls", async () => {
    const h = harness();
    expect((await h.call("GET", "/things")).status).toBe(200);
    await h.call("GET", "/_sandbox/state");
    const { json } = await h.call("GET", "/_sandbox/requests");
    expect(json.requests).toEqual([
      expect.objectContaining({
        seq: 1,
        cloud: "baidu",
        method: "GET",
        path: "/things",
        status: 200,
        accessKeyId: "AK1",
      }),
    ]);
  });

  it("injects the vendor's 5xx and 429 by rate, and clears them on reset", async () => {
    const h = harness();
    await h.call("PUT", "/_sandbox/faults", { serverError: 1 });
    const failed = await h.call("GET", "/things");
    expect(failed).toMatchObject({ status: 500, json: { code: "InternalError" } });
    await h.call("PUT", "/_sandbox/faults", { serverError: 0, throttle: 1, retryAfterSeconds: 7 });
    const throttled = await h.call("GET", "/things");
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("Retry-After")).toBe("7");
    expect(throttled.json).toEqual({ code: "RequestLimitExceeded" });
    const logged = (await h.call("GET", "/_sandbox/requests")).json.requests;
    expect(logged.map((r: { fault?: string }) => r.fault)).toEqual(["server-error", "throttle"]);
    await h.call("POST", "/_sandbox/reset");
    expect((await h.call("GET", "/things")).status).toBe(200);
  });

  it("applies fault rates statistically, with reproducible dice", async () => {
    const h = harness(seededRandom(99));
    await h.call("PUT", "/_sandbox/faults", { serverError: 0.25 });
    let failures = 0;
    for (let i = 0; i < 400; i++) if ((await h.call("GET", "/things")).status === 500) failures++;
    expect(failures).toBeGreaterThan(70);
    expect(failures).toBeLessThan(130);
  });

  it("refuses unknown faults and bad rates with a clear message", async () => {
    const h = harness();
    const unknown = await h.call("PUT", "/_sandbox/faults", { meteor: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toMatch(/unknown fault "meteor"/);
    const bad = await h.call("PUT", "/_sandbox/faults", { throttle: 2 });
    expect(bad.json.error.message).toMatch(/probability between 0 and 1/);
  });

  it("throttles per account at the configured rate and says when to retry", async () => {
    const h = harness();
    await h.call("PUT", "/_sandbox/throttle", { ratePerSecond: 2, burst: 2 });
    expect((await h.call("GET", "/things")).status).toBe(200);
    expect((await h.call("GET", "/things")).status).toBe(200);
    const third = await h.call("GET", "/things");
    expect(third.status).toBe(429);
    expect(third.headers.get("Retry-After")).toBe("1");
    h.advanceReal(500); // one token back at 2/s
    expect((await h.call("GET", "/things")).status).toBe(200);
  });

  it("moves the clock and reports state, seed errors and resets", async () => {
    const h = harness();
    expect((await h.call("POST", "/_sandbox/clock", { advanceSeconds: 3600 })).json.now).toBe(
      "2026-11-22T21:00:00.000Z",
    );
    const badSeed = await h.call("POST", "/_sandbox/seed", { accounts: [] });
    expect(badSeed).toMatchObject({
      status: 400,
      json: { error: { message: "fleet.clusters is required" } },
    });
    await h.call("POST", "/_sandbox/seed", { clusters: [] });
    expect((await h.call("GET", "/_sandbox/state")).json.state).toEqual({ seeded: { clusters: [] } });
    await h.call("POST", "/_sandbox/reset");
    expect((await h.call("GET", "/_sandbox/state")).json).toMatchObject({
      time: "2026-11-22T21:00:00.000Z",
      state: { seeded: "default" },
    });
  });
});

describe("sandbox CA in any runtime", () => {
  it("creates a CA with Web Crypto", async () => {
    const ca = await createSandboxCa({ now: new Date("2026-11-22T00:00:00Z"), random: seededRandom(1) });
    expect(ca.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });
});
