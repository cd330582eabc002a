// Where a bench record goes and where the previous one comes from: `npm run bench` options
// (--out, --compare, --noise, or BENCH_OUT, BENCH_COMPARE, BENCH_NOISE), the machine's facts and
// the commit, and the files themselves.
import { execFileSync } from "node:child_process";
import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type BenchRecord,
  BenchRecordError,
  DEFAULT_NOISE,
  type MachineFacts,
  parseRecord,
} from "./record.ts";

/** A bad option or environment setting: the message names it and what it accepts. */
export class BenchOptionError extends Error {}

const ROOT = new URL("../../", import.meta.url).pathname;
/** Records land here unless --out says otherwise (git-ignored). */
export const RESULTS_DIR = join(ROOT, "bench-results");

export interface RecordOptions {
  /** Where this run's record is written. */
  out: string;
  /** The previous record to compare with, if any. */
  compare?: string;
  /** Share of a measured figure's previous value within which a change is noise. */
  noise: number;
}

/** `2026-12-07T10:15:30.123Z` → `bench-results/2026-12-07T10-15-30Z.json` (no colons: valid on every file system). */
export function defaultRecordPath(now: Date, dir = RESULTS_DIR): string {
  return join(
    dir,
    `${now
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z")
      .replaceAll(":", "-")}.json`,
  );
}

/** The newest record in `dir` (by the time in its name, which sorts as text), for `--compare latest`. */
export function latestRecord(dir = RESULTS_DIR): string {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json") && statSync(join(dir, n)).isFile());
  } catch {
    // no directory yet: no record
  }
  const newest = names.sort().at(-1);
  if (!newest)
    throw new BenchOptionError(`--compare latest: no record in ${dir} yet; run \`npm run bench\` once first`);
  return join(dir, newest);
}

/** The options from the command line (after `npm run bench --`) and the environment; flags win. */
export function recordOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  now: Date,
): RecordOptions {
  let values: { out?: string; compare?: string; noise?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { out: { type: "string" }, compare: { type: "string" }, noise: { type: "string" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BenchOptionError(
      `${(error as Error).message}; the options are --out FILE, --compare FILE|latest and --noise PERCENT`,
    );
  }
  const noise = noiseOption(values.noise, env);
  const out = values.out ?? env.BENCH_OUT;
  const compare = values.compare ?? env.BENCH_COMPARE;
  return {
    out: out ? resolve(out) : defaultRecordPath(now),
    ...(compare ? { compare: compare === "latest" ? latestRecord() : resolve(compare) } : {}),
    noise,
  };
}

/** The noise allowance from --noise PERCENT (`flag`) or BENCH_NOISE, as a share; 10 % unless given. */
export function noiseOption(flag: string | undefined, env: Record<string, string | undefined>): number {
  const text = flag ?? env.BENCH_NOISE;
  if (text === undefined) return DEFAULT_NOISE;
  const noise = Number(text) / 100;
  if (text.trim() === "" || !(noise >= 0 && noise < 1)) {
    throw new BenchOptionError(
      `${flag === undefined ? "BENCH_NOISE" : "--noise"}: expected a percentage from 0 to below 100 (such as 10), got "${text}"`,
    );
  }
  return noise;
}

/** Reads a record to compare with; every way it can be unusable is a BenchRecordError naming the file. */
export function readRecord(path: string): BenchRecord {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BenchRecordError(
      code === "ENOENT"
        ? `${path}: no such file (give the path of a record npm run bench wrote)`
        : `${path}: cannot be read (${code})`,
    );
  }
  return parseRecord(text, path);
}

/** Makes the record's folder and checks it can be written, before hours of measuring rather than after. */
export function ensureWritable(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    accessSync(dirname(path), constants.W_OK);
  } catch (error) {
    throw new BenchOptionError(
      `cannot write the record to ${path} (${(error as NodeJS.ErrnoException).code}); choose another path with --out or BENCH_OUT`,
    );
  }
}

export function writeRecord(record: BenchRecord, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
}

export function machineFacts(loadAtStart: number[]): MachineFacts {
  const cores = cpus();
  return {
    node: process.version,
    platform: platform(),
    arch: arch(),
    kernel: release(),
    cpuModel: cores[0]?.model.trim() ?? "unknown",
    cpus: cores.length,
    memoryBytes: totalmem(),
    loadAverage: { start: loadAtStart, end: loadavg() },
  };
}

/** The commit checked out and whether tracked files differ from it; nulls outside a git checkout. */
export function gitFacts(): BenchRecord["git"] {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    return {
      commit: git("rev-parse", "HEAD"),
      dirty: git("status", "--porcelain", "--untracked-files=no") !== "",
    };
  } catch {
    return { commit: null, dirty: null };
  }
}

/**
 * The other BENCH_* settings that shape the figures (sections and rounds have fields of their own;
 * where the record goes and what it is compared with do not shape them).
 */
export function benchEnv(env: Record<string, string | undefined>): Record<string, string> {
  const ignored = new Set([
    "BENCH_ONLY",
    "BENCH_ROUNDS",
    "BENCH_ROUND_MS",
    "BENCH_OUT",
    "BENCH_COMPARE",
    "BENCH_NOISE",
  ]);
  return Object.fromEntries(
    Object.entries(env)
      .filter(
        (e): e is [string, string] => e[0].startsWith("BENCH_") && !ignored.has(e[0]) && e[1] !== undefined,
      )
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}
