// For the scheduled-night contract test: a sandbox whose clock stands still until the test moves
// it, providers for every sandbox account signing with that clock, and the tick's dependencies
// over a given store and schedules — so `runTick` runs exactly as the Worker's cron handler runs
// it, with the night's time supplied by the test.
import { runTick, type TickDeps, type TickReport } from "../../functions/tick.ts";
import type { Account } from "../../shared/config/config.ts";
import { createHttpClient, type Fetch } from "../../shared/http/client.ts";
import { countingFetch, type SubrequestBudget } from "../../shared/jobs/budget.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { listInventory } from "../../shared/providers/inventory.ts";
import type { Provider } from "../../shared/providers/port.ts";
import { createProvider } from "../../shared/providers/registry.ts";
import { sandboxAccounts } from "../../shared/sandbox/accounts.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";
import type { FaultRates } from "../../shared/sandbox/faults.ts";
import type { Schedule, SleepMode, Weekday } from "../../shared/schedule/types.ts";
import type { Store } from "../../shared/store/store.ts";
import { testSchedule } from "../fixtures/schedule.ts";
import { newSandbox, type TestSandbox } from "../setup/sandbox.ts";
import { autopilotWorkloadsOf, poolShape } from "./sleepwake-harness.ts";

export const CLOUDS: readonly CloudName[] = ["huawei", "autopilot", "alibaba", "baidu"];

export interface ClusterRef {
  cloud: CloudName;
  /** The sandbox account's name on its cloud, e.g. "platform-dev-cn-north-4". */
  accountName: string;
  /** The cluster's name; its id is minted by the sandbox seed. */
  cluster: string;
}

export interface ResolvedCluster extends ClusterRef {
  account: string;
  clusterId: string;
  targetId: string;
  provider: Provider;
}

export interface ScheduledNight {
  sb: TestSandbox;
  /** The sandbox time, as the clouds see it. */
  now(): Date;
  accounts: Account[];
  resolve(ref: ClusterRef): Promise<ResolvedCluster>;
  /** Moves the sandbox clock (every cloud shares it) and `now` forward. */
  advance(seconds: number): Promise<void>;
  /** Fault rates on every cloud at once. */
  faults(rates: Partial<FaultRates>): Promise<void>;
  /**
   * The tick's dependencies, as the Worker builds them, over the test's store and schedules (and
   * any further dependency: an event bus, Kubernetes access).
   */
  tickDeps(store: Store, schedules: readonly Schedule[], extra?: Partial<TickDeps>): TickDeps;
  /** The steps' providers (as `tickDeps`'), each fetch counted against `budget`. */
  countedProviders(budget: SubrequestBudget): (account: string) => Provider | undefined;
  /** One cron tick at the sandbox time. */
  tick(deps: TickDeps): Promise<TickReport>;
  /** Every log line the ticks wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startScheduledNight(options: {
  seed: number;
  start: string;
  /**
   * Attempts per call when listing the inventory and inspecting clusters. With 15% faulty answers,
   * 6 keeps a lost listing (a target missing from a tick) below 1e-5 per call.
   */
  httpAttempts?: number;
  /**
   * Attempts per call in the sleep/wake steps. 1 lets every fault reach the runner, which backs
   * off and retries on a later tick.
   */
  stepHttpAttempts?: number;
  /** Per-attempt timeout of every call (default the client's): short when the clouds hold requests. */
  timeoutMs?: number;
}): Promise<ScheduledNight> {
  const sb = await newSandbox({ speed: 0, seed: options.seed, start: options.start });
  let simNow = new Date((await sb.inspect("huawei", "GET", "clock")).now);
  const accounts = sandboxAccounts({
    huawei: sb.huawei,
    autopilot: sb.autopilot,
    alibaba: sb.alibaba,
    baidu: sb.baidu,
  });
  // Retries inside one call are instant (Retry-After included): the night's clock is the sandbox's.
  const providersWith = (attempts: number, fetch: Fetch = (input, init) => globalThis.fetch(input, init)) => {
    const http = createHttpClient({
      fetch,
      retry: { attempts, baseDelayMs: 1, maxDelayMs: 2 },
      sleep: async () => {},
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    return new Map(
      accounts.map((a) => [
        a.id,
        createProvider(a, { http, now: () => simNow, nonce: () => crypto.randomUUID() }),
      ]),
    );
  };
  const providers = providersWith(options.httpAttempts ?? 6);
  const stepProviders = providersWith(options.stepHttpAttempts ?? 1);
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: "info",
    write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    now: () => simNow,
    fields: { host: "workers" },
  });

  return {
    sb,
    now: () => simNow,
    accounts,
    resolve: (ref) => resolveCluster(accounts, providers, ref),
    async advance(seconds) {
      simNow = new Date((await sb.inspect("huawei", "POST", "clock", { advanceSeconds: seconds })).now);
    },
    async faults(rates) {
      for (const cloud of CLOUDS) await sb.inspect(cloud, "PUT", "faults", rates);
    },
    tickDeps(store, schedules, extra = {}) {
      return {
        store,
        log,
        schedules,
        calendars: new Map(),
        // Listed afresh every tick: the night's decisions see the clouds as they are.
        inventory: () => listInventory([...providers.values()]),
        providerFor: (account) => stepProviders.get(account),
        holder: "worker:night-test",
        ...extra,
      };
    },
    countedProviders(budget) {
      const counted = providersWith(
        options.stepHttpAttempts ?? 1,
        countingFetch((input, init) => globalThis.fetch(input, init), budget),
      );
      return (account) => counted.get(account);
    },
    tick: (deps) => runTick({ now: simNow, trigger: "cron", deps }),
    logs,
    stop: () => sb.stop(),
  };
}

