// `nightshift sandbox`: the simulated clouds as a standalone service. Contract: the first stdout
// line is one JSON object describing every cloud (endpoints, regions / project ids, credentials);
// every later line is a human log. SIGTERM or SIGINT stops it cleanly.
import { parseArgs } from "node:util";
import { startSandbox } from "../shared/sandbox/server.node.ts";

export const SANDBOX_USAGE = `Usage: nightshift sandbox [--port P] [--host H] [--speed S | --hour SECONDS] [--seed N] [--rate R]

  --port P    first port: huawei P, autopilot P+1, alibaba P+2, baidu P+3, Autopilot Kubernetes API P+4
              (default 18080; 0 picks free ports)
  --host H    interface to listen on (default 127.0.0.1)
  --speed S   simulated seconds per real second (default 1; 3600 makes an hour pass in a second)
  --hour N    the same, said the other way: one simulated hour lasts N real seconds
  --seed N    seed for the default fleet and the fault dice (default 1)
  --rate R    requests per second per access key before the gateways throttle (default: unlimited)`;

function number(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min)
    throw new UsageError(`--${name} must be a number >= ${min}, got "${value}"`);
  return parsed;
}

export class UsageError extends Error {}

export async function runSandbox(args: string[], out: { stdout: (line: string) => void }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      speed: { type: "string" },
      hour: { type: "string" },
      seed: { type: "string" },
      rate: { type: "string" },
    },
    strict: true,
  });
  const basePort = number("port", values.port, 18080, 0);
  if (basePort > 65531)
    throw new UsageError("--port leaves no room for the five listeners; use 65531 or less");
  if (values.speed !== undefined && values.hour !== undefined)
    throw new UsageError("give --speed or --hour, not both");
  const speed =
    values.hour !== undefined
      ? 3600 / number("hour", values.hour, 3600, 0.001)
      : number("speed", values.speed, 1, 0);
  const running = await startSandbox({
    host: values.host ?? "127.0.0.1",
    basePort,
    speed,
    seed: number("seed", values.seed, 1, 0),
    ...(values.rate !== undefined ? { ratePerSecond: number("rate", values.rate, 0, 0.001) } : {}),
  });
  out.stdout(JSON.stringify(running.description));
  for (const [cloud, info] of Object.entries(running.description)) {
    const accounts = (info.accounts as unknown[]).length;
    out.stdout(`sandbox ${cloud}: ${info.endpoint} (${accounts} accounts; inspection at ${info.inspection})`);
  }
  out.stdout(
    `sandbox clock: ${running.sandbox.clock.now().toISOString()}, speed ${running.sandbox.clock.speed}x; stop with Ctrl-C`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      out.stdout(`sandbox stopping (${signal})`);
      running.stop().then(resolve, resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  out.stdout("sandbox stopped");
  return 0;
}
