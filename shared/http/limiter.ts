// Per-account request pacing: a token bucket (requests per second, with a burst) and a cap on
// requests in flight. Waiting is first come, first served. Time is injected (now/sleep), so a test
// can assert exactly when each request went out.
//
// The bucket is kept as a "theoretical arrival time" (GCRA): each acquisition reserves the next
// free slot synchronously, in arrival order, then sleeps until it. That is the same schedule as a
// token bucket of `burst` tokens refilled at `ratePerSecond`, without a polling loop.

export interface LimiterOptions {
  /** Requests per second; `Infinity` (the default) disables pacing. */
  ratePerSecond?: number;
  /** Tokens the bucket holds when full: requests that may go out back to back. Default 1. */
  burst?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_CONCURRENCY = 8;

/** Releases what `acquire` took; calling it again does nothing. */
export type Release = () => void;

export interface Limiter {
  /** Waits for a concurrency slot (FIFO), then for a token; returns the slot's release. */
  acquire(): Promise<Release>;
  /** For tests and metrics: requests holding a slot, and requests waiting for one. */
  readonly inFlight: number;
  readonly waiting: number;
}

export function createLimiter(options: LimiterOptions): Limiter {
  const rate = options.ratePerSecond ?? Number.POSITIVE_INFINITY;
  const burst = options.burst ?? 1;
  const cap = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!(rate > 0)) throw new RangeError(`ratePerSecond must be a positive number, got ${rate}`);
  if (!(Number.isInteger(burst) && burst >= 1))
    throw new RangeError(`burst must be an integer >= 1, got ${burst}`);
  if (!(cap === Number.POSITIVE_INFINITY || (Number.isInteger(cap) && cap >= 1))) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${cap}`);
  }
  const interval = Number.isFinite(rate) ? 1000 / rate : 0;

  let inFlight = 0;
  const queue: Array<() => void> = [];
  /** The time (ms) at which the bucket would be full again: the GCRA "TAT". */
  let theoreticalArrival = Number.NEGATIVE_INFINITY;

  const slot = (): Promise<void> => {
    if (inFlight < cap && queue.length === 0) {
      inFlight += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => queue.push(resolve));
  };

  const release = (): void => {
    const next = queue.shift();
    // The slot passes straight to the next waiter, so `inFlight` does not change.
    if (next) next();
    else inFlight -= 1;
  };

  /** Reserves the next token and returns how long to wait for it. */
  const reserve = (): number => {
    if (interval === 0) return 0;
    const now = options.now().getTime();
    const arrival = Math.max(theoreticalArrival, now);
    const allowedAt = arrival - (burst - 1) * interval;
    theoreticalArrival = arrival + interval;
    return Math.max(0, allowedAt - now);
  };

  return {
    async acquire() {
      await slot();
      let released = false;
      const once: Release = () => {
        if (released) return;
        released = true;
        release();
      };
      try {
        const wait = reserve();
        if (wait > 0) await options.sleep(wait);
      } catch (error) {
        once();
        throw error;
      }
      return once;
    },
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return queue.length;
    },
  };
}
