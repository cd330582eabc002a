// The admin API (`/api/*`): bearer-token protected, JSON in and out, the shared error shape.
// Writes honour `Idempotency-Key`. Each route is declared with its request schemas (the validation)
// and every answer it gives (functions/openapi.ts); `GET /api/openapi.json` serves the document.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import * as z from "zod";
import type { Logger } from "../shared/log/logger.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import type { ProviderKind } from "../shared/providers/port.ts";
import type { Renewal } from "../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../shared/renewal/services.ts";
import { coverageWarnings } from "../shared/schedule/coverage.ts";
import { calendarsFor } from "../shared/schedule/engine.ts";
import { compileOwnership, type NotOwned, whyNotOwned } from "../shared/schedule/ownership.ts";
import { deferredByPause, readPauses } from "../shared/schedule/pause.ts";
import { planTransitions } from "../shared/schedule/plan.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import { checkAuthorization } from "../shared/signer/credentials.ts";
import { FINISHED, type Store } from "../shared/store/store.ts";
import {
  DEFAULT_OPERATIONS_LIMIT,
  OperationsQuery,
  OperationsResponse,
  PlanQuery,
  PlanResponse,
  SnoozeRequest,
  SnoozeResponse,
  TargetParams,
  TargetsResponse,
} from "./api-schemas.ts";
import { errorResponse } from "./errors.ts";
import { targetStates, targetViews } from "./fleet-view.ts";
import { idempotency, idempotencyKeyOf } from "./idempotency.ts";
import {
  ADMIN_ERRORS,
  apiRouter,
  errorResponses,
  JSON_BODY_ERRORS,
  jsonBody,
  jsonResponse,
  type OpenApiDocument,
  openApiDocument,
  type RequestIssue,
  refuseRequest,
  requestHook,
  WRITE_ERRORS,
} from "./openapi.ts";
import { renewalRoutes } from "./renewal/api.ts";
import { scheduleRoutes } from "./schedules-api.ts";
import { MAX_SNOOZE_MINUTES, snoozeTarget } from "./snooze.ts";
import { webhookDocs } from "./webhooks/openapi.ts";

export interface AdminApiDeps {
  /** Unset: the admin API answers 503 until NIGHTSHIFT_ADMIN_TOKEN is configured. */
  adminToken?: string;
  inventory: () => Promise<Inventory>;
  store: Store;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  /** The clouds' time: what the schedules and operations are planned by. */
  now: () => Date;
  /** Real time, for what a caller meets in real time (remembered Idempotency-Keys); default \`now\`. */
  realNow?: () => Date;
  log: Logger;
  /** Certificate renewal: the declarations and the vault and sinks (functions/renewal/api.ts). */
  renewals?: readonly Renewal[];
  renewal?: RenewalServices;
}

const DAY_MS = 24 * 3600 * 1000;
const MAX_PLAN_WINDOW_MS = 31 * DAY_MS;

/** When a (schema-valid) snooze ends: `minutes` from now, or `until`, which must be ahead and within the cap. */
export function snoozeEnd(body: SnoozeRequest, now: Date): { until: Date } | RequestIssue {
  if (body.minutes !== undefined) return { until: new Date(now.getTime() + body.minutes * 60_000) };
  const until = new Date(body.until!);
  if (until <= now) {
    return { field: "until", message: `until must be in the future (it is now ${now.toISOString()})` };
  }
  if (until.getTime() - now.getTime() > MAX_SNOOZE_MINUTES * 60_000) {
    const latest = new Date(now.getTime() + MAX_SNOOZE_MINUTES * 60_000).toISOString();
    return {
      field: "until",
      message: `a snooze may last at most 7 days (${MAX_SNOOZE_MINUTES} minutes): until may be ${latest} at the latest; got ${body.until}`,
    };
  }
  return { until };
}

/** The plan's window from its (schema-valid) query: defaults, order and the 31-day cap. */
export function planWindow(
  query: { from?: string | undefined; to?: string | undefined },
  now: Date,
): { from: Date; to: Date } | RequestIssue {
  const from = query.from === undefined ? now : new Date(query.from);
  const to = query.to === undefined ? new Date(from.getTime() + 7 * DAY_MS) : new Date(query.to);
  if (to <= from) {
    return { field: "to", message: `to (${to.toISOString()}) must be after from (${from.toISOString()})` };
  }
  if (to.getTime() - from.getTime() > MAX_PLAN_WINDOW_MS) {
    return {
      field: "to",
      message: `the window may span at most 31 days; to may be ${new Date(from.getTime() + MAX_PLAN_WINDOW_MS).toISOString()} at the latest for this from`,
    };
  }
  return { from, to };
}

