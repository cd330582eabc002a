// The Baidu CCE state machines, evaluated lazily: a phase is a function of the record and the
// simulated time. Durations are fixed constants (seconds) so tests can advance the clock past them.
//
//   cluster  pending → provisioning → provisioned → running      (or → create_failed)
//            driven by the six creation steps of the events API (digest §2.5)
//   instance pending → provisioning → provisioned → running      (or → create_failed)
//            running → deleting → (gone)
//   group    spec.replicas set at once; nodes are added or removed one by one, NODE_STAGGER_SECONDS
//            apart; status.readyReplicas counts the running ones
//   task     Pending → Processing → Done | Aborted, following the instances it adds or removes
import type {
  AutoscalerSpec,
  ClusterRecord,
  InstanceGroupRecord,
  InstanceRecord,
  TaskRecord,
} from "./state.ts";

/** The creation steps of the events API (names as the service writes them) and how long each takes. */
export const CLUSTER_CREATE_STEPS: ReadonlyArray<{ name: string; seconds: number }> = [
  { name: "创建基础证书", seconds: 5 },
  { name: "创建 BLB", seconds: 20 },
  { name: "创建 EIP", seconds: 10 },
  { name: "创建 Master", seconds: 120 },
  { name: "连通 APIServer", seconds: 120 },
  { name: "部署 K8S 插件", seconds: 60 },
];
/** 335 s: a new cluster is running about five and a half minutes after creation starts. */
export const CLUSTER_CREATE_SECONDS = CLUSTER_CREATE_STEPS.reduce((sum, step) => sum + step.seconds, 0);

/** A new node: pending this long, then provisioning (BCC being created). */
export const NODE_PENDING_SECONDS = 15;
/** From the start of provisioning until the node is running (3.5 minutes). */
export const NODE_CREATE_SECONDS = 210;
/** The last part of NODE_CREATE_SECONDS: provisioned (machine up, kubelet joining). */
export const NODE_PROVISIONED_SECONDS = 60;
/** Nodes are added (and removed) one after another, this far apart. */
export const NODE_STAGGER_SECONDS = 30;
/** A removed node is deleting (drain, release) this long before it is gone. */
export const NODE_DELETE_SECONDS = 90;
/** A task waits this long in Pending before Processing. */
export const TASK_PENDING_SECONDS = 5;

const S = 1000;

export type ClusterPhase = "pending" | "provisioning" | "provisioned" | "running" | "create_failed";
export type InstancePhase =
  | "pending"
  | "provisioning"
  | "provisioned"
  | "running"
  | "create_failed"
  | "deleting"
  | "deleted";

/** When each creation step starts and ends, for a cluster whose creation began at createdAt. */
export function stepSchedule(createdAt: number): Array<{ name: string; start: number; end: number }> {
  let at = createdAt;
  return CLUSTER_CREATE_STEPS.map((step) => {
    const start = at;
    at += step.seconds * S;
    return { name: step.name, start, end: at };
  });
}

export function clusterPhaseAt(cluster: ClusterRecord, now: number): ClusterPhase {
  const steps = stepSchedule(cluster.createdAt);
  if (cluster.failAtStep !== undefined && now >= steps[cluster.failAtStep]!.end) return "create_failed";
  const current = steps.findIndex((step) => now < step.end);
  if (current === -1) return "running";
  if (current === 0) return "pending";
  return current <= 3 ? "provisioning" : "provisioned";
}

/** When the cluster became (or becomes) running: nodes of its initial groups start from there. */
export function clusterReadyAt(cluster: ClusterRecord): number {
  return cluster.createdAt + CLUSTER_CREATE_SECONDS * S;
}

export interface EventStep {
  stepName: string;
  stepStatus: "done" | "running" | "pending" | "failed";
  ready: boolean;
  startTime?: number;
  finishedTime?: number;
  costSeconds: number;
  retryCount: number;
  errInfo: Record<string, string>;
}

/**
 * The events API: `status` is `creating`, `created` or `create_failed` (the doc shows only
 * `created`); steps that have not started are `pending`, the current one `running`.
 */
