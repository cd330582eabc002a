// Chaos: a resize storm. Many alerts at once across the node pools of every cloud that has pools
// (Huawei CCE, Alibaba ACK and Apsara Stack, Baidu CCE), each pool getting two to six distinct
// alerts and each alert delivered one to three times, all accepted concurrently; then the runner
// works them off through issue 15's fault mix. The rule adds one node per alert up to a ceiling, so
// what the rules decide is known in advance: every pool ends at exactly min(before + alerts, MAX).
// One resize lost or applied twice shows as a size off by one. One cluster (dev-batch) is
// hibernated: the rule leaves its pool alone, so it must end exactly as it was.
import { expect } from "vitest";
import type { InboundEvent } from "../../shared/events/inbound.ts";
import { FINISHED } from "../../shared/store/store.ts";
import { alert, JOBS, loadText } from "../contract/resize-harness.ts";
import { startNightHarness } from "../contract/sleepwake-harness.ts";
import {
  CHAOS_CLIENT_TIMEOUT_MS,
  CHAOS_FAULTS,
  chaosIt,
  cloudCalls,
  printFigures,
  setFaults,
} from "./chaos.ts";

const MAX = 8;
const RULE = `kind: resize
name: storm-grow
match: { type: StormBacklog }
action: { add: 1 }
max: ${MAX}
cooldownMinutes: 0
`;
const MAX_TICKS = 400;

/** Pools without an autoscaler (whose size, not bounds, the rule moves), by cloud, account, cluster. */
const POOLS: Array<{
  cloud: "huawei" | "alibaba" | "baidu";
  accountName: string;
  cluster: string;
  pool: string;
  /** The cluster sleeps: the rule leaves its pools alone. */
  hibernated?: true;
}> = [
  { cloud: "huawei", accountName: "platform-dev-cn-north-4", cluster: "dev-core", pool: "batch" },
  {
    cloud: "huawei",
    accountName: "platform-dev-cn-north-4",
    cluster: "dev-batch",
    pool: "workers",
    hibernated: true,
  },
  { cloud: "huawei", accountName: "qa-team-cn-north-4", cluster: "qa-e2e", pool: "browsers" },
  { cloud: "huawei", accountName: "qa-team-cn-north-4", cluster: "qa-perf", pool: "load" },
  { cloud: "huawei", accountName: "platform-dev-ap-southeast-1", cluster: "sg-dev", pool: "general" },
  { cloud: "alibaba", accountName: "ack-dev", cluster: "dev-web", pool: "default-nodepool" },
  { cloud: "alibaba", accountName: "ack-dev", cluster: "qa-api", pool: "default-nodepool" },
  { cloud: "alibaba", accountName: "apsara-ops", cluster: "ops-tools", pool: "default-nodepool" },
  { cloud: "baidu", accountName: "acme-bj", cluster: "web-staging", pool: "default" },
  { cloud: "baidu", accountName: "acme-bj", cluster: "web-staging", pool: "gpu" },
  { cloud: "baidu", accountName: "acme-bj", cluster: "web-prod", pool: "batch" },
];

chaosIt("a resize storm across every cloud's pools, through faults", async (scenario) => {
  const h = await startNightHarness({
    seed: scenario.seed,
    jobs: JOBS,
    httpAttempts: 3,
    timeoutMs: CHAOS_CLIENT_TIMEOUT_MS,
  });
  try {
    const { rules } = loadText(RULE);
    const { createAcceptEvents } = await import("../../functions/resize/accept.ts");
    const { createLogger } = await import("../../shared/log/logger.ts");
    const accept = createAcceptEvents({
      store: h.store,
      rules,
      accounts: new Map([...h.providers].map(([id, p]) => [id, { kind: p.kind, region: p.region }])),
      log: createLogger({ level: "error", write: () => {} }),
    });

    const subjects = [];
    for (const spec of POOLS) {
      const account = h.account(spec.cloud, spec.accountName).id;
      const provider = h.provider(account);
      const cluster = (await provider.listClusters()).find((c) => c.name === spec.cluster);
      if (!cluster) throw new Error(`no ${spec.cloud} cluster ${spec.cluster}`);
      const pool = (await provider.listNodePools(cluster.id)).find((p) => p.name === spec.pool);
      if (!pool) throw new Error(`no pool ${spec.pool} in ${spec.cloud} ${spec.cluster}`);
      expect(pool.autoscaling?.enabled ?? false, `${spec.cluster}/${spec.pool}`).toBe(false);
      const alerts = 2 + Math.floor(scenario.random() * 5);
      subjects.push({ ...spec, account, provider, clusterId: cluster.id, before: pool.desired, alerts });
    }

    // The storm: every alert delivered 1-3 times, in a seeded shuffle, all at once.
    const deliveries: InboundEvent[] = [];
    for (const s of subjects) {
      for (let i = 0; i < s.alerts; i++) {
        const event = alert(
          { alertname: "StormBacklog", account: s.account, cluster: s.clusterId, pool: s.pool },
          { id: `storm-${s.cluster}-${s.pool}-${i}` },
        );
        const copies = 1 + Math.floor(scenario.random() * 3);
        for (let c = 0; c < copies; c++) deliveries.push(event);
      }
    }
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(scenario.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const distinct = subjects.reduce((sum, s) => sum + s.alerts, 0);
    const answers = (await Promise.all(deliveries.map((event) => accept([event], h.now())))).flat();
    expect(answers.filter((a) => a.status === "accepted")).toHaveLength(distinct);
    expect(answers.filter((a) => a.status === "duplicate")).toHaveLength(deliveries.length - distinct);

    await setFaults(h.sb, CHAOS_FAULTS);
    let ticks = 0;
    for (; ticks < MAX_TICKS; ticks++) {
      await h.tick();
      const active = await h.store.operations.list({ status: ["pending", "running", "waiting"] }, h.now());
      if (active.length === 0) break;
      await h.advanceClock(60);
    }
    await setFaults(h.sb, "none");
    const { calls, faults } = await cloudCalls(h.sb);

    const operations = await h.store.operations.list({}, h.now());
    expect(operations.filter((op) => op.kind === "resize")).toHaveLength(distinct);
    expect(
      operations
        .filter((op) => !FINISHED.includes(op.status) || op.status === "failed")
        .map((op) => [op.id, op.status, op.error]),
    ).toEqual([]);
    const sizes = await Promise.all(
      subjects.map(async (s) => {
        const pool = (await s.provider.listNodePools(s.clusterId)).find((p) => p.name === s.pool)!;
        return [`${s.cluster}/${s.pool}`, pool.desired];
      }),
    );
    expect(Object.fromEntries(sizes)).toEqual(
      Object.fromEntries(
        subjects.map((s) => [
          `${s.cluster}/${s.pool}`,
          s.hibernated ? s.before : Math.min(s.before + s.alerts, MAX),
        ]),
      ),
    );
    expect(Object.keys(faults).sort()).toEqual(["reset", "server-error", "throttle", "timeout"]);

    await printFigures({
      scenario: "resize storm",
      targets: subjects.length,
      cloudCalls: calls,
      faults,
      retries: operations.reduce((sum, op) => sum + op.attempts, 0),
      ms: performance.now() - scenario.startedAt,
      extra: { deliveries: deliveries.length, alerts: distinct, operations: operations.length, ticks },
    });
  } finally {
    await h.stop();
  }
});
