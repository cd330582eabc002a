// What the kill/restart/abort chaos scenarios share (sigkill, redis-restart, queue-abort): the
// cloud-call accounting that tells a repeat a kill explains from one it does not. (The seed, the
// scenario wrapper and the figures line are the suite's: chaos.ts.)
//
// The accounting. Every cloud-changing call is keyed by what it does to what: (target, pool,
// purpose). A night or storm without faults makes each key's call a known number of times
// (`expected`). A process killed after a call was answered but before its result was written
// repeats that step once after the restart: so each kill may add ONE call to the key of the step
// it hit (the last call of a target the killed process made; `inFlightAtKill`). Fewer calls than
// expected is a lost step; more than expected + the kills that hit the key is a repeat the kills
// do not explain.
/** A call as a sandbox cloud's request log records it (the fields this accounting reads). */
export interface CloudCall {
  seq: number;
  method: string;
  path: string;
  query?: string;
  cloud?: string;
  time?: string;
  status?: number;
}

/** A cloud-changing call's key: what it does to what. Undefined: a call this accounting ignores. */
export type KeyOf = (request: CloudCall) => string | undefined;

/** Uniform integer in [min, max) from a scenario's random stream. */
export const between = (random: () => number, min: number, max: number) =>
  min + Math.floor(random() * (max - min));

export interface KillRecord {
  /** The keys of the steps the killed process may have left unrecorded (at most one per target). */
  inFlight: string[];
}

/**
 * The keys a kill may have caught in flight: per target, the last cloud-changing call, if the
 * killed process made it (its seq is above `spawnedAfterSeq`, the log's last seq when it started).
 */
export function inFlightAtKill(
  requests: CloudCall[],
  spawnedAfterSeq: number,
  keyOf: KeyOf,
  targetOf: (key: string) => string,
): string[] {
  const lastByTarget = new Map<string, { key: string; seq: number }>();
  for (const request of requests) {
    const key = keyOf(request);
    if (key === undefined) continue;
    lastByTarget.set(targetOf(key), { key, seq: request.seq });
  }
  return [...lastByTarget.values()].filter((last) => last.seq > spawnedAfterSeq).map((last) => last.key);
}

export interface Accounting {
  /** Per key: calls made, expected, allowed extra (kills that hit it). */
  rows: Array<{ key: string; made: number; expected: number; allowed: number }>;
  repeats: number;
  /** Keys with fewer calls than expected. */
  lost: string[];
  /** Keys with more repeats than the kills that hit them explain. */
  unexplained: string[];
  /** Calls on keys nobody expected. */
  unexpected: string[];
}

/** Compares the cloud's record with what was expected and what the kills allow. */
export function account(
  requests: CloudCall[],
  keyOf: KeyOf,
  expected: ReadonlyMap<string, number>,
  kills: readonly KillRecord[],
): Accounting {
  const made = new Map<string, number>();
  for (const request of requests) {
    const key = keyOf(request);
    if (key !== undefined) made.set(key, (made.get(key) ?? 0) + 1);
  }
  const allowed = new Map<string, number>();
  for (const kill of kills) for (const key of kill.inFlight) allowed.set(key, (allowed.get(key) ?? 0) + 1);
  const rows = [...expected].map(([key, count]) => ({
    key,
    made: made.get(key) ?? 0,
    expected: count,
    allowed: allowed.get(key) ?? 0,
  }));
  return {
    rows,
    repeats: rows.reduce((sum, row) => sum + Math.max(0, row.made - row.expected), 0),
    lost: rows.filter((row) => row.made < row.expected).map((row) => row.key),
    unexplained: rows.filter((row) => row.made > row.expected + row.allowed).map((row) => row.key),
    unexpected: [...made.keys()].filter((key) => !expected.has(key)),
  };
}
