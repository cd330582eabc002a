// For tests of the `nightshift` command as a user runs it: a real process from the repository root
// (`runCli`), or the same command in this process (`runCliInProcess`: the same dispatch, verbs and
// exit codes, with `env` as the whole environment, minus a Node start-up per call).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { nightshift } from "../../functions/cli-main.node.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const CLI = join(REPO, "functions/cli.node.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout's non-empty lines. */
  lines: string[];
}

const result = (code: number, stdout: string, stderr: string): CliResult => ({
  code,
  stdout,
  stderr,
  lines: stdout.split("\n").filter((line) => line !== ""),
});

/** Runs `nightshift <args>` to its end, with PATH and `env` as its whole environment. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
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
  return result(code, stdout, stderr);
}

/**
 * `runCli` in this process: `env` (with PATH) is the verb's whole environment, `stdin` what it
 * reads. Relative paths resolve from the working directory, the repository root under vitest.
 */
export async function runCliInProcess(
  args: string[],
  env: Record<string, string>,
  stdin = "",
): Promise<CliResult> {
  if (process.cwd() !== REPO.replace(/\/$/, "")) throw new Error(`run the tests from ${REPO}`);
  let stdout = "";
  let stderr = "";
  const code = await nightshift(args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdout: (line) => (stdout += `${line}\n`),
    stderr: (line) => (stderr += `${line}\n`),
    stdin: async () => stdin,
  });
  return result(code, stdout, stderr);
}
