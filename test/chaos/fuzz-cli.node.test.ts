// Chaos, malformed input to the command line: generated bad flags, values and stdin for every CLI
// verb (in process through each verb's run function, a sample as real `nightshift` processes, run
// at once). Every case: no crash or uncaught exception, exit 1 or 2 with a message that names the
// flag or variable, no stack trace, no secret. (Configuration files and environments:
// fuzz-config.node.test.ts.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { runBundleSchedules } from "../../functions/bundle-schedules.node.ts";
import { runMatch } from "../../functions/match.node.ts";
import { runPlanOrTick } from "../../functions/plan-tick.node.ts";
import { runRenew } from "../../functions/renew.node.ts";
import { signLines } from "../../functions/sign.ts";
import { runValidate } from "../../functions/validate.node.ts";
import { runCli } from "../setup/cli.node.ts";
import { SECRET_ENV } from "../setup/secret-env.ts";
import { escapeRegExp, Figures, FUZZ_SEED, hostile, leaks } from "./fuzz-support.ts";

const CLI_CASES = 2_300;
const PROCESS_CASES = 4;

const work = mkdtempSync(join(tmpdir(), "nightshift-chaosfuzz-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const flag = fc.oneof(
  fc.constantFrom(
    "--from",
    "--to",
    "--at",
    "--json",
    "--dry-run",
    "--format",
    "--help",
    "-x",
    "--verbose",
    "--from=",
    "--at=yesterday",
  ),
  hostile.map((s) => `--${s}`),
);
const args = fc.array(fc.oneof(flag, hostile), { maxLength: 5 });

// Outputs a verb wrote, and what it must name.
function verdict(code: number, lines: string[], names: RegExp | null): string[] {
  const problems: string[] = [];
  const text = lines.join("\n");
  problems.push(...leaks(text));
  if (![0, 1, 2].includes(code)) problems.push(`exit ${code}`);
  if (code !== 0 && text.trim() === "") problems.push(`exit ${code} without a message`);
  if (code !== 0 && names && !names.test(text))
    problems.push(`the message does not name the problem (${names}): ${text.slice(0, 300)}`);
  return problems;
}

/** A flag-ish argument the verb does not take, or the value it could not read, named in the output. */
function namesFor(argv: string[], known: string[]): RegExp {
  const alternatives = [
    "Usage",
    "option",
    "argument",
    "NIGHTSHIFT_",
    "stdin",
    "directory",
    "target",
    "--format",
    "\\(root\\)",
    "expected an",
  ];
  for (const arg of argv) {
    const name = arg.split("=")[0]!;
    if (name.startsWith("-") && !known.includes(name)) alternatives.push(escapeRegExp(name.slice(0, 40)));
  }
  return new RegExp(alternatives.join("|"), "i");
}

/** The environment a verb meets: invalid (so a verb that got past its flags stops at the configuration). */
function withEnv<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  // Only the variables it changes are saved and put back (copying all of process.env per case
  // cost a fifth of this fuzz).
  const saved = new Map<string, string | undefined>();
  const change = (name: string, value: string | undefined) => {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  for (const name of Object.keys(process.env)) if (name.startsWith("NIGHTSHIFT_")) change(name, undefined);
  for (const [name, value] of Object.entries(env)) change(name, value);
  return run().finally(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

const BAD_ENV = { ...SECRET_ENV, NIGHTSHIFT_STORE: "ftp://nowhere", NIGHTSHIFT_TICK_SECONDS: "soon" };

describe("chaos: malformed CLI input", () => {
  it(`answers ${CLI_CASES} bad invocations of every verb in process: exit 1 or 2 naming the problem`, async () => {
    const figures = new Figures("cli (in process)");
    const bundlePath = join(work, "bundle.ts");
    const verbs = ["validate", "plan", "tick", "renew", "match", "sign", "bundle-schedules"] as const;
    const cases = fc.sample(
      fc.record({
        verb: fc.constantFrom(...verbs),
        argv: args,
        stdin: fc.oneof(
          hostile,
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
      }),
      { seed: FUZZ_SEED, numRuns: CLI_CASES },
    );
    for (const { verb, argv, stdin } of cases) {
      const lines: string[] = [];
      const out = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l) };
      let code: number;
      let names: RegExp | null = null;
      try {
        switch (verb) {
          case "validate": {
            // A directory argument that happens to exist is checked as one; nonexistent ones refused.
            code = await runValidate(argv, out);
            names = namesFor(argv, ["--help", "-h"]);
            break;
          }
          case "plan":
          case "tick":
            code = await withEnv(BAD_ENV, () => runPlanOrTick(verb, argv, out));
            names = namesFor(argv, ["--from", "--to", "--at", "--json", "--dry-run"]);
            break;
          case "renew":
            code = await withEnv(BAD_ENV, () => runRenew(argv, out));
            names = namesFor(argv, []);
            break;
          case "match":
            code = await withEnv(BAD_ENV, () => runMatch(argv, stdin, out));
            names = namesFor(argv, ["--format", "--json", "--help", "-h"]);
            break;
          case "sign": {
            const result = await signLines(stdin, {
              now: () => new Date(0),
              nonce: () => "n",
              write: out.stdout,
            });
            for (const e of result.errors) out.stderr(`nightshift sign: ${e}`);
            code = result.errors.length > 0 ? 2 : 0;
            names = /line \d+|no request/;
            break;
          }
          case "bundle-schedules":
            code = await runBundleSchedules(argv, out, { bundlePath });
            names = namesFor(argv, ["--help", "-h"]);
            break;
        }
      } catch (error) {
        figures.count("threw");
        figures.fail(
          `${verb} ${JSON.stringify(argv).slice(0, 200)} stdin=${JSON.stringify(stdin).slice(0, 100)}`,
          [`threw: ${(error as Error).message}`],
        );
        continue;
      }
      figures.count(`${verb}:exit${code}`);
      const problems = verdict(code, lines, names);
      if (problems.length > 0)
        figures.fail(
          `${verb} ${JSON.stringify(argv).slice(0, 200)} stdin=${JSON.stringify(stdin).slice(0, 100)}`,
          problems,
        );
    }
    figures.report();
    expect(figures.failures).toEqual([]);
  }, 120_000);

  it(`answers ${PROCESS_CASES} bad invocations as real processes: exit 1 or 2, a message, no stack`, async () => {
    const figures = new Figures("cli (processes)");
    const cases = fc.sample(
      fc.tuple(
        fc.constantFrom(
          "validate",
          "plan",
          "tick",
          "renew",
          "match",
          "bundle-schedules",
          "frobnicate",
          "sign",
        ),
        args,
      ),
      { seed: FUZZ_SEED, numRuns: PROCESS_CASES },
    );
    const runs = await Promise.all(
      cases.map(async ([verb, argv]) => ({
        verb,
        argv: argv.filter((a) => !a.includes("\u0000")),
        ...(await runCli([verb, ...argv.filter((a) => !a.includes("\u0000")), "--no-such-flag"], {
          ...BAD_ENV,
        })),
      })),
    );
    for (const run of runs) {
      figures.count(`${run.verb}:exit${run.code}`);
      const problems = verdict(run.code, [run.stdout, run.stderr], /no-such-flag|unknown|NIGHTSHIFT_|Usage/i);
      // --help wins over every other argument; anything else with an unknown flag is refused.
      if (run.code === 0 && !run.argv.some((a) => a === "--help" || a === "-h"))
        problems.push("exit 0 for an unknown flag");
      if (problems.length > 0)
        figures.fail(`${run.verb} ${JSON.stringify(run.argv).slice(0, 200)}`, problems);
    }
    figures.report();
    expect(figures.failures).toEqual([]);
  }, 60_000);
});