export function clusterEventsAt(
  cluster: ClusterRecord,
  now: number,
): { status: "creating" | "created" | "create_failed"; steps: EventStep[] } {
  const phase = clusterPhaseAt(cluster, now);
  const steps = stepSchedule(cluster.createdAt).map((step, index): EventStep => {
    const failed = cluster.failAtStep === index && now >= step.end;
    const skipped = cluster.failAtStep !== undefined && index > cluster.failAtStep;
    if (failed) {
      return {
        stepName: step.name,
        stepStatus: "failed",
        ready: false,
        startTime: step.start,
        finishedTime: step.end,
        costSeconds: Math.round((step.end - step.start) / S),
        retryCount: 3,
        errInfo: { code: "StepFailed", message: `${step.name} failed after 3 attempts` },
      };
    }
    if (now >= step.end && !skipped) {
      return {
        stepName: step.name,
        stepStatus: "done",
        ready: true,
        startTime: step.start,
        finishedTime: step.end,
        costSeconds: Math.round((step.end - step.start) / S),
        retryCount: 1,
        errInfo: {},
      };
    }
    if (now >= step.start && !skipped) {
      return {
        stepName: step.name,
        stepStatus: "running",
        ready: false,
        startTime: step.start,
        costSeconds: Math.round((now - step.start) / S),
        retryCount: 1,
        errInfo: {},
      };
    }
    return {
      stepName: step.name,
      stepStatus: "pending",
      ready: false,
      costSeconds: 0,
      retryCount: 0,
      errInfo: {},
    };
  });
  const status = phase === "running" ? "created" : phase === "create_failed" ? "create_failed" : "creating";
  return { status, steps };
}

export function instancePhaseAt(instance: InstanceRecord, now: number): InstancePhase {
  if (instance.goneAt !== undefined && now >= instance.goneAt) return "deleted";
  if (instance.deleteAt !== undefined && now >= instance.deleteAt) return "deleting";
  if (now >= instance.readyAt) return instance.fails ? "create_failed" : "running";
  if (now >= instance.readyAt - NODE_PROVISIONED_SECONDS * S) return "provisioned";
  if (now >= instance.startAt + NODE_PENDING_SECONDS * S) return "provisioning";
  return "pending";
}

/** Instances that still belong to the group's size: not removed (deleteAt unset). */
export function liveInstances(group: InstanceGroupRecord): InstanceRecord[] {
  return group.instances.filter((instance) => instance.deleteAt === undefined);
}

export interface GroupStatus {
  readyReplicas: number;
  pendingMachines: string[];
  failedMachines: string[];
  /** Nodes are still being added or removed. */
  converging: boolean;
}

export function groupStatusAt(group: InstanceGroupRecord, now: number): GroupStatus {
  let readyReplicas = 0;
  let converging = false;
  const pendingMachines: string[] = [];
  const failedMachines: string[] = [];
  for (const instance of group.instances) {
    const phase = instancePhaseAt(instance, now);
    if (phase === "running") readyReplicas++;
    else if (phase === "create_failed") failedMachines.push(instance.cceInstanceID);
    else if (phase === "deleting") converging = true;
    else if (phase !== "deleted") {
      converging = true;
      pendingMachines.push(instance.cceInstanceID);
    }
    // A removed node that has not started deleting yet is still running: the change is in flight.
    if (instance.deleteAt !== undefined && now < instance.deleteAt) converging = true;
  }
  return { readyReplicas, pendingMachines, failedMachines, converging };
}

/** Drops instances that are gone; the clock only moves forward, so this never loses anything. */
export function pruneGone(cluster: ClusterRecord, now: number): void {
  for (const group of cluster.instanceGroups) {
    group.instances = group.instances.filter((i) => i.goneAt === undefined || now < i.goneAt);
  }
}

export interface IdSource {
  /** `length` characters of [a-z0-9]. */
  token(length: number): string;
  /** A private IPv4 address in 192.168.0.0/16. */
  privateIp(): string;
}

/** New instances for a group, the first provisioning from `from`, the rest NODE_STAGGER_SECONDS apart. */
export function plannedInstances(
  cluster: ClusterRecord,
  group: InstanceGroupRecord,
  count: number,
  createdAt: number,
  from: number,
  ids: IdSource,
): InstanceRecord[] {
  const suffix = cluster.clusterID.replace(/^cce-/, "");
  return Array.from({ length: count }, (_, index) => {
    const token = ids.token(8);
    const startAt = from + index * NODE_STAGGER_SECONDS * S;
    return {
      cceInstanceID: `cce-${suffix}-${token}`,
      instanceName: `cce-${suffix}-${group.instanceGroupName}-${token}`,
      machineID: `i-${ids.token(8)}`,
      vpcIP: ids.privateIp(),
      createdAt,
      startAt,
      readyAt: startAt + NODE_CREATE_SECONDS * S,
      fails: group.failNewMachines,
    };
  });
}

