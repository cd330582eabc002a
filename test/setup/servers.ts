// The real servers and tools the tests and benchmarks run against (redis-server; Prometheus
// Alertmanager; Prometheus and its promtool; kubectl, the Kubernetes client the conformance suite
// drives against the sandbox; Chromium, the browser the dashboard's tests drive), in one place:
// how to tell whether one is installed, how to install it, and how to start a throw-away instance
// on a free loopback port. `npm test` first runs ensure-servers.ts, which installs what is missing
// where it can (root on Debian/Ubuntu, as CI is) and otherwise stops with one message.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RequiredServer {
  /** The executable the tests spawn. */
  command: string;
  /** Other names the same executable has where it is packaged differently (upstream, Homebrew). */
  alternatives?: readonly string[];
  /** What needs it, for the message. */
  neededBy: string;
  /** The package that provides it, per package manager. */
  packages: { apt: string; brew: string; dnf: string };
  /** Arguments that make it print its version and exit 0. Default `--version`. */
  probe?: string[];
}

export const REQUIRED_SERVERS: readonly RequiredServer[] = [
  {
    command: "redis-server",
    neededBy:
      "the Redis store backend's tests (shared/store/redis.node.test.ts), the replicas end-to-end test and the Redis restart chaos scenario (test/chaos/redis-restart.chaos.test.ts)",
    packages: { apt: "redis-server", brew: "redis", dnf: "redis" },
  },
  {
    command: "kubectl",
    neededBy: "the Kubernetes API conformance tests (test/conformance/kubernetes.node.test.ts)",
    packages: { apt: "kubernetes-client", brew: "kubernetes-cli", dnf: "kubernetes-client" },
    probe: ["version", "--client"],
  },
  {
    // Debian names it prometheus-alertmanager; upstream and Homebrew, alertmanager.
    command: "prometheus-alertmanager",
    alternatives: ["alertmanager"],
    neededBy: "the real Alertmanager end-to-end test (test/e2e/alertmanager.node.test.ts)",
    packages: {
      apt: "prometheus-alertmanager",
      brew: "alertmanager",
      dnf: "golang-github-prometheus-alertmanager",
    },
  },
  {
    // Debian's package and command: chromium; Ubuntu's command: chromium-browser; Google's build: google-chrome.
    command: "chromium",
    alternatives: ["chromium-browser", "google-chrome"],
    neededBy: "the dashboard's real-browser tests (test/e2e/dashboard-browser.node.test.ts)",
    packages: { apt: "chromium", brew: "chromium", dnf: "chromium" },
  },
  {
    // The package brings promtool too.
    command: "prometheus",
    neededBy:
      "the metrics tests: promtool checks GET /metrics and the documented scrape configuration (functions/metrics-promtool.node.test.ts), and a real Prometheus scrapes the service (test/e2e/prometheus.node.test.ts)",
    packages: { apt: "prometheus", brew: "prometheus", dnf: "golang-github-prometheus" },
  },
];

/** The name under which `server` is installed here, or undefined. */
export function installedCommand(server: RequiredServer): string | undefined {
  return [server.command, ...(server.alternatives ?? [])].find((command) =>
    isInstalled(command, server.probe),
  );
}

/** Whether `command --version` (or the server's own probe) runs. */
export function isInstalled(command: string, args: string[] = ["--version"]): boolean {
  const probe = spawnSync(command, args, { stdio: "ignore", timeout: 10_000 });
  return probe.error === undefined && probe.status === 0;
}

/** One line per way of installing the servers, for a person to copy. */
export function installInstructions(servers: readonly RequiredServer[]): string {
  const names = (manager: keyof RequiredServer["packages"]) =>
    servers.map((server) => server.packages[manager]).join(" ");
  return [
    `  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y ${names("apt")}`,
    `  Fedora/RHEL:    sudo dnf install -y ${names("dnf")}`,
    `  macOS:          brew install ${names("brew")}`,
    `  elsewhere:      install ${servers.map((server) => server.command).join(", ")} so that it is on PATH` +
      (servers.some((server) => server.alternatives)
        ? ` (${servers.flatMap((server) => (server.alternatives ? [`${server.alternatives.join(" or ")} for ${server.command}`] : [])).join("; ")})`
        : ""),
  ].join("\n");
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A free port below Linux's ephemeral range (32768-60999), for a server that must come back on the
 * same port after a restart: no outgoing connection of another test can take it meanwhile, as one
 * can take a port picked from that range.
 */
export async function freeFixedPort(from = 20_000 + (process.pid % 10_000)): Promise<number> {
  for (let port = from; port < 32_768; port++) if (await canListen(port)) return port;
  throw new Error(`no free port from ${from} to 32767`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface RedisServer {
  url: string;
  port: number;
  /** SIGTERM: Redis shuts down gracefully (its SHUTDOWN: persistence flushed, clients closed). */
  stop(): Promise<void>;
  /** SIGKILL: Redis dies at once, as in a crash or an OOM kill. */
  kill(): Promise<void>;
}

/** A benchmark's note for its Redis section, skipped because redis-server is not installed. */
export function redisSkipped(): string {
  const redis = REQUIRED_SERVERS.filter((server) => server.command === "redis-server");
  return `redis: skipped, redis-server is not installed. To measure it, install it:\n${installInstructions(redis)}`;
}

/**
 * The persistence docs/self-host-node.md asks of a Redis that holds the store: the append-only
 * file, fsynced before every write is acknowledged, and no eviction.
 */
export const REDIS_DURABLE_ARGS = [
  "--appendonly",
  "yes",
  "--appendfsync",
  "always",
  "--maxmemory-policy",
  "noeviction",
] as const;

/**
 * A real redis-server on loopback: on a free port, without persistence, by default; with `dir`, its
 * data in that folder, persisted as REDIS_DURABLE_ARGS say (start it again on the same `port` and
 * `dir` to restart it with its data).
 */
export async function startRedisServer(options: { port?: number; dir?: string } = {}): Promise<RedisServer> {
  if (!isInstalled("redis-server")) {
    const redis = REQUIRED_SERVERS.filter((server) => server.command === "redis-server");
    throw new Error(
      `redis-server is not installed; it is needed by ${redis[0]?.neededBy}. Install it:\n${installInstructions(redis)}`,
    );
  }
  const persistence = options.dir
    ? ["--dir", options.dir, "--save", "", ...REDIS_DURABLE_ARGS]
    : ["--save", "", "--appendonly", "no"];
  let lastFailure = "";
  // The probed port can be taken before redis-server binds it; try a few (a given port: once).
  for (let attempt = 0; attempt < (options.port ? 1 : 3); attempt++) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", ...persistence, "--protected-mode", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) {
      const kill = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGKILL");
        await exited;
      };
      return { url: `redis://127.0.0.1:${port}`, port, stop: () => stopChild(child), kill };
    }
    lastFailure = output;
    await stopChild(child);
  }
  throw new Error(`redis-server did not start:\n${lastFailure}`);
}

