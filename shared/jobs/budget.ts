// The subrequest budget of one Workers invocation. Cloudflare counts every subrequest an invocation
// makes against one limit: fetches to the clouds AND calls to its own services (each D1 query or
// batch, each queue send). Everything this invocation sends goes through a counting wrapper (the
// HTTP client's fetch, the store's backend, the queue producer), and the jobs runtime asks
// `canStep` before every step, so an invocation stops taking work while it can still finish what
// it started and hand the rest on.
import type { Fetch } from "../http/client.ts";
import type { StoreBackend } from "../store/backend.ts";

/**
 * Subrequests one invocation may make: 1,000 per request on the Workers Paid plan
 * (https://developers.cloudflare.com/workers/platform/limits/#subrequests; the page has also shown
 * 10,000 for the Standard usage model: 1,000 is the lower of the two and holds on both).
 */
export const WORKERS_SUBREQUEST_LIMIT = 1000;

/**
 * The most one step may spend: up to 3 cloud calls, each retried by the HTTP client up to 4
 * attempts (12 fetches, and 12 bookings of the shared rate limit: functions/account-rate.workers.ts),
 * and its store queries (lease, re-read, compare-and-set write, ledger entries, release: about 8;
 * a final step 2 more for the target's last action, shared/jobs/last-action.ts).
 * Measured on the bench (`npm run bench`): about 6 per step on average, plus one booking per fetch.
 */
export const STEP_SUBREQUESTS_MAX = 32;

export interface SubrequestBudget {
  readonly limit: number;
  /** Subrequests made so far. */
  readonly spent: number;
  /** Counts one subrequest; past the limit it throws (Cloudflare would fail the call itself). */
  spend(what: string): void;
  /**
   * Whether another step may start: the steps that may be running at once (`inFlight`) and this
   * one, each at its most, plus `reserve` for what the invocation does after its steps.
   */
  canStep(inFlight: number, reserve: number): boolean;
}

export class BudgetExceededError extends Error {
  constructor(limit: number, what: string) {
    super(
      `subrequest budget of ${limit} spent: ${what} refused (the invocation should have stopped earlier)`,
    );
    this.name = "BudgetExceededError";
  }
}

export function subrequestBudget(limit: number = WORKERS_SUBREQUEST_LIMIT): SubrequestBudget {
  if (!(Number.isInteger(limit) && limit >= 1))
    throw new RangeError(`subrequest limit must be an integer >= 1, got ${limit}`);
  let spent = 0;
  return {
    limit,
    get spent() {
      return spent;
    },
    spend(what) {
      if (spent >= limit) throw new BudgetExceededError(limit, what);
      spent++;
    },
    canStep: (inFlight, reserve) => spent + (inFlight + 1) * STEP_SUBREQUESTS_MAX + reserve <= limit,
  };
}

/** A fetch that counts each call (each HTTP attempt is a subrequest of its own). */
export function countingFetch(fetch: Fetch, budget: SubrequestBudget): Fetch {
  return (input, init) => {
    budget.spend("fetch");
    return fetch(input, init);
  };
}

/**
 * A store backend that counts each call: every method is one D1 query or one D1 batch (d1.workers.ts),
 * so the count is the invocation's D1 subrequests (the once-per-isolate schema check aside).
 */
export function countingBackend(backend: StoreBackend, budget: SubrequestBudget): StoreBackend {
  const counted =
    <A extends unknown[], R>(what: string, call: (...args: A) => R) =>
    (...args: A): R => {
      budget.spend(what);
      return call(...args);
    };
  return {
    kind: backend.kind,
    get: counted("store get", backend.get.bind(backend)),
    put: counted("store put", backend.put.bind(backend)),
    delete: counted("store delete", backend.delete.bind(backend)),
    list: counted("store list", backend.list.bind(backend)),
    listIndex: counted("store list index", backend.listIndex.bind(backend)),
    increment: counted("store increment", backend.increment.bind(backend)),
    addTallies: counted("store add tallies", backend.addTallies.bind(backend)),
    listTallies: counted("store list tallies", backend.listTallies.bind(backend)),
    append: counted("ledger append", backend.append.bind(backend)),
    query: counted("ledger query", backend.query.bind(backend)),
    sweep: counted("store sweep", backend.sweep.bind(backend)),
    close: () => backend.close(),
  };
}
