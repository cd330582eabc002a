// What every resize step works with, and the ways a step ends (go on, wait, finish, fail). Steps
// only RETURN the changes; the jobs runtime writes them with compare-and-set.
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
import { describeAction } from "../../shared/rules/describe.ts";
import { isPoolAction } from "../../shared/rules/rule-schema.ts";
import type { LedgerEntryInput } from "../../shared/store/backend.ts";
import type { Operation } from "../../shared/store/store.ts";
import type { ResizeInput, ResizeKind, ResizeProgress } from "./operation-data.ts";

/** An event's resize gives up retrying (throttling, a pool that never settles) this long after it was accepted. */
export const RESIZE_DEADLINE_MS = 2 * 3600 * 1000;

export type ResizeEvent = OutcomeEvent<
  OutcomeDetail & {
    kind: ResizeKind;
    rule: string;
    account: string;
    clusterId: string;
    pool?: string;
    /** The inbound event that asked for it. */
    source: { source: string; id: string; type: string };
    /** The decision's outcome, e.g. "resize", "cooldown", "asleep", "dry-run". */
    decision?: string;
  }
> & { detailType: "nightshift.resize" };

export type ResizeStepResult = JobStepResult<ResizeEvent>;

export interface ResizeContext {
  op: Operation & { kind: ResizeKind };
  input: ResizeInput;
  step: string;
  progress: ResizeProgress;
  env: StepEnv;
  now: Date;
}

export function ledgerEntry(
  ctx: Pick<ResizeContext, "op" | "input" | "step" | "now">,
  kind: string,
  detail: Record<string, unknown>,
): LedgerEntryInput {
  return operationEntry(ctx, `${ctx.op.kind}.${kind}`, {
    step: ctx.step,
    rule: ctx.input.rule.name,
    event: { source: ctx.input.event.source, id: ctx.input.event.id },
    ...(ctx.input.pool !== undefined ? { pool: ctx.input.pool } : {}),
    ...detail,
  });
}

/** What was asked, as the outcome event says it: the action, or "revert". */
export function requested(input: ResizeInput): string {
  if (input.intent === "revert") return "revert";
  return isPoolAction(input.rule.action) ? describeAction(input.rule.action) : input.rule.action.kind;
}

function event(
  ctx: ResizeContext,
  outcome: OutcomeDetail["outcome"],
  extra: Partial<ResizeEvent["detail"]> = {},
): ResizeEvent {
  const { input, op } = ctx;
  return {
    detailType: "nightshift.resize",
    detail: {
      kind: op.kind,
      operationId: op.id,
      target: op.target,
      rule: input.rule.name,
      account: input.account,
      clusterId: input.clusterId,
      ...(input.pool !== undefined ? { pool: input.pool } : {}),
      source: { source: input.event.source, id: input.event.id, type: input.event.type },
      requested: requested(input),
      outcome,
      taken: ctx.progress.taken ?? [],
      ...extra,
    },
  };
}

/** Runs the next step at once (chained by the runtime). */
export function goOn(ctx: ResizeContext, step: string, ledger: LedgerEntryInput[] = []): ResizeStepResult {
  return { status: "running", step, data: data(ctx, ledger), ledger };
}

/** Polls `step` again at `at` (or `seconds` from when it was due). */
export function waitFor(
  ctx: ResizeContext,
  step: string,
  waitingFor: string,
  when: { at: Date } | { seconds: number },
  ledger: LedgerEntryInput[] = [],
): ResizeStepResult {
  if (ctx.now.getTime() >= Date.parse(ctx.op.createdAt) + RESIZE_DEADLINE_MS)
    return fail(
      ctx,
      {
        kind: "deadline",
        message: `gave up waiting for ${waitingFor}: still not so ${RESIZE_DEADLINE_MS / 3_600_000} h after the event was accepted (${ctx.op.createdAt})`,
      },
      ledger,
    );
  const nextAttemptAt = "at" in when ? when.at : nextPollAt(ctx, when.seconds);
  return waiting(ctx, step, waitingFor, nextAttemptAt, ledger);
}

/**
 * The operation ends: "succeeded" when something was done (or recorded for later), "skipped" with
 * the reason when the decision was to do nothing (cooldown, asleep, dry run, ...).
 */
export function finish(
  ctx: ResizeContext,
  ledger: LedgerEntryInput[],
  end: {
    outcome: "succeeded" | "skipped";
    reason?: string;
    decision?: string;
    before?: unknown;
    after?: Record<string, unknown>;
  },
): ResizeStepResult {
  const done = data(ctx, ledger);
  const detail = {
    ...(end.reason !== undefined ? { reason: end.reason } : {}),
    ...(end.decision !== undefined ? { decision: end.decision } : {}),
    ...(end.before !== undefined ? { before: end.before } : {}),
    ...(end.after !== undefined ? { after: end.after } : {}),
  };
  return {
    status: "succeeded",
    step: "done",
    data: done,
    ledger: [...ledger, ledgerEntry(ctx, end.outcome, { ...detail, taken: ctx.progress.taken ?? [] })],
    event: event(ctx, end.outcome, detail),
  };
}

export function fail(
  ctx: Pick<ResizeContext, "op" | "input" | "step" | "progress" | "now" | "env">,
  error: { kind: string; message: string },
  ledger: LedgerEntryInput[] = [],
): ResizeStepResult {
  const full = ctx as ResizeContext;
  const failed = data(full, ledger);
  return {
    status: "failed",
    step: ctx.step,
    data: failed,
    error,
    ledger: [...ledger, ledgerEntry(ctx, "failed", { error, taken: ctx.progress.taken ?? [] })],
    event: event(full, "failed", { error }),
  };
}
