// For tests of the `nightshift` command as a user runs it: a real process from the repository root.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";

const REPO = new URL("../../", import.meta.url).pathname;
const CLI = join(REPO, "functions/cli.node.ts");

/** Runs `nightshift <args>` to its end, with PATH and `env` as its whole environment. */
export async function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = (await once(child, "close")) as [number];
  return { code, stdout, stderr, lines: stdout.split("\n").filter((line) => line !== "") };
}
