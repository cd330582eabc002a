// The CLI as a user runs it: a real process, real signals, real stdin/stdout.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const CLI = new URL("./cli.node.ts", import.meta.url).pathname;

// Each process gets its own state file: the default store, in a place of its own.
const stateFile = () => `sqlite:${mkdtempSync(join(tmpdir(), "nightshift-cli-"))}/state.db`;

function run(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", NIGHTSHIFT_STORE: stateFile(), ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end(options.stdin ?? "");
  return child;
}

async function finished(child: ChildProcess) {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const [code] = (await once(child, "exit")) as [number];
  return { code, stdout, stderr };
}

describe("nightshift start", () => {
  it("serves /healthz, ticks, and shuts down cleanly on SIGTERM", async () => {
    const child = run(["start"], { env: { PORT: "0", NIGHTSHIFT_TICK_SECONDS: "1" } });
    const lines: Array<Record<string, unknown>> = [];
    const started = new Promise<string>((resolve) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const record = JSON.parse(line) as Record<string, unknown>;
        lines.push(record);
        if (record.msg === "nightshift started") resolve(record.url as string);
      });
    });
    const url = await started;
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "ok",
      service: "nightshift",
      host: "node",
      store: "sqlite",
    });
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });

    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(0);
    expect(lines.some((l) => l.msg === "tick" && l.trigger === "ticker")).toBe(true);
    expect(lines.at(-1)).toMatchObject({ msg: "nightshift stopped", outcome: "clean" });
  });

  it("refuses to start on a bad setting, naming the variable and what is expected", async () => {
    const { code, stderr, stdout } = await finished(
      run(["start"], { env: { PORT: "http", NIGHTSHIFT_ACCOUNT_A_VENDOR: "gcp" } }),
    );
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("PORT: must be a whole number");
    expect(stderr).toContain("NIGHTSHIFT_ACCOUNT_A_VENDOR: must be one of huawei, autopilot, alibaba, baidu");
    expect(stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });
});

describe("nightshift start with no cloud account (the embedded default)", () => {
  it("runs against the sandbox clouds and lists every cluster through GET /api/targets", {
    timeout: 60_000,
  }, async () => {
    const token = "test-admin-token-0123456789abcdef";
    const child = run(["start"], { env: { PORT: "0", NIGHTSHIFT_ADMIN_TOKEN: token } });
    const url = await new Promise<string>((resolve) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.msg === "nightshift started") resolve(record.url as string);
      });
    });
    try {
      expect((await fetch(`${url}/api/targets`)).status).toBe(401);
      const response = await fetch(`${url}/api/targets`, { headers: { Authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const { targets, errors } = (await response.json()) as {
        targets: Array<Record<string, any>>;
        errors: unknown[];
      };
      expect(errors).toEqual([]);
      expect(new Set(targets.map((t) => t.provider))).toEqual(
        new Set(["huawei", "autopilot", "alibaba", "baidu"]),
      );
      expect(targets.length).toBeGreaterThanOrEqual(12);
      for (const target of targets) {
        expect(target).toMatchObject({
          targetId: `${target.account}/${target.id}`,
          account: expect.stringMatching(/^sandbox-/),
          region: expect.any(String),
          phase: expect.stringMatching(/^(running|hibernating|hibernated|waking|busy|failed)$/),
          nodePools: expect.any(Array),
        });
      }
      for (const provider of ["huawei", "alibaba", "baidu"]) {
        const pools = targets.filter((t) => t.provider === provider).flatMap((t) => t.nodePools);
        expect(pools.length, provider).toBeGreaterThan(0);
        for (const pool of pools) {
          expect(pool).toMatchObject({
            id: expect.any(String),
            desired: expect.any(Number),
            ready: expect.any(Number),
          });
        }
      }
      expect(targets.filter((t) => t.provider === "autopilot").every((t) => t.nodePools.length === 0)).toBe(
        true,
      );
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });

  it("makes an admin token when none is configured and prints it once, outside the log", {
    timeout: 60_000,
  }, async () => {
    const child = run(["start"], { env: { PORT: "0" } });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const logLines: string[] = [];
    await new Promise<void>((resolve) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        logLines.push(line);
        if (line.includes("nightshift started")) resolve();
      });
    });
    child.kill("SIGTERM");
    await once(child, "exit");
    const token = /admin token is ([0-9a-f]{48})/.exec(stderr)?.[1];
    expect(token).toBeDefined();
    expect(logLines.join("\n")).not.toContain(token!);
  });
});

describe("nightshift CLI", () => {
  it("rejects an unknown command with the usage and status 2", async () => {
    const { code, stderr } = await finished(run(["frobnicate"]));
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
    expect(stderr).toContain("Commands:");
  });
});

describe("--help of every verb", () => {
  // A bad PORT: a verb that ignored --help and ran would stop on it (exit 1) instead of helping.
  for (const verb of [
    "start",
    "plan",
    "tick",
    "renew",
    "validate",
    "match",
    "sign",
    "sandbox",
    "bundle-schedules",
  ])
    it(`nightshift ${verb} --help prints its usage and exits 0, running nothing`, async () => {
      const { code, stdout, stderr } = await finished(run([verb, "--help"], { env: { PORT: "http" } }));
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toMatch(/^Usage: nightshift /);
      expect(stdout).toContain(verb === "tick" ? "nightshift tick" : `nightshift ${verb}`);
    });

  it("nightshift start refuses an option instead of ignoring it (PORT is an environment variable)", async () => {
    const { code, stdout, stderr } = await finished(run(["start", "--port", "9000"], { env: { PORT: "0" } }));
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("nightshift start: unknown option --port");
    expect(stderr).toContain("Usage: nightshift start");
  });
});

