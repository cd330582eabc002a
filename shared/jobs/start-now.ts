// Runs operations that were just created (an event's, on the Node host) now rather than at the next
// tick: the oldest unfinished operation of each of their targets that is due goes through the jobs
// runtime at once (lease, compare-and-set: a tick running at the same time finds it leased and
// skips it). When one ends, the next operation of its target runs in the next round (a wake, then
// the resize behind it), until a round advances nothing that ended.
import { FINISHED, type Operation } from "../store/store.ts";
import type { OutcomeEvent } from "./job-kind.ts";
import { firstPerTarget, isDue, type RunDueOptions, type RunReport, runDueOperations } from "./runtime.ts";

/** Rounds at most: each hands on to the next operation of a target whose operation ended. */
export const START_NOW_ROUNDS = 4;

export async function runTargetsNow<Event extends OutcomeEvent>(
  options: Omit<RunDueOptions<Event>, "selected" | "now"> & {
    targets: readonly string[];
    /** The time of each round (the clouds' time). */
    now: () => Date;
  },
): Promise<Array<RunReport<Event>>> {
  const priority = new Map(
    options.jobs.flatMap((job) => job.kinds.map((kind) => [kind, job.priority] as const)),
  );
  const reports: Array<RunReport<Event>> = [];
  let targets = [...new Set(options.targets)];
  for (let round = 0; round < START_NOW_ROUNDS && targets.length > 0; round++) {
    const now = options.now();
    const active = (
      await Promise.all(targets.map((target) => options.store.operations.ofTarget(target, now)))
    )
      .flat()
      .filter((op) => priority.has(op.kind));
    const selected = firstPerTarget(active, (op) => priority.get(op.kind)!).filter((op) => isDue(op, now));
    if (selected.length === 0) break;
    const report = await runDueOperations({ ...options, selected, now });
    reports.push(report);
    const ended = new Set(
      report.operations
        .filter((o) => FINISHED.includes(o.status as Operation["status"]))
        .map((o) => o.target),
    );
    targets = targets.filter((target) => ended.has(target));
  }
  return reports;
}
