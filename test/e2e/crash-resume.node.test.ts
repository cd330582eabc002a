// Crash and resume, with real processes: `nightshift sandbox` runs the clouds in a process of its
// own (they outlive the service), `nightshift start` puts one Huawei CCE cluster to sleep (full
// mode: pools to 0, then hibernate) and is SIGKILLed right after the pools were scaled down and
// before the hibernate. A second `nightshift start` on the same SQLite file finishes the night;
// the cloud's request log, its final state, the operations API and the ledger must show every
// step exactly once.
//
// The clock: the sandbox runs at SPEED and the service follows it through the test-only clock shim
// (processes.ts). Nothing in the service is changed.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../shared/store/open.node.ts";
import {
  cleanUpProcesses,
  clustersOf,
  customPools,
  expectEveryChangeOnce,
  expectRestored,
  getJson,
  isRecord,
  ledgerKindsOfNight,
  logRecords,
  nightAhead,
  parseJson,
  pollUntil,
  putsOnPool,
  readSandboxClock,
  requestsOf,
  type SandboxPool,
  SPEED,
  startProcess,
  startSandbox,
  TIMEZONE,
  tempDir,
  writeClockShim,
  writeNightSchedule,
} from "./processes.ts";

/** Real time the whole scenario may take; the test's own timeout is a little longer. */
const BUDGET_MS = 160_000;
const TOKEN = "crash-resume-admin-token-0123456789abcdef";

interface ApiOperation {
  id: string;
  kind: string;
  status: string;
  step: string;
  attempts: number;
  error?: unknown;
  data: { slot?: string; progress?: { taken?: string[]; conflicts?: unknown[] } };
}

afterEach(cleanUpProcesses);

describe("crash and resume (real processes)", () => {
  it("a service killed between scale-down and hibernate finishes the night after restart, every step once", {
    timeout: BUDGET_MS + 15_000,
  }, async () => {
    const deadline = Date.now() + BUDGET_MS;
    const dir = tempDir("nightshift-crash-resume-");

    // 1. The clouds, in their own process.
    const { proc: sandbox, huawei } = await startSandbox(SPEED, deadline);

    // A cluster that is running, with at least two custom pools holding nodes, one of them autoscaled
    // (so the sleep also turns an autoscaler off and the wake back on).
    const cluster = (await clustersOf(huawei)).find(
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
    const accountId = "e2e-hw";
    const targetId = `${accountId}/${cluster.uid}`;

    // 2. The schedule: sleep a few simulated minutes from now, wake ten minutes later (nightAhead).
    const clock = await readSandboxClock(huawei, SPEED);
    const { sleepAt, wakeAt } = nightAhead(clock);
    const schedules = join(dir, "schedules");
    mkdirSync(schedules);
    writeNightSchedule(schedules, {
      name: "crash-resume",
      timezone: TIMEZONE,
      accounts: [accountId],
      clusterIds: [cluster.uid],
      sleepAt,
      wakeAt,
    });
    const shim = writeClockShim(dir, clock);

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
      ...shim.env,
    };

    const first = startProcess(["start"], env, shim.nodeOptions);
    await first.waitForLine(isRecord("nightshift started"), "the first service to start", deadline);
    const firstTick = parseJson(
      await first.waitForLine(isRecord("tick"), "the first service's first tick", deadline),
    );
    // The engine only records a baseline on first sight: that tick must come before the sleep.
    expect(firstTick?.errors, "errors in the first tick (inventory)").toBe(0);
    expect(
      Date.parse(String(firstTick?.at)),
      "the first tick must come before the planned sleep (raise SLEEP_LEAD_MS in processes.ts if the service starts slowly)",
    ).toBeLessThan(sleepAt.getTime());

    // 4. Kill it as soon as the last pool was scaled down (the operation moved on to await-pools).
    await first.waitForLine(
      isRecord("sleep/wake step", { ran: "scale-pools-down", step: "await-pools" }),
      `the pools to be scaled down (sleep planned at ${sleepAt.toISOString()}, real ${new Date(clock.realAt(sleepAt.getTime())).toISOString()})`,
      deadline,
    );
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const atKill = (await requestsOf(huawei)).filter(
      (r) => r.method !== "GET" && r.path.includes(`/clusters/${cluster.uid}`),
    );
    expect(
      atKill.filter((r) => r.path.endsWith("/operation/hibernate")),
      "the kill came after the hibernate: the machine was too slow for the window; lower SPEED",
    ).toEqual([]);
    // The sleep's PUTs were all made: the autoscaler off (when on), then size 0.
    for (const pool of pools) {
      expect(putsOnPool(atKill, pool), `PUTs on pool ${pool.name} before the kill`).toBe(
        pool.autoscaling.enable ? 2 : 1,
      );
    }

    // 5. Restart on the same SQLite file and let the night finish.
    const second = startProcess(["start"], env, shim.nodeOptions);
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
      `the night to finish (wake planned at ${wakeAt.toISOString()}, real ${new Date(clock.realAt(wakeAt.getTime())).toISOString()})`,
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

    // The cloud's own record: one hibernate, one awake, each pool PUT once per purpose, in order;
    // the cluster ends where it started.
    expectEveryChangeOnce(cluster, await requestsOf(huawei));
    expectRestored(cluster, (await clustersOf(huawei)).find((c) => c.uid === cluster.uid)!);

    // The ledger: each action recorded once, the two operations ending in success.
    const store = await openStore({ kind: "sqlite", path: dbFile });
    try {
      for (const op of [sleep, wake]) {
        const kinds = (await store.ledger.query({ operationId: op.id, limit: 1000 }))
          .map((e) => e.kind)
          .sort();
        expect(kinds, `ledger of the ${op.kind}`).toEqual(
          ledgerKindsOfNight(op.kind as "sleep" | "wake", pools),
        );
      }
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
