// The admin API's request and response schemas (functions/api.ts): the requests' are the validation,
// with messages that name the field and say what to send; the responses' describe what the routes
// answer (their handlers are type-checked against them).
// @hono/zod-openapi gives zod's schemas `.openapi()` (its import extends zod), used below.
import "@hono/zod-openapi";
import * as z from "zod";
import { PROVIDER_KINDS } from "../shared/providers/port.ts";
import { MAX_PAUSE_DAYS, MAX_PAUSE_REASON_LENGTH } from "../shared/schedule/pause.ts";
import { SLEEP_MODES, WEEKDAYS } from "../shared/schedule/types.ts";
import { ACTIVE, FINISHED, type OperationStatus } from "../shared/store/store.ts";
import { INSTANT_EXAMPLES, readInstant } from "./instant.ts";
import { MAX_SNOOZE_MINUTES } from "./snooze.ts";

export const MAX_OPERATIONS_LIMIT = 1000;
export const DEFAULT_OPERATIONS_LIMIT = 100;
const OPERATION_STATUSES = [...ACTIVE, ...FINISHED] as [OperationStatus, ...OperationStatus[]];
const SNOOZE_EXAMPLE = 'e.g. {"minutes": 90} or {"until": "2026-11-22T23:30:00+08:00"}';
const SNOOZE_CAP = `a snooze may last at most 7 days (${MAX_SNOOZE_MINUTES} minutes)`;
const TIME = { type: "string", format: "date-time" } as const;
/** Of a nullable time: a `type` given here would replace the generated ["string", "null"]. */
const TIME_OR_NULL = { format: "date-time" } as const;

/** A time a person types: ISO-8601 with an offset, read by readInstant (why not, if not). */
function instantText(field: string) {
  return z
    .string({ error: `${field} must be given once, as a time with an offset, ${INSTANT_EXAMPLES}` })
    .superRefine((text, ctx) => {
      const reading = readInstant(text);
      if ("problem" in reading) ctx.addIssue({ code: "custom", message: `${field} ${reading.problem}` });
    });
}

/** A time in a JSON body: a string, ISO-8601 with an offset, read by readInstant (why not, if not). */
function bodyInstant(field: string) {
  return z
    .string({
      error: (issue) => `${field} must be a string, ${INSTANT_EXAMPLES} (got ${JSON.stringify(issue.input)})`,
    })
    .superRefine((text, ctx) => {
      const reading = readInstant(text);
      if ("problem" in reading) ctx.addIssue({ code: "custom", message: `${field} ${reading.problem}` });
    });
}

// ---- requests ----

export const TargetParams = z.object({
  id: z.string().openapi({
    param: { name: "id", in: "path" },
    description: "The target's id, `account/clusterId`; its slash may be sent raw or as `%2F`",
    example: "prod-hw/c1",
  }),
});

export const PlanQuery = z.object({
  from: instantText("from")
    .optional()
    .openapi({
      description: `Start of the window (default: now). ${INSTANT_EXAMPLES}; in a query string write "+" as %2B`,
      example: "2026-11-23T00:00:00+08:00",
    }),
  to: instantText("to").optional().openapi({
    description:
      "End of the window (default: 7 days after `from`). Must be after `from`, and at most 31 days after it (`invalid_window` otherwise)",
    example: "2026-11-30T00:00:00+08:00",
  }),
});

const statusList = `one or more of ${OPERATION_STATUSES.join(", ")}, comma-separated`;
const limitRule = `limit must be a whole number from 1 to ${MAX_OPERATIONS_LIMIT}`;
const limitMessage = (issue: { input?: unknown }) => `${limitRule} (got "${String(issue.input)}")`;

export const OperationsQuery = z.object({
  status: z
    .string({ error: `status must be given once: ${statusList}` })
    .superRefine((text, ctx) => {
      const unknown = text.split(",").find((s) => !OPERATION_STATUSES.includes(s as OperationStatus));
      if (unknown !== undefined)
        ctx.addIssue({ code: "custom", message: `unknown status "${unknown}"; give ${statusList}` });
    })
    .transform((text) => text.split(",") as OperationStatus[])
    .optional()
    .openapi({ description: `Only operations in these states: ${statusList}`, example: "failed,waiting" }),
  limit: z
    .string({ error: limitMessage })
    .regex(/^\d+$/, { error: limitMessage })
    .transform(Number)
    .pipe(z.number().min(1, { error: limitMessage }).max(MAX_OPERATIONS_LIMIT, { error: limitMessage }))
    .optional()
    .openapi({
      description: `How many of the most recent matching operations (listed oldest first): 1 to ${MAX_OPERATIONS_LIMIT}, default ${DEFAULT_OPERATIONS_LIMIT}`,
      example: "20",
    }),
  target: z
    .string({ error: "target must be given once: a target id, account/clusterId" })
    .optional()
    .openapi({ description: "Only this target's operations (`account/clusterId`)", example: "prod-hw/c1" }),
});

