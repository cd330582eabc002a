// GET /api/openapi.json: a valid OpenAPI 3.1 document (checked by a maintained validator), and every
// answer it documents is the real one: each route is called in each documented case (every error
// code of every status, and its success), the real body is validated against the schema the
// document gives for that route and status, and every documented (route, status, code) must have
// been seen. Node only: ajv compiles validators with `new Function`, which workerd forbids.
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import type { VaultKeySetting, WebhookCredentials } from "../shared/config/config.ts";
import type { AcceptEvents } from "../shared/events/inbound.ts";
import { createVault, importVaultKeys } from "../shared/kubeconfig/vault.ts";
import { createLogger } from "../shared/log/logger.ts";
import type { Inventory, Target } from "../shared/providers/inventory.ts";
import { compileRenewal, RenewalDocument } from "../shared/renewal/renewal-schema.ts";
import { createRenewalServices, type RenewalServices } from "../shared/renewal/services.ts";
import { signWebhook } from "../shared/signer/webhooks.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore, type Store } from "../shared/store/store.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { type AppDeps, createApp } from "./app.ts";
import { API_BODY_LIMIT, WEBHOOK_BODY_LIMIT } from "./request-body.ts";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const TOKEN = "openapi-admin-token-0123456789abcdef";
const NOW = new Date("2026-11-23T10:00:00Z");
const KEY: VaultKeySetting = { id: "k-new", key: btoa(String.fromCharCode(...new Array(32).fill(7))) };
const OLD_KEY: VaultKeySetting = { id: "k-old", key: btoa(String.fromCharCode(...new Array(32).fill(3))) };
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const CREDENTIALS: WebhookCredentials = {
  alertmanager: { tokens: ["alertmanager-token-0123456789abcdef"] },
  events: { secrets: [SECRET] },
  eventbridge: { header: "x-api-key", apiKeys: ["eventbridge-key-0123456789abcdef"] },
};
const NO_CREDENTIALS: WebhookCredentials = {
  alertmanager: { tokens: [] },
  events: { secrets: [] },
  eventbridge: { header: "x-api-key", apiKeys: [] },
};

function target(account: string, id: string, provider: Target["provider"]): Target {
  return {
    targetId: `${account}/${id}`,
    provider,
    account,
    region: "cn-hangzhou",
    id,
    name: id,
    phase: "running",
    vendorPhase: "running",
    tags: {},
    nodePools: [{ id: "p1", name: "workers", desired: 2, ready: 2, phase: "stable", vendorPhase: "active" }],
  };
}
const ALI = target("ali", "c1", "alibaba");
const HW = target("hw", "c2", "huawei");
const INVENTORY: Inventory = { targets: [ALI, HW], errors: [], listedAt: NOW.toISOString() };
// Monday 18:00 in Shanghai: the Alibaba target's schedule sleeps at 20:00; the Huawei one has none.
const SCHEDULES = [
  testSchedule({
    name: "ack",
    targets: [{ providers: ["alibaba"] }],
    rules: [
      { to: "asleep", days: ["mon", "tue", "wed", "thu", "fri"], at: "20:00" },
      { to: "awake", days: ["mon", "tue", "wed", "thu", "fri"], at: "08:00" },
    ],
  }),
];
const RENEWALS = [
  compileRenewal(
    RenewalDocument.parse({
      kind: "renewal",
      name: "ack-ci",
      targets: [{ providers: ["alibaba"] }],
      duration: "60m",
    }),
    "openapi-test.yaml",
  ),
];

/** Holds the next inventory, vault or schedule-pause read until released: a request still running, for a second one to meet. */
class Gate {
  private held?: { reached: () => void; released: Promise<void> };
  /** Arms the gate: `reached` settles when a request arrives at it, `release` lets it through. */
  arm() {
    let reached!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((r) => (reached = r));
    this.held = { reached, released: new Promise<void>((r) => (release = r)) };
    return { arrived, release };
  }
  async pass() {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    held.reached();
    await held.released;
  }
}

