// Vitest global setup of the chaos project: ONE seed per run, printed at the start and provided to
// every chaos test file (inject("chaosSeed")), so a failure anywhere reproduces with that seed.
// CHAOS_SEED=<n> replays a run; otherwise the seed is drawn at random.
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    chaosSeed: number;
  }
}

/** The run's seed: CHAOS_SEED when given (a non-negative integer), else a random 31-bit integer. */
export function runSeed(env: Record<string, string | undefined>, random: () => number): number {
  const given = env.CHAOS_SEED;
  if (given === undefined || given === "") return Math.floor(random() * 2 ** 31);
  if (!/^\d+$/.test(given) || !Number.isSafeInteger(Number(given))) {
    throw new Error(`CHAOS_SEED must be a non-negative integer (got "${given}"); e.g. CHAOS_SEED=42`);
  }
  return Number(given);
}

export default function setup(project: TestProject) {
  const seed = runSeed(process.env, Math.random);
  process.stdout.write(`chaos: seed ${seed} (replay: CHAOS_SEED=${seed} npm run test:chaos)\n`);
  project.provide("chaosSeed", seed);
}
