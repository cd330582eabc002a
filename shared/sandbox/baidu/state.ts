// What the simulated Baidu CCE holds. Times are epoch milliseconds of the simulated clock; every
// phase is computed from them when asked (lifecycle.ts), so nothing runs in the background.

/** An access key bound to one account and one region (the sandbox has one endpoint for all regions). */
export interface BaiduAccountRecord {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface AutoscalerSpec {
  enabled: boolean;
  minReplicas: number;
  maxReplicas: number;
  scalingGroupPriority: number;
}

/**
 * One node. Its whole future is planned when it is created or removed: provisioning starts at
 * `startAt`, it is running (or create_failed) from `readyAt`; once removed it is deleting from
 * `deleteAt` and gone from `goneAt`.
 */
export interface InstanceRecord {
  cceInstanceID: string;
  instanceName: string;
  /** The BCC machine id (`i-...`). */
  machineID: string;
  vpcIP: string;
  createdAt: number;
  startAt: number;
  readyAt: number;
  /** Becomes create_failed at readyAt instead of running. */
  fails: boolean;
  deleteAt?: number;
  goneAt?: number;
}

export interface InstanceGroupRecord {
  cceInstanceGroupID: string;
  instanceGroupName: string;
  /** spec.replicas: the size the group converges to. */
  replicas: number;
  createdAt: number;
  instanceType: string;
  cpu: number;
  mem: number;
  autoscaler?: AutoscalerSpec;
  /** status.pause: replica changes are refused while set. */
  pausedReason?: string;
  /** New machines end in create_failed (status.undeliveredMachines.failedMachines). */
  failNewMachines: boolean;
  /** Test hook: the group is served without status.readyReplicas. */
  malformed: boolean;
  instances: InstanceRecord[];
}

export interface ClusterRecord {
  account: string;
  region: string;
  clusterID: string;
  clusterName: string;
  description: string;
  k8sVersion: string;
  vpcID: string;
  vpcCIDR: string;
  tags: Record<string, string>;
  /** When creation started: the event steps run from here (lifecycle.ts CLUSTER_CREATE_STEPS). */
  createdAt: number;
  /** Creation fails at the end of this step (index into CLUSTER_CREATE_STEPS): create_failed. */
  failAtStep?: number;
  blb: { id: string; vpcIP: string; eip: string; floatingIP: string };
  /** Test hook: the cluster is served without status.clusterPhase. */
  malformed: boolean;
  instanceGroups: InstanceGroupRecord[];
}

/** A scale-up / scale-down task (`GET /v2/task/InstanceGroupReplicas/{taskID}`, `GET /v2/tasks/InstanceGroupReplicas?targetID=`). */
export interface TaskRecord {
  id: string;
  clusterID: string;
  instanceGroupID: string;
  kind: "scaleup" | "scaledown";
  description: string;
  startTime: number;
  /** The instances it adds or removes; its phase follows theirs. */
  instanceIDs: string[];
  /** Scale-down: when the last removed node is gone. */
  finishAt?: number;
}

export interface BaiduOptions {
  /** Refuse PUT replicas (409) on a group whose cluster autoscaler is enabled. Default true. */
  rejectReplicasWhileAutoscaling: boolean;
}

export interface BaiduState {
  accounts: BaiduAccountRecord[];
  clusters: ClusterRecord[];
  tasks: TaskRecord[];
  options: BaiduOptions;
}