/** A store whose every call fails (the database is down): what any route answers 500 to. */
function brokenStore(): Store {
  const down = () => {
    throw new Error("the store is unreachable");
  };
  return new Proxy(createStore(memoryBackend()), {
    get: (store, name) =>
      name === "backend" ? store.backend : new Proxy({}, { get: () => async () => down() }),
  }) as Store;
}

type Variant =
  | "full"
  | "noToken"
  | "noRenewal"
  | "noKeys"
  | "broken"
  | "conflict"
  | "noWebhooks"
  | "noAccept"
  | "acceptFails";

function makeApp(variant: Variant, gate: Gate) {
  const memory = createStore(memoryBackend());
  // A pause or resume reads its schedule's record first: where a request still running waits.
  const schedulePauses: Store["schedulePauses"] = {
    ...memory.schedulePauses,
    get: async (key, now) => {
      await gate.pass();
      return memory.schedulePauses.get(key, now);
    },
  };
  let store: Store = { ...memory, schedulePauses };
  if (variant === "broken") store = brokenStore();
  // Every compare-and-set loses: someone else keeps writing the record.
  if (variant === "conflict")
    store = {
      ...memory,
      targets: { ...memory.targets, put: async () => undefined },
      schedulePauses: { ...schedulePauses, put: async () => undefined },
    };
  const base = createRenewalServices({
    vaultKeys: variant === "noKeys" ? [] : [KEY],
    namedSecrets: {},
    fetch,
    now: () => NOW,
  });
  const services: RenewalServices = {
    ...base,
    vault: async (s) => {
      if (variant === "broken") throw new Error("the vault's store is unreachable");
      await gate.pass();
      return base.vault(s);
    },
  };
  const seen = new Set<string>();
  const accept: AcceptEvents = async (events) => {
    if (variant === "acceptFails") throw new Error("D1_ERROR: unreachable");
    return events.map((event) => {
      const status = seen.has(event.id) ? ("duplicate" as const) : ("accepted" as const);
      seen.add(event.id);
      return { id: event.id, status, operations: [] };
    });
  };
  const deps: AppDeps = {
    host: "node",
    log: createLogger({ write: () => {} }),
    now: () => NOW,
    inventory: async () => {
      if (variant === "broken") throw new Error("the clouds are unreachable");
      await gate.pass();
      return INVENTORY;
    },
    store,
    schedules: SCHEDULES,
    calendars: new Map(),
    ...(variant === "noToken" ? {} : { adminToken: TOKEN }),
    renewals: RENEWALS,
    ...(variant === "noRenewal" ? {} : { renewal: services }),
    webhooks: variant === "noWebhooks" ? NO_CREDENTIALS : CREDENTIALS,
    ...(variant === "noAccept" ? {} : { accept }),
  };
  return { app: createApp(deps), store: memory };
}

// biome-ignore lint/suspicious/noExplicitAny: the document is JSON read back
type Json = any;
let document: Json;
let ajv: Ajv2020;
const seen = new Set<string>();
const apps = new Map<Variant, ReturnType<typeof makeApp>>();
const gate = new Gate();

const app = (variant: Variant) => {
  if (!apps.has(variant)) apps.set(variant, makeApp(variant, gate));
  return apps.get(variant)!;
};

