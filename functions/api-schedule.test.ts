// The schedule side of the admin API (GET /api/plan, GET /api/targets with state and next
// transition, GET /api/operations, POST /api/targets/{id}/snooze), on Node and in workerd: the
// Hono app over the memory store, a fixed fleet and schedules declared here, at a fixed time.
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import type { Inventory, Target } from "../shared/providers/inventory.ts";
import { builtinCalendar } from "../shared/schedule/calendar.ts";
import { decideTick, type TargetFacts } from "../shared/schedule/engine.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore, type OperationStatus, type Store } from "../shared/store/store.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { createApp } from "./app.ts";

const TOKEN = "api-schedule-token-0123456789abcdef";
// Monday 23 November 2026, 18:00 in Shanghai: two hours before qa-weeknights' sleep.
const NOW = new Date("2026-11-23T10:00:00Z");

const target = (overrides: Partial<Target> & Pick<Target, "account" | "id" | "provider">): Target => ({
  targetId: `${overrides.account}/${overrides.id}`,
  region: "cn-north-4",
  name: overrides.id,
  phase: "running",
  vendorPhase: "Available",
  tags: {},
  nodePools: [],
  ...overrides,
});

const QA = target({
  provider: "huawei",
  account: "prod-hw",
  id: "c-qa",
  name: "qa-e2e",
  tags: { env: "qa" },
  nodePools: [{ id: "p1", name: "pool-1", desired: 3, ready: 3, phase: "stable", vendorPhase: "Active" }],
});
const BERLIN = target({ provider: "alibaba", account: "ali-dev", id: "c-berlin", name: "berlin-dev" });
const UNSCHEDULED = target({ provider: "baidu", account: "bd", id: "cce-free", name: "free" });
const CONTESTED = target({ provider: "huawei", account: "prod-hw", id: "c-both", tags: { env: "both" } });
const inventory: Inventory = { targets: [QA, BERLIN, UNSCHEDULED, CONTESTED], errors: [] };

const schedule = (fields: Partial<Schedule> & Pick<Schedule, "name">): Schedule =>
  testSchedule({ graceMinutes: 60, minDwellMinutes: 30, ...fields });

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"] as const;
const schedules: Schedule[] = [
  schedule({
    name: "qa-weeknights",
    targets: [{ accounts: ["prod-hw"], tags: { env: "qa" } }],
    rules: [
      { to: "asleep", days: WEEKDAYS, at: "20:00" },
      { to: "awake", days: WEEKDAYS, at: "08:00" },
    ],
  }),
  schedule({
    name: "berlin-evenings",
    timezone: "Europe/Berlin",
    mode: "nodes",
    releaseNodes: true,
    targets: [{ accounts: ["ali-dev"] }],
    rules: [
      { to: "asleep", days: WEEKDAYS, at: "19:00" },
      { to: "awake", days: WEEKDAYS, at: "07:00" },
    ],
  }),
  // The kill switch: a disabled schedule claims nothing, though its selector matches the QA cluster.
  schedule({
    name: "switched-off",
    enabled: false,
    targets: [{ accounts: ["prod-hw"] }],
    rules: [{ to: "asleep", days: ["sat"], at: "00:00" }],
  }),
  // Two enabled schedules over one cluster: no plan, no next transition, until made exclusive.
  schedule({
    name: "both-a",
    targets: [{ tags: { env: "both" } }],
    rules: [{ to: "asleep", days: WEEKDAYS, at: "21:00" }],
  }),
  schedule({
    name: "both-b",
    targets: [{ clusterIds: ["c-both"] }],
    rules: [{ to: "asleep", days: WEEKDAYS, at: "22:00" }],
  }),
];

/** Every answer's fields, loosely: each test states the exact shape it expects of the one it reads. */
interface Answer {
  error: { code: string; message: string; details: Record<string, unknown> };
  from: string;
  to: string;
  transitions: Array<{ target: string; schedule: string; to: string; at: string; local: string }>;
  skipped: Array<{ target: string; status: string; schedules: string[]; message: string }>;
  targets: Array<Target & { schedules: string[]; state: unknown; next: unknown }>;
  operations: Array<{ id: string }>;
  finished: string[];
  target: string;
  snoozeUntil: string;
  warnings: Array<Record<string, unknown>>;
}

