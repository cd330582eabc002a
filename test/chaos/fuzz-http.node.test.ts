// Chaos, malformed input over HTTP: thousands of generated requests across every route the app
// serves (the OpenAPI document's /api and /webhooks operations, the dashboard's pages and forms,
// /actions, /healthz), each malformed one way: bad JSON, wrong types, huge/empty/unicode/control
// strings, path traversal and bad percent-encoding in ids, wrong methods and content types,
// oversized bodies, bad auth headers, hostile cookies, bad CSRF tokens and Idempotency-Keys, bad
// webhook signatures and timestamps. Each goes through the real app (functions/compose.ts over a
// memory store, every secret configured), in process; a sample goes to the real Node server.
// Every answer: no 5xx, the shared error shape (or a dashboard page) whose message names the
// problem, no stack trace, no secret, nothing logged as unhandled.
import { maxHeaderSize } from "node:http";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveWithJsonErrors } from "../../functions/client-error.node.ts";
import { compose } from "../../functions/compose.ts";
import { bodyLimitFor } from "../../functions/request-body.ts";
import { COMPILED_SCHEDULES } from "../../functions/schedules.bundle.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { loadCompiledSchedules } from "../../shared/schedule/compiled.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore } from "../../shared/store/store.ts";
import { FLEET, hiddenField, NOW } from "../fixtures/dashboard.ts";
import { SECRET_ENV, SECRETS } from "../setup/secret-env.ts";
import { Figures, FUZZ_SEED, leaks, SECRET_VALUES } from "./fuzz-support.ts";

const IN_PROCESS_CASES = 5_600;
const SERVER_CASES = 200;
const VAULT_KEY = btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => (i * 37 + 11) % 256)));
const ENV = { ...SECRET_ENV, NIGHTSHIFT_VAULT_KEYS: `fuzz:${VAULT_KEY}`, NIGHTSHIFT_STORE: "memory" };
const SECRETS_TO_HIDE = [...SECRET_VALUES, VAULT_KEY];
const ORIGIN = "http://localhost";

// ---------------------------------------------------------------------------------------------
// The app under test and its routes

const logLines: string[] = [];
function fuzzedApp() {
  const config = loadConfig(ENV);
  const loaded = loadCompiledSchedules(COMPILED_SCHEDULES);
  const composed = compose(config, {
    host: "node",
    log: createLogger({ level: "debug", write: (line) => logLines.push(line), secrets: SECRETS_TO_HIDE }),
    store: createStore(memoryBackend()),
    // The clouds refuse at once: nothing leaves the process, and resizes an event starts fail fast.
    fetch: async () => new Response('{"error":"denied"}', { status: 403 }),
    cloudNow: () => NOW,
    realNow: () => NOW,
    schedules: loaded.schedules,
    calendars: loaded.calendars,
    renewals: loaded.renewals,
    rules: loaded.rules,
    holder: "fuzz:1",
    inventory: { listing: async () => FLEET },
    tickFollowsClocks: false,
  });
  return { app: composed.app, schedules: loaded.schedules.map((s) => s.name) };
}

