// GET /actions/{token} on Node and in workerd: a validly signed link is still range-checked, only
// acts on a target nightshift manages, and its token never reaches a log line.
import { describe, expect, it } from "vitest";
import { hmac } from "#digest";
import { createActionToken, MAX_ACTION_MINUTES } from "../shared/events/links.ts";
import { createLogger } from "../shared/log/logger.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import { base64, utf8 } from "../shared/signer/encoding.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { createApp } from "./app.ts";
import { MAX_LINK_AHEAD_MINUTES } from "./notices.ts";

const SECRET = "action-link-secret-0123456789abcdefABCDEF";
const NOW = new Date("2026-11-23T11:50:00Z");
const TARGET = "prod-hw/c-qa";
const inventory: Inventory = {
  targets: [
    {
      targetId: TARGET,
      provider: "huawei",
      account: "prod-hw",
      region: "cn-north-4",
      id: "c-qa",
      name: "qa",
      phase: "running",
      vendorPhase: "Available",
      tags: {},
      nodePools: [],
    },
  ],
  errors: [],
};

function setup() {
  const store = createStore(memoryBackend());
  const lines: string[] = [];
  const app = createApp({
    host: "node",
    log: createLogger({ write: (line) => lines.push(line) }),
    now: () => NOW,
    inventory: async () => inventory,
    store,
    schedules: [],
    calendars: new Map(),
    linkSecret: SECRET,
  });
  const open = async (token: string) => {
    const response = await app.request(`/actions/${token}`);
    return {
      status: response.status,
      body: (await response.json()) as { error?: unknown; [field: string]: unknown },
    };
  };
  return { store, lines, open };
}

const link = (overrides: { target?: string; expiresAt?: Date } = {}) =>
  createActionToken({
    action: "postpone",
    target: overrides.target ?? TARGET,
    minutes: 180,
    expiresAt: overrides.expiresAt ?? new Date(NOW.getTime() + 190 * 60_000),
    secret: SECRET,
    slot: "qa:asleep:2026-11-23T20:00",
  });

/** A correctly signed token for an expiry createActionToken would never write (Unix seconds). */
async function signedWithExpiry(e: number): Promise<string> {
  const b64url = (bytes: Uint8Array) =>
    base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const payload = b64url(utf8(JSON.stringify({ v: 1, a: "snooze", t: TARGET, m: 60, e })));
  return `${payload}.${b64url(await hmac("SHA-256", SECRET, `nightshift/action-link/v1.${payload}`))}`;
}

describe("GET /actions/{token}", () => {
  it("holds a known target until the link's expiry", async () => {
    const { open, store } = setup();
    const expiresAt = new Date(NOW.getTime() + 190 * 60_000);
    const { status, body } = await open(await link({ expiresAt }));
    expect(status).toBe(200);
    expect(body).toEqual({ target: TARGET, action: "postpone", snoozeUntil: expiresAt.toISOString() });
    expect((await store.targets.get(TARGET, NOW))?.value.snoozeUntil).toBe(expiresAt.toISOString());
  });

  it("refuses an expiry that is not a date with a 4xx, not a 500, and writes nothing", async () => {
    const { open, store, lines } = setup();
    // 1e15 s is past the largest Date (8.64e15 ms): toISOString would throw.
    for (const e of [1e15, -1e15]) {
      const { status, body } = await open(await signedWithExpiry(e));
      expect(status, String(e)).toBe(403);
      expect(body.error).toEqual({
        code: "link_malformed",
        message: "the action link's expiry is not a valid date",
        details: {},
      });
    }
    expect(await store.targets.list(NOW)).toEqual([]);
    expect(lines.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });

  it("refuses a link that would hold further ahead than any notice link, whatever the 7-day cap", async () => {
    const { open, store } = setup();
    // The longest a notice's link ever holds is well inside the snooze cap.
    expect(MAX_LINK_AHEAD_MINUTES).toBe(24 * 60 + 180);
    expect(MAX_LINK_AHEAD_MINUTES).toBeLessThan(MAX_ACTION_MINUTES);
    const edge = new Date(NOW.getTime() + MAX_LINK_AHEAD_MINUTES * 60_000);
    for (const expiresAt of [
      new Date(edge.getTime() + 1000),
      new Date(NOW.getTime() + 7 * 24 * 3600_000 + 60_000),
      new Date("2100-01-01T00:00:00Z"),
    ]) {
      const { status, body } = await open(await signedWithExpiry(expiresAt.getTime() / 1000));
      expect(status, expiresAt.toISOString()).toBe(400);
      expect(body.error).toEqual({
        code: "link_out_of_range",
        message: `the action link holds until ${expiresAt.toISOString()}, further ahead than any link nightshift sends (${MAX_LINK_AHEAD_MINUTES} minutes); snooze with POST /api/targets/{id}/snooze instead`,
        details: {},
      });
    }
    expect(await store.targets.list(NOW)).toEqual([]);
    // Exactly at the edge is still a link nightshift could have sent.
    expect((await open(await signedWithExpiry(edge.getTime() / 1000))).status).toBe(200);
  });

  it("answers 404 for a target nightshift does not manage, writing no state and no ledger entry", async () => {
    const { open, store } = setup();
    const { status, body } = await open(await link({ target: "prod-hw/c-gone" }));
    expect(status).toBe(404);
    expect(body.error).toEqual({
      code: "unknown_target",
      message: 'the action link is for target "prod-hw/c-gone", which nightshift does not manage (any more)',
      details: {},
    });
    expect(await store.targets.list(NOW)).toEqual([]);
    expect(await store.ledger.query({})).toEqual([]);
  });

  it("never logs the token, even when the request fails inside", async () => {
    const store = createStore(memoryBackend());
    const lines: string[] = [];
    const app = createApp({
      host: "node",
      log: createLogger({ write: (line) => lines.push(line) }),
      now: () => NOW,
      inventory: async () => {
        throw new Error("inventory unavailable");
      },
      store,
      schedules: [],
      calendars: new Map(),
      linkSecret: SECRET,
    });
    const token = await link();
    const response = await app.request(`/actions/${token}`);
    expect(response.status).toBe(500);
    expect(lines).toHaveLength(1);
    const [payload, mac] = token.split(".");
    expect(lines[0]).not.toContain(payload);
    expect(lines[0]).not.toContain(mac);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "unhandled error", path: "/actions/[REDACTED]" });
  });
});
