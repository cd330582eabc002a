// What the one-shot CLI verbs (`plan`, `tick`, `match`, `renew`) share: the configuration read from
// the environment and the Node runtime opened on it, each failure printed the way an operator can
// act on it (the variable and its problem, the schedule file's errors) and answered with exit code 1.
import { type Config, ConfigError, loadConfig } from "../shared/config/config.ts";
import type { Logger } from "../shared/log/logger.ts";
import { ScheduleDirectoryError } from "../shared/schedule/load.node.ts";
import {
  createNodeRuntime,
  type NodeRuntime,
  type NodeRuntimeOptions,
  ScheduleLoadError,
} from "./runtime.node.ts";

/** Where a verb writes: stdout for its answer, stderr for what went wrong (log lines too). */
export interface Out {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** The environment the configuration is read from; the process's when not given. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The configuration, or undefined once its issues are printed (exit 1). */
export function loadCliConfig(out: Out): Config | undefined {
  try {
    return loadConfig(out.env ?? process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) out.stderr(`${issue.variable}: ${issue.message}`);
    return undefined;
  }
}

/**
 * The runtime with the built-in sandbox (when used) holding still, or undefined once the reason it
 * cannot open is printed (exit 1).
 */
export async function openCliRuntime(
  config: Config,
  log: Logger,
  out: Out,
  options: NodeRuntimeOptions = {},
): Promise<NodeRuntime | undefined> {
  try {
    return await createNodeRuntime({ ...config, sandboxSpeed: 0 }, log, {
      ...(out.env ? { env: { ...out.env } } : {}),
      ...options,
    });
  } catch (error) {
    if (error instanceof ScheduleLoadError) {
      for (const line of error.lines) out.stdout(line);
      return undefined;
    }
    if (error instanceof ScheduleDirectoryError) {
      out.stderr(`NIGHTSHIFT_SCHEDULES_DIR: ${error.message}`);
      return undefined;
    }
    throw error;
  }
}
