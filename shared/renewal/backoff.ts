// Back-off after failed issuance, as cert-manager's trigger controller does it
// (shouldBackoffReissuingOnFailure): after the n-th consecutive failure the next attempt waits
// 1 h × 2^(n-1) from the last failure, at least 1 h, at most 32 h (1, 2, 4, 8, 16, 32, 32, ... h).
// As there, a changed request lifts the back-off: the failure was about a request no longer made.

const HOUR_MS = 3_600_000;
export const BACKOFF_INITIAL_MS = HOUR_MS;
export const BACKOFF_MAX_MS = 32 * HOUR_MS;
// 2^(6-1) h = 32 h: past the sixth failure the delay stays at the cap.
const STOP_INCREASING_AFTER = 6;

/** Consecutive failed issuances since the last success; what the job stores per target. */
export interface FailureHistory {
  failedAttempts: number;
  lastFailureAt: Date;
  /** The validity the failed attempts asked for, ms; a different one now lifts the back-off. */
  requestedDurationMs?: number;
}

/** The back-off after `failedAttempts` consecutive failures, ms. */
export function backoffDelayMs(failedAttempts: number): number {
  if (!Number.isFinite(failedAttempts) || failedAttempts <= 1) return BACKOFF_INITIAL_MS;
  if (failedAttempts > STOP_INCREASING_AFTER) return BACKOFF_MAX_MS;
  return HOUR_MS * 2 ** (failedAttempts - 1);
}

/**
 * The instant before which no new issuance is attempted, or undefined when none is in force (no
 * failures, the back-off has passed, or the declaration now asks for another duration).
 */
export function backoffUntil(
  failures: FailureHistory | undefined,
  now: Date,
  requestedDurationMs?: number,
): Date | undefined {
  if (failures === undefined || failures.failedAttempts <= 0) return undefined;
  if (
    failures.requestedDurationMs !== undefined &&
    requestedDurationMs !== undefined &&
    failures.requestedDurationMs !== requestedDurationMs
  ) {
    return undefined;
  }
  const until = failures.lastFailureAt.getTime() + backoffDelayMs(failures.failedAttempts);
  return until > now.getTime() ? new Date(until) : undefined;
}

/** The history after one more failed attempt at `at`; failures of another request start over. */
export function recordFailure(
  failures: FailureHistory | undefined,
  at: Date,
  requestedDurationMs?: number,
): FailureHistory {
  const sameRequest = failures?.requestedDurationMs === requestedDurationMs;
  const before = failures !== undefined && sameRequest ? failures.failedAttempts : 0;
  const history: FailureHistory = { failedAttempts: before + 1, lastFailureAt: at };
  if (requestedDurationMs !== undefined) history.requestedDurationMs = requestedDurationMs;
  return history;
}
