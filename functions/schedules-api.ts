// The schedule routes of the admin API (mounted by functions/api.ts, behind its admin token and its
// Idempotency-Key middleware); the rule they apply is shared/schedule/pause.ts:
//   GET  /api/schedules                 every schedule: its targets, whether it is paused, its next transition
//   POST /api/schedules/{name}/pause    body { "until"?: time, "reason"?: text } or none: no sleeps
//                                       until then (or until resumed); wakes still happen
//   POST /api/schedules/{name}/resume   body { "reason"?: text } or none: the schedule applies again
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Inventory } from "../shared/providers/inventory.ts";
import { calendarsFor } from "../shared/schedule/engine.ts";
import { compileOwnership } from "../shared/schedule/ownership.ts";
import {
  type PauseOutcome,
  pauseSchedule,
  pauseView,
  readPauses,
  resumeSchedule,
} from "../shared/schedule/pause.ts";
import { nextTransition } from "../shared/schedule/plan.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import type { Store } from "../shared/store/store.ts";
import {
  PAUSE_EXAMPLE,
  PauseRequest,
  PauseResponse,
  RESUME_EXAMPLE,
  ResumeRequest,
  ScheduleParams,
  SchedulesResponse,
} from "./api-schemas.ts";
import { errorResponse } from "./errors.ts";
import { idempotencyKeyOf } from "./idempotency.ts";
import {
  ADMIN_ERRORS,
  apiRouter,
  errorResponses,
  JSON_BODY_ERRORS,
  jsonResponse,
  optionalJsonBody,
  refuseRequest,
  requestHook,
  WRITE_ERRORS,
} from "./openapi.ts";

export interface ScheduleApiDeps {
  store: Store;
  inventory: () => Promise<Inventory>;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  /** The clouds' time: what the schedules are planned by. */
  now: () => Date;
}

/** Who the ledger names for a pause or resume through this API (one admin token, one caller). */
const BY = "admin API";

/** The codes a pause or resume is refused with, besides those of every write and of its body. */
const CHANGE_ERRORS = {
  400: ["invalid_pause"],
  404: ["unknown_schedule"],
  409: ["conflict"],
} as const;

const SCHEDULE_ROUTES = {
  schedules: createRoute({
    method: "get",
    path: "/schedules",
    operationId: "listSchedules",
    tags: ["schedules"],
    summary: "Every schedule: the targets it owns, its pause and its next transition",
    responses: {
      200: jsonResponse(
        SchedulesResponse,
        "The schedules, the accounts whose listing failed, and when it was taken",
      ),
      ...errorResponses(ADMIN_ERRORS),
    },
  }),
  pause: createRoute({
    method: "post",
    path: "/schedules/{name}/pause",
    operationId: "pauseSchedule",
    tags: ["schedules"],
    summary: "Hold a schedule's sleeps until a time (at most 30 days) or until resumed; wakes still happen",
    description:
      "No sleep of the schedule's targets starts while the pause holds (`enforce` included); pausing wakes nothing. Lands in the ledger as `schedule.paused` (target `schedule:<name>`). Honours `Idempotency-Key`.",
    middleware: [optionalJsonBody(PAUSE_EXAMPLE)] as const,
    request: {
      params: ScheduleParams,
      body: { required: false, content: { "application/json": { schema: PauseRequest } } },
    },
    responses: {
      200: jsonResponse(PauseResponse, "The pause now holding the schedule"),
      ...errorResponses(ADMIN_ERRORS, WRITE_ERRORS, JSON_BODY_ERRORS, CHANGE_ERRORS),
    },
  }),
  resume: createRoute({
    method: "post",
    path: "/schedules/{name}/resume",
    operationId: "resumeSchedule",
    tags: ["schedules"],
    summary: "End a schedule's pause now; its state applies again at the next tick",
    description:
      "A schedule that is not paused is left as it is (`changed: false`, no ledger entry). Lands in the ledger as `schedule.resumed`. Honours `Idempotency-Key`.",
    middleware: [optionalJsonBody(RESUME_EXAMPLE)] as const,
    request: {
      params: ScheduleParams,
      body: { required: false, content: { "application/json": { schema: ResumeRequest } } },
    },
    responses: {
      200: jsonResponse(PauseResponse, "The schedule, no longer paused (`paused: null`)"),
      ...errorResponses(ADMIN_ERRORS, WRITE_ERRORS, JSON_BODY_ERRORS, CHANGE_ERRORS),
    },
  }),
};

