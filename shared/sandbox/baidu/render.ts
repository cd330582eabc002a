// The JSON the service answers with: field names copied from the digest (§2.3, §6.1) and the
// bce-sdk-go JSON tags; timestamps in the service's `2020-09-04T01:58:12Z` form.
import {
  type ClusterPhase,
  clusterEventsAt,
  clusterPhaseAt,
  clusterReadyAt,
  groupStatusAt,
  type InstancePhase,
  instancePhaseAt,
  stepSchedule,
  taskStateAt,
} from "./lifecycle.ts";
import type { ClusterRecord, InstanceGroupRecord, InstanceRecord, TaskRecord } from "./state.ts";

/** UTC to the second, as every CCE timestamp is written. */
export function bceTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function clusterUpdatedAt(cluster: ClusterRecord, now: number): number {
  const steps = stepSchedule(cluster.createdAt);
  const end = cluster.failAtStep !== undefined ? steps[cluster.failAtStep]!.end : clusterReadyAt(cluster);
  return Math.min(now, end);
}

export function renderCluster(cluster: ClusterRecord, now: number): Record<string, unknown> {
  const phase: ClusterPhase = clusterPhaseAt(cluster, now);
  const nodeNum = cluster.instanceGroups
    .flatMap((g) => g.instances)
    .filter((i) => instancePhaseAt(i, now) === "running").length;
  const status: Record<string, unknown> = {
    clusterBLB: { id: cluster.blb.id, vpcIP: cluster.blb.vpcIP, eip: cluster.blb.eip },
    clusterPhase: phase,
    nodeNum,
  };
  if (cluster.malformed) delete status.clusterPhase;
  return {
    spec: {
      clusterID: cluster.clusterID,
      clusterName: cluster.clusterName,
      clusterType: "normal",
      description: cluster.description,
      k8sVersion: cluster.k8sVersion,
      runtimeType: "containerd",
      vpcID: cluster.vpcID,
      vpcCIDR: cluster.vpcCIDR,
      plugins: ["ip-masq-agent", "core-dns", "kube-proxy", "metrics-server"],
      masterConfig: {
        masterType: "managed",
        clusterHA: 1,
        exposedPublic: cluster.blb.eip !== "",
        clusterBLBVPCSubnetID: `sbn-${cluster.clusterID.slice(4)}`,
        managedClusterMasterOption: { masterVPCSubnetZone: "zoneA" },
      },
      containerNetworkConfig: {
        mode: "kubenet",
        ipVersion: "ipv4",
        lbServiceVPCSubnetID: `sbn-${cluster.clusterID.slice(4)}`,
        nodePortRangeMin: 30000,
        nodePortRangeMax: 32767,
        clusterPodCIDR: "172.16.0.0/16",
        clusterIPServiceCIDR: "172.31.0.0/16",
        maxPodsPerNode: 128,
        kubeProxyMode: "ipvs",
      },
      tags: Object.entries(cluster.tags).map(([tagKey, tagValue]) => ({ tagKey, tagValue })),
    },
    status,
    createdAt: bceTime(cluster.createdAt),
    updatedAt: bceTime(clusterUpdatedAt(cluster, now)),
  };
}

export function renderEvents(cluster: ClusterRecord, now: number): Record<string, unknown> {
  const events = clusterEventsAt(cluster, now);
  return {
    status: events.status,
    steps: events.steps.map((step) => {
      const out: Record<string, unknown> = {
        stepName: step.stepName,
        stepStatus: step.stepStatus,
        ready: step.ready,
      };
      if (step.startTime !== undefined) out.startTime = bceTime(step.startTime);
      if (step.finishedTime !== undefined) out.finishedTime = bceTime(step.finishedTime);
      // Left out when 0, as in the documented example's first step.
      if (step.costSeconds > 0) out.costSeconds = step.costSeconds;
      out.retryCount = step.retryCount;
      out.errInfo = step.errInfo;
      return out;
    }),
  };
}

