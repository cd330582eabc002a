// Chaos: Redis restarted mid-night under three Node replicas. A real redis-server with its own data
// folder, persisted as docs/self-host-node.md asks (append-only file, fsync on every write, no
// eviction); the clouds in a process of their own (`nightshift sandbox`, every provider); three
// `nightshift start` processes sharing the store (NIGHTSHIFT_STORE=redis://...) put the fleet of
// the chaos night (every provider and mode, test/contract/night-harness.ts) to sleep and wake it,
// publishing every outcome event to a local EventBridge.
//
// The restarts: two in the sleep and two in the wake, each at a seeded point (after the half's
// k-th cloud-changing call, then 0-250 ms); each half has one graceful restart (SIGTERM: Redis's
// SHUTDOWN) and one hard kill (SIGKILL), in a seeded order, with Redis down 0-1 s before it starts
// again on the same port and data.
//
// The proof: every target's sleep and wake succeeded, and its pools (or workloads) are back
// exactly; from the clouds' own request log, no cloud-changing call was made more often than the
// night makes it (see repeatedChanges), and none was refused;
// the ledger holds no entry twice; EventBridge took every outcome event exactly once; every
// replica stayed up (and stops cleanly at the end), answered /healthz (a liveness check: it does
// not depend on the store) while Redis was down, and logged the outage in lines with no stack
// trace and no secret.
//
// The clock, as in the other process tests (test/e2e/processes.ts): the clouds run at SPEED and
// each service follows them through the clock shim.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect } from "vitest";
import { loadConfig } from "../../shared/config/config.ts";
import { openStore } from "../../shared/store/open.node.ts";
import { FINISHED, type Operation, type Store } from "../../shared/store/store.ts";
import { startEventBridgeEndpoint } from "../contract/eventbridge-endpoint.node.ts";
import {
  NIGHT_SUBJECTS,
  nightShape,
  type ResolvedCluster,
  resolveCluster,
  workloadNamespaces,
} from "../contract/night-harness.ts";
import {
  cleanUpProcesses,
  isRecord,
  parseJson,
  pollUntil,
  readSandboxClock,
  startProcess,
  startSandbox,
  TIMEZONE,
  tempDir,
  writeClockShim,
  writeNightSchedule,
} from "../e2e/processes.ts";
import { accountVariables, sandboxProviders } from "../setup/sandbox.ts";
import { freeFixedPort, type RedisServer, startRedisServer } from "../setup/servers.ts";
import { CLOUDS, chaosIt, printFigures, type Scenario } from "./chaos.ts";
import { between, type CloudCall } from "./kill-support.ts";

/**
 * The chaos night's fleet, one target per provider and mode: its Apsara Stack target is left out
 * (the Alibaba nodes mode again, through another gateway; its release is the slowest of all and
 * would make the night half as long again).
 */
const FLEET = NIGHT_SUBJECTS.filter((s) => s.schedule !== "apsara-nodes");

/**
 * Simulated seconds per real second: the 1 s ticker ticks once a cloud minute, and a target lease
 * (2 cloud minutes, as the services' shimmed clock counts it) lasts 2 real seconds. Not faster:
 * a lease shorter than a slow step under load would hand a step to a second replica.
 */
const SPEED = 60;
const REPLICAS = 3;
/** Per half of the night, one restart of each kind. */
const RESTART_KINDS = ["graceful", "hard"] as const;
/** Simulated seconds (the services' clock is the shimmed one): 3 real s, three ticks. */
const PLANNER_LEASE_SECONDS = 180;
/**
 * Simulated minutes from the sleep to the wake: most sleeps are done by then (the slowest, an ACK
 * node release, takes about 14); a wake waits for its target's sleep to end.
 */
const NIGHT_MINUTES = 12;
/** Real time the scenario may take, start-ups included. */
const BUDGET_MS = 120_000;
const TOKEN = "chaos-redis-admin-token-0123456789abcdef";

type Half = "sleep" | "wake";
type RestartKind = (typeof RESTART_KINDS)[number];

