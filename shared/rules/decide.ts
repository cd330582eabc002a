// The resize decision, pure: given a pool action rule, what the event asks (act, or revert on
// resolve), the pool as the cloud shows it, whether it sleeps (and the size its wake restores),
// what the pool's resizes remember, and `now`, decide what to do and why. No I/O: the resize job
// (functions/resize/job.ts) reads, decides with this, then applies.
//
// Sizes follow AWS step scaling's adjustment types: `set` is ExactCapacity, `add` is
// ChangeInCapacity, `percent` is PercentChangeInCapacity (a change that is not whole is rounded
// toward zero, but never below 1 node in magnitude; `minStep` is MinAdjustmentMagnitude), and the
// result is clamped to the rule's min/max. With the pool's autoscaler on, its bounds move instead of
// a fixed size: growing to N raises the floor to N, shrinking to N lowers the ceiling to N.
//
// Guards, in order. Acting: an asleep pool is left alone (unless `allowWake` and it would grow:
// the cluster is woken first); the pool's cooldown (any rule's last resize) holds it; the
// hysteresis holds a change against the last one's direction for `hysteresis.minutes` after it and
// drops a change smaller than `hysteresis.nodes`. Reverting: only the rule that remembered the
// size puts it back; an asleep pool gets the remembered size in its snapshot (its wake restores
// it); the cooldown postpones the revert (it is not dropped: the alert resolves once).
import type { NodePoolAutoscaling } from "../providers/port.ts";
import type { ResizeMemory } from "../store/store.ts";
import { describeAction } from "./describe.ts";
import type { Intent } from "./match.ts";
import type { PoolAction, ResizeRule } from "./rule-schema.ts";

export interface PoolView {
  id: string;
  name: string;
  desired: number;
  autoscaling?: NodePoolAutoscaling;
}

export interface DecideInput {
  rule: ResizeRule & { action: PoolAction };
  intent: Intent;
  pool: PoolView;
  /** The pool sleeps (its cluster's sleep scaled it to 0): what its wake restores. */
  asleep?: { restores: number; autoscaling?: NodePoolAutoscaling };
  memory?: ResizeMemory;
  now: Date;
  /** The operation deciding (kept in the memory, for people reading it). */
  operationId: string;
}

export type Bounds = Pick<NodePoolAutoscaling, "min" | "max">;

/** What changes: the size, or (autoscaler on) the autoscaler's bounds around the computed size. */
export type Change =
  | { mode: "size"; from: number; to: number }
  | { mode: "bounds"; from: Bounds; to: Bounds; size: number };

export interface Clamped {
  /** What the action asked for, before min/max. */
  requested: number;
  to: number;
  min?: number;
  max?: number;
}

interface Base {
  /** One sentence: what and why, for the ledger, the event and `nightshift match`. */
  message: string;
  /** What to store for the pool once the decision is carried out; absent: leave it as it is. */
  memory?: ResizeMemory;
}

export type ResizeDecision =
  | (Base & {
      outcome: "resize";
      intent: Intent;
      direction: "up" | "down";
      change: Change;
      clamped?: Clamped;
    })
  | (Base & {
      outcome: "dry-run";
      intent: Intent;
      /** What would be done without dryRun. */
      would: "resize" | "wake-first" | "remember-for-wake";
      direction?: "up" | "down";
      change?: Change;
      clamped?: Clamped;
    })
  /** Asleep, allowWake, and it would grow: wake the cluster first, then decide again. */
  | (Base & { outcome: "wake-first"; direction: "up"; size: number; clamped?: Clamped })
  /** Reverting an asleep pool: its snapshot gets the remembered size, which its wake restores. */
  | (Base & {
      outcome: "remember-for-wake";
      restores: { desired: number; autoscaling?: NodePoolAutoscaling };
    })
  | (Base & {
      outcome: "cooldown";
      until: Date /** a revert waits for it; an action is dropped */;
      retry: boolean;
    })
  | (Base & { outcome: "hysteresis"; until?: Date; direction: "up" | "down" })
  | (Base & { outcome: "asleep" })
  | (Base & { outcome: "no-change"; clamped?: Clamped })
  | (Base & { outcome: "nothing-to-revert" });