export const SnoozeRequest = z
  .strictObject(
    {
      minutes: z
        .number({
          error: (issue) =>
            `minutes must be a number of minutes, e.g. 90, not a ${typeof issue.input} (got ${JSON.stringify(issue.input)})`,
        })
        .max(MAX_SNOOZE_MINUTES, { error: (issue) => `${SNOOZE_CAP}; got ${issue.input}`, abort: true })
        .min(1, { error: (issue) => `a snooze must last at least 1 minute; got ${issue.input}`, abort: true })
        .int({
          error: (issue) =>
            `minutes must be whole minutes, e.g. ${Math.ceil(Number(issue.input))}; got ${issue.input}`,
        })
        .optional()
        .openapi({ description: "Hold the target's sleeps this many minutes from now", example: 90 }),
      until: bodyInstant("until")
        .optional()
        .openapi({
          description: `Hold the target's sleeps until this time: in the future, at most 7 days ahead. ${INSTANT_EXAMPLES}`,
          example: "2026-11-22T23:30:00+08:00",
        }),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown field "${issue.keys[0]}"; give "minutes" or "until", ${SNOOZE_EXAMPLE}`
          : `the body must be a JSON object, ${SNOOZE_EXAMPLE}`,
    },
  )
  .refine((body) => (body.minutes === undefined) !== (body.until === undefined), {
    error: `give either "until" (a time) or "minutes", not both and not neither, ${SNOOZE_EXAMPLE}`,
  })
  .openapi("SnoozeRequest", {
    description:
      "Exactly one of `minutes` and `until`. The snooze may last at most 7 days, and `until` must be in the future (both judged by the clock when the request arrives; `invalid_snooze` otherwise). Wakes are never held.",
    example: { minutes: 90 },
  });
export type SnoozeRequest = z.infer<typeof SnoozeRequest>;

export const ScheduleParams = z.object({
  name: z.string().openapi({
    param: { name: "name", in: "path" },
    description: "The schedule's name (`GET /api/schedules` lists them)",
    example: "qa",
  }),
});

export const PAUSE_EXAMPLE = '{"until": "2026-11-30T08:00:00+08:00", "reason": "release freeze"}';
export const RESUME_EXAMPLE = '{"reason": "freeze over"}';

const pauseReason = z
  .string({
    error: (issue) => `reason must be a string, e.g. "release freeze" (got ${JSON.stringify(issue.input)})`,
  })
  .max(MAX_PAUSE_REASON_LENGTH, {
    error: (issue) =>
      `reason may be at most ${MAX_PAUSE_REASON_LENGTH} characters (got ${String(issue.input).length})`,
  })
  .optional()
  .openapi({
    description: "Why: recorded in the ledger and shown with the pause",
    example: "release freeze",
  });

/** A strict body's refusals: an unknown field names the ones it takes, anything else the shape. */
const bodyShapeError = (fields: string, example: string) => (issue: { code: string; keys?: string[] }) =>
  issue.code === "unrecognized_keys"
    ? `unknown field "${issue.keys?.[0]}"; give only ${fields}, e.g. ${example}`
    : `the body must be a JSON object, e.g. ${example}`;

/**
 * The body is optional: none at all, an empty one or `{}` pauses until resumed (optionalJsonBody
 * reads an empty body as `{}`).
 */
export const PauseRequest = z
  .strictObject(
    {
      until: bodyInstant("until")
        .optional()
        .openapi({
          description: `When the pause ends by itself: in the future, at most ${MAX_PAUSE_DAYS} days ahead (\`invalid_pause\` otherwise). ${INSTANT_EXAMPLES}. Absent: until resumed`,
          example: "2026-11-30T08:00:00+08:00",
        }),
      reason: pauseReason,
    },
    { error: bodyShapeError('"until" and "reason"', PAUSE_EXAMPLE) },
  )
  .openapi("PauseRequest", {
    description:
      "Both fields optional; no body, an empty body or `{}` pauses until resumed. Pausing a paused schedule changes its `until` and reason; it keeps its start.",
    example: JSON.parse(PAUSE_EXAMPLE),
  });
export type PauseRequest = z.infer<typeof PauseRequest>;

/** The body is optional: none, an empty one or `{}` resumes without a reason. */
export const ResumeRequest = z
  .strictObject({ reason: pauseReason }, { error: bodyShapeError('"reason"', RESUME_EXAMPLE) })
  .openapi("ResumeRequest", {
    description: "Optional; no body, an empty body or `{}` resumes without a reason.",
    example: JSON.parse(RESUME_EXAMPLE),
  });
