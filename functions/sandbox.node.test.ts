// `nightshift sandbox` as scripts use it: the first line is the JSON description, SIGTERM stops it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const CLI = new URL("./cli.node.ts", import.meta.url).pathname;

describe("nightshift sandbox", () => {
  it("prints the clouds' endpoints and credentials first, serves them, and stops on SIGTERM", {
    timeout: 60_000,
  }, async () => {
    const child = spawn(process.execPath, [CLI, "sandbox", "--port", "0", "--hour", "10"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    const first = new Promise<string>((resolve) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        lines.push(line);
        if (lines.length === 1) resolve(line);
      });
    });
    const description = JSON.parse(await first);
    expect(Object.keys(description).sort()).toEqual(["alibaba", "autopilot", "baidu", "huawei"]);
    for (const cloud of Object.values(description) as Array<Record<string, any>>) {
      expect(cloud.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cloud.accounts.length).toBeGreaterThan(0);
      for (const account of cloud.accounts) {
        expect(account).toMatchObject({
          accessKeyId: expect.any(String),
          secretAccessKey: expect.any(String),
          region: expect.any(String),
        });
      }
    }
    for (const cloud of ["huawei", "autopilot"]) {
      for (const account of description[cloud].accounts) expect(account.projectId).toMatch(/^[0-9a-f]{32}$/);
    }
    const state = await fetch(`${description.huawei.inspection}/state`);
    expect(state.status).toBe(200);
    const clock = await (await fetch(`${description.huawei.inspection}/clock`)).json();
    expect(clock.speed).toBe(360); // an hour in 10 seconds

    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe("sandbox stopped");
    expect(() => JSON.parse(lines[1]!)).toThrow(); // the second line onward is a human log
  });

  it("refuses a bad option with the usage and status 2", async () => {
    const child = spawn(process.execPath, [CLI, "sandbox", "--speed", "fast"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(2);
    expect(stderr).toContain("--speed must be a number >= 0");
    expect(stderr).toContain("Usage: nightshift sandbox");
  });
});
