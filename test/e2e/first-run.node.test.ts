// A newcomer's first run: `nightshift start` with nothing configured, at the default speed, on
// whatever day the test runs. Nothing is moved by hand: within about a minute and a half a
// cluster goes to sleep and one wakes, as the admin API shows.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { expect, it } from "vitest";

const CLI = new URL("../../functions/cli.node.ts", import.meta.url).pathname;
const SCHEDULES = new URL("../../schedules", import.meta.url).pathname;
const TOKEN = "first-run-admin-token-0123456789";
const BUDGET_MS = 90_000;

interface ApiOperation {
  id: string;
  kind: "sleep" | "wake";
  status: string;
  target: string;
}

it("shows a sleep and a wake within about a minute and a half of start", { timeout: 120_000 }, async () => {
  const spawned = Date.now();
  const child = spawn(process.execPath, [CLI, "start"], {
    // A directory of its own: the demo keeps its fresh store in .nightshift/demo.db there.
    cwd: await mkdtemp(`${tmpdir()}/nightshift-first-run-`),
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      NIGHTSHIFT_ADMIN_TOKEN: TOKEN,
      NIGHTSHIFT_SCHEDULES_DIR: SCHEDULES,
      LOG_FORMAT: "json",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, unknown>> = [];
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      lines.push(record);
      if (record.msg === "nightshift started") resolve(record.url as string);
    });
    child.once("exit", (code) => reject(new Error(`exited early (${code})`)));
  });
  const firstDone: Partial<Record<"sleep" | "wake", number>> = {};
  try {
    while (!(firstDone.sleep && firstDone.wake) && Date.now() - spawned < BUDGET_MS) {
      const response = await fetch(`${url}/api/operations?status=succeeded&limit=1000`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      const { operations } = (await response.json()) as { operations: ApiOperation[] };
      // A wake counts when it wakes a cluster this run put to sleep (not one that was awake anyway).
      const slept = new Set(operations.filter((op) => op.kind === "sleep").map((op) => op.target));
      for (const op of operations) {
        if (op.kind === "sleep" || slept.has(op.target)) firstDone[op.kind] ??= Date.now() - spawned;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(
      `first run: started ${lines.find((l) => l.msg === "nightshift started")?.time}; first sleep done after ${firstDone.sleep} ms, first wake after ${firstDone.wake} ms (${JSON.stringify(lines.find((l) => l.firstNight)?.firstNight)})`,
    );
    expect(firstDone.sleep, "a sleep finished").toBeLessThan(BUDGET_MS);
    expect(firstDone.wake, "a wake finished").toBeLessThan(BUDGET_MS);
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
  } finally {
    child.kill("SIGTERM");
  }
  const [code] = (await once(child, "exit")) as [number | null];
  expect(code).toBe(0);
});
