// Chaos, malformed input to the command line and the configuration: generated bad flags, values and
// stdin for every CLI verb (in process through each verb's run function, a sample as real
// `nightshift` processes), mutated schedule/rule/renewal/rates documents through `nightshift
// validate`'s loader, and bad environment configuration (shared/config/config.ts). Every case: no
// crash or uncaught exception, exit 1 or 2 with a message that names the flag, file:line/field or
// variable, no stack trace, no secret.
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { runBundleSchedules } from "../../functions/bundle-schedules.node.ts";
import { runMatch } from "../../functions/match.node.ts";
import { runPlanOrTick } from "../../functions/plan-tick.node.ts";
import { runRenew } from "../../functions/renew.node.ts";
import { signLines } from "../../functions/sign.ts";
import { runValidate } from "../../functions/validate.node.ts";
import { ConfigError, loadConfig } from "../../shared/config/config.ts";
import { runCli } from "../setup/cli.node.ts";
import { SECRET_ENV } from "../setup/secret-env.ts";
import { Figures, FUZZ_SEED, leaks } from "./fuzz-support.ts";

const CLI_CASES = 2_300;
const CONFIG_FILE_CASES = 400;
const ENV_CASES = 1_500;
const PROCESS_CASES = 4;

const work = mkdtempSync(join(tmpdir(), "nightshift-chaosfuzz-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hostile = fc.oneof(
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

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

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
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (name.startsWith("NIGHTSHIFT_")) delete process.env[name];
  Object.assign(process.env, env);
  return run().finally(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
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

// ---------------------------------------------------------------------------------------------

const SCHEDULES = resolve("schedules");
const EXAMPLES = readdirSync(SCHEDULES)
  .filter((name) => name.endsWith(".yaml"))
  .map((name) => {
    const text = readFileSync(join(SCHEDULES, name), "utf8");
    // Parsed once (the mutations below copy before they change anything); a file of several
    // documents gets the text mutations only.
    let doc: Doc | Error;
    try {
      doc = parse(text) as Doc;
    } catch (error) {
      doc = error as Error;
    }
    return { name, text, doc };
  });

type Doc = Record<string, unknown>;
const hostileValue = fc.oneof(
  hostile,
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    null,
    -1,
    0,
    1e300,
    true,
    [],
    {},
    "25:61",
    "Mars/Olympus",
    "* * * * * * *",
    "99 99 * * *",
    "2026-02-30",
    "mon-xyz",
  ),
);

/** Every path to a value in the document. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value && typeof value === "object")
    return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

function setAt(doc: Doc, path: Array<string | number>, value: unknown, remove: boolean): Doc {
  if (path.length === 0) return value as Doc;
  const copy = structuredClone(doc);
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant("value" as const),
    pick: fc.nat(),
    value: hostileValue,
    remove: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("unknown-key" as const),
    pick: fc.nat(),
    key: fc.string({ minLength: 1, maxLength: 12 }),
  }),
  fc.record({
    kind: fc.constant("text" as const),
    at: fc.nat(),
    insert: fc.constantFrom(
      "\t",
      ":",
      "- ",
      "{",
      "[",
      "&a",
      "*b",
      "!!binary x",
      "\n  bad: [",
      "\u0000",
      '"',
      "\n\n---\n",
    ),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate-line" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("deep" as const), depth: fc.integer({ min: 50, max: 3000 }) }),
  // 50-400 exceptions here; the largest document (4,000) is one fixed case per run (below), as
  // parsing hundreds of KiB of YAML costs ~0.3 s a time.
  fc.record({ kind: fc.constant("huge" as const), copies: fc.integer({ min: 5, max: 40 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
const LARGEST: Mutation = { kind: "huge", copies: 400 };

function mutated(example: (typeof EXAMPLES)[number], m: Mutation): string {
  const parsed = () => {
    if (example.doc instanceof Error) throw example.doc;
    return example.doc;
  };
  switch (m.kind) {
    case "value": {
      const doc = parsed();
      const all = paths(doc);
      return stringify(setAt(doc, all[m.pick % all.length]!, m.value, m.remove));
    }
    case "unknown-key": {
      const doc = parsed();
      const objects = paths(doc).filter((p) => {
        let node: unknown = doc;
        for (const key of p) node = (node as Record<string | number, unknown>)[key];
        return node !== null && typeof node === "object" && !Array.isArray(node);
      });
      return stringify(setAt(doc, [...objects[m.pick % objects.length]!, m.key], "surprise", false));
    }
    case "text": {
      const at = m.at % (example.text.length + 1);
      return example.text.slice(0, at) + m.insert + example.text.slice(at);
    }
    case "truncate":
      return example.text.slice(0, m.at % example.text.length);
    case "duplicate-line": {
      const lines = example.text.split("\n");
      const at = m.at % lines.length;
      return [...lines.slice(0, at + 1), lines[at], ...lines.slice(at + 1)].join("\n");
    }
    case "deep":
      return `${example.text}\nextra: ${"[".repeat(m.depth)}${"]".repeat(m.depth)}\n`;
    case "huge":
      return stringify({
        ...parsed(),
        exceptions: Array.from({ length: m.copies * 10 }, (_, i) => ({
          from: "2026-12-01",
          to: "2026-12-02",
          state: "awake",
          reason: `r${i}`,
        })),
      });
  }
}

describe("chaos: malformed configuration", () => {
  it(`validates ${CONFIG_FILE_CASES} mutated schedule, rule, renewal and rates documents: file:line: field: message, no crash`, async () => {
    const figures = new Figures("config files (validate)");
    const cases: Array<[(typeof EXAMPLES)[number], Mutation]> = fc.sample(
      fc.tuple(fc.constantFrom(...EXAMPLES), mutation),
      { seed: FUZZ_SEED, numRuns: CONFIG_FILE_CASES - 1 },
    );
    cases.push([EXAMPLES[Math.abs(FUZZ_SEED) % EXAMPLES.length]!, LARGEST]);
    // One directory: the calendars, and the one mutated document of the case (the last one removed).
    const dir = join(work, "schedules");
    mkdirSync(dir);
    symlinkSync(join(SCHEDULES, "calendars"), join(dir, "calendars"));
    let previous: string | undefined;
    for (const [n, [example, m]] of cases.entries()) {
      if (previous !== undefined) rmSync(join(dir, previous));
      previous = example.name;
      let text: string;
      try {
        text = mutated(example, m);
      } catch {
        text = `${example.text}\n# mutation ${n} not applicable\n`;
      }
      writeFileSync(join(dir, example.name), text);
      const stdout: string[] = [];
      const stderr: string[] = [];
      let code: number;
      try {
        code = await runValidate(
          [dir],
          { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) },
          new Date("2026-11-22T12:00:00Z"),
        );
      } catch (error) {
        figures.count("threw");
        figures.fail(`${example.name} [${m.kind}]`, [`threw: ${(error as Error).message}`]);
        continue;
      }
      figures.count(`${m.kind}:exit${code}`);
      const problems = leaks([...stdout, ...stderr].join("\n"));
      if (code === 2 || code > 2) problems.push(`exit ${code}: ${stderr.join(" ").slice(0, 200)}`);
      if (code === 1) {
        if (stdout.length === 0) problems.push("exit 1 without a problem line");
        for (const line of stdout)
          if (
            !new RegExp(`^${escapeRegExp(example.name)}:\\d+: |^calendars/`).test(line.replace(`${dir}/`, ""))
          )
            problems.push(`a problem line that does not name file:line: ${line.slice(0, 200)}`);
      }
      if (problems.length > 0) figures.fail(`${example.name} [${JSON.stringify(m).slice(0, 200)}]`, problems);
    }
    figures.report();
    expect(figures.failures).toEqual([]);
  }, 120_000);

  it(`loads ${ENV_CASES} bad environments: each refusal names the variable, never a value`, () => {
    const figures = new Figures("config env");
    const names = [
      ...Object.keys(SECRET_ENV),
      "PORT",
      "HOST",
      "LOG_LEVEL",
      "LOG_FORMAT",
      "NIGHTSHIFT_TICK_SECONDS",
      "NIGHTSHIFT_STORE",
      "NIGHTSHIFT_STORE_PREFIX",
      "NIGHTSHIFT_SCHEDULES_DIR",
      "NIGHTSHIFT_FILE_SINK_DIR",
      "NIGHTSHIFT_SANDBOX_SPEED",
      "NIGHTSHIFT_PUBLIC_URL",
      "NIGHTSHIFT_VAULT_KEYS",
      "NIGHTSHIFT_PLANNER_LEASE_SECONDS",
      "NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEY_HEADER",
      "NIGHTSHIFT_ACCOUNT_X_VENDOR",
      "NIGHTSHIFT_ACCOUNT__REGION",
      "NIGHTSHIFT_EXTRA_CA_FILE",
    ];
    const cases = fc.sample(
      fc.array(
        fc.tuple(
          fc.constantFrom(...names),
          fc.oneof(
            hostile,
            fc.constantFrom("0", "-1", "65536", "1e3", " ", "redis://", "sqlite:", "k1:AAAA", "https://"),
          ),
        ),
        { minLength: 1, maxLength: 4 },
      ),
      { seed: FUZZ_SEED, numRuns: ENV_CASES },
    );
    for (const changes of cases) {
      const env: Record<string, string> = { ...SECRET_ENV };
      for (const [name, value] of changes) env[name] = value;
      const set = changes.map(([name]) => name);
      try {
        loadConfig(env);
        figures.count("accepted");
      } catch (error) {
        if (!(error instanceof ConfigError)) {
          figures.count("threw");
          figures.fail(JSON.stringify(changes).slice(0, 300), [
            `threw ${(error as Error).name}: ${(error as Error).message}`,
          ]);
          continue;
        }
        figures.count("refused");
        const text = error.issues.map((i) => `${i.variable}: ${i.message}`).join("\n");
        const problems = leaks(text);
        if (error.issues.length === 0) problems.push("refused without an issue");
        for (const issue of error.issues)
          if (
            !issue.variable.startsWith("NIGHTSHIFT_") &&
            !["PORT", "HOST", "LOG_LEVEL", "LOG_FORMAT"].includes(issue.variable)
          )
            problems.push(`an issue that names no variable: ${issue.variable}: ${issue.message}`);
        if (
          !error.issues.some((i) =>
            set.some(
              (name) =>
                name === i.variable ||
                name.startsWith(i.variable) ||
                i.variable.startsWith(name.split("_").slice(0, 3).join("_")),
            ),
          )
        )
          problems.push(`no issue names a changed variable (${set.join(", ")}): ${text.slice(0, 300)}`);
        if (problems.length > 0) figures.fail(JSON.stringify(changes).slice(0, 300), problems);
      }
    }
    figures.report();
    expect(figures.failures).toEqual([]);
  });
});
