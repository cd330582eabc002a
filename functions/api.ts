// The admin API (`/api/*`): bearer-token protected, JSON in and out, the shared error shape.
// Writes honour `Idempotency-Key`.
import { Hono } from "hono";
import type { Logger } from "../shared/log/logger.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import type { Renewal } from "../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../shared/renewal/services.ts";
import { coverageWarnings } from "../shared/schedule/coverage.ts";
import { calendarsFor } from "../shared/schedule/engine.ts";
import { compileOwnership, type NotOwned, whyNotOwned } from "../shared/schedule/ownership.ts";
import { deferredByPause, readPauses } from "../shared/schedule/pause.ts";
import { planTransitions } from "../shared/schedule/plan.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import { checkAuthorization } from "../shared/signer/credentials.ts";
import { FINISHED, type OperationStatus, type Store } from "../shared/store/store.ts";
import { errorResponse } from "./errors.ts";
import { targetStates, targetViews } from "./fleet-view.ts";
import { idempotency, idempotencyKeyOf } from "./idempotency.ts";
import { INSTANT_EXAMPLES, readInstant } from "./instant.ts";
import { renewalRoutes } from "./renewal/api.ts";
import { readJson } from "./request-body.ts";
import { scheduleRoutes } from "./schedules-api.ts";
import { MAX_SNOOZE_MINUTES, snoozeTarget } from "./snooze.ts";

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
const MAX_OPERATIONS_LIMIT = 1000;
const OPERATION_STATUSES: readonly OperationStatus[] = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
];

/** A snooze body: exactly one of `minutes` (from now) and `until` (a time), at most the cap ahead. */
function readSnooze(body: unknown, now: Date): { until: Date } | { field: string; message: string } {
  const example = 'e.g. {"minutes": 90} or {"until": "2026-11-22T23:30:00+08:00"}';
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { field: "body", message: `the body must be a JSON object, ${example}` };
  }
  const unknown = Object.keys(body).find((key) => key !== "minutes" && key !== "until");
  if (unknown !== undefined) {
    return { field: unknown, message: `unknown field "${unknown}"; give "minutes" or "until", ${example}` };
  }
  const { minutes, until } = body as { minutes?: unknown; until?: unknown };
  if ((minutes === undefined) === (until === undefined)) {
    return {
      field: "body",
      message: `give either "until" (a time) or "minutes", not both and not neither, ${example}`,
    };
  }
  const cap = `a snooze may last at most 7 days (${MAX_SNOOZE_MINUTES} minutes)`;
  if (minutes !== undefined) {
    if (typeof minutes !== "number") {
      return {
        field: "minutes",
        message: `minutes must be a number of minutes, e.g. 90, not a ${typeof minutes} (got ${JSON.stringify(minutes)})`,
      };
    }
    if (minutes > MAX_SNOOZE_MINUTES) return { field: "minutes", message: `${cap}; got ${minutes}` };
    if (minutes < 1)
      return { field: "minutes", message: `a snooze must last at least 1 minute; got ${minutes}` };
    if (!Number.isInteger(minutes)) {
      return {
        field: "minutes",
        message: `minutes must be whole minutes, e.g. ${Math.ceil(minutes)}; got ${minutes}`,
      };
    }
    return { until: new Date(now.getTime() + minutes * 60_000) };
  }
  if (typeof until !== "string") {
    return {
      field: "until",
      message: `until must be a string, ${INSTANT_EXAMPLES} (got ${JSON.stringify(until)})`,
    };
  }
  const reading = readInstant(until);
  if ("problem" in reading) return { field: "until", message: `until ${reading.problem}` };
  if (reading.instant <= now) {
    return { field: "until", message: `until must be in the future (it is now ${now.toISOString()})` };
  }
  if (reading.instant.getTime() - now.getTime() > MAX_SNOOZE_MINUTES * 60_000) {
    const latest = new Date(now.getTime() + MAX_SNOOZE_MINUTES * 60_000).toISOString();
    return { field: "until", message: `${cap}: until may be ${latest} at the latest; got ${until}` };
  }
  return { until: reading.instant };
}

