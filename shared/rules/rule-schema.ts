// The resize rule format as a zod schema: a YAML document in schedules/ with `kind: resize` is one
// rule (a document without `kind`, or `kind: schedule`, is a schedule). A rule matches inbound
// events (shared/events/inbound.ts), names the node pool (or cluster) they are about, and what to
// do: set / add / percent (AWS step scaling's ExactCapacity / ChangeInCapacity /
// PercentChangeInCapacity), clamped to min/max, with a cooldown per pool, hysteresis and revert on
// resolve; or, for a whole cluster, wake now (holding it awake until a time) or sleep early.
// schedule-file.ts maps its issues to file lines; `compileRule` turns a parsed document into the
// `ResizeRule` the matcher (match.ts) and the decision (decide.ts) use.
import * as z from "zod";
import { INBOUND_SOURCES, type InboundSource } from "../events/inbound.ts";
import { PROVIDER_KINDS } from "../providers/port.ts";
import { isTimeZone, SCHEDULE_NAME } from "../schedule/schedule-schema.ts";

const LOCAL_TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
/** A dotted path into the event's data: `pool.name`, `detail.cluster` (letters, digits, _ and -). */
const DATA_PATH = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const MAX_NODES = 10_000;
/** A pool action's cooldown when the rule gives none. */
export const DEFAULT_COOLDOWN_MINUTES = 5;

