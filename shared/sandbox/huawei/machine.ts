// The simulated CCE's state machines, evaluated lazily: nothing runs on a timer. Every record
// carries the times of its pending transitions; `reconcile(state, now)` replays them in time order
// (a small discrete-event loop), and after each one the node-pool controller brings the pool's
// nodes towards its target, so the state at any instant is exact whatever the clock speed.
//
//   cluster   Available --hibernate--> Hibernating --HIBERNATE_SECONDS--> Hibernation
//             Hibernation --awake--> Awaking --AWAKE_SECONDS--> Available
//             other transitional phases (Upgrading, ...) --phaseUntil--> Available
//   node      Build --NODE_CREATE_SECONDS (+ stagger)--> Active
//             Active|Build --delete / scale down--> Deleting --NODE_DELETE_SECONDS (+ stagger)--> gone
//   pool      converging while any node is Build or Deleting; a deleted pool disappears
//             POOL_DELETE_SECONDS after its last node
//   job       Initializing --JOB_INITIALIZING_SECONDS--> Running --endsAt--> Success | Failed
//
// Durations are fixed constants, minutes as on the real cloud (the Terraform acceptance test of
// create + hibernate + awake took ~11 minutes; an ECS node boots and joins in ~4).

import { type CceError, cceError } from "./errors.ts";
import { hex32, privateIp, type Random, suffix, uuid } from "./ids.ts";
import type {
  Autoscaling,
  ClusterPhase,
  ClusterRecord,
  HuaweiState,
  JobRecord,
  NodeRecord,
  PoolRecord,
  ResourceTag,
  Taint,
} from "./model.ts";

export const HIBERNATE_SECONDS = 120;
export const AWAKE_SECONDS = 180;
export const NODE_CREATE_SECONDS = 240;
export const NODE_DELETE_SECONDS = 90;
/** Nodes of one scaling step finish one after the other, this far apart ("node by node"). */
export const NODE_STAGGER_SECONDS = 20;
export const POOL_DELETE_SECONDS = 30;
export const JOB_INITIALIZING_SECONDS = 5;
/** Finished jobs are answered for this long, then 404 (the doc: job info is time-limited). */
export const JOB_RETENTION_SECONDS = 24 * 3600;
/** The doc's tag limit per cluster. */
export const MAX_CLUSTER_TAGS = 20;

const S = 1000;

/** Phases in which pools and nodes may change (000: L34276). */
const ACCEPTS_CHANGES: ReadonlySet<ClusterPhase> = new Set(["Available", "ScalingUp", "ScalingDown"]);
/** Phases that end by themselves: an operation meeting one is "locked", not wrong. */
const TRANSITIONAL: ReadonlySet<ClusterPhase> = new Set([
  "ScalingUp",
  "ScalingDown",
  "Creating",
  "Deleting",
  "Upgrading",
  "Resizing",
  "RollingBack",
  "Hibernating",
  "Awaking",
]);

export function isTransitional(phase: ClusterPhase): boolean {
  return TRANSITIONAL.has(phase);
}

/** Where a transitional phase goes when its time is up. */
function phaseAfter(phase: ClusterPhase): ClusterPhase {
  return phase === "Hibernating" ? "Hibernation" : "Available";
}

// ---------------------------------------------------------------------------------------------
// Node-pool size, as the pool's status counters say it

export interface PoolCounts {
  currentNode: number;
  creatingNode: number;
  deletingNode: number;
}

export function poolNodes(cluster: ClusterRecord, pool: PoolRecord): NodeRecord[] {
  return cluster.nodes.filter((node) => node.poolId === pool.uid);
}

export function poolCounts(cluster: ClusterRecord, pool: PoolRecord): PoolCounts {
  const nodes = poolNodes(cluster, pool);
  return {
    currentNode: nodes.filter((n) => n.phase === "Active").length,
    creatingNode: nodes.filter((n) => n.phase === "Build").length,
    deletingNode: nodes.filter((n) => n.phase === "Deleting").length,
  };
}