/** The document's path template for a real path (`{id}` may hold a slash). */
function templateOf(path: string): string {
  const pathname = path.split("?")[0]!;
  const template = Object.keys(document.paths).find((t) =>
    new RegExp(`^${t.replaceAll(/\{\w+\}/g, ".+")}$`).test(pathname),
  );
  if (!template) throw new Error(`no documented path matches ${path}`);
  return template;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

/** Checks a real answer against the document: its status is documented, its body fits the schema. */
async function check(
  method: string,
  path: string,
  response: Response,
  expected: { status: number; code?: string },
) {
  const template = templateOf(path);
  const operation = document.paths[template][method.toLowerCase()];
  expect(operation, `${method} ${template}`).toBeDefined();
  const label = `${method} ${path}`;
  expect(response.status, label).toBe(expected.status);
  const documented = operation.responses[String(response.status)];
  expect(documented, `${label}: status ${response.status} is not documented`).toBeDefined();
  const [mediaType] = Object.keys(documented.content);
  expect(response.headers.get("content-type"), label).toContain(mediaType);
  const body = mediaType === "application/json" ? await response.json() : await response.text();
  const validate = ajv.getSchema(
    `openapi.json#/${pointer("paths", template, method.toLowerCase(), "responses", String(response.status), "content", mediaType!, "schema")}`,
  )!;
  expect(validate(body), `${label}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body)}`).toBe(
    true,
  );
  if (expected.code !== undefined) expect(body.error.code, label).toBe(expected.code);
  // The challenge a 401 documents: the admin token's scheme, or the schemes Alertmanager may use.
  if (response.status === 401 && (path.startsWith("/api/") || path === "/webhooks/alertmanager"))
    expect(response.headers.get("WWW-Authenticate"), label).toContain("Bearer");
  seen.add(`${method} ${template} ${response.status}${expected.code ? ` ${expected.code}` : ""}`);
  return body;
}

async function call(
  variant: Variant,
  method: string,
  path: string,
  expected: { status: number; code?: string },
  init: { body?: string; headers?: Record<string, string>; token?: string | null } = {},
) {
  const token = init.token === undefined ? TOKEN : init.token;
  const response = await app(variant).app.request(path, {
    method,
    headers: {
      ...(token && path.startsWith("/api/") ? { Authorization: `Bearer ${token}` } : {}),
      ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return check(method, path, response, expected);
}

/** A second request with the same Idempotency-Key while the first is still running: 409 in use. */
async function inUse(method: string, path: string, body?: string) {
  const key = { "Idempotency-Key": `"in-use-${method}-${path}"` };
  const { arrived, release } = gate.arm();
  const first = app("full").app.request(path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...key },
    ...(body !== undefined ? { body } : {}),
  });
  await arrived;
  const second = await app("full").app.request(path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...key },
    ...(body !== undefined ? { body } : {}),
  });
  expect(second.headers.get("Retry-After")).toMatch(/^\d+$/);
  await check(method, path, second, { status: 409, code: "idempotency_key_in_use" });
  release();
  await first;
}

/** Every way a POST's Idempotency-Key and body size can be refused. */
async function writeRefusals(path: string, body: string | undefined) {
  const withBody = body !== undefined ? { body } : {};
  await call(
    "full",
    "POST",
    path,
    { status: 400, code: "idempotency_key_invalid" },
    {
      ...withBody,
      headers: { "Idempotency-Key": "two,keys" },
    },
  );
  const key = { "Idempotency-Key": `"reused-${path}"` };
  await call(
    "full",
    "POST",
    path,
    { status: path.endsWith("/renew") ? 202 : 200 },
    { ...withBody, headers: key },
  );
  const other = body !== undefined ? { body: body.replace("90", "91") } : { body: "{}" };
  await call(
    "full",
    "POST",
    path,
    { status: 422, code: "idempotency_key_reused" },
    { ...other, headers: key },
  );
  await call(
    "full",
    "POST",
    path,
    { status: 413, code: "body_too_large" },
    { body: " ".repeat(API_BODY_LIMIT + 1) },
  );
  await inUse("POST", path, body);
}

const ADMIN_ROUTES: Array<[string, string]> = [
  ["GET", "/api/targets"],
  ["GET", "/api/plan"],
  ["GET", "/api/operations"],
  ["POST", "/api/targets/ali/c1/snooze"],
  ["GET", "/api/schedules"],
  ["POST", "/api/schedules/ack/pause"],
  ["POST", "/api/schedules/ack/resume"],
  ["GET", "/api/renewals"],
  ["GET", "/api/targets/ali/c1/renewal"],
  ["GET", "/api/targets/ali/c1/kubeconfig"],
  ["POST", "/api/targets/ali/c1/renew"],
  ["POST", "/api/vault/rotate"],
  ["GET", "/api/openapi.json"],
];

