// The fleet as answers show it: each target with the schedules matching it, which one owns it (or
// why none does), its stored state and its next transition; and every target's renewal state. One
// view model for the admin API (`GET /api/targets`, `GET /api/renewals`) and the dashboard, so the
// two never disagree. Each collection is read with one list, never one query per target.
import type { Inventory, Target } from "../shared/providers/inventory.ts";
import type { Renewal } from "../shared/renewal/renewal-schema.ts";
import { listRenewalStates } from "../shared/renewal/state.ts";
import { calendarsFor } from "../shared/schedule/engine.ts";
import { type Ownership, type OwnershipView, viewOwnership } from "../shared/schedule/ownership.ts";
import { deferredByPause, type PauseView, pausedField } from "../shared/schedule/pause.ts";
import { nextTransition, type SelectableTarget } from "../shared/schedule/plan.ts";
import type { Calendar, PlannedTransition, Schedule } from "../shared/schedule/types.ts";
import type { SchedulePause, Store, TargetState } from "../shared/store/store.ts";
import { renewalView } from "./renewal/api.ts";
import { renewalOwnership } from "./renewal/planning.ts";

export interface TargetView extends Target {
  /** The enabled schedules matching it; `ownership` says which one acts, or why none does. */
  schedules: string[];
  ownership: OwnershipView;
  state: TargetState | null;
  /** Its schedule's pause, while one holds. */
  paused?: PauseView;
  next: {
    to: PlannedTransition["to"];
    at: string;
    local: PlannedTransition["local"];
    schedule: string;
    /** A sleep the schedule's pause holds waits for its end (null: a resume). */
    deferred?: { reason: "paused"; until: string | null };
  } | null;
}

function enabledMatches(ownership: Ownership): readonly Schedule[] {
  if (ownership.status === "owned") return [ownership.schedule];
  return ownership.status === "several-schedules" ? ownership.schedules : [];
}

/** Every target's stored state, by target id: one list. */
export async function targetStates(store: Store, now: Date): Promise<Map<string, TargetState>> {
  return new Map((await store.targets.list(now)).map((s) => [s.key, s.value]));
}

export function targetViews(
  targets: readonly Target[],
  context: {
    ownershipOf: (target: SelectableTarget) => Ownership;
    calendars: ReadonlyMap<string, Calendar>;
    states: ReadonlyMap<string, TargetState>;
    /** Every schedule's pause record (readPauses). */
    pauses: ReadonlyMap<string, SchedulePause>;
    now: Date;
  },
): TargetView[] {
  const { ownershipOf, calendars, states, pauses, now } = context;
  // Targets sharing a schedule share its next transition: plan it once per schedule.
  const nextBySchedule = new Map<Schedule, TargetView["next"]>();
  const nextOf = (schedule: Schedule): TargetView["next"] => {
    if (!nextBySchedule.has(schedule)) {
      const next = nextTransition(schedule, calendarsFor(schedule, calendars), now);
      nextBySchedule.set(
        schedule,
        next
          ? {
              to: next.to,
              at: next.at.toISOString(),
              local: next.local,
              schedule: next.schedule,
              ...deferredByPause(pauses.get(schedule.name), next),
            }
          : null,
      );
    }
    return nextBySchedule.get(schedule) ?? null;
  };
  return targets.map((target) => {
    const ownership = ownershipOf(target);
    const schedule = ownership.status === "owned" ? ownership.schedule : undefined;
    return {
      ...target,
      schedules: enabledMatches(ownership).map((s) => s.name),
      ownership: viewOwnership(ownership),
      state: states.get(target.targetId) ?? null,
      ...pausedField(schedule ? pauses.get(schedule.name) : undefined, now),
      next: ownership.status === "owned" ? nextOf(ownership.schedule) : null,
    };
  });
}

export type RenewalView = ReturnType<typeof renewalView>;

/** Every target's renewal state as of now, and the targets several declarations match (none renews them). */
export async function renewalsOverview(
  store: Store,
  inventory: Pick<Inventory, "targets">,
  renewals: readonly Renewal[],
  now: Date,
): Promise<{ renewals: RenewalView[]; conflicts: Array<{ target: string; message: string }> }> {
  const states = await listRenewalStates(store, now);
  const { conflicts } = renewalOwnership(renewals, inventory.targets);
  return {
    renewals: states.map((state) => renewalView(state, now)),
    conflicts: [...conflicts].map(([target, message]) => ({ target, message })),
  };
}