/** Every decision's outcome (the resize step's ledger entry is `resize.<outcome>`; the metrics count them). */
export const RESIZE_OUTCOMES = [
  "resize",
  "dry-run",
  "wake-first",
  "remember-for-wake",
  "cooldown",
  "hysteresis",
  "asleep",
  "no-change",
  "nothing-to-revert",
] as const satisfies readonly ResizeDecision["outcome"][];
// And no outcome missing from the list: this fails to compile when one is added to the type only.
const _everyOutcomeListed: ResizeDecision["outcome"] extends (typeof RESIZE_OUTCOMES)[number] ? true : never =
  true;

const MINUTE = 60_000;

/** AWS PercentChangeInCapacity: the change in nodes for `percent` of `current`. */
export function percentChange(current: number, percent: number, minStep: number): number {
  const raw = (current * percent) / 100;
  let change: number;
  if (raw >= 1) change = Math.floor(raw);
  else if (raw > 0) change = 1;
  else if (raw <= -1) change = Math.ceil(raw);
  else if (raw < 0) change = -1;
  else change = 0;
  if (Math.abs(change) < minStep) change = Math.sign(percent) * minStep;
  return change;
}

/** The size the action asks for from `current`, before min/max. */
export function requestedSize(action: PoolAction, current: number): number {
  switch (action.kind) {
    case "set":
      return action.value;
    case "add":
      return current + action.value;
    case "percent":
      return current + percentChange(current, action.value, action.minStep);
  }
}

/** The requested size within [min, max] (and never below 0), and whether that changed it. */
export function clampSize(
  requested: number,
  rule: Pick<ResizeRule, "min" | "max">,
): { size: number; clamped?: Clamped } {
  const low = Math.max(0, rule.min ?? 0);
  const high = rule.max ?? Number.POSITIVE_INFINITY;
  const size = Math.min(Math.max(requested, low), high);
  if (size === requested) return { size };
  return {
    size,
    clamped: {
      requested,
      to: size,
      ...(rule.min !== undefined ? { min: rule.min } : {}),
      ...(rule.max !== undefined ? { max: rule.max } : {}),
    },
  };
}

/** The autoscaler's bounds that hold a pool at `size`: growing raises the floor, shrinking lowers the ceiling. */
export function boundsFor(current: Bounds, size: number, direction: "up" | "down"): Bounds {
  return direction === "up"
    ? { min: Math.max(current.min, size), max: Math.max(current.max, size) }
    : { min: Math.min(current.min, size), max: Math.min(current.max, size) };
}

const iso = (date: Date) => date.toISOString();
const describe = (change: Change) =>
  change.mode === "size"
    ? `${change.from}→${change.to}`
    : `autoscaler ${change.from.min}-${change.from.max}→${change.to.min}-${change.to.max}`;
const sameBounds = (a: Bounds, b: Bounds) => a.min === b.min && a.max === b.max;

export function decideResize(input: DecideInput): ResizeDecision {
  return input.intent === "revert" ? decideRevert(input) : decideAct(input);
}

function cooldownEnd(input: DecideInput): Date | undefined {
  const last = input.memory?.lastResizeAt;
  if (last === undefined) return undefined;
  const end = new Date(Date.parse(last) + input.rule.cooldownMinutes * MINUTE);
  return end > input.now ? end : undefined;
}

