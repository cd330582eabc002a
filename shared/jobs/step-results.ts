// What every job kind's steps build their results from, whatever the kind: a ledger entry of the
// operation, the operation's data with the step's progress, a wait until the next poll, and the end of an operation whose data
// cannot be read. Each kind's step context (functions/*/step-context.ts) adds its ledger entries
// and outcome event around these.
import type { LedgerEntryInput } from "../store/backend.ts";
import type { Operation } from "../store/store.ts";
import type { OutcomeEvent, StepResult } from "./job-kind.ts";

/** The part of a step's progress these helpers read and write. */
export interface TrackedProgress {
  /** The actions taken so far, from the ledger entries' `detail.action`, for the outcome event. */
  taken?: string[];
  /** What a waiting step waits for; kept only while it waits. */
  waitingFor?: string;
}

/** A ledger entry of the operation at `now`: `kind` as the job names it (e.g. "sleep.failed"). */
export function operationEntry(
  ctx: { op: Operation; now: Date },
  kind: string,
  detail: Record<string, unknown>,
): LedgerEntryInput {
  return { at: ctx.now, operationId: ctx.op.id, target: ctx.op.target, kind, detail };
}

/** The op's data with the progress, after noting the actions of `ledger` as taken. */
export function dataWithProgress(
  ctx: { op: Operation; progress: TrackedProgress },
  ledger: LedgerEntryInput[],
): Record<string, unknown> {
  const actions = ledger.map((e) => e.detail.action).filter((a): a is string => typeof a === "string");
  if (actions.length > 0) ctx.progress.taken = [...(ctx.progress.taken ?? []), ...actions];
  const { waitingFor: _, ...progress } = ctx.progress;
  return { ...ctx.op.data, progress };
}

/** Polls `step` again at `nextAttemptAt`, noting what it waits for in the progress. */
export function waiting<Event extends OutcomeEvent>(
  ctx: { op: Operation; progress: TrackedProgress },
  step: string,
  waitingFor: string,
  nextAttemptAt: Date,
  ledger: LedgerEntryInput[],
): StepResult<Event> {
  return {
    status: "waiting",
    step,
    data: { ...dataWithProgress(ctx, ledger), progress: { ...ctx.progress, waitingFor } },
    nextAttemptAt,
    ledger,
  };
}

/**
 * When to poll again, `seconds` apart: counted from when this poll was due, not from when it ran
 * (a ticker picks a due step up late, by up to its period, and the late start would otherwise add
 * to every interval), but never sooner than half the interval from now. The cloud sees one poll
 * per interval on average, and no two closer than half of it.
 */
export function nextPollAt(ctx: { op: Operation; now: Date }, seconds: number): Date {
  const now = ctx.now.getTime();
  const due = ctx.op.nextAttemptAt === undefined ? now : Math.min(now, Date.parse(ctx.op.nextAttemptAt));
  return new Date(Math.max(due + seconds * 1000, now + (seconds * 1000) / 2));
}

/** The data itself is unreadable: fail without touching anything, naming the field. */
export function invalidOperation<Event extends OutcomeEvent>(
  op: Operation,
  now: Date,
  message: string,
): StepResult<Event> {
  const error = { kind: "invalid", message };
  return {
    status: "failed",
    step: op.step,
    data: op.data,
    error,
    ledger: [operationEntry({ op, now }, `${op.kind}.failed`, { error })],
  };
}
