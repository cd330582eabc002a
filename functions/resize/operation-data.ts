// What a resize operation carries in `Operation.data`: written once by `accept` (accept.ts) when
// an event matched a rule, validated here on every step (a bad record fails naming the field), and
// the progress the steps keep so any worker resumes where the last one stopped. The rule is carried
// as it was when the event came: a rule file changed since does not change an accepted event.
import * as z from "zod";
import { INBOUND_SOURCES } from "../../shared/events/inbound.ts";
import type { Completion, NodePool } from "../../shared/providers/port.ts";
import type { ResizeDecision } from "../../shared/rules/decide.ts";
import type { ResizeRule } from "../../shared/rules/rule-schema.ts";

/** The operation kinds of the resize job: a pool action, and a cluster's wake or sleep on demand. */
export const RESIZE_KINDS = ["resize", "event-wake", "event-sleep"] as const;
export type ResizeKind = (typeof RESIZE_KINDS)[number];

const ACTION_KINDS = ["set", "add", "percent", "wake", "sleep"];
const isRule = (value: unknown): value is ResizeRule => {
  const rule = value as Partial<ResizeRule> | null;
  return (
    typeof rule === "object" &&
    rule !== null &&
    typeof rule.name === "string" &&
    typeof rule.action === "object" &&
    rule.action !== null &&
    ACTION_KINDS.includes((rule.action as { kind?: string }).kind ?? "") &&
    typeof rule.cooldownMinutes === "number" &&
    typeof rule.hysteresis === "object"
  );
};

export const resizeInputSchema = z.object({
  account: z.string().min(1),
  clusterId: z.string().min(1),
  /** Pool actions: the pool's id or name, as the event named it. */
  pool: z.string().min(1).optional(),
  rule: z.custom<ResizeRule>(isRule, {
    message: "not a compiled resize rule (name, action, cooldownMinutes, hysteresis)",
  }),
  intent: z.enum(["act", "revert"]),
  /** The event that asked for it, for the ledger and the outcome event. */
  event: z.object({
    source: z.enum(INBOUND_SOURCES),
    id: z.string(),
    type: z.string(),
    status: z.enum(["firing", "resolved"]).optional(),
    occurredAt: z.string(),
  }),
  /** A cluster wake whose hold comes from the event's data: the time it asked for, as it gave it. */
  holdUntil: z.string().optional(),
  /** Created after the wake of an asleep pool's cluster (allowWake): never wakes it again. */
  afterWake: z.boolean().default(false),
});

export type ResizeInput = z.output<typeof resizeInputSchema>;

export function readInput(
  data: Record<string, unknown>,
): { ok: true; input: ResizeInput } | { ok: false; message: string } {
  const parsed = resizeInputSchema.safeParse(data);
  if (parsed.success) return { ok: true, input: parsed.data };
  const problems = parsed.error.issues.map((i) => `data.${i.path.join(".") || "(root)"}: ${i.message}`);
  return {
    ok: false,
    message: `the resize operation's data is invalid (${problems.join("; ")}); it must be recreated`,
  };
}

/** Under data.progress. */
export interface ResizeProgress {
  /** The decision the read step made ("resize" ones only go on to be applied). */
  decision?: Extract<ResizeDecision, { outcome: "resize" }>;
  /** The pool as read when deciding (a cloud whose update replaces the whole spec sends it back). */
  pool?: NodePool;
  /** The call made, to poll. */
  completion?: Completion;
  taken?: string[];
  waitingFor?: string;
  /** The runtime's count of consecutive transient failures. */
  failures?: number;
}

export function readProgress(data: Record<string, unknown>): ResizeProgress {
  const progress = data.progress;
  return progress && typeof progress === "object" ? (structuredClone(progress) as ResizeProgress) : {};
}
