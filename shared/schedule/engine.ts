// The tick's decisions, pure: given the schedules, the targets, what the store remembers of each
// target, and `now`, decide which targets get a sleep or wake operation now, which are deferred,
// and which are skipped — and why. No I/O; the tick applies the decisions.
//
// Transition-based: a target acts once per planned transition (its slot). If a human woke a
// cluster at 22:00 after the 20:00 sleep, the 20:00 slot is already handled and nothing happens
// until the next transition. `enforce` converges instead: whenever the observed state differs from
// the schedule's, it acts again.
//
// Missed runs: the latest transition at or before `now` decides. A wake is always carried out,
// however late (a cluster left asleep is an outage). A sleep is carried out only within the
// schedule's grace window; later it is skipped and recorded. A target seen for the first time
// (first deploy, or a new cluster) is only recorded: nightshift never acts on first sight.
//
// Holds: a snooze holds sleeps until its time. So does a hold awake an event asked for (a rule's
// `wake` with `hold`, functions/resize/): and once it ends, the schedule's state applies again,
// even a sleep whose slot was handled before the hold (the cluster slept, an event woke it). A
// paused schedule (shared/schedule/pause.ts) holds the sleeps of all its targets, `enforce`
// included, until the pause ends; its wakes still happen.
import type { ProviderKind } from "../providers/port.ts";
import type { Operation, SchedulePause, TargetState } from "../store/store.ts";
import { withReplacements } from "./calendar.ts";
import { compileOwnership } from "./ownership.ts";
import { pauseHolds, startableAfterPause } from "./pause.ts";
import { planTransitions } from "./plan.ts";
import type { Calendar, DesiredState, PlannedTransition, Schedule } from "./types.ts";

/** What the engine needs to know about a target (from the inventory). */
export interface TargetFacts {
  targetId: string;
  provider: ProviderKind;
  account: string;
  region: string;
  id: string;
  name: string;
  tags: Record<string, string>;
  /** What the cloud shows now, when known: for `enforce`. */
  observed?: DesiredState;
  /**
   * Why `observed` is not known where it would be read from the cluster (its node pools are not
   * listed yet): `enforce` then waits, deferring with this as its detail, instead of deciding blind.
   */
  unobserved?: string;
  /**
   * The largest node pool's size when planned, when known: a larger pool takes longer to drain or
   * fill, so the runner starts its operation before smaller ones of the same account.
   */
  largestPool?: number;
}

export type SkipReason =
  | "first-sight" // recorded as the baseline, no action
  | "missed-sleep" // the sleep is older than the grace window
  | "already-handled" // transition-based: this slot was acted on (or deliberately skipped) before
  | "several-schedules"; // more than one enabled schedule matches the target (ownership.ts)

export type DeferReason =
  | "snoozed"
  | "dwell"
  | "held-awake"
  | "paused" // the schedule is paused (shared/schedule/pause.ts): its sleeps wait
  | "unobserved"; // enforce waits for the cluster's state to be observed (TargetFacts.unobserved)

export type Decision =
  | {
      kind: "act";
      targetId: string;
      schedule: string;
      transition: PlannedTransition;
      operationId: string;
      enforce: boolean;
    }
  | {
      kind: "defer";
      targetId: string;
      schedule: string;
      transition: PlannedTransition;
      reason: DeferReason;
      /**
       * Until when; none for `unobserved` (decided again once the observation comes) and for a
       * pause until resumed.
       */
      until?: Date;
      detail?: string;
    }
  | {
      kind: "skip";
      targetId: string;
      schedule?: string;
      transition?: PlannedTransition;
      reason: SkipReason;
      detail?: string;
    };

export interface TickInput {
  now: Date;
  schedules: readonly Schedule[];
  /** Calendars by reference name (builtin name or file path). */
  calendars: ReadonlyMap<string, Calendar>;
  targets: readonly TargetFacts[];
  states: ReadonlyMap<string, TargetState>;
  /** The schedules' pause records by schedule name (store.schedulePauses); none: nothing paused. */
  pauses?: ReadonlyMap<string, SchedulePause>;
  /** How far back to look for the latest transition (catch-up after an outage). Default 7 days. */
  lookbackMs?: number;
}