function decideAct(input: DecideInput): ResizeDecision {
  const { rule, pool, asleep, memory, now } = input;
  if (asleep && !rule.allowWake)
    return {
      outcome: "asleep",
      message: `node pool ${pool.name} is asleep (its cluster's sleep scaled it to 0; its wake restores ${asleep.restores}); rule ${rule.name} does not allow waking it (allowWake)`,
    };
  const cooling = cooldownEnd(input);
  if (cooling)
    return {
      outcome: "cooldown",
      until: cooling,
      retry: false,
      message: `node pool ${pool.name} was resized at ${memory!.lastResizeAt} (rule ${memory!.lastRule ?? "?"}); rule ${rule.name}'s cooldown of ${rule.cooldownMinutes} min lasts until ${iso(cooling)}`,
    };

  // Asleep: the size that counts is the one the wake restores.
  const current = asleep ? asleep.restores : pool.desired;
  const { size, clamped } = clampSize(requestedSize(rule.action, current), rule);
  const autoscaler = !asleep && pool.autoscaling?.enabled === true ? pool.autoscaling : undefined;
  const direction: "up" | "down" =
    size > current || (size === current && autoscaler !== undefined) ? "up" : "down";
  const change: Change | undefined = autoscaler
    ? {
        mode: "bounds",
        from: { min: autoscaler.min, max: autoscaler.max },
        to: boundsFor(autoscaler, size, direction),
        size,
      }
    : size !== current
      ? { mode: "size", from: current, to: size }
      : undefined;
  if (!change || (change.mode === "bounds" && sameBounds(change.from, change.to))) {
    const at = autoscaler
      ? `its autoscaler's bounds ${autoscaler.min}-${autoscaler.max} already hold`
      : "it is already at";
    return {
      outcome: "no-change",
      ...(clamped ? { clamped } : {}),
      message: `node pool ${pool.name}: ${at} ${size}${clamped ? ` (rule ${rule.name} asked for ${clamped.requested}, clamped to ${clampText(clamped)})` : ""}; nothing to do`,
    };
  }

  const last = memory?.lastResizeAt ? Date.parse(memory.lastResizeAt) : undefined;
  if (
    memory?.lastDirection &&
    memory.lastDirection !== direction &&
    last !== undefined &&
    rule.hysteresis.minutes > 0
  ) {
    const until = new Date(last + rule.hysteresis.minutes * MINUTE);
    if (until > now)
      return {
        outcome: "hysteresis",
        until,
        direction,
        message: `node pool ${pool.name} was last scaled ${memory.lastDirection} at ${memory.lastResizeAt}; rule ${rule.name}'s hysteresis holds a scale ${direction} until ${iso(until)}`,
      };
  }
  const step = Math.abs(size - current);
  if (step < rule.hysteresis.nodes)
    return {
      outcome: "hysteresis",
      direction,
      message: `node pool ${pool.name}: a change of ${step} node${step === 1 ? "" : "s"} (${current}→${size}) is below rule ${rule.name}'s hysteresis of ${rule.hysteresis.nodes}`,
    };

  if (asleep) {
    if (direction === "down")
      return {
        outcome: "asleep",
        message: `node pool ${pool.name} is asleep; rule ${rule.name} would shrink it (${current}→${size}), and an asleep pool is not woken to shrink it`,
      };
    const wake = {
      direction: "up" as const,
      size,
      ...(clamped ? { clamped } : {}),
      message: `node pool ${pool.name} is asleep and rule ${rule.name} allows waking it: its cluster is woken first, then the pool grows ${current}→${size}${clamped ? ` (clamped to ${clampText(clamped)})` : ""}`,
    };
    if (rule.dryRun)
      return {
        outcome: "dry-run",
        intent: "act",
        would: "wake-first",
        ...wake,
        message: `dry run: ${wake.message}`,
      };
    return { outcome: "wake-first", ...wake };
  }

  const remembered =
    memory?.remembered ??
    (rule.revert
      ? {
          desired: pool.desired,
          ...(pool.autoscaling ? { autoscaling: { ...pool.autoscaling } } : {}),
          rule: rule.name,
          at: iso(now),
        }
      : undefined);
  const memoryAfter: ResizeMemory = {
    lastResizeAt: iso(now),
    lastDirection: direction,
    lastRule: rule.name,
    lastOperationId: input.operationId,
    ...(remembered ? { remembered } : {}),
    updatedAt: iso(now),
  };
  const message = `node pool ${pool.name}: ${describe(change)} (rule ${rule.name}, ${describeAction(rule.action)}${clamped ? `, asked for ${clamped.requested}, clamped to ${clampText(clamped)}` : ""})`;
  if (rule.dryRun)
    return {
      outcome: "dry-run",
      intent: "act",
      would: "resize",
      direction,
      change,
      ...(clamped ? { clamped } : {}),
      message: `dry run: ${message}`,
    };
  return {
    outcome: "resize",
    intent: "act",
    direction,
    change,
    ...(clamped ? { clamped } : {}),
    message,
    memory: memoryAfter,
  };
}

