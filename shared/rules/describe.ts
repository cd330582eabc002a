// One line per rule, as `nightshift validate` and `nightshift match` print it: what it matches,
// what it does, and its guards.
import type { ResizeRule, ValueFrom } from "./rule-schema.ts";

function from(value: ValueFrom): string {
  switch (value.from) {
    case "rule":
      return value.value;
    case "label":
      return `label ${value.name}`;
    case "field":
      return `field ${value.path}`;
    case "event":
      return `event ${value.name}`;
  }
}

export function describeAction(action: ResizeRule["action"]): string {
  switch (action.kind) {
    case "set":
      return `set ${action.value}`;
    case "add":
      return `add ${action.value}`;
    case "percent":
      return `percent ${action.value}${action.minStep > 1 ? ` (at least ${action.minStep})` : ""}`;
    case "sleep":
      return "sleep the cluster";
    case "wake": {
      const hold = action.hold;
      if (!hold) return "wake the cluster";
      if (hold.kind === "minutes") return `wake the cluster, held awake ${hold.minutes} min`;
      if (hold.kind === "until")
        return `wake the cluster, held awake until ${hold.time}${hold.timezone ? ` ${hold.timezone}` : ""}`;
      return `wake the cluster, held awake until data.${hold.path} (at most ${hold.maxMinutes} min)`;
    }
  }
}

export function describeRule(rule: ResizeRule): string {
  const { match } = rule;
  const when = [
    match.sources ? match.sources.join("|") : "any source",
    match.types ? match.types.join("|") : "any type",
    ...(match.status !== "firing" ? [`status ${match.status}`] : []),
    ...Object.entries(match.labels).map(([k, v]) => `${k}=${v}`),
    ...Object.entries(match.data).map(([k, v]) => `data.${k}=${JSON.stringify(v)}`),
  ].join(" ");
  const target = (["account", "cluster", "pool"] as const)
    .filter(
      (field) =>
        field !== "pool" ||
        rule.action.kind === "set" ||
        rule.action.kind === "add" ||
        rule.action.kind === "percent",
    )
    .map((field) => `${field} ${from(rule.target[field])}`)
    .join(", ");
  const guards = [
    ...(rule.min !== undefined ? [`min ${rule.min}`] : []),
    ...(rule.max !== undefined ? [`max ${rule.max}`] : []),
    ...(["set", "add", "percent"].includes(rule.action.kind) ? [`cooldown ${rule.cooldownMinutes} min`] : []),
    ...(rule.hysteresis.minutes > 0 ? [`hysteresis ${rule.hysteresis.minutes} min`] : []),
    ...(rule.hysteresis.nodes > 0 ? [`changes under ${rule.hysteresis.nodes} nodes ignored`] : []),
    ...(rule.revert ? ["reverts on resolve"] : []),
    ...(rule.allowWake ? ["may wake the cluster"] : []),
    ...(rule.dryRun ? ["dry run"] : []),
  ];
  return `${rule.name}${rule.enabled ? "" : " (disabled)"}: on ${when} → ${describeAction(rule.action)}; target ${target}${guards.length > 0 ? `; ${guards.join(", ")}` : ""}`;
}