function setup(
  now: () => Date = () => NOW,
  fleet: { schedules: Schedule[]; calendars: Map<string, Calendar> } = {
    schedules,
    calendars: new Map(),
  },
) {
  const store = createStore(memoryBackend());
  const app = createApp({
    host: "node",
    log: createLogger({ write: () => {} }),
    now,
    adminToken: TOKEN,
    inventory: async () => inventory,
    store,
    ...fleet,
  });
  const request = (
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    app.request(path, {
      method: init.method ?? "GET",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...init.headers },
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
    });
  const json = async (path: string, init?: Parameters<typeof request>[1]) => {
    const response = await request(path, init);
    return { status: response.status, headers: response.headers, body: (await response.json()) as Answer };
  };
  return { store, request, json };
}

describe("GET /api/plan", () => {
  it("lists each scheduled target's transitions in the window, in local time and UTC", async () => {
    const { json } = setup();
    const from = encodeURIComponent("2026-11-23T00:00:00+08:00");
    const to = encodeURIComponent("2026-11-24T00:00:00+08:00");
    const { status, body } = await json(`/api/plan?from=${from}&to=${to}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      from: "2026-11-22T16:00:00.000Z",
      to: "2026-11-23T16:00:00.000Z",
      transitions: [
        {
          target: "prod-hw/c-qa",
          provider: "huawei",
          name: "qa-e2e",
          schedule: "qa-weeknights",
          to: "awake",
          at: "2026-11-23T00:00:00.000Z",
          local: "2026-11-23 08:00 Asia/Shanghai",
          cause: "rule",
        },
        {
          target: "ali-dev/c-berlin",
          provider: "alibaba",
          name: "berlin-dev",
          schedule: "berlin-evenings",
          to: "awake",
          at: "2026-11-23T06:00:00.000Z",
          local: "2026-11-23 07:00 Europe/Berlin",
          cause: "rule",
        },
        {
          target: "prod-hw/c-qa",
          provider: "huawei",
          name: "qa-e2e",
          schedule: "qa-weeknights",
          to: "asleep",
          at: "2026-11-23T12:00:00.000Z",
          local: "2026-11-23 20:00 Asia/Shanghai",
          cause: "rule",
        },
      ],
      skipped: [
        {
          target: "prod-hw/c-both",
          provider: "huawei",
          name: "c-both",
          status: "several-schedules",
          schedules: ["both-a", "both-b"],
          message: "matched by both-a, both-b; make the selectors exclusive (or disable all but one)",
        },
      ],
      warnings: [],
    });
  });

  it("skips a target two enabled schedules match, naming them, as the tick does (ownership.ts)", async () => {
    const { json } = setup();
    const { body } = await json("/api/plan?from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z");
    expect(body.transitions.filter((t) => t.target === "prod-hw/c-both")).toEqual([]);
    expect(body.skipped).toEqual([
      expect.objectContaining({ target: "prod-hw/c-both", status: "several-schedules" }),
    ]);
    const decisions = decideTick({
      now: new Date("2026-11-23T13:05:00Z"),
      schedules,
      calendars: new Map(),
      targets: [CONTESTED],
      states: new Map(),
    });
    expect(decisions).toEqual([
      {
        kind: "skip",
        targetId: "prod-hw/c-both",
        reason: "several-schedules",
        detail: body.skipped[0]!.message,
      },
    ]);
  });

  it("warns when a schedule's calendar runs out of official data, and keeps New Year's Day 2027 a holiday", async () => {
    const office = schedule({
      name: "qa-office",
      targets: [{ accounts: ["prod-hw"], tags: { env: "qa" } }],
      rules: [{ to: "awake", days: WEEKDAYS, at: "08:30" }],
      calendars: [{ builtin: "cn-mainland" }],
      holidays: "asleep",
    });
    const { json } = setup(() => new Date("2026-12-06T02:00:00Z"), {
      schedules: [office],
      calendars: new Map([["cn-mainland", builtinCalendar("cn-mainland")]]),
    });
    const from = encodeURIComponent("2026-12-31T00:00:00+08:00");
    const to = encodeURIComponent("2027-01-03T00:00:00+08:00");
    const { status, body } = await json(`/api/plan?from=${from}&to=${to}`);
    expect(status).toBe(200);
    expect(body.transitions.map((t) => `${t.to} ${t.local}`)).toEqual([
      "awake 2026-12-31 08:30 Asia/Shanghai",
      "asleep 2027-01-01 00:00 Asia/Shanghai",
    ]);
    expect(body.warnings).toEqual([
      expect.objectContaining({
        schedule: "qa-office",
        calendar: "cn-mainland",
        lastCovered: "2026-12-31",
        firstUncovered: "2027-01-01",
        provisional: true,
        message: expect.stringContaining("this plan reaches 2027-01-03; from 2027-01-01 it uses provisional"),
      }),
    ]);
  });

  it("follows daylight saving: the same local 07:00 is 06:00Z before the change and 05:00Z after", async () => {
    const { json } = setup();
    const { body } = await json("/api/plan?from=2026-03-27T00:00:00%2B01:00&to=2026-03-31T00:00:00%2B02:00");
    const berlin = (body.transitions as Array<{ target: string; to: string; at: string; local: string }>)
      .filter((t) => t.target === "ali-dev/c-berlin")
      .map((t) => `${t.to} ${t.local} ${t.at}`);
    expect(berlin).toEqual([
      "awake 2026-03-27 07:00 Europe/Berlin 2026-03-27T06:00:00.000Z",
      "asleep 2026-03-27 19:00 Europe/Berlin 2026-03-27T18:00:00.000Z",
      "awake 2026-03-30 07:00 Europe/Berlin 2026-03-30T05:00:00.000Z",
      "asleep 2026-03-30 19:00 Europe/Berlin 2026-03-30T17:00:00.000Z",
    ]);
  });

  it("defaults to the next 7 days from now", async () => {
    const { json } = setup();
    const { status, body } = await json("/api/plan");
    expect(status).toBe(200);
    expect(body.from).toBe(NOW.toISOString());
    expect(body.to).toBe("2026-11-30T10:00:00.000Z");
    const qa = body.transitions.filter((t: { target: string }) => t.target === "prod-hw/c-qa");
    // Monday 18:00 to the next Monday 18:00 Shanghai: Monday's sleep, Tuesday to Friday's wakes
    // and sleeps, and the next Monday's wake.
    expect(qa.map((t: { at: string }) => t.at)).toEqual([
      "2026-11-23T12:00:00.000Z",
      "2026-11-24T00:00:00.000Z",
      "2026-11-24T12:00:00.000Z",
      "2026-11-25T00:00:00.000Z",
      "2026-11-25T12:00:00.000Z",
      "2026-11-26T00:00:00.000Z",
      "2026-11-26T12:00:00.000Z",
      "2026-11-27T00:00:00.000Z",
      "2026-11-27T12:00:00.000Z",
      "2026-11-30T00:00:00.000Z",
    ]);
    // Neither the disabled schedule nor the contested cluster appears.
    expect(body.transitions.some((t: { schedule: string }) => t.schedule === "switched-off")).toBe(false);
    expect(body.transitions.some((t: { target: string }) => t.target === "prod-hw/c-both")).toBe(false);
  });

  it("refuses a window it cannot read, or one that is backwards or longer than 31 days", async () => {
    const { json } = setup();
    const cases: Array<[string, string, string]> = [
      [
        "from=yesterday",
        "from",
        'from must be an ISO-8601 time with an offset, e.g. 2026-11-22T08:00:00+08:00 or 2026-11-22T00:00:00Z (got "yesterday")',
      ],
      ["from=2026-11-23T00:00:00Z&to=soon", "to", "to must be an ISO-8601 time with an offset"],
      // No offset: the host's time zone would decide what it means.
      [
        "from=2026-11-23T00:00:00",
        "from",
        "from needs an offset after the time: Z for UTC or ±HH:MM, e.g. 2026-11-23T00:00:00Z or 2026-11-23T00:00:00+08:00",
      ],
      ["from=2026-11-23", "from", "from needs a time of day and an offset, e.g. 2026-11-23T00:00:00+08:00"],
      ["from=2026-02-30T00:00:00Z", "from", "from names a day that does not exist"],
      ["from=2026-11-23T25:00:00Z", "from", "from has a time of day or offset out of range"],
      // An unencoded "+" in a query string is a space.
      [
        "from=2026-12-06T10:00:00+08:00",
        "from",
        'from has a space where its offset\'s "+" belongs (got "2026-12-06T10:00:00 08:00"): in a URL query string "+" means a space, so write it as %2B (e.g. 2026-12-06T10:00:00%2B08:00) or give the time in UTC with Z',
      ],
      // The same rule as a snooze's until: 24:00 is refused, saying what to write instead.
      ["from=2026-11-23T24:00:00Z", "from", "from must not use 24:00; write 00:00 of the next day instead"],
    ];
    for (const [query, field, message] of cases) {
      const { status, body } = await json(`/api/plan?${query}`);
      expect(status, query).toBe(400);
      expect(body.error).toEqual({
        code: "invalid_window",
        message: expect.stringContaining(message),
        details: { field, issues: [body.error.message] },
      });
    }
    const refused: Array<[string, string]> = [
      [
        "from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z",
        "to (2026-11-23T00:00:00.000Z) must be after from (2026-11-24T00:00:00.000Z)",
      ],
      ["from=2026-11-23T00:00:00Z&to=2026-11-23T00:00:00Z", "must be after from"],
      [
        "from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:01Z",
        "the window may span at most 31 days; to may be 2026-12-02T00:00:00.000Z at the latest",
      ],
    ];
    for (const [query, message] of refused) {
      const { status, body } = await json(`/api/plan?${query}`);
      expect(status, query).toBe(400);
      expect(body.error).toMatchObject({
        code: "invalid_window",
        message: expect.stringContaining(message),
        details: { field: "to" },
      });
    }
    const encoded = await json("/api/plan?from=2026-12-06T10:00:00%2B08:00");
    expect(encoded.status).toBe(200);
    const longest = await json("/api/plan?from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:00Z");
    expect(longest.status).toBe(200);
  });
});

describe("GET /api/targets", () => {
  it("adds each target's schedules, stored state and next transition", async () => {
    const { json, store } = setup();
    await store.targets.put(
      "prod-hw/c-qa",
      {
        lastTransition: {
          to: "awake",
          at: "2026-11-23T00:00:00.000Z",
          slot: "qa-weeknights:awake:2026-11-23T08:00",
          by: "schedule",
        },
      },
      null,
      NOW,
    );
    const { status, body } = await json("/api/targets");
    expect(status).toBe(200);
    const byId = new Map(body.targets.map((t: { targetId: string }) => [t.targetId, t]));
    expect(byId.get("prod-hw/c-qa")).toEqual({
      ...QA,
      schedules: ["qa-weeknights"],
      ownership: { status: "owned", schedule: "qa-weeknights" },
      state: {
        lastTransition: {
          to: "awake",
          at: "2026-11-23T00:00:00.000Z",
          slot: "qa-weeknights:awake:2026-11-23T08:00",
          by: "schedule",
        },
      },
      next: {
        to: "asleep",
        at: "2026-11-23T12:00:00.000Z",
        local: { date: "2026-11-23", time: "20:00", weekday: "mon", timezone: "Asia/Shanghai" },
        schedule: "qa-weeknights",
      },
    });
    expect(byId.get("ali-dev/c-berlin")).toMatchObject({
      schedules: ["berlin-evenings"],
      state: null,
      next: { to: "asleep", at: "2026-11-23T18:00:00.000Z", schedule: "berlin-evenings" },
    });
    expect(byId.get("bd/cce-free")).toMatchObject({ schedules: [], state: null, next: null });
    expect(byId.get("bd/cce-free")).toMatchObject({ ownership: { status: "unmatched" } });
    expect(byId.get("prod-hw/c-both")).toMatchObject({
      schedules: ["both-a", "both-b"],
      ownership: {
        status: "several-schedules",
        schedules: ["both-a", "both-b"],
        message: "matched by both-a, both-b; make the selectors exclusive (or disable all but one)",
      },
      next: null,
    });
  });
});

describe("GET /api/operations", () => {
  async function seed(store: Store) {
    const ops: Array<[string, string, OperationStatus]> = [
      ["qa-weeknights:asleep:2026-11-20T20:00@prod-hw/c-qa", "prod-hw/c-qa", "succeeded"],
      ["qa-weeknights:awake:2026-11-23T08:00@prod-hw/c-qa", "prod-hw/c-qa", "failed"],
      ["berlin-evenings:awake:2026-11-23T07:00@ali-dev/c-berlin", "ali-dev/c-berlin", "running"],
      ["qa-weeknights:asleep:2026-11-23T20:00@prod-hw/c-qa", "prod-hw/c-qa", "waiting"],
    ];
    for (const [index, [id, targetId, status]] of ops.entries()) {
      const at = new Date(NOW.getTime() - (ops.length - index) * 60_000);
      const { operation } = await store.operations.create(
        { id, target: targetId, kind: id.includes(":asleep:") ? "sleep" : "wake", step: "start", data: {} },
        { now: at },
      );
      if (status !== "pending") await store.operations.update(id, operation.version, { status }, { now: at });
    }
    return ops.map(([id]) => id);
  }

  it("filters by status (comma-separated) and by target", async () => {
    const { json, store } = setup();
    const ids = await seed(store);
    const idsOf = async (query: string) => {
      const { status, body } = await json(`/api/operations${query}`);
      expect(status, query).toBe(200);
      expect(body.finished).toEqual(["succeeded", "failed", "cancelled"]);
      return body.operations.map((o: { id: string }) => o.id);
    };
    expect(await idsOf("")).toEqual(ids);
    expect(await idsOf("?status=succeeded")).toEqual([ids[0]]);
    expect(await idsOf("?status=running,waiting")).toEqual([ids[2], ids[3]]);
    expect(await idsOf(`?target=${encodeURIComponent("prod-hw/c-qa")}`)).toEqual([ids[0], ids[1], ids[3]]);
    expect(await idsOf(`?target=${encodeURIComponent("prod-hw/c-qa")}&status=failed,waiting`)).toEqual([
      ids[1],
      ids[3],
    ]);
    expect(await idsOf("?target=nobody/none")).toEqual([]);
    // limit keeps the most recent, listed oldest first.
    expect(await idsOf("?limit=2")).toEqual([ids[2], ids[3]]);
  });

  it("shows an operation without the ledger entries still pending in it (those are the ledger's)", async () => {
    const { json, store } = setup();
    const [id] = await seed(store);
    const op = (await store.operations.get(id!, NOW))!;
    const entry = { key: `${id}:0:2:0`, at: NOW.toISOString(), operationId: id!, target: op.target };
    const pending = [{ ...entry, kind: "sleep.succeeded", detail: {} }];
    expect(
      (await store.operations.update(id!, op.version, { ledgerPending: pending }, { now: NOW })).ok,
    ).toBe(true);
    const { body } = await json("/api/operations?status=succeeded");
    expect(body.operations).toHaveLength(1);
    expect(body.operations[0]).toMatchObject({ id, status: "succeeded" });
    expect(body.operations[0]).not.toHaveProperty("ledgerPending");
  });

  it("refuses an unknown status or a bad limit, naming the allowed values", async () => {
    const { json } = setup();
    const typo = await json("/api/operations?status=succeeded,succeded");
    expect(typo.status).toBe(400);
    expect(typo.body.error).toEqual({
      code: "invalid_status",
      message:
        'unknown status "succeded"; give one or more of pending, running, waiting, succeeded, failed, cancelled, comma-separated',
      details: {
        field: "status",
        issues: [
          'unknown status "succeded"; give one or more of pending, running, waiting, succeeded, failed, cancelled, comma-separated',
        ],
      },
    });
    for (const limit of ["0", "-5", "1001", "ten", "2.5"]) {
      const { status, body } = await json(`/api/operations?limit=${limit}`);
      expect(status, limit).toBe(400);
      expect(body.error).toMatchObject({ code: "invalid_limit", details: { field: "limit" } });
    }
  });
});

describe("POST /api/targets/{id}/snooze", () => {
  it("holds a target's sleeps for some minutes; the id's slash may be sent raw", async () => {
    const { json, store } = setup();
    const { status, body } = await json("/api/targets/prod-hw/c-qa/snooze", {
      method: "POST",
      body: { minutes: 90 },
    });
    expect(status).toBe(200);
    expect(body).toEqual({ target: "prod-hw/c-qa", snoozeUntil: "2026-11-23T11:30:00.000Z" });
    expect((await store.targets.get("prod-hw/c-qa", NOW))?.value).toMatchObject({
      snoozeUntil: "2026-11-23T11:30:00.000Z",
    });
    const ledger = await store.ledger.query({ target: "prod-hw/c-qa" });
    expect(ledger.map((e) => [e.kind, e.detail])).toEqual([
      ["target.snoozed", { until: "2026-11-23T11:30:00.000Z" }],
    ]);
  });

  it("holds until a given time; the id's slash may be sent as %2F", async () => {
    const { json, store } = setup();
    const { status, body } = await json("/api/targets/ali-dev%2Fc-berlin/snooze", {
      method: "POST",
      body: { until: "2026-11-23T22:30:00+08:00" },
    });
    expect(status).toBe(200);
    expect(body).toEqual({ target: "ali-dev/c-berlin", snoozeUntil: "2026-11-23T14:30:00.000Z" });
    expect((await store.targets.get("ali-dev/c-berlin", NOW))?.value.snoozeUntil).toBe(
      "2026-11-23T14:30:00.000Z",
    );
  });

  it("refuses both, neither, too long, the past, and non-JSON, saying what to send", async () => {
    const { json, store } = setup();
    const cases: Array<[unknown, string, string]> = [
      [{ minutes: 30, until: "2026-11-23T22:30:00+08:00" }, "body", "not both and not neither"],
      [{}, "body", "not both and not neither"],
      [
        { minutes: 7 * 24 * 60 + 1 },
        "minutes",
        "a snooze may last at most 7 days (10080 minutes); got 10081",
      ],
      // Beyond the safe integers: the cap is what is wrong, not the wholeness.
      [{ minutes: 1e21 }, "minutes", "a snooze may last at most 7 days (10080 minutes); got 1e+21"],
      [{ minutes: 0 }, "minutes", "a snooze must last at least 1 minute; got 0"],
      [{ minutes: 1.5 }, "minutes", "minutes must be whole minutes, e.g. 2; got 1.5"],
      [{ minutes: "90" }, "minutes", 'minutes must be a number of minutes, e.g. 90, not a string (got "90")'],
      [{ minute: 90 }, "minute", 'unknown field "minute"; give "minutes" or "until"'],
      [
        { until: "2026-12-01T00:00:00Z" },
        "until",
        "a snooze may last at most 7 days (10080 minutes): until may be 2026-11-30T10:00:00.000Z at the latest",
      ],
      [{ until: "2026-11-23T09:00:00Z" }, "until", "in the future"],
      [{ until: "tonight" }, "until", "until must be an ISO-8601 time with an offset"],
      [{ until: 1764000000 }, "until", "until must be a string"],
      [
        { until: "2026-11-23T24:00:00+08:00" },
        "until",
        "until must not use 24:00; write 00:00 of the next day instead",
      ],
    ];
    for (const [body, field, message] of cases) {
      const response = await json("/api/targets/prod-hw/c-qa/snooze", { method: "POST", body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error, JSON.stringify(body)).toMatchObject({
        code: "invalid_snooze",
        message: expect.stringContaining(message),
        details: { field },
      });
    }
    const notJson = await json("/api/targets/prod-hw/c-qa/snooze", { method: "POST", body: "minutes=90" });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatchObject({
      code: "invalid_json",
      message: expect.stringContaining("the body is not valid JSON"),
    });
    const empty = await json("/api/targets/prod-hw/c-qa/snooze", { method: "POST", body: "" });
    expect(empty.body.error).toMatchObject({
      code: "invalid_json",
      message: expect.stringContaining("the body is empty"),
    });
    const array = await json("/api/targets/prod-hw/c-qa/snooze", { method: "POST", body: [90] });
    expect(array.body.error).toMatchObject({
      code: "invalid_snooze",
      message: expect.stringContaining("a JSON object"),
    });
    // JSON sent as a form or as text: the Content-Type is named as the problem.
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const wrongType = await json("/api/targets/prod-hw/c-qa/snooze", {
        method: "POST",
        body: { minutes: 90 },
        headers: { "Content-Type": type },
      });
      expect(wrongType.status, type).toBe(415);
      expect(wrongType.body.error).toEqual({
        code: "unsupported_media_type",
        message: `the body must be JSON sent with Content-Type: application/json (got "${type}")`,
        details: { header: "Content-Type" },
      });
    }
    // Nothing refused was stored.
    expect(await store.targets.get("prod-hw/c-qa", NOW)).toBeUndefined();
  });

  it("answers 404 for a target not in the inventory, without double-decoding its id", async () => {
    const { json } = setup();
    for (const [path, id] of [
      ["/api/targets/prod-hw/c-nope/snooze", "prod-hw/c-nope"],
      // %25 is a literal "%": "prod-hw%2Fc-qa" is not the id "prod-hw/c-qa".
      ["/api/targets/prod-hw%252Fc-qa/snooze", "prod-hw%2Fc-qa"],
      // A stray "%" is just a character of an unknown id, never a 500.
      ["/api/targets/prod-hw/c%E0%A4%A/snooze", "prod-hw/c%E0%A4%A"],
    ] as const) {
      const { status, body } = await json(path, { method: "POST", body: { minutes: 30 } });
      expect(status, path).toBe(404);
      expect(body.error).toMatchObject({
        code: "unknown_target",
        message: expect.stringContaining(`no target "${id}"`),
      });
    }
  });

  it("replays a retry with the same Idempotency-Key, and refuses the key with another body", async () => {
    let clock = NOW;
    const { request, store } = setup(() => clock);
    const send = (body: unknown) =>
      request("/api/targets/prod-hw/c-qa/snooze", {
        method: "POST",
        body,
        headers: { "Idempotency-Key": '"snooze-qa-1"' },
      });
    const first = await send({ minutes: 60 });
    expect(first.status).toBe(200);
    const firstBody = await first.text();
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();

    // A minute later the same request would compute a later snoozeUntil; the replay is the original.
    clock = new Date(NOW.getTime() + 60_000);
    const retry = await send({ minutes: 60 });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await retry.text()).toBe(firstBody);
    expect(JSON.parse(firstBody)).toEqual({
      target: "prod-hw/c-qa",
      snoozeUntil: "2026-11-23T11:00:00.000Z",
    });

    const reused = await send({ minutes: 120 });
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ error: { code: "idempotency_key_reused" } });

    // Acted once: one ledger entry, the first snooze stands.
    expect(await store.ledger.query({ target: "prod-hw/c-qa" })).toHaveLength(1);
    expect((await store.targets.get("prod-hw/c-qa", clock))?.value.snoozeUntil).toBe(
      "2026-11-23T11:00:00.000Z",
    );
  });

  it("makes the tick defer the sleep until the snooze ends, keeping the target's history", async () => {
    const { json, store } = setup();
    const lastTransition = {
      to: "awake" as const,
      at: "2026-11-23T00:00:00.000Z",
      slot: "qa-weeknights:awake:2026-11-23T08:00",
      by: "schedule" as const,
    };
    await store.targets.put("prod-hw/c-qa", { lastTransition }, null, NOW);
    // Snooze past the 20:00 sleep, to 21:00 Shanghai.
    const snoozed = await json("/api/targets/prod-hw%2Fc-qa/snooze", {
      method: "POST",
      body: { until: "2026-11-23T21:00:00+08:00" },
    });
    expect(snoozed.status).toBe(200);

    const stored = (await store.targets.get("prod-hw/c-qa", NOW))!.value;
    expect(stored).toMatchObject({ lastTransition, snoozeUntil: "2026-11-23T13:00:00.000Z" });
    const facts: TargetFacts = {
      targetId: QA.targetId,
      provider: QA.provider,
      account: QA.account,
      region: QA.region,
      id: QA.id,
      name: QA.name,
      tags: QA.tags,
    };
    const decide = (at: string) =>
      decideTick({
        now: new Date(at),
        schedules,
        calendars: new Map(),
        targets: [facts],
        states: new Map([["prod-hw/c-qa", stored]]),
      });

    // 20:05 Shanghai: the sleep is due, but snoozed until 21:00.
    expect(decide("2026-11-23T12:05:00Z")).toEqual([
      expect.objectContaining({
        kind: "defer",
        targetId: "prod-hw/c-qa",
        reason: "snoozed",
        until: new Date("2026-11-23T13:00:00.000Z"),
        transition: expect.objectContaining({ to: "asleep", slot: "qa-weeknights:asleep:2026-11-23T20:00" }),
      }),
    ]);
    // 21:05: the snooze is over, and lateness counts from its end: the sleep goes ahead.
    expect(decide("2026-11-23T13:05:00Z")).toEqual([
      expect.objectContaining({
        kind: "act",
        operationId: "qa-weeknights:asleep:2026-11-23T20:00@prod-hw/c-qa",
      }),
    ]);
  });
});
