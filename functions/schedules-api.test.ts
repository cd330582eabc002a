// The schedule routes of the admin API (GET /api/schedules, POST /api/schedules/{name}/pause and
// /resume, functions/schedules-api.ts) and the pause as GET /api/targets and GET /api/plan show it,
// on Node and in workerd: the Hono app over the memory store, a fixed fleet, at a fixed time.
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import type { Schedule } from "../shared/schedule/types.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { testTarget } from "../test/fixtures/target.ts";
import { createApp } from "./app.ts";

const TOKEN = "schedules-api-token-0123456789abcdef";
// Monday 23 November 2026, 18:00 in Shanghai: two hours before qa's sleep.
const NOW = new Date("2026-11-23T10:00:00Z");
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"] as const;
const schedules: Schedule[] = [
  testSchedule({
    name: "qa",
    targets: [{ tags: { env: "qa" } }],
    rules: [
      { to: "asleep", days: WEEKDAYS, at: "20:00" },
      { to: "awake", days: WEEKDAYS, at: "08:00" },
    ],
  }),
  testSchedule({ name: "off", enabled: false, targets: [{ tags: { env: "qa" } }] }),
];
const inventory: Inventory = {
  targets: [
    testTarget(),
    testTarget({ targetId: "hw/c2", id: "c2", name: "qa-2" }),
    testTarget({ targetId: "hw/c3", id: "c3", name: "prod", tags: { env: "prod" } }),
  ],
  errors: [],
  listedAt: "2026-11-23T09:59:00.000Z",
};

// biome-ignore lint/suspicious/noExplicitAny: each test reads the fields of the answer it asserts
type Json = any;

