// Where records go and come from: the options (flags over environment), the default path, the
// newest record, reading a file that is missing or not a record, writing one.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildRecord } from "./record.ts";
import {
  BenchOptionError,
  benchEnv,
  defaultRecordPath,
  ensureWritable,
  gitFacts,
  latestRecord,
  RESULTS_DIR,
  readRecord,
  recordOptions,
  writeRecord,
} from "./record-file.ts";

const NOW = new Date("2026-12-06T10:15:30.123Z");
const dir = mkdtempSync(join(tmpdir(), "nightshift-record-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("recordOptions", () => {
  it("writes to bench-results/<time>.json by default, compares with nothing, allows 10 % noise", () => {
    expect(defaultRecordPath(NOW)).toBe(join(RESULTS_DIR, "2026-12-06T10-15-30Z.json"));
    expect(recordOptions([], {}, NOW)).toEqual({
      out: join(RESULTS_DIR, "2026-12-06T10-15-30Z.json"),
      noise: 0.1,
    });
  });

  it("takes the environment, and flags over it", () => {
    const env = { BENCH_OUT: "a.json", BENCH_COMPARE: "b.json", BENCH_NOISE: "15" };
    expect(recordOptions([], env, NOW)).toEqual({
      out: resolve("a.json"),
      compare: resolve("b.json"),
      noise: 0.15,
    });
    expect(recordOptions(["--out", "c.json", "--compare=d.json", "--noise", "5"], env, NOW)).toEqual({
      out: resolve("c.json"),
      compare: resolve("d.json"),
      noise: 0.05,
    });
  });

  it("refuses an unknown option or a noise that is not a percentage, naming it", () => {
    expect(() => recordOptions(["--outt", "x"], {}, NOW)).toThrow(BenchOptionError);
    expect(() => recordOptions(["--outt", "x"], {}, NOW)).toThrow(
      /Unknown option '--outt'.*; the options are --out FILE, --compare FILE\|latest and --noise PERCENT/,
    );
    expect(() => recordOptions(["--noise", "ten"], {}, NOW)).toThrow(
      '--noise: expected a percentage from 0 to below 100 (such as 10), got "ten"',
    );
    expect(() => recordOptions([], { BENCH_NOISE: "100" }, NOW)).toThrow(
      'BENCH_NOISE: expected a percentage from 0 to below 100 (such as 10), got "100"',
    );
    expect(() => recordOptions([], { BENCH_NOISE: "" }, NOW)).toThrow("BENCH_NOISE");
  });
});

describe("record files", () => {
  const record = buildRecord({
    startedAt: NOW.toISOString(),
    finishedAt: NOW.toISOString(),
    machine: {
      node: "v22.23.3",
      platform: "linux",
      arch: "x64",
      kernel: "6.1.0",
      cpuModel: "cpu",
      cpus: 2,
      memoryBytes: 1,
      loadAverage: { start: [0, 0, 0], end: [0, 0, 0] },
    },
    git: { commit: null, dirty: null },
    settings: { sections: ["planning"], rounds: 5, roundMs: 400, env: {} },
    sections: [{ name: "planning", title: "Planning", notes: [], seconds: 1 }],
    figures: [
      {
        section: "planning",
        table: "",
        row: "r",
        column: "median",
        value: 1,
        unit: "ms",
        better: "lower",
        exact: false,
      },
    ],
  });

  it("writes a record (its folders made) and reads it back", () => {
    const path = join(dir, "nested", "deeper", "run.json");
    writeRecord(record, path);
    expect(readRecord(path)).toEqual(record);
  });

  it("refuses, before measuring, a record path that cannot be written", () => {
    writeFileSync(join(dir, "a-file"), "");
    const path = join(dir, "a-file", "run.json");
    expect(() => ensureWritable(path)).toThrow(
      `cannot write the record to ${path} (EEXIST); choose another path with --out or BENCH_OUT`,
    );
    ensureWritable(join(dir, "fresh", "run.json"));
    expect(statSync(join(dir, "fresh")).isDirectory()).toBe(true);
  });

  it("names a missing file, or one that is not a file", () => {
    expect(() => readRecord(join(dir, "missing.json"))).toThrow(
      `${join(dir, "missing.json")}: no such file (give the path of a record npm run bench wrote)`,
    );
    expect(() => readRecord(dir)).toThrow(`${dir}: cannot be read (EISDIR)`);
    writeFileSync(join(dir, "package.json"), '{"name": "x"}');
    expect(() => readRecord(join(dir, "package.json"))).toThrow("is not a nightshift bench record");
  });

  it("finds the newest record of a folder by the time in its name, and says when there is none", () => {
    const results = join(dir, "results");
    mkdirSync(results);
    expect(() => latestRecord(results)).toThrow(`--compare latest: no record in ${results} yet`);
    for (const name of [
      "2026-12-06T09-00-00Z.json",
      "2026-12-06T10-15-30Z.json",
      "2026-11-30T23-59-59Z.json",
      "notes.txt",
    ])
      writeFileSync(join(results, name), "{}");
    expect(latestRecord(results)).toBe(join(results, "2026-12-06T10-15-30Z.json"));
  });
});

describe("run facts", () => {
  it("keeps the BENCH_* settings that shape figures, not sections, rounds or where records go", () => {
    expect(
      benchEnv({
        BENCH_WEBHOOKS: "500",
        BENCH_TRACE: "3",
        BENCH_ONLY: "planning",
        BENCH_ROUNDS: "2",
        BENCH_OUT: "x",
        BENCH_COMPARE: "y",
        PATH: "/bin",
      }),
    ).toEqual({ BENCH_TRACE: "3", BENCH_WEBHOOKS: "500" });
  });

  it("names the commit checked out", () => {
    const git = gitFacts();
    expect(git.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(typeof git.dirty).toBe("boolean");
  });
});
