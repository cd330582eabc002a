// Per-account request pacing: a token bucket (requests per second, with a burst) and a cap on
// requests in flight. Waiting is first come, first served. Time is injected (now/sleep), so a test
// can assert exactly when each request went out.
//
// The bucket is kept as a "theoretical arrival time" (GCRA): each acquisition reserves the next
// free slot synchronously, in arrival order, then sleeps until it. That is the same schedule as a
// token bucket of `burst` tokens refilled at `ratePerSecond`, without a polling loop.
//
// Where many processes share one account's limit (Workers invocations), the slots are booked in
// one place for all of them (`slots`: a Durable Object per account, functions/account-rate.workers.ts)
// and each process only waits for the time it was given.

export interface LimiterOptions {
  /** Requests per second; `Infinity` (the default) disables pacing. */
  ratePerSecond?: number;
  /** Tokens the bucket holds when full: requests that may go out back to back. Default 1. */
  burst?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /**
   * Books the next slot elsewhere (a bucket shared by every process acting for the account) and
   * returns when it is (epoch ms); replaces the local bucket, `ratePerSecond` and `burst` unused.
   */
  slots?: () => Promise<number>;
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

/** The bucket alone: `reserve(nowMs)` books the next free slot and returns when it is (epoch ms). */
export interface RateSchedule {
  reserve(nowMs: number): number;
}

export function rateSchedule(ratePerSecond: number, burst = 1): RateSchedule {
  if (!(ratePerSecond > 0))
    throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
  if (!(Number.isInteger(burst) && burst >= 1))
    throw new RangeError(`burst must be an integer >= 1, got ${burst}`);
  const interval = Number.isFinite(ratePerSecond) ? 1000 / ratePerSecond : 0;
  /** The time (ms) at which the bucket would be full again: the GCRA "TAT". */
  let theoreticalArrival = Number.NEGATIVE_INFINITY;
  return {
    reserve(now) {
      if (interval === 0) return now;
      const arrival = Math.max(theoreticalArrival, now);
      theoreticalArrival = arrival + interval;
      return Math.max(now, arrival - (burst - 1) * interval);
    },
  };
}

export function createLimiter(options: LimiterOptions): Limiter {
  const schedule = rateSchedule(options.ratePerSecond ?? Number.POSITIVE_INFINITY, options.burst ?? 1);
  const cap = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!(cap === Number.POSITIVE_INFINITY || (Number.isInteger(cap) && cap >= 1))) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${cap}`);
  }

  let inFlight = 0;
  const queue: Array<() => void> = [];
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
        // The next token: booked here at once, in arrival order, or by the shared bucket.
        const at = options.slots ? await options.slots() : schedule.reserve(options.now().getTime());
        const wait = at - options.now().getTime();
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
