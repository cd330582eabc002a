// What the kill/restart chaos scenarios share (sigkill.node.test.ts, redis-restart.node.test.ts):
// the seed, the figures line, and the cloud-call accounting that tells a repeat allowed by a kill
// from one that is not.
//
// The accounting. Every cloud-changing call is keyed by what it does to what: (target, pool,
// purpose). A night or storm without faults makes each key's call a known number of times
// (`expected`). A process killed after a call was answered but before its result was written
// repeats that step once after the restart: so each kill may add ONE call to the key of the step
// it hit (the last call of a target the killed process made; `inFlightAtKill`). Fewer calls than
// expected is a lost step; more than expected + the kills that hit the key is a repeat the kills
// do not explain.
import { seededRandom } from "../../shared/sandbox/clock.ts";
import type { LoggedRequest } from "../e2e/processes.ts";

/** CHAOS_SEED (a non-negative integer) or a fresh one; printed on failure so a run can be repeated. */
export function chaosSeed(): number {
  const given = process.env.CHAOS_SEED;
  if (given === undefined || given === "") return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(given);
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`CHAOS_SEED must be a non-negative integer, got "${given}"`);
  return seed;
}

/** The seeded dice of one scenario. */
export interface Dice {
  seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max). */
  between(min: number, max: number): number;
}

export function dice(seed: number): Dice {
  const next = seededRandom(seed);
  return { seed, next, between: (min, max) => min + Math.floor(next() * (max - min)) };
}

/** One summary line per scenario, as JSON after a fixed prefix (grep "chaos figures"). */
export function printFigures(scenario: string, figures: Record<string, unknown>): void {
  console.info(`chaos figures ${scenario} ${JSON.stringify(figures)}`);
}

/** Runs `body`; a failure is rethrown with the seed and the command that repeats it. */
export async function withSeed<T>(seed: number, file: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const repeat = `CHAOS_SEED=${seed} npx vitest run --project node ${file}`;
    const wrapped = new Error(`${message}\n\nchaos seed ${seed}; repeat with: ${repeat}`);
    if (error instanceof Error) wrapped.stack = `${wrapped.message}\n${error.stack ?? ""}`;
    throw wrapped;
  }
}

/** A cloud-changing call's key: what it does to what. Undefined: a call this accounting ignores. */
export type KeyOf = (request: LoggedRequest) => string | undefined;

export interface KillRecord {
  /** The keys of the steps the killed process may have left unrecorded (at most one per target). */
  inFlight: string[];
}

/**
 * The keys a kill may have caught in flight: per target, the last cloud-changing call, if the
 * killed process made it (its seq is above `spawnedAfterSeq`, the log's last seq when it started).
 */
export function inFlightAtKill(
  requests: LoggedRequest[],
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
  requests: LoggedRequest[],
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