const DEFAULT_LOOKBACK_MS = 7 * 24 * 3600 * 1000;
const MINUTE = 60_000;

export function operationIdFor(transition: PlannedTransition, targetId: string, enforce = false): string {
  return `${transition.slot}@${targetId}${enforce ? "#enforce" : ""}`;
}

/** The calendars a schedule lists, with calendar files' replacements of builtin years applied. */
export function calendarsFor(schedule: Schedule, calendars: ReadonlyMap<string, Calendar>): Calendar[] {
  return withReplacements(
    schedule.calendars.flatMap((ref) => {
      const calendar = calendars.get(ref.builtin ?? ref.file ?? "");
      return calendar ? [calendar] : [];
    }),
  );
}

/** The latest planned transition at or before `now`, within the lookback. */
function latestTransition(schedule: Schedule, calendars: Calendar[], now: Date, lookbackMs: number) {
  const planned = planTransitions(schedule, calendars, {
    from: new Date(now.getTime() - lookbackMs),
    to: now,
  });
  return planned.at(-1);
}

export function decideTick(input: TickInput): Decision[] {
  const lookback = input.lookbackMs ?? DEFAULT_LOOKBACK_MS;
  // Plan once per enabled schedule, then match targets: the per-target work is a lookup.
  const latest = new Map(
    input.schedules
      .filter((s) => s.enabled)
      .map((s) => [s, latestTransition(s, calendarsFor(s, input.calendars), input.now, lookback)]),
  );
  const ownershipOf = compileOwnership(input.schedules);

  const decisions: Decision[] = [];
  for (const target of input.targets) {
    const ownership = ownershipOf(target);
    if (ownership.status === "several-schedules") {
      decisions.push({
        kind: "skip",
        targetId: target.targetId,
        reason: "several-schedules",
        detail: ownership.message,
      });
      continue;
    }
    if (ownership.status !== "owned") continue;
    const schedule = ownership.schedule;
    const transition = latest.get(schedule);
    if (!transition) continue;
    decisions.push(
      decideTarget(
        target,
        schedule,
        transition,
        input.states.get(target.targetId),
        input.pauses?.get(schedule.name),
        input.now,
      ),
    );
  }
  return decisions;
}

function decideTarget(
  target: TargetFacts,
  schedule: Schedule,
  transition: PlannedTransition,
  state: TargetState | undefined,
  pause: SchedulePause | undefined,
  now: Date,
): Decision {
  const base = { targetId: target.targetId, schedule: schedule.name, transition };
  if (!state?.lastTransition) return { kind: "skip", ...base, reason: "first-sight" };
  const paused =
    transition.to === "asleep" && pauseHolds(pause, now)
      ? ({
          kind: "defer",
          ...base,
          reason: "paused",
          ...(pause.until ? { until: new Date(pause.until) } : {}),
          ...(pause.reason ? { detail: pause.reason } : {}),
        } as const)
      : undefined;

  const held = state.heldAwake;
  const heldUntil = held ? new Date(held.until) : undefined;
  // A sleep handled before the hold began is open again once the hold ends (with its own operation).
  const reopened =
    held !== undefined &&
    transition.to === "asleep" &&
    Date.parse(held.at) > Date.parse(state.lastTransition.at) &&
    Date.parse(held.at) > transition.at.getTime();
  const handled = state.lastTransition.slot === transition.slot && !reopened;
  if (handled) {
    if (schedule.enforce && target.observed === undefined && target.unobserved !== undefined) {
      return { kind: "defer", ...base, reason: "unobserved", detail: target.unobserved };
    }
    if (schedule.enforce && target.observed !== undefined && target.observed !== transition.to) {
      if (paused) return paused;
      return {
        kind: "act",
        ...base,
        operationId: operationIdFor(transition, target.targetId, true),
        enforce: true,
      };
    }
    return { kind: "skip", ...base, reason: "already-handled" };
  }

  // Deferrals: a pause or a snooze holds sleeps (never wakes); the dwell holds both directions.
  if (paused) return paused;
  const snoozeUntil = state.snoozeUntil ? new Date(state.snoozeUntil) : undefined;
  if (transition.to === "asleep" && snoozeUntil && snoozeUntil > now) {
    return { kind: "defer", ...base, reason: "snoozed", until: snoozeUntil };
  }
  if (transition.to === "asleep" && heldUntil && heldUntil > now) {
    return { kind: "defer", ...base, reason: "held-awake", until: heldUntil };
  }
  const dwellUntil = new Date(Date.parse(state.lastTransition.at) + schedule.minDwellMinutes * MINUTE);
  if (dwellUntil > now && state.lastTransition.to !== transition.to) {
    return { kind: "defer", ...base, reason: "dwell", until: dwellUntil };
  }

  if (transition.to === "asleep") {
    // Lateness counts from when the sleep could first have happened (after a snooze, a hold, the
    // dwell or a pause).
    const graceMs = schedule.graceMinutes * MINUTE;
    const startable = startableAfterPause(
      pause,
      Math.max(
        transition.at.getTime(),
        snoozeUntil?.getTime() ?? 0,
        dwellUntil.getTime(),
        heldUntil?.getTime() ?? 0,
      ),
      graceMs,
    );
    if (now.getTime() - startable > graceMs) {
      return {
        kind: "skip",
        ...base,
        reason: "missed-sleep",
        detail: `the ${transition.local.time} sleep is more than ${schedule.graceMinutes} min late`,
      };
    }
  }
  const operationId = operationIdFor(transition, target.targetId);
  return {
    kind: "act",
    ...base,
    // The slot's first operation already ran (before the hold): this one needs its own id.
    operationId: reopened ? `${operationId}#after-hold-${Date.parse(held!.at)}` : operationId,
    enforce: false,
  };
}

