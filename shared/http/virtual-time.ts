// A virtual clock for tests: `now`, `sleep` and `setTimer` that only move when the test says so.
// Hand all three to `createHttpClient` (or anything else that takes injected time) and a night of
// retries, back-offs and timeouts runs in microseconds, with exact, repeatable timings.

export interface VirtualTime {
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Same contract as `HttpClientOptions.setTimer`: runs `fire` after `ms`; returns a cancel. */
  setTimer: (ms: number, fire: () => void) => () => void;
  /** Milliseconds since the start (the clock starts at `start`). */
  elapsed(): number;
  /** Every `sleep` requested, in order (not timers). */
  readonly sleeps: number[];
  /** Timers and sleeps not yet due. */
  pending(): number;
  /** Lets pending promise callbacks run (a macrotask turn, several times). */
  settle(): Promise<void>;
  /** Moves the clock forward by `ms`, firing what falls due in order, settling after each. */
  advance(ms: number): Promise<void>;
  /** Fires everything pending, in time order, until nothing is left (bounded, to catch loops). */
  runAll(maxSteps?: number): Promise<void>;
}

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

export function createVirtualTime(start: Date = new Date("2025-01-01T00:00:00Z")): VirtualTime {
  const origin = start.getTime();
  let current = origin;
  let seq = 0;
  let timers: Timer[] = [];
  const sleeps: number[] = [];

  const schedule = (ms: number, fire: () => void): Timer => {
    const timer = { at: current + Math.max(0, ms), seq: seq++, fire };
    timers.push(timer);
    return timer;
  };

  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
  };

  const nextDue = (): Timer | undefined => {
    let best: Timer | undefined;
    for (const timer of timers)
      if (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) best = timer;
    return best;
  };

  const fireNext = (limit: number): boolean => {
    const timer = nextDue();
    if (!timer || timer.at > limit) return false;
    timers = timers.filter((t) => t !== timer);
    current = Math.max(current, timer.at);
    timer.fire();
    return true;
  };

  return {
    now: () => new Date(current),
    sleep: (ms) => {
      sleeps.push(ms);
      return new Promise<void>((resolve) => schedule(ms, resolve));
    },
    setTimer: (ms, fire) => {
      const timer = schedule(ms, fire);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    elapsed: () => current - origin,
    sleeps,
    pending: () => timers.length,
    settle,
    async advance(ms) {
      const target = current + ms;
      await settle();
      while (fireNext(target)) await settle();
      current = target;
      await settle();
    },
    async runAll(maxSteps = 10_000) {
      await settle();
      for (let step = 0; step < maxSteps; step++) {
        if (!fireNext(Number.POSITIVE_INFINITY)) return;
        await settle();
      }
      throw new Error(`virtual time: still busy after ${maxSteps} timers (a retry loop that never ends?)`);
    },
  };
}