const quoted = (value: unknown) => (typeof value === "string" ? `"${value}"` : JSON.stringify(value));
const mustBe = (field: string, what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${field} is required; it must be ${what}` : `${field} must be ${what}`;

const Nodes = (field: string) =>
  z
    .int({ error: mustBe(field, `a whole number of nodes from 0 to ${MAX_NODES}`) })
    .min(0, `${field} must be at least 0`)
    .max(MAX_NODES, `${field} must be at most ${MAX_NODES}`);

const Minutes = (field: string, max: number) =>
  z
    .int({ error: mustBe(field, `a whole number of minutes from 0 to ${max}`) })
    .min(0, `${field} must be at least 0`)
    .max(max, `${field} must be at most ${max}`);

const OneOrMore = <T extends z.ZodType<string>>(field: string, item: T, example: string) =>
  z.union([item, z.array(item).min(1, `${field} must list at least one value, e.g. ${example}`)], {
    // A single value that is wrong: the item's own message says why (not "must be a value or a list").
    error: (issue) => {
      if (typeof issue.input === "string") {
        const own = item.safeParse(issue.input);
        if (!own.success) return own.error.issues[0]?.message;
      }
      return mustBe(field, `a value or a list of values, e.g. ${example}`)(issue);
    },
  });

const Match = z
  .strictObject({
    source: OneOrMore(
      "source",
      z.enum(INBOUND_SOURCES, {
        error: (issue) =>
          `source: ${quoted(issue.input)} is not an event source; use ${INBOUND_SOURCES.join(", ")}`,
      }),
      "alertmanager",
    )
      .optional()
      .meta({
        description:
          "Where the event came from: alertmanager, events (signed Standard Webhooks), eventbridge. Default: any.",
        examples: ["alertmanager", ["events", "eventbridge"]],
      }),
    type: OneOrMore("type", z.string().min(1, "type must not be empty"), "KubePodsPending")
      .optional()
      .meta({
        description:
          "The alert's alertname, the signed event's type or EventBridge's detail-type (globs: *, ?). Default: any.",
        examples: ["KubePodsPending", ["ci.pipeline.*"]],
      }),
    status: z
      .enum(["firing", "resolved", "any"], { error: "status must be firing, resolved or any" })
      .default("firing")
      .meta({
        description:
          "Alertmanager: act on firing alerts (default), on resolved ones, or on any. Events without a status count as firing.",
        examples: ["resolved"],
      }),
    labels: z
      .record(
        z.string().min(1),
        z.string({ error: 'labels: a label value must be a string; quote it, e.g. tier: "1"' }),
        {
          error: mustBe("labels", "a map of label → value, e.g. labels: { severity: warning }"),
        },
      )
      .optional()
      .meta({
        description: "Every listed label must be present with a matching value (globs: *, ?).",
        examples: [{ severity: "warning", namespace: "e2e-*" }],
      }),
    data: z
      .record(
        z.string().regex(DATA_PATH, "data: a key is a dotted path into the event's data, e.g. pool.action"),
        z.union([z.string(), z.number(), z.boolean()], {
          error: "data: a value must be a string, a number or true/false",
        }),
        { error: mustBe("data", "a map of dotted path → value, e.g. data: { action: grow }") },
      )
      .optional()
      .meta({
        description:
          "Every listed field of the event's data (signed events' data, EventBridge's detail) must equal the value (strings: globs).",
        examples: [{ "pool.action": "grow", urgent: true }],
      }),
  })
  .meta({
    description: "Which events the rule acts on: every given field must match.",
    examples: [{ source: "alertmanager", type: "KubePodsPending" }],
  });

/** A target field's value: written in the rule, or taken from a label or a data field of the event. */
export const FromEvent = z
  .union(
    [
      z.string().min(1),
      z.strictObject({
        label: z
          .string()
          .min(1)
          .meta({
            description: "The value of this label of the alert (or event).",
            examples: ["cluster_id"],
          }),
      }),
      z.strictObject({
        field: z
          .string()
          .regex(DATA_PATH, "field must be a dotted path, e.g. detail.cluster")
          .meta({
            description: "The value of this field of the event's data (a dotted path).",
            examples: ["detail.cluster"],
          }),
      }),
    ],
    { error: "a target field is a value, { label: <name> } or { field: <dotted.path> }" },
  )
  .meta({
    description:
      "A value written in the rule (a string), or taken from the event: { label: <name> } or { field: <dotted.path> }.",
  });

const TARGET_FIELDS = ["provider", "account", "region", "cluster", "pool"] as const;
export type TargetField = (typeof TARGET_FIELDS)[number];

const Target = z
  .strictObject({
    provider: FromEvent.optional().meta({
      description: `Checked against the account's cloud: ${PROVIDER_KINDS.join(", ")}.`,
      examples: ["huawei"],
    }),
    account: FromEvent.optional().meta({
      description: "The account id as configured (e.g. prod-hw).",
      examples: ["prod-hw", { label: "account" }],
    }),
    region: FromEvent.optional().meta({
      description: "Checked against the account's region.",
      examples: ["cn-north-4"],
    }),
    cluster: FromEvent.optional().meta({
      description: "The cluster id as the cloud reports it.",
      examples: [{ label: "cluster_id" }],
    }),
    pool: FromEvent.optional().meta({
      description: "The node pool's id or name (pool actions).",
      examples: ["runners", { field: "detail.pool" }],
    }),
  })
  .meta({
    description:
      "The pool (or cluster) to act on. A field left out is taken from the event: the alert's label of that name, else the data field of that name.",
    examples: [{ cluster: { label: "cluster_id" }, pool: "runners" }],
  });

const Hold = z
  .strictObject({
    minutes: Minutes("hold.minutes", 7 * 1440)
      .optional()
      .meta({ description: "Hold the cluster awake this long from the event.", examples: [180] }),
    until: z
      .string({ error: 'hold.until must be local time "HH:MM", e.g. "02:00"' })
      .regex(LOCAL_TIME, 'hold.until must be local time "HH:MM", e.g. "02:00"')
      .optional()
      .meta({
        description: "Hold it awake until the next time it is this local time (HH:MM).",
        examples: ["02:00"],
      }),
    timezone: z
      .string()
      .refine(isTimeZone, {
        error: (issue) => `hold.timezone ${quoted(issue.input)} is not an IANA time zone`,
      })
      .optional()
      .meta({
        description: "The time zone of `until`; default: the timezone of the schedule that owns the cluster.",
        examples: ["Asia/Shanghai"],
      }),
    field: z
      .string()
      .regex(DATA_PATH, "hold.field must be a dotted path, e.g. until")
      .optional()
      .meta({
        description: "Hold it awake until the ISO 8601 time in this field of the event's data.",
        examples: ["until"],
      }),
    maxMinutes: Minutes("hold.maxMinutes", 7 * 1440)
      .default(1440)
      .meta({
        description: "The longest hold an event may ask for (with `field`): longer is cut to this.",
        examples: [360],
      }),
  })
  .refine((hold) => [hold.minutes, hold.until, hold.field].filter((v) => v !== undefined).length === 1, {
    error: "hold needs exactly one of minutes, until (with timezone) or field",
  })
  .refine((hold) => hold.timezone === undefined || hold.until !== undefined, {
    path: ["timezone"],
    error: "hold.timezone only applies with hold.until",
  });

