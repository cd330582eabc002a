// The admin API (`/api/*`): bearer-token protected, JSON in and out, the shared error shape.
// Writes honour `Idempotency-Key`.
import { Hono } from "hono";
import { z } from "zod";
import type { Logger } from "../shared/log/logger.ts";
import type { Inventory, Target } from "../shared/providers/inventory.ts";
import { coverageWarnings } from "../shared/schedule/coverage.ts";
import { calendarsFor } from "../shared/schedule/engine.ts";
import { compileSelector, nextTransition, planTransitions } from "../shared/schedule/plan.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import { checkAuthorization } from "../shared/signer/credentials.ts";
import { FINISHED, type OperationStatus, type Store } from "../shared/store/store.ts";
import { errorResponse } from "./errors.ts";
import { idempotency } from "./idempotency.ts";

export interface AdminApiDeps {
  /** Unset: the admin API answers 503 until NIGHTSHIFT_ADMIN_TOKEN is configured. */
  adminToken?: string;
  inventory: () => Promise<Inventory>;
  store: Store;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  now: () => Date;
  log: Logger;
}

const DAY_MS = 24 * 3600 * 1000;
const MAX_PLAN_WINDOW_MS = 31 * DAY_MS;
const MAX_SNOOZE_MS = 7 * DAY_MS;
const MAX_OPERATIONS_LIMIT = 1000;
const OPERATION_STATUSES: readonly OperationStatus[] = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
];

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * An ISO-8601 instant that carries its offset ("Z" or ±HH:MM), seconds optional. Anything else is
 * undefined: `new Date()` alone would read "2026-11-23T20:00" in the host's own time zone and
 * accept "12" as 2001-12-01.
 */
export function parseInstant(text: string): Date | undefined {
  const match = ISO_INSTANT.exec(text);
  if (!match) return undefined;
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime())) return undefined;
  // Date rolls 2026-02-30 over into March; refuse calendar dates that do not exist.
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? instant : undefined;
}

const snoozeBody = z
  .object({
    until: z.iso
      .datetime({ offset: true, message: "must be an ISO-8601 time, e.g. 2026-11-22T23:30:00+08:00" })
      .optional(),
    minutes: z
      .number({ message: "must be a number of minutes, e.g. 60" })
      .int("must be whole minutes")
      .min(1, "must be at least 1 minute")
      .max(MAX_SNOOZE_MS / 60_000, `a snooze may last at most 7 days (${MAX_SNOOZE_MS / 60_000} minutes)`)
      .optional(),
  })
  .refine((b) => (b.until === undefined) !== (b.minutes === undefined), {
    message: 'give either "until" (a time) or "minutes", not both and not neither',
  });