export type ResumeRequest = z.infer<typeof ResumeRequest>;

// ---- responses ----

const NodePool = z
  .object({
    id: z.string(),
    name: z.string(),
    desired: z.number().int().describe("The size the cloud is converging to"),
    ready: z.number().int().describe("Nodes that exist and are ready now"),
    autoscaling: z.object({ enabled: z.boolean(), min: z.number().int(), max: z.number().int() }).optional(),
    phase: z.enum(["stable", "scaling", "busy", "failed"]),
    vendorPhase: z.string().describe("The cloud's own word for the pool's state"),
  })
  .openapi("NodePool");

const Target = z
  .object({
    targetId: z.string().describe("`account/clusterId`: unique across the fleet"),
    provider: z.enum(PROVIDER_KINDS),
    account: z.string(),
    region: z.string(),
    id: z.string().describe("The cluster's id at its cloud"),
    name: z.string(),
    phase: z.enum(["running", "hibernating", "hibernated", "waking", "busy", "failed"]),
    vendorPhase: z.string().describe("The cloud's own word for the cluster's state"),
    version: z.string().optional(),
    tags: z.record(z.string(), z.string()),
    nodePools: z.array(NodePool),
    poolsListedAt: z.string().optional().openapi(TIME),
    poolsUnknown: z.string().optional().describe("Why `nodePools` is not known (then empty)"),
  })
  .openapi("Target");

const NotOwned = z.object({
  status: z.enum(["several-schedules", "disabled"]),
  schedules: z.array(z.string()),
  message: z.string(),
});
const Ownership = z
  .union([
    z.object({ status: z.literal("owned"), schedule: z.string() }),
    z.object({ status: z.literal("unmatched") }),
    NotOwned,
  ])
  .openapi("Ownership", { description: "Which schedule acts on the target, or why none does" });

const TargetState = z
  .object({
    lastTransition: z
      .object({
        to: z.enum(["asleep", "awake"]),
        at: z.string().openapi(TIME),
        slot: z.string().optional(),
        operationId: z.string().optional(),
        by: z.enum(["schedule", "manual", "enforce"]),
      })
      .optional(),
    cooldownUntil: z.string().optional().openapi(TIME),
    backoff: z
      .object({ failures: z.number().int(), nextAttemptAt: z.string(), lastError: z.string().optional() })
      .optional(),
    snoozeUntil: z.string().optional().openapi(TIME),
    heldAwake: z
      .object({ at: z.string(), until: z.string(), operationId: z.string(), rule: z.string() })
      .optional(),
    updatedAt: z.string().optional().openapi(TIME),
  })
  .openapi("TargetState", { description: "What nightshift remembers about the target" });

export const PauseView = z
  .object({
    since: z.string().openapi(TIME),
    until: z
      .string()
      .nullable()
      .openapi({ ...TIME_OR_NULL, description: "null: until resumed" }),
    reason: z.string().nullable(),
    by: z.string(),
  })
  .openapi("SchedulePause", {
    description: "The target's schedule is paused: its sleeps wait; wakes still act",
  });

/**
 * A pause or null. Not `PauseView.nullable()`: of a named schema the generator writes only the
 * reference, and the document would refuse the null (zod-to-openapi, OpenAPI 3.1).
 */
const PauseOrNull = z.union([PauseView, z.null()]);

const Deferred = z
  .object({ reason: z.literal("paused"), until: z.string().nullable() })
  .optional()
  .describe("A sleep the schedule's pause holds: it waits until `until` (null: until resumed)");

const LocalTime = z.object({
  date: z.string().openapi({ example: "2026-11-23" }),
  time: z.string().openapi({ example: "20:00" }),
  weekday: z.enum(WEEKDAYS as ["mon", ...(typeof WEEKDAYS)[number][]]),
  timezone: z.string().openapi({ example: "Asia/Shanghai" }),
});

/** What a response built on the clouds' listing tells of the listing itself. */
const LISTING = {
  errors: z
    .array(
      z.object({
        provider: z.enum(PROVIDER_KINDS),
        account: z.string(),
        clusterId: z.string().optional(),
        kind: z.string(),
        message: z.string(),
      }),
    )
    .describe("Accounts (or clusters) whose listing failed, beside the others' results"),
  listedAt: z
    .string()
    .nullable()
    .openapi({ ...TIME_OR_NULL, description: "When the clouds were listed, when known" }),
};

export const TargetsResponse = z
  .object({
    targets: z.array(
      Target.extend({
        schedules: z.array(z.string()).describe("The enabled schedules whose selectors match it"),
        ownership: Ownership,
        state: TargetState.nullable(),
        paused: PauseView.optional(),
        next: z
          .object({
            to: z.enum(["asleep", "awake"]),
            at: z.string().openapi(TIME),
            local: LocalTime,
            schedule: z.string(),
            deferred: Deferred,
          })
          .nullable()
          .describe("The next transition its schedule plans, in UTC and in the schedule's local time"),
      }),
    ),
    ...LISTING,
  })
  .openapi("Targets");