const Action = z
  .union(
    [
      z.enum(["wake", "sleep"]),
      z.strictObject({
        set: Nodes("set").meta({ description: "ExactCapacity: the pool to this size.", examples: [5] }),
      }),
      z.strictObject({
        add: z
          .int({ error: "add must be a whole number of nodes (negative removes)" })
          .min(-MAX_NODES)
          .max(MAX_NODES)
          .refine((n) => n !== 0, "add must not be 0")
          .meta({
            description: "ChangeInCapacity: add (or, negative, remove) this many nodes; not 0.",
            examples: [-2],
          }),
      }),
      z.strictObject({
        percent: z
          .number({ error: "percent must be a number, e.g. 50 or -25" })
          .min(-100, "percent must be at least -100")
          .max(10_000, "percent must be at most 10000")
          .refine((n) => n !== 0, "percent must not be 0")
          .meta({
            description:
              "PercentChangeInCapacity: change by this percentage of the current size (rounded toward zero, at least 1 node, at least minStep); not 0.",
            examples: [50],
          }),
        minStep: Nodes("minStep")
          .default(1)
          .meta({ description: "MinAdjustmentMagnitude: change at least this many nodes.", examples: [2] }),
      }),
      z.strictObject({
        wake: z
          .strictObject({
            hold: Hold.optional().meta({
              description:
                "Hold the cluster awake: exactly one of minutes, until (optionally with timezone) or field (optionally with maxMinutes). The schedule's sleeps wait for the hold; when it ends the schedule's state applies again.",
              examples: [{ until: "02:00", timezone: "Asia/Shanghai" }],
            }),
          })
          .meta({
            description:
              "Wake the whole cluster now (through the sleep/wake job), optionally holding it awake.",
            examples: [{ hold: { minutes: 180 } }],
          }),
      }),
      z.strictObject({
        sleep: z.strictObject({}).meta({
          description: "Put the whole cluster to sleep now (through the sleep/wake job), ending a hold.",
          examples: [{}],
        }),
      }),
    ],
    {
      error:
        "action must be one of { set: N }, { add: N }, { percent: P, minStep: N }, wake, { wake: { hold: … } } or sleep",
    },
  )
  .meta({
    description:
      "What to do: a pool action ({ set }, { add }, { percent, minStep }) or a cluster action (wake or { wake: { hold } }; sleep).",
    examples: [{ percent: 50, minStep: 2 }, "wake"],
  });

