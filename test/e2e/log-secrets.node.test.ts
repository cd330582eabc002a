// `nightshift start`, spawned as a person runs it, with one of every kind of secret configured:
// none of them appears in its output, not even in a log line that carries them (the schedules
// folder it warns about is named after them here, one folder per secret: all in one name would be
// longer than a file name may be).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { SECRET_ENV, SECRETS } from "../setup/secret-env.ts";

const CLI = new URL("../../functions/cli.node.ts", import.meta.url).pathname;

describe("nightshift start's log", () => {
  it("masks every configured secret by value, wherever a line carries it", { timeout: 30_000 }, async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "nightshift-secrets-")), ...Object.values(SECRETS));
    await mkdir(dir, { recursive: true });
    const child = spawn(process.execPath, [CLI, "start"], {
      env: {
        PATH: process.env.PATH ?? "",
        PORT: "0",
        NIGHTSHIFT_STORE: "memory",
        LOG_FORMAT: "json",
        NIGHTSHIFT_SCHEDULES_DIR: dir,
        ...SECRET_ENV,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const lines: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on("line", (line) => {
          lines.push(line);
          if ((JSON.parse(line) as { msg?: string }).msg === "nightshift started") resolve();
        });
        child.once("exit", (code) => reject(new Error(`exited ${code} before starting: ${stderr}`)));
      });
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    const warning = lines.map((l) => JSON.parse(l)).find((r) => /no schedules found/.test(r.msg));
    expect(warning?.dir).toContain("nightshift-secrets-");
    expect(warning?.dir).toContain("[REDACTED]");
    const output = `${lines.join("\n")}\n${stderr}`;
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
  });
});