export function adminApi(deps: AdminApiDeps): Hono {
  const api = new Hono();
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

  api.get("/targets", async (c) => {
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
    return c.json({ targets, errors: inventory.errors, listedAt: inventory.listedAt ?? null });
  });

  api.get("/plan", async (c) => {
    const now = deps.now();
    const fromText = c.req.query("from");
    const toText = c.req.query("to");
    const fromReading = fromText === undefined ? { instant: now } : readInstant(fromText);
    if ("problem" in fromReading) {
      return errorResponse(c, 400, "invalid_window", `from ${fromReading.problem}`, { field: "from" });
    }
    const from = fromReading.instant;
    const toReading =
      toText === undefined ? { instant: new Date(from.getTime() + 7 * DAY_MS) } : readInstant(toText);
    if ("problem" in toReading) {
      return errorResponse(c, 400, "invalid_window", `to ${toReading.problem}`, { field: "to" });
    }
    const to = toReading.instant;
    if (to <= from) {
      return errorResponse(
        c,
        400,
        "invalid_window",
        `to (${to.toISOString()}) must be after from (${from.toISOString()})`,
        { field: "to" },
      );
    }
    if (to.getTime() - from.getTime() > MAX_PLAN_WINDOW_MS) {
      return errorResponse(
        c,
        400,
        "invalid_window",
        `the window may span at most 31 days; to may be ${new Date(from.getTime() + MAX_PLAN_WINDOW_MS).toISOString()} at the latest for this from`,
        { field: "to" },
      );
    }
    const inventory = await deps.inventory();
    const pauses = await readPauses(deps.store, now);
    const bySchedule = new Map(
      deps.schedules.map((s) => [s.name, planTransitions(s, calendarsFor(s, deps.calendars), { from, to })]),
    );
    const skipped: Array<{ target: string; provider: string; name: string } & NotOwned> = [];
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
    return c.json({ from: from.toISOString(), to: to.toISOString(), transitions: plan, skipped, warnings });
  });

  api.get("/operations", async (c) => {
    const status = c.req.query("status")?.split(",");
    const unknown = status?.find((s) => !OPERATION_STATUSES.includes(s as OperationStatus));
    if (unknown !== undefined) {
      return errorResponse(
        c,
        400,
        "invalid_status",
        `unknown status "${unknown}"; give one or more of ${OPERATION_STATUSES.join(", ")}, comma-separated`,
        { field: "status" },
      );
    }
    const limitText = c.req.query("limit") ?? "100";
    const limit = /^\d+$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_OPERATIONS_LIMIT)) {
      return errorResponse(
        c,
        400,
        "invalid_limit",
        `limit must be a whole number from 1 to ${MAX_OPERATIONS_LIMIT} (got "${limitText}")`,
        { field: "limit" },
      );
    }
    const target = c.req.query("target");
    const matching = await deps.store.operations.list(
      { ...(status ? { status: status as OperationStatus[] } : {}), ...(target ? { target } : {}) },
      deps.now(),
    );
    // The most recent `limit`, oldest first: finished operations are kept for 30 days, and the
    // first hundred of those would hide tonight's. Ledger entries still pending in an operation
    // (shared/jobs/ledger-pending.ts) are the ledger's, not part of the operation's shape.
    const operations = matching.slice(-limit).map(({ ledgerPending: _, ...op }) => op);
    return c.json({ operations, finished: FINISHED });
  });

  api.post("/targets/:id{.+}/snooze", async (c) => {
    // Already percent-decoded by the router (acc%2Fc1 is acc/c1): decoding again would turn a
    // literal "%2F" into "/" and throw on a stray "%".
    const id = c.req.param("id");
    const json = await readJson(c, '{"minutes": 90}');
    if ("refused" in json) return json.refused;
    const now = deps.now();
    const snooze = readSnooze(json.body, now);
    if ("message" in snooze) {
      return errorResponse(c, 400, "invalid_snooze", snooze.message, { field: snooze.field });
    }
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
    if (outcome.ok) return c.json({ target: id, snoozeUntil: outcome.snoozeUntil });
    return errorResponse(c, 409, "conflict", "the target's state changed concurrently; try again");
  });

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

  return api;
}