describe("nightshift start's embedded demo store", () => {
  /** `start` with nothing configured in a directory of its own, until it says it started. */
  async function demo(cwd: string) {
    const child = spawn(process.execPath, [CLI, "start"], {
      cwd,
      env: {
        PATH: process.env.PATH ?? "",
        PORT: "0",
        NIGHTSHIFT_ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
        NIGHTSHIFT_SCHEDULES_DIR: new URL("../schedules", import.meta.url).pathname,
        LOG_FORMAT: "json",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Array<Record<string, unknown>> = [];
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const outcome = await new Promise<"started" | "exited">((resolve) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const record = JSON.parse(line) as Record<string, unknown>;
        lines.push(record);
        if (record.msg === "nightshift started") resolve("started");
      });
      child.once("exit", () => resolve("exited"));
    });
    return { child, lines, outcome, stderr: () => stderr };
  }

  it("a second demo in the same directory refuses, leaving the first one's store alone", {
    timeout: 45_000,
  }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), "nightshift-demo-"));
    const first = await demo(cwd);
    expect(first.outcome).toBe("started");
    try {
      const storeFile = join(cwd, ".nightshift/demo.db");
      const before = statSync(storeFile).ino;
      const second = await demo(cwd);
      expect(second.outcome).toBe("exited");
      expect(second.child.exitCode).toBe(1);
      expect(second.stderr()).toContain(
        `NIGHTSHIFT_STORE: another nightshift demo (pid ${first.child.pid}) is running in this directory`,
      );
      // The first demo's file is the one it opened, and it still answers from it.
      expect(statSync(storeFile).ino).toBe(before);
      const url = first.lines.find((l) => l.msg === "nightshift started")!.url as string;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      first.child.kill("SIGTERM");
      await once(first.child, "exit");
    }
    // Stopped, it leaves no lock behind: the next demo there starts.
    expect(existsSync(join(cwd, ".nightshift/demo.db.lock"))).toBe(false);
  });

  it("a directory where the demo cannot keep its store: exit 1 naming NIGHTSHIFT_STORE and the way out", {
    timeout: 30_000,
  }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), "nightshift-demo-"));
    writeFileSync(join(cwd, ".nightshift"), "a file where the demo's folder would be");
    const { child, outcome, stderr } = await demo(cwd);
    expect(outcome).toBe("exited");
    expect(child.exitCode).toBe(1);
    expect(stderr()).toContain("NIGHTSHIFT_STORE: cannot create the demo's store in");
    expect(stderr()).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it("the start-up line names the store the demo uses, not the default it does not", {
    timeout: 30_000,
  }, async () => {
    const { child, lines, outcome } = await demo(mkdtempSync(join(tmpdir(), "nightshift-demo-")));
    try {
      expect(outcome).toBe("started");
      expect(lines.find((l) => l.msg === "nightshift started")?.store).toBe("sqlite .nightshift/demo.db");
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});

describe("nightshift start under npm", () => {
  it("stops cleanly when npm's shell, its parent, is killed (a shell does not pass SIGTERM on)", {
    timeout: 40_000,
  }, async () => {
    // What `npm start` runs: sh -c "<script>". The trailing `:` keeps sh from exec-ing node, as
    // dash does not for npm's scripts either, so killing sh leaves node to notice by itself.
    const shell = spawn("sh", ["-c", `"${process.execPath}" "${CLI}" start; :`], {
      env: {
        PATH: process.env.PATH ?? "",
        PORT: "0",
        NIGHTSHIFT_STORE: stateFile(),
        NIGHTSHIFT_ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
        LOG_FORMAT: "json",
        npm_lifecycle_event: "start",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Array<Record<string, unknown>> = [];
    let stopped: () => void;
    const stoppedLine = new Promise<void>((resolve) => (stopped = resolve));
    const started = new Promise<void>((resolve) => {
      createInterface({ input: shell.stdout! }).on("line", (line) => {
        const record = JSON.parse(line) as Record<string, unknown>;
        lines.push(record);
        if (record.msg === "nightshift started") resolve();
        if (record.msg === "nightshift stopped") stopped();
      });
    });
    await started;
    shell.kill("SIGKILL");
    const outcome = await Promise.race([
      stoppedLine.then(() => "stopped"),
      new Promise((resolve) => setTimeout(resolve, 15_000, "still running")),
    ]);
    // Never leave an orphan behind, whatever the outcome (the planner's holder is host:pid).
    const holder = lines.find((l) => l.msg === "this replica plans now")?.holder as string | undefined;
    const pid = Number(holder?.split(":").at(-1));
    if (outcome !== "stopped" && pid > 0) process.kill(pid, "SIGKILL");
    expect(outcome).toBe("stopped");
    expect(lines.find((l) => l.msg === "shutting down")).toMatchObject({ signal: "parent exited" });
    expect(lines.at(-1)).toMatchObject({ msg: "nightshift stopped", outcome: "clean" });
  });
});