/** A cluster of the sandbox by its account's and its own name, with that account's provider. */
export async function resolveCluster(
  accounts: readonly Account[],
  providers: ReadonlyMap<string, Provider>,
  ref: ClusterRef,
): Promise<ResolvedCluster> {
  const account = accounts.find(
    (a) => a.vendor === ref.cloud && a.id === `sandbox-${ref.cloud}-${ref.accountName}`,
  );
  if (!account) {
    throw new Error(
      `no sandbox ${ref.cloud} account ${ref.accountName}: ${accounts.map((a) => a.id).join(", ")}`,
    );
  }
  const provider = providers.get(account.id)!;
  const cluster = (await provider.listClusters()).find((c) => c.name === ref.cluster);
  if (!cluster) throw new Error(`no ${ref.cloud} cluster ${ref.cluster} in ${account.id}`);
  return {
    ...ref,
    account: account.id,
    clusterId: cluster.id,
    targetId: `${account.id}/${cluster.id}`,
    provider,
  };
}

/** What a night must give back exactly: an Autopilot cluster's workloads, else every pool's size and autoscaler. */
export async function nightShape(sb: TestSandbox, cluster: ResolvedCluster): Promise<unknown> {
  return cluster.cloud === "autopilot"
    ? autopilotWorkloadsOf(sb, cluster.clusterId)
    : poolShape(await cluster.provider.listNodePools(cluster.clusterId));
}

/** The namespaces a workloads-mode schedule of the cluster scales: all of its workloads' but kube-system. */
export async function workloadNamespaces(sb: TestSandbox, cluster: ResolvedCluster): Promise<string[]> {
  if (cluster.cloud !== "autopilot") return [];
  const workloads = await autopilotWorkloadsOf(sb, cluster.clusterId);
  return [...new Set(workloads.map((w) => w.namespace).filter((ns) => ns !== "kube-system"))];
}

// The night's subjects: one schedule per provider and mode, weeknights 20:00 to 08:00 in Shanghai.
const WEEKDAYS: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];

export interface Subject extends ClusterRef {
  schedule: string;
  mode: SleepMode;
  releaseNodes?: boolean;
}

/** Every provider with every mode it supports (functions/sleepwake/plan-steps.ts): the chaos nights' fleet. */
export const NIGHT_SUBJECTS: Subject[] = [
  {
    schedule: "huawei-full",
    mode: "full",
    cloud: "huawei",
    accountName: "platform-dev-cn-north-4",
    cluster: "dev-core",
  },
  {
    schedule: "huawei-control-plane",
    mode: "control-plane",
    cloud: "huawei",
    accountName: "platform-dev-ap-southeast-1",
    cluster: "sg-dev",
  },
  {
    schedule: "huawei-nodes",
    mode: "nodes",
    cloud: "huawei",
    accountName: "qa-team-cn-north-4",
    cluster: "qa-e2e",
  },
  {
    schedule: "autopilot-workloads",
    mode: "workloads",
    cloud: "autopilot",
    accountName: "dev-cn-north-4",
    cluster: "ap-dev-web",
  },
  {
    schedule: "alibaba-full",
    mode: "full",
    releaseNodes: true,
    cloud: "alibaba",
    accountName: "ack-dev",
    cluster: "qa-api",
  },
  {
    schedule: "alibaba-nodes",
    mode: "nodes",
    releaseNodes: true,
    cloud: "alibaba",
    accountName: "ack-dev",
    cluster: "dev-web",
  },
  {
    schedule: "apsara-nodes",
    mode: "nodes",
    releaseNodes: true,
    cloud: "alibaba",
    accountName: "apsara-ops",
    cluster: "ops-tools",
  },
  { schedule: "baidu-full", mode: "full", cloud: "baidu", accountName: "acme-bj", cluster: "web-staging" },
  { schedule: "baidu-nodes", mode: "nodes", cloud: "baidu", accountName: "acme-gz", cluster: "data-dev" },
];

/** The contract nights' fleet: one of each Huawei mode, ACK nodes, Baidu nodes. */
export const SUBJECTS: Subject[] = [
  "huawei-full",
  "huawei-control-plane",
  "huawei-nodes",
  "alibaba-nodes",
  "baidu-nodes",
].map((schedule) => NIGHT_SUBJECTS.find((subject) => subject.schedule === schedule)!);

export function scheduleFor(subject: Subject, cluster: ResolvedCluster): Schedule {
  return testSchedule({
    name: subject.schedule,
    mode: subject.mode,
    targets: [{ accounts: [cluster.account], clusterIds: [cluster.clusterId] }],
    rules: [
      { to: "asleep", days: WEEKDAYS, at: "20:00" },
      { to: "awake", days: WEEKDAYS, at: "08:00" },
    ],
    releaseNodes: subject.releaseNodes ?? false,
  });
}