export const PlanResponse = z
  .object({
    from: z.string().openapi(TIME),
    to: z.string().openapi(TIME),
    transitions: z.array(
      z.object({
        target: z.string(),
        provider: z.enum(PROVIDER_KINDS),
        name: z.string(),
        schedule: z.string(),
        to: z.enum(["asleep", "awake"]),
        at: z.string().openapi(TIME),
        local: z.string().openapi({ example: "2026-11-23 20:00 Asia/Shanghai" }),
        cause: z.enum(["rule", "exception-start", "exception-end", "holiday"]),
        dst: z.enum(["skipped", "repeated"]).optional(),
        deferred: Deferred,
      }),
    ),
    skipped: z
      .array(
        z
          .object({ target: z.string(), provider: z.enum(PROVIDER_KINDS), name: z.string() })
          .extend(NotOwned.shape),
      )
      .describe("Targets no schedule acts on because several match, or theirs is disabled"),
    warnings: z
      .array(
        z.object({
          schedule: z.string(),
          source: z.string(),
          calendar: z.string(),
          lastCovered: z.string().optional(),
          firstUncovered: z.string(),
          provisional: z.boolean(),
          message: z.string(),
        }),
      )
      .describe("Holiday calendars running out of official data within 60 days"),
  })
  .openapi("Plan");

const Operation = z
  .object({
    id: z.string(),
    target: z.string(),
    kind: z.string().openapi({ example: "sleep" }),
    status: z.enum(OPERATION_STATUSES),
    step: z.string(),
    data: z.record(z.string(), z.unknown()),
    attempts: z.number().int(),
    nextAttemptAt: z.string().optional().openapi(TIME),
    error: z.object({ kind: z.string(), message: z.string() }).optional(),
    outbox: z
      .object({
        eventId: z.string(),
        event: z.object({ detailType: z.string(), detail: z.record(z.string(), z.unknown()) }),
        time: z.string(),
        state: z.enum(["pending", "published", "undelivered"]),
        recordedAt: z.string(),
        attempts: z.number().int(),
        nextAttemptAt: z.string().optional(),
        lastError: z.object({ code: z.string(), message: z.string() }).optional(),
        settledAt: z.string().optional(),
      })
      .optional()
      .describe("The outcome event and its publishing (EventBridge), once finished"),
    finished: z
      .object({
        kind: z.string(),
        outcome: z.enum(["succeeded", "failed"]),
        at: z.string().openapi(TIME),
        operationId: z.string(),
        error: z.string().optional().describe("Why it failed, shortened to 200 characters"),
      })
      .optional()
      .describe(
        "How it ended, when it ended as an action (not skipped): its target's last action of its kind",
      ),
    createdAt: z.string().openapi(TIME),
    updatedAt: z.string().openapi(TIME),
    version: z.number().int(),
  })
  .openapi("Operation");

export const OperationsResponse = z
  .object({
    operations: z.array(Operation),
    finished: z.array(z.enum(OPERATION_STATUSES)),
  })
  .openapi("Operations");

export const SnoozeResponse = z
  .object({ target: z.string(), snoozeUntil: z.string().openapi(TIME) })
  .openapi("Snoozed", { example: { target: "prod-hw/c1", snoozeUntil: "2026-11-22T15:30:00.000Z" } });

export const SchedulesResponse = z
  .object({
    schedules: z.array(
      z.object({
        name: z.string(),
        source: z.string().describe("The file it was read from").openapi({ example: "schedules/qa.yaml" }),
        enabled: z.boolean(),
        timezone: z.string().openapi({ example: "Asia/Shanghai" }),
        mode: z.enum(SLEEP_MODES),
        enforce: z.boolean(),
        targets: z
          .number()
          .int()
          .describe("The targets it owns (acts on); a target several schedules match is none's"),
        paused: PauseOrNull.describe("null: not paused"),
        next: z
          .object({
            to: z.enum(["asleep", "awake"]),
            at: z.string().openapi(TIME),
            local: z.string().openapi({ example: "2026-11-23 20:00 Asia/Shanghai" }),
          })
          .nullable()
          .describe("Its next planned transition (null: disabled, or none planned)"),
      }),
    ),
    ...LISTING,
  })
  .openapi("Schedules");

export const PauseResponse = z
  .object({
    schedule: z.string(),
    paused: PauseOrNull.describe("The pause now holding the schedule; null: none (resumed)"),
    changed: z
      .boolean()
      .describe("false: nothing to do (a resume of a schedule not paused), and no ledger entry"),
  })
  .openapi("SchedulePauseChange");
