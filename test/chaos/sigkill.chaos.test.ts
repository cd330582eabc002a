// Chaos: the Node service SIGKILLed at seeded points across a night and a resize storm, and
// restarted each time on the same SQLite store. The clouds run in a process of their own
// (`nightshift sandbox`, as crash-resume.node.test.ts does), so their state and their record of
// every call outlive each kill.
//
// The fleet (the sandbox's default Huawei fleet, three accounts): two clusters sleep and wake
// (full mode: autoscaler off, pools to 0, hibernate; awake, pools back, autoscaler on), and two
// fixed-size pools of two other clusters take a resize storm (Alertmanager alerts, each growing
// its pool by 2 and reverting when resolved, sent again until the service answers 2xx as
// Alertmanager would).
//
// The kills: KILLS of them, each drawn from the seed: most wait for the next cloud-changing call
// and kill 0-250 ms after it (so the step in progress is often caught between its call and its
// write), the others kill at a random instant (mid-wait, mid-start). The first process is killed
// only after its first tick (the engine records what it first sees then).
//
// The proof, from the cloud's own record (kill-support.ts: accounting): every expected change was
// made (none lost), and no (target, pool, purpose) was changed more often than expected plus the
// kills that caught it in flight; every cluster ends where it started; every operation succeeded
// once; the ledger holds each action once.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect } from "vitest";
import { openStore } from "../../shared/store/open.node.ts";
import { FINISHED, type Operation } from "../../shared/store/store.ts";
import {
  cleanUpProcesses,
  clustersOf,
  customPools,
  expectRestored,
  isRecord,
  type LoggedRequest,
  ledgerKindsOfNight,
  localTime,
  type Proc,
  pollUntil,
  readSandboxClock,
  requestsOf,
  type SandboxAccount,
  type SandboxCluster,
  type SandboxPool,
  startProcess,
  startSandbox,
  TIMEZONE,
  tempDir,
  writeClockShim,
} from "../e2e/processes.ts";
import { chaosIt, printFigures, type Scenario } from "./chaos.ts";
import { account, between, inFlightAtKill, type KeyOf, type KillRecord } from "./kill-support.ts";

/** Simulated seconds per real second: a 1 s tick is a minute of cloud time, and a dead process's
 * target lease (2 simulated minutes) runs out in two seconds. Not faster: the cloud's clock runs on
 * while a killed service restarts (5 s and more on a loaded machine), and a resize gives up 2 h of
 * cloud time after its event (at 120, a minute of restarts was enough to fail one). */
const SPEED = 60;
const KILLS = 21;
/** Alerts per storm pool, one after the other: each grows the pool by 2, then reverts it. */
const ALERTS_PER_POOL = 3;
const GROWTH = 2;
/**
 * The night's shortest length in simulated minutes. It must outlast several restarts: one restart
 * is a process start (at SPEED, 5 s on a loaded machine is 10 simulated minutes), and a service
 * down over the whole night wakes nothing that slept (it plans the wake only), so the night is
 * also NIGHT_RESTARTS start-ups long, as measured here.
 */
const NIGHT_MINUTES = 6;
const NIGHT_RESTARTS = 4;
/**
 * The scenario's budget, judged by event: the time spent starting processes does not count (a
 * start here loads the whole app, ~1 s on a quiet machine, 5 s and more on a loaded one, and there
 * are KILLS + 1 of them); everything else must fit in BUDGET_MS. A start that never says it
 * started is a hang in itself, caught by START_LIMIT_MS.
 */
const BUDGET_MS = 90_000;
const START_LIMIT_MS = 60_000;
/** The outer bound vitest enforces: the budget plus every start at its limit never comes near it. */
const TEST_TIMEOUT_MS = 600_000;
/** Fixed: restarts listen where the storm's sender posts. */
const PORT = 43_850;
const TOKEN = "chaos-sigkill-admin-token-0123456789abcdef";
const WEBHOOK_TOKEN = "chaos-sigkill-alertmanager-0123456789abcdef";