function instanceTemplate(cluster: ClusterRecord, group: InstanceGroupRecord): Record<string, unknown> {
  return {
    cceInstanceID: "",
    instanceName: "",
    runtimeType: "containerd",
    clusterID: cluster.clusterID,
    clusterRole: "node",
    instanceGroupID: group.cceInstanceGroupID,
    instanceGroupName: group.instanceGroupName,
    machineType: "BCC",
    instanceType: group.instanceType,
    vpcConfig: {
      vpcID: cluster.vpcID,
      vpcSubnetID: `sbn-${cluster.clusterID.slice(4)}`,
      availableZone: "zoneA",
      securityGroupType: "normal",
      securityGroups: [],
    },
    instanceResource: { cpu: group.cpu, mem: group.mem, rootDiskSize: 40 },
    instanceOS: {
      imageType: "System",
      osType: "linux",
      osName: "Ubuntu",
      osVersion: "22.04 LTS",
      osArch: "x86_64 (64bit)",
    },
    instanceChargingType: "Postpaid",
  };
}

export function renderGroup(
  cluster: ClusterRecord,
  group: InstanceGroupRecord,
  now: number,
): Record<string, unknown> {
  const computed = groupStatusAt(group, now);
  const undelivered: Record<string, string[]> = {};
  if (computed.failedMachines.length > 0) undelivered.failedMachines = computed.failedMachines;
  if (computed.pendingMachines.length > 0) undelivered.pendingMachines = computed.pendingMachines;
  const status: Record<string, unknown> = {
    readyReplicas: computed.readyReplicas,
    undeliveredMachines: undelivered,
  };
  if (group.pausedReason !== undefined) status.pause = { paused: true, reason: group.pausedReason };
  if (group.malformed) delete status.readyReplicas;
  const spec: Record<string, unknown> = {
    cceInstanceGroupID: group.cceInstanceGroupID,
    instanceGroupName: group.instanceGroupName,
    clusterID: cluster.clusterID,
    clusterRole: "node",
    selector: { matchLabels: { "cce.baidubce.com/instance-group-id": group.cceInstanceGroupID } },
    shrinkPolicy: "Priority",
    updatePolicy: "Concurrency",
    cleanPolicy: "Remain",
    instanceTemplate: instanceTemplate(cluster, group),
    replicas: group.replicas,
  };
  if (group.autoscaler) spec.clusterAutoscalerSpec = { ...group.autoscaler };
  return { spec, status, createdAt: bceTime(group.createdAt) };
}

const MACHINE_STATUS: Record<InstancePhase, string> = {
  pending: "",
  provisioning: "Starting",
  provisioned: "Running",
  running: "Running",
  create_failed: "Error",
  deleting: "Stopping",
  deleted: "Deleted",
};

export function renderInstance(
  cluster: ClusterRecord,
  group: InstanceGroupRecord,
  instance: InstanceRecord,
  now: number,
): Record<string, unknown> {
  const phase = instancePhaseAt(instance, now);
  const hasMachine = phase !== "pending";
  const changes = [instance.createdAt, instance.startAt, instance.readyAt, instance.deleteAt ?? 0];
  return {
    spec: {
      cceInstanceID: instance.cceInstanceID,
      instanceName: instance.instanceName,
      runtimeType: "containerd",
      clusterID: cluster.clusterID,
      clusterRole: "node",
      instanceGroupID: group.cceInstanceGroupID,
      instanceGroupName: group.instanceGroupName,
      machineType: "BCC",
      instanceType: group.instanceType,
      instanceResource: { cpu: group.cpu, mem: group.mem, rootDiskSize: 40 },
      instanceChargingType: "Postpaid",
    },
    status: {
      machine: hasMachine ? { instanceID: instance.machineID, vpcIP: instance.vpcIP } : { instanceID: "" },
      instancePhase: phase,
      machineStatus: MACHINE_STATUS[phase],
    },
    createdAt: bceTime(instance.createdAt),
    updatedAt: bceTime(Math.max(...changes.filter((t) => t <= now))),
  };
}

export function renderTask(task: TaskRecord, group: InstanceGroupRecord | undefined, now: number) {
  const state = taskStateAt(task, group, now);
  const out: Record<string, unknown> = {
    id: task.id,
    type: "InstanceGroupReplicas",
    description: task.description,
    startTime: bceTime(task.startTime),
    phase: state.phase,
  };
  if (state.finishTime !== undefined) out.finishTime = bceTime(state.finishTime);
  if (state.errMessage !== undefined) out.errMessage = state.errMessage;
  return out;
}
