// The planner lease: when several replicas share one store, one of them plans each tick (lists the
// fleet, decides, creates operations, sends notices) and every replica advances the due operations
// (the runtime's per-target lease keeps each step to one replica). Whoever holds the store lease
// named PLANNER_LEASE plans. The holder renews it on every firing of its tick timer, so it lapses
// only when the holder stopped renewing (it died, hung, or lost the store); another replica takes
// it at its next tick.
//
// The TTL is two tick intervals (plannerLeaseTtlMs): a renewal may come a whole tick late before
// the lease lapses, and a dead planner is replaced one to three ticks after it died (the lease runs
// out one to two ticks after the last renewal, then the next tick of another replica takes it). It
// is real time: a promise between processes, like the per-target leases.
//
// Two replicas planning at once for a moment (a lapsed lease whose holder is still mid-tick) is
// harmless: operations are created idempotently (one id per schedule, target and slot) and the
// per-target state is written with compare-and-set. The lease saves the clouds' rate (one listing
// of the fleet, not one per replica) and the store's work.
import type { Store } from "../store/store.ts";

/** The lease's name; target leases are named `account/cluster`, so it meets none of them. */
export const PLANNER_LEASE = "planner";

/** Default TTL: two tick intervals (see above). */
export function plannerLeaseTtlMs(tickSeconds: number): number {
  return 2 * tickSeconds * 1000;
}

export interface PlannerClaim {
  /** Whether this replica plans now. */
  plans: boolean;
  /** Whether that changed with this claim (it took the lease, or lost it). */
  changed: boolean;
  /** Who plans, when it is another replica (for the log). */
  holder?: string;
}

export interface PlannerLease {
  /** Takes the lease when it is free, renews it when this replica holds it. */
  claim(): Promise<PlannerClaim>;
  /** Gives the lease up (a clean stop), so another replica plans at its next tick. */
  release(): Promise<void>;
}

export function createPlannerLease(options: {
  store: Store;
  /** Who holds it (host and process), for people reading the lease. */
  holder: string;
  ttlMs: number;
  /** Real time. */
  now: () => Date;
}): PlannerLease {
  const { store, holder, ttlMs, now } = options;
  let token: number | undefined;
  let pending: Promise<PlannerClaim> | undefined;

  const claim = async (): Promise<PlannerClaim> => {
    const held = token !== undefined;
    if (token !== undefined) {
      if (await store.leases.renew(PLANNER_LEASE, { token, ttlMs, now: now() })) {
        return { plans: true, changed: false };
      }
      // It lapsed (a renewal came too late) and may have been taken: try again like anyone else.
      token = undefined;
    }
    const grant = await store.leases.acquire(PLANNER_LEASE, { holder, ttlMs, now: now() });
    if (grant.acquired) {
      token = grant.token;
      return { plans: true, changed: !held };
    }
    return { plans: false, changed: held, holder: grant.holder };
  };

  return {
    claim() {
      // A renewal still under way (a slow store) answers the next caller too.
      pending ??= claim().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    async release() {
      await pending?.catch(() => undefined);
      if (token === undefined) return;
      const held = token;
      token = undefined;
      await store.leases.release(PLANNER_LEASE, { token: held, now: now() });
    },
  };
}
