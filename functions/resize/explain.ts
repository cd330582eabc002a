// What each rule would do with an event, and why: the matcher's verdict, then for a pool action the
// decision (decide.ts) on the pool as observed (the caller reads the cloud and the store), without
// changing anything. `nightshift match` prints it.
import type { InboundEvent } from "../../shared/events/inbound.ts";
import { type DecideInput, decideResize, type ResizeDecision } from "../../shared/rules/decide.ts";
import { describeAction } from "../../shared/rules/describe.ts";
import { judgeRules, type ResolvedTarget } from "../../shared/rules/match.ts";
import { isPoolAction, type ResizeRule } from "../../shared/rules/rule-schema.ts";

/** The pool a rule names, as the cloud and the store show it now. */
export type Observation = Pick<DecideInput, "pool" | "asleep" | "memory">;
export type Observe = (target: ResolvedTarget) => Promise<Observation | { problem: string }>;

export interface Explanation {
  rule: string;
  matched: boolean;
  /** e.g. "no match", "resize", "cooldown", "wake the cluster". */
  outcome: string;
  message: string;
  target?: ResolvedTarget;
  decision?: ResizeDecision;
}

export async function explainEvent(
  event: InboundEvent,
  rules: readonly ResizeRule[],
  observe: Observe,
  now: Date,
): Promise<Explanation[]> {
  const out: Explanation[] = [];
  for (const verdict of judgeRules(rules, event)) {
    const rule = verdict.rule.name;
    if (!verdict.matched) {
      out.push({ rule, matched: false, outcome: "no match", message: verdict.reason });
      continue;
    }
    if ("missing" in verdict) {
      out.push({ rule, matched: true, outcome: "no target", message: verdict.missing });
      continue;
    }
    const { target } = verdict;
    const action = verdict.rule.action;
    if (!isPoolAction(action)) {
      out.push({
        rule,
        matched: true,
        outcome: action.kind,
        message: `${verdict.rule.dryRun ? "dry run: " : ""}${describeAction(action)} ${target.targetId} through the sleep/wake job, as the schedule that owns it says`,
        target,
      });
      continue;
    }
    const seen = await observe(target);
    if ("problem" in seen) {
      out.push({ rule, matched: true, outcome: "cannot read the pool", message: seen.problem, target });
      continue;
    }
    const decision = decideResize({
      rule: { ...verdict.rule, action },
      intent: verdict.intent,
      ...seen,
      now,
      operationId: "(match)",
    });
    out.push({ rule, matched: true, outcome: decision.outcome, message: decision.message, target, decision });
  }
  return out;
}