export function isConverging(cluster: ClusterRecord, pool: PoolRecord): boolean {
  return poolNodes(cluster, pool).some((n) => n.phase !== "Active");
}

// ---------------------------------------------------------------------------------------------
// Jobs

export type JobPhase = "Initializing" | "Running" | "Success" | "Failed";

export function jobPhase(job: JobRecord, now: number): JobPhase {
  if (now >= job.endsAt) return job.failReason === undefined ? "Success" : "Failed";
  return now < job.createdAt + JOB_INITIALIZING_SECONDS * S ? "Initializing" : "Running";
}

/** When the job last changed phase, as of `now` (its `updateTimestamp`). */
export function jobUpdatedAt(job: JobRecord, now: number): number {
  if (now >= job.endsAt) return job.endsAt;
  const running = job.createdAt + JOB_INITIALIZING_SECONDS * S;
  return now >= running ? running : job.createdAt;
}

function newJob(
  state: HuaweiState,
  random: Random,
  fields: Omit<JobRecord, "uid" | "subJobIds" | "extendParam"> & Partial<Pick<JobRecord, "extendParam">>,
): JobRecord {
  const job: JobRecord = { uid: uuid(random), subJobIds: [], extendParam: {}, ...fields };
  state.jobs.push(job);
  return job;
}

// ---------------------------------------------------------------------------------------------
// The node-pool controller

function startDeleting(
  state: HuaweiState,
  cluster: ClusterRecord,
  node: NodeRecord,
  at: number,
  order: number,
  random: Random,
): JobRecord {
  if (node.phase === "Build") {
    // The create job of a node removed before it was ready ends as failed, now.
    const create = state.jobs.find((job) => job.uid === node.jobId);
    if (create && create.endsAt > at) {
      create.endsAt = at;
      create.failReason = "node deleted before it was ready";
    }
  }
  const goneAt = at + (NODE_DELETE_SECONDS + order * NODE_STAGGER_SECONDS) * S;
  const job = newJob(state, random, {
    type: "DeleteNode",
    clusterUid: cluster.uid,
    resourceId: node.uid,
    resourceName: node.name,
    createdAt: at,
    endsAt: goneAt,
    extendParam: { serverID: node.serverId },
  });
  node.phase = "Deleting";
  node.readyAt = undefined;
  node.goneAt = goneAt;
  node.jobId = job.uid;
  node.updatedAt = at;
  return job;
}

/** Creates or removes nodes so the pool's live nodes (not Deleting) match its target. */
function controlPool(
  state: HuaweiState,
  cluster: ClusterRecord,
  pool: PoolRecord,
  at: number,
  random: Random,
): void {
  if (pool.deleting) return;
  const live = poolNodes(cluster, pool).filter((n) => n.phase !== "Deleting");
  const target = pool.initialNodeCount;
  for (let i = 0; i < target - live.length; i++) {
    const readyAt = at + (NODE_CREATE_SECONDS + i * NODE_STAGGER_SECONDS) * S;
    const node: NodeRecord = {
      uid: uuid(random),
      name: `${pool.name}-${suffix(random)}`,
      poolId: pool.uid,
      phase: "Build",
      createdAt: at,
      updatedAt: at,
      readyAt,
      serverId: uuid(random),
      privateIP: privateIp(random),
    };
    node.jobId = newJob(state, random, {
      type: "CreateNode",
      clusterUid: cluster.uid,
      resourceId: node.uid,
      resourceName: node.name,
      createdAt: at,
      endsAt: readyAt,
      extendParam: { serverID: node.serverId },
    }).uid;
    cluster.nodes.push(node);
  }
  if (live.length > target) {
    // Scale-down victims: nodes still being built first, then the newest active ones.
    const victims = [...live]
      .sort(
        (a, b) =>
          (a.phase === "Build" ? 0 : 1) - (b.phase === "Build" ? 0 : 1) ||
          b.createdAt - a.createdAt ||
          a.uid.localeCompare(b.uid),
      )
      .slice(0, live.length - target);
    victims.forEach((node, order) => {
      startDeleting(state, cluster, node, at, order, random);
    });
  }
}

