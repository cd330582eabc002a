// Three replicas on one Redis, with real processes: `nightshift sandbox` runs the clouds in a
// process of its own, three `nightshift start` processes share a real redis-server (a fresh key
// prefix) and put four Huawei CCE clusters of three accounts to sleep (full mode: pools to 0, then
// hibernate) and wake them. One of them plans at a time (the planner lease); all three advance the
// due operations. The planner is SIGKILLed once the sleep has started and before it finished; the
// other two finish the night. The cloud's request log, its final state, the operations and the
// ledger in Redis must show every cloud-changing step exactly once, and the fleet listed about as
// often as one replica lists it.
//
// The clock, as in crash-resume.node.test.ts: the sandbox runs at SPEED and each service process
// is started with a test-only `--import` shim that makes its Date follow the sandbox clock. Timers
// stay real, so the 1 s ticker ticks every SPEED simulated seconds. The planner lease is real time
// to the service, which here is the shimmed Date: NIGHTSHIFT_PLANNER_LEASE_SECONDS is given in
// simulated seconds (60 = 3 real s, three ticks), where its default (two ticks) would be in real
// seconds.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config.ts";
import { openStore } from "../../shared/store/open.node.ts";
import { FINISHED, type Operation } from "../../shared/store/store.ts";
import { type RedisServer, startRedisServer } from "../setup/servers.ts";

const CLI = fileURLToPath(new URL("../../functions/cli.node.ts", import.meta.url));
/** Simulated seconds per real second. The kill has a window of >= 90 simulated s (node deletion) = 4.5 real s. */
const SPEED = 20;
const REPLICAS = 3;
/** Simulated seconds (see above): 3 real s, three ticks of the 1 s ticker. */
const PLANNER_LEASE_SECONDS = 60;
/** Simulated time from writing the schedule to the sleep: the services must start and tick once before. */
const SLEEP_LEAD_MS = 4 * 60_000;
/** Simulated time from the sleep to the wake: room for the sleep, the kill and the takeover. */
const NIGHT_MS = 10 * 60_000;
/** INVENTORY_MAX_AGE_MS (functions/compose.ts): one listing per account per 5 cloud minutes. */
const INVENTORY_MAX_AGE_MS = 5 * 60_000;
/** Real time the whole scenario may take; the test's own timeout is a little longer. */
const BUDGET_MS = 150_000;
const TOKEN = "replicas-e2e-admin-token-0123456789abcdef";
const TIMEZONE = "Asia/Shanghai";

