// For the resize contract tests: the night harness (a sandbox standing still, providers on its
// clock) running both job kinds, with a schedule owning the Huawei dev clusters, `accept` over the
// harness's store, and helpers to build events and read what the cloud saw.

import { createAcceptEvents } from "../../functions/resize/accept.ts";
import { resizeJob } from "../../functions/resize/job.ts";
import { sleepWakeJob } from "../../functions/sleepwake/job.ts";
import type { AcceptEvents, InboundEvent } from "../../shared/events/inbound.ts";
import type { JobKind, OutcomeEvent } from "../../shared/jobs/job-kind.ts";
import { createLogger } from "../../shared/log/logger.ts";
import type { ResizeRule } from "../../shared/rules/rule-schema.ts";
import { parseScheduleFile } from "../../shared/schedule/schedule-file.ts";
import type { Schedule } from "../../shared/schedule/types.ts";
import type { Store } from "../../shared/store/store.ts";
import { type NightHarness, startNightHarness } from "./sleepwake-harness.ts";

export const JOBS = [sleepWakeJob, resizeJob] as readonly JobKind<unknown, OutcomeEvent>[];

export const SCHEDULE = `name: dev-nights
timezone: Asia/Shanghai
mode: full
targets: [{ accounts: [sandbox-huawei-platform-dev-cn-north-4], names: [dev-core] }]
sleep: [{ days: daily, at: "20:00" }]
wake: [{ days: daily, at: "08:00" }]
`;

/** Schedules and rules from YAML text, as schedules/ would hold them. */
export function loadText(text: string): { schedules: Schedule[]; rules: ResizeRule[] } {
  const parsed = parseScheduleFile(text, "schedules/test.yaml");
  if ("errors" in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed;
}

export interface ResizeHarness extends NightHarness {
  accept(rules: readonly ResizeRule[]): AcceptEvents;
  devCore(): Promise<{ account: string; clusterId: string }>;
  /** The pool of dev-core named `name`, as the cloud shows it. */
  pool(name: string): Promise<{
    id: string;
    desired: number;
    ready: number;
    autoscaling?: { enabled: boolean; min: number; max: number };
  }>;
  /** Huawei requests that changed a node pool (PUT …/nodepools/…), since the last reset. */
  poolWrites(): Promise<Array<{ path: string; seq: number }>>;
  /** Runs until no operation is unfinished (or `maxTicks`). */
  runAll(maxTicks?: number): Promise<void>;
}

let events = 0;
/** An Alertmanager alert as the webhook routes normalise it (a fresh id unless given). */
export function alert(labels: Record<string, string>, extra: Partial<InboundEvent> = {}): InboundEvent {
  return {
    source: "alertmanager",
    id: `alert-${++events}`,
    type: labels.alertname ?? "KubePodsPending",
    status: "firing",
    labels,
    data: {},
    occurredAt: "2026-03-02T10:00:00Z",
    origin: { receiver: "nightshift" },
    ...extra,
  };
}

export async function startResizeHarness(options: {
  seed: number;
  start?: string;
  store?: Store;
}): Promise<ResizeHarness> {
  const { schedules } = loadText(SCHEDULE);
  const night = await startNightHarness({
    seed: options.seed,
    ...(options.start ? { start: options.start } : {}),
    jobs: JOBS,
    schedules,
    ...(options.store ? { store: options.store } : {}),
  });
  const log = createLogger({ level: "error", write: () => {} });
  let resetSeq = 0;
  const harness: ResizeHarness = {
    ...night,
    accept: (rules) =>
      createAcceptEvents({
        store: night.store,
        rules,
        accounts: new Map([...night.providers].map(([id, p]) => [id, { kind: p.kind, region: p.region }])),
        log,
      }),
    async devCore() {
      const account = night.account("huawei", "platform-dev-cn-north-4").id;
      const cluster = (await night.provider(account).listClusters()).find((c) => c.name === "dev-core")!;
      return { account, clusterId: cluster.id };
    },
    async pool(name) {
      const { account, clusterId } = await harness.devCore();
      const pool = (await night.provider(account).listNodePools(clusterId)).find((p) => p.name === name)!;
      return pool;
    },
    async poolWrites() {
      const log = (await night.sb.inspect("huawei", "GET", "requests")).requests as Array<{
        seq: number;
        method: string;
        path: string;
      }>;
      return log.filter((r) => r.seq > resetSeq && r.method === "PUT" && r.path.includes("/nodepools/"));
    },
    async runAll(maxTicks = 200) {
      for (let i = 0; i < maxTicks; i++) {
        await night.tick();
        const active = await night.store.operations.list(
          { status: ["pending", "running", "waiting"] },
          night.now(),
        );
        if (active.length === 0) return;
        await night.advanceClock(60);
      }
      throw new Error("operations still unfinished");
    },
  };
  const markReset = async () => {
    const log = (await night.sb.inspect("huawei", "GET", "requests")).requests as Array<{ seq: number }>;
    resetSeq = log.at(-1)?.seq ?? 0;
  };
  (harness as ResizeHarness & { markReset: () => Promise<void> }).markReset = markReset;
  return harness;
}

/** Forgets the cloud requests seen so far (poolWrites counts from here). */
export async function markRequests(h: ResizeHarness): Promise<void> {
  await (h as ResizeHarness & { markReset: () => Promise<void> }).markReset();
}