export const ResizeRuleDocument = z
  .strictObject({
    kind: z.literal("resize", { error: "kind must be resize for a rule" }).meta({
      description: "resize: this document is a resize rule (no kind, or kind: schedule, is a schedule).",
      examples: ["resize"],
    }),
    name: z
      .string({ error: mustBe("name", "lower-case letters, digits and dashes, e.g. grow-qa-runners") })
      .regex(
        SCHEDULE_NAME,
        "name must be 1-63 lower-case letters, digits and dashes (not at either end), e.g. grow-qa-runners",
      )
      .meta({
        description: "Unique among the rules: lower-case letters, digits and dashes.",
        examples: ["grow-qa-runners"],
      }),
    enabled: z
      .boolean({ error: "enabled must be true or false" })
      .default(true)
      .meta({ description: "false is the kill switch: the rule matches nothing.", examples: [false] }),
    match: Match,
    target: Target.optional(),
    action: Action,
    min: Nodes("min")
      .optional()
      .meta({ description: "Pool actions: never below this size.", examples: [2] }),
    max: Nodes("max")
      .optional()
      .meta({ description: "Pool actions: never above this size.", examples: [20] }),
    cooldownMinutes: Minutes("cooldownMinutes", 1440)
      .optional()
      .meta({
        description: "Pool actions: after any resize of the pool, no other for this long.",
        default: DEFAULT_COOLDOWN_MINUTES,
        examples: [10],
      }),
    hysteresis: z
      .strictObject({
        minutes: Minutes("hysteresis.minutes", 1440)
          .default(0)
          .meta({
            description: "A change in the other direction than the pool's last one waits this long after it.",
            examples: [15],
          }),
        nodes: Nodes("hysteresis.nodes")
          .default(0)
          .meta({ description: "A change of fewer nodes than this is not made.", examples: [2] }),
      })
      .optional()
      .meta({ description: "Pool actions: against flapping.", examples: [{ minutes: 15, nodes: 2 }] }),
    revert: z
      .boolean({ error: "revert must be true or false" })
      .optional()
      .meta({
        description:
          "Pool actions: when the alert resolves, put the pool back to the size (or autoscaler bounds) it had before this rule first changed it.",
        default: false,
        examples: [true],
      }),
    allowWake: z
      .boolean({ error: "allowWake must be true or false" })
      .optional()
      .meta({
        description:
          "Pool actions: an asleep pool may be grown: its cluster is woken first (through the sleep/wake job), then the pool grows.",
        default: false,
        examples: [true],
      }),
    releaseNodes: z
      .boolean({ error: "releaseNodes must be true or false" })
      .optional()
      .meta({
        description:
          "Pool actions, Alibaba: shrinking a pool removes nodes and releases their instances; only with true.",
        default: false,
        examples: [true],
      }),
    dryRun: z
      .boolean({ error: "dryRun must be true or false" })
      .default(false)
      .meta({ description: "Decide and record what would be done, change nothing.", examples: [true] }),
  })
  .superRefine((rule, ctx) => {
    const broken = new Set(ctx.issues.map((issue) => issue.path?.[0]));
    if (broken.has("action")) return;
    const cluster = typeof rule.action === "string" || "wake" in rule.action || "sleep" in rule.action;
    if (cluster) {
      for (const key of [
        "min",
        "max",
        "cooldownMinutes",
        "hysteresis",
        "revert",
        "allowWake",
        "releaseNodes",
      ] as const) {
        if (rule[key] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `${key} only applies to pool actions (set, add, percent); a ${actionName(rule.action)} acts on the whole cluster`,
          });
      }
      if (rule.target?.pool !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["target", "pool"],
          message: `target.pool does not apply to a ${actionName(rule.action)}, which acts on the whole cluster; remove it`,
        });
    }
    if (
      !broken.has("min") &&
      !broken.has("max") &&
      rule.min !== undefined &&
      rule.max !== undefined &&
      rule.min > rule.max
    )
      ctx.addIssue({
        code: "custom",
        path: ["max"],
        message: `max (${rule.max}) is below min (${rule.min}); max must be at least min`,
      });
    if (rule.revert && rule.match.status !== "firing")
      ctx.addIssue({
        code: "custom",
        path: ["revert"],
        message: `revert puts the pool back when the alert resolves, so it needs match.status: firing (this rule acts on ${rule.match.status} events)`,
      });
  })
  .meta({
    title: "nightshift resize rule",
    description:
      "One rule (kind: resize): which inbound events resize which node pool, or wake / sleep which cluster.",
  });

function actionName(action: z.output<typeof Action>): string {
  if (typeof action === "string") return `cluster ${action}`;
  return "wake" in action ? "cluster wake" : "cluster sleep";
}

export type ResizeRuleDocumentOutput = z.output<typeof ResizeRuleDocument>;