beforeAll(async () => {
  const response = await app("full").app.request("/api/openapi.json", {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  document = await response.json();
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, "openapi.json", undefined, false);
});

describe("GET /api/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document, by a maintained validator", async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("names every operation, tags it, and describes the bearer token, the servers and the webhooks", () => {
    expect(document.components.securitySchemes.adminToken).toMatchObject({ type: "http", scheme: "bearer" });
    expect(document.security).toEqual([{ adminToken: [] }]);
    expect(document.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Json>).map(([method, op]) => ({ path, method, op })),
    );
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of operations) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
    }
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/api/targets/{id}/snooze",
        "/api/schedules",
        "/api/schedules/{name}/pause",
        "/api/schedules/{name}/resume",
        "/webhooks/alertmanager",
        "/webhooks/events",
        "/webhooks/eventbridge",
      ]),
    );
    expect(document.paths["/webhooks/alertmanager"].post.security).toEqual([
      { alertmanagerToken: [] },
      { alertmanagerBasic: [] },
    ]);
    expect(document.components.schemas.SnoozeRequest.example).toEqual({ minutes: 90 });
    // The pause and resume bodies are optional (none, empty, or {}); a null the routes answer is
    // in the document (of a named schema or a typed time the generator can drop it).
    for (const verb of ["pause", "resume"])
      expect(document.paths[`/api/schedules/{name}/${verb}`].post.requestBody.required).toBe(false);
    expect(document.components.schemas.SchedulePause.properties.until.type).toEqual(["string", "null"]);
    expect(document.components.schemas.Targets.properties.listedAt.type).toEqual(["string", "null"]);
  });

  it("needs the admin token like the rest of /api", async () => {
    await call("full", "GET", "/api/openapi.json", { status: 401, code: "unauthorized" }, { token: null });
  });
});

