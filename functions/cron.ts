// The Worker's cron tick, as the Worker wires it (functions/worker.workers.ts) and the bench and
// tests drive it: it brings part of the fleet listing up to date (shared/providers/spread-inventory.ts,
// at most LISTING_ALLOWANCE subrequests), decides, sends its decisions' writes to the queue
// consumers (one send per 100), then sends again the due operations whose message was lost. Every
// subrequest goes through `budget`, so an invocation's count is known and stays under the limit at
// any fleet size.
import { type SubrequestBudget, WORKERS_SUBREQUEST_LIMIT } from "../shared/jobs/budget.ts";
import { dispatchDue, type OperationQueue, sendDecisionWrites } from "../shared/jobs/dispatch.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import type { Provider } from "../shared/providers/port.ts";
import { spreadInventory } from "../shared/providers/spread-inventory.ts";
import type { Schedule } from "../shared/schedule/types.ts";
import type { Store } from "../shared/store/store.ts";
import { JOBS } from "./jobs.ts";
import { readsPools, type TickDeps } from "./tick.ts";

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
 * Ledger pages (queries of up to 1,000 entries) one cron invocation reads at most for the fleet's
 * savings summary (shared/savings/fleet-savings.ts): a month of 1,000 targets' nights is read over a
 * few minutes. Fewer when the invocation's other work left less (cronSavingsPages).
 */
export const CRON_SAVINGS_PAGES = 100;
/** Subrequests kept for what comes after the summary's pages: its own 4 writes and reads, and the sweep. */
const AFTER_SAVINGS_RESERVE = 10;

/** The summary's pages this invocation may still read, having spent `spent` subrequests. */
export function cronSavingsPages(spent: number): number {
  return Math.max(0, Math.min(CRON_SAVINGS_PAGES, WORKERS_SUBREQUEST_LIMIT - spent - AFTER_SAVINGS_RESERVE));
}

/**
 * Subrequests an API request's fleet listing may spend (`GET /api/targets`, `/api/plan`, a
 * snooze, an action link): it serves the copy the cron keeps (one D1 query) and lists live only
 * what the copy lacks or holds too old, within this; the request's own few queries come on top.
 */
export const API_LISTING_ALLOWANCE = 100;

/**
 * The Worker's fleet listing over the copy in the store, counted against `budget`: the cron's
 * and the API's. The clusters `enforce` reads the pools of go first (`readsPools`).
 */
export function fleetListing(options: {
  providers: readonly Provider[];
  store: Store;
  budget: SubrequestBudget;
  schedules: readonly Schedule[];
  allowance: number;
}): (now: Date) => Promise<Inventory> {
  const watched = readsPools(options.schedules);
  return (now) =>
    spreadInventory({
      providers: options.providers,
      shared: options.store.shared,
      now,
      budget: options.budget,
      allowance: options.allowance,
      watched,
    });
}

/**
 * `deps` for a cron tick over `store` and the operations queue; with `providers` (whose calls
 * `budget` counts), the fleet is listed a part per invocation through the store.
 */
export function cronTickDeps(
  deps: TickDeps,
  options: {
    store: Store;
    queue: OperationQueue;
    budget: SubrequestBudget;
    providers?: readonly Provider[];
    /** The listing's share of the invocation (default LISTING_ALLOWANCE; tests model a larger fleet with less). */
    listingAllowance?: number;
  },
): TickDeps {
  const { store, queue, budget, providers } = options;
  return {
    ...deps,
    store,
    renewalLimit: CRON_RENEWAL_LIMIT,
    savingsPages: () => cronSavingsPages(budget.spent),
    ...(providers
      ? {
          inventory: fleetListing({
            providers,
            store,
            budget,
            schedules: deps.schedules,
            allowance: options.listingAllowance ?? LISTING_ALLOWANCE,
          }),
        }
      : {}),
    sendWrites: (writes) => sendDecisionWrites(queue, writes, budget),
    dispatch: (now, created) => dispatchDue({ store, queue, jobs: JOBS, now, created, budget }),
  };
}
