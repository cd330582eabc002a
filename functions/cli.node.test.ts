// The CLI as a user runs it: a real process, real signals, real stdin/stdout.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const CLI = new URL("./cli.node.ts", import.meta.url).pathname;

function run(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...options.env },
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
    expect(await response.json()).toMatchObject({ status: "ok", service: "nightshift", host: "node" });
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

describe("nightshift CLI", () => {
  it("rejects an unknown command with the usage and status 2", async () => {
    const { code, stderr } = await finished(run(["frobnicate"]));
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
    expect(stderr).toContain("Commands:");
  });
});
