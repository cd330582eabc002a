// What the simulated Autopilot cloud holds, and its state machines. Nothing runs on a timer: every
// record keeps when its current change started and ends, and `reconcile(state, now)` (called before
// each answer) brings it up to the simulated clock.
//
//   Creating  --CREATE_DURATION_MS-->  Available        (or Error when the seed says createFails)
//   Upgrading --UPGRADE_DURATION_MS--> Available        (version := the target)
//   Deleting  --DELETE_DURATION_MS-->  (gone: 404)
//   job: Initializing (JOB_INITIALIZING_MS) -> Running -> Success | Failed, then kept JOB_TTL_MS
//   workload replicas: one pod more (or less) every REPLICA_STEP_MS until status meets spec
//
// Durations are digest-silent; these are typical of what the console shows.

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const CREATE_DURATION_MS = 12 * MINUTE;
export const UPGRADE_DURATION_MS = 25 * MINUTE;
export const DELETE_DURATION_MS = 6 * MINUTE;
/** A job sits in `Initializing` this long before `Running`. */
export const JOB_INITIALIZING_MS = 30 * SECOND;
/** "Job info is time-limited" (digest §2.2): ended jobs answer 404 after this. */
export const JOB_TTL_MS = 60 * MINUTE;
/** Pods start (or stop) one at a time, this far apart. */
export const REPLICA_STEP_MS = 15 * SECOND;
/** clustercert `duration` bounds (days); -1 means the 5-year maximum. */
export const CERT_MAX_DAYS = 1827;

export type ClusterPhase =
  | "Available"
  | "Creating"
  | "Upgrading"
  | "Deleting"
  | "Unavailable"
  | "Error"
  | "Frozen";

export const CLUSTER_PHASES: readonly ClusterPhase[] = [
  "Available",
  "Creating",
  "Upgrading",
  "Deleting",
  "Unavailable",
  "Error",
  "Frozen",
];

export interface ProjectRecord {
  projectId: string;
  region: string;
}

export interface AccountRecord {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The IAM user id: the CN of the client certificates clustercert issues. */
  userId: string;
  projects: ProjectRecord[];
}

export interface Transition {
  kind: "create" | "upgrade" | "delete";
  startedAt: number;
  endsAt: number;
  /** What the cluster becomes when the transition ends. */
  outcome: "Available" | "Error" | "removed";
  targetVersion?: string;
  jobId?: string;
}

export type WorkloadKind = "Deployment" | "StatefulSet";

export interface WorkloadRecord {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  uid: string;
  createdAt: number;
  /** spec.replicas */
  replicas: number;
  /** Pods running when spec last changed, and when: status converges from there. */
  from: number;
  changedAt: number;
  generation: number;
  resourceVersion: number;
  /** metadata.labels and metadata.annotations, as the API server stores them. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** spec without `replicas` (kept above): selector, template, strategy, … as JSON. */
  spec: Record<string, unknown>;
}

export interface ClusterRecord {
  uid: string;
  name: string;
  projectId: string;
  region: string;
  az: string;
  version: string;
  platformVersion: string;
  description: string;
  vpcId: string;
  subnetId: string;
  eniSubnetId: string;
  /** The control node's port id, sent back as the clustercert `Port-ID` header. */
  portId: string;
  createdAt: number;
  updatedAt: number;
  phase: ClusterPhase;
  reason?: string;
  message?: string;
  transition?: Transition;
  tags: Array<{ key: string; value: string }>;
  /** Dotted paths dropped from every API answer about this cluster (malformed-response tests). */
  omitFields: string[];
  workloads: WorkloadRecord[];
  /** The Kubernetes API's resourceVersion counter for this cluster. */
  resourceVersion: number;
}

export interface SubJobRecord {
  uid: string;
  type: string;
  startsAt: number;
  endsAt: number;
}

export interface JobRecord {
  uid: string;
  projectId: string;
  type: "CreateCluster" | "DeleteCluster";
  clusterUid: string;
  clusterName: string;
  createdAt: number;
  endsAt: number;
  outcome: "Success" | "Failed";
  reason: string;
  subJobs: SubJobRecord[];
}

/** A client certificate clustercert issued: the Kubernetes API accepts exactly these. */
export interface IssuedCertificate {
  /** SHA-256 of the DER, lower-case hex. */
  fingerprint: string;
  clusterUid: string;
  projectId: string;
  commonName: string;
  notBefore: number;
  notAfter: number;
}