/** A pause's or resume's outcome as its answer: the change, or the refusal with its code. */
function answer(c: Context, outcome: PauseOutcome) {
  if (outcome.ok)
    return c.json({ schedule: outcome.schedule, paused: outcome.pause, changed: outcome.changed }, 200);
  switch (outcome.code) {
    case "invalid_pause":
      return refuseRequest(c, "invalid_pause", [{ field: outcome.field, message: outcome.message }]);
    case "unknown_schedule":
      return errorResponse(c, 404, "unknown_schedule", outcome.message);
    case "conflict":
      return errorResponse(c, 409, "conflict", outcome.message);
  }
}

export function scheduleRoutes(deps: ScheduleApiDeps): OpenAPIHono {
  const routes = apiRouter();
  const ownershipOf = compileOwnership(deps.schedules);

  routes.openapi(SCHEDULE_ROUTES.schedules, async (c) => {
    const now = deps.now();
    const inventory = await deps.inventory();
    const pauses = await readPauses(deps.store, now);
    const owned = new Map<string, number>();
    for (const target of inventory.targets) {
      const ownership = ownershipOf(target);
      if (ownership.status === "owned")
        owned.set(ownership.schedule.name, (owned.get(ownership.schedule.name) ?? 0) + 1);
    }
    const schedules = deps.schedules.map((schedule) => {
      const next = schedule.enabled
        ? nextTransition(schedule, calendarsFor(schedule, deps.calendars), now)
        : undefined;
      return {
        name: schedule.name,
        source: schedule.source,
        enabled: schedule.enabled,
        timezone: schedule.timezone,
        mode: schedule.mode,
        enforce: schedule.enforce,
        // The targets it owns (acts on); a target several schedules match is none's.
        targets: owned.get(schedule.name) ?? 0,
        paused: pauseView(pauses.get(schedule.name), now),
        next: next
          ? {
              to: next.to,
              at: next.at.toISOString(),
              local: `${next.local.date} ${next.local.time} ${next.local.timezone}`,
            }
          : null,
      };
    });
    return c.json({ schedules, errors: inventory.errors, listedAt: inventory.listedAt ?? null }, 200);
  });

  routes.openapi(
    SCHEDULE_ROUTES.pause,
    async (c) => {
      const { name } = c.req.valid("param");
      const { until, reason } = c.req.valid("json");
      const key = idempotencyKeyOf(c);
      const outcome = await pauseSchedule(deps, name, {
        // Schema-valid: readInstant reads it; whether it is ahead and within the cap is the rule's.
        ...(until !== undefined ? { until: new Date(until) } : {}),
        ...(reason !== undefined ? { reason } : {}),
        by: BY,
        ...(key !== undefined ? { key } : {}),
        now: deps.now(),
      });
      return answer(c, outcome);
    },
    requestHook("invalid_pause"),
  );

  routes.openapi(
    SCHEDULE_ROUTES.resume,
    async (c) => {
      const { name } = c.req.valid("param");
      const { reason } = c.req.valid("json");
      const key = idempotencyKeyOf(c);
      const outcome = await resumeSchedule(deps, name, {
        ...(reason !== undefined ? { reason } : {}),
        by: BY,
        ...(key !== undefined ? { key } : {}),
        now: deps.now(),
      });
      return answer(c, outcome);
    },
    requestHook("invalid_pause"),
  );

  return routes;
}
