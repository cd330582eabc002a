// What the end-to-end tests with real processes share (crash-resume.node.test.ts,
// replicas.node.test.ts, and the chaos scenarios sigkill and redis-restart): starting `nightshift`
// processes and reading their log lines, the sandbox's clouds and its inspection API, and the
// clock shim.
//
// The clock. The service signs requests and decides schedules with its own clock (configured
// accounts: `cloudNow` is the real clock), and the sandbox judges signature age by ITS clock. At
// --speed 1 both agree, but the simulated cloud takes real minutes (node deletion 90 s, hibernate
// 120 s, awake 180 s, node creation 240 s, and the engine polls every 30 s), so one night would
// last over ten real minutes. Instead the sandbox runs at a speed and each service process is
// started with a test-only `--import` shim (`writeClockShim`) that makes its Date follow the
// sandbox clock: same anchor (read from GET /_sandbox/clock), same speed. Timers stay real, so the
// 1 s ticker ticks every `speed` simulated seconds, as the embedded sandbox mode does. Nothing in
// the service is changed.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect } from "vitest";
import type { SandboxAccount } from "../../shared/sandbox/cloud.ts";
import type { SleepMode } from "../../shared/schedule/types.ts";
import { type SandboxClouds, sandboxOf, type TestSandbox } from "../setup/sandbox.ts";

export type { SandboxAccount };

const CLI = fileURLToPath(new URL("../../functions/cli.node.ts", import.meta.url));

export type Json = Record<string, unknown>;

export interface SandboxPool {
  uid: string;
  name: string;
  isDefault: boolean;
  initialNodeCount: number;
  autoscaling: { enable: boolean; minNodeCount: number; maxNodeCount: number };
}
export interface SandboxCluster {
  uid: string;
  name: string;
  projectId: string;
  phase: string;
  pools: SandboxPool[];
  nodes: Array<{ poolId: string; phase: string }>;
}
export interface LoggedRequest {
  seq: number;
  time: string;
  method: string;
  path: string;
  status: number;
}
/** The sandbox's Huawei cloud as its description names it. */
export interface SandboxHuawei {
  endpoint: string;
  inspection: string;
  accounts: SandboxAccount[];
}

/** A child process whose stdout lines are kept and can be waited for. */
export interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  /** Resolves when it ends: the exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(match: (line: string) => boolean, what: string, deadline: number): Promise<string>;
}

const started: ChildProcess[] = [];
const tempDirs: string[] = [];

/** For afterEach: kills what a failed assertion left running (only processes started here) and removes the temp dirs. */
export async function cleanUpProcesses(): Promise<void> {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh temp dir, removed by `cleanUpProcesses`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** `node [nodeOptions] functions/cli.node.ts args`, with only PATH and `env` in its environment. */
export function startProcess(args: string[], env: Record<string, string>, nodeOptions: string[] = []): Proc {
  const child = spawn(process.execPath, [...nodeOptions, CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  const lines: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const check of waiters) check();
  });
  // A failure names what the process said: its last stdout lines and its stderr.
  const output = () => `\nstdout (last 20 lines):\n${lines.slice(-20).join("\n")}\nstderr: ${stderr}`;
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(match, what, deadline) {
      return new Promise((resolve, reject) => {
        const finish = (outcome: () => void) => {
          waiters.delete(check);
          clearTimeout(timer);
          outcome();
        };
        const check = () => {
          const found = lines.find(match);
          if (found !== undefined) finish(() => resolve(found));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`timed out waiting for ${what}${output()}`))),
          Math.max(0, deadline - Date.now()),
        );
        waiters.add(check);
        void exited.then(({ code, signal }) =>
          finish(() => reject(new Error(`the process ended (${signal ?? code}) before ${what}${output()}`))),
        );
        check();
      });
    },
  };
}

