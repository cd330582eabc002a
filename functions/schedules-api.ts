// The schedule routes of the admin API (mounted by functions/api.ts, behind its admin token and its
// Idempotency-Key middleware); the rule they apply is shared/schedule/pause.ts:
//   GET  /api/schedules                 every schedule: its targets, whether it is paused, its next transition
//   POST /api/schedules/{name}/pause    body { "until"?: time, "reason"?: text }: no sleeps until then
//                                       (or until resumed); wakes still happen
//   POST /api/schedules/{name}/resume   body { "reason"?: text } or none: the schedule applies again
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { Inventory } from "../shared/providers/inventory.ts";
import { calendarsFor } from "../shared/schedule/engine.ts";
import { compileOwnership } from "../shared/schedule/ownership.ts";
import {
  MAX_PAUSE_DAYS,
  MAX_PAUSE_REASON_LENGTH,
  type PauseOutcome,
  pauseSchedule,
  pauseView,
  readPauses,
  resumeSchedule,
} from "../shared/schedule/pause.ts";
import { nextTransition } from "../shared/schedule/plan.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import type { Store } from "../shared/store/store.ts";
import { errorResponse } from "./errors.ts";
import { idempotencyKeyOf } from "./idempotency.ts";
import { INSTANT_EXAMPLES, readInstant } from "./instant.ts";
import { readJson } from "./request-body.ts";

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

const reason = z
  .string({ error: 'reason must be a string, e.g. "release freeze"' })
  .max(MAX_PAUSE_REASON_LENGTH, `reason may be at most ${MAX_PAUSE_REASON_LENGTH} characters`)
  .optional()
  .describe("Why, recorded in the ledger and shown with the pause.");

/** `POST /api/schedules/{name}/pause`: an absent or empty body pauses until resumed. */
export const pauseBodySchema = z
  .object({
    until: z
      .string({ error: `until must be a string, ${INSTANT_EXAMPLES}` })
      .optional()
      .describe(
        `When the pause ends by itself: an ISO-8601 time with an offset, at most ${MAX_PAUSE_DAYS} days ahead. Absent: until resumed.`,
      ),
    reason,
  })
  .strict();

/** `POST /api/schedules/{name}/resume`: an absent or empty body is fine. */
export const resumeBodySchema = z.object({ reason }).strict();

const PAUSE_EXAMPLE = '{"until": "2026-11-30T08:00:00+08:00", "reason": "release freeze"}';
const RESUME_EXAMPLE = '{"reason": "freeze over"}';

/** The body read by `schema`, or the 4xx naming the field; no body at all reads as `{}`. */
async function readBody<T>(
  c: Context,
  schema: z.ZodType<T>,
  example: string,
): Promise<{ body: T } | { refused: Response }> {
  let json: unknown = {};
  if ((await c.req.text()).trim() !== "") {
    const read = await readJson(c, example);
    if ("refused" in read) return read;
    json = read.body;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { body: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field =
    issue.code === "unrecognized_keys"
      ? issue.keys[0]!
      : issue.path.length > 0
        ? issue.path.join(".")
        : "body";
  const message =
    issue.code === "unrecognized_keys"
      ? `unknown field "${field}"; give only these fields, e.g. ${example}`
      : field === "body"
        ? `the body must be a JSON object, e.g. ${example}`
        : issue.message;
  return { refused: errorResponse(c, 400, "invalid_pause", message, { field }) };
}

function answer(c: Context, outcome: PauseOutcome) {
  if (!outcome.ok)
    return errorResponse(
      c,
      outcome.status,
      outcome.code,
      outcome.message,
      outcome.field ? { field: outcome.field } : {},
    );
  return c.json({ schedule: outcome.schedule, paused: outcome.pause, changed: outcome.changed });
}

export function scheduleRoutes(deps: ScheduleApiDeps): Hono {
  const routes = new Hono();
  const ownershipOf = compileOwnership(deps.schedules);

  routes.get("/schedules", async (c) => {
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
    return c.json({ schedules, errors: inventory.errors, listedAt: inventory.listedAt ?? null });
  });

  routes.post("/schedules/:name/pause", async (c) => {
    const read = await readBody(c, pauseBodySchema, PAUSE_EXAMPLE);
    if ("refused" in read) return read.refused;
    let until: Date | undefined;
    if (read.body.until !== undefined) {
      const reading = readInstant(read.body.until);
      if ("problem" in reading)
        return errorResponse(c, 400, "invalid_pause", `until ${reading.problem}`, { field: "until" });
      until = reading.instant;
    }
    const key = idempotencyKeyOf(c);
    const outcome = await pauseSchedule(deps, c.req.param("name"), {
      ...(until ? { until } : {}),
      ...(read.body.reason !== undefined ? { reason: read.body.reason } : {}),
      by: BY,
      ...(key !== undefined ? { key } : {}),
      now: deps.now(),
    });
    return answer(c, outcome);
  });

  routes.post("/schedules/:name/resume", async (c) => {
    const read = await readBody(c, resumeBodySchema, RESUME_EXAMPLE);
    if ("refused" in read) return read.refused;
    const key = idempotencyKeyOf(c);
    const outcome = await resumeSchedule(deps, c.req.param("name"), {
      ...(read.body.reason !== undefined ? { reason: read.body.reason } : {}),
      by: BY,
      ...(key !== undefined ? { key } : {}),
      now: deps.now(),
    });
    return answer(c, outcome);
  });

  return routes;
}
