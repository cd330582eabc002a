import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { createApp } from "./app.ts";

const token = "t0ken-0123456789abcdef0123456789";
const inventory: Inventory = {
  targets: [
    {
      targetId: "prod-hw/c1",
      provider: "huawei",
      account: "prod-hw",
      region: "cn-north-4",
      id: "c1",
      name: "qa",
      phase: "running",
      vendorPhase: "Available",
      tags: { env: "qa" },
      nodePools: [{ id: "p1", name: "pool", desired: 3, ready: 3, phase: "stable", vendorPhase: "Active" }],
    },
  ],
  errors: [
    { provider: "baidu", account: "bd", kind: "auth", message: "baidu.listClusters: signature refused" },
  ],
  listedAt: "2026-11-21T23:58:00.000Z",
};

function app(adminToken?: string) {
  return createApp({
    host: "node",
    log: createLogger({ write: () => {} }),
    now: () => new Date("2026-11-22T00:00:00Z"),
    inventory: async () => inventory,
    store: createStore(memoryBackend()),
    schedules: [],
    calendars: new Map(),
    ...(adminToken ? { adminToken } : {}),
  });
}

describe("GET /api/targets", () => {
  it("needs the admin token", async () => {
    const missing = await app(token).request("/api/targets");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect(await missing.json()).toMatchObject({ error: { code: "unauthorized" } });
    const wrong = await app(token).request("/api/targets", {
      headers: { Authorization: `Bearer ${token}x` },
    });
    expect(wrong.status).toBe(401);
  });

  it("lists the targets, the accounts that failed beside them, and when the listing was taken", async () => {
    const response = await app(token).request("/api/targets", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      targets: inventory.targets.map((t) => ({
        ...t,
        schedules: [],
        ownership: { status: "unmatched" },
        state: null,
        next: null,
      })),
      errors: inventory.errors,
      listedAt: "2026-11-21T23:58:00.000Z",
    });
  });

  it("is disabled, saying how to enable it, when no token is configured", async () => {
    const response = await app().request("/api/targets", { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: { code: "admin_disabled", message: expect.stringContaining("NIGHTSHIFT_ADMIN_TOKEN") },
    });
  });
});

describe("a route asked with a method it does not take", () => {
  const auth = { Authorization: `Bearer ${token}` };
  it.each([
    ["POST", "/api/targets", ["GET", "HEAD"]],
    ["DELETE", "/api/operations", ["GET", "HEAD"]],
    ["GET", "/api/schedules/nightly/pause", ["POST"]],
    ["PUT", "/api/targets/prod-hw/c1/snooze", ["POST"]],
    ["GET", "/api/vault/rotate", ["POST"]],
    ["POST", "/healthz", ["GET", "HEAD"]],
  ])("%s %s: 405 with Allow, naming the methods it takes (not 'no route')", async (method, path, allow) => {
    const response = await app(token).request(path, { method, headers: auth });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe(allow.join(", "));
    expect(await response.json()).toEqual({
      error: {
        code: "method_not_allowed",
        message: `the method ${method} is not allowed on ${path}; use ${allow.filter((m) => m !== "HEAD").join(" or ")}`,
        details: { allow },
      },
    });
  });

  it("a path no route has under any method is still 404", async () => {
    const response = await app(token).request("/api/nowhere", { method: "POST", headers: auth });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
