// What a sleep/wake operation carries in `Operation.data`: the input the engine wrote when it
// created the operation (validated here, so a bad record fails with the field named), and the
// progress the steps keep so any worker can resume where the last one stopped.
import * as z from "zod";
import type { WorkloadKind } from "../../shared/providers/kubernetes.ts";
import { type Completion, type NodePoolAutoscaling, PROVIDER_KINDS } from "../../shared/providers/port.ts";

export const sleepWakeInputSchema = z.object({
  direction: z.enum(["sleep", "wake"]),
  mode: z.enum(["full", "control-plane", "nodes", "workloads"]),
  provider: z.enum(PROVIDER_KINDS),
  account: z.string().min(1),
  clusterId: z.string().min(1),
  schedule: z.string(),
  slot: z.string(),
  releaseNodes: z.boolean().default(false),
  namespaces: z.array(z.string().min(1)).default([]),
});

export type SleepWakeInput = z.output<typeof sleepWakeInputSchema>;

export type OperationDataResult = { ok: true; input: SleepWakeInput } | { ok: false; message: string };

export function readInput(data: Record<string, unknown>): OperationDataResult {
  const parsed = sleepWakeInputSchema.safeParse(data);
  if (parsed.success) return { ok: true, input: parsed.data };
  const problems = parsed.error.issues.map((i) => `data.${i.path.join(".") || "(root)"}: ${i.message}`);
  return {
    ok: false,
    message: `the sleep/wake operation's data is invalid (${problems.join("; ")}); it must be recreated`,
  };
}

// ---------------------------------------------------------------------------------------------
// The snapshot a sleep takes before changing anything (store.snapshots, keyed by target).

export interface PoolSnapshot {
  id: string;
  name: string;
  desired: number;
  autoscaling?: NodePoolAutoscaling;
}

export interface WorkloadSnapshot {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  replicas: number;
}

export interface SnapshotContent {
  pools?: PoolSnapshot[];
  workloads?: WorkloadSnapshot[];
}

export const workloadKey = (w: Pick<WorkloadSnapshot, "kind" | "namespace" | "name">) =>
  `${w.kind}/${w.namespace}/${w.name}`;

// ---------------------------------------------------------------------------------------------
// Progress, under data.progress

export interface Conflict {
  resource: "pool" | "workload";
  id: string;
  name: string;
  /** What the sleep left (0) and what the snapshot says to restore. */
  expected: number;
  restore: number;
  /** What was found instead (absent: the resource is gone). */
  found?: number;
  reason: string;
}

export interface Progress {
  /** The snapshot this operation works from (a copy), with the stored version a wake drops. */
  snapshot?: { version: number; content: SnapshotContent };
  /** Pools or workloads (ids / workload keys) the current step is finished with. */
  handled?: string[];
  /** The completions of the cloud calls made, to poll (keyed by pool id or workload key). */
  completions?: Record<string, Completion>;
  conflicts?: Conflict[];
  /** The actions taken so far, e.g. "scale-pool batch 2→0", for the outcome event. */
  taken?: string[];
  /** Set when the step found nothing to do (the cluster was already there). */
  skipped?: string;
  /** What the operation is waiting for, for people reading it. */
  waitingFor?: string;
  /** Consecutive transient failures, for the backoff (reset by the next success). */
  failures?: number;
  /** A Kubernetes client certificate was refused once and a fresh one is being tried. */
  reauthenticated?: boolean;
}

export function readProgress(data: Record<string, unknown>): Progress {
  const progress = data.progress;
  return progress && typeof progress === "object" ? (structuredClone(progress) as Progress) : {};
}

export function withProgress(data: Record<string, unknown>, progress: Progress): Record<string, unknown> {
  return { ...data, progress };
}
