// Simulated time for the sandbox clouds: a night can pass in seconds. Simulated time runs at
// `speed` simulated seconds per real second from where it was last set, and can be moved forward
// by hand (tests do that, with speed 0, for exact results).

export interface SimClock {
  now(): Date;
  /** Jumps simulated time forward. */
  advance(ms: number): void;
  /** Changes the speed from now on, keeping the current simulated time. */
  setSpeed(speed: number): void;
  readonly speed: number;
}

export function createSimClock(options: { start: Date; speed: number; realNow: () => number }): SimClock {
  if (!(options.speed >= 0)) throw new Error("the sandbox clock speed must be 0 or more");
  let anchorReal = options.realNow();
  let anchorSim = options.start.getTime();
  let speed = options.speed;
  const now = () => anchorSim + (options.realNow() - anchorReal) * speed;
  return {
    now: () => new Date(Math.floor(now())),
    advance(ms) {
      if (!(ms >= 0)) throw new Error("the sandbox clock only moves forward");
      anchorSim += ms;
    },
    setSpeed(next) {
      if (!(next >= 0)) throw new Error("the sandbox clock speed must be 0 or more");
      anchorSim = now();
      anchorReal = options.realNow();
      speed = next;
    },
    get speed() {
      return speed;
    },
  };
}

/** A small deterministic PRNG (mulberry32): the seeded fleet and fault dice are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