const RULE = `kind: resize
name: chaos-storm
match: { source: alertmanager, type: "ChaosStorm*" }
action: { add: ${GROWTH} }
max: 30
cooldownMinutes: 0
revert: true
`;

afterEach(cleanUpProcesses);

interface StormPool {
  cluster: SandboxCluster;
  pool: SandboxPool;
  account: string;
}

describe("chaos: SIGKILL across a night and a resize storm", () => {
  chaosIt(
    `sigkill: the service killed ${KILLS} times and restarted, every step once (plus the one in flight), none lost`,
    scenario,
    TEST_TIMEOUT_MS,
  );
});

async function scenario({ random }: Scenario): Promise<void> {
  const realStart = Date.now();
  // Start-ups move the deadline: a getter, read by each wait when it begins.
  let startupsMs = 0;
  const deadline = () => realStart + BUDGET_MS + startupsMs;
  const dir = tempDir("nightshift-chaos-sigkill-");

  // 1. The clouds, in their own process; how long a process takes to start here sets the lead.
  const { proc: sandbox, huawei } = await startSandbox(SPEED, realStart + START_LIMIT_MS);
  const startupMs = Date.now() - realStart;
  startupsMs += startupMs;
  const fleet = await clustersOf(huawei);
  const running = fleet.filter(
    (c) =>
      c.phase === "Available" &&
      customPools(c).length > 0 &&
      customPools(c).every((p) => p.initialNodeCount > 0),
  );
  // The night: the clusters with an autoscaled pool (both halves turn an autoscaler off and on).
  const nightClusters = running.filter((c) => customPools(c).some((p) => p.autoscaling.enable)).slice(0, 2);
  // The storm: fixed-size pools of the other running clusters.
  const accountOf = (c: SandboxCluster) => {
    const index = huawei.accounts.findIndex((a) => a.projectId === c.projectId);
    return `chaos-hw${index + 1}`;
  };
  const stormPools: StormPool[] = running
    .filter((c) => !nightClusters.includes(c))
    .flatMap((c) =>
      customPools(c)
        .filter((p) => !p.autoscaling.enable)
        .map((pool) => ({ cluster: c, pool, account: accountOf(c) })),
    )
    .slice(0, 2);
  expect(nightClusters.length, "running clusters with an autoscaled pool in the default fleet").toBe(2);
  expect(stormPools.length, "fixed-size pools of other running clusters").toBe(2);
  const keysOf = storyKeys(nightClusters, stormPools);
  const usedProjects = new Set(
    [...nightClusters, ...stormPools.map((s) => s.cluster)].map((c) => c.projectId),
  );
  const accounts = huawei.accounts.filter((a) => usedProjects.has(a.projectId!));

  // 2. Schedules and the storm's rule. The sleep comes after the first process has certainly
  // ticked: a lead of six start-up times, at least 3 simulated minutes. (Three were enough alone;
  // the chaos project runs two files at once, and redis-restart starts four processes at once
  // beside it, which slows this one's first start more than its sandbox's.)
  const clock = await readSandboxClock(huawei, SPEED);
  const leadMs = Math.max(3 * 60_000, 6 * startupMs * SPEED);
  const sleepAt = new Date(Math.ceil((clock.simNow() + leadMs) / 60_000) * 60_000);
  // A service start loads more than the sandbox's: twice its start-up, to be safe.
  const nightMinutes = Math.max(NIGHT_MINUTES, Math.ceil((NIGHT_RESTARTS * 2 * startupMs * SPEED) / 60_000));
  const wakeAt = new Date(sleepAt.getTime() + nightMinutes * 60_000);
  const schedules = join(dir, "schedules");
  mkdirSync(schedules);
  writeFileSync(
    join(schedules, "chaos-night.yaml"),
    [
      "name: chaos-night",
      `timezone: ${TIMEZONE}`,
      "mode: full",
      "minDwellMinutes: 0",
      "targets:",
      `  - accounts: [${[...new Set(nightClusters.map(accountOf))].join(", ")}]`,
      `    clusterIds: [${nightClusters.map((c) => `"${c.uid}"`).join(", ")}]`,
      "sleep:",
      "  - days: daily",
      `    at: "${localTime(sleepAt, TIMEZONE)}"`,
      "wake:",
      "  - days: daily",
      `    at: "${localTime(wakeAt, TIMEZONE)}"`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(schedules, "rules.yaml"), RULE);
  const shim = writeClockShim(dir, clock);
  const dbFile = join(dir, "state.db");
  const env: Record<string, string> = {
    NIGHTSHIFT_STORE: `sqlite:${dbFile}`,
    NIGHTSHIFT_SCHEDULES_DIR: schedules,
    NIGHTSHIFT_TICK_SECONDS: "1",
    NIGHTSHIFT_ADMIN_TOKEN: TOKEN,
    NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: WEBHOOK_TOKEN,
    PORT: String(PORT),
    ...shim.env,
  };
  for (const a of accounts)
    Object.assign(env, accountEnv(`chaos-hw${huawei.accounts.indexOf(a) + 1}`, a, huawei.endpoint));

  // 3. The kill loop, with the storm's sender running beside it.
  const kills: KillRecord[] = [];
  const figures = {
    kills: 0,
    killsAfterCall: 0,
    killsAtRandom: 0,
    killsWithStepInFlight: 0,
    restarts: 0,
    slowestStartMs: 0,
    startupsMs: 0,
  };
  let storm: Promise<void> | undefined;
  let stormDone = false;
  let stormError: unknown;
  let service: Proc | undefined;
  for (let generation = 0; ; generation++) {
    const atSpawn = await requestsOf(huawei);
    const spawnedAfterSeq = lastSeq(atSpawn);
    const mutationsAtSpawn = mutations(atSpawn).length;
    const spawnedAt = Date.now();
    service = startProcess(["start"], env, shim.nodeOptions);
    if (generation > 0) figures.restarts++;
    await service.waitForLine(
      isRecord("nightshift started"),
      `service ${generation} to start`,
      spawnedAt + START_LIMIT_MS,
    );
    const startMs = Date.now() - spawnedAt;
    startupsMs += startMs;
    figures.slowestStartMs = Math.max(figures.slowestStartMs, startMs);
    figures.startupsMs = startupsMs;
    if (generation === 0) {
      await service.waitForLine(isRecord("tick"), "the first service's first tick", deadline());
      const firstTickAt = Date.now();
      expect(
        clock.simNow(),
        `the first tick must come before the sleep (${firstTickAt - realStart} ms after the start)`,
      ).toBeLessThan(sleepAt.getTime());
      storm = sendStorm(stormPools, huawei.inspection, clock.simNow, deadline).then(
        () => {
          stormDone = true;
        },
        (error: unknown) => {
          stormError = error;
        },
      );
    }
    if (kills.length === KILLS) break;
    // Kill after the next cloud-changing call (70 %), or at a random instant (30 %).
    const afterCall = random() < 0.7;
    if (afterCall) {
      const delay = between(random, 0, 250);
      const seen = await waitForMutation(
        huawei.inspection,
        mutationsAtSpawn,
        Math.min(deadline(), Date.now() + 2_500),
      );
      if (seen) figures.killsAfterCall++;
      else figures.killsAtRandom++;
      await sleep(delay);
    } else {
      figures.killsAtRandom++;
      await sleep(between(random, 0, 1_500));
    }
    service.child.kill("SIGKILL");
    expect((await service.exited).signal).toBe("SIGKILL");
    const atKill = await requestsOf(huawei);
    const inFlight = inFlightAtKill(atKill, spawnedAfterSeq, keysOf(atKill), targetOfKey);
    kills.push({ inFlight });
    figures.kills++;
    if (inFlight.length > 0) figures.killsWithStepInFlight++;
  }

  // 4. The last process finishes: every night target slept and woke, the storm's sender is done,
  // and nothing is left unfinished.
  const store = await openStore({ kind: "sqlite", path: dbFile });
  try {
    const nightTargets = nightClusters.map((c) => `${accountOf(c)}/${c.uid}`);
    let lastSeen: Operation[] = [];
    const operations = await pollUntil(
      async () => {
        lastSeen = await store.operations.list({}, new Date(clock.simNow()));
        // Finished, and every ledger entry appended (a kill may leave a finished operation's last
        // entries pending: the next tick's flush appends them).
        const done = lastSeen.every((op) => FINISHED.includes(op.status) && !op.ledgerPending?.length);
        const woken = nightTargets.every((t) => lastSeen.some((op) => op.target === t && op.kind === "wake"));
        if (stormError) throw stormError;
        return done && woken && stormDone ? lastSeen : undefined;
      },
      `the night and the storm to finish (wake planned at ${wakeAt.toISOString()})`,
      deadline,
      () =>
        `storm done: ${stormDone}; ${JSON.stringify(lastSeen.map((op) => [op.target, op.kind, op.status, op.step, op.error]))}`,
    );
    await storm;
    service.child.kill("SIGTERM");
    expect(await service.exited, `the last service stops cleanly\n${service.stderr()}`).toEqual({
      code: 0,
      signal: null,
    });

    // The figures, before any verdict.
    const all = await requestsOf(huawei);
    const expected = new Map<string, number>();
    for (const c of nightClusters) {
      expected.set(`${c.uid} hibernate`, 1);
      expected.set(`${c.uid} awake`, 1);
      for (const p of customPools(c)) {
        const puts = p.autoscaling.enable ? 2 : 1;
        expected.set(`${c.uid} ${p.uid} sleep`, puts);
        expected.set(`${c.uid} ${p.uid} wake`, puts);
      }
    }
    for (const s of stormPools) expected.set(`${s.cluster.uid} ${s.pool.uid} storm`, 2 * ALERTS_PER_POOL);
    const accounting = account(all, keysOf(all), expected, kills);
    const failed = all.filter((r) => r.method !== "GET" && r.status >= 300);
    await printFigures({
      scenario: "sigkill",
      targets: nightClusters.length + stormPools.length,
      cloudCalls: all.length,
      faults: {},
      retries: accounting.repeats,
      ms: Date.now() - realStart,
      extra: {
        ...figures,
        cloudChanges: mutations(all).length,
        repeats: accounting.repeats,
        repeated:
          accounting.rows
            .filter((r) => r.made > r.expected)
            .map((r) => `${r.key.split(" ").at(-1)} ${r.made}/${r.expected}`)
            .join(" ") || "none",
        refusedChanges: failed.length,
      },
    });

    // The cloud's record: nothing lost, nothing repeated beyond the kills, nothing refused.
    expect(accounting.lost, "changes never made (lost steps)").toEqual([]);
    expect(
      accounting.unexplained,
      "changes repeated more often than the kills that caught them allow",
    ).toEqual([]);
    expect(accounting.unexpected, "changes on keys no step should touch").toEqual([]);
    // A step a kill caught after its call is repeated, and the cloud may refuse the repeat (a
    // second hibernate of a hibernating cluster: 400); the step then finds its change made. Only
    // such repeats may be refused: per key, no more refusals than the repeats the kills explain.
    const keyOfFinal = keysOf(all);
    const refusedByKey = new Map<string, number>();
    for (const r of failed) {
      const key = keyOfFinal(r) ?? `${r.method} ${r.path}`;
      refusedByKey.set(key, (refusedByKey.get(key) ?? 0) + 1);
    }
    const refusedUnexplained = [...refusedByKey].filter(([key, count]) => {
      const row = accounting.rows.find((r) => r.key === key);
      return !row || count > Math.min(row.allowed, row.made - row.expected);
    });
    expect(
      refusedUnexplained,
      `refused changes that are not repeats of a step a kill caught (${failed.map((r) => `${r.method} ${r.path} ${r.status}`).join(", ")})`,
    ).toEqual([]);

    // Operations: per night target one sleep and one wake; per storm pool one grow and one revert
    // per alert; all succeeded.
    const byTarget = (t: string) => operations.filter((op) => op.target === t);
    for (const t of nightTargets) {
      expect(
        byTarget(t)
          .map((op) => `${op.kind} ${op.status}`)
          .sort(),
        `operations on ${t}`,
      ).toEqual(["sleep succeeded", "wake succeeded"]);
    }
    for (const s of stormPools) {
      const resizes = byTarget(`${s.account}/${s.cluster.uid}`);
      expect(
        resizes.map((op) => `${op.kind} ${op.status}`),
        `resizes of ${s.cluster.name}/${s.pool.name}`,
      ).toEqual(Array(2 * ALERTS_PER_POOL).fill("resize succeeded"));
    }

    // The ledger: each night action once; each resize applied once.
    for (const op of operations) {
      const kinds = (await store.ledger.query({ operationId: op.id, limit: 1000 })).map((e) => e.kind).sort();
      if (op.kind === "resize") {
        expect(
          kinds.filter((k) => k === "resize.applied"),
          `resize.applied of ${op.id}`,
        ).toHaveLength(1);
        continue;
      }
      const cluster = nightClusters.find((c) => op.target.endsWith(`/${c.uid}`))!;
      expect(kinds, `ledger of ${op.kind} ${op.target}`).toEqual(
        ledgerKindsOfNight(op.kind as "sleep" | "wake", customPools(cluster)),
      );
    }
  } finally {
    await store.close();
  }

  // 5. The cloud's record and state.
  expect(figures.kills).toBe(KILLS);
  const after = await clustersOf(huawei);
  for (const c of nightClusters) expectRestored(c, after.find((x) => x.uid === c.uid)!);
  for (const s of stormPools) {
    const pool = after.find((x) => x.uid === s.cluster.uid)!.pools.find((p) => p.uid === s.pool.uid)!;
    expect(pool.initialNodeCount, `${s.cluster.name}/${s.pool.name} back to its size`).toBe(
      s.pool.initialNodeCount,
    );
  }

  sandbox.child.kill("SIGTERM");
  expect(await sandbox.exited).toEqual({ code: 0, signal: null });
}

/** The story's key of a cloud-changing call (kill-support.ts), from the log as it stood: a pool's
 * PUT before its cluster's first hibernate is the sleep's, after its first awake the wake's. */
function storyKeys(nightClusters: SandboxCluster[], stormPools: StormPool[]) {
  return (log: LoggedRequest[]): KeyOf => {
    const first = (uid: string, action: string) =>
      log.find((r) => r.method === "POST" && r.path.endsWith(`/clusters/${uid}/operation/${action}`))?.seq ??
      Number.POSITIVE_INFINITY;
    const halves = new Map(
      nightClusters.map((c) => [
        c.uid,
        { hibernate: first(c.uid, "hibernate"), awake: first(c.uid, "awake") },
      ]),
    );
    const storm = new Set(stormPools.map((s) => `${s.cluster.uid} ${s.pool.uid}`));
    return (r) => {
      if (r.method === "GET") return undefined;
      const match = /\/clusters\/([^/]+)(?:\/nodepools\/([^/]+)|\/operation\/(hibernate|awake))?$/.exec(
        r.path,
      );
      if (!match) return `unknown ${r.method} ${r.path}`;
      const [, cluster, pool, action] = match as unknown as [
        string,
        string,
        string | undefined,
        string | undefined,
      ];
      if (action) return `${cluster} ${action}`;
      if (pool && r.method === "PUT") {
        if (storm.has(`${cluster} ${pool}`)) return `${cluster} ${pool} storm`;
        const half = halves.get(cluster);
        if (half)
          return `${cluster} ${pool} ${r.seq < half.hibernate ? "sleep" : r.seq > half.awake ? "wake" : "asleep"}`;
      }
      return `${cluster} other ${r.method} ${r.path}`;
    };
  };
}

const targetOfKey = (key: string) => key.split(" ")[0]!;
const lastSeq = (log: LoggedRequest[]) => log.at(-1)?.seq ?? 0;
const mutations = (log: LoggedRequest[]) => log.filter((r) => r.method !== "GET");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function accountEnv(id: string, a: SandboxAccount, endpoint: string): Record<string, string> {
  const name = id.toUpperCase().replaceAll("-", "_");
  return {
    [`NIGHTSHIFT_ACCOUNT_${name}_VENDOR`]: "huawei",
    [`NIGHTSHIFT_ACCOUNT_${name}_ACCESS_KEY_ID`]: a.accessKeyId,
    [`NIGHTSHIFT_ACCOUNT_${name}_SECRET_ACCESS_KEY`]: a.secretAccessKey,
    [`NIGHTSHIFT_ACCOUNT_${name}_REGION`]: a.region,
    [`NIGHTSHIFT_ACCOUNT_${name}_PROJECT_ID`]: a.projectId!,
    [`NIGHTSHIFT_ACCOUNT_${name}_ENDPOINT`]: endpoint,
  };
}

/** Waits (polling the cloud's log) until it holds more than `count` changes; false at `until`. */
async function waitForMutation(inspection: string, count: number, until: number): Promise<boolean> {
  while (Date.now() < until) {
    const log = (await (await fetch(`${inspection}/requests`)).json()) as { requests: LoggedRequest[] };
    if (mutations(log.requests).length > count) return true;
    await sleep(25);
  }
  return false;
}

/** A pool's size as the cloud holds it. */
async function sizeOf(inspection: string, s: StormPool): Promise<number> {
  const { state } = (await (await fetch(`${inspection}/state`)).json()) as {
    state: { clusters: SandboxCluster[] };
  };
  return state.clusters.find((c) => c.uid === s.cluster.uid)!.pools.find((p) => p.uid === s.pool.uid)!
    .initialNodeCount;
}

/** POSTs one Alertmanager notification until the service answers 2xx (it may be down: a kill). */
async function notify(
  s: StormPool,
  alert: number,
  status: "firing" | "resolved",
  startsAt: string,
  endsAt: string,
  deadline: () => number,
) {
  const labels = {
    alertname: "ChaosStorm",
    account: s.account,
    cluster: s.cluster.uid,
    pool: s.pool.name,
    alert: String(alert),
  };
  const body = JSON.stringify({
    version: "4",
    groupKey: `{}:{alertname="ChaosStorm",pool="${s.pool.name}"}`,
    truncatedAlerts: 0,
    status,
    receiver: "nightshift",
    groupLabels: { alertname: "ChaosStorm" },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: "http://alertmanager.chaos:9093",
    alerts: [
      {
        status,
        labels,
        annotations: {},
        startsAt,
        endsAt,
        generatorURL: "",
        fingerprint: `${s.pool.uid}-${alert}`,
      },
    ],
  });
  let last = "";
  while (Date.now() < deadline()) {
    try {
      const response = await fetch(`http://127.0.0.1:${PORT}/webhooks/alertmanager`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${WEBHOOK_TOKEN}` },
        body,
      });
      last = `${response.status} ${await response.text()}`;
      if (response.ok) return;
      if (response.status < 500) throw new Error(`the service refused the alert: ${last}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("the service refused")) throw error;
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`the alert was never accepted; last answer: ${last}`);
}

/** The storm: per pool, ALERTS_PER_POOL alerts one after the other, each fired (pool +2) then resolved (back). */
async function sendStorm(
  pools: StormPool[],
  inspection: string,
  simNow: () => number,
  deadline: () => number,
): Promise<void> {
  const waitForSize = (s: StormPool, size: number, what: string) =>
    pollUntil(
      async () => ((await sizeOf(inspection, s)) === size ? true : undefined),
      what,
      deadline,
      () => `size ${size} expected`,
    );
  await Promise.all(
    pools.map(async (s) => {
      for (let alert = 1; alert <= ALERTS_PER_POOL; alert++) {
        const startsAt = new Date(simNow()).toISOString();
        await notify(s, alert, "firing", startsAt, "0001-01-01T00:00:00Z", deadline);
        await waitForSize(s, s.pool.initialNodeCount + GROWTH, `${s.pool.name} grown by alert ${alert}`);
        await notify(s, alert, "resolved", startsAt, new Date(simNow()).toISOString(), deadline);
        await waitForSize(s, s.pool.initialNodeCount, `${s.pool.name} reverted after alert ${alert}`);
      }
    }),
  );
}