const ADMIN_ROUTES = {
  targets: createRoute({
    method: "get",
    path: "/targets",
    operationId: "listTargets",
    tags: ["fleet"],
    summary: "The fleet: every target with its schedules, state and next transition",
    responses: {
      200: jsonResponse(
        TargetsResponse,
        "The targets, the accounts whose listing failed, and when it was taken",
      ),
      ...errorResponses(ADMIN_ERRORS),
    },
  }),
  plan: createRoute({
    method: "get",
    path: "/plan",
    operationId: "getPlan",
    tags: ["fleet"],
    summary: "The planned transitions of every target in a window (default: the next 7 days)",
    request: { query: PlanQuery },
    responses: {
      200: jsonResponse(
        PlanResponse,
        "The transitions in time order, the targets skipped and why, calendar warnings",
      ),
      ...errorResponses(ADMIN_ERRORS, { 400: ["invalid_window"] }),
    },
  }),
  operations: createRoute({
    method: "get",
    path: "/operations",
    operationId: "listOperations",
    tags: ["operations"],
    summary: "The most recent operations, oldest first (finished ones are kept 30 days)",
    request: { query: OperationsQuery },
    responses: {
      200: jsonResponse(OperationsResponse, "The operations, and which statuses are final"),
      ...errorResponses(ADMIN_ERRORS, { 400: ["invalid_status", "invalid_limit", "invalid_request"] }),
    },
  }),
  snooze: createRoute({
    method: "post",
    path: "/targets/{id{.+}}/snooze",
    operationId: "snoozeTarget",
    tags: ["fleet"],
    summary: "Hold a target's sleeps for some minutes or until a time (at most 7 days)",
    description: "Lands in the ledger as `target.snoozed`. Honours `Idempotency-Key`.",
    middleware: [jsonBody('{"minutes": 90}')] as const,
    request: {
      params: TargetParams,
      body: { required: true, content: { "application/json": { schema: SnoozeRequest } } },
    },
    responses: {
      200: jsonResponse(SnoozeResponse, "The target's sleeps wait until `snoozeUntil`"),
      ...errorResponses(ADMIN_ERRORS, WRITE_ERRORS, JSON_BODY_ERRORS, {
        400: ["invalid_snooze"],
        404: ["unknown_target"],
        409: ["conflict"],
      }),
    },
  }),
  document: createRoute({
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApiDocument",
    tags: ["meta"],
    summary: "This document (OpenAPI 3.1); like every /api route it needs the admin token",
    responses: {
      200: jsonResponse(
        z.record(z.string(), z.unknown()),
        "The OpenAPI 3.1 document of the API and the webhooks",
      ),
      ...errorResponses(ADMIN_ERRORS),
    },
  }),
};