export const parseJson = (line: string): Json | undefined => {
  try {
    const value = JSON.parse(line) as unknown;
    return value !== null && typeof value === "object" ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
};

export const logRecords = (proc: Proc): Json[] =>
  proc.lines.flatMap((line) => {
    const record = parseJson(line);
    return record ? [record] : [];
  });

/** Matches a log line whose `msg` is `msg` and whose fields include `fields`. */
export const isRecord =
  (msg: string, fields: Json = {}) =>
  (line: string) => {
    const record = parseJson(line);
    return record?.msg === msg && Object.entries(fields).every(([key, value]) => record[key] === value);
  };

export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Polls `read` every 250 ms until it returns a value, or fails naming `what` at the deadline (a
 * function: a deadline that moves while the poll runs, read at each round).
 */
export async function pollUntil<T>(
  read: () => Promise<T | undefined>,
  what: string,
  deadline: number | (() => number),
  describeLast: () => string,
): Promise<T> {
  const until = typeof deadline === "number" ? () => deadline : deadline;
  while (Date.now() < until()) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${describeLast()}`);
}

/** `nightshift sandbox` at `speed` in its own process: its Huawei cloud, and every cloud (`sb`). */
export async function startSandbox(
  speed: number,
  deadline: number,
): Promise<{ proc: Proc; huawei: SandboxHuawei; sb: TestSandbox }> {
  const proc = startProcess(["sandbox", "--port", "0", "--speed", String(speed)], {});
  const description = parseJson(await proc.waitForLine(() => true, "the sandbox description", deadline));
  const huawei = description?.huawei as SandboxHuawei;
  expect(huawei?.endpoint, "the sandbox description names the Huawei endpoint").toMatch(/^http:\/\//);
  const sb = sandboxOf({ id: "process", ...(description as Omit<SandboxClouds, "id">) }, async () => {
    proc.child.kill("SIGTERM");
    await proc.exited;
  });
  return { proc, huawei, sb };
}

export const clustersOf = async (huawei: SandboxHuawei) =>
  (await getJson<{ state: { clusters: SandboxCluster[] } }>(`${huawei.inspection}/state`)).state.clusters;

export const requestsOf = async (huawei: SandboxHuawei) =>
  (await getJson<{ requests: LoggedRequest[] }>(`${huawei.inspection}/requests`)).requests;

export const customPools = (c: SandboxCluster) => c.pools.filter((p) => !p.isDefault);

/** A custom pool's size and autoscaler as the cloud holds them. */
export const poolShape = (pool: SandboxPool) => ({
  size: pool.initialNodeCount,
  autoscaling: pool.autoscaling.enable
    ? { enable: true, min: pool.autoscaling.minNodeCount, max: pool.autoscaling.maxNodeCount }
    : { enable: false },
});

/** Simulated seconds per real second. A kill has a window of >= 90 simulated s (node deletion) = 4.5 real s. */
export const SPEED = 20;
/** Simulated time from writing the schedule to the sleep: the services must start and tick once before. */
const SLEEP_LEAD_MS = 4 * 60_000;
/** Simulated time from the sleep to the wake: room for the sleep, a crash or kill, and the recovery. */
const NIGHT_MS = 10 * 60_000;
export const TIMEZONE = "Asia/Shanghai";

/** The night both tests run: the sleep on the first whole minute SLEEP_LEAD_MS ahead, the wake NIGHT_MS after it. */
export function nightAhead(clock: SandboxClock): { sleepAt: Date; wakeAt: Date } {
  const sleepAt = new Date(Math.ceil((clock.simNow() + SLEEP_LEAD_MS) / 60_000) * 60_000);
  return { sleepAt, wakeAt: new Date(sleepAt.getTime() + NIGHT_MS) };
}

/** The sandbox clock as this process sees it: simulated time = anchorSim + (real - anchorReal) * speed. */
export interface SandboxClock {
  anchorSim: number;
  anchorReal: number;
  speed: number;
  simNow(): number;
  /** Real epoch ms of a simulated instant. */
  realAt(sim: number): number;
}

export async function readSandboxClock(huawei: SandboxHuawei, speed: number): Promise<SandboxClock> {
  const realBefore = Date.now();
  const clock = await getJson<{ now: string; speed: number }>(`${huawei.inspection}/clock`);
  const anchorReal = (realBefore + Date.now()) / 2;
  const anchorSim = Date.parse(clock.now);
  expect(clock.speed).toBe(speed);
  return {
    anchorSim,
    anchorReal,
    speed,
    simNow: () => anchorSim + (Date.now() - anchorReal) * speed,
    realAt: (sim) => anchorReal + (sim - anchorSim) / speed,
  };
}

// Date in the service process follows the sandbox clock: sim = anchorSim + (real - anchorReal) * speed.
// A Proxy (not a subclass) keeps `instanceof Date` true for dates made anywhere in the process.
const CLOCK_SHIM = `
const [anchorSim, anchorReal, speed] = process.env.E2E_SANDBOX_CLOCK.split(",").map(Number);
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
const simNow = () => Math.floor(anchorSim + (realNow() - anchorReal) * speed);
globalThis.Date = new Proxy(RealDate, {
  construct: (target, args, newTarget) =>
    Reflect.construct(target, args.length === 0 ? [simNow()] : args, newTarget),
  apply: () => new RealDate(simNow()).toString(),
  get: (target, key, receiver) => (key === "now" ? simNow : Reflect.get(target, key, receiver)),
});
`;

/**
 * Writes the clock shim into `dir`: the node options that load it and the environment that sets
 * it to `clock`, for `startProcess`.
 */
export function writeClockShim(
  dir: string,
  clock: SandboxClock,
): { nodeOptions: string[]; env: Record<string, string> } {
  const shim = join(dir, "sandbox-clock.mjs");
  writeFileSync(shim, CLOCK_SHIM);
  return {
    nodeOptions: ["--import", pathToFileURL(shim).href],
    env: { E2E_SANDBOX_CLOCK: `${clock.anchorSim},${clock.anchorReal},${clock.speed}` },
  };
}

/** "HH:MM" of `at` in `timezone`. */
export function localTime(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
}

/**
 * A schedule file `<name>.yaml` in `dir`: no dwell, sleep and wake daily at the given instants, in
 * `mode` (default full), with `releaseNodes` and `namespaces` when given.
 */
export function writeNightSchedule(
  dir: string,
  night: {
    name: string;
    timezone: string;
    accounts: string[];
    clusterIds: string[];
    sleepAt: Date;
    wakeAt: Date;
    mode?: SleepMode;
    releaseNodes?: boolean;
    namespaces?: string[];
  },
): void {
  writeFileSync(
    join(dir, `${night.name}.yaml`),
    [
      `name: ${night.name}`,
      `timezone: ${night.timezone}`,
      `mode: ${night.mode ?? "full"}`,
      ...(night.releaseNodes ? ["releaseNodes: true"] : []),
      ...(night.namespaces?.length ? [`namespaces: [${night.namespaces.join(", ")}]`] : []),
      "minDwellMinutes: 0",
      "targets:",
      `  - accounts: [${night.accounts.join(", ")}]`,
      `    clusterIds: [${night.clusterIds.map((id) => `"${id}"`).join(", ")}]`,
      "sleep:",
      "  - days: daily",
      `    at: "${localTime(night.sleepAt, night.timezone)}"`,
      "wake:",
      "  - days: daily",
      `    at: "${localTime(night.wakeAt, night.timezone)}"`,
      "",
    ].join("\n"),
  );
}

/** PUTs on a custom pool in each half of the night: the autoscaler (when on) and the size. */
const putsPerHalf = (pool: SandboxPool) => (pool.autoscaling.enable ? 2 : 1);

/** PUTs on `pool` among `requests`. */
export const putsOnPool = (requests: LoggedRequest[], pool: SandboxPool) =>
  requests.filter((r) => r.method === "PUT" && r.path.endsWith(`/nodepools/${pool.uid}`)).length;

/**
 * The cloud's record of one cluster's night, from the sandbox's request log: every change
 * succeeded; one hibernate, then one awake; each custom pool PUT once per purpose in each half
 * (sleep: the autoscaler off, size 0; wake: the size back, the autoscaler on); nothing else.
 */
export function expectEveryChangeOnce(cluster: SandboxCluster, requests: LoggedRequest[]): void {
  const mutations = requests.filter((r) => r.method !== "GET" && r.path.includes(`/clusters/${cluster.uid}`));
  for (const request of mutations)
    expect(request.status, `${request.method} ${request.path}`).toBeLessThan(300);
  const hibernates = mutations.filter((r) => r.method === "POST" && r.path.endsWith("/operation/hibernate"));
  const awakes = mutations.filter((r) => r.method === "POST" && r.path.endsWith("/operation/awake"));
  expect(hibernates, `hibernates of ${cluster.name}`).toHaveLength(1);
  expect(awakes, `awakes of ${cluster.name}`).toHaveLength(1);
  const [hibernateSeq, awakeSeq] = [hibernates[0]!.seq, awakes[0]!.seq];
  expect(hibernateSeq).toBeLessThan(awakeSeq);
  const pools = customPools(cluster);
  const other = mutations.filter(
    (r) => r !== hibernates[0] && r !== awakes[0] && !pools.some((p) => putsOnPool([r], p) === 1),
  );
  expect(other, `other changes to ${cluster.name}`).toEqual([]);
  const asleep = mutations.filter((r) => r.seq > hibernateSeq && r.seq < awakeSeq);
  expect(asleep, `changes to ${cluster.name} while it slept`).toEqual([]);
  for (const pool of pools) {
    const sleepPuts = putsOnPool(
      mutations.filter((r) => r.seq < hibernateSeq),
      pool,
    );
    expect(sleepPuts, `sleep PUTs on ${cluster.name}/${pool.name}`).toBe(putsPerHalf(pool));
    const wakePuts = putsOnPool(
      mutations.filter((r) => r.seq > awakeSeq),
      pool,
    );
    expect(wakePuts, `wake PUTs on ${cluster.name}/${pool.name}`).toBe(putsPerHalf(pool));
  }
}

/** The cluster as `now` holds it is where `before` left it: running, each pool at its size, with its autoscaler, its nodes active. */
export function expectRestored(before: SandboxCluster, now: SandboxCluster): void {
  expect(now.phase, `${before.name} phase`).toBe("Available");
  expect(
    customPools(now)
      .map((p) => p.uid)
      .sort(),
  ).toEqual(
    customPools(before)
      .map((p) => p.uid)
      .sort(),
  );
  for (const pool of customPools(now)) {
    const was = before.pools.find((p) => p.uid === pool.uid)!;
    expect(poolShape(pool), `pool ${before.name}/${pool.name}`).toEqual(poolShape(was));
    expect(
      now.nodes.filter((n) => n.poolId === pool.uid).map((n) => n.phase),
      `nodes of ${before.name}/${pool.name}`,
    ).toEqual(Array(pool.initialNodeCount).fill("Active"));
  }
}

/** The ledger entries' kinds (sorted) of a sleep or wake of a cluster with these custom pools: each action once. */
export function ledgerKindsOfNight(kind: "sleep" | "wake", pools: SandboxPool[]): string[] {
  const autoscaled = pools.filter((p) => p.autoscaling.enable);
  return (
    kind === "sleep"
      ? [
          "sleep.scheduled",
          "sleep.snapshot",
          ...autoscaled.map(() => "sleep.autoscaler-off"),
          ...pools.map(() => "sleep.scale-pool"),
          "sleep.hibernate",
          "sleep.succeeded",
        ]
      : [
          "wake.scheduled",
          "wake.awake",
          ...pools.map(() => "wake.restore-pool"),
          ...autoscaled.map(() => "wake.restore-autoscaling"),
          "wake.drop-snapshot",
          "wake.succeeded",
        ]
  ).sort();
}
