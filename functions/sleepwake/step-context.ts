// What every sleep/wake step works with, and the few ways a step ends: move on, wait and poll
// again, finish, or fail. Steps only RETURN the changes (status, step, data, ledger entries, the
// outcome event); the jobs runtime (shared/jobs/runtime.ts) writes them with compare-and-set.
import type {
  StepResult as JobStepResult,
  OutcomeDetail,
  OutcomeEvent,
  StepEnv,
} from "../../shared/jobs/job-kind.ts";
import {
  dataWithProgress as data,
  nextPollAt,
  operationEntry,
  waiting,
} from "../../shared/jobs/step-results.ts";
import type { LedgerEntryInput } from "../../shared/store/backend.ts";
import type { Operation } from "../../shared/store/store.ts";
import type { Conflict, Progress, SleepWakeInput } from "./operation-data.ts";
import { type StepName, stepAfter } from "./plan-steps.ts";

/** How often a waiting step polls the cloud again (each poll is a request against the account's rate). */
export const POLL_SECONDS = 15;
/**
 * How often a wait for a cluster's phase polls again: more often, because one listing per account
 * answers the phase polls of all its clusters (shared/jobs/shared-reads.ts).
 */
export const PHASE_POLL_SECONDS = 10;
/** How often a cluster in an unstable phase (upgrading, scaling, frozen, error) is looked at again. */
export const UNSTABLE_POLL_SECONDS = 60;
/**
 * The first poll after issuing a change. Removing or adding machines and hibernating or waking a
 * control plane take minutes: a look within the first minute would spend a request to learn nothing.
 */
export const FIRST_POLL_SECONDS = 60;
/** A cluster that stays unstable (or a step that keeps failing) this long after the operation was created fails it. */
export const DEADLINE_MS = 6 * 3600 * 1000;

export type { KubernetesAccess } from "../../shared/jobs/job-kind.ts";

/** The runtime's step environment; `kube` is absent on the Workers host (workloads mode then goes through the API gateway). */
export type StepDeps = StepEnv;

export type SleepWakeOutcome = OutcomeDetail["outcome"];

/** The jobs runtime's outcome event, with what a sleep/wake adds: the cluster, the schedule and its slot. */
export type SleepWakeEvent = OutcomeEvent<
  OutcomeDetail & {
    kind: "sleep" | "wake";
    provider: string;
    account: string;
    clusterId: string;
    mode: string;
    schedule: string;
    slot: string;
    requested: "sleep" | "wake";
    /** The sizes before a sleep (the snapshot) or restored by a wake. */
    before?: unknown;
    conflicts: Conflict[];
  }
> & { detailType: "nightshift.sleep" | "nightshift.wake" };

export type StepResult = JobStepResult<SleepWakeEvent>;

export interface StepContext {
  op: Operation;
  input: SleepWakeInput;
  plan: readonly StepName[];
  step: StepName;
  progress: Progress;
  deps: StepDeps;
  now: Date;
}

/** What recording an outcome needs (no cloud, no store): failures found outside a step use it too. */
export type RecordContext = Pick<StepContext, "op" | "input" | "step" | "progress" | "now">;

export function ledgerEntry(
  ctx: RecordContext,
  kind: string,
  detail: Record<string, unknown>,
): LedgerEntryInput {
  return operationEntry(ctx, `${ctx.input.direction}.${kind}`, {
    step: ctx.step,
    clusterId: ctx.input.clusterId,
    ...detail,
  });
}

function event(
  ctx: RecordContext,
  outcome: SleepWakeOutcome,
  extra: { reason?: string; error?: { kind: string; message: string } } = {},
): SleepWakeEvent {
  const { input, op } = ctx;
  return {
    detailType: input.direction === "sleep" ? "nightshift.sleep" : "nightshift.wake",
    detail: {
      kind: input.direction,
      operationId: op.id,
      target: op.target,
      provider: input.provider,
      account: input.account,
      clusterId: input.clusterId,
      mode: input.mode,
      schedule: input.schedule,
      slot: input.slot,
      requested: input.direction,
      outcome,
      taken: ctx.progress.taken ?? [],
      ...(ctx.progress.snapshot ? { before: ctx.progress.snapshot.content } : {}),
      conflicts: ctx.progress.conflicts ?? [],
      ...extra,
    },
  };
}

