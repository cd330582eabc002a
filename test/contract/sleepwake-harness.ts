// For the sleep/wake contract tests: a sandbox with its clock standing still, providers for every
// sandbox account signing with the sandbox clock, an in-memory store, and a loop that runs
// whole nights: { runDueOperations; the clock and `now` forward 60 s } until the operation ends.

import { sleepWakeJob } from "../../functions/sleepwake/job.ts";
import type { KubernetesAccess, SleepWakeEvent } from "../../functions/sleepwake/steps.ts";
import type { Account } from "../../shared/config/config.ts";
import type { Fetch } from "../../shared/http/client.ts";
import type { JobKind, OutcomeEvent } from "../../shared/jobs/job-kind.ts";
import { type RunDueOptions, type RunReport, runDueOperations } from "../../shared/jobs/runtime.ts";
import { createLogger } from "../../shared/log/logger.ts";
import type { WorkloadKind } from "../../shared/providers/kubernetes.ts";
import type { Provider } from "../../shared/providers/port.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";
import type { Schedule } from "../../shared/schedule/types.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, FINISHED, type Operation, type Store } from "../../shared/store/store.ts";
import { newSandbox, sandboxProviders, type TestSandbox } from "../setup/sandbox.ts";

export const TICK_SECONDS = 60;

export interface SleepWakeInputFields {
  direction: "sleep" | "wake";
  mode: "full" | "control-plane" | "nodes" | "workloads";
  provider: CloudName;
  account: string;
  clusterId: string;
  releaseNodes?: boolean;
  namespaces?: string[];
}

/** A workload of an Autopilot sandbox cluster, as the sandbox's inspection API shows it. */
export interface AutopilotWorkload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  replicas: number;
  running: number;
}

export interface NightHarness {
  sb: TestSandbox;
  store: Store;
  now(): Date;
  accounts: Account[];
  /** The providers by account id, signing on the sandbox's clock. */
  providers: ReadonlyMap<string, Provider>;
  /** The sandbox account whose name is `name` on `cloud` (e.g. "platform-dev-cn-north-4"). */
  account(cloud: CloudName, name: string): Account;
  provider(accountId: string): Provider;
  advanceClock(seconds: number): Promise<void>;
  createOperation(fields: SleepWakeInputFields): Promise<Operation>;
  /** One runner pass at the current sandbox time. */
  tick(extra?: Partial<RunDueOptions<SleepWakeEvent>>): Promise<RunReport<SleepWakeEvent>>;
  /** Ticks and moves the clock until the operation is finished; throws after `maxTicks`. */
  runUntilFinished(id: string, maxTicks?: number): Promise<Operation>;
  /** Ticks until the operation is about to run `step` (and returns it, unmodified). */
  runUntilStep(id: string, step: string, maxTicks?: number): Promise<Operation>;
  events: SleepWakeEvent[];
  ledger(operationId: string): Promise<LedgerEntry[]>;
  /** The workloads of the Autopilot sandbox cluster `clusterId` (its uid), as the sandbox holds them. */
  autopilotWorkloads(clusterId: string): Promise<AutopilotWorkload[]>;
  stop(): Promise<void>;
}

