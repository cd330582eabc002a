// The admin API's contract (@hono/zod-openapi): the request schemas are the validation, and every
// answer a route can give is declared with it. This module holds what the routes share: the error
// shape as a schema, the error responses a route declares by code, the hook that turns zod issues
// into our 400 (every bad field listed, each message naming its field and the fix), the JSON-body
// gate, and the document served at `GET /api/openapi.json`.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import * as z from "zod";
import packageJson from "../package.json" with { type: "json" };
import { fieldPath } from "../shared/events/inbound/validation.ts";
import { errorResponse } from "./errors.ts";
import { readJson } from "./request-body.ts";

/** What each error code means; a route's documented error responses describe their codes from here. */
export const ERROR_CODES = {
  unauthorized: "no admin token, or the wrong one: send `Authorization: Bearer <NIGHTSHIFT_ADMIN_TOKEN>`",
  admin_disabled: "the admin API is off until NIGHTSHIFT_ADMIN_TOKEN is set",
  internal: "an unexpected failure; the service log has the detail (the answer never does)",
  invalid_json: "the body is empty or not JSON",
  unsupported_media_type: "the body was not sent with `Content-Type: application/json`",
  body_too_large: "the body is over the route's limit (`details.limitBytes`); the connection is closed",
  idempotency_key_invalid:
    "`Idempotency-Key` is not one quoted string or token of 1-255 visible ASCII characters",
  idempotency_key_in_use:
    "a request with this `Idempotency-Key` is still running; retry after `Retry-After` seconds to get its answer",
  idempotency_key_reused: "this `Idempotency-Key` was used for a different request (method, path or body)",
  invalid_request:
    "a parameter or body field is wrong; `details.field` names the first, `details.issues` all",
  invalid_window: "`from`/`to` cannot be read, `to` is not after `from`, or the window spans over 31 days",
  invalid_status: "`status` names an unknown operation status",
  invalid_limit: "`limit` is not a whole number from 1 to 1000",
  invalid_snooze:
    "the snooze body is wrong: not exactly one of `minutes` and `until`, out of range, or `until` not ahead",
  unknown_target: "no target has this id in the inventory (`GET /api/targets` lists them)",
  invalid_pause:
    "the pause body is wrong: `until` not a time with an offset, not ahead or over 30 days ahead, `reason` over 500 characters, or an unknown field",
  unknown_schedule: "no schedule has this name (`GET /api/schedules` lists them)",
  conflict:
    "the record written (a target's state, a schedule's pause) kept changing under this write; send it again",
  no_renewal: "no renewal declaration has owned this target yet",
  no_kubeconfig: "no kubeconfig is stored for this target",
  renewal_disabled: "certificate renewal is not configured on this host",
  not_renewed: "no enabled renewal declaration owns this target (or several do)",
  vault_no_keys: "the credential vault has no key: set NIGHTSHIFT_VAULT_KEYS",
  vault_unknown_key: "the stored credential is encrypted under a key no longer configured",
  vault_undecryptable: "the stored credential does not decrypt (altered, or its key id names another key)",
  webhook_disabled: "this source has no credentials configured, so the route is off",
  events_unavailable: "nothing is wired to record events on this deployment",
  events_not_recorded: "the events could not be recorded just now; send them again after `Retry-After`",
  invalid_body: "the event body is not of the source's format; `details.field` names the first wrong field",
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorStatus = 400 | 401 | 404 | 405 | 409 | 413 | 415 | 422 | 500 | 503;
/** The codes a route answers, by status. */
export type ErrorCodes = { readonly [S in ErrorStatus]?: readonly ErrorCode[] };

/** Every /api route: the token check in front of it, and the catch-all. */
export const ADMIN_ERRORS = {
  401: ["unauthorized"],
  500: ["internal"],
  503: ["admin_disabled"],
} as const satisfies ErrorCodes;
/** Every POST: the body limit and the Idempotency-Key middleware in front of it. */
export const WRITE_ERRORS = {
  400: ["idempotency_key_invalid"],
  409: ["idempotency_key_in_use"],
  413: ["body_too_large"],
  422: ["idempotency_key_reused"],
} as const satisfies ErrorCodes;
/** A route that reads a JSON body (jsonBody below). */
export const JSON_BODY_ERRORS = {
  400: ["invalid_json"],
  415: ["unsupported_media_type"],
} as const satisfies ErrorCodes;

const HEADERS: Partial<
  Record<ErrorStatus, Record<string, { description: string; schema: { type: "string" } }>>
> = {
  401: {
    "WWW-Authenticate": {
      description:
        'The schemes to use: `Bearer realm="nightshift"` on /api; on /webhooks/alertmanager the configured ones (Bearer, Basic)',
      schema: { type: "string" },
    },
  },
  409: {
    "Retry-After": {
      description: "With `idempotency_key_in_use`: seconds until the running request's lease ends",
      schema: { type: "string" },
    },
  },
  503: {
    "Retry-After": {
      description: "With `events_not_recorded`: seconds to wait before sending again",
      schema: { type: "string" },
    },
  },
};

export const ErrorDetails = z
  .looseObject({
    field: z
      .string()
      .optional()
      .describe(
        "The request field that is wrong: a query parameter, a body field, or `body` for the whole body",
      ),
    issues: z
      .array(z.string())
      .optional()
      .describe("Every problem found, one line each, each naming its field and what to send instead"),
    header: z.string().optional().describe("The request header that is wrong"),
    limitBytes: z.number().int().optional().describe("With `body_too_large`: the route's body limit"),
    leaseUntil: z
      .string()
      .optional()
      .describe("With `idempotency_key_in_use`: when the running request's lease ends"),
  })
  .openapi("ErrorDetails", { description: "Machine-readable detail; which keys appear depends on the code" });

/** `{ "error": { "code", "message", "details" } }` with `code` one of `codes`. */
function errorSchema<C extends string>(codes: readonly C[]) {
  return z.object({
    error: z.object({
      code: z.enum(codes as [C, ...C[]]),
      message: z.string().describe("What is wrong and what to send instead; never a stack trace or a secret"),
      details: ErrorDetails,
    }),
  });
}

type CodesAt<G extends readonly ErrorCodes[], S extends ErrorStatus> = {
  [I in keyof G]: G[I] extends { readonly [K in S]: readonly (infer C)[] } ? C : never;
}[number];
type StatusesOf<G extends readonly ErrorCodes[]> = { [I in keyof G]: keyof G[I] }[number] & ErrorStatus;
export type ErrorResponses<G extends readonly ErrorCodes[]> = {
  [S in StatusesOf<G>]: {
    description: string;
    headers?: Record<string, { description: string; schema: { type: "string" } }>;
    content: { "application/json": { schema: ReturnType<typeof errorSchema<CodesAt<G, S> & string>> } };
  };
};

/**
 * The error responses of a route from the groups of codes it answers (e.g. ADMIN_ERRORS,
 * WRITE_ERRORS and its own), merged by status: each a schema whose `code` is one of them.
 */
export function errorResponses<const G extends readonly ErrorCodes[]>(...groups: G): ErrorResponses<G> {
  const byStatus = new Map<ErrorStatus, ErrorCode[]>();
  for (const group of groups) {
    for (const [status, codes] of Object.entries(group) as Array<[string, readonly ErrorCode[]]>) {
      const merged = byStatus.get(Number(status) as ErrorStatus) ?? [];
      byStatus.set(Number(status) as ErrorStatus, [...merged, ...codes.filter((c) => !merged.includes(c))]);
    }
  }
  const responses: Record<number, unknown> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = HEADERS[status];
    responses[status] = {
      description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code]}`).join("; "),
      ...(headers ? { headers } : {}),
      content: { "application/json": { schema: errorSchema(codes) } },
    };
  }
  return responses as ErrorResponses<G>;
}

/** A JSON success response. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** One problem with a request: the field (`body` for the whole body) and a message naming it. */
export interface RequestIssue {
  field: string;
  message: string;
}

/** The 400 for a request's problems: the first field's code, every problem listed. */
export function refuseRequest<C extends ErrorCode>(c: Context, code: C, issues: readonly RequestIssue[]) {
  const [first] = issues;
  return errorResponse(c, 400, code, issues.map((i) => i.message).join("; "), {
    field: first?.field ?? "body",
    issues: issues.map((i) => i.message),
  });
}

/** zod's issues as RequestIssues; a message that does not name its field is prefixed with it. */
export function requestIssues(error: z.ZodError, target: string): RequestIssue[] {
  return error.issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const field = path.length === 0 ? (target === "json" ? "body" : target) : fieldPath(path);
    const name = String(path[path.length - 1] ?? "");
    const named = path.length === 0 || issue.message.split(/[^\w-]+/).includes(name);
    return { field, message: named ? issue.message : `${field}: ${issue.message}` };
  });
}

type ValidationResult = { success: true } | { success: false; error: z.ZodError; target: string };

/**
 * The validation hook: a request its schemas refuse gets a 400 whose code is the first bad field's
 * (`codes` by field, or one code for all), listing every problem. The router's defaultHook is
 * `requestHook("invalid_request")`; a route with documented codes of its own passes its hook.
 */
export function requestHook<C extends ErrorCode>(codes: C | { readonly [field: string]: C }) {
  return (result: ValidationResult, c: Context) => {
    if (result.success) return;
    const issues = requestIssues(result.error, result.target);
    const field = issues[0]?.field.split(/[.[]/)[0] ?? "body";
    const code = typeof codes === "string" ? codes : codes[field];
    // A field without a code of its own: the route's schema and its map disagree, a bug to see.
    if (code === undefined) throw new Error(`no error code for request field "${field}"`);
    return refuseRequest(c, code, issues);
  };
}

/** The admin API's router: OpenAPI-described routes, zod issues answered as our 400. */
export function apiRouter(): OpenAPIHono {
  return new OpenAPIHono({ defaultHook: requestHook("invalid_request") });
}

/**
 * Route middleware for a JSON body: 415 unless sent as JSON, 400 unless it parses, with messages
 * that say what to send (`example`). Runs before the schema's validator, which then reads the
 * parsed body.
 */
export function jsonBody(example: string): MiddlewareHandler {
  return async (c, next) => {
    const json = await readJson(c, example);
    if ("refused" in json) return json.refused;
    await next();
  };
}

/**
 * Route middleware for an optional JSON body (declared `required: false`): no body at all, or an
 * empty one sent as JSON, reads as `{}`; anything else must be JSON as jsonBody checks. (The
 * library's validator would refuse the empty JSON body as malformed; its media-type gate, after
 * this, still answers 415 to any body sent as another type.)
 */
export function optionalJsonBody(example: string): MiddlewareHandler {
  const json = jsonBody(example);
  return async (c, next) => {
    // Bytes, not c.req.text(): workerd warns of text read from a body of another type (a form).
    if (new TextDecoder().decode(await c.req.arrayBuffer()).trim() !== "") return json(c, next);
    // What the validator parses next: Hono caches each reading of the body as a promise (typed as
    // its value), and c.req.json() parses the cached text.
    c.req.bodyCache.text = Promise.resolve("{}") as unknown as string;
    await next();
  };
}

/** Path templates as OpenAPI writes them: `{id{.+}}` (Hono's "may contain /") is `{id}`. */
function openApiPath(path: string): string {
  return path.replaceAll(/\{(\w+)\{[^}]*\}\}/g, "{$1}");
}

export const TAGS = [
  { name: "fleet", description: "The targets (clusters) nightshift manages, their plan and snoozes" },
  { name: "schedules", description: "The schedules, and pausing one" },
  { name: "operations", description: "The durable operations (sleep, wake, resize, renew) and their state" },
  { name: "renewal", description: "Certificate (kubeconfig) renewal and the credential vault" },
  {
    name: "webhooks",
    description: "Events in: Alertmanager, signed events (Standard Webhooks), EventBridge",
  },
  { name: "meta", description: "This document" },
] as const;

/**
 * The OpenAPI 3.1 document of the routers mounted at their prefixes (`/api`, `/webhooks`): every
 * route, its parameters, bodies and every answer it can give. Servers: the host it is fetched from.
 */
export function openApiDocument(routers: ReadonlyArray<readonly [string, OpenAPIHono]>) {
  const doc = new OpenAPIHono();
  doc.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "NIGHTSHIFT_ADMIN_TOKEN; every /api route requires it, this document included",
  });
  for (const [prefix, router] of routers) doc.route(prefix, router);
  const document = doc.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "nightshift",
      version: packageJson.version,
      description:
        "Sleep/wake, node-pool resize on events and certificate renewal for managed Kubernetes (Huawei CCE, Alibaba ACK, Baidu CCE). " +
        'Every refusal is `{ "error": { "code", "message", "details" } }`, whose message names the field and what to send instead. ' +
        "Writes honour `Idempotency-Key` (a retry with the same key gets the first answer, with `Idempotent-Replayed: true`).",
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    },
    servers: [{ url: "/", description: "The nightshift host this document was fetched from" }],
    tags: [...TAGS],
    security: [{ adminToken: [] }],
  });
  return {
    ...document,
    paths: Object.fromEntries(
      Object.entries(document.paths ?? {}).map(([path, item]) => [openApiPath(path), item]),
    ),
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