export function finish(ctx: StepContext, ledger: LedgerEntryInput[] = [], skipped?: string): StepResult {
  const outcome: SleepWakeOutcome = skipped ? "skipped" : "succeeded";
  if (skipped) ctx.progress.skipped = skipped;
  const done = data(ctx, ledger);
  const entries = [
    ...ledger,
    ledgerEntry(ctx, outcome, {
      ...(skipped ? { reason: skipped } : {}),
      conflicts: ctx.progress.conflicts ?? [],
      taken: ctx.progress.taken ?? [],
    }),
  ];
  return {
    status: "succeeded",
    step: "done",
    data: done,
    ledger: entries,
    event: event(ctx, outcome, skipped ? { reason: skipped } : {}),
  };
}

/** Goes on with `step` at the next invocation (or finishes, when it is "done"). */
export function moveTo(ctx: StepContext, step: StepName, ledger: LedgerEntryInput[] = []): StepResult {
  if (step === "done") return finish(ctx, ledger);
  if (step !== ctx.step) {
    delete ctx.progress.handled;
    delete ctx.progress.reauthenticated;
  }
  return { status: "running", step, data: data(ctx, ledger), ledger };
}

export const moveOn = (ctx: StepContext, ledger: LedgerEntryInput[] = []) =>
  moveTo(ctx, stepAfter(ctx.plan, ctx.step), ledger);

/**
 * Moves on after issuing the change the next step waits for: that step's first poll comes
 * FIRST_POLL_SECONDS later rather than straight away (within the same run it could only find the
 * change just accepted, and would spend a request of the account's rate budget to learn it).
 * Counted from when the cloud answered the call, not from when the step started: the call may
 * have waited for its slot of the account's rate, and the polls after the first keep its cadence,
 * so a first poll early by that wait would find the change unfinished and cost a whole interval.
 */
export function moveOnAndPoll(ctx: StepContext, ledger: LedgerEntryInput[]): StepResult {
  const moved = moveOn(ctx, ledger);
  if (moved.status !== "running") return moved;
  const accepted = ctx.deps.clock?.() ?? ctx.now;
  return {
    ...moved,
    status: "waiting",
    nextAttemptAt: new Date(accepted.getTime() + FIRST_POLL_SECONDS * 1000),
  };
}

/** Stays on this step and stops here for this invocation (one cloud call made, more to do). */
export function stay(ctx: StepContext, ledger: LedgerEntryInput[]): StepResult {
  return { status: "running", step: ctx.step, data: data(ctx, ledger), ledger };
}

export function fail(
  ctx: RecordContext,
  error: { kind: string; message: string },
  ledger: LedgerEntryInput[] = [],
): StepResult {
  const failed = data(ctx, ledger);
  const entries = [...ledger, ledgerEntry(ctx, "failed", { error, taken: ctx.progress.taken ?? [] })];
  return {
    status: "failed",
    step: ctx.step,
    data: failed,
    error,
    ledger: entries,
    event: event(ctx, "failed", { error }),
  };
}

export function deadlineOf(op: Operation): Date {
  return new Date(Date.parse(op.createdAt) + DEADLINE_MS);
}

/** Polls again later; past the deadline, fails naming what never happened. */
export function wait(
  ctx: StepContext,
  waitingFor: string,
  ledger: LedgerEntryInput[] = [],
  seconds = POLL_SECONDS,
): StepResult {
  if (ctx.now.getTime() >= deadlineOf(ctx.op).getTime()) {
    return fail(
      ctx,
      {
        kind: "deadline",
        message: `gave up waiting for ${waitingFor}: still not so 6 h after the operation was created (${ctx.op.createdAt})`,
      },
      ledger,
    );
  }
  return waiting(ctx, ctx.step, waitingFor, nextPollAt(ctx, seconds), ledger);
}

export function recordConflict(ctx: StepContext, conflict: Conflict) {
  ctx.progress.conflicts = [...(ctx.progress.conflicts ?? []), conflict];
  return ledgerEntry(ctx, "conflict", {
    action: `conflict ${conflict.resource} ${conflict.name}`,
    resource: conflict.resource,
    id: conflict.id,
    name: conflict.name,
    reason: conflict.reason,
    before: { left: conflict.expected, snapshot: conflict.restore },
    after: conflict.found === undefined ? { gone: true } : { found: conflict.found },
  });
}

export function handled(ctx: StepContext): Set<string> {
  return new Set(ctx.progress.handled ?? []);
}

export function markHandled(ctx: StepContext, id: string): void {
  ctx.progress.handled = [...(ctx.progress.handled ?? []), id];
}

export function conflicted(ctx: StepContext, id: string): boolean {
  return (ctx.progress.conflicts ?? []).some((c) => c.id === id);
}
