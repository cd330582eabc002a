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
// follows it through the test-only clock shim (processes.ts). Timers stay real, so the 1 s ticker
// ticks every SPEED simulated seconds. The planner lease is real time to the service, which here is
// the shimmed Date: NIGHTSHIFT_PLANNER_LEASE_SECONDS is given in simulated seconds (60 = 3 real s,
// three ticks), where its default (two ticks) would be in real seconds.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/config.ts";
import { openStore } from "../../shared/store/open.node.ts";
import { FINISHED, type Operation } from "../../shared/store/store.ts";
import { type RedisServer, startRedisServer } from "../setup/servers.ts";
import {
  cleanUpProcesses,
  clustersOf,
  customPools,
  expectEveryChangeOnce,
  expectRestored,
  isRecord,
  type LoggedRequest,
  ledgerKindsOfNight,
  logRecords,
  nightAhead,
  parseJson,
  pollUntil,
  readSandboxClock,
  requestsOf,
  type SandboxAccount,
  SPEED,
  startProcess,
  startSandbox,
  TIMEZONE,
  tempDir,
  writeClockShim,
  writeNightSchedule,
} from "./processes.ts";

const REPLICAS = 3;
/** Simulated seconds (see above): 3 real s, three ticks of the 1 s ticker. */
const PLANNER_LEASE_SECONDS = 60;
/** INVENTORY_MAX_AGE_MS (functions/compose.ts): one listing per account per 5 cloud minutes. */
const INVENTORY_MAX_AGE_MS = 5 * 60_000;
/** Real time the whole scenario may take; the test's own timeout is a little longer. */
const BUDGET_MS = 150_000;
const TOKEN = "replicas-e2e-admin-token-0123456789abcdef";

afterEach(cleanUpProcesses);

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
    const dir = tempDir("nightshift-replicas-");
    redis = await startRedisServer();

    // 1. The clouds, in their own process. Every running Huawei cluster with a custom pool holding
    // nodes: four clusters in three accounts (projects) in the default fleet.
    const { proc: sandbox, huawei } = await startSandbox(SPEED, deadline);
    const fleet = await clustersOf(huawei);
    const clusters = fleet.filter(
      (c) =>
        c.phase === "Available" &&
        customPools(c).length > 0 &&
        customPools(c).every((p) => p.initialNodeCount > 0),
    );
    const accounts = huawei.accounts.filter((a) => clusters.some((c) => c.projectId === a.projectId));
    expect(clusters.length, "running clusters in the default Huawei fleet").toBeGreaterThanOrEqual(3);
    expect(accounts.length, "Huawei accounts holding them").toBeGreaterThanOrEqual(2);
    // Clusters of those accounts that the schedule leaves alone: only the inventory reads them.
    const bystanders = fleet.filter(
      (c) => !clusters.includes(c) && accounts.some((a) => a.projectId === c.projectId),
    );
    expect(bystanders.length, "clusters of those accounts no schedule owns").toBeGreaterThan(0);
    const accountId = (a: SandboxAccount) => `e2e-hw${accounts.indexOf(a) + 1}`;

    // 2. The schedule: sleep a few simulated minutes from now, wake ten minutes later (nightAhead).
    const clock = await readSandboxClock(huawei, SPEED);
    const { anchorSim, simNow } = clock;
    const { sleepAt, wakeAt } = nightAhead(clock);
    const schedules = join(dir, "schedules");
    mkdirSync(schedules);
    writeNightSchedule(schedules, {
      name: "replicas",
      timezone: TIMEZONE,
      accounts: accounts.map(accountId),
      clusterIds: clusters.map((c) => c.uid),
      sleepAt,
      wakeAt,
    });
    const shim = writeClockShim(dir, clock);

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
      ...shim.env,
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
    const replicas = Array.from({ length: REPLICAS }, () => startProcess(["start"], env, shim.nodeOptions));
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
    const hibernatesAtKill = (await requestsOf(huawei)).filter(
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

      // The cloud's record, per cluster: one hibernate, then one awake; each pool PUT once per
      // purpose in each half; every cluster ends where it started.
      const all = await requestsOf(huawei);
      const after = await clustersOf(huawei);
      for (const cluster of clusters) {
        expectEveryChangeOnce(cluster, all);
        expectRestored(cluster, after.find((c) => c.uid === cluster.uid)!);
      }

      // The ledger: each action recorded once.
      for (const op of operations) {
        const cluster = clusters.find((c) => op.target.endsWith(`/${c.uid}`))!;
        const kinds = (await store.ledger.query({ operationId: op.id, limit: 1000 }))
          .map((e) => e.kind)
          .sort();
        expect(kinds, `ledger of ${op.kind} ${op.target}`).toEqual(
          ledgerKindsOfNight(op.kind as "sleep" | "wake", customPools(cluster)),
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