interface Route {
  method: string;
  /** A path template: {id} a target id, {name} a schedule name, {token} an action link. */
  template: string;
  surface: "api" | "webhooks" | "dashboard-page" | "dashboard-form" | "plain";
  query: string[];
  /** The JSON body fields the operation documents (names only). */
  fields: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is JSON read back
type Json = any;

function routesOf(document: Json): Route[] {
  const routes: Route[] = [];
  for (const [template, operations] of Object.entries<Json>(document.paths)) {
    for (const [method, operation] of Object.entries<Json>(operations)) {
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      const resolved = schema?.$ref ? document.components.schemas[schema.$ref.split("/").pop()] : schema;
      routes.push({
        method: method.toUpperCase(),
        template,
        surface: template.startsWith("/webhooks/") ? "webhooks" : "api",
        query: (operation.parameters ?? []).filter((p: Json) => p.in === "query").map((p: Json) => p.name),
        fields: Object.keys(resolved?.properties ?? {}),
      });
    }
  }
  const page = (template: string, query: string[] = []): Route => ({
    method: "GET",
    template,
    surface: "dashboard-page",
    query,
    fields: [],
  });
  const form = (template: string, fields: string[]): Route => ({
    method: "POST",
    template,
    surface: "dashboard-form",
    query: [],
    fields,
  });
  routes.push(
    page("/", ["q", "provider", "phase"]),
    page("/login", ["next"]),
    page("/operations", ["target", "before"]),
    page("/targets/{id}", ["done", "entry"]),
    form("/login", ["token", "next"]),
    form("/logout", ["csrf"]),
    form("/targets/{id}/snooze", ["minutes", "csrf", "formKey"]),
    form("/targets/{id}/renew", ["csrf", "formKey"]),
    form("/schedules/{name}/pause", ["duration", "reason", "back", "csrf", "formKey"]),
    form("/schedules/{name}/resume", ["back", "csrf", "formKey"]),
    { method: "GET", template: "/actions/{token}", surface: "plain", query: [], fields: [] },
    { method: "GET", template: "/healthz", surface: "plain", query: [], fields: [] },
  );
  return routes;
}

// ---------------------------------------------------------------------------------------------
// Malformations

/** Strings a client may send: huge, empty, unicode, control characters, injection-looking. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\r\n",
    "\u202e\u200b",
    "😴".repeat(50),
    "<script>alert(1)</script>",
    "'; DROP TABLE operations; --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-looking string, sent as data
    "${jndi:ldap://x}",
    "%00",
    "null",
    "NaN",
    "-1",
    "1e400",
    "9".repeat(400),
    "__proto__",
    "constructor",
  ),
  fc.integer({ min: 1000, max: 70_000 }).map((n) => "x".repeat(n)),
);

/** Ids as a path segment: traversal, bad percent-encoding, encoded slashes and controls, huge. */
const hostileSegment = fc.oneof(
  fc.constantFrom(
    "..",
    "../..",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/etc/passwd",
    "hw/..",
    "hw/c1/../../api/targets",
    "%",
    "%zz",
    "%c3%28",
    "%ff%fe",
    "%00",
    "%0d%0aSet-Cookie:%20x=1",
    "hw%2fc1",
    "%E2%80%AE",
    "hw//c1",
    "~",
    ";",
    "a?b=c",
    "#frag",
    "hw/c1%",
  ),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", maxLength: 10 }).map(encodeURIComponent),
  fc.integer({ min: 2000, max: 9000 }).map((n) => "a".repeat(n)),
);

/** A header value fetch will send (Latin-1, no CR/LF/NUL). */
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => s.replaceAll(/[\r\n\0]/g, "")),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((n) => String.fromCharCode(n)), maxLength: 60 }),
  fc.constantFrom("", " ", "null", "undefined", "Bearer", "Bearer ", "Basic", "Basic !!!", "Basic Og=="),
  fc.integer({ min: 1000, max: 8000 }).map((n) => "h".repeat(n)),
);

const badJsonText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    "",
    "{",
    "}",
    "[",
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    "NaN",
    "undefined",
    '"\\ud800"',
    "\u0000",
    "{}}",
  ),
  fc.json().map((text) => text.slice(0, Math.max(1, text.length - 1))),
);