export function adminApi(deps: AdminApiDeps): Hono {
  const api = new Hono();
  const schedulesOf = (target: Target) =>
    deps.schedules.filter(
      (s) => s.enabled && s.targets.some((selector) => compileSelector(selector)(target)),
    );

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
      now: deps.now,
      required: false,
      scope: () => "admin",
      log: deps.log,
    }),
  );

  api.get("/targets", async (c) => {
    const now = deps.now();
    const inventory = await deps.inventory();
    const states = new Map((await deps.store.targets.list(now)).map((s) => [s.key, s.value]));
    const targets = inventory.targets.map((target) => {
      const schedules = schedulesOf(target);
      const schedule = schedules.length === 1 ? schedules[0] : undefined;
      const next = schedule
        ? nextTransition(schedule, calendarsFor(schedule, deps.calendars), now)
        : undefined;
      return {
        ...target,
        schedules: schedules.map((s) => s.name),
        state: states.get(target.targetId) ?? null,
        next: next
          ? { to: next.to, at: next.at.toISOString(), local: next.local, schedule: next.schedule }
          : null,
      };
    });
    return c.json({ targets, errors: inventory.errors });
  });

  api.get("/plan", async (c) => {
    const now = deps.now();
    const fromText = c.req.query("from");
    const toText = c.req.query("to");
    const from = fromText === undefined ? now : parseInstant(fromText);
    const to = toText === undefined ? from && new Date(from.getTime() + 7 * DAY_MS) : parseInstant(toText);
    if (!from || !to) {
      return errorResponse(
        c,
        400,
        "invalid_window",
        "from and to must be ISO-8601 times with an offset, e.g. 2026-11-22T00:00:00Z or 2026-11-22T08:00:00+08:00",
        { field: from ? "to" : "from" },
      );
    }
    if (to <= from || to.getTime() - from.getTime() > MAX_PLAN_WINDOW_MS) {
      return errorResponse(c, 400, "invalid_window", "to must be after from, and the window at most 31 days");
    }
    const inventory = await deps.inventory();
    const bySchedule = new Map(
      deps.schedules.map((s) => [s.name, planTransitions(s, calendarsFor(s, deps.calendars), { from, to })]),
    );
    const plan = inventory.targets.flatMap((target) => {
      const schedules = schedulesOf(target);
      if (schedules.length !== 1) return [];
      return (bySchedule.get(schedules[0]!.name) ?? []).map((t) => ({
        target: target.targetId,
        provider: target.provider,
        name: target.name,
        schedule: t.schedule,
        to: t.to,
        at: t.at.toISOString(),
        local: `${t.local.date} ${t.local.time} ${t.local.timezone}`,
        cause: t.cause,
        ...(t.dst ? { dst: t.dst } : {}),
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
    return c.json({ from: from.toISOString(), to: to.toISOString(), transitions: plan, warnings });
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
        `limit must be a whole number from 1 to ${MAX_OPERATIONS_LIMIT}`,
        { field: "limit" },
      );
    }
    const target = c.req.query("target");
    const matching = await deps.store.operations.list(
      { ...(status ? { status: status as OperationStatus[] } : {}), ...(target ? { target } : {}) },
      deps.now(),
    );
    // The most recent `limit`, oldest first: finished operations are kept for 30 days, and the
    // first hundred of those would hide tonight's.
    return c.json({ operations: matching.slice(-limit), finished: FINISHED });
  });

  api.post("/targets/:id{.+}/snooze", async (c) => {
    // Already percent-decoded by the router (acc%2Fc1 is acc/c1): decoding again would turn a
    // literal "%2F" into "/" and throw on a stray "%".
    const id = c.req.param("id");
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return errorResponse(c, 400, "invalid_json", 'the body must be JSON, e.g. {"minutes": 60}');
    }
    const parsed = snoozeBody.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return errorResponse(c, 400, "invalid_snooze", issue.message, {
        field: issue.path.join(".") || "body",
      });
    }
    const now = deps.now();
    const inventory = await deps.inventory();
    if (!inventory.targets.some((t) => t.targetId === id)) {
      return errorResponse(
        c,
        404,
        "unknown_target",
        `no target "${id}"; GET /api/targets lists them (ids are account/clusterId)`,
      );
    }
    const until = parsed.data.until
      ? new Date(parsed.data.until)
      : new Date(now.getTime() + parsed.data.minutes! * 60_000);
    if (until.getTime() - now.getTime() > MAX_SNOOZE_MS) {
      return errorResponse(c, 400, "invalid_snooze", "a snooze may last at most 7 days", { field: "until" });
    }
    if (until <= now) {
      return errorResponse(
        c,
        400,
        "invalid_snooze",
        `until must be in the future (it is now ${now.toISOString()})`,
        { field: "until" },
      );
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await deps.store.targets.get(id, now);
      const next = { ...current?.value, snoozeUntil: until.toISOString(), updatedAt: now.toISOString() };
      if ((await deps.store.targets.put(id, next, current?.version ?? null, now)) !== undefined) {
        await deps.store.ledger.append({
          at: now,
          operationId: `snooze@${id}@${now.toISOString()}`,
          target: id,
          kind: "target.snoozed",
          detail: { until: until.toISOString() },
        });
        return c.json({ target: id, snoozeUntil: until.toISOString() });
      }
    }
    return errorResponse(c, 409, "conflict", "the target's state changed concurrently; try again");
  });

  return api;
}