/**
 * The order nodes are removed in when a group shrinks (shrinkPolicy `Priority`): nodes that are
 * not running yet first, then failed ones, then running ones, newest first within each.
 */
export function removalOrder(group: InstanceGroupRecord, now: number): InstanceRecord[] {
  const rank = (instance: InstanceRecord) => {
    const phase = instancePhaseAt(instance, now);
    return phase === "running" ? 2 : phase === "create_failed" ? 1 : 0;
  };
  return [...liveInstances(group)].sort(
    (a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt || b.startAt - a.startAt,
  );
}

/** Marks nodes as removed: one not yet provisioning goes at once, others delete one after another. */
export function removeInstances(group: InstanceGroupRecord, victims: InstanceRecord[], now: number): void {
  let running = 0;
  for (const victim of victims) {
    if (now < victim.startAt + NODE_PENDING_SECONDS * S) {
      victim.deleteAt = now;
      victim.goneAt = now;
      continue;
    }
    victim.deleteAt = now + running * NODE_STAGGER_SECONDS * S;
    victim.goneAt = victim.deleteAt + NODE_DELETE_SECONDS * S;
    running++;
  }
  group.instances = group.instances.filter((i) => i.goneAt === undefined || now < i.goneAt);
}

/**
 * Sets spec.replicas and plans the nodes to add or remove. `chosen` names nodes to remove first
 * (PUT replicas `instanceIDs`, or a scale-down task). Returns the instances added or removed.
 */
export function setReplicas(
  cluster: ClusterRecord,
  group: InstanceGroupRecord,
  replicas: number,
  now: number,
  ids: IdSource,
  chosen: InstanceRecord[] = [],
): InstanceRecord[] {
  const live = liveInstances(group);
  group.replicas = replicas;
  if (replicas > live.length) {
    const added = plannedInstances(cluster, group, replicas - live.length, now, now, ids);
    group.instances.push(...added);
    return added;
  }
  const excess = live.length - replicas;
  const victims = [...chosen];
  for (const candidate of removalOrder(group, now)) {
    if (victims.length >= excess) break;
    if (!victims.includes(candidate)) victims.push(candidate);
  }
  const removed = victims.slice(0, excess);
  removeInstances(group, removed, now);
  return removed;
}

/** The size an autoscaler with these bounds brings the group to (unchanged when disabled). */
export function clampToAutoscaler(replicas: number, autoscaler: AutoscalerSpec): number {
  if (!autoscaler.enabled) return replicas;
  return Math.min(autoscaler.maxReplicas, Math.max(autoscaler.minReplicas, replicas));
}

export type TaskPhase = "Pending" | "Processing" | "Done" | "Aborted";

/** A task follows its instances: Done when all are running (scale-up) or gone (scale-down). */
export function taskStateAt(
  task: TaskRecord,
  group: InstanceGroupRecord | undefined,
  now: number,
): { phase: TaskPhase; finishTime?: number; errMessage?: string } {
  if (now < task.startTime + TASK_PENDING_SECONDS * S) return { phase: "Pending" };
  const members = new Map((group?.instances ?? []).map((i) => [i.cceInstanceID, i]));
  if (task.kind === "scaleup") {
    let finish = task.startTime;
    for (const id of task.instanceIDs) {
      const instance = members.get(id);
      if (!instance || instance.deleteAt !== undefined) {
        return { phase: "Aborted", errMessage: `instance ${id} was removed before it was running` };
      }
      const phase = instancePhaseAt(instance, now);
      if (phase === "create_failed") return { phase: "Aborted", errMessage: `instance ${id} create_failed` };
      if (phase !== "running") return { phase: "Processing" };
      finish = Math.max(finish, instance.readyAt);
    }
    return { phase: "Done", finishTime: finish };
  }
  const finishAt = task.finishAt ?? task.startTime;
  return now >= finishAt ? { phase: "Done", finishTime: finishAt } : { phase: "Processing" };
}