export interface AutopilotState {
  accounts: AccountRecord[];
  clusters: ClusterRecord[];
  jobs: JobRecord[];
  certificates: Map<string, IssuedCertificate>;
}

export type JobPhase = "Initializing" | "Running" | "Success" | "Failed";

/** Brings every state machine up to `now`: transitions end, deleted clusters go, old jobs expire. */
export function reconcile(state: AutopilotState, now: number): void {
  for (const cluster of state.clusters) {
    const t = cluster.transition;
    if (!t || now < t.endsAt) continue;
    delete cluster.transition;
    cluster.updatedAt = t.endsAt;
    if (t.outcome === "removed") continue;
    cluster.phase = t.outcome;
    if (t.targetVersion) cluster.version = t.targetVersion;
    if (t.outcome === "Available") {
      delete cluster.reason;
      delete cluster.message;
    } else {
      cluster.reason = "CreateClusterFailed";
      cluster.message = "InstallMaster failed: no ENI could be allocated in the container subnet";
    }
  }
  // A delete that ended leaves the cluster Deleting without a transition: it is gone.
  state.clusters = state.clusters.filter((c) => !(c.phase === "Deleting" && !c.transition));
  state.jobs = state.jobs.filter((job) => now < job.endsAt + JOB_TTL_MS);
}

export function jobPhase(
  job: { createdAt: number; endsAt: number },
  outcome: JobPhase,
  now: number,
): JobPhase {
  if (now < job.createdAt + JOB_INITIALIZING_MS && now < job.endsAt) return "Initializing";
  if (now < job.endsAt) return "Running";
  return outcome;
}

export function subJobPhase(sub: SubJobRecord, outcome: JobPhase, now: number): JobPhase {
  if (now < sub.startsAt) return "Initializing";
  if (now < sub.endsAt) return "Running";
  return outcome;
}

/** Pods running now: status moves one step per REPLICA_STEP_MS from `from` toward spec. */
export function currentReplicas(workload: WorkloadRecord, now: number): number {
  const steps = Math.max(0, Math.floor((now - workload.changedAt) / REPLICA_STEP_MS));
  const gap = workload.replicas - workload.from;
  return workload.from + Math.sign(gap) * Math.min(Math.abs(gap), steps);
}

/** Sets spec.replicas; status converges from the pods running now. */
export function scaleWorkload(
  cluster: ClusterRecord,
  workload: WorkloadRecord,
  replicas: number,
  now: number,
): void {
  updateWorkload(cluster, workload, { replicas }, now);
}

export interface WorkloadChange {
  replicas?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: Record<string, unknown>;
}

/**
 * Writes what changed, as the API server does: any change takes a new resourceVersion; a change of
 * the spec (replicas included) a new generation too; new replicas restart the pods' convergence.
 * Returns whether anything changed.
 */
export function updateWorkload(
  cluster: ClusterRecord,
  workload: WorkloadRecord,
  change: WorkloadChange,
  now: number,
): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const replicas = change.replicas !== undefined && change.replicas !== workload.replicas;
  const spec = change.spec !== undefined && !same(change.spec, workload.spec);
  const labels = change.labels !== undefined && !same(change.labels, workload.labels);
  const annotations = change.annotations !== undefined && !same(change.annotations, workload.annotations);
  if (!replicas && !spec && !labels && !annotations) return false;
  if (replicas) {
    workload.from = currentReplicas(workload, now);
    workload.changedAt = now;
    workload.replicas = change.replicas!;
  }
  if (spec) workload.spec = change.spec!;
  if (labels) workload.labels = change.labels!;
  if (annotations) workload.annotations = change.annotations!;
  if (replicas || spec) workload.generation += 1;
  cluster.resourceVersion += 1;
  workload.resourceVersion = cluster.resourceVersion;
  return true;
}

/** Namespaces whose objects the kubeconfig user may read but not change (as on Autopilot). */
export function isProtectedNamespace(namespace: string): boolean {
  return namespace === "kube-system" || namespace === "kube-public" || namespace === "kube-node-lease";
}

export function findAccountByKey(state: AutopilotState, accessKeyId: string): AccountRecord | undefined {
  return state.accounts.find((a) => a.accessKeyId === accessKeyId);
}

export function findCluster(
  state: AutopilotState,
  projectId: string,
  clusterUid: string,
): ClusterRecord | undefined {
  return state.clusters.find((c) => c.uid === clusterUid && c.projectId === projectId);
}