function setup() {
  const store = createStore(memoryBackend());
  const app = createApp({
    host: "node",
    log: createLogger({ write: () => {} }),
    now: () => NOW,
    adminToken: TOKEN,
    inventory: async () => inventory,
    store,
    schedules,
    calendars: new Map(),
  });
  const call = async (
    path: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ) => {
    const response = await app.request(path, {
      method: init.method ?? "GET",
      headers: { Authorization: `Bearer ${TOKEN}`, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
  };
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(path, {
      method: "POST",
      ...(body === undefined
        ? {}
        : {
            body: typeof body === "string" ? body : JSON.stringify(body),
            headers: { "Content-Type": "application/json", ...headers },
          }),
      ...(body === undefined ? { headers } : {}),
    });
  const ledger = () => store.ledger.query({ target: "schedule:qa" });
  return { store, call, post, ledger };
}

describe("GET /api/schedules", () => {
  it("lists every schedule with the targets it owns, its pause and its next transition", async () => {
    const { call } = setup();
    const { status, body } = await call("/api/schedules");
    expect(status).toBe(200);
    expect(body).toEqual({
      schedules: [
        {
          name: "qa",
          source: "schedules/qa.yaml",
          enabled: true,
          timezone: "Asia/Shanghai",
          mode: "full",
          enforce: false,
          targets: 2,
          paused: null,
          next: { to: "asleep", at: "2026-11-23T12:00:00.000Z", local: "2026-11-23 20:00 Asia/Shanghai" },
        },
        {
          name: "off",
          source: "schedules/off.yaml",
          enabled: false,
          timezone: "Asia/Shanghai",
          mode: "full",
          enforce: false,
          targets: 0,
          paused: null,
          next: null,
        },
      ],
      errors: [],
      listedAt: "2026-11-23T09:59:00.000Z",
    });
  });

  it("needs the admin token", async () => {
    const { call } = setup();
    const { status, body } = await call("/api/schedules", { headers: { Authorization: "Bearer wrong" } });
    expect(status).toBe(401);
    expect(body.error.code).toBe("unauthorized");
  });
});

describe("POST /api/schedules/{name}/pause and /resume", () => {
  it("pauses until a time: the schedule, its targets and the plan show it; resume ends it", async () => {
    const { call, post, ledger } = setup();
    const until = "2026-11-23T23:00:00+08:00";
    const paused = await post("/api/schedules/qa/pause", { until, reason: "release freeze" });
    expect(paused.status).toBe(200);
    const view = {
      since: NOW.toISOString(),
      until: "2026-11-23T15:00:00.000Z",
      reason: "release freeze",
      by: "admin API",
    };
    expect(paused.body).toEqual({ schedule: "qa", paused: view, changed: true });

    const listed = await call("/api/schedules");
    expect(listed.body.schedules[0].paused).toEqual(view);

    const targets = (await call("/api/targets")).body.targets;
    expect(targets.map((t: Json) => [t.targetId, t.paused, t.next?.deferred])).toEqual([
      ["hw/c1", view, { reason: "paused", until: "2026-11-23T15:00:00.000Z" }],
      ["hw/c2", view, { reason: "paused", until: "2026-11-23T15:00:00.000Z" }],
      ["hw/c3", undefined, undefined],
    ]);

    // The plan: the sleep inside the pause waits for it, the next morning's wake and the next
    // evening's sleep (after the pause) do not.
    const plan = await call("/api/plan?from=2026-11-23T10:00:00Z&to=2026-11-24T13:00:00Z");
    expect(
      plan.body.transitions
        .filter((t: Json) => t.target === "hw/c1")
        .map((t: Json) => [t.to, t.local, t.deferred]),
    ).toEqual([
      ["asleep", "2026-11-23 20:00 Asia/Shanghai", { reason: "paused", until: "2026-11-23T15:00:00.000Z" }],
      ["awake", "2026-11-24 08:00 Asia/Shanghai", undefined],
      ["asleep", "2026-11-24 20:00 Asia/Shanghai", undefined],
    ]);

    const resumed = await post("/api/schedules/qa/resume", { reason: "freeze lifted" });
    expect(resumed).toMatchObject({ status: 200, body: { schedule: "qa", paused: null, changed: true } });
    expect((await call("/api/schedules")).body.schedules[0].paused).toBeNull();
    const again = await post("/api/schedules/qa/resume");
    expect(again).toMatchObject({ status: 200, body: { paused: null, changed: false } });
    expect((await ledger()).map((e) => [e.kind, e.detail.reason])).toEqual([
      ["schedule.paused", "release freeze"],
      ["schedule.resumed", "freeze lifted"],
    ]);
  });

  it("pauses until resumed with no body at all, an empty one sent as JSON, or an empty object", async () => {
    const { post, ledger } = setup();
    const bare = await post("/api/schedules/qa/pause");
    expect(bare).toMatchObject({ status: 200, body: { paused: { until: null, reason: null } } });
    const empty = await post("/api/schedules/qa/pause", {});
    expect(empty).toMatchObject({ status: 200, body: { paused: { until: null, since: NOW.toISOString() } } });
    // `curl -X POST -H 'Content-Type: application/json'` with no data: an empty JSON body.
    const blank = await post("/api/schedules/qa/pause", "");
    expect(blank).toMatchObject({ status: 200, body: { paused: { until: null, reason: null } } });
    const spaces = await post("/api/schedules/qa/pause", " \n");
    expect(spaces).toMatchObject({ status: 200, body: { paused: { until: null } } });
    expect((await ledger()).length).toBe(4);
    const resumed = await post("/api/schedules/qa/resume", "");
    expect(resumed).toMatchObject({ status: 200, body: { paused: null, changed: true } });
    expect((await ledger()).map((e) => [e.kind, e.detail.reason])).toEqual([
      ...new Array(4).fill(["schedule.paused", null]),
      ["schedule.resumed", null],
    ]);
  });

  it("replays a request retried with its Idempotency-Key, and records it once", async () => {
    const { post, ledger } = setup();
    const headers = { "Idempotency-Key": '"pause-qa-1"' };
    const first = await post("/api/schedules/qa/pause", { reason: "demo" }, headers);
    const second = await post("/api/schedules/qa/pause", { reason: "demo" }, headers);
    expect(second.status).toBe(200);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    const entries = await ledger();
    expect(entries).toHaveLength(1);
    expect(entries[0]?.key).toBe("schedule.paused:qa:request:pause-qa-1");
  });

  it("refuses what it cannot read, naming the field and how to fix it", async () => {
    const { post, ledger } = setup();
    const refused = async (path: string, body: unknown, field: string, says: string) => {
      const { status, body: answer } = await post(path, body);
      expect({ status, code: answer.error.code, field: answer.error.details.field }).toEqual({
        status: 400,
        code: "invalid_pause",
        field,
      });
      expect(answer.error.message).toContain(says);
    };
    await refused("/api/schedules/qa/pause", { until: "2026-11-24T08:00" }, "until", "needs an offset");
    await refused("/api/schedules/qa/pause", { until: "2026-11-23T09:00:00Z" }, "until", "in the future");
    await refused("/api/schedules/qa/pause", { until: "2027-01-23T09:00:00Z" }, "until", "at most 30 days");
    await refused("/api/schedules/qa/pause", { until: 1_800_000_000 }, "until", "until must be a string");
    await refused("/api/schedules/qa/pause", { minutes: 90 }, "minutes", 'unknown field "minutes"');
    await refused("/api/schedules/qa/pause", { reason: 7 }, "reason", "reason must be a string");
    await refused("/api/schedules/qa/pause", { reason: "x".repeat(501) }, "reason", "at most 500");
    await refused("/api/schedules/qa/pause", [1], "body", "must be a JSON object");
    await refused("/api/schedules/qa/resume", { until: "2026-11-24T08:00:00Z" }, "until", "unknown field");

    // Every problem is listed, each naming its field; the first one is details.field.
    const both = await post("/api/schedules/qa/pause", { until: "tomorrow", reason: 7, minutes: 90 });
    expect(both.status).toBe(400);
    expect(both.body.error.details).toEqual({
      field: "until",
      issues: [
        expect.stringMatching(/^until must be an ISO-8601 time with an offset/),
        'reason must be a string, e.g. "release freeze" (got 7)',
        expect.stringMatching(/^unknown field "minutes"; give only "until" and "reason", e\.g\. \{/),
      ],
    });

    const broken = await post("/api/schedules/qa/pause", "{not json");
    expect(broken).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
    const untyped = await setup().call("/api/schedules/qa/pause", { method: "POST", body: "{}" });
    expect(untyped).toMatchObject({ status: 415, body: { error: { code: "unsupported_media_type" } } });
    // An empty body sent as another type (`curl -d ''` sends a form): the fix is to send JSON, or nothing.
    const form = await post("/api/schedules/qa/pause", "", {
      "Content-Type": "application/x-www-form-urlencoded",
    });
    expect(form).toMatchObject({
      status: 415,
      body: { error: { code: "unsupported_media_type", details: { header: "Content-Type" } } },
    });
    expect(form.body.error.message).toContain("Content-Type: application/json");
    expect(await ledger()).toEqual([]);
  });

  it("answers 404 for an unknown schedule, saying how to list them", async () => {
    const { post } = setup();
    for (const verb of ["pause", "resume"]) {
      const { status, body } = await post(`/api/schedules/nightly/${verb}`, {});
      expect(status).toBe(404);
      expect(body.error).toEqual({
        code: "unknown_schedule",
        message: 'no schedule "nightly"; GET /api/schedules lists them',
        details: {},
      });
    }
  });
});
