// The chaos suite's shared helpers: the run's seed and the randomness derived from it, the fault
// mix of issue 15, the scenario wrapper that names the seed on failure, and the figures line.
//
// Every random choice of a scenario derives from the run's seed and the scenario's name
// (`scenarioRandom`), so a scenario replays the same whatever else runs beside it. The sandbox's
// fault dice are seeded the same way (`scenarioSeed` as the sandbox seed); the order in which
// concurrent requests reach them is the only thing left to the machine.
import { inject, it } from "vitest";
import { seededRandom } from "../../shared/sandbox/clock.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";
import type { FaultRates } from "../../shared/sandbox/faults.ts";
import type { TestSandbox } from "../setup/sandbox.ts";

export const CLOUDS: readonly CloudName[] = ["huawei", "autopilot", "alibaba", "baidu"];

/** The run's seed (test/chaos/seed.global.ts). */
export function chaosSeed(): number {
  return inject("chaosSeed");
}

/** The line a failure ends with. */
export function reproduceLine(seed: number = chaosSeed()): string {
  return `reproduce: CHAOS_SEED=${seed} npm run test:chaos`;
}

/** FNV-1a of the name: a stable 32-bit number per scenario. */
function nameHash(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A positive 31-bit seed for one scenario (e.g. its sandbox's), from the run's seed and its name. */
export function scenarioSeed(name: string, seed: number = chaosSeed()): number {
  return ((seededRandom((seed ^ nameHash(name)) >>> 0)() * 2 ** 31) >>> 0) + 1;
}

/** The scenario's own random stream: same run seed and name, same numbers. */
export function scenarioRandom(name: string, seed: number = chaosSeed()): () => number {
  return seededRandom(scenarioSeed(name, seed));
}

/**
 * Issue 15's fault mix: 20 % 5xx, 10 % 429 with Retry-After, 5 % timeouts, 2 % connection resets.
 * A timed-out request is held `timeoutMs` (real time) and then dropped, so the client's timeout
 * (CHAOS_CLIENT_TIMEOUT_MS) must be shorter; both are short so a scenario stays within seconds.
 */
export const CHAOS_FAULTS: Partial<FaultRates> = {
  serverError: 0.2,
  throttle: 0.1,
  timeout: 0.05,
  reset: 0.02,
  retryAfterSeconds: 1,
  timeoutMs: 250,
};
/** The per-attempt timeout of the chaos scenarios' HTTP clients (below CHAOS_FAULTS.timeoutMs). */
export const CHAOS_CLIENT_TIMEOUT_MS = 150;

/** Sets the fault mix (or none: `{}` clears) on every cloud of a sandbox. */
export async function setFaults(sb: TestSandbox, rates: Partial<FaultRates> | "none"): Promise<void> {
  const body = rates === "none" ? { serverError: 0, throttle: 0, timeout: 0, reset: 0, slow: 0 } : rates;
  await Promise.all(CLOUDS.map((cloud) => sb.inspect(cloud, "PUT", "faults", body)));
}

interface LoggedRequest {
  fault?: string;
}

/** Cloud calls a sandbox answered (every cloud), and the faults among them by kind. */
export async function cloudCalls(
  sb: TestSandbox,
): Promise<{ calls: number; faults: Record<string, number> }> {
  const logs = await Promise.all(CLOUDS.map((cloud) => sb.inspect(cloud, "GET", "requests")));
  const faults: Record<string, number> = {};
  let calls = 0;
  for (const { requests } of logs as Array<{ requests: LoggedRequest[] }>) {
    calls += requests.length;
    for (const r of requests) if (r.fault) faults[r.fault] = (faults[r.fault] ?? 0) + 1;
  }
  return { calls, faults };
}

export interface Figures {
  scenario: string;
  /** Targets (clusters, pools or credentials) the scenario drove. */
  targets: number;
  /** Requests the sandbox clouds answered, faults included. */
  cloudCalls: number;
  /** Faults injected, by kind (server-error, throttle, timeout, reset, ...). */
  faults: Record<string, number>;
  /** Work done again after a failure: operation attempts after the first, outbox re-sends. */
  retries: number;
  /** Real milliseconds the scenario took. */
  ms: number;
  /** Scenario-specific figures (simulated span, events, ...). */
  extra?: Record<string, number | string>;
}

/** One line per scenario, e.g. `chaos night/huawei-full: targets 5, cloud calls 812, ...`. */
export function formatFigures(f: Figures): string {
  const kinds = Object.entries(f.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
  const extra = Object.entries(f.extra ?? {})
    .map(([k, v]) => `, ${k} ${v}`)
    .join("");
  return (
    `chaos ${f.scenario}: targets ${f.targets}, cloud calls ${f.cloudCalls}, ` +
    `faults ${Object.values(f.faults).reduce((a, b) => a + b, 0)} (${kinds || "none"}), ` +
    `retries ${f.retries}, ${(f.ms / 1000).toFixed(1)} s${extra}`
  );
}

/** Prints the figures line (and appends it as JSON to CHAOS_FIGURES_FILE when set). */
export async function printFigures(f: Figures): Promise<void> {
  process.stdout.write(`${formatFigures(f)}\n`);
  const file = process.env.CHAOS_FIGURES_FILE;
  if (file) {
    const { appendFile } = await import("node:fs/promises");
    await appendFile(file, `${JSON.stringify({ seed: chaosSeed(), ...f })}\n`);
  }
}

/**
 * A scenario's time limit. Each takes seconds to tens of seconds alone; the limit is generous
 * because `npm test` runs them beside the other projects on a 2-core machine.
 */
export const CHAOS_TIMEOUT_MS = 180_000;

/** What a scenario body gets: its seed, its random stream, and a clock for the figures. */
export interface Scenario {
  name: string;
  seed: number;
  random: () => number;
  startedAt: number;
}

/**
 * A chaos test: `it` with the scenario's seed and random stream, whose failure message ends with
 * the line that reproduces it.
 */
export function chaosIt(
  name: string,
  body: (scenario: Scenario) => Promise<void>,
  timeoutMs = CHAOS_TIMEOUT_MS,
): void {
  it(
    name,
    async ({ onTestFailed }) => {
      const seed = chaosSeed();
      // A timeout never reaches the catch below: say how to replay it all the same.
      onTestFailed(({ task }) => {
        if (task.result?.errors?.some((e) => !String(e.message).includes("reproduce: ")))
          process.stdout.write(`chaos ${name}: failed; ${reproduceLine(seed)}\n`);
      });
      try {
        await body({
          name,
          seed: scenarioSeed(name, seed),
          random: scenarioRandom(name, seed),
          startedAt: performance.now(),
        });
      } catch (error) {
        if (error instanceof Error) {
          error.message = `${error.message}\n${reproduceLine(seed)}`;
          throw error;
        }
        throw new Error(`${String(error)}\n${reproduceLine(seed)}`);
      }
    },
    timeoutMs,
  );
}
