// What the malformed-input fuzz (fuzz-*.node.test.ts) shares: the run's seed, the checks every
// answer must pass (no stack trace, no secret), and the figures each surface prints.
import fc from "fast-check";
import { SECRETS } from "../setup/secret-env.ts";
import { chaosSeed } from "./chaos.ts";

/** The chaos run's seed (CHAOS_SEED=<n>, or the one drawn and printed at the start: seed.global.ts). */
export const FUZZ_SEED = chaosSeed();

/** Every configured secret of the fuzzed configuration (test/setup/secret-env.ts). */
export const SECRET_VALUES: readonly string[] = Object.values(SECRETS);

const STACK_FRAME = /\n\s+at [^\n]+|\(?(?:file:\/\/)?\/[^\s"'()]+\.[cm]?[tj]s:\d+/;

/** What is wrong with an output a person or a client reads: a stack frame, a source path, a secret. */
export function leaks(text: string, secrets: readonly string[] = SECRET_VALUES): string[] {
  const problems: string[] = [];
  const frame = STACK_FRAME.exec(text);
  if (frame) problems.push(`stack trace or source path: ${JSON.stringify(frame[0].slice(0, 120))}`);
  for (const secret of secrets)
    if (text.includes(secret)) problems.push(`secret ${secret.slice(0, 6)}… leaked`);
  return problems;
}

/** Cases and outcomes of one surface, printed as one summary line. */
export class Figures {
  cases = 0;
  readonly outcomes = new Map<string, number>();
  readonly failures: string[] = [];
  private readonly started = performance.now();

  readonly surface: string;

  constructor(surface: string) {
    this.surface = surface;
  }

  count(outcome: string): void {
    this.cases++;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  fail(description: string, problems: string[]): void {
    if (this.failures.length < 50) this.failures.push(`${description}\n    ${problems.join("\n    ")}`);
    else if (this.failures.length === 50) this.failures.push("… more failures left off");
  }

  summary(): string {
    const outcomes = [...this.outcomes]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([outcome, n]) => `${outcome}:${n}`)
      .join(" ");
    const ms = Math.round(performance.now() - this.started);
    return `chaos fuzz ${this.surface}: ${this.cases} cases in ${ms} ms, seed ${FUZZ_SEED}; ${outcomes}`;
  }

  /** Prints the figures, and with any failure, the seed that reproduces it. */
  report(): void {
    console.log(this.summary());
    if (this.failures.length > 0)
      console.log(
        `chaos fuzz ${this.surface}: ${this.failures.length} failures; reproduce with CHAOS_SEED=${FUZZ_SEED}\n  ${this.failures.join("\n  ")}`,
      );
  }
}

/** Strings a person may type: empty, dashes, NUL, traversal, bad encoding, emoji, huge. */
export const hostile = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom(
    "",
    "-",
    "--",
    "---x",
    "-h=1",
    "--=",
    "\u0000",
    "../../etc/passwd",
    "%zz",
    "😴",
    "9".repeat(300),
    "NaN",
  ),
  fc.integer({ min: 500, max: 20_000 }).map((n) => "x".repeat(n)),
);

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