/** Where a target field's value comes from. */
export type ValueFrom =
  | { from: "rule"; value: string }
  | { from: "label"; name: string }
  | { from: "field"; path: string }
  /** Left out in the rule: the alert's label of the field's name, else the data field of that name. */
  | { from: "event"; name: string };

export type PoolAction =
  | { kind: "set"; value: number }
  | { kind: "add"; value: number }
  | { kind: "percent"; value: number; minStep: number };

export type Hold =
  | { kind: "minutes"; minutes: number }
  | { kind: "until"; time: string; timezone?: string }
  | { kind: "field"; path: string; maxMinutes: number };

export type ClusterAction = { kind: "wake"; hold?: Hold } | { kind: "sleep" };

export interface ResizeRule {
  name: string;
  /** Where it was declared, for messages: "schedules/qa-rules.yaml". */
  source: string;
  enabled: boolean;
  match: {
    sources?: readonly InboundSource[];
    types?: readonly string[];
    status: "firing" | "resolved" | "any";
    labels: Readonly<Record<string, string>>;
    data: Readonly<Record<string, string | number | boolean>>;
  };
  target: Readonly<Record<TargetField, ValueFrom>>;
  action: PoolAction | ClusterAction;
  min?: number;
  max?: number;
  cooldownMinutes: number;
  hysteresis: { minutes: number; nodes: number };
  revert: boolean;
  allowWake: boolean;
  releaseNodes: boolean;
  dryRun: boolean;
}

export const isPoolAction = (action: ResizeRule["action"]): action is PoolAction =>
  action.kind === "set" || action.kind === "add" || action.kind === "percent";

const list = <T>(value: T | readonly T[] | undefined): readonly T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value as T];

export function compileRule(value: ResizeRuleDocumentOutput, source: string): ResizeRule {
  const target = Object.fromEntries(
    TARGET_FIELDS.map((field): [TargetField, ValueFrom] => {
      const given = value.target?.[field];
      if (given === undefined) return [field, { from: "event", name: field }];
      if (typeof given === "string") return [field, { from: "rule", value: given }];
      return [
        field,
        "label" in given ? { from: "label", name: given.label } : { from: "field", path: given.field },
      ];
    }),
  ) as Record<TargetField, ValueFrom>;
  const sources = list(value.match.source);
  const types = list(value.match.type);
  return {
    name: value.name,
    source,
    enabled: value.enabled,
    match: {
      ...(sources ? { sources } : {}),
      ...(types ? { types } : {}),
      status: value.match.status,
      labels: { ...value.match.labels },
      data: { ...value.match.data },
    },
    target,
    action: compileAction(value.action),
    ...(value.min !== undefined ? { min: value.min } : {}),
    ...(value.max !== undefined ? { max: value.max } : {}),
    cooldownMinutes: value.cooldownMinutes ?? DEFAULT_COOLDOWN_MINUTES,
    hysteresis: { minutes: value.hysteresis?.minutes ?? 0, nodes: value.hysteresis?.nodes ?? 0 },
    revert: value.revert ?? false,
    allowWake: value.allowWake ?? false,
    releaseNodes: value.releaseNodes ?? false,
    dryRun: value.dryRun,
  };
}

function compileAction(action: z.output<typeof Action>): ResizeRule["action"] {
  if (action === "wake" || action === "sleep") return { kind: action };
  if ("set" in action) return { kind: "set", value: action.set };
  if ("add" in action) return { kind: "add", value: action.add };
  if ("percent" in action) return { kind: "percent", value: action.percent, minStep: action.minStep };
  if ("sleep" in action) return { kind: "sleep" };
  const hold = action.wake.hold;
  if (!hold) return { kind: "wake" };
  if (hold.minutes !== undefined) return { kind: "wake", hold: { kind: "minutes", minutes: hold.minutes } };
  if (hold.until !== undefined)
    return {
      kind: "wake",
      hold: { kind: "until", time: hold.until, ...(hold.timezone ? { timezone: hold.timezone } : {}) },
    };
  return { kind: "wake", hold: { kind: "field", path: hold.field!, maxMinutes: hold.maxMinutes } };
}