export async function startNightHarness(options: {
  seed: number;
  start?: string;
  kube?: KubernetesAccess;
  /** Attempts per call in the HTTP layer (1: every fault reaches the runner). Default 4. */
  httpAttempts?: number;
  /** The job kinds the runner advances (default: sleep/wake only). */
  jobs?: readonly JobKind<unknown, OutcomeEvent>[];
  /** The schedules the steps see (StepEnv.schedules). */
  schedules?: readonly Schedule[];
  /** Default: a fresh in-memory store. */
  store?: Store;
  /** Per-attempt timeout of every call (default the client's): short when the clouds hold requests. */
  timeoutMs?: number;
  /** The providers' transport (default: global fetch), e.g. one that watches the calls. */
  fetch?: Fetch;
}): Promise<NightHarness> {
  const sb = await newSandbox({
    speed: 0,
    seed: options.seed,
    ...(options.start ? { start: options.start } : {}),
  });
  let simNow = new Date((await sb.inspect("huawei", "GET", "clock")).now);
  const { accounts, providers } = sandboxProviders(sb, {
    now: () => simNow,
    attempts: options.httpAttempts ?? 4,
    maxDelayMs: 2,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const store = options.store ?? createStore(memoryBackend());
  const log = createLogger({ level: "error", write: () => {}, now: () => simNow });
  const events: SleepWakeEvent[] = [];
  let counter = 0;

  const harness: NightHarness = {
    sb,
    store,
    now: () => simNow,
    accounts,
    providers,
    account(cloud, name) {
      const found = accounts.find((a) => a.vendor === cloud && a.id === `sandbox-${cloud}-${name}`);
      if (!found)
        throw new Error(`no sandbox ${cloud} account ${name}: ${accounts.map((a) => a.id).join(", ")}`);
      return found;
    },
    provider(accountId) {
      const found = providers.get(accountId);
      if (!found) throw new Error(`no provider for ${accountId}`);
      return found;
    },
    async advanceClock(seconds) {
      simNow = new Date((await sb.inspect("huawei", "POST", "clock", { advanceSeconds: seconds })).now);
    },
    async createOperation(fields) {
      const id = `${fields.direction}-${fields.clusterId}-${++counter}`;
      const { operation } = await store.operations.create(
        {
          id,
          target: `${fields.account}/${fields.clusterId}`,
          kind: fields.direction,
          step: "start",
          data: {
            schedule: "test-schedule",
            slot: `test-schedule:${fields.direction}:${counter}`,
            releaseNodes: false,
            namespaces: [],
            ...fields,
          },
        },
        { now: simNow },
      );
      return operation;
    },
    async tick(extra = {}) {
      const report = await runDueOperations({
        store,
        jobs: (options.jobs ?? [sleepWakeJob]) as readonly JobKind<unknown, SleepWakeEvent>[],
        ...(options.schedules ? { schedules: options.schedules } : {}),
        providers: (account) => providers.get(account),
        ...(options.kube ? { kube: options.kube } : {}),
        now: simNow,
        log,
        holder: "test-worker",
        ...extra,
      });
      events.push(...report.events);
      return report;
    },
    async runUntilFinished(id, maxTicks = 400) {
      for (let i = 0; i < maxTicks; i++) {
        await harness.tick();
        const op = await store.operations.get(id, simNow);
        if (op && FINISHED.includes(op.status)) return op;
        await harness.advanceClock(TICK_SECONDS);
      }
      const op = await store.operations.get(id, simNow);
      throw new Error(`operation ${id} did not finish in ${maxTicks} ticks: ${JSON.stringify(op)}`);
    },
    async runUntilStep(id, step, maxTicks = 200) {
      for (let i = 0; i < maxTicks; i++) {
        const op = await store.operations.get(id, simNow);
        if (!op || FINISHED.includes(op.status)) throw new Error(`operation ${id} ended before step ${step}`);
        const due = op.nextAttemptAt === undefined || Date.parse(op.nextAttemptAt) <= simNow.getTime();
        if (op.step === step && due) return op;
        // One step per tick, so the operation can be caught at `step`.
        if (due) await harness.tick({ stepsPerOperation: 1 });
        else await harness.advanceClock(TICK_SECONDS);
      }
      throw new Error(`operation ${id} never reached step ${step}`);
    },
    events,
    ledger: (operationId) => store.ledger.query({ operationId, limit: 1000 }),
    autopilotWorkloads: (clusterId) => autopilotWorkloadsOf(sb, clusterId),
    stop: () => sb.stop(),
  };
  return harness;
}

/** The workloads of the Autopilot sandbox cluster `clusterId` (its uid), as the sandbox holds them. */
export async function autopilotWorkloadsOf(sb: TestSandbox, clusterId: string): Promise<AutopilotWorkload[]> {
  const state = (await sb.inspect("autopilot", "GET", "state")).state;
  const found = state.clusters.find(
    (c: { cluster: { metadata: { uid: string } } }) => c.cluster.metadata.uid === clusterId,
  );
  if (!found) throw new Error(`no autopilot cluster ${clusterId} in the sandbox`);
  return (found.workloads as AutopilotWorkload[]).map(({ kind, namespace, name, replicas, running }) => ({
    kind,
    namespace,
    name,
    replicas,
    running,
  }));
}

/** What must come back after a wake: each pool's size and autoscaler, by name. */
export function poolShape(
  pools: Array<{ name: string; desired: number; ready: number; autoscaling?: unknown }>,
) {
  return Object.fromEntries(
    pools.map((p) => [p.name, { desired: p.desired, ready: p.ready, autoscaling: p.autoscaling ?? null }]),
  );
}