function controlCluster(state: HuaweiState, cluster: ClusterRecord, at: number, random: Random): void {
  for (const pool of cluster.pools) controlPool(state, cluster, pool, at, random);
}

// ---------------------------------------------------------------------------------------------
// Reconcile: replay every transition due by `now`, in time order

function nextEventTime(state: HuaweiState, now: number): number | undefined {
  let next: number | undefined;
  const consider = (t: number | undefined) => {
    if (t !== undefined && t <= now && (next === undefined || t < next)) next = t;
  };
  for (const cluster of state.clusters) {
    if (isTransitional(cluster.phase)) consider(cluster.phaseUntil);
    for (const node of cluster.nodes) consider(node.phase === "Build" ? node.readyAt : node.goneAt);
    for (const pool of cluster.pools) consider(pool.deleting?.until);
  }
  return next;
}

export function reconcile(state: HuaweiState, now: number, random: Random): void {
  for (let t = nextEventTime(state, now); t !== undefined; t = nextEventTime(state, now)) {
    for (const cluster of state.clusters) {
      let touched = false;
      if (isTransitional(cluster.phase) && cluster.phaseUntil === t) {
        cluster.phase = phaseAfter(cluster.phase);
        cluster.phaseUntil = undefined;
        cluster.jobId = undefined;
        cluster.updatedAt = t;
        touched = true;
      }
      for (const node of cluster.nodes) {
        if (node.phase === "Build" && node.readyAt === t) {
          node.phase = "Active";
          node.readyAt = undefined;
          node.updatedAt = t;
          touched = true;
        }
      }
      const before = cluster.nodes.length;
      cluster.nodes = cluster.nodes.filter((node) => !(node.phase === "Deleting" && node.goneAt === t));
      if (cluster.nodes.length !== before) touched = true;
      const pools = cluster.pools.length;
      cluster.pools = cluster.pools.filter((pool) => pool.deleting?.until !== t);
      if (cluster.pools.length !== pools) touched = true;
      if (touched) controlCluster(state, cluster, t, random);
    }
  }
  const retention = JOB_RETENTION_SECONDS * S;
  state.jobs = state.jobs.filter((job) => {
    const root = job.parentId ? state.jobs.find((j) => j.uid === job.parentId) : job;
    return (root ?? job).endsAt + retention > now;
  });
}

// ---------------------------------------------------------------------------------------------
// Operations. Each checks the current state (already reconciled to `now`) and either changes it or
// says why not, as the CCE error to answer.

function gateClusterChange(cluster: ClusterRecord, what: string): CceError | undefined {
  if (ACCEPTS_CHANGES.has(cluster.phase)) return undefined;
  const detail =
    `cluster ${cluster.name} is ${cluster.phase}: ${what} is accepted only while the cluster is ` +
    "Available, ScalingUp or ScalingDown";
  return isTransitional(cluster.phase) ? cceError("CCE.01429002", detail) : cceError("CCE.01400001", detail);
}

/** The first pool of the cluster whose nodes are still being created or deleted. */
function convergingPool(cluster: ClusterRecord): PoolRecord | undefined {
  return cluster.pools.find((pool) => isConverging(cluster, pool));
}

export function hibernate(cluster: ClusterRecord, now: number): CceError | undefined {
  if (cluster.phase === "Hibernation" || cluster.phase === "Hibernating") {
    return cceError("CCE.01400001", `cluster status ${cluster.phase} does not support hibernate`);
  }
  if (cluster.phase !== "Available") {
    return isTransitional(cluster.phase)
      ? cceError("CCE.01429002", `cluster ${cluster.name} is ${cluster.phase}; hibernate it once that ends`)
      : cceError("CCE.01400001", `cluster status ${cluster.phase} does not support hibernate`);
  }
  const busy = convergingPool(cluster);
  if (busy) {
    return cceError(
      "CCE.01429002",
      `node pool ${busy.name} is scaling; hibernate the cluster once its nodes have converged`,
    );
  }
  cluster.phase = "Hibernating";
  cluster.phaseUntil = now + HIBERNATE_SECONDS * S;
  cluster.updatedAt = now;
  return undefined;
}

