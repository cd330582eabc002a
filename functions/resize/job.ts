// Node-pool resize (and a cluster's wake or sleep on demand) as a job kind of the jobs runtime
// (shared/jobs/job-kind.ts has the author's guide). Operations are created by `accept`
// (accept.ts) when an event matches a rule. Priority 1: after sleep/wake (0) among a target's
// operations created at the same instant, so a wake goes before the resize it was created for;
// and the runtime runs one operation at a time per target across kinds, so a resize never races a
// sleep or wake of its cluster.
//
// Pool actions:     read (cluster, pool, snapshot, memory; decide) → apply → await → record
// Cluster actions:  request (owning schedule, hold, the sleep/wake operation)
import type { JobKind, StepEnv } from "../../shared/jobs/job-kind.ts";
import { invalidOperation } from "../../shared/jobs/step-results.ts";
import type { Operation } from "../../shared/store/store.ts";
import { requestClusterAction } from "./cluster-steps.ts";
import { RESIZE_KINDS, type ResizeKind, readInput, readProgress } from "./operation-data.ts";
import { apply, awaitPool, readAndDecide, record } from "./pool-steps.ts";
import {
  fail,
  RESIZE_DEADLINE_MS,
  type ResizeContext,
  type ResizeEvent,
  type ResizeStepResult,
} from "./step-context.ts";

export type { ResizeEvent } from "./step-context.ts";

const STEPS: Readonly<Record<string, { run(ctx: ResizeContext): Promise<ResizeStepResult> }>> = {
  read: { run: readAndDecide },
  apply: { run: apply },
  await: { run: awaitPool },
  record: { run: record },
  request: { run: requestClusterAction },
};

const firstStep = (kind: ResizeKind) => (kind === "resize" ? "read" : "request");

function prepare(
  op: Operation,
  env: StepEnv,
): { step: string; ctx: ResizeContext } | { end: ResizeStepResult } {
  const read = readInput(op.data);
  if (!read.ok) return { end: invalidOperation(op, env.now, read.message) };
  const kind = op.kind as ResizeKind;
  const step = op.step === "" || op.step === "start" ? firstStep(kind) : op.step;
  const ctx: ResizeContext = {
    op: op as Operation & { kind: ResizeKind },
    input: read.input,
    step,
    progress: readProgress(op.data),
    env,
    now: env.now,
  };
  if (env.provider.account !== read.input.account)
    return {
      end: fail(ctx, {
        kind: "invalid",
        message: `the operation is for account ${read.input.account}, not ${env.provider.account}`,
      }),
    };
  return { step, ctx };
}

export const resizeJob: JobKind<ResizeContext, ResizeEvent> = {
  name: "resize",
  kinds: RESIZE_KINDS,
  // After sleep/wake (0) on the same target and instant: a wake goes before the resize behind it.
  priority: 1,
  deadlineMs: RESIZE_DEADLINE_MS,
  prepare,
  steps: STEPS,
  fail(op, now, error) {
    const read = readInput(op.data);
    if (!read.ok) return invalidOperation(op, now, `${error.message}; and ${read.message}`);
    const ctx = {
      op: op as Operation & { kind: ResizeKind },
      input: read.input,
      step: op.step,
      progress: readProgress(op.data),
      now,
    } as ResizeContext;
    return fail(ctx, error);
  },
};