interface RestartRecord {
  half: Half;
  kind: RestartKind;
  afterCalls: number;
  downMs: number;
}

afterEach(cleanUpProcesses);

describe("chaos: Redis restarted mid-night under three Node replicas", () => {
  let redis: RedisServer | undefined;
  afterEach(async () => {
    await redis?.kill();
    redis = undefined;
  });

  chaosIt(
    `redis-restart: Redis restarted ${2 * RESTART_KINDS.length} times (graceful and hard) under ${REPLICAS} replicas, nothing done twice, nothing lost`,
    async (scenario) => {
      const dataDir = tempDir("nightshift-chaos-redis-");
      // Kept for the whole scenario: a restarted Redis must listen where the replicas reconnect.
      const port = await freeFixedPort();
      redis = await startRedisServer({ port, dir: dataDir });
      await night(scenario, dataDir, {
        get: () => redis!,
        set: (server) => {
          redis = server;
        },
      });
    },
    BUDGET_MS + 30_000,
  );
});

async function night(
  { random }: Scenario,
  dataDir: string,
  redis: { get(): RedisServer; set(server: RedisServer): void },
): Promise<void> {
  const realStart = Date.now();
  const deadline = realStart + BUDGET_MS;
  const dir = tempDir("nightshift-chaos-redis-run-");

  // 1. The clouds, in their own process, and the fleet: one target per provider and mode.
  const { proc: sandbox, sb } = await startSandbox(SPEED, deadline);
  const startupMs = Date.now() - realStart;
  const clock = await readSandboxClock(sb.huawei, SPEED);
  const simNow = () => new Date(clock.simNow());
  const { accounts, providers } = sandboxProviders(sb, { now: simNow, attempts: 3, maxDelayMs: 2 });
  const clusters: ResolvedCluster[] = [];
  const before = new Map<string, unknown>();
  for (const subject of FLEET) {
    const cluster = await resolveCluster(accounts, providers, subject);
    clusters.push(cluster);
    before.set(cluster.targetId, await nightShape(sb, cluster));
  }

  // 2. The schedules: the sleep after the replicas have started and planned once. Three processes
  // start at once, each loading more than the sandbox: twelve times the sandbox's start-up (as
  // measured here, under whatever else loads the machine), at least 5 simulated minutes.
  const leadMs = Math.max(5 * 60_000, 12 * startupMs * SPEED);
  const sleepAt = new Date(Math.ceil((clock.simNow() + leadMs) / 60_000) * 60_000);
  const wakeAt = new Date(sleepAt.getTime() + NIGHT_MINUTES * 60_000);
  const schedules = join(dir, "schedules");
  mkdirSync(schedules);
  for (const [i, subject] of FLEET.entries()) {
    const cluster = clusters[i]!;
    writeNightSchedule(schedules, {
      name: subject.schedule,
      timezone: TIMEZONE,
      accounts: [cluster.account],
      clusterIds: [cluster.clusterId],
      sleepAt,
      wakeAt,
      mode: subject.mode,
      releaseNodes: subject.releaseNodes ?? false,
      namespaces: await workloadNamespaces(sb, cluster),
    });
  }
  const shim = writeClockShim(dir, clock);
  const eventBridge = await startEventBridgeEndpoint({ now: simNow });

  // 3. Three replicas on the one Redis.
  const storeEnv = {
    NIGHTSHIFT_STORE: `${redis.get().url}/0`,
    NIGHTSHIFT_STORE_PREFIX: `chaos-redis-${process.pid}-${Date.now()}`,
  };
  const env: Record<string, string> = {
    ...storeEnv,
    NIGHTSHIFT_SCHEDULES_DIR: schedules,
    NIGHTSHIFT_TICK_SECONDS: "1",
    NIGHTSHIFT_PLANNER_LEASE_SECONDS: String(PLANNER_LEASE_SECONDS),
    NIGHTSHIFT_ADMIN_TOKEN: TOKEN,
    NIGHTSHIFT_EVENTBRIDGE_REGION: eventBridge.region,
    NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: eventBridge.accessKeyId,
    NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: eventBridge.secretAccessKey,
    NIGHTSHIFT_EVENTBRIDGE_ENDPOINT: eventBridge.url,
    PORT: "0",
    ...shim.env,
    ...Object.assign({}, ...accounts.map(accountVariables)),
  };
  const secrets = [TOKEN, eventBridge.secretAccessKey, ...accounts.map((a) => a.secretAccessKey)];
  const replicas = Array.from({ length: REPLICAS }, () => startProcess(["start"], env, shim.nodeOptions));
  const urls: string[] = [];
  for (const [i, replica] of replicas.entries()) {
    const started = parseJson(
      await replica.waitForLine(isRecord("nightshift started"), `replica ${i} to start`, deadline),
    );
    urls.push(String(started?.url));
  }
  const planner = await pollUntil(
    async () => replicas.find((r) => r.lines.some(isRecord("this replica plans now"))),
    "one replica to take the planner lease",
    deadline,
    () => "no replica logged it",
  );
  await planner.waitForLine(isRecord("tick", { planned: true }), "the planner's first tick", deadline);
  expect(clock.simNow(), "the first planned tick comes before the sleep").toBeLessThan(sleepAt.getTime());

  // 4. The restarts: per half, one graceful and one hard, in a seeded order, at seeded points.
  const restarts: RestartRecord[] = [];
  const healthDuringOutage: number[] = [];
  for (const half of ["sleep", "wake"] as const) {
    const kinds: RestartKind[] = random() < 0.5 ? [...RESTART_KINDS] : [...RESTART_KINDS].reverse();
    const startsAt = half === "sleep" ? sleepAt : wakeAt;
    await sleep(clock.realAt(startsAt.getTime()) - Date.now());
    const since = async () =>
      (await cloudChanges(sb)).filter((r) => Date.parse(r.time!) >= startsAt.getTime()).length;
    let afterCalls = 0;
    for (const kind of kinds) {
      afterCalls += between(random, 1, 6);
      const delayMs = between(random, 0, 250);
      const downMs = between(random, 0, 1_000);
      await pollUntil(
        async () => ((await since()) >= afterCalls ? true : undefined),
        `the ${half}'s cloud-changing call ${afterCalls} (${half} at ${startsAt.toISOString()})`,
        deadline,
        () => "",
      );
      await sleep(delayMs);
      await (kind === "graceful" ? redis.get().stop() : redis.get().kill());
      const downSince = Date.now();
      // While Redis is down: every replica is up, and says so.
      for (const url of urls) healthDuringOutage.push((await fetch(`${url}/healthz`)).status);
      await sleep(Math.max(0, downMs - (Date.now() - downSince)));
      redis.set(await startRedisServer({ port: redis.get().port, dir: dataDir }));
      restarts.push({ half, kind, afterCalls, downMs: Date.now() - downSince });
    }
  }

  // 5. The night ends: every target slept and woke, every event published.
  const store = await openStore(loadConfig(storeEnv).store);
  try {
    let lastSeen: Operation[] = [];
    const operations = await pollUntil(
      async () => {
        lastSeen = await store.operations.list({}, simNow());
        const done = lastSeen.every(
          (op) =>
            FINISHED.includes(op.status) && !op.ledgerPending?.length && op.outbox?.state === "published",
        );
        const woken = clusters.every((c) =>
          lastSeen.some((op) => op.target === c.targetId && op.kind === "wake"),
        );
        return done && woken ? lastSeen : undefined;
      },
      `the night to finish (wake planned at ${wakeAt.toISOString()})`,
      deadline,
      () => JSON.stringify(lastSeen.map((op) => [op.target, op.kind, op.status, op.step, op.outbox?.state])),
    );
    const realMs = Date.now() - realStart;
    for (const [i, replica] of replicas.entries()) {
      replica.child.kill("SIGTERM");
      expect(await replica.exited, `replica ${i} stayed up and stops cleanly\n${replica.stderr()}`).toEqual({
        code: 0,
        signal: null,
      });
    }

    // The figures, before any verdict.
    const calls = await allCalls(sb);
    const changes = calls.filter(isChange);
    const repeated = repeatedChanges(changes, clusters, operations, before);
    const refused = changes.filter((r) => (r.status ?? 0) >= 300);
    const outageLines = replicas.map((r) => ({
      lost: r.lines.filter(
        isRecord("store connection lost; store calls wait for it, then fail until it is back"),
      ),
      restored: r.lines.filter(isRecord("store connection restored")),
      errors: r.lines.filter((line) => parseJson(line)?.level === "error"),
    }));
    await printFigures({
      scenario: "redis-restart",
      targets: clusters.length,
      cloudCalls: calls.length,
      faults: {},
      retries: operations.reduce((sum, op) => sum + op.attempts, 0),
      ms: realMs,
      extra: {
        replicas: REPLICAS,
        restarts: restarts.map((r) => `${r.half}/${r.kind}@${r.afterCalls}+${r.downMs}ms`).join(" "),
        cloudChanges: changes.length,
        repeated: repeated.length,
        refused: refused.length,
        events: eventBridge.accepted.length,
        "error lines per replica": outageLines.map((l) => l.errors.length).join("/"),
        "start-up ms": startupMs,
      },
    });

    // Every target converged: one sleep and one wake, both succeeded; restored exactly.
    expect(operations.map((op) => `${op.target} ${op.kind} ${op.status}`).sort()).toEqual(
      clusters.flatMap((c) => [`${c.targetId} sleep succeeded`, `${c.targetId} wake succeeded`]).sort(),
    );
    for (const cluster of clusters) {
      expect(await nightShape(sb, cluster), `${cluster.cloud} ${cluster.cluster}`).toEqual(
        before.get(cluster.targetId),
      );
    }
    // Each cloud-changing call once (as the night makes it), and none refused.
    expect(repeated, "cloud-changing calls made more often than the night makes them").toEqual([]);
    expect(
      refused.map((r) => `${r.method} ${r.path} ${r.status}`),
      "cloud-changing calls refused",
    ).toEqual([]);
    // The ledger: no entry twice.
    await expectLedgerOnce(store, operations);
    // Every outcome event published once.
    const published = eventBridge.accepted.map((e) => {
      const detail = JSON.parse(e.Detail ?? "{}") as { operationId?: string };
      return `${e.DetailType} ${detail.operationId}`;
    });
    expect(published.sort(), "outcome events EventBridge accepted").toEqual(
      operations.map((op) => `nightshift.${op.kind} ${op.id}`).sort(),
    );
    // The replicas stayed up through the outages, said so, and leaked nothing.
    expect(healthDuringOutage, "/healthz of each replica while Redis was down").toEqual(
      healthDuringOutage.map(() => 200),
    );
    for (const [i, replica] of replicas.entries()) {
      // Each outage said once: lost, then restored, naming the store and the reason. (Restarts close
      // together are one outage to a replica still reconnecting from the first.)
      const { lost, restored } = outageLines[i]!;
      expect(lost.length, `replica ${i}: "store connection lost" lines`).toBeGreaterThanOrEqual(1);
      expect(lost.length, `replica ${i}: "store connection lost" lines`).toBeLessThanOrEqual(restarts.length);
      expect(restored.length, `replica ${i}: "store connection restored" after each loss`).toBe(lost.length);
      for (const line of outageLines[i]!.lost)
        expect(parseJson(line), `replica ${i}`).toMatchObject({
          store: `${redis.get().url}/0`,
          reason: expect.any(String),
        });
      expect(
        outageLines[i]!.errors.filter((line) => !/store connection lost|the store did not answer/.test(line)),
        `replica ${i}: error lines that are not the store outage`,
      ).toEqual([]);
      for (const line of replica.lines) {
        expect(line, `replica ${i}: a stack trace in the log`).not.toMatch(/\\n\s+at /);
        for (const secret of secrets)
          expect(line.includes(secret), `replica ${i}: a secret in the log`).toBe(false);
      }
      expect(replica.stderr(), `replica ${i} stderr`).toBe("");
    }
  } finally {
    await store.close();
    await eventBridge.close();
  }
  sandbox.child.kill("SIGTERM");
  expect(await sandbox.exited).toEqual({ code: 0, signal: null });
}

