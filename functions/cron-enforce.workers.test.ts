// `enforce` on clouds that cannot hibernate (Alibaba ACK, Baidu CCE), driven the way the Worker
// runs it, inside workerd over the real local D1: the cron lists the fleet a part per invocation
// (shared/providers/spread-inventory.ts), so for a while some clusters' node pools are not listed.
// Their enforce decision waits (a deferral saying why) and nothing acts on them; the clusters
// enforce reads go first in the listing, ahead of the rest of the fleet; once listed, a cluster
// awake against its schedule is put back to sleep by the queue consumers, and one already asleep
// is left alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../shared/config/config.ts";
import { createHttpClient } from "../shared/http/client.ts";
import {
  countingBackend,
  countingFetch,
  type SubrequestBudget,
  subrequestBudget,
} from "../shared/jobs/budget.ts";
import { CONSUMER_CONCURRENCY } from "../shared/jobs/dispatch.ts";
import { createLogger } from "../shared/log/logger.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import { createProvider } from "../shared/providers/registry.ts";
import { POOLS_NOT_LISTED_YET } from "../shared/providers/spread-inventory.ts";
import { d1Backend } from "../shared/store/d1.workers.ts";
import { createStore, type Operation } from "../shared/store/store.ts";
import { consumeInvocation, SimulatedQueue } from "../test/contract/queue-model.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { DB, emptiedD1 } from "../test/setup/d1.workers.ts";
import { newSandbox, type TestSandbox } from "../test/setup/sandbox.ts";
import { cronTickDeps } from "./cron.ts";
import { runTick, type TickDeps, type TickReport } from "./tick.ts";

const START = "2026-03-02T13:00:00Z"; // Monday 21:00 in Shanghai: the 20:00 sleep is behind
const SLEEP_SLOT = "ali-bd-enforced:asleep:2026-03-02T20:00";
const END_BY = Date.parse("2026-03-02T14:30:00Z");
/**
 * The listing's share in these crons: 3 to 4 node-pool listings a minute, as a cron of a fleet of
 * thousands has for each part of it; the 12 enforced clusters take several minutes.
 */
const LISTING_ALLOWANCE = 16;

// Per cloud: 8 clusters outside the schedule first (a listing stalest-first would take them
// first), then the enforced ones: 3 asleep (pools at 0), 3 awake against the schedule.
const CLUSTERS = [
  ...Array.from({ length: 8 }, (_, i) => ({ name: `other-${i}`, enforced: false, size: 1 })),
  ...Array.from({ length: 3 }, (_, i) => ({ name: `sleeping-${i}`, enforced: true, size: 0 })),
  ...Array.from({ length: 3 }, (_, i) => ({ name: `woken-${i}`, enforced: true, size: 2 })),
];

async function seedFleets(sb: TestSandbox): Promise<Account[]> {
  const ali = {
    name: "enforce-ali",
    accessKeyId: "LTAIenforce0001",
    secretAccessKey: "ali-secret-0001",
    region: "cn-hangzhou",
  };
  const bd = {
    name: "enforce-bd",
    accessKeyId: "bce-enforce-0001",
    secretAccessKey: "bd-secret-0001",
    region: "gz",
  };
  const tags = (enforced: boolean) => (enforced ? { night: "enforced" } : { night: "other" });
  await sb.inspect("alibaba", "POST", "seed", {
    accounts: [ali],
    clusters: CLUSTERS.map((c) => ({
      account: ali.name,
      region: ali.region,
      name: c.name,
      tags: tags(c.enforced),
      nodePools: [{ name: "workers", size: c.size, isDefault: true }],
    })),
  });
  await sb.inspect("baidu", "POST", "seed", {
    accounts: [bd],
    // Listed in clusterID order: the same order as the Alibaba fleet.
    clusters: CLUSTERS.map((c, i) => ({
      account: bd.name,
      clusterName: c.name,
      clusterID: `cce-${String(i).padStart(2, "0")}abcdef`,
      tags: tags(c.enforced),
      instanceGroups: [{ instanceGroupName: "workers", replicas: c.size }],
    })),
  });
  return [
    { id: "enforce-ali", vendor: "alibaba", ...pick(ali), endpoint: sb.alibaba.endpoint },
    { id: "enforce-bd", vendor: "baidu", ...pick(bd), endpoint: sb.baidu.endpoint },
  ];
}