export function awake(cluster: ClusterRecord, now: number): CceError | undefined {
  if (cluster.phase === "Available" || cluster.phase === "Awaking") {
    return cceError("CCE.01400001", `cluster status ${cluster.phase} does not support awake`);
  }
  if (cluster.phase !== "Hibernation") {
    return isTransitional(cluster.phase)
      ? cceError("CCE.01429002", `cluster ${cluster.name} is ${cluster.phase}; wake it once that ends`)
      : cceError("CCE.01400001", `cluster status ${cluster.phase} does not support awake`);
  }
  cluster.phase = "Awaking";
  cluster.phaseUntil = now + AWAKE_SECONDS * S;
  cluster.updatedAt = now;
  return undefined;
}

/** The updatable fields of a node pool, all present: the PUT replaces them (digest §3.4). */
export interface PoolUpdate {
  name: string;
  initialNodeCount: number;
  autoscaling: Autoscaling;
  k8sTags: Record<string, string>;
  taints: Taint[];
  userTags: ResourceTag[];
  /** Left unchanged when absent (004: login cannot be changed by an update). */
  login?: Record<string, unknown>;
}

/** Node limit of a cluster flavor: cce.s1.small = 50 ... cce.s2.xlarge = 2000. */
export function flavorNodeLimit(flavor: string): number {
  const size = /\.(small|medium|large|xlarge)$/.exec(flavor)?.[1];
  return size === "small" ? 50 : size === "medium" ? 200 : size === "large" ? 1000 : 2000;
}

export function updatePool(
  state: HuaweiState,
  cluster: ClusterRecord,
  pool: PoolRecord,
  update: PoolUpdate,
  now: number,
  random: Random,
): CceError | undefined {
  if (pool.isDefault) return cceError("CCE.01400001", "the default node pool cannot be updated");
  if (pool.deleting) return cceError("CCE.01400001", `node pool ${pool.name} is being deleted`);
  const gate = gateClusterChange(cluster, "a node pool update");
  if (gate) return gate;
  if (isConverging(cluster, pool)) {
    const counts = poolCounts(cluster, pool);
    return cceError(
      "CCE.01429002",
      `node pool ${pool.name} is scaling (creating ${counts.creatingNode}, deleting ${counts.deletingNode}); ` +
        "update it once its nodes have converged",
    );
  }
  const scaling = update.autoscaling;
  if (scaling.enable) {
    if (pool.template.billingMode !== 0) {
      return cceError("CCE.01400001", "only pay-per-use node pools (billingMode 0) support autoscaling");
    }
    if (scaling.maxNodeCount < scaling.minNodeCount) {
      return cceError("CCE.01400001", "autoscaling.maxNodeCount must not be less than minNodeCount");
    }
    if (update.initialNodeCount < scaling.minNodeCount || update.initialNodeCount > scaling.maxNodeCount) {
      return cceError(
        "CCE.01400001",
        `initialNodeCount ${update.initialNodeCount} is outside the autoscaling range ` +
          `[${scaling.minNodeCount}, ${scaling.maxNodeCount}]`,
      );
    }
  }
  const limit = flavorNodeLimit(cluster.flavor);
  const others = cluster.pools
    .filter((p) => p !== pool)
    .reduce((sum, p) => sum + Math.max(p.initialNodeCount, poolCounts(cluster, p).currentNode), 0);
  if (others + update.initialNodeCount > limit || (scaling.enable && scaling.maxNodeCount > limit)) {
    return cceError(
      "CCE.01400014",
      `cluster flavor ${cluster.flavor} allows ${limit} nodes; the other pools hold ${others}`,
    );
  }
  if (cluster.pools.some((p) => p !== pool && p.name === update.name)) {
    return cceError("CCE.01409001", `a node pool named ${update.name} already exists in the cluster`);
  }
  pool.name = update.name;
  pool.initialNodeCount = update.initialNodeCount;
  pool.autoscaling = { ...scaling };
  pool.template.k8sTags = { ...update.k8sTags };
  pool.template.taints = update.taints.map((t) => ({ ...t }));
  pool.template.userTags = update.userTags.map((t) => ({ ...t }));
  if (update.login) pool.template.login = { ...update.login };
  pool.updatedAt = now;
  controlPool(state, cluster, pool, now, random);
  return undefined;
}

