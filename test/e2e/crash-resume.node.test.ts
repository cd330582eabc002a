// Crash and resume, with real processes: `nightshift sandbox` runs the clouds in a process of its
// own (they outlive the service), `nightshift start` puts one Huawei CCE cluster to sleep (full
// mode: pools to 0, then hibernate) and is SIGKILLed right after the pools were scaled down and
// before the hibernate. A second `nightshift start` on the same SQLite file finishes the night;
// the cloud's request log, its final state, the operations API and the ledger must show every
// step exactly once.
//
// The clock. The service signs requests and decides schedules with its own clock (configured
// accounts: `cloudNow` is the real clock), and the sandbox judges signature age by ITS clock. At
// --speed 1 both agree, but the simulated cloud takes real minutes (node deletion 90 s, hibernate
// 120 s, awake 180 s, node creation 240 s, and the engine polls every 30 s), so one night would
// last over ten real minutes. Instead the sandbox runs at SPEED and the service process is started
// with a test-only `--import` shim that makes its Date follow the sandbox clock: same anchor (read
// from GET /_sandbox/clock), same speed. Timers stay real, so the 1 s ticker ticks every SPEED
// simulated seconds, as the embedded sandbox mode does. Nothing in the service is changed.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../shared/store/open.node.ts";

const CLI = fileURLToPath(new URL("../../functions/cli.node.ts", import.meta.url));
/** Simulated seconds per real second. The kill has a window of >= 90 simulated s (node deletion) = 4.5 real s. */
const SPEED = 20;
/** Simulated time from writing the schedule to the sleep: the service must start and tick once before. */
const SLEEP_LEAD_MS = 4 * 60_000;
/** Simulated time from the sleep to the wake: room for the sleep, the crash and the restart. */
const NIGHT_MS = 10 * 60_000;
/** Real time the whole scenario may take; the test's own timeout is a little longer. */
const BUDGET_MS = 160_000;
const TOKEN = "crash-resume-admin-token-0123456789abcdef";
const TIMEZONE = "Asia/Shanghai";

// Date in the service process follows the sandbox clock: sim = anchorSim + (real - anchorReal) * speed.
// A Proxy (not a subclass) keeps `instanceof Date` true for dates made anywhere in the process.
const CLOCK_SHIM = `
const [anchorSim, anchorReal, speed] = process.env.CRASH_RESUME_CLOCK.split(",").map(Number);
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

type Json = Record<string, unknown>;

interface SandboxPool {
  uid: string;
  name: string;
  isDefault: boolean;
  initialNodeCount: number;
  autoscaling: { enable: boolean; minNodeCount: number; maxNodeCount: number };
}
interface SandboxCluster {
  uid: string;
  name: string;
  projectId: string;
  phase: string;
  pools: SandboxPool[];
  nodes: Array<{ poolId: string; phase: string }>;
}
interface SandboxAccount {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  projectId?: string;
}
interface LoggedRequest {
  seq: number;
  time: string;
  method: string;
  path: string;
  status: number;
}
interface ApiOperation {
  id: string;
  kind: string;
  status: string;
  step: string;
  attempts: number;
  error?: unknown;
  data: { slot?: string; progress?: { taken?: string[]; conflicts?: unknown[] } };
}

/** A child process whose stdout lines are kept and can be waited for. */
interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  /** Resolves when it ends: the exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(match: (line: string) => boolean, what: string, deadline: number): Promise<string>;
}

const started: ChildProcess[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  // Whatever a failed assertion left running: only the processes this file started.
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startProcess(args: string[], env: Record<string, string>, nodeOptions: string[] = []): Proc {
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
          () => finish(() => reject(new Error(`timed out waiting for ${what}\nstderr: ${stderr}`))),
          Math.max(0, deadline - Date.now()),
        );
        waiters.add(check);
        void exited.then(({ code, signal }) =>
          finish(() =>
            reject(new Error(`the process ended (${signal ?? code}) before ${what}\nstderr: ${stderr}`)),
          ),
        );
        check();
      });
    },
  };
}

const parseJson = (line: string): Json | undefined => {
  try {
    const value = JSON.parse(line) as unknown;
    return value !== null && typeof value === "object" ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
};
const logRecords = (proc: Proc): Json[] =>
  proc.lines.flatMap((line) => {
    const record = parseJson(line);
    return record ? [record] : [];
  });

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Polls `read` every 250 ms until it returns a value, or fails naming `what` at the deadline. */
async function pollUntil<T>(
  read: () => Promise<T | undefined>,
  what: string,
  deadline: number,
  describeLast: () => string,
): Promise<T> {
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${describeLast()}`);
}

