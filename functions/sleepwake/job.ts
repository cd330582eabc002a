// Sleep/wake as a job kind of the jobs runtime (shared/jobs/): its steps (steps.ts), how an
// operation the runtime fails ends (the same ledger entry and outcome event as a failing step), and
// which operations go first within an account (the largest node pool: it takes longest).
import type { JobKind } from "../../shared/jobs/job-kind.ts";
import { invalidOperation } from "../../shared/jobs/step-results.ts";
import type { Operation } from "../../shared/store/store.ts";
import { type Progress, readInput, readProgress } from "./operation-data.ts";
import { FIRST_STEP, isStepName } from "./plan-steps.ts";
import { DEADLINE_MS, fail, type SleepWakeEvent, type StepContext, type StepResult } from "./step-context.ts";
import { prepare, STEPS } from "./steps.ts";

/**
 * The operation ends in failure because of `error` (a permanent cloud error, a transient one past
 * the deadline, or no provider for its account).
 */
export function failOperation(
  op: Operation,
  now: Date,
  error: { kind: string; message: string },
): StepResult {
  const read = readInput(op.data);
  if (!read.ok) return invalidOperation(op, now, `${error.message}; and ${read.message}`);
  const step = isStepName(op.step) ? op.step : FIRST_STEP;
  return fail({ op, input: read.input, step, progress: readProgress(op.data), now }, error);
}

export const sleepWakeJob: JobKind<StepContext, SleepWakeEvent> = {
  name: "sleep/wake",
  kinds: ["sleep", "wake"],
  // Before any other kind's operation created at the same instant on the same cluster.
  priority: 0,
  deadlineMs: DEADLINE_MS,
  prepare,
  steps: STEPS,
  fail: failOperation,
  weight: largestPool,
};

/**
 * The operation's largest node pool: as the snapshot it works from records it (a wake has it from
 * its first step on: the inventory shows a sleeping cluster's pools at 0), else as planned.
 */
function largestPool(op: Operation): number {
  const progress = op.data.progress as Progress | undefined;
  const pools = progress?.snapshot?.content.pools ?? [];
  if (pools.length > 0) return Math.max(...pools.map((p) => p.desired));
  return typeof op.data.largestPool === "number" ? op.data.largestPool : 0;
}
