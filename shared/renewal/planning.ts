// The renewal decisions around the policy (policy.ts), pure: a target's state after a plan (what
// the API shows: next attempt, reason, back-off, metrics), what a due target needs (a renewal, a
// delivery retry, or nothing yet), and the idempotent ids of the operations that do it.
import type { FailureHistory } from "./backoff.ts";
import { planRenewal, type RenewalPlan, type RenewalPolicySpec, type StoredCredential } from "./policy.ts";
import { certificateMetadata } from "./records.ts";
import { sinkRetryDue } from "./sinks/sink.ts";
import type { RenewalPurpose, RenewalState } from "./state.ts";

export function failureHistory(
  state: Pick<RenewalState, "failures"> | undefined,
): FailureHistory | undefined {
  const f = state?.failures;
  if (!f) return undefined;
  return {
    failedAttempts: f.failedAttempts,
    lastFailureAt: new Date(f.lastFailureAt),
    ...(f.requestedDurationMs !== undefined ? { requestedDurationMs: f.requestedDurationMs } : {}),
  };
}

/** The plan for a target now, from its state (failures, a forced request) and the stored credential. */
export function planFor(
  state: Pick<RenewalState, "failures" | "forced"> | undefined,
  stored: StoredCredential,
  spec: RenewalPolicySpec,
  now: Date,
): RenewalPlan {
  const failures = failureHistory(state);
  return planRenewal({
    now,
    stored,
    spec,
    ...(failures ? { failures } : {}),
    ...(state?.forced
      ? {
          forced: {
            requestedAt: new Date(state.forced.requestedAt),
            ...(state.forced.requestedBy ? { requestedBy: state.forced.requestedBy } : {}),
          },
        }
      : {}),
  });
}

/** The state's plan fields (what the API shows) after `plan`; the rest is kept. */
export function withPlan(
  state: RenewalState,
  plan: RenewalPlan,
  stored: StoredCredential,
  now: Date,
): RenewalState {
  const {
    waitingFor: _w,
    lastReason: _r,
    certificate: _c,
    renewalTime: _t,
    secondsUntilExpiry: _s,
    backoffUntil: _b,
    notOwned: _n,
    ...rest
  } = state;
  return {
    ...rest,
    nextAttemptAt: plan.nextAttemptAt.toISOString(),
    ...(plan.action === "wait" && plan.waitingFor ? { waitingFor: plan.waitingFor } : {}),
    ...(plan.reason
      ? { lastReason: { code: plan.reason.code, message: plan.reason.message, at: now.toISOString() } }
      : state.lastReason
        ? { lastReason: state.lastReason }
        : {}),
    ...(stored.kind === "certificate" ? { certificate: certificateMetadata(stored.facts) } : {}),
    ...(plan.renewalTime ? { renewalTime: plan.renewalTime.toISOString() } : {}),
    ...(plan.secondsUntilExpiry !== undefined ? { secondsUntilExpiry: plan.secondsUntilExpiry } : {}),
    ...(plan.backoffUntil ? { backoffUntil: plan.backoffUntil.toISOString() } : {}),
  };
}

export type DueDecision =
  /** Issue a new credential now: `plan` says why and what it overrides. */
  | { kind: "renew"; plan: RenewalPlan }
  /** The stored credential is current; these sinks' deliveries are due again. */
  | { kind: "deliver"; sinks: string[] }
  /** Nothing to do before the plan's next attempt (or a sink's retry). */
  | { kind: "wait"; plan: RenewalPlan };

/**
 * What a due target needs now. A renewal goes first (its deliveries include every sink); a
 * delivery retry only resends the stored credential, to the sinks whose retry is due and which
 * still lack that very credential (its serial).
 */
export function decideDue(
  state: RenewalState,
  stored: StoredCredential,
  spec: RenewalPolicySpec,
  now: Date,
): DueDecision {
  const plan = planFor(state, stored, spec, now);
  if (plan.action === "renew") return { kind: "renew", plan };
  const serial = stored.kind === "certificate" ? stored.facts.serial : undefined;
  const sinks = state.sinks
    .filter((sink) => serial !== undefined && sink.serial === serial && sinkRetryDue(sink, now))
    .map((sink) => sink.sink);
  return sinks.length > 0 ? { kind: "deliver", sinks } : { kind: "wait", plan };
}

/**
 * The operation's id: one per declaration, planned time and target, so a tick that plans the same
 * attempt again (after a crash) finds the operation instead of creating another. A delivery retry
 * is one per credential (serial) and retry time.
 */
export function renewOperationId(
  purpose: RenewalPurpose,
  declaration: string,
  plannedAt: string,
  target: string,
  serial?: string,
): string {
  return purpose === "renew"
    ? `renew:${declaration}:${plannedAt}:${target}`
    : `deliver:${declaration}:${serial ?? "none"}:${plannedAt}:${target}`;
}

/** A state for a target seen for the first time (due now). */
export function newRenewalState(input: {
  target: string;
  declaration: string;
  provider: RenewalState["provider"];
  account: string;
  clusterId: string;
  specFingerprint: string;
  now: Date;
}): RenewalState {
  return {
    target: input.target,
    declaration: input.declaration,
    provider: input.provider,
    account: input.account,
    clusterId: input.clusterId,
    specFingerprint: input.specFingerprint,
    nextAttemptAt: input.now.toISOString(),
    sinks: [],
    updatedAt: input.now.toISOString(),
  };
}
