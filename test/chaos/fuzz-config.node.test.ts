// Chaos, malformed configuration: mutated schedule/rule/renewal/rates documents through
// `nightshift validate` (runValidate, the whole path: directory, files, calendars), and bad
// environment configuration (shared/config/config.ts). Every case: no crash or uncaught exception;
// validate exits 0 or 1, each problem line naming file:line; each refused environment names the
// variable, never a value, no stack trace, no secret.
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
import { runValidate } from "../../functions/validate.node.ts";
import { ConfigError, loadConfig } from "../../shared/config/config.ts";
import { SECRET_ENV } from "../setup/secret-env.ts";
import { escapeRegExp, Figures, FUZZ_SEED, hostile, leaks } from "./fuzz-support.ts";

const CONFIG_FILE_CASES = 400;
const ENV_CASES = 1_500;

const work = mkdtempSync(join(tmpdir(), "nightshift-chaosfuzz-config-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

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
