// The Node host as the dashboard's browser tests and the demo screenshot run it: `nightshift start`
// in its own process with no cloud account (the embedded sandbox clouds), an admin token, and an
// SQLite store in a temp dir the test can read afterwards.
import { join } from "node:path";
import type { Cloud } from "./dashboard-expectations.ts";
import { isRecord, type Proc, parseJson, startProcess } from "./processes.ts";

export interface DashboardHost {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Each sandbox cloud's endpoint (its inspection API is under /_sandbox). */
  sandbox: Record<Cloud, string>;
  /** The SQLite file the service keeps its store in. */
  storePath: string;
  proc: Proc;
}

/**
 * Starts `nightshift start` on a free port and resolves once it has announced its URL.
 * `speed`: the sandbox clock's simulated seconds per real second (0: frozen, the fleet holds still).
 */
export async function startDashboardHost(options: {
  token: string;
  dir: string;
  speed?: number;
  deadline: number;
  env?: Record<string, string>;
}): Promise<DashboardHost> {
  const storePath = join(options.dir, "state.db");
  const proc = startProcess(["start"], {
    PORT: "0",
    NIGHTSHIFT_ADMIN_TOKEN: options.token,
    NIGHTSHIFT_STORE: `sqlite:${storePath}`,
    ...(options.speed !== undefined ? { NIGHTSHIFT_SANDBOX_SPEED: String(options.speed) } : {}),
    ...options.env,
  });
  const sandboxLine = await proc.waitForLine(
    (line) => parseJson(line)?.sandbox !== undefined,
    "the embedded sandbox's announcement",
    options.deadline,
  );
  const started = await proc.waitForLine(
    isRecord("nightshift started"),
    "nightshift started",
    options.deadline,
  );
  return {
    url: parseJson(started)!.url as string,
    sandbox: parseJson(sandboxLine)!.sandbox as Record<Cloud, string>,
    storePath,
    proc,
  };
}
