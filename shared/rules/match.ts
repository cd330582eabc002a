// Which rules an inbound event matches, and the pool or cluster each names: pure, no store, no
// cloud. A rule matches when every field of its `match` does (source, type, status, labels, data);
// a resolved alert matches a firing rule only to revert it (`revert: true`). The target comes from
// the rule or from the event (labels, data fields). Everything that decides "no" says why, for the
// ledger and for `nightshift match`.
import type { InboundEvent } from "../events/inbound.ts";
import { globTest } from "../schedule/plan.ts";
import { isPoolAction, type ResizeRule, type TargetField, type ValueFrom } from "./rule-schema.ts";

/** What the event asks of the rule: its action, or (a resolved alert) putting the pool back. */
export type Intent = "act" | "revert";

/** The pool or cluster a matched rule acts on. */
export interface ResolvedTarget {
  account: string;
  clusterId: string;
  /** `account/clusterId`, as the inventory, the operations and the ledger name a cluster. */
  targetId: string;
  /** The pool's id or name (pool actions). */
  pool?: string;
  /** Asked for by the rule or the event: checked against the account's cloud and region. */
  provider?: string;
  region?: string;
}

export type RuleVerdict =
  | { rule: ResizeRule; matched: true; intent: Intent; target: ResolvedTarget }
  /** Matched, but the event does not say which pool or cluster (the ledger records it). */
  | { rule: ResizeRule; matched: true; intent: Intent; missing: string }
  | { rule: ResizeRule; matched: false; reason: string };

const MAX_VALUE_LENGTH = 256;
/** A "/" would split the target id; control characters have no place in an id. */
const notAnId = (value: string) => [...value].some((char) => char === "/" || char.charCodeAt(0) < 0x20);

/** The value at a dotted path of the event's data, if any. */
export function dataAt(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, key))
      return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const scalar = (value: unknown): string | undefined =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;

const matchesGlob = (pattern: string, value: string) =>
  pattern.includes("*") || pattern.includes("?") ? globTest(pattern)(value) : pattern === value;

function intentOf(rule: ResizeRule, event: InboundEvent): Intent | { no: string } {
  const resolved = event.status === "resolved";
  const wants = rule.match.status;
  if (wants === "any") return "act";
  if (resolved && wants === "resolved") return "act";
  if (!resolved && wants === "firing") return "act";
  if (resolved && rule.revert) return "revert";
  return {
    no: resolved
      ? "the alert resolved and the rule acts on firing alerts (without revert)"
      : `the rule acts on resolved alerts; this event is ${event.status ?? "an event without a status (counted as firing)"}`,
  };
}

/** Why the event does not match the rule's `match`, or undefined when it does. */
function mismatch(rule: ResizeRule, event: InboundEvent): string | undefined {
  const { match } = rule;
  if (!rule.enabled) return "the rule is disabled (enabled: false)";
  if (match.sources && !match.sources.includes(event.source))
    return `source ${event.source} is not ${match.sources.join(" or ")}`;
  if (match.types && !match.types.some((type) => matchesGlob(type, event.type)))
    return `type "${event.type}" does not match ${match.types.map((t) => `"${t}"`).join(" or ")}`;
  for (const [label, pattern] of Object.entries(match.labels)) {
    const value = event.labels[label];
    if (value === undefined) return `label ${label} is missing`;
    if (!matchesGlob(pattern, value)) return `label ${label}="${value}" does not match "${pattern}"`;
  }
  for (const [path, wanted] of Object.entries(match.data)) {
    const value = dataAt(event.data, path);
    const text = scalar(value);
    if (text === undefined) return `data field ${path} is missing`;
    const equal = typeof wanted === "string" ? matchesGlob(wanted, text) : value === wanted;
    if (!equal) return `data field ${path}=${JSON.stringify(value)} does not match ${JSON.stringify(wanted)}`;
  }
  return undefined;
}

/** A target field's value for this event, or where it was looked for. */
function fieldValue(from: ValueFrom, event: InboundEvent): { value: string } | { missing: string } {
  const checked = (value: string | undefined, where: string) =>
    value === undefined || value === ""
      ? { missing: where }
      : value.length > MAX_VALUE_LENGTH || notAnId(value)
        ? { missing: `${where} (its value is not an id: too long, or has "/" or control characters)` }
        : { value };
  switch (from.from) {
    case "rule":
      return { value: from.value };
    case "label":
      return checked(event.labels[from.name], `label ${from.name}`);
    case "field":
      return checked(scalar(dataAt(event.data, from.path)), `data field ${from.path}`);
    case "event":
      return checked(
        event.labels[from.name] ?? scalar(dataAt(event.data, from.name)),
        `label or data field ${from.name}`,
      );
  }
}

/** The pool or cluster the event names for this rule, or what is missing. */
export function resolveTarget(rule: ResizeRule, event: InboundEvent): ResolvedTarget | { missing: string } {
  const needed: TargetField[] = isPoolAction(rule.action)
    ? ["account", "cluster", "pool"]
    : ["account", "cluster"];
  const found: Partial<Record<TargetField, string>> = {};
  const missing: string[] = [];
  for (const field of ["provider", "account", "region", "cluster", "pool"] as const) {
    if (field === "pool" && !isPoolAction(rule.action)) continue;
    const value = fieldValue(rule.target[field], event);
    if ("value" in value) found[field] = value.value;
    else if (needed.includes(field)) missing.push(`${field} (${value.missing})`);
  }
  if (missing.length > 0) return { missing: `the event does not name the target's ${missing.join(", ")}` };
  return {
    account: found.account!,
    clusterId: found.cluster!,
    targetId: `${found.account}/${found.cluster}`,
    ...(found.pool !== undefined ? { pool: found.pool } : {}),
    ...(found.provider !== undefined ? { provider: found.provider } : {}),
    ...(found.region !== undefined ? { region: found.region } : {}),
  };
}

/** The rule's verdict on the event: matched (with its target, or what is missing), or why not. */
export function judgeRule(rule: ResizeRule, event: InboundEvent): RuleVerdict {
  const why = mismatch(rule, event);
  if (why !== undefined) return { rule, matched: false, reason: why };
  const intent = intentOf(rule, event);
  if (typeof intent !== "string") return { rule, matched: false, reason: intent.no };
  const target = resolveTarget(rule, event);
  if ("missing" in target) return { rule, matched: true, intent, missing: target.missing };
  return { rule, matched: true, intent, target };
}

/** Every rule's verdict on the event, in the rules' order. */
export function judgeRules(rules: readonly ResizeRule[], event: InboundEvent): RuleVerdict[] {
  return rules.map((rule) => judgeRule(rule, event));
}
