// The SQLite file backend shared by several processes: each race starts 4 Node processes on one
// file (test/contract/store/sqlite-race.child.ts), releases them together and checks what they
// stored. Apart from sqlite.node.test.ts because it starts processes (npm run test:fast leaves it out).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteBackend } from "./sqlite.node.ts";

const T0 = new Date("2026-11-22T20:00:00Z");

const dirs: string[] = [];
const freshFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-sqlite-race-"));
  dirs.push(dir);
  return join(dir, "store.db");
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const child = fileURLToPath(new URL("../../test/contract/store/sqlite-race.child.ts", import.meta.url));

/** Starts `processes` children on `file`, releases them together once all are open, returns their JSON. */
async function race(file: string, mode: string, processes: number, count: number): Promise<unknown[]> {
  const runs = Array.from({ length: processes }, (_, id) => {
    const proc = spawn(process.execPath, [child, file, mode, String(count), `p${id}`], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const ready = new Promise<void>((resolve, reject) => {
      proc.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.startsWith("ready\n")) resolve();
      });
      proc.on("exit", () => reject(new Error(`child ${id} exited before ready: ${stderr}`)));
    });
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      proc.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    return { proc, ready, done };
  });
  await Promise.all(runs.map((r) => r.ready));
  for (const run of runs) run.proc.stdin.end("go\n");
  const results = await Promise.all(runs.map((r) => r.done));
  return results.map(({ code, stdout, stderr }) => {
    // No stack trace, and no ExperimentalWarning either: the backend filters node:sqlite's.
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    return JSON.parse(stdout.slice("ready\n".length));
  });
}

describe("SQLite file shared by several processes", () => {
  it("lets exactly one of 4 processes x 250 concurrent claims win, on a file they all create at once", async () => {
    const file = freshFile();
    const outcomes = (await race(file, "claim", 4, 250)) as Array<{ won: number; first: number }>;
    expect(outcomes.reduce((sum, o) => sum + o.won, 0)).toBe(1);
    const winner = outcomes.findIndex((o) => o.won === 1);
    const backend = await sqliteBackend(file);
    try {
      expect(await backend.get("race", "key", T0)).toEqual({
        value: JSON.stringify({ id: `p${winner}`, i: outcomes[winner]?.first }),
        version: 1,
        expiresAt: null,
      });
      expect((await backend.listIndex("race", "active", {}, T0)).map((r) => [r.key, r.score])).toEqual([
        ["key", outcomes[winner]?.first],
      ]);
    } finally {
      await backend.close();
    }
  });

  it("hands out every counter value exactly once across 4 processes x 250 increments", async () => {
    const outcomes = (await race(freshFile(), "increment", 4, 250)) as Array<{ values: number[] }>;
    const values = outcomes.flatMap((o) => o.values).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // Within one process, later calls get later values.
    for (const o of outcomes) expect(o.values).toEqual([...o.values].sort((a, b) => a - b));
  });

  it("sums tallies added by 4 processes x 250 calls, each adding to two tallies at once", async () => {
    const file = freshFile();
    const outcomes = (await race(file, "tally", 4, 250)) as Array<{ added: number }>;
    expect(outcomes.map((o) => o.added)).toEqual([250, 250, 250, 250]);
    const backend = await sqliteBackend(file);
    try {
      expect(await backend.listTallies("race:")).toEqual([
        { name: "race:a", value: 1000 },
        { name: "race:b", value: 2000 },
      ]);
    } finally {
      await backend.close();
    }
  });

  it("gives ledger entries appended by 4 processes distinct, per-process increasing seqs", async () => {
    const file = freshFile();
    const outcomes = (await race(file, "append", 4, 100)) as Array<{ seqs: number[] }>;
    const seqs = outcomes.flatMap((o) => o.seqs);
    expect(new Set(seqs).size).toBe(400);
    for (const o of outcomes) expect(o.seqs).toEqual([...o.seqs].sort((a, b) => a - b));
    const backend = await sqliteBackend(file);
    try {
      expect(await backend.query({ limit: 1000 })).toHaveLength(400);
    } finally {
      await backend.close();
    }
  });

  it("stores each of 100 keys once when 4 processes append all of them at once, each told the one seq", async () => {
    const file = freshFile();
    const outcomes = (await race(file, "append-keyed", 4, 100)) as Array<{ seqs: number[] }>;
    // Every process got, for each key, the seq of the one entry stored under it.
    for (const o of outcomes) expect(o.seqs).toEqual(outcomes[0]!.seqs);
    const backend = await sqliteBackend(file);
    try {
      const stored = await backend.query({ limit: 1000 });
      expect(stored.map((e) => e.key).sort()).toEqual(
        Array.from({ length: 100 }, (_, i) => `race:${i}`).sort(),
      );
      expect(stored.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
        [...outcomes[0]!.seqs].sort((a, b) => a - b),
      );
      for (const e of stored) expect(e.key).toBe(`race:${(e.detail as { i: number }).i}`);
    } finally {
      await backend.close();
    }
  });
});