// Date in the service process follows the sandbox clock: sim = anchorSim + (real - anchorReal) * speed.
// A Proxy (not a subclass) keeps `instanceof Date` true for dates made anywhere in the process.
const CLOCK_SHIM = `
const [anchorSim, anchorReal, speed] = process.env.NIGHTSHIFT_E2E_CLOCK.split(",").map(Number);
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

describe("several replicas on one Redis (real processes)", () => {
  let redis: RedisServer | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it("three replicas sleep and wake four clusters, every step once; a killed planner is replaced", {
    timeout: BUDGET_MS + 20_000,
  }, async () => {
    const realStart = Date.now();
    const deadline = realStart + BUDGET_MS;
    const dir = mkdtempSync(join(tmpdir(), "nightshift-replicas-"));
    tempDirs.push(dir);
    redis = await startRedisServer();

    // 1. The clouds, in their own process. Every running Huawei cluster with a custom pool holding
    // nodes: four clusters in three accounts (projects) in the default fleet.
    const sandbox = startProcess(["sandbox", "--port", "0", "--speed", String(SPEED)], {});
    const description = parseJson(await sandbox.waitForLine(() => true, "the sandbox description", deadline));
    const huawei = description?.huawei as {
      endpoint: string;
      inspection: string;
      accounts: SandboxAccount[];
    };
    expect(huawei?.endpoint, "the sandbox description names the Huawei endpoint").toMatch(/^http:\/\//);
    const { state } = await getJson<{ state: { clusters: SandboxCluster[] } }>(`${huawei.inspection}/state`);
    const customPools = (c: SandboxCluster) => c.pools.filter((p) => !p.isDefault);
    const clusters = state.clusters.filter(
      (c) =>
        c.phase === "Available" &&
        customPools(c).length > 0 &&
        customPools(c).every((p) => p.initialNodeCount > 0),
    );
    const accounts = huawei.accounts.filter((a) => clusters.some((c) => c.projectId === a.projectId));
    expect(clusters.length, "running clusters in the default Huawei fleet").toBeGreaterThanOrEqual(3);
    expect(accounts.length, "Huawei accounts holding them").toBeGreaterThanOrEqual(2);
    // Clusters of those accounts that the schedule leaves alone: only the inventory reads them.
    const bystanders = state.clusters.filter(
      (c) => !clusters.includes(c) && accounts.some((a) => a.projectId === c.projectId),
    );
    expect(bystanders.length, "clusters of those accounts no schedule owns").toBeGreaterThan(0);
    const accountId = (a: SandboxAccount) => `e2e-hw${accounts.indexOf(a) + 1}`;
    const before = new Map(
      clusters.flatMap((c) => customPools(c).map((p) => [p.uid, poolShape(p)] as const)),
    );

    // 2. The schedule: sleep a few simulated minutes from now, wake NIGHT_MS later.
    const clockRealBefore = Date.now();
    const clock = await getJson<{ now: string; speed: number }>(`${huawei.inspection}/clock`);
    const anchorReal = (clockRealBefore + Date.now()) / 2;
    const anchorSim = Date.parse(clock.now);
    expect(clock.speed).toBe(SPEED);
    const simNow = () => anchorSim + (Date.now() - anchorReal) * SPEED;
    const sleepAt = new Date(Math.ceil((simNow() + SLEEP_LEAD_MS) / 60_000) * 60_000);
    const wakeAt = new Date(sleepAt.getTime() + NIGHT_MS);
    const schedules = join(dir, "schedules");
    mkdirSync(schedules);
    writeFileSync(
      join(schedules, "replicas.yaml"),
      [
        "name: replicas",
        `timezone: ${TIMEZONE}`,
        "mode: full",
        "minDwellMinutes: 0",
        "targets:",
        `  - accounts: [${accounts.map(accountId).join(", ")}]`,
        `    clusterIds: [${clusters.map((c) => `"${c.uid}"`).join(", ")}]`,
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

    // 3. Three services on one Redis, with the accounts, pointed at the sandbox.
    const storeEnv = {
      NIGHTSHIFT_STORE: `${redis.url}/0`,
      NIGHTSHIFT_STORE_PREFIX: `e2e-replicas-${process.pid}-${Date.now()}`,
    };
    const env: Record<string, string> = {
      ...storeEnv,
      NIGHTSHIFT_SCHEDULES_DIR: schedules,
      NIGHTSHIFT_TICK_SECONDS: "1",
      NIGHTSHIFT_PLANNER_LEASE_SECONDS: String(PLANNER_LEASE_SECONDS),
      NIGHTSHIFT_ADMIN_TOKEN: TOKEN,
      PORT: "0",
      NIGHTSHIFT_E2E_CLOCK: `${anchorSim},${anchorReal},${SPEED}`,
    };
    for (const account of accounts) {
      const name = accountId(account).toUpperCase().replaceAll("-", "_");
      Object.assign(env, {
        [`NIGHTSHIFT_ACCOUNT_${name}_VENDOR`]: "huawei",
        [`NIGHTSHIFT_ACCOUNT_${name}_ACCESS_KEY_ID`]: account.accessKeyId,
        [`NIGHTSHIFT_ACCOUNT_${name}_SECRET_ACCESS_KEY`]: account.secretAccessKey,
        [`NIGHTSHIFT_ACCOUNT_${name}_REGION`]: account.region,
        [`NIGHTSHIFT_ACCOUNT_${name}_PROJECT_ID`]: account.projectId!,
        [`NIGHTSHIFT_ACCOUNT_${name}_ENDPOINT`]: huawei.endpoint,
      });
    }
    const importShim = ["--import", pathToFileURL(shim).href];
    const isRecord =
      (msg: string, fields: Json = {}) =>
      (line: string) => {
        const record = parseJson(line);
        return record?.msg === msg && Object.entries(fields).every(([key, value]) => record[key] === value);
      };
    const replicas = Array.from({ length: REPLICAS }, () => startProcess(["start"], env, importShim));
    for (const [i, replica] of replicas.entries()) {
      await replica.waitForLine(isRecord("nightshift started"), `replica ${i} to start`, deadline);
    }
    // The engine records a baseline on first sight: the planner's first tick must come before the sleep.
    const planner = await pollUntil(
      async () => replicas.find((r) => r.lines.some(isRecord("this replica plans now"))),
      "one replica to take the planner lease",
      deadline,
      () => "no replica logged it",
    );
    const firstPlannedTick = parseJson(
      await planner.waitForLine(isRecord("tick", { planned: true }), "the planner's first tick", deadline),
    );
    expect(firstPlannedTick?.errors, "errors in the first planned tick (inventory)").toBe(0);
    expect(
      Date.parse(String(firstPlannedTick?.at)),
      "the first planned tick comes before the sleep",
    ).toBeLessThan(sleepAt.getTime());

    // 4. Kill the planner once some replica has scaled a cluster's pools down, before every cluster
    // has hibernated.
    const scaledDown = isRecord("sleep/wake step", { ran: "scale-pools-down", step: "await-pools" });
    await pollUntil(
      async () => (replicas.some((r) => r.lines.some(scaledDown)) ? true : undefined),
      `a cluster's pools to be scaled down (sleep planned at ${sleepAt.toISOString()})`,
      deadline,
      () => "no scale-pools-down step logged",
    );
    planner.child.kill("SIGKILL");
    expect((await planner.exited).signal).toBe("SIGKILL");
    const killedAtSim = simNow();
    const requests = async () =>
      (await getJson<{ requests: LoggedRequest[] }>(`${huawei.inspection}/requests`)).requests;
    const hibernatesAtKill = (await requests()).filter(
      (r) => r.method === "POST" && r.path.endsWith("/operation/hibernate"),
    );
    expect(
      hibernatesAtKill.length,
      "every cluster had hibernated before the kill: the machine was too slow for the window; lower SPEED",
    ).toBeLessThan(clusters.length);
    const survivors = replicas.filter((r) => r !== planner);

    // 5. The survivors finish the night: for every cluster one sleep and one wake, all finished.
    const store = await openStore(loadConfig(storeEnv).store);
    try {
      const targetIds = clusters.map((c) => {
        const account = accounts.find((a) => a.projectId === c.projectId)!;
        return `${accountId(account)}/${c.uid}`;
      });
      let lastSeen: Operation[] = [];
      const operations = await pollUntil(
        async () => {
          lastSeen = await store.operations.list({}, new Date(simNow()));
          const done = lastSeen.every((op) => FINISHED.includes(op.status));
          const woken = targetIds.every((t) => lastSeen.some((op) => op.target === t && op.kind === "wake"));
          return done && woken ? lastSeen : undefined;
        },
        `the night to finish (wake planned at ${wakeAt.toISOString()})`,
        deadline,
        () => JSON.stringify(lastSeen.map((op) => [op.target, op.kind, op.status, op.step, op.error])),
      );
      const realSeconds = (Date.now() - realStart) / 1000;
      const survivorRecords = survivors.map(logRecords);
      for (const survivor of survivors) {
        survivor.child.kill("SIGTERM");
        expect(await survivor.exited, `a survivor stops cleanly\n${survivor.stderr()}`).toEqual({
          code: 0,
          signal: null,
        });
      }

      // A survivor took the planner lease after the kill, and planned the wakes.
      const takeovers = survivorRecords.filter((records) =>
        records.some((r) => r.msg === "this replica plans now"),
      );
      expect(takeovers, "exactly one survivor became the planner").toHaveLength(1);
      const takeover = takeovers[0]!.find((r) => r.msg === "this replica plans now")!;
      const takeoverSimSeconds = (Date.parse(String(takeover.time)) - killedAtSim) / 1000;
      // The lease runs out at most PLANNER_LEASE_SECONDS after the kill; the next tick takes it.
      expect(takeoverSimSeconds, "simulated seconds from the kill to the new planner").toBeLessThanOrEqual(
        PLANNER_LEASE_SECONDS + 3 * SPEED,
      );

      // The operations: per cluster exactly one sleep and one wake, both succeeded, no retries.
      expect(operations.map((op) => `${op.target} ${op.kind} ${op.status}`).sort()).toEqual(
        targetIds.flatMap((t) => [`${t} sleep succeeded`, `${t} wake succeeded`]).sort(),
      );
      for (const op of operations) {
        expect(op.attempts, `${op.kind} of ${op.target} had no failed step`).toBe(0);
        expect((op.data.progress as { conflicts?: unknown[] } | undefined)?.conflicts ?? []).toEqual([]);
      }

      // The cloud's record, per cluster: one hibernate, then one awake; each pool PUT once per purpose
      // in each half (the autoscaler off and size 0; the size back and the autoscaler on).
      const all = await requests();
      const mutations = all.filter((r) => r.method !== "GET");
      for (const request of mutations)
        expect(request.status, `${request.method} ${request.path}`).toBeLessThan(300);
      for (const cluster of clusters) {
        const ofCluster = mutations.filter((r) => r.path.includes(`/clusters/${cluster.uid}`));
        const hibernates = ofCluster.filter((r) => r.path.endsWith("/operation/hibernate"));
        const awakes = ofCluster.filter((r) => r.path.endsWith("/operation/awake"));
        expect(hibernates, `hibernates of ${cluster.name}`).toHaveLength(1);
        expect(awakes, `awakes of ${cluster.name}`).toHaveLength(1);
        const [hibernateSeq, awakeSeq] = [hibernates[0]!.seq, awakes[0]!.seq];
        expect(hibernateSeq).toBeLessThan(awakeSeq);
        const putsOf = (poolId: string, from: number, to: number) =>
          ofCluster.filter(
            (r) =>
              r.method === "PUT" && r.path.endsWith(`/nodepools/${poolId}`) && r.seq > from && r.seq < to,
          ).length;
        for (const pool of customPools(cluster)) {
          const perHalf = pool.autoscaling.enable ? 2 : 1;
          expect(putsOf(pool.uid, 0, hibernateSeq), `sleep PUTs on ${cluster.name}/${pool.name}`).toBe(
            perHalf,
          );
          expect(putsOf(pool.uid, hibernateSeq, awakeSeq), `PUTs on ${pool.name} while asleep`).toBe(0);
          expect(putsOf(pool.uid, awakeSeq, Number.POSITIVE_INFINITY), `wake PUTs on ${pool.name}`).toBe(
            perHalf,
          );
        }
        const expected = ofCluster.filter(
          (r) =>
            r === hibernates[0] ||
            r === awakes[0] ||
            (r.method === "PUT" && customPools(cluster).some((p) => r.path.endsWith(`/nodepools/${p.uid}`))),
        );
        expect(ofCluster.length - expected.length, `other changes to ${cluster.name}`).toBe(0);
      }

      // Every cluster ends where it started: running, each pool at its size, with its autoscaler.
      const after = await getJson<{ state: { clusters: SandboxCluster[] } }>(`${huawei.inspection}/state`);
      for (const cluster of clusters) {
        const now = after.state.clusters.find((c) => c.uid === cluster.uid)!;
        expect(now.phase, `${cluster.name} phase`).toBe("Available");
        for (const pool of customPools(now)) {
          expect(poolShape(pool), `pool ${cluster.name}/${pool.name}`).toEqual(before.get(pool.uid));
          expect(
            now.nodes.filter((n) => n.poolId === pool.uid).map((n) => n.phase),
            `nodes of ${cluster.name}/${pool.name}`,
          ).toEqual(Array(pool.initialNodeCount).fill("Active"));
        }
      }

      // The ledger: each action recorded once.
      for (const op of operations) {
        const cluster = clusters.find((c) => op.target.endsWith(`/${c.uid}`))!;
        const pools = customPools(cluster);
        const autoscaled = pools.filter((p) => p.autoscaling.enable);
        const kinds = (await store.ledger.query({ operationId: op.id, limit: 1000 }))
          .map((e) => e.kind)
          .sort();
        expect(kinds, `ledger of ${op.kind} ${op.target}`).toEqual(
          (op.kind === "sleep"
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
          ).sort(),
        );
      }

      // Inventory listings, from the cloud's own record. The inventory lists the node pools of every
      // cluster of an account; the steps read only the clusters they act on. So the node-pool
      // listings of a cluster no schedule owns (a bystander) count the inventory listings of its
      // account. (Cluster-list requests also serve the steps' phase polls: reported, not bounded.)
      // One replica lists each account once, then again each time its listing is older than
      // INVENTORY_MAX_AGE_MS (cloud time): at most elapsed / max-age + 1 times over the night, one
      // more for a listing the killed planner may have had under way. Three replicas listing for
      // themselves would list at least three times elapsed / max-age.
      const elapsedSim = simNow() - anchorSim;
      const bound = Math.floor(elapsedSim / INVENTORY_MAX_AGE_MS) + 2;
      const path = (r: LoggedRequest) => r.path.split("?")[0]!;
      const inventoryListings = bystanders.map(
        (b) =>
          all.filter((r) => r.method === "GET" && path(r).endsWith(`/clusters/${b.uid}/nodepools`)).length,
      );
      const clusterLists = accounts.map(
        (a) =>
          all.filter((r) => r.method === "GET" && path(r).endsWith(`/projects/${a.projectId}/clusters`))
            .length,
      );
      const stepsBy = [...survivorRecords, logRecords(planner)].map(
        (records) => records.filter((r) => r.msg === "sleep/wake step").length,
      );
      console.info(
        JSON.stringify({
          replicas: REPLICAS,
          clusters: clusters.length,
          inventoryListingsPerBystander: inventoryListings,
          bound,
          clusterListRequestsPerAccount: clusterLists,
          simulatedMinutes: Math.round(elapsedSim / 60_000),
          killedAtSimulatedMinute: Math.round((killedAtSim - anchorSim) / 60_000),
          takeoverSimulatedSecondsAfterKill: Math.round(takeoverSimSeconds),
          stepsByReplica: { survivors: stepsBy.slice(0, -1), killed: stepsBy.at(-1) },
          realSeconds,
        }),
      );
      for (const [i, count] of inventoryListings.entries()) {
        const what = `inventory listings of the account of ${bystanders[i]!.name} (bound ${bound})`;
        expect(count, what).toBeGreaterThanOrEqual(Math.floor(elapsedSim / INVENTORY_MAX_AGE_MS));
        expect(count, what).toBeLessThanOrEqual(bound);
      }
    } finally {
      await store.close();
    }

    sandbox.child.kill("SIGTERM");
    expect(await sandbox.exited).toEqual({ code: 0, signal: null });
  });
});