/** "HH:MM" of `at` in the schedule's time zone. */
function localTime(at: Date): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: TIMEZONE,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
}

/** A custom pool's size and autoscaler as the cloud holds them. */
const poolShape = (pool: SandboxPool) => ({
  size: pool.initialNodeCount,
  autoscaling: pool.autoscaling.enable
    ? { enable: true, min: pool.autoscaling.minNodeCount, max: pool.autoscaling.maxNodeCount }
    : { enable: false },
});

describe("crash and resume (real processes)", () => {
  it("a service killed between scale-down and hibernate finishes the night after restart, every step once", {
    timeout: BUDGET_MS + 15_000,
  }, async () => {
    const deadline = Date.now() + BUDGET_MS;
    const dir = mkdtempSync(join(tmpdir(), "nightshift-crash-resume-"));
    tempDirs.push(dir);

    // 1. The clouds, in their own process.
    const sandbox = startProcess(["sandbox", "--port", "0", "--speed", String(SPEED)], {});
    const description = parseJson(await sandbox.waitForLine(() => true, "the sandbox description", deadline));
    const huawei = description?.huawei as {
      endpoint: string;
      inspection: string;
      accounts: SandboxAccount[];
    };
    expect(huawei?.endpoint, "the sandbox description names the Huawei endpoint").toMatch(/^http:\/\//);

    // A cluster that is running, with at least two custom pools holding nodes, one of them autoscaled
    // (so the sleep also turns an autoscaler off and the wake back on).
    const { state } = await getJson<{ state: { clusters: SandboxCluster[] } }>(`${huawei.inspection}/state`);
    const customPools = (c: SandboxCluster) => c.pools.filter((p) => !p.isDefault);
    const cluster = state.clusters.find(
      (c) =>
        c.phase === "Available" &&
        customPools(c).length >= 2 &&
        customPools(c).every((p) => p.initialNodeCount > 0) &&
        customPools(c).some((p) => p.autoscaling.enable),
    );
    if (!cluster) throw new Error("the default Huawei fleet has no running cluster with two custom pools");
    const account = huawei.accounts.find((a) => a.projectId === cluster.projectId);
    if (!account) throw new Error(`no sandbox account owns project ${cluster.projectId}`);
    const pools = customPools(cluster);
    const before = new Map(pools.map((p) => [p.uid, poolShape(p)]));
    const accountId = "e2e-hw";
    const targetId = `${accountId}/${cluster.uid}`;

    // 2. The schedule: sleep a few simulated minutes from now, wake NIGHT_MS later.
    const clockRealBefore = Date.now();
    const clock = await getJson<{ now: string; speed: number }>(`${huawei.inspection}/clock`);
    const anchorReal = (clockRealBefore + Date.now()) / 2;
    const anchorSim = Date.parse(clock.now);
    expect(clock.speed).toBe(SPEED);
    const simNow = () => anchorSim + (Date.now() - anchorReal) * SPEED;
    const realAt = (sim: number) => anchorReal + (sim - anchorSim) / SPEED;
    const sleepAt = new Date(Math.ceil((simNow() + SLEEP_LEAD_MS) / 60_000) * 60_000);
    const wakeAt = new Date(sleepAt.getTime() + NIGHT_MS);
    const schedules = join(dir, "schedules");
    mkdirSync(schedules);
    writeFileSync(
      join(schedules, "crash-resume.yaml"),
      [
        "name: crash-resume",
        `timezone: ${TIMEZONE}`,
        "mode: full",
        "minDwellMinutes: 0",
        "targets:",
        `  - accounts: [${accountId}]`,
        `    clusterIds: ["${cluster.uid}"]`,
        "sleep:",
        "  - days: daily",
        `    at: "${localTime(sleepAt)}"`,
        "wake:",
        "  - days: daily",
        `    at: "${localTime(wakeAt)}"`,
        "",
      ].join("\n"),
    );
    const shim = join(dir, "sandbox-clock.mjs");
    writeFileSync(shim, CLOCK_SHIM);

    // 3. The service, configured with the account and pointed at the sandbox.
    const dbFile = join(dir, "state.db");
    const env = {
      NIGHTSHIFT_ACCOUNT_E2E_HW_VENDOR: "huawei",
      NIGHTSHIFT_ACCOUNT_E2E_HW_ACCESS_KEY_ID: account.accessKeyId,
      NIGHTSHIFT_ACCOUNT_E2E_HW_SECRET_ACCESS_KEY: account.secretAccessKey,
      NIGHTSHIFT_ACCOUNT_E2E_HW_REGION: account.region,
      NIGHTSHIFT_ACCOUNT_E2E_HW_PROJECT_ID: cluster.projectId,
      NIGHTSHIFT_ACCOUNT_E2E_HW_ENDPOINT: huawei.endpoint,
      NIGHTSHIFT_STORE: `sqlite:${dbFile}`,
      NIGHTSHIFT_SCHEDULES_DIR: schedules,
      NIGHTSHIFT_TICK_SECONDS: "1",
      NIGHTSHIFT_ADMIN_TOKEN: TOKEN,
      PORT: "0",
      CRASH_RESUME_CLOCK: `${anchorSim},${anchorReal},${SPEED}`,
    };
    const importShim = ["--import", pathToFileURL(shim).href];
    const isRecord =
      (msg: string, fields: Json = {}) =>
      (line: string) => {
        const record = parseJson(line);
        return record?.msg === msg && Object.entries(fields).every(([key, value]) => record[key] === value);
      };

    const first = startProcess(["start"], env, importShim);
    await first.waitForLine(isRecord("nightshift started"), "the first service to start", deadline);
    const firstTick = parseJson(
      await first.waitForLine(isRecord("tick"), "the first service's first tick", deadline),
    );
    // The engine only records a baseline on first sight: that tick must come before the sleep.
    expect(firstTick?.errors, "errors in the first tick (inventory)").toBe(0);
    expect(
      Date.parse(String(firstTick?.at)),
      "the first tick must come before the planned sleep (raise SLEEP_LEAD_MS if the service starts slowly)",
    ).toBeLessThan(sleepAt.getTime());

    // 4. Kill it as soon as the last pool was scaled down (the operation moved on to await-pools).
    await first.waitForLine(
      isRecord("sleep/wake step", { ran: "scale-pools-down", step: "await-pools" }),
      `the pools to be scaled down (sleep planned at ${sleepAt.toISOString()}, real ${new Date(realAt(sleepAt.getTime())).toISOString()})`,
      deadline,
    );
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const clusterPath = `/clusters/${cluster.uid}`;
    const requestsOfCluster = async () =>
      (await getJson<{ requests: LoggedRequest[] }>(`${huawei.inspection}/requests`)).requests.filter((r) =>
        r.path.includes(clusterPath),
      );
    const isMutation = (r: LoggedRequest) => r.method !== "GET";
    const atKill = (await requestsOfCluster()).filter(isMutation);
    expect(
      atKill.filter((r) => r.path.endsWith("/operation/hibernate")),
      "the kill came after the hibernate: the machine was too slow for the window; lower SPEED",
    ).toEqual([]);
    // PUTs per pool in each half of the night. Sleep: the autoscaler off (when on), then size 0.
    // Wake: the size back, then the autoscaler on (when it was).
    const putsPerHalf = new Map(pools.map((p) => [p.uid, p.autoscaling.enable ? 2 : 1]));
    const putsOf = (requests: LoggedRequest[], poolId: string) =>
      requests.filter((r) => r.method === "PUT" && r.path.endsWith(`/nodepools/${poolId}`)).length;
    for (const pool of pools) {
      expect(putsOf(atKill, pool.uid), `PUTs on pool ${pool.name} before the kill`).toBe(
        putsPerHalf.get(pool.uid),
      );
    }

    // 5. Restart on the same SQLite file and let the night finish.
    const second = startProcess(["start"], env, importShim);
    const url = parseJson(
      await second.waitForLine(isRecord("nightshift started"), "the second service to start", deadline),
    )?.url as string;
    let lastSeen: ApiOperation[] = [];
    const operations = await pollUntil(
      async () => {
        const { operations } = await getJson<{ operations: ApiOperation[] }>(
          `${url}/api/operations?target=${encodeURIComponent(targetId)}`,
          { Authorization: `Bearer ${TOKEN}` },
        );
        lastSeen = operations;
        const finished = operations.filter((op) => ["succeeded", "failed", "cancelled"].includes(op.status));
        return operations.some((op) => op.kind === "wake") && finished.length === operations.length
          ? operations
          : undefined;
      },
      `the night to finish (wake planned at ${wakeAt.toISOString()}, real ${new Date(realAt(wakeAt.getTime())).toISOString()})`,
      deadline,
      () => JSON.stringify(lastSeen.map((op) => [op.kind, op.status, op.step, op.error])),
    );
    const secondRecords = logRecords(second);
    second.child.kill("SIGTERM");
    expect(await second.exited, `the second service stops cleanly\n${second.stderr()}`).toEqual({
      code: 0,
      signal: null,
    });

    // The operations API: exactly one sleep and one wake, both succeeded, no conflicts, no retries.
    expect(operations.map((op) => [op.kind, op.status]).sort()).toEqual([
      ["sleep", "succeeded"],
      ["wake", "succeeded"],
    ]);
    const sleep = operations.find((op) => op.kind === "sleep")!;
    const wake = operations.find((op) => op.kind === "wake")!;
    for (const op of [sleep, wake]) {
      expect(op.attempts, `${op.kind} had no failed step`).toBe(0);
      expect(op.data.progress?.conflicts ?? []).toEqual([]);
    }
    const sleepTaken = sleep.data.progress?.taken ?? [];
    const wakeTaken = wake.data.progress?.taken ?? [];
    expect(sleepTaken).toEqual(
      expect.arrayContaining([
        ...pools.map((p) => `scale-pool ${p.name} ${p.initialNodeCount}→0`),
        ...pools.filter((p) => p.autoscaling.enable).map((p) => `autoscaler-off ${p.name}`),
        "hibernate",
      ]),
    );
    expect(sleepTaken).toHaveLength(pools.length + countOn(pools) + 1);
    expect(wakeTaken).toEqual(
      expect.arrayContaining([
        "awake",
        ...pools.map((p) => `restore-pool ${p.name} 0→${p.initialNodeCount}`),
        ...pools
          .filter((p) => p.autoscaling.enable)
          .map((p) => `autoscaler-on ${p.name} ${p.autoscaling.minNodeCount}-${p.autoscaling.maxNodeCount}`),
      ]),
    );
    expect(wakeTaken).toHaveLength(1 + pools.length + countOn(pools));
    // The restarted process carried the interrupted sleep on (it hibernated), then ran the wake.
    expect(
      secondRecords.some(
        (r) => r.msg === "sleep/wake step" && r.operation === sleep.id && r.ran === "hibernate",
      ),
    ).toBe(true);

    // The cloud's own record: one hibernate, one awake, each pool PUT once per purpose, in order.
    const mutations = (await requestsOfCluster()).filter(isMutation);
    for (const request of mutations)
      expect(request.status, `${request.method} ${request.path}`).toBeLessThan(300);
    const hibernates = mutations.filter(
      (r) => r.method === "POST" && r.path.endsWith("/operation/hibernate"),
    );
    const awakes = mutations.filter((r) => r.method === "POST" && r.path.endsWith("/operation/awake"));
    expect(hibernates).toHaveLength(1);
    expect(awakes).toHaveLength(1);
    const hibernateSeq = hibernates[0]!.seq;
    const awakeSeq = awakes[0]!.seq;
    expect(hibernateSeq).toBeLessThan(awakeSeq);
    const beforeHibernate = mutations.filter((r) => r.seq < hibernateSeq);
    const whileAsleep = mutations.filter((r) => r.seq > hibernateSeq && r.seq < awakeSeq);
    const afterAwake = mutations.filter((r) => r.seq > awakeSeq);
    expect(whileAsleep, "nothing changed while the cluster slept").toEqual([]);
    for (const pool of pools) {
      expect(putsOf(beforeHibernate, pool.uid), `sleep PUTs on pool ${pool.name}`).toBe(
        putsPerHalf.get(pool.uid),
      );
      expect(putsOf(afterAwake, pool.uid), `wake PUTs on pool ${pool.name}`).toBe(putsPerHalf.get(pool.uid));
    }
    const expected = (r: LoggedRequest) =>
      r === hibernates[0] ||
      r === awakes[0] ||
      (r.method === "PUT" && pools.some((p) => r.path.endsWith(`/nodepools/${p.uid}`)));
    const other = mutations.filter((r) => !expected(r));
    expect(other, "no other change was made to the cluster").toEqual([]);

    // The cluster ends where it started: running, every pool at its size, with its autoscaler.
    const after = await getJson<{ state: { clusters: SandboxCluster[] } }>(`${huawei.inspection}/state`);
    const now = after.state.clusters.find((c) => c.uid === cluster.uid)!;
    expect(now.phase).toBe("Available");
    for (const pool of customPools(now)) {
      expect(poolShape(pool), `pool ${pool.name}`).toEqual(before.get(pool.uid));
      const nodes = now.nodes.filter((n) => n.poolId === pool.uid);
      expect(
        nodes.map((n) => n.phase),
        `nodes of pool ${pool.name}`,
      ).toEqual(Array(pool.initialNodeCount).fill("Active"));
    }
    expect(
      customPools(now)
        .map((p) => p.uid)
        .sort(),
    ).toEqual([...before.keys()].sort());

    // The ledger: each action recorded once, the two operations ending in success.
    const store = await openStore({ kind: "sqlite", path: dbFile });
    try {
      const kindsOf = async (operationId: string) =>
        (await store.ledger.query({ operationId, limit: 1000 })).map((e) => e.kind).sort();
      expect(await kindsOf(sleep.id)).toEqual(
        [
          "sleep.scheduled",
          "sleep.snapshot",
          ...pools.filter((p) => p.autoscaling.enable).map(() => "sleep.autoscaler-off"),
          ...pools.map(() => "sleep.scale-pool"),
          "sleep.hibernate",
          "sleep.succeeded",
        ].sort(),
      );
      expect(await kindsOf(wake.id)).toEqual(
        [
          "wake.scheduled",
          "wake.awake",
          ...pools.map(() => "wake.restore-pool"),
          ...pools.filter((p) => p.autoscaling.enable).map(() => "wake.restore-autoscaling"),
          "wake.drop-snapshot",
          "wake.succeeded",
        ].sort(),
      );
    } finally {
      await store.close();
    }

    sandbox.child.kill("SIGTERM");
    expect(await sandbox.exited).toEqual({ code: 0, signal: null });
  });
});

function countOn(pools: SandboxPool[]): number {
  return pools.filter((p) => p.autoscaling.enable).length;
}