export interface AlertmanagerServer {
  /** Its web address, e.g. http://127.0.0.1:41234 (API v2 under /api/v2). */
  url: string;
  /** What it printed, for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus Alertmanager on a free loopback port, with `config` (alertmanager.yml text),
 * its own storage in a temp dir and clustering off (an independent instance: nothing of it listens
 * on the default cluster port 9094). Resolves once `/-/ready` answers.
 */
export async function startAlertmanager(config: string): Promise<AlertmanagerServer> {
  const server = REQUIRED_SERVERS.find((s) => s.command === "prometheus-alertmanager")!;
  const command = installedCommand(server);
  if (!command) {
    throw new Error(
      `Prometheus Alertmanager is not installed; it is needed by ${server.neededBy}. Install it:\n${installInstructions([server])}`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "nightshift-alertmanager-"));
  writeFileSync(join(dir, "alertmanager.yml"), config);
  return startUntilReady("Alertmanager", command, dir, (port, url, attempt) => [
    `--config.file=${join(dir, "alertmanager.yml")}`,
    `--storage.path=${join(dir, `data-${attempt}`)}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    "--cluster.listen-address=",
    "--log.level=debug",
  ]);
}

/**
 * Starts `command` on a free loopback port until its `/-/ready` answers (both Prometheus and
 * Alertmanager have one), up to three ports: another process may take a free port first. Its
 * temp `dir` goes with it on stop, or at once when it never starts.
 */
async function startUntilReady(
  name: string,
  command: string,
  dir: string,
  args: (port: number, url: string, attempt: number) => string[],
): Promise<{ url: string; output(): string; stop(): Promise<void> }> {
  let lastFailure = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(command, args(port, url, attempt), { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 15_000;
    let ready = false;
    while (!ready && Date.now() < deadline && child.exitCode === null) {
      ready = await fetch(`${url}/-/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stop = async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    };
    if (ready) return { url, output: () => output, stop };
    lastFailure = output;
    await stopChild(child);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`${name} did not start:\n${lastFailure}`);
}

export interface PromtoolResult {
  status: number | null;
  /** stdout and stderr together: promtool prints its findings on either. */
  output: string;
}

/** Runs `promtool <args>` (installed with Prometheus), with `input` on its stdin. */
export function promtool(args: string[], input?: string): PromtoolResult {
  const server = REQUIRED_SERVERS.find((s) => s.command === "prometheus")!;
  if (!isInstalled("promtool")) {
    throw new Error(
      `promtool is not installed (it comes with Prometheus); it is needed by ${server.neededBy}. Install it:\n${installInstructions([server])}`,
    );
  }
  const run = spawnSync("promtool", args, { input: input ?? "", encoding: "utf8", timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

export interface PrometheusServer {
  /** Its web address, e.g. http://127.0.0.1:41234 (the query API under /api/v1). */
  url: string;
  /** What it printed, for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on a free loopback port with `config` (prometheus.yml text) and its own TSDB
 * in a temp dir, never the machine's (a packaged Prometheus may run as a service on :9090 with
 * /var/lib/prometheus; this one shares nothing with it). Resolves once `/-/ready` answers.
 * `files` are written beside the configuration (e.g. a credentials file it names).
 */
export async function startPrometheus(
  config: (dir: string) => string,
  files: Record<string, string> = {},
): Promise<PrometheusServer> {
  const server = REQUIRED_SERVERS.find((s) => s.command === "prometheus")!;
  const command = installedCommand(server);
  if (!command) {
    throw new Error(
      `Prometheus is not installed; it is needed by ${server.neededBy}. Install it:\n${installInstructions([server])}`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "nightshift-prometheus-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
  writeFileSync(join(dir, "prometheus.yml"), config(dir));
  return startUntilReady("Prometheus", command, dir, (port, url, attempt) => [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    "--log.level=warn",
  ]);
}
