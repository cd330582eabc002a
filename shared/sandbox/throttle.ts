// Per-account request throttling, as the clouds' gateways do it: a token bucket per access key.
// Rates are in requests per REAL second (a gateway limits request rates, whatever the simulated
// clock says), with the real clock injected.

export interface Throttle {
  /** Takes a token for `key`; when none is left, says how long until the next one. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number };
  configure(ratePerSecond: number, burst?: number): void;
  readonly ratePerSecond: number;
}

export function createThrottle(options: {
  ratePerSecond: number;
  burst?: number;
  realNow: () => number;
}): Throttle {
  let rate = options.ratePerSecond;
  let burst = options.burst ?? Math.max(1, Math.ceil(rate));
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      if (!Number.isFinite(rate) || rate <= 0) return { ok: true };
      const now = options.realNow();
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
    },
    configure(next, nextBurst) {
      rate = next;
      burst = nextBurst ?? Math.max(1, Math.ceil(next));
      buckets.clear();
    },
    get ratePerSecond() {
      return rate;
    },
  };
}