const pick = (a: { accessKeyId: string; secretAccessKey: string; region: string }) => ({
  accessKeyId: a.accessKeyId,
  secretAccessKey: a.secretAccessKey,
  region: a.region,
});

describe("enforce on clusters whose node pools are not listed yet (Alibaba, Baidu)", () => {
  let sb: TestSandbox;
  let simNow: Date;
  const ticks: Array<{ report: TickReport; inventory: Inventory; operations: Operation[] }> = [];
  let operations: Operation[] = [];
  let enforcedIds: string[] = [];
  let woken: string[] = [];
  let providersFor: (
    budget: SubrequestBudget,
  ) => (account: string) => ReturnType<typeof createProvider> | undefined;

  beforeAll(async () => {
    const store = createStore(d1Backend(await emptiedD1()));
    sb = await newSandbox({ speed: 0, seed: 31, start: START });
    simNow = new Date((await sb.inspect("alibaba", "GET", "clock")).now);
    const accounts = await seedFleets(sb);
    providersFor = (budget) => {
      const http = createHttpClient({
        fetch: countingFetch((input, init) => fetch(input, init), budget),
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 2 },
        sleep: async () => {},
      });
      const providers = new Map(
        accounts.map((a) => [
          a.id,
          createProvider(a, { http, now: () => simNow, nonce: () => crypto.randomUUID() }),
        ]),
      );
      return (account) => providers.get(account);
    };
    const schedule = testSchedule({
      name: "ali-bd-enforced",
      mode: "nodes",
      enforce: true,
      releaseNodes: true,
      targets: [{ providers: ["alibaba", "baidu"], tags: { night: "enforced" } }],
      rules: [
        { to: "asleep", days: ["mon", "tue", "wed", "thu", "fri"], at: "20:00" },
        { to: "awake", days: ["mon", "tue", "wed", "thu", "fri"], at: "08:00" },
      ],
    });
    const log = createLogger({ level: "error", write: () => {} });
    const queue = new SimulatedQueue(() => simNow.getTime());
    const cron = async () => {
      const budget = subrequestBudget();
      const counted = createStore(countingBackend(d1Backend(DB), budget));
      const providerFor = providersFor(budget);
      const base: TickDeps = {
        store: counted,
        log,
        schedules: [schedule],
        calendars: new Map(),
        inventory: async () => ({ targets: [], errors: [] }),
        providerFor,
        holder: "worker:enforce-test",
      };
      const deps = cronTickDeps(base, {
        store: counted,
        queue,
        budget,
        providers: accounts.map((a) => providerFor(a.id)!),
        listingAllowance: LISTING_ALLOWANCE,
      });
      let inventory: Inventory | undefined;
      const report = await runTick({
        now: simNow,
        trigger: "cron",
        deps: { ...deps, inventory: async (at) => (inventory = await deps.inventory(at)) },
      });
      ticks.push({ report, inventory: inventory!, operations: await store.operations.list({}, simNow) });
    };
    const advance = async (seconds: number) => {
      simNow = new Date((await sb.inspect("alibaba", "POST", "clock", { advanceSeconds: seconds })).now);
    };

    let nextCron = simNow.getTime();
    while (simNow.getTime() < END_BY) {
      const next = Math.min(nextCron, queue.nextDelivery ?? Number.POSITIVE_INFINITY);
      if (next > simNow.getTime()) await advance((next - simNow.getTime()) / 1000);
      if (next === nextCron) {
        await cron();
        nextCron += 60_000;
        const last = ticks.at(-1)!;
        const settled =
          last.inventory.targets.every((t) => t.tags.night !== "enforced" || t.poolsUnknown === undefined) &&
          last.operations.length > 0 &&
          last.operations.every((op) => op.status === "succeeded") &&
          last.report.decisions.every((d) => d.kind === "skip");
        if (settled) break;
        continue;
      }
      for (let batch = queue.take(simNow.getTime()); batch.length > 0; batch = queue.take(simNow.getTime())) {
        const { report } = await consumeInvocation(batch, queue, d1Backend(DB), {
          providers: providersFor,
          now: simNow,
          log,
          holder: "worker:enforce-consumer",
          concurrency: CONSUMER_CONCURRENCY,
        });
        queue.settle(batch, new Set(report.retry), simNow.getTime());
      }
    }
    operations = await store.operations.list({}, simNow);
    const enforced = ticks[0]!.inventory.targets.filter((t) => t.tags.night === "enforced");
    enforcedIds = enforced.map((t) => t.targetId);
    woken = enforced.filter((t) => t.name.startsWith("woken-")).map((t) => t.targetId);
  }, 120_000);

  afterAll(async () => {
    await sb?.stop();
  });

  it("lists the enforced clusters' pools first, the rest of the fleet after them", () => {
    expect(enforcedIds).toHaveLength(12);
    const first = ticks[0]!.inventory.targets;
    const listed = first.filter((t) => t.poolsUnknown === undefined);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((t) => t.tags.night === "enforced")).toBe(true);
    // Every enforced cluster's pools before any other's.
    const allEnforcedAt = ticks.findIndex((t) =>
      t.inventory.targets.every((x) => x.tags.night !== "enforced" || x.poolsUnknown === undefined),
    );
    expect(allEnforcedAt).toBeGreaterThan(1);
    for (const tick of ticks.slice(0, allEnforcedAt)) {
      expect(tick.inventory.targets.filter((t) => t.tags.night === "other" && !t.poolsUnknown)).toEqual([]);
    }
  });

  it("defers each enforced cluster, saying why, while its pools are not listed; acts on none of them", () => {
    let deferrals = 0;
    for (const { report, inventory, operations } of ticks.slice(1)) {
      for (const target of inventory.targets.filter(
        (t) => t.poolsUnknown !== undefined && enforcedIds.includes(t.targetId),
      )) {
        expect(target.nodePools).toEqual([]);
        const decision = report.decisions.find((d) => d.target === target.targetId);
        expect(decision, target.targetId).toEqual({
          target: target.targetId,
          kind: "defer",
          to: "asleep",
          schedule: "ali-bd-enforced",
          reason: "unobserved",
          detail: `node pools ${POOLS_NOT_LISTED_YET}`,
        });
        expect(operations.filter((op) => op.target === target.targetId)).toEqual([]);
        deferrals++;
      }
    }
    // Woken clusters among them: they were awake all along, and still nothing acted blind.
    const deferredWoken = ticks
      .slice(1)
      .flatMap((t) => t.report.decisions)
      .filter((d) => d.reason === "unobserved" && woken.includes(d.target));
    expect(deferrals).toBeGreaterThan(4);
    expect(deferredWoken.length).toBeGreaterThan(0);
  });

  it("converges once the pools are listed: each woken cluster slept by one enforce operation, the others untouched", async () => {
    expect(operations.map((op) => op.id).sort()).toEqual(
      woken.map((t) => `${SLEEP_SLOT}@${t}#enforce`).sort(),
    );
    for (const op of operations) expect(op, op.id).toMatchObject({ kind: "sleep", status: "succeeded" });
    const providerFor = providersFor(subrequestBudget(Number.MAX_SAFE_INTEGER));
    for (const targetId of enforcedIds) {
      const [account, clusterId] = targetId.split("/") as [string, string];
      const pools = await providerFor(account)!.listNodePools(clusterId);
      expect(
        pools.map((p) => p.desired),
        targetId,
      ).toEqual([0]);
    }
    // The last cron: every enforced cluster observed asleep, nothing left to do.
    const last = ticks.at(-1)!.report.decisions;
    expect(last.filter((d) => enforcedIds.includes(d.target)).map((d) => d.reason)).toEqual(
      enforcedIds.map(() => "already-handled"),
    );
  });
});
