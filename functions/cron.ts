// The Worker's cron tick, as the Worker wires it (functions/worker.workers.ts) and the bench and
// tests drive it: it decides and sends its decisions' writes to the queue consumers (one send per
// 100), then sends again the due operations whose message was lost. Its store queries and queue
// sends go through `budget`, so an invocation's count is known and stays small at any fleet size.
import type { SubrequestBudget } from "../shared/jobs/budget.ts";
import { dispatchDue, type OperationQueue, sendDecisionWrites } from "../shared/jobs/dispatch.ts";
import type { Store } from "../shared/store/store.ts";
import { JOBS } from "./jobs.ts";
import type { TickDeps } from "./tick.ts";

/** `deps` for a cron tick over `store` (counted by `budget`) and the operations queue. */
export function cronTickDeps(
  deps: TickDeps,
  options: { store: Store; queue: OperationQueue; budget: SubrequestBudget },
): TickDeps {
  const { store, queue, budget } = options;
  return {
    ...deps,
    store,
    sendWrites: (writes) => sendDecisionWrites(queue, writes, budget),
    dispatch: (now, created) => dispatchDue({ store, queue, jobs: JOBS, now, created, budget }),
  };
}
