// The Worker's cron tick, as the Worker wires it (functions/worker.workers.ts) and the bench and
// tests drive it: it brings part of the fleet listing up to date (shared/providers/spread-inventory.ts,
// at most LISTING_ALLOWANCE subrequests), decides, sends its decisions' writes to the queue
// consumers (one send per 100), then sends again the due operations whose message was lost. Every
// subrequest goes through `budget`, so an invocation's count is known and stays under the limit at
// any fleet size.
import type { SubrequestBudget } from "../shared/jobs/budget.ts";
import { dispatchDue, type OperationQueue, sendDecisionWrites } from "../shared/jobs/dispatch.ts";
import type { Provider } from "../shared/providers/port.ts";
import { spreadInventory } from "../shared/providers/spread-inventory.ts";
import type { Store } from "../shared/store/store.ts";
import { JOBS } from "./jobs.ts";
import type { TickDeps } from "./tick.ts";

/**
 * Subrequests the fleet listing may spend per cron invocation (of 1,000): the rest covers the
 * store's reads, one send per 100 decisions (100 for 10,000 clusters), the sweep and the outbox.
 */
export const LISTING_ALLOWANCE = 600;

/**
 * Due renewal targets one cron invocation plans at most: each costs about 8 store queries (its
 * state, the vault's metadata, the operation with its ledger entry, the state again), so 25 keep
 * within what the listing leaves; the rest are planned a minute later.
 */
export const CRON_RENEWAL_LIMIT = 25;

/**
 * `deps` for a cron tick over `store` and the operations queue; with `providers` (whose calls
 * `budget` counts), the fleet is listed a part per invocation through the store.
 */
export function cronTickDeps(
  deps: TickDeps,
  options: { store: Store; queue: OperationQueue; budget: SubrequestBudget; providers?: readonly Provider[] },
): TickDeps {
  const { store, queue, budget, providers } = options;
  return {
    ...deps,
    store,
    renewalLimit: CRON_RENEWAL_LIMIT,
    ...(providers
      ? {
          inventory: (now: Date) =>
            spreadInventory({
              providers,
              shared: store.shared,
              now,
              budget,
              allowance: LISTING_ALLOWANCE,
            }),
        }
      : {}),
    sendWrites: (writes) => sendDecisionWrites(queue, writes, budget),
    dispatch: (now, created) => dispatchDue({ store, queue, jobs: JOBS, now, created, budget }),
  };
}
