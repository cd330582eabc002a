// `nightshift <verb>`: the command line on Node. Thin: parse arguments, call the verb, map the
// outcome to an exit status (0 ok, 1 failure, 2 bad input or usage). The process entry point is
// cli.node.ts; the verbs read and write only through `CliIo`, so the tests can run a verb in
// process (test/setup/cli.node.ts) exactly as the command runs it.
import packageJson from "../package.json" with { type: "json" };
import type { Out } from "./cli-runtime.node.ts";

// Each verb loads only what it needs, so `nightshift sign` does not pay for the server.
const VERSION = packageJson.version;

const USAGE = `nightshift ${VERSION}: sleep/wake, node-pool resize and certificate renewal for managed Kubernetes

Usage: nightshift <command>

Commands:
  start      run the service on Node: HTTP on HOST:PORT (default 127.0.0.1:8787) and the scheduler tick
  sandbox    run the simulated clouds (Huawei CCE, CCE Autopilot, Alibaba ACK, Baidu CCE); the first
             line printed is JSON naming their endpoints and credentials (--help for options)
  validate   check the schedule files (default dir: schedules); exit 1 with file:line: field: message lines
  plan       the upcoming transitions per target, in local time and UTC (--from T --to T)
  tick       run one tick now, or as if at --at T; --dry-run decides without acting
  renew      renew a target's kubeconfig now: nightshift renew <account/clusterId> (forced, against
             NIGHTSHIFT_STORE, run to its end here; prints the outcome as JSON)
  match      read a sample event payload on stdin; print what each resize rule would do and why
  bundle-schedules  compile the schedules into the Worker (wrangler deploy runs it)
  sign       sign cloud API requests read as JSON (or JSON Lines) on stdin; print headers,
             canonical request and string to sign, one JSON line per request
  version    print the version
  help       print this help

Configuration comes from environment variables; see README.md.`;

const MINIMUM_NODE = [22, 18];
/** How often `start` under npm checks that npm's shell, its parent, is still there. */
const PARENT_CHECK_MS = 500;

/** What a verb reads and writes: the environment, stdin, and lines to stdout and stderr. */
export interface CliIo extends Required<Out> {
  stdin: () => Promise<string>;
}

