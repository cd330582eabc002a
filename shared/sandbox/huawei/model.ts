// What the simulated Huawei CCE holds. Plain JSON records (times in epoch ms) so `state()` can
// return them as they are; the vendor's JSON shapes are rendered from them in render.ts.

/** `status.phase` of a cluster (digest §2.1), exactly as CCE spells it. */
export const CLUSTER_PHASES = [
  "Available",
  "Unavailable",
  "ScalingUp",
  "ScalingDown",
  "Creating",
  "Deleting",
  "Upgrading",
  "Resizing",
  "RollingBack",
  "RollbackFailed",
  "Hibernating",
  "Hibernation",
  "Awaking",
  "Empty",
] as const;
export type ClusterPhase = (typeof CLUSTER_PHASES)[number];

/** Node `status.phase` values the simulator uses (digest §3.7). */
export type NodePhase = "Build" | "Active" | "Deleting";

export interface ResourceTag {
  key: string;
  value: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface Autoscaling {
  enable: boolean;
  minNodeCount: number;
  maxNodeCount: number;
  scaleDownCooldownTime: number;
  priority: number;
}

export interface NodeTemplate {
  flavor: string;
  az: string;
  os: string;
  /** `{sshKey}`; a `userPassword` login is stored without its password. */
  login: Record<string, unknown>;
  rootVolume: { volumetype: string; size: number };
  dataVolumes: Array<{ volumetype: string; size: number }>;
  /** 0 = pay-per-use (may autoscale), 1 = yearly/monthly. */
  billingMode: number;
  maxPods: number;
  /** User labels; the system label `cce.cloud.com/cce-nodepool` is added when rendering. */
  k8sTags: Record<string, string>;
  taints: Taint[];
  userTags: ResourceTag[];
}

export interface PoolRecord {
  uid: string;
  name: string;
  /** The pool CCE creates with the cluster: hidden from lists unless asked, never updated here. */
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
  /** The target (`spec.initialNodeCount`). */
  initialNodeCount: number;
  autoscaling: Autoscaling;
  template: NodeTemplate;
  /** Set once DELETE was accepted: the pool disappears at `until`. */
  deleting?: { jobId: string; until: number };
  /** Field paths (e.g. `status.currentNode`) left out of this pool's JSON: malformed-response tests. */
  malformed: string[];
}

export interface NodeRecord {
  uid: string;
  name: string;
  poolId: string;
  phase: NodePhase;
  createdAt: number;
  updatedAt: number;
  /** Build → Active at this time. */
  readyAt?: number;
  /** Deleting → gone at this time. */
  goneAt?: number;
  /** The create or delete job (`status.jobID`). */
  jobId?: string;
  serverId: string;
  privateIP: string;
}

export interface ClusterRecord {
  projectId: string;
  uid: string;
  name: string;
  flavor: string;
  version: string;
  description: string;
  createdAt: number;
  updatedAt: number;
  phase: ClusterPhase;
  /** A transitional phase ends here (undefined: it lasts until changed). */
  phaseUntil?: number;
  /** The job linked to the current state (`status.jobID`), e.g. the upgrade. */
  jobId?: string;
  tags: ResourceTag[];
  internalIp: string;
  /** Public IP of the API server; adds `externalCluster` to the kubeconfig. */
  eip?: string;
  /** ID of the control-plane port, answered in the clustercert `Port-ID` header. */
  portId: string;
  vpcId: string;
  subnetId: string;
  pools: PoolRecord[];
  nodes: NodeRecord[];
  /** Field paths (e.g. `status.phase`) left out of this cluster's JSON. */
  malformed: string[];
}

export interface JobRecord {
  uid: string;
  type: string;
  clusterUid: string;
  resourceId: string;
  resourceName: string;
  createdAt: number;
  /** Success from this time on. */
  endsAt: number;
  extendParam: Record<string, string>;
  subJobIds: string[];
  /** Ends `Failed` with this reason instead of `Success`. */
  failReason?: string;
  /** A sub-job is rendered inside its parent and not listed on its own. */
  parentId?: string;
}

export interface ProjectRecord {
  region: string;
  projectId: string;
}

export interface AccountRecord {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  projects: ProjectRecord[];
}

export interface FleetOptions {
  /** Whether clustercert answers while the cluster is hibernated (the doc is silent). */
  clustercertWhileHibernated: boolean;
}

export interface HuaweiState {
  options: FleetOptions;
  accounts: AccountRecord[];
  clusters: ClusterRecord[];
  jobs: JobRecord[];
}