export function adminApi(deps: AdminApiDeps): OpenAPIHono {
  const api = apiRouter();
  const ownershipOf = compileOwnership(deps.schedules);

  api.use("*", async (c, next) => {
    if (!deps.adminToken) {
      return errorResponse(
        c,
        503,
        "admin_disabled",
        "the admin API is disabled: set NIGHTSHIFT_ADMIN_TOKEN to enable it",
      );
    }
    if (!checkAuthorization(c.req.header("authorization"), { kind: "bearer", tokens: [deps.adminToken] })) {
      c.header("WWW-Authenticate", 'Bearer realm="nightshift"');
      return errorResponse(c, 401, "unauthorized", "send the admin token as `Authorization: Bearer <token>`");
    }
    await next();
  });

  // After authentication, so a refused request is never stored. One admin token, one caller:
  // the key space is the admin API's own.
  api.use(
    "*",
    idempotency({
      store: deps.store.idempotency,
      now: deps.realNow ?? deps.now,
      required: false,
      scope: () => "admin",
      log: deps.log,
    }),
  );

  api.openapi(ADMIN_ROUTES.targets, async (c) => {
    const now = deps.now();
    const inventory = await deps.inventory();
    const states = await targetStates(deps.store, now);
    const pauses = await readPauses(deps.store, now);
    const targets = targetViews(inventory.targets, {
      ownershipOf,
      calendars: deps.calendars,
      states,
      pauses,
      now,
    });
    // How fresh the listing is: on Workers, the copy the cron keeps (its oldest account's list).
    return c.json({ targets, errors: inventory.errors, listedAt: inventory.listedAt ?? null }, 200);
  });

  api.openapi(
    ADMIN_ROUTES.plan,
    async (c) => {
      const now = deps.now();
      const window = planWindow(c.req.valid("query"), now);
      if ("message" in window) return refuseRequest(c, "invalid_window", [window]);
      const { from, to } = window;
      const inventory = await deps.inventory();
      const pauses = await readPauses(deps.store, now);
      const bySchedule = new Map(
        deps.schedules.map((s) => [
          s.name,
          planTransitions(s, calendarsFor(s, deps.calendars), { from, to }),
        ]),
      );
      const skipped: Array<{ target: string; provider: ProviderKind; name: string } & NotOwned> = [];
      const plan = inventory.targets.flatMap((target) => {
        const ownership = ownershipOf(target);
        if (ownership.status !== "owned") {
          const why = whyNotOwned(ownership);
          if (why)
            skipped.push({ target: target.targetId, provider: target.provider, name: target.name, ...why });
          return [];
        }
        return (bySchedule.get(ownership.schedule.name) ?? []).map((t) => ({
          target: target.targetId,
          provider: target.provider,
          name: target.name,
          schedule: t.schedule,
          to: t.to,
          at: t.at.toISOString(),
          local: `${t.local.date} ${t.local.time} ${t.local.timezone}`,
          cause: t.cause,
          ...(t.dst ? { dst: t.dst } : {}),
          ...deferredByPause(pauses.get(ownership.schedule.name), t),
        }));
      });
      plan.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.target < b.target ? -1 : 1));
      const warnings = coverageWarnings({
        schedules: deps.schedules,
        calendars: deps.calendars,
        from,
        to,
        now,
      });
      return c.json(
        { from: from.toISOString(), to: to.toISOString(), transitions: plan, skipped, warnings },
        200,
      );
    },
    requestHook("invalid_window"),
  );

  api.openapi(
    ADMIN_ROUTES.operations,
    async (c) => {
      const { status, limit = DEFAULT_OPERATIONS_LIMIT, target } = c.req.valid("query");
      const matching = await deps.store.operations.list(
        { ...(status ? { status } : {}), ...(target ? { target } : {}) },
        deps.now(),
      );
      // The most recent `limit`, oldest first: finished operations are kept for 30 days, and the
      // first hundred of those would hide tonight's. Ledger entries still pending in an operation
      // (shared/jobs/ledger-pending.ts) are the ledger's, not part of the operation's shape.
      const operations = matching.slice(-limit).map(({ ledgerPending: _, ...op }) => op);
      return c.json({ operations, finished: [...FINISHED] }, 200);
    },
    requestHook({ status: "invalid_status", limit: "invalid_limit", target: "invalid_request" }),
  );

  api.openapi(
    ADMIN_ROUTES.snooze,
    async (c) => {
      // Already percent-decoded by the router (acc%2Fc1 is acc/c1): decoding again would turn a
      // literal "%2F" into "/" and throw on a stray "%".
      const { id } = c.req.valid("param");
      const now = deps.now();
      const snooze = snoozeEnd(c.req.valid("json"), now);
      if ("message" in snooze) return refuseRequest(c, "invalid_snooze", [snooze]);
      const { until } = snooze;
      const inventory = await deps.inventory();
      if (!inventory.targets.some((t) => t.targetId === id)) {
        return errorResponse(
          c,
          404,
          "unknown_target",
          `no target "${id}"; GET /api/targets lists them (ids are account/clusterId)`,
        );
      }
      const requestKey = idempotencyKeyOf(c);
      const outcome = await snoozeTarget(deps.store, id, until, now, {
        ...(requestKey !== undefined ? { requestKey } : {}),
      });
      if (outcome.ok) return c.json({ target: id, snoozeUntil: outcome.snoozeUntil }, 200);
      return errorResponse(c, 409, "conflict", "the target's state changed concurrently; try again");
    },
    requestHook("invalid_snooze"),
  );

  api.route("/", scheduleRoutes(deps));
  api.route(
    "/",
    renewalRoutes({
      store: deps.store,
      inventory: deps.inventory,
      renewals: deps.renewals ?? [],
      ...(deps.renewal ? { services: deps.renewal } : {}),
      now: deps.now,
      log: deps.log,
    }),
  );

  // Built on first request: every route above is registered by then.
  let document: OpenApiDocument | undefined;
  api.openapi(ADMIN_ROUTES.document, (c) => {
    document ??= openApiDocument([
      ["/api", api],
      ["/webhooks", webhookDocs()],
    ]);
    return c.json(document, 200);
  });

  return api;
}