/** The process's own environment and standard streams. */
export function processIo(): CliIo {
  return {
    env: process.env,
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

/** Runs `nightshift <argv>` to its exit status; an unexpected failure is one line, never a stack. */
export async function nightshift(argv: string[], io: CliIo): Promise<number> {
  try {
    return await main(argv, io);
  } catch (error) {
    // Last resort: a message, never a stack trace (which could carry request data).
    io.stderr(`nightshift: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function main(argv: string[], io: CliIo): Promise<number> {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major < MINIMUM_NODE[0]! || (major === MINIMUM_NODE[0] && minor < MINIMUM_NODE[1]!)) {
    io.stderr(
      `nightshift needs Node.js >= ${MINIMUM_NODE.join(".")} (this is ${process.version}); run it through npm ` +
        "(npm start, npx nightshift), which uses the Node 22 the project installs, or upgrade Node.",
    );
    return 1;
  }
  const [verb] = argv;
  switch (verb) {
    case "start":
      return start(argv.slice(1), io);
    case "sign":
      return sign(argv.slice(1), io);
    case "sandbox":
      return sandbox(argv.slice(1), io);
    case "validate": {
      const { runValidate } = await import("./validate.node.ts");
      return runValidate(argv.slice(1), io);
    }
    case "plan":
    case "tick": {
      const { runPlanOrTick } = await import("./plan-tick.node.ts");
      return runPlanOrTick(verb, argv.slice(1), io);
    }
    case "renew": {
      const { runRenew } = await import("./renew.node.ts");
      return runRenew(argv.slice(1), io);
    }
    case "match": {
      const { runMatch } = await import("./match.node.ts");
      const help = argv.includes("--help") || argv.includes("-h");
      return runMatch(argv.slice(1), help ? "" : await io.stdin(), io);
    }
    case "bundle-schedules": {
      const { runBundleSchedules } = await import("./bundle-schedules.node.ts");
      return runBundleSchedules(argv.slice(1), io);
    }
    case "version":
    case "--version":
      io.stdout(VERSION);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.stdout(USAGE);
      return verb === undefined ? 2 : 0;
    default:
      io.stderr(`nightshift: unknown command "${verb}"\n\n${USAGE}`);
      return 2;
  }
}

export const START_USAGE = `Usage: nightshift start

Runs the service: HTTP on HOST:PORT (default 127.0.0.1:8787) and the scheduler tick, until SIGINT
or SIGTERM. Takes no options: it is configured by environment variables (PORT, HOST,
NIGHTSHIFT_STORE, NIGHTSHIFT_ADMIN_TOKEN, NIGHTSHIFT_ACCOUNT_<NAME>_*, ...; see README.md,
"Configuration"). With no cloud account configured it runs against the built-in sandbox clouds.`;

async function start(args: readonly string[], io: CliIo): Promise<number> {
  // Read first: the parent may go while the service starts, and must still be noticed then.
  const parent = process.ppid;
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(START_USAGE);
    return 0;
  }
  // An option would be silently ignored (e.g. --port 9000 instead of PORT=9000): refuse it.
  if (args.length > 0) {
    const arg = args[0]!;
    const what = arg.startsWith("-") ? `unknown option ${arg}` : `unexpected argument ${JSON.stringify(arg)}`;
    io.stderr(`nightshift start: ${what}\n\n${START_USAGE}`);
    return 2;
  }
  const { ConfigError, loadConfig } = await import("../shared/config/config.ts");
  const { configuredLogger } = await import("./compose.ts");
  const { startServer } = await import("./server.node.ts");
  const invalid = (error: unknown) => {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr("nightshift: cannot start, the configuration is invalid:");
    for (const issue of error.issues) io.stderr(`  ${issue.variable}: ${issue.message}`);
    return 1;
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    return invalid(error);
  }
  // The admin API needs a token; when none is configured, make one for this run and say so once,
  // on stderr and outside the (redacting) log.
  let adminToken = config.adminToken;
  if (!adminToken) {
    adminToken = Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
    io.stderr(
      `nightshift: NIGHTSHIFT_ADMIN_TOKEN is not set; this run's admin token is ${adminToken}\n` +
        `  e.g. curl -H "Authorization: Bearer ${adminToken}" http://${config.host}:${config.port}/api/targets`,
    );
  }
  // A person at a terminal reads short lines; a collector (not a terminal) gets JSON.
  const format = config.logFormat ?? (process.stdout.isTTY ? "text" : "json");
  const configured = { ...config, adminToken };
  const log = configuredLogger(configured, {
    write: io.stdout,
    format,
    ...(format === "json" ? { fields: { host: "node" } } : {}),
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(configured, log);
  } catch (error) {
    return invalid(error);
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info("shutting down", { signal });
      server.stop().then(resolve, resolve);
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
    // Under npm (`npm start`, `npx nightshift start`) a shell stands between npm and this process
    // and does not pass npm's SIGTERM on: when that parent goes, stop as if signalled rather
    // than live on orphaned, holding the port. Only under npm: a service started with `&` or
    // nohup outlives its shell on purpose.
    if (io.env.npm_lifecycle_event !== undefined) {
      const watch = setInterval(() => {
        if (process.ppid === parent) return;
        clearInterval(watch);
        shutdown("parent exited");
      }, PARENT_CHECK_MS);
      watch.unref();
    }
  });
  return 0;
}

async function sandbox(args: string[], io: CliIo): Promise<number> {
  const { runSandbox, SANDBOX_USAGE, UsageError } = await import("./sandbox.node.ts");
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(SANDBOX_USAGE);
    return 0;
  }
  try {
    return await runSandbox(args, io);
  } catch (error) {
    // parseArgs reports unknown options with a TypeError carrying ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: string }).code ?? "";
    if (error instanceof UsageError || code.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`nightshift sandbox: ${(error as Error).message}\n\n${SANDBOX_USAGE}`);
      return 2;
    }
    throw error;
  }
}

const SIGN_USAGE = `Usage: nightshift sign < requests.jsonl

Reads cloud API requests as JSON (or JSON Lines) on stdin and prints, per request, one JSON line
with the signed headers, the canonical request and the string to sign. Takes no options.`;

async function sign(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(SIGN_USAGE);
    return 0;
  }
  // An option it does not take is a typo (or a flag meant for another verb): refuse, do not ignore it.
  if (args.length > 0) {
    const arg = args[0]!;
    const what = arg.startsWith("-") ? `unknown option ${arg}` : `unexpected argument ${JSON.stringify(arg)}`;
    io.stderr(`nightshift sign: ${what}\n\n${SIGN_USAGE}`);
    return 2;
  }
  const { signLines } = await import("./sign.ts");
  const result = await signLines(await io.stdin(), {
    now: () => new Date(),
    nonce: () => crypto.randomUUID(),
    write: io.stdout,
  });
  for (const message of result.errors) io.stderr(`nightshift sign: ${message}`);
  return result.errors.length > 0 ? 2 : 0;
}