describe("every documented answer is the real one", () => {
  it("the admin API: each route in each documented case", async () => {
    const { store } = app("full");
    for (const [method, path] of ADMIN_ROUTES) {
      await call(
        "full",
        method,
        path,
        { status: 401, code: "unauthorized" },
        { token: "wrong-token-0123456789abcdef" },
      );
      await call("noToken", method, path, { status: 503, code: "admin_disabled" });
      if (path !== "/api/openapi.json") {
        const body = path.endsWith("/snooze") ? '{"minutes": 90}' : undefined;
        await call("broken", method, path, { status: 500, code: "internal" }, body ? { body } : {});
      }
    }

    await call("full", "GET", "/api/targets", { status: 200 });
    await call("full", "GET", "/api/plan", { status: 200 });
    await call("full", "GET", "/api/plan?from=tomorrow", { status: 400, code: "invalid_window" });
    await call("full", "GET", "/api/plan?from=2026-11-01T00:00:00Z&to=2026-12-09T00:00:00Z", {
      status: 400,
      code: "invalid_window",
    });
    await call("full", "GET", "/api/operations?status=failed,waiting&limit=5", { status: 200 });
    await call("full", "GET", "/api/operations?status=done", { status: 400, code: "invalid_status" });
    await call("full", "GET", "/api/operations?limit=0", { status: 400, code: "invalid_limit" });
    await call("full", "GET", "/api/operations?target=a&target=b", { status: 400, code: "invalid_request" });
    const both = await call("full", "GET", "/api/operations?limit=x&status=done", {
      status: 400,
      code: "invalid_status",
    });
    // Every bad field is listed, each message naming its field; the code is the first one's.
    expect(both.error.details).toEqual({
      field: "status",
      issues: [
        expect.stringMatching(/^unknown status "done"/),
        'limit must be a whole number from 1 to 1000 (got "x")',
      ],
    });
    await call("full", "GET", "/api/openapi.json", { status: 200 });

    const snooze = "/api/targets/ali/c1/snooze";
    await call("full", "POST", snooze, { status: 200 }, { body: '{"minutes": 90}' });
    const invalid = await call(
      "full",
      "POST",
      snooze,
      { status: 400, code: "invalid_snooze" },
      {
        body: '{"minutes": 1.5, "hours": 2}',
      },
    );
    expect(invalid.error.details.issues).toEqual([
      "minutes must be whole minutes, e.g. 2; got 1.5",
      expect.stringContaining('unknown field "hours"'),
    ]);
    await call(
      "full",
      "POST",
      snooze,
      { status: 400, code: "invalid_snooze" },
      {
        body: '{"until": "2026-11-23T09:00:00Z"}',
      },
    );
    await call("full", "POST", snooze, { status: 400, code: "invalid_json" }, { body: "{minutes: 90" });
    await call(
      "full",
      "POST",
      snooze,
      { status: 415, code: "unsupported_media_type" },
      {
        body: '{"minutes": 90}',
        headers: { "Content-Type": "text/plain" },
      },
    );
    // JSON whose Content-Type our gate takes but the library's stricter one refuses: still our 415.
    await call(
      "full",
      "POST",
      snooze,
      { status: 415, code: "unsupported_media_type" },
      {
        body: '{"minutes": 90}',
        headers: { "Content-Type": "application/json ; charset=utf-8" },
      },
    );
    await call(
      "full",
      "POST",
      "/api/targets/ali/nope/snooze",
      { status: 404, code: "unknown_target" },
      {
        body: '{"minutes": 90}',
      },
    );
    await call("conflict", "POST", snooze, { status: 409, code: "conflict" }, { body: '{"minutes": 90}' });
    await writeRefusals(snooze, '{"minutes": 90}');

    // Schedules: list, pause (with a body, none at all, an empty JSON one), the pause as the
    // fleet and the list show it, resume; then every refusal.
    const pause = "/api/schedules/ack/pause";
    const resume = "/api/schedules/ack/resume";
    await call("full", "GET", "/api/schedules", { status: 200 });
    const paused = await call(
      "full",
      "POST",
      pause,
      { status: 200 },
      { body: '{"until": "2026-11-24T08:00:00+08:00", "reason": "release freeze"}' },
    );
    expect(paused).toEqual({
      schedule: "ack",
      paused: {
        since: NOW.toISOString(),
        until: "2026-11-24T00:00:00.000Z",
        reason: "release freeze",
        by: "admin API",
      },
      changed: true,
    });
    const fleet = await call("full", "GET", "/api/targets", { status: 200 });
    expect(fleet.targets[0].next.deferred).toEqual({ reason: "paused", until: "2026-11-24T00:00:00.000Z" });
    const schedules = await call("full", "GET", "/api/schedules", { status: 200 });
    expect(schedules.schedules[0]).toMatchObject({ name: "ack", targets: 1, paused: paused.paused });
    await call("full", "POST", resume, { status: 200 }, { body: '{"reason": "freeze over"}' });
    const bare = await call("full", "POST", pause, { status: 200 });
    expect(bare.paused).toMatchObject({ until: null, reason: null });
    await call("full", "POST", resume, { status: 200 }, { body: "" });
    await call("full", "POST", pause, { status: 200 }, { body: "{}" });
    const again = await call("full", "POST", resume, { status: 200 });
    expect(again).toEqual({ schedule: "ack", paused: null, changed: true });

    const refusedPause = await call(
      "full",
      "POST",
      pause,
      { status: 400, code: "invalid_pause" },
      { body: '{"until": "2026-11-24T08:00", "hours": 2}' },
    );
    expect(refusedPause.error.details).toEqual({
      field: "until",
      issues: [
        expect.stringContaining("until needs an offset"),
        expect.stringContaining('unknown field "hours"'),
      ],
    });
    // Readable, but not ahead: the rule's refusal, in the same shape.
    const past = await call(
      "full",
      "POST",
      pause,
      { status: 400, code: "invalid_pause" },
      { body: '{"until": "2026-11-23T09:00:00Z"}' },
    );
    expect(past.error.details).toEqual({
      field: "until",
      issues: ["until must be in the future (it is now 2026-11-23T10:00:00.000Z)"],
    });
    await call("full", "POST", resume, { status: 400, code: "invalid_pause" }, { body: '{"reason": 7}' });
    for (const path of [pause, resume]) {
      await call("full", "POST", path, { status: 400, code: "invalid_json" }, { body: "{reason" });
      await call(
        "full",
        "POST",
        path,
        { status: 415, code: "unsupported_media_type" },
        { body: "{}", headers: { "Content-Type": "text/plain" } },
      );
      const unknown = path.replace("/ack/", "/nightly/");
      await call("full", "POST", unknown, { status: 404, code: "unknown_schedule" });
    }
    await call("conflict", "POST", pause, { status: 409, code: "conflict" });
    // A resume has something to change only while a pause holds: one written before it.
    await app("conflict").store.schedulePauses.put(
      "ack",
      { pausedAt: NOW.toISOString(), by: "test", updatedAt: NOW.toISOString() },
      null,
      NOW,
    );
    await call("conflict", "POST", resume, { status: 409, code: "conflict" });
    await writeRefusals(pause, '{"reason": "freeze 90"}');
    await writeRefusals(resume, undefined);

    // Renewal: not configured, no vault key, then the real thing.
    const renewalRoutes: Array<[string, string]> = [
      ["GET", "/api/targets/ali/c1/kubeconfig"],
      ["POST", "/api/targets/ali/c1/renew"],
      ["POST", "/api/vault/rotate"],
    ];
    for (const [method, path] of renewalRoutes) {
      await call("noRenewal", method, path, { status: 503, code: "renewal_disabled" });
      if (!path.endsWith("/renew"))
        await call("noKeys", method, path, { status: 503, code: "vault_no_keys" });
    }
    await call("full", "GET", "/api/targets/ali/c1/renewal", { status: 404, code: "no_renewal" });
    await call("full", "POST", "/api/targets/ali/c1/renew", { status: 202 });
    await call("full", "GET", "/api/targets/ali/c1/renewal", { status: 200 });
    await call("full", "GET", "/api/renewals", { status: 200 });
    await call("full", "POST", "/api/targets/ali/nope/renew", { status: 404, code: "unknown_target" });
    await call("full", "POST", "/api/targets/hw/c2/renew", { status: 409, code: "not_renewed" });
    await writeRefusals("/api/targets/ali/c1/renew", undefined);

    await call("full", "GET", "/api/targets/ali/c1/kubeconfig", { status: 404, code: "no_kubeconfig" });
    const vault = createVault(store.secrets, await importVaultKeys([KEY]));
    await vault.put(
      "ali/c1",
      "apiVersion: v1\nkind: Config\n",
      { serial: "0a", notAfter: "2026-11-24T10:00:00Z" },
      NOW,
    );
    const kubeconfig = await call("full", "GET", "/api/targets/ali/c1/kubeconfig", { status: 200 });
    expect(kubeconfig).toBe("apiVersion: v1\nkind: Config\n");
    const old = createVault(store.secrets, await importVaultKeys([OLD_KEY]));
    await old.put("ali/c-old", "apiVersion: v1\n", {}, NOW);
    await call("full", "GET", "/api/targets/ali/c-old/kubeconfig", {
      status: 500,
      code: "vault_unknown_key",
    });
    // A record stored for another target does not decrypt as this one's.
    const slot = (await store.secrets.get("kubeconfig:ali/c1", NOW))!;
    await store.secrets.put("kubeconfig:ali/c-moved", slot.value, null, NOW);
    await call("full", "GET", "/api/targets/ali/c-moved/kubeconfig", {
      status: 500,
      code: "vault_undecryptable",
    });
    const rotated = await call("full", "POST", "/api/vault/rotate", { status: 200 });
    expect(rotated.failed).toEqual([expect.objectContaining({ targetId: "ali/c-old" })]);
    await writeRefusals("/api/vault/rotate", undefined);
  });

  it("the webhooks: each source in each documented case", async () => {
    const bodies: Record<string, () => Promise<{ body: string; headers: Record<string, string> }>> = {
      "/webhooks/alertmanager": async () => ({
        body: JSON.stringify({
          version: "4",
          groupKey: '{}:{alertname="QueueDepth"}',
          status: "firing",
          receiver: "nightshift",
          groupLabels: {},
          commonLabels: {},
          commonAnnotations: {},
          externalURL: "http://alertmanager:9093",
          alerts: [
            {
              status: "firing",
              labels: { alertname: "QueueDepth" },
              annotations: {},
              startsAt: "2026-11-23T09:59:00Z",
              endsAt: "0001-01-01T00:00:00Z",
              generatorURL: "http://prometheus:9090/graph",
              fingerprint: "f00d",
            },
          ],
        }),
        headers: { Authorization: "Bearer alertmanager-token-0123456789abcdef" },
      }),
      "/webhooks/events": async () => {
        const body = JSON.stringify({ type: "nodepool.resize", data: { size: 5 } });
        return { body, headers: { ...(await signWebhook([SECRET], { id: "msg_1", body, now: NOW })) } };
      },
      "/webhooks/eventbridge": async () => ({
        body: JSON.stringify({
          version: "0",
          id: "eb-1",
          "detail-type": "Nightly E2E Started",
          source: "com.example.ci",
          account: "123456789012",
          time: "2026-11-23T09:59:00Z",
          region: "eu-central-1",
          resources: [],
          detail: {},
        }),
        headers: { "x-api-key": "eventbridge-key-0123456789abcdef" },
      }),
    };
    for (const [path, make] of Object.entries(bodies)) {
      const { body, headers } = await make();
      await call("full", "POST", path, { status: 202 }, { body, headers });
      await call("full", "POST", path, { status: 200 }, { body, headers });
      await call("full", "POST", path, { status: 401, code: "unauthorized" }, { body });
      await call("noWebhooks", "POST", path, { status: 503, code: "webhook_disabled" }, { body, headers });
      await call("noAccept", "POST", path, { status: 503, code: "events_unavailable" }, { body, headers });
      await call(
        "acceptFails",
        "POST",
        path,
        { status: 503, code: "events_not_recorded" },
        { body, headers },
      );
      await call(
        "full",
        "POST",
        path,
        { status: 413, code: "body_too_large" },
        {
          body: " ".repeat(WEBHOOK_BODY_LIMIT + 1),
          headers,
        },
      );
      // The signature covers the body, so the refusals of a body are signed too.
      const signed = async (text: string) =>
        path === "/webhooks/events"
          ? { ...(await signWebhook([SECRET], { id: "msg_2", body: text, now: NOW })) }
          : headers;
      await call(
        "full",
        "POST",
        path,
        { status: 400, code: "invalid_json" },
        { body: "{", headers: await signed("{") },
      );
      await call(
        "full",
        "POST",
        path,
        { status: 400, code: "invalid_body" },
        { body: "{}", headers: await signed("{}") },
      );
      await call(
        "full",
        "POST",
        path,
        { status: 415, code: "unsupported_media_type" },
        {
          body,
          headers: { ...(await signed(body)), "Content-Type": "text/plain" },
        },
      );
    }
  });

  it("and nothing documented went unseen", () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Json>).flatMap(([method, op]) =>
        Object.entries(op.responses as Record<string, Json>).flatMap(([status, response]) => {
          const codes: string[] | undefined =
            response.content["application/json"]?.schema?.properties?.error?.properties?.code?.enum;
          return codes
            ? codes.map((code) => `${method.toUpperCase()} ${path} ${status} ${code}`)
            : [`${method.toUpperCase()} ${path} ${status}`];
        }),
      ),
    );
    // The catch-all (app.onError, one handler for every route) is seen on every route a failing
    // dependency reaches; the document and the webhooks read none before answering.
    const unreachable = [
      "GET /api/openapi.json 500 internal",
      "POST /webhooks/alertmanager 500 internal",
      "POST /webhooks/events 500 internal",
      "POST /webhooks/eventbridge 500 internal",
    ];
    expect(documented.filter((d) => !seen.has(d) && !unreachable.includes(d))).toEqual([]);
    expect([...seen].filter((s) => !documented.includes(s))).toEqual([]);
  });
});