function decideRevert(input: DecideInput): ResizeDecision {
  const { rule, pool, asleep, memory, now } = input;
  const remembered = memory?.remembered;
  if (!remembered)
    return {
      outcome: "nothing-to-revert",
      message: `node pool ${pool.name}: no size is remembered to revert to (rule ${rule.name} has not resized it, or it was reverted already)`,
    };
  if (remembered.rule !== rule.name)
    return {
      outcome: "nothing-to-revert",
      message: `node pool ${pool.name}: the size to revert to is rule ${remembered.rule}'s (it changed the pool first); rule ${rule.name} leaves it to that rule`,
    };
  const forgotten: ResizeMemory = { ...withoutRemembered(memory!), updatedAt: iso(now) };

  if (asleep) {
    if (asleep.restores === remembered.desired)
      return {
        outcome: "no-change",
        message: `node pool ${pool.name} is asleep and its wake already restores ${remembered.desired}, the size before rule ${rule.name}`,
        memory: forgotten,
      };
    const restores = {
      desired: remembered.desired,
      ...(remembered.autoscaling ? { autoscaling: remembered.autoscaling } : {}),
    };
    const message = `node pool ${pool.name} is asleep: its wake will restore ${remembered.desired} (the size before rule ${rule.name}) instead of ${asleep.restores}`;
    if (rule.dryRun)
      return {
        outcome: "dry-run",
        intent: "revert",
        would: "remember-for-wake",
        message: `dry run: ${message}`,
      };
    return { outcome: "remember-for-wake", restores, message, memory: forgotten };
  }

  const cooling = cooldownEnd(input);
  if (cooling)
    return {
      outcome: "cooldown",
      until: cooling,
      retry: true,
      message: `node pool ${pool.name} was resized at ${memory!.lastResizeAt}; the revert to ${remembered.desired} waits for rule ${rule.name}'s cooldown, until ${iso(cooling)}`,
    };

  const autoscaler = pool.autoscaling?.enabled === true ? pool.autoscaling : undefined;
  const change: Change | undefined = autoscaler
    ? {
        mode: "bounds",
        from: { min: autoscaler.min, max: autoscaler.max },
        to:
          remembered.autoscaling?.enabled === true
            ? { min: remembered.autoscaling.min, max: remembered.autoscaling.max }
            : boundsFor(autoscaler, remembered.desired, remembered.desired >= pool.desired ? "up" : "down"),
        size: remembered.desired,
      }
    : pool.desired !== remembered.desired
      ? { mode: "size", from: pool.desired, to: remembered.desired }
      : undefined;
  if (!change || (change.mode === "bounds" && sameBounds(change.from, change.to)))
    return {
      outcome: "no-change",
      message: `node pool ${pool.name} is already back at ${remembered.desired}, the size before rule ${rule.name}`,
      memory: forgotten,
    };
  const direction: "up" | "down" =
    change.mode === "size"
      ? change.to > change.from
        ? "up"
        : "down"
      : change.to.max >= change.from.max && change.to.min >= change.from.min
        ? "up"
        : "down";
  const message = `node pool ${pool.name}: ${describe(change)}, back to the size before rule ${rule.name} (the alert resolved)`;
  if (rule.dryRun)
    return {
      outcome: "dry-run",
      intent: "revert",
      would: "resize",
      direction,
      change,
      message: `dry run: ${message}`,
    };
  return {
    outcome: "resize",
    intent: "revert",
    direction,
    change,
    message,
    memory: {
      ...forgotten,
      lastResizeAt: iso(now),
      lastDirection: direction,
      lastRule: rule.name,
      lastOperationId: input.operationId,
    },
  };
}

function withoutRemembered(memory: ResizeMemory): ResizeMemory {
  const { remembered: _, ...rest } = memory;
  return rest;
}

function clampText(clamped: Clamped): string {
  return clamped.max !== undefined && clamped.to === clamped.max ? `max ${clamped.max}` : `min ${clamped.to}`;
}