export function deleteNode(
  state: HuaweiState,
  cluster: ClusterRecord,
  node: NodeRecord,
  options: { scaleDownPool: boolean },
  now: number,
  random: Random,
): JobRecord | CceError {
  const gate = gateClusterChange(cluster, "deleting a node");
  if (gate) return gate;
  if (node.phase === "Deleting")
    return cceError("CCE.01400001", `node ${node.name} is already being deleted`);
  const pool = cluster.pools.find((p) => p.uid === node.poolId);
  if (pool?.deleting) return cceError("CCE.01400001", `node pool ${pool.name} is being deleted`);
  const job = startDeleting(state, cluster, node, now, 0, random);
  // Unless told NoScaleDown, the pool's target shrinks with it; otherwise the pool replaces it.
  if (pool && !pool.isDefault && options.scaleDownPool) {
    pool.initialNodeCount = Math.max(0, pool.initialNodeCount - 1);
    pool.updatedAt = now;
  }
  if (pool && !pool.isDefault) controlPool(state, cluster, pool, now, random);
  return job;
}

export function deletePool(
  state: HuaweiState,
  cluster: ClusterRecord,
  pool: PoolRecord,
  now: number,
  random: Random,
): JobRecord | CceError {
  if (pool.isDefault) return cceError("CCE.01400001", "the default node pool cannot be deleted");
  if (pool.deleting) return cceError("CCE.01400001", `node pool ${pool.name} is already being deleted`);
  const gate = gateClusterChange(cluster, "deleting a node pool");
  if (gate) return gate;
  const parent = newJob(state, random, {
    type: "DeleteNodePool",
    clusterUid: cluster.uid,
    resourceId: pool.uid,
    resourceName: pool.name,
    createdAt: now,
    endsAt: now,
  });
  let order = 0;
  let lastGone = now;
  for (const node of poolNodes(cluster, pool)) {
    const job =
      node.phase === "Deleting"
        ? state.jobs.find((j) => j.uid === node.jobId)
        : startDeleting(state, cluster, node, now, order++, random);
    if (job && !job.parentId) {
      job.parentId = parent.uid;
      parent.subJobIds.push(job.uid);
    }
    lastGone = Math.max(lastGone, node.goneAt ?? now);
  }
  parent.endsAt = lastGone + POOL_DELETE_SECONDS * S;
  pool.deleting = { jobId: parent.uid, until: parent.endsAt };
  pool.updatedAt = now;
  return parent;
}

export function addTags(cluster: ClusterRecord, tags: ResourceTag[], now: number): CceError | undefined {
  const merged = new Map(cluster.tags.map((t) => [t.key, t.value]));
  for (const tag of tags) merged.set(tag.key, tag.value);
  if (merged.size > MAX_CLUSTER_TAGS) {
    return cceError(
      "CCE.01400001",
      `a cluster has at most ${MAX_CLUSTER_TAGS} tags; this request would make ${merged.size}`,
    );
  }
  cluster.tags = [...merged].map(([key, value]) => ({ key, value }));
  cluster.updatedAt = now;
  return undefined;
}

export function removeTags(cluster: ClusterRecord, keys: string[], now: number): void {
  const drop = new Set(keys);
  const kept = cluster.tags.filter((t) => !drop.has(t.key));
  if (kept.length !== cluster.tags.length) cluster.updatedAt = now;
  cluster.tags = kept;
}

/** Request ids for the `X-Request-Id` header. */
export function requestId(random: Random): string {
  return hex32(random);
}
