// The one back-off rule of the jobs runtime: an operation's transient errors (runtime.ts) and an
// outcome event's failed publishing (outbox.ts) wait 30 s, doubling to 30 min, no jitter (each
// operation, each event, is its own schedule).

export const BACKOFF_BASE_SECONDS = 30;
export const BACKOFF_MAX_SECONDS = 30 * 60;

/** The wait before retry number `failures` (1-based): 30 s, 60 s, 120 s, ... at most 30 min. */
export function backoffSeconds(failures: number): number {
  return Math.min(BACKOFF_BASE_SECONDS * 2 ** Math.max(0, failures - 1), BACKOFF_MAX_SECONDS);
}
