// The real servers the tests and benchmarks run against (today: redis-server), in one place:
// how to tell whether one is installed, how to install it, and how to start a throw-away instance
// on a free loopback port. `npm test` first runs ensure-servers.ts, which installs what is missing
// where it can (root on Debian/Ubuntu, as CI is) and otherwise stops with one message.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

export interface RequiredServer {
  /** The executable the tests spawn. */
  command: string;
  /** What needs it, for the message. */
  neededBy: string;
  /** The package that provides it, per package manager. */
  packages: { apt: string; brew: string; dnf: string };
}

export const REQUIRED_SERVERS: readonly RequiredServer[] = [
  {
    command: "redis-server",
    neededBy: "the Redis store backend's tests (shared/store/redis.node.test.ts)",
    packages: { apt: "redis-server", brew: "redis", dnf: "redis" },
  },
];

/** Whether `command --version` runs. */
export function isInstalled(command: string): boolean {
  const probe = spawnSync(command, ["--version"], { stdio: "ignore", timeout: 10_000 });
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
    `  elsewhere:      install ${servers.map((server) => server.command).join(", ")} so that it is on PATH`,
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
  stop(): Promise<void>;
}

/** A benchmark's note for its Redis section, skipped because redis-server is not installed. */
export function redisSkipped(): string {
  const redis = REQUIRED_SERVERS.filter((server) => server.command === "redis-server");
  return `redis: skipped, redis-server is not installed. To measure it, install it:\n${installInstructions(redis)}`;
}

/** A real redis-server on a free loopback port, without persistence. */
export async function startRedisServer(): Promise<RedisServer> {
  if (!isInstalled("redis-server")) {
    const redis = REQUIRED_SERVERS.filter((server) => server.command === "redis-server");
    throw new Error(
      `redis-server is not installed; it is needed by ${redis[0]?.neededBy}. Install it:\n${installInstructions(redis)}`,
    );
  }
  let lastFailure = "";
  // The probed port can be taken before redis-server binds it; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
      ],
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
    if (ready) return { url: `redis://127.0.0.1:${port}`, stop: () => stopChild(child) };
    lastFailure = output;
    await stopChild(child);
  }
  throw new Error(`redis-server did not start:\n${lastFailure}`);
}
