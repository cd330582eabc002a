// The Worker entry inside workerd: the same exports Cloudflare calls in production.
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SECRET_ENV, SECRETS } from "../test/setup/secret-env.ts";
import worker from "./worker.workers.ts";

afterEach(() => vi.restoreAllMocks());

const call = async (request: Request, bindings: Record<string, unknown>) => {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, bindings, ctx as never);
  await waitOnExecutionContext(ctx);
  return response;
};

describe("Worker module", () => {
  it("exports only entrypoints (handlers and classes), as workerd requires of a main module", async () => {
    const exported = Object.entries(await import("./worker.workers.ts"));
    const refused = exported.filter(([, value]) => typeof value !== "function" && typeof value !== "object");
    expect(refused.map(([name]) => name)).toEqual([]);
    expect(exported.map(([name]) => name)).toEqual(expect.arrayContaining(["default", "AccountRateLimiter"]));
  });
});

describe("Worker fetch", () => {
  it("answers GET /healthz with JSON naming the host", async () => {
    const response = await call(new Request("https://nightshift.example/healthz"), { ...env });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", service: "nightshift", host: "workers" });
  });

  it("answers unknown routes with the JSON error shape", async () => {
    const response = await call(new Request("https://nightshift.example/nowhere"), { ...env });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /nowhere", details: {} },
    });
  });

  it("reports invalid settings by variable name, never by value", async () => {
    const response = await call(new Request("https://nightshift.example/healthz"), {
      ...env,
      LOG_LEVEL: "chatty",
      NIGHTSHIFT_ACCOUNT_P_VENDOR: "huawei",
      NIGHTSHIFT_ACCOUNT_P_SECRET_ACCESS_KEY: "super-secret-value-1",
    });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).not.toContain("super-secret-value-1");
    const body = JSON.parse(text);
    expect(body.error.code).toBe("configuration_invalid");
    const variables = body.error.details.issues.map((i: { variable: string }) => i.variable);
    expect(variables).toContain("LOG_LEVEL");
    expect(variables).toContain("NIGHTSHIFT_ACCOUNT_P_ACCESS_KEY_ID");
  });
});

describe("Worker scheduled", () => {
  it("runs one tick at the cron event's scheduled time and logs it", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const controller = createScheduledController({
      scheduledTime: new Date("2026-11-22T22:00:00Z"),
      cron: "* * * * *",
    });
    const ctx = createExecutionContext();
    await worker.scheduled(controller as never, { ...env }, ctx as never);
    await waitOnExecutionContext(ctx);
    const ticks = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === "tick");
    expect(ticks).toEqual([
      expect.objectContaining({ at: "2026-11-22T22:00:00.000Z", trigger: "cron", host: "workers" }),
    ]);
  });
});

describe("Worker log", () => {
  it("masks every configured secret by value, wherever a line carries it", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    // A database whose errors quote what they were given: the configuration's secrets, here.
    const quoting = () => {
      throw new Error(`D1_ERROR: cannot run with ${Object.values(SECRETS).join(" ")}`);
    };
    const response = await call(
      new Request("https://nightshift.example/api/operations", {
        headers: { Authorization: `Bearer ${SECRETS.adminToken}` },
      }),
      { ...env, ...SECRET_ENV, DB: { prepare: quoting, batch: quoting } },
    );
    expect(response.status).toBe(500);
    const logged = lines.join("\n");
    expect(logged).toContain("D1_ERROR: cannot run with [REDACTED]");
    for (const secret of Object.values(SECRETS)) expect(logged).not.toContain(secret);
  });
});

describe("Worker start-up warnings", () => {
  it("logs a variable nothing reads once per isolate, by name, never its value", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const bindings = { ...env, NIGHTSHIFT_ADMIN_TOKNE: "0123456789abcdef0123456789abcdef" };
    for (let i = 0; i < 2; i++) {
      const response = await call(new Request("https://nightshift.example/healthz"), bindings);
      expect(response.status).toBe(200);
    }
    const warnings = lines.map((l) => JSON.parse(l)).filter((r) => r.level === "warn");
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: "NIGHTSHIFT_ADMIN_TOKNE is not a setting nightshift reads, so it is ignored; did you mean NIGHTSHIFT_ADMIN_TOKEN?",
        variable: "NIGHTSHIFT_ADMIN_TOKNE",
        host: "workers",
      }),
    ]);
    expect(lines.join("\n")).not.toContain("0123456789abcdef0123456789abcdef");
  });
});