const deepJson = fc
  .integer({ min: 500, max: 30_000 })
  .chain((depth) =>
    fc.constantFrom(
      `${"[".repeat(depth)}${"]".repeat(depth)}`,
      `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
    ),
  );

type Malformation =
  | { kind: "json-garbage"; body: string }
  | { kind: "json-types"; body: unknown }
  | { kind: "json-fields"; values: unknown[] }
  | { kind: "json-deep"; body: string }
  | { kind: "oversized"; over: number }
  | { kind: "content-type"; type: string | null }
  | { kind: "method"; method: string }
  | { kind: "path"; segment: string }
  | { kind: "query"; values: string[] }
  | { kind: "auth"; header: string | null; scheme: string }
  | { kind: "cookie"; cookie: string }
  | { kind: "csrf"; csrf: string | null }
  | { kind: "idempotency"; key: string }
  | { kind: "signature"; id: string | null; timestamp: string | null; signature: string | null }
  | { kind: "form"; values: string[] };

const malformation: fc.Arbitrary<Malformation> = fc.oneof(
  badJsonText.map((body) => ({ kind: "json-garbage" as const, body })),
  fc.jsonValue({ maxDepth: 4 }).map((body) => ({ kind: "json-types" as const, body })),
  fc
    .array(
      fc.oneof(hostileString, fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, -1, 1e308, true, [], {})),
      {
        minLength: 1,
        maxLength: 6,
      },
    )
    .map((values) => ({ kind: "json-fields" as const, values })),
  deepJson.map((body) => ({ kind: "json-deep" as const, body })),
  fc.double({ min: 1.001, max: 1.3, noNaN: true }).map((over) => ({ kind: "oversized" as const, over })),
  fc
    .option(
      fc.oneof(
        fc.constantFrom(
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/xml",
          "application/jsonx",
          "json",
          "application/json; charset=utf-16",
          "*/*",
        ),
        headerValue,
      ),
      { nil: null },
    )
    .map((type) => ({ kind: "content-type" as const, type })),
  fc
    .constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "TRACE2")
    .map((method) => ({ kind: "method" as const, method })),
  hostileSegment.map((segment) => ({ kind: "path" as const, segment })),
  fc
    .array(fc.oneof(hostileString, hostileSegment), { minLength: 1, maxLength: 4 })
    .map((values) => ({ kind: "query" as const, values })),
  fc
    .record({
      header: fc.option(headerValue, { nil: null }),
      scheme: fc.constantFrom("Bearer ", "Basic ", "bearer ", "", "Token ", "Bearer  "),
    })
    .map((r) => ({ kind: "auth" as const, ...r })),
  fc
    .oneof(
      headerValue,
      headerValue.map((v) => `nightshift_session=${v}`),
      fc.constantFrom(
        "nightshift_session=",
        "nightshift_session=a.b.c",
        "nightshift_session=%ZZ",
        'nightshift_session="unterminated',
        "nightshift_session=1; nightshift_session=2",
        ";;;=;=",
        "=",
        "a".repeat(5000),
      ),
    )
    .map((cookie) => ({ kind: "cookie" as const, cookie })),
  fc.option(headerValue, { nil: null }).map((csrf) => ({ kind: "csrf" as const, csrf })),
  headerValue.map((key) => ({ kind: "idempotency" as const, key })),
  fc
    .record({
      id: fc.option(headerValue, { nil: null }),
      timestamp: fc.option(
        fc.oneof(
          headerValue,
          fc.integer({ min: -1e12, max: 1e13 }).map(String),
          fc.constantFrom("0", "-1", "1e10", "NaN", "99999999999999999999"),
        ),
        { nil: null },
      ),
      signature: fc.option(
        fc.oneof(headerValue, fc.constantFrom("v1,", "v1,AAAA", "v2,abc", "v1a,xyz v1,", ",,,,")),
        { nil: null },
      ),
    })
    .map((r) => ({ kind: "signature" as const, ...r })),
  fc
    .array(fc.oneof(hostileString, hostileSegment), { minLength: 1, maxLength: 5 })
    .map((values) => ({ kind: "form" as const, values })),
);

// ---------------------------------------------------------------------------------------------
// Building a request: everything valid (credentials, session, CSRF) but the one malformation

interface Context {
  app: ReturnType<typeof fuzzedApp>["app"];
  /** The dashboard's own origin, which its forms are sent from. */
  origin: string;
  cookie: string;
  csrf: string;
  schedule: string;
}

function valid(route: Route, ctx: Context) {
  const path = route.template
    .replace("{id}", "hw/c1")
    .replace("{name}", ctx.schedule)
    .replace("{token}", "v1.abc.def");
  return path;
}

const EXAMPLES: Record<string, Record<string, unknown>> = {
  "/api/targets/{id}/snooze": { minutes: 30 },
  "/api/schedules/{name}/pause": { until: "2026-11-23T12:00:00Z", reason: "release" },
  "/webhooks/alertmanager": {
    version: "4",
    status: "firing",
    receiver: "nightshift",
    groupKey: "g",
    truncatedAlerts: 0,
    groupLabels: {},
    commonLabels: { alertname: "HighLoad" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "HighLoad" },
        annotations: {},
        startsAt: NOW.toISOString(),
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090",
        fingerprint: "f1",
      },
    ],
  },
  "/webhooks/events": { type: "queue.depth", data: { depth: 900 } },
  "/webhooks/eventbridge": {
    version: "0",
    id: "e1",
    "detail-type": "Queue Depth",
    source: "app",
    account: "123456789012",
    region: "eu-central-1",
    resources: [],
    time: NOW.toISOString(),
    detail: { depth: 900 },
  },
};

/** The request: `m` null for the valid frame itself. */
function built(
  route: Route,
  m: Malformation | null,
  ctx: Context,
  caseNo: number,
): { path: string; init: RequestInit } {
  let path = valid(route, ctx);
  let method = route.method;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  const example = EXAMPLES[route.template] ?? Object.fromEntries(route.fields.map((f) => [f, "x"]));

  // The valid frame: credentials for the route, a JSON body for a JSON route, a form for a form.
  if (route.surface === "api") headers.authorization = `Bearer ${SECRETS.adminToken}`;
  if (route.template === "/webhooks/alertmanager")
    headers.authorization = `Bearer ${SECRETS.alertmanagerToken}`;
  if (route.template === "/webhooks/eventbridge") headers["x-api-key"] = SECRETS.eventBridgeApiKey;
  if (route.surface === "dashboard-page" || route.surface === "dashboard-form") headers.cookie = ctx.cookie;
  if (route.method !== "GET") {
    if (route.surface === "dashboard-form") {
      headers.origin = ctx.origin;
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams({
        csrf: ctx.csrf,
        formKey: `fk-${caseNo}`,
        minutes: "30",
        back: "/",
      }).toString();
    } else if (route.fields.length > 0 || route.surface === "webhooks") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(example);
    }
  }

  if (m)
    switch (m.kind) {
      case "json-garbage":
      case "json-deep":
        headers["content-type"] = "application/json";
        body = m.body;
        break;
      case "json-types":
        headers["content-type"] = "application/json";
        body = JSON.stringify(m.body);
        break;
      case "json-fields": {
        const keys = Object.keys(example);
        const mutated: Record<string, unknown> = { ...example };
        m.values.forEach((value, i) => {
          mutated[keys.length > 0 && i < keys.length ? keys[i]! : `unknown${i}`] = value;
        });
        if (route.surface === "dashboard-form") {
          body = new URLSearchParams(
            Object.fromEntries(
              Object.entries(mutated).map(([k, v]) => [
                k,
                typeof v === "string" ? v : (JSON.stringify(v) ?? ""),
              ]),
            ),
          ).toString();
        } else {
          headers["content-type"] = "application/json";
          body = JSON.stringify(mutated);
        }
        break;
      }
      case "oversized":
        body = `{"pad":"${"x".repeat(Math.ceil(bodyLimitFor(path) * m.over))}"}`;
        headers["content-type"] ??= "application/json";
        if (method === "GET") method = "POST";
        break;
      case "content-type":
        if (m.type === null) delete headers["content-type"];
        else headers["content-type"] = m.type;
        body ??= JSON.stringify(example);
        if (method === "GET") method = "POST";
        break;
      case "method":
        method = m.method === route.method ? "PUT" : m.method;
        if (method === "GET" || method === "HEAD") body = undefined;
        break;
      case "path": {
        const template = route.template;
        if (template.includes("{"))
          path = template.replace(/\{\w+\}/, m.segment).replace("{name}", ctx.schedule);
        else path = `${template.replace(/\/$/, "")}/${m.segment}`;
        break;
      }
      case "query": {
        const names = route.query.length > 0 ? route.query : ["from", "to", "limit"];
        path += `?${m.values.map((v, i) => `${names[i % names.length]}=${/%|[^\w.-]/.test(v) ? v.replaceAll("#", "%23").replaceAll(" ", "+") : encodeURIComponent(v)}`).join("&")}`;
        break;
      }
      case "auth":
        delete headers["x-api-key"];
        if (route.surface.startsWith("dashboard")) delete headers.cookie;
        if (m.header === null) delete headers.authorization;
        else headers.authorization = `${m.scheme}${m.header}`;
        if (route.template === "/webhooks/eventbridge" && m.header !== null) headers["x-api-key"] = m.header;
        break;
      case "cookie":
        headers.cookie = m.cookie;
        break;
      case "csrf":
        if (route.surface === "dashboard-form") {
          const form = new URLSearchParams(body ?? "");
          if (m.csrf === null) form.delete("csrf");
          else form.set("csrf", m.csrf);
          body = form.toString();
        } else headers["x-csrf-token"] = m.csrf ?? "";
        break;
      case "idempotency":
        headers["idempotency-key"] = m.key;
        break;
      case "signature":
        if (m.id !== null) headers["webhook-id"] = m.id;
        if (m.timestamp !== null) headers["webhook-timestamp"] = m.timestamp;
        if (m.signature !== null) headers["webhook-signature"] = m.signature;
        break;
      case "form": {
        const form = new URLSearchParams(body ?? "");
        route.fields
          .filter((f) => f !== "csrf")
          .forEach((field, i) => {
            form.set(field, m.values[i % m.values.length]!);
          });
        body = form.toString();
        if (route.surface !== "dashboard-form") headers["content-type"] = "application/x-www-form-urlencoded";
        if (method === "GET") method = "POST";
        break;
      }
    }
  // Events are signed as a sender would (over the body as sent), unless the signature is the fault.
  if (
    route.template === "/webhooks/events" &&
    m?.kind !== "signature" &&
    m?.kind !== "auth" &&
    body !== undefined
  ) {
    const id = `msg_${caseNo}`;
    headers["webhook-id"] = id;
    headers["webhook-timestamp"] = String(Math.floor(NOW.getTime() / 1000));
    headers["webhook-signature"] = new Webhook(SECRETS.eventSecret).sign(id, NOW, body);
  }
  if (method === "GET" || method === "HEAD") body = undefined;
  return { path, init: { method, headers, ...(body !== undefined ? { body } : {}) } };
}

// ---------------------------------------------------------------------------------------------
// What every answer must be

/** What a refusal must name, per malformation (any one of them). */
function namesFor(route: Route, m: Malformation): RegExp {
  const fields = route.fields.length > 0 ? `|${route.fields.join("|")}` : "";
  // A dashboard form whose body was replaced lost its CSRF field: that is what its refusal names.
  const form = route.surface.startsWith("dashboard") ? "|csrf|sent from|browser sent|form" : "";
  const common = `route|method|not found|no target|no schedule|unknown${form}`;
  const byKind: Record<Malformation["kind"], string> = {
    "json-garbage": "json|body",
    "json-types": `json|body|expected|field|object|array${fields}`,
    "json-fields": `body|field|expected|invalid|must${fields}`,
    "json-deep": `json|body|nest|deep|must|required${fields}`,
    oversized: "body|large|limit|KiB|MiB",
    "content-type": "content-type|json|media|form",
    method: "method|use |POST|GET",
    path: "target|schedule|id|name|route|link|token|path|not found",
    query: `URL|${route.query.length > 0 ? route.query.join("|") : "query|parameter"}`,
    auth: "authoriz|token|bearer|credential|sign in|signed in|api key|x-api-key|password|basic|webhook-",
    cookie: "sign in|signed in|session|cookie",
    csrf: "csrf|form|session|sign in",
    idempotency: "idempotency-key",
    signature: "signature|timestamp|webhook-id|webhook-|signed",
    form: `form|field|minutes|duration|reason|back|next|token|sign in${fields}`,
  };
  return new RegExp(`${byKind[m.kind]}|${common}`, "i");
}

/** The outcome of a request: its status and error code, or `page` for a dashboard page. */
async function outcomeOf(response: Response): Promise<{ outcome: string; text: string; type: string }> {
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  let outcome = String(response.status);
  if (type.includes("application/json") && response.status >= 400) {
    try {
      const code = JSON.parse(text)?.error?.code;
      if (typeof code === "string") outcome = `${response.status} ${code}`;
    } catch {}
  } else if (type.includes("text/html") && response.status >= 400) outcome = `${response.status} page`;
  return { outcome, text, type };
}

/** A page's words, without its markup and style sheet. */
const pageText = (html: string) =>
  html
    .replace(/<style[\s\S]*?<\/style>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");

/**
 * Checks one answer. `baseline` is what the route answers the same request without the
 * malformation: an answer equal to it ignored the malformation (a header the route does not read),
 * so only an answer that differs must name the problem.
 */
async function check(
  response: Response,
  route: Route,
  m: Malformation,
  method: string,
  baseline: string | undefined,
  headBytes = 0,
): Promise<{ outcome: string; problems: string[] }> {
  const problems: string[] = [];
  const { outcome, text, type } = await outcomeOf(response);
  const headerText = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  problems.push(...leaks(text, SECRETS_TO_HIDE), ...leaks(headerText, SECRETS_TO_HIDE));
  if (response.status >= 500) problems.push(`answered ${response.status}`);
  // HEAD answers carry headers only.
  if (response.status < 400 || method === "HEAD") return { outcome, problems };
  let said: string | undefined;
  if (type.includes("application/json")) {
    let error: Json;
    try {
      error = JSON.parse(text)?.error;
    } catch {
      problems.push(`a JSON error that is not JSON: ${text.slice(0, 100)}`);
    }
    if (
      typeof error?.code !== "string" ||
      typeof error?.message !== "string" ||
      error.message === "" ||
      typeof error?.details !== "object" ||
      error.details === null
    )
      problems.push(`not the shared error shape: ${text.slice(0, 200)}`);
    else said = `${error.message} ${JSON.stringify(error.details)}`;
  } else if (type.includes("text/html")) {
    said = pageText(text);
    if (!/<h1>[^<]+/.test(text)) problems.push(`an error page without a heading: ${said.slice(0, 200)}`);
  } else {
    problems.push(
      `a ${response.status} that is neither the JSON error shape nor a page (${type}): ${text.slice(0, 100)}`,
    );
  }
  // Whatever was malformed, a request line and headers over Node's limit are refused for their size
  // first (the slack covers the headers fetch adds: Host, Content-Length, Connection).
  const refusedForSize = outcome === "431 headers_too_large" && headBytes > maxHeaderSize - 512;
  if (said !== undefined && outcome !== baseline && !refusedForSize && !namesFor(route, m).test(said))
    problems.push(
      `the refusal does not name the problem (${namesFor(route, m)}; unmalformed: ${baseline}): ${said.slice(0, 300)}`,
    );
  return { outcome, problems };
}

function describeCase(route: Route, m: Malformation, path: string, init: RequestInit): string {
  const show = (value: unknown) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text && text.length > 160 ? `${text.slice(0, 160)}…(${text.length})` : text;
  };
  return `${route.method} ${route.template} [${m.kind}] → ${init.method} ${show(path)} headers=${show(init.headers)} body=${show(init.body)}`;
}

// ---------------------------------------------------------------------------------------------

describe("chaos: malformed HTTP input", () => {
  let ctx: Context;
  let routes: Route[];
  const baselines = new Map<string, string>();

  beforeAll(async () => {
    const { app, schedules } = fuzzedApp();
    const document = await (
      await app.request("/api/openapi.json", { headers: { authorization: `Bearer ${SECRETS.adminToken}` } })
    ).json();
    routes = routesOf(document);
    const login = await app.request("/login", {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: SECRETS.adminToken }).toString(),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const page = await (await app.request("/targets/hw/c1", { headers: { cookie } })).text();
    ctx = {
      app,
      origin: ORIGIN,
      cookie,
      csrf: hiddenField(page, "csrf"),
      schedule: schedules[0] ?? "office-hours",
    };
    // What each route answers its valid frame, every malformation left out.
    for (const [n, route] of routes.entries()) {
      const { path, init } = built(route, null, ctx, -1 - n);
      baselines.set(
        `${route.method} ${route.template}`,
        (await outcomeOf(await app.request(path, init))).outcome,
      );
    }
  });

  it("covers every operation of the OpenAPI document and the dashboard's pages and forms", () => {
    const templates = new Set(routes.map((r) => `${r.method} ${r.template}`));
    for (const route of [
      "GET /api/targets",
      "POST /api/targets/{id}/snooze",
      "POST /webhooks/events",
      "POST /targets/{id}/snooze",
    ])
      expect(templates).toContain(route);
    expect(routes.length).toBeGreaterThan(15);
  });

  it(`answers ${IN_PROCESS_CASES} malformed requests in process: no 5xx, the problem named, nothing leaked`, async () => {
    const figures = new Figures("http (in process)");
    const cases = fc.sample(fc.tuple(fc.constantFrom(...routes), malformation), {
      seed: FUZZ_SEED,
      numRuns: IN_PROCESS_CASES,
    });
    for (const [n, [route, m]] of cases.entries()) {
      const { path, init } = built(route, m, ctx, n);
      const logged = logLines.length;
      let response: Response;
      try {
        response = await ctx.app.request(path, init);
      } catch (error) {
        figures.count("threw");
        figures.fail(describeCase(route, m, path, init), [`app.request threw: ${(error as Error).message}`]);
        continue;
      }
      const baseline = baselines.get(`${route.method} ${route.template}`);
      const { outcome, problems } = await check(response, route, m, init.method!, baseline);
      const unhandled = logLines.slice(logged).filter((line) => line.includes("unhandled"));
      problems.push(...unhandled.map((line) => `logged: ${line.slice(0, 300)}`));
      // The log may carry a stack (the operator's), never a secret.
      for (const line of logLines.slice(logged))
        for (const secret of SECRETS_TO_HIDE)
          if (line.includes(secret)) problems.push(`the log leaked ${secret.slice(0, 6)}…`);
      figures.count(outcome);
      if (problems.length > 0) figures.fail(describeCase(route, m, path, init), problems);
    }
    figures.report();
    expect(figures.failures).toEqual([]);
    expect(figures.cases).toBe(IN_PROCESS_CASES);
  }, 120_000);

  describe("against the real Node server", () => {
    let server: ReturnType<typeof serveWithJsonErrors>;
    let base: string;
    beforeAll(async () => {
      await new Promise<void>((resolve) => {
        server = serveWithJsonErrors({ fetch: ctx.app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
          resolve(),
        );
      });
      const address = server.address() as { port: number };
      base = `http://127.0.0.1:${address.port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it(`answers ${SERVER_CASES} malformed requests over real sockets the same way`, async () => {
      const figures = new Figures("http (node server)");
      const cases = fc.sample(fc.tuple(fc.constantFrom(...routes), malformation), {
        seed: FUZZ_SEED + 1,
        numRuns: SERVER_CASES,
      });
      for (const [n, [route, m]] of cases.entries()) {
        const { path, init } = built(route, m, { ...ctx, origin: base }, 100_000 + n);
        let response: Response;
        try {
          response = await fetch(`${base}${path}`, {
            ...init,
            redirect: "manual",
            signal: AbortSignal.timeout(10_000),
          });
        } catch (error) {
          // A URL or header fetch itself refuses to send is not a case the server met.
          const cause = (error as { cause?: { code?: string } }).cause;
          if (
            error instanceof TypeError &&
            (cause?.code === undefined || cause.code === "UND_ERR_INVALID_ARG")
          ) {
            figures.count("unsendable");
            continue;
          }
          figures.count("network error");
          figures.fail(describeCase(route, m, path, init), [
            `the request failed: ${(error as Error).message} ${String((error as { cause?: unknown }).cause)}`,
          ]);
          continue;
        }
        const baseline = baselines.get(`${route.method} ${route.template}`);
        const headers = Object.entries((init.headers ?? {}) as Record<string, string>);
        const headBytes = path.length + headers.reduce((sum, [k, v]) => sum + k.length + v.length + 4, 0);
        const { outcome, problems } = await check(response, route, m, init.method!, baseline, headBytes);
        figures.count(outcome);
        if (problems.length > 0) figures.fail(describeCase(route, m, path, init), problems);
      }
      figures.report();
      expect(figures.failures).toEqual([]);
    }, 60_000);
  });
});
