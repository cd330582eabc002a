// Back-off after failed issuance, as cert-manager's trigger controller does it
// (shouldBackoffReissuingOnFailure): after the n-th consecutive failure the next attempt waits
// 1 h × 2^(n-1) from the last failure, at least 1 h, at most 32 h (1, 2, 4, 8, 16, 32, 32, ... h).
// As there, a changed request lifts the back-off: the failure was about a request no longer made.
//
// One deliberate difference: while the stored credential is still valid, a back-off never waits
// more than a quarter of the validity left at the failure (at least 1 min, the tick's period).
// cert-manager's 1+2+4+8+16 h after five failures would outlast the last day of Alibaba's 3-day
// kubeconfig renewed at 2/3; the cap makes attempts denser as expiry nears, so the credential
// expires only if all of them fail. A quarter (not half, at least 5 min, as before) because the
// chaos suite saw a 60-minute kubeconfig expire through a fault rate of about 1 in 3: renewed 20 min
// before expiry, half-with-5-min gave it 4 attempts; a quarter-with-1-min gives it 10.
// Once it has expired, retries come hourly (the initial back-off): the target is down until then.

const HOUR_MS = 3_600_000;
export const BACKOFF_INITIAL_MS = HOUR_MS;
export const BACKOFF_MAX_MS = 32 * HOUR_MS;
// 2^(6-1) h = 32 h: past the sixth failure the delay stays at the cap.
const STOP_INCREASING_AFTER = 6;
export const BACKOFF_NEAR_EXPIRY_MIN_MS = 60_000;
/** Near expiry, a back-off waits at most this share of the validity left. */
export const BACKOFF_NEAR_EXPIRY_SHARE = 0.25;

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
 * `expiresAt`: the stored credential's notAfter, which caps the wait (see above).
 */
export function backoffUntil(
  failures: FailureHistory | undefined,
  now: Date,
  requestedDurationMs?: number,
  expiresAt?: Date,
): Date | undefined {
  if (failures === undefined || failures.failedAttempts <= 0) return undefined;
  if (
    failures.requestedDurationMs !== undefined &&
    requestedDurationMs !== undefined &&
    failures.requestedDurationMs !== requestedDurationMs
  ) {
    return undefined;
  }
  const failedAt = failures.lastFailureAt.getTime();
  let until = failedAt + backoffDelayMs(failures.failedAttempts);
  if (expiresAt !== undefined) {
    const left = expiresAt.getTime() - failedAt;
    // Expired: nothing works until a renewal succeeds, so retry at the initial pace.
    const cap =
      left > 0
        ? Math.max(BACKOFF_NEAR_EXPIRY_MIN_MS, Math.floor(left * BACKOFF_NEAR_EXPIRY_SHARE))
        : BACKOFF_INITIAL_MS;
    until = Math.min(until, failedAt + cap);
  }
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