/** Every call the clouds answered, in order. */
async function allCalls(sb: Parameters<typeof nightShape>[0]): Promise<CloudCall[]> {
  const logs = await Promise.all(CLOUDS.map((cloud) => sb.inspect(cloud, "GET", "requests")));
  return (logs as Array<{ requests: CloudCall[] }>)
    .flatMap((l) => l.requests)
    .sort((a, b) => Date.parse(a.time!) - Date.parse(b.time!));
}

/** A call that changes a cluster (an Autopilot client certificate, minted by each replica for itself, does not). */
const isChange = (r: CloudCall) =>
  r.method !== "GET" && r.method !== "HEAD" && !r.path.endsWith("/clustercert");
const cloudChanges = async (sb: Parameters<typeof nightShape>[0]) => (await allCalls(sb)).filter(isChange);

/**
 * Cloud-changing calls made more often than the night makes them. Per target and half (its calls
 * until its sleep ended, and after), each (method, path, query) once, except a Huawei pool's PUT
 * (made for its autoscaler and for its size) and an ACK cluster's node removal (once per pool that
 * has nodes). A call naming no target of the night is listed as such.
 */
function repeatedChanges(
  changes: CloudCall[],
  clusters: readonly ResolvedCluster[],
  operations: readonly Operation[],
  before: ReadonlyMap<string, unknown>,
): string[] {
  const sleepEnded = new Map(
    operations.filter((op) => op.kind === "sleep").map((op) => [op.target, Date.parse(op.updatedAt)]),
  );
  const counts = new Map<string, number>();
  const strays: string[] = [];
  for (const r of changes) {
    const cluster = clusters.find((c) => r.path.includes(`/${c.clusterId}`));
    if (!cluster) {
      strays.push(`${r.cloud} ${r.method} ${r.path}: names no target of the night`);
      continue;
    }
    const half = Date.parse(r.time!) <= (sleepEnded.get(cluster.targetId) ?? 0) ? "sleep" : "wake";
    const key = `${half} ${r.cloud} ${r.method} ${r.path}${r.query ? `?${r.query}` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const poolsWithNodes = (clusterId: string) => {
    const shape = [...before].find(([target]) => target.endsWith(`/${clusterId}`))?.[1];
    return Object.values((shape ?? {}) as Record<string, { desired: number }>).filter((p) => p.desired > 0)
      .length;
  };
  const allowed = (key: string) => {
    if (/ huawei PUT .*\/nodepools\/[^/]+$/.test(key)) return 2;
    const removal = / alibaba POST .*\/clusters\/([^/]+)\/nodes\/remove$/.exec(key);
    return removal ? poolsWithNodes(removal[1]!) : 1;
  };
  return [...strays, ...[...counts].filter(([key, n]) => n > allowed(key)).map(([key, n]) => `${key} x${n}`)];
}

/** No ledger entry recorded twice: per operation, each (kind, detail) once. */
async function expectLedgerOnce(store: Store, operations: Operation[]): Promise<void> {
  for (const op of operations) {
    const entries = await store.ledger.query({ operationId: op.id, limit: 1000 });
    const seen = entries.map((e) => `${e.kind} ${JSON.stringify(e.detail)}`);
    expect(
      seen.filter((s, i) => seen.indexOf(s) !== i),
      `ledger entries of ${op.id} recorded twice`,
    ).toEqual([]);
    expect(
      entries.map((e) => e.kind),
      `ledger of ${op.id}`,
    ).toContain(`${op.kind}.succeeded`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