/** The target state to store after a decision (transition-based memory), or undefined for none. */
export function stateAfter(
  decision: Decision,
  state: TargetState | undefined,
  now: Date,
): TargetState | undefined {
  if (decision.kind === "defer" || !decision.transition) return undefined;
  if (decision.kind === "skip" && decision.reason !== "first-sight" && decision.reason !== "missed-sleep") {
    return undefined;
  }
  const t = decision.transition;
  // A hold that has ended is spent: the schedule's state applies again (and is now recorded).
  const { heldAwake, ...rest } = state ?? {};
  const keep = heldAwake && Date.parse(heldAwake.until) > now.getTime() ? { heldAwake } : {};
  return {
    ...rest,
    ...keep,
    lastTransition: {
      to: t.to,
      at: t.at.toISOString(),
      slot: t.slot,
      ...(decision.kind === "act" ? { operationId: decision.operationId } : {}),
      by: decision.kind === "act" && decision.enforce ? "enforce" : "schedule",
    },
    updatedAt: now.toISOString(),
  };
}

/** Operation fields the tick stores for an `act` decision. */
export function operationFor(
  decision: Extract<Decision, { kind: "act" }>,
  schedule: Schedule,
  target: TargetFacts,
): Pick<Operation, "id" | "target" | "kind" | "step" | "data"> {
  const direction = decision.transition.to === "asleep" ? "sleep" : "wake";
  return sleepWakeOperation(decision.operationId, direction, schedule, target, decision.transition.slot);
}

/**
 * A sleep or wake operation of `target` as its schedule defines it (mode, releaseNodes,
 * namespaces): what the tick creates for a transition, and an event's rule for a wake or sleep on
 * demand (functions/resize/), so both are carried out the same way.
 */
export function sleepWakeOperation(
  id: string,
  direction: "sleep" | "wake",
  schedule: Schedule,
  target: Pick<TargetFacts, "targetId" | "provider" | "account" | "id" | "largestPool">,
  slot: string,
): Pick<Operation, "id" | "target" | "kind" | "step" | "data"> {
  return {
    id,
    target: target.targetId,
    kind: direction,
    step: "start",
    data: {
      direction,
      mode: schedule.mode,
      provider: target.provider,
      account: target.account,
      clusterId: target.id,
      schedule: schedule.name,
      slot,
      releaseNodes: schedule.releaseNodes,
      namespaces: [...schedule.namespaces],
      ...(target.largestPool !== undefined ? { largestPool: target.largestPool } : {}),
    },
  };
}
