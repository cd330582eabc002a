// The simulated ACK control plane: clusters, node pools, nodes and tasks, with every state machine
// evaluated lazily from the clock (no timers). A change records WHEN each node joins or leaves; the
// phases (`initial` → `running`, `removing` → gone, pool `scaling`/`removing`/`updating`/`deleting`
// → `active`, cluster `updating` → `running`) are read off those times at `now`.
//
// Behaviour the vendor document leaves open, as decided here (each one is tested):
// - New nodes join ONE AFTER ANOTHER, NODE_JOIN_SECONDS apart; removals likewise, per pool.
// - While a pool is not `active` every further change to it is refused with 409
//   `ErrorNodePoolNotActive`; pool changes need the cluster `running` or `scaling` (409
//   `ErrorClusterNotRunning` otherwise). With `poolOpsScaleCluster` the cluster reports `scaling`
//   while any of its pools changes.
// - ScaleClusterNodePool on a pool whose autoscaler is on is refused (400): the autoscaler owns
//   its size; change its bounds instead. Changing the bounds moves the pool into them at once.
// - DeleteClusterNodepool with nodes left is refused unless `force=true`.

import { ids } from "./ids.ts";

export const NODE_JOIN_SECONDS = 150; // one ECS instance created and joined as a Kubernetes node
export const NODE_REMOVE_SECONDS = 60; // one node cordoned, removed and its instance released
export const NODE_DRAIN_SECONDS = 90; // extra per node when `drain_node` is true
export const POOL_UPDATE_SECONDS = 120; // ModifyClusterNodePool: `updating` → `active`
export const POOL_DELETE_SECONDS = 180; // DeleteClusterNodepool: `deleting` → gone, after its nodes
export const CLUSTER_UPGRADE_MINUTES = 45; // how long a seeded `updating` cluster keeps upgrading
export const SCALE_OUT_MAX_PER_CALL = 500; // vendor limit on ScaleClusterNodePool `count`
export const DEFAULT_NODE_QUOTA = 100; // vendor default cluster node quota (DescribeUserQuota)
export const AUTOSCALING_MAX_INSTANCES = 1000;
/** Tasks remembered at most (oldest forgotten first), so a long benchmark cannot exhaust memory. */
export const TASK_MEMORY = 10_000;

export type ChargeType = "PostPaid" | "PrePaid";

export interface AccountRecord {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The account's home region (what a client is configured with). */
  region: string;
  /**
   * Apsara Stack accounts: the organization (department) and resource set the ASAPI gateway
   * expects. Public-cloud accounts have none, and the ASAPI form refuses them.
   */
  apsara?: { organizationId: string; resourceGroupId: string };
  /** The account UID, the kubeconfig user. */
  uid: string;
}

export interface NodeRecord {
  name: string;
  instanceId: string;
  ip: string;
  role: "Master" | "Worker";
  poolId?: string;
  chargeType: ChargeType;
  instanceType: string;
  created: number;
  /** When the node is Ready (`initial` before). */
  readyAt: number;
  failed: boolean;
  removal?: { at: number; goneAt: number; release: boolean; drain: boolean };
}

export interface Label {
  key: string;
  value: string;
}

export interface Taint extends Label {
  effect: string;
}

export interface PoolRecord {
  id: string;
  name: string;
  isDefault: boolean;
  created: number;
  /** Sub-millisecond digits of `created` (Go prints nanoseconds). */
  nanos: number;
  updated: number;
  autoScaling: { enable: boolean; min_instances: number; max_instances: number; type: string };
  kubernetesConfig: {
    runtime: string;
    runtime_version: string;
    cpu_policy: string;
    cms_enabled: boolean;
    unschedulable: boolean;
    labels: Label[];
    taints: Taint[];
    user_data?: string;
  };
  scalingGroup: {
    scaling_group_id: string;
    instance_types: string[];
    vswitch_ids: string[];
    instance_charge_type: ChargeType;
    scaling_policy: "release" | "recycle";
    system_disk_category: string;
    system_disk_size: number;
    image_id: string;
    platform: string;
    security_group_id: string;
    data_disks: Array<Record<string, unknown>>;
    tags: Label[];
    internet_charge_type?: string;
    internet_max_bandwidth_out?: number;
    multi_az_policy?: string;
  };
  teeEnable: boolean;
  /** `updating` until then (0: not updating). */
  updatingUntil: number;
  deletion?: { at: number; goneAt: number };
  /** Answer this pool without its `status` object (a client must report a malformed response). */
  malformed: boolean;
}

export interface ClusterRecord {
  id: string;
  account: string;
  region: string;
  name: string;
  clusterType: "ManagedKubernetes" | "Kubernetes";
  /** The stored state; `scaling` is derived while pools change. */
  state: ClusterState;
  /** A transition that completes by itself (an upgrade ends, a creation finishes). */
  settles?: { at: number; to: ClusterState };
  version: string;
  tags: Label[];
  created: number;
  updated: number;
  vpcId: string;
  vswitchId: string;
  securityGroupId: string;
  zoneId: string;
  intranetIp: string;
  publicIp?: string;
  subnet: number;
  nextHost: number;
  pools: PoolRecord[];
  nodes: NodeRecord[];
  /** Answer this cluster without its `state` (a client must report a malformed response). */
  malformed: boolean;
}

export const CLUSTER_STATES = [
  "initial",
  "failed",
  "running",
  "updating",
  "updating_failed",
  "scaling",
  "stopped",
  "deleting",
  "deleted",
  "delete_failed",
] as const;
export type ClusterState = (typeof CLUSTER_STATES)[number];

export type PoolState = "active" | "scaling" | "removing" | "deleting" | "updating";
export type NodeState = "initial" | "running" | "removing" | "failed";

export interface TaskRecord {
  id: string;
  clusterId: string;
  account: string;
  type: string;
  created: number;
  finishesAt: number;
  target: { id: string; type: string };
  parameters: Record<string, unknown>;
  /** Instances the task created or removed. */
  instances: string[];
}

export interface AckOptions {
  /** Serve `GET /tasks/{id}` (public ACK). Off: the API is missing, as on Apsara v3.16.2. */
  taskApi: boolean;
  nodeQuota: number;
  /** Status of a throttled answer: the gateways differ (429, 400 or 503 with `Throttling.*`). */
  throttleStatus: 429 | 400 | 503;
  /** The cluster reports `scaling` while any of its pools changes. */
  poolOpsScaleCluster: boolean;
}

export interface AckState {
  accounts: AccountRecord[];
  options: AckOptions;
  clusters: ClusterRecord[];
  tasks: Map<string, TaskRecord>;
  /** Nonces seen per access key, with when they were seen (anti-replay window). */
  nonces: Map<string, number>;
}

/** A refusal in ACK's own terms; the routes render it as the vendor's error body. */
export class AckError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "AckError";
    this.status = status;
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading state at `now`

export function nodeState(node: NodeRecord, now: number): NodeState {
  if (node.removal && now >= node.removal.at) return "removing";
  if (node.failed) return "failed";
  return now < node.readyAt ? "initial" : "running";
}

export function poolNodes(cluster: ClusterRecord, pool: PoolRecord): NodeRecord[] {
  return cluster.nodes.filter((node) => node.poolId === pool.id);
}

export interface PoolStatus {
  state: PoolState;
  total_nodes: number;
  initial_nodes: number;
  serving_nodes: number;
  healthy_nodes: number;
  removing_nodes: number;
  failed_nodes: number;
  offline_nodes: number;
}

export function poolStatus(cluster: ClusterRecord, pool: PoolRecord, now: number): PoolStatus {
  const counts = { initial: 0, running: 0, removing: 0, failed: 0 };
  const nodes = poolNodes(cluster, pool);
  for (const node of nodes) counts[nodeState(node, now)]++;
  const state: PoolState = pool.deletion
    ? "deleting"
    : now < pool.updatingUntil
      ? "updating"
      : counts.removing > 0
        ? "removing"
        : counts.initial > 0
          ? "scaling"
          : "active";
  return {
    state,
    total_nodes: nodes.length,
    initial_nodes: counts.initial,
    serving_nodes: counts.running,
    healthy_nodes: counts.running,
    removing_nodes: counts.removing,
    failed_nodes: counts.failed,
    offline_nodes: 0,
  };
}

export function clusterState(state: AckState, cluster: ClusterRecord, now: number): ClusterState {
  if (
    cluster.state === "running" &&
    state.options.poolOpsScaleCluster &&
    cluster.pools.some((pool) => poolStatus(cluster, pool, now).state !== "active")
  ) {
    return "scaling";
  }
  return cluster.state;
}

export function taskState(task: TaskRecord, now: number): "running" | "success" {
  return now >= task.finishesAt ? "success" : "running";
}

/**
 * Brings stored state up to `now`: departed nodes and deleted pools go, settling clusters take
 * their new state. Everything else is derived on read.
 */
export function reconcile(state: AckState, now: number): void {
  for (const cluster of state.clusters) {
    if (cluster.settles && now >= cluster.settles.at) {
      cluster.state = cluster.settles.to;
      cluster.updated = cluster.settles.at;
      delete cluster.settles;
    }
    cluster.nodes = cluster.nodes.filter((node) => !(node.removal && now >= node.removal.goneAt));
    const gone = new Set(
      cluster.pools.filter((pool) => pool.deletion && now >= pool.deletion.goneAt).map((pool) => pool.id),
    );
    if (gone.size > 0) {
      cluster.pools = cluster.pools.filter((pool) => !gone.has(pool.id));
      cluster.nodes = cluster.nodes.filter((node) => !(node.poolId && gone.has(node.poolId)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Lookups (an account only sees its own clusters)

export function findCluster(state: AckState, account: string, clusterId: string): ClusterRecord {
  const cluster = state.clusters.find((c) => c.id === clusterId && c.account === account);
  if (!cluster || cluster.state === "deleted") {
    throw new AckError(404, "ErrorClusterNotFound", `cluster ${clusterId} not found`);
  }
  return cluster;
}

export function findPool(cluster: ClusterRecord, poolId: string): PoolRecord {
  const pool = cluster.pools.find((p) => p.id === poolId);
  if (!pool) {
    throw new AckError(
      404,
      "ErrorNodePoolNotFound",
      `node pool ${poolId} not found in cluster ${cluster.id}`,
    );
  }
  return pool;
}

// ---------------------------------------------------------------------------------------------
// Changes

function assertPoolMutable(state: AckState, cluster: ClusterRecord, pool: PoolRecord, now: number): void {
  const current = clusterState(state, cluster, now);
  if (current !== "running" && current !== "scaling") {
    throw new AckError(
      409,
      "ErrorClusterNotRunning",
      `cluster ${cluster.id} is ${current}; node pools can change only while it is running`,
    );
  }
  const poolState = poolStatus(cluster, pool, now).state;
  if (poolState !== "active") {
    throw new AckError(
      409,
      "ErrorNodePoolNotActive",
      `node pool ${pool.id} is ${poolState}; wait until it is active again`,
    );
  }
}

/** The next node address in the cluster's VPC subnet. */
function nextIp(cluster: ClusterRecord): string {
  const n = cluster.nextHost++;
  return `192.168.${cluster.subnet + Math.floor(n / 240)}.${10 + (n % 240)}`;
}

export function newNode(
  cluster: ClusterRecord,
  pool: PoolRecord | undefined,
  random: () => number,
  created: number,
  readyAt: number,
  role: "Master" | "Worker" = "Worker",
): NodeRecord {
  const ip = nextIp(cluster);
  const node: NodeRecord = {
    name: `${cluster.region}.${ip}`,
    instanceId: ids.instance(random),
    ip,
    role,
    chargeType: pool?.scalingGroup.instance_charge_type ?? "PostPaid",
    instanceType: pool?.scalingGroup.instance_types[0] ?? "ecs.g6.xlarge",
    created,
    readyAt,
    failed: false,
  };
  if (pool) node.poolId = pool.id;
  return node;
}

/** Adds `count` nodes that join one after another from `startAt`. */
function addNodes(
  cluster: ClusterRecord,
  pool: PoolRecord,
  count: number,
  startAt: number,
  random: () => number,
): NodeRecord[] {
  const added: NodeRecord[] = [];
  for (let i = 0; i < count; i++) {
    const node = newNode(cluster, pool, random, startAt, startAt + (i + 1) * NODE_JOIN_SECONDS * 1000);
    cluster.nodes.push(node);
    added.push(node);
  }
  return added;
}

/** Schedules removals one after another from `startAt` (per pool); returns when the last is gone. */
function scheduleRemoval(
  nodes: NodeRecord[],
  startAt: number,
  options: { release: boolean; drain: boolean },
): number {
  const step = (NODE_REMOVE_SECONDS + (options.drain ? NODE_DRAIN_SECONDS : 0)) * 1000;
  const queues = new Map<string, number>();
  let last = startAt;
  for (const node of nodes) {
    const key = node.poolId ?? "";
    const position = (queues.get(key) ?? 0) + 1;
    queues.set(key, position);
    const goneAt = startAt + position * step;
    node.removal = { at: startAt, goneAt, release: options.release, drain: options.drain };
    last = Math.max(last, goneAt);
  }
  return last;
}

function newTask(
  state: AckState,
  cluster: ClusterRecord,
  random: () => number,
  init: Omit<TaskRecord, "id" | "clusterId" | "account">,
): TaskRecord {
  const id = ids.task(random);
  const task: TaskRecord = { id, clusterId: cluster.id, account: cluster.account, ...init };
  state.tasks.set(id, task);
  if (state.tasks.size > TASK_MEMORY) state.tasks.delete(state.tasks.keys().next().value!);
  return task;
}

/** ScaleClusterNodePool: `count` is the number of nodes to ADD, never a size. */
export function scaleOut(
  state: AckState,
  cluster: ClusterRecord,
  pool: PoolRecord,
  count: unknown,
  now: number,
  random: () => number,
): TaskRecord {
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > SCALE_OUT_MAX_PER_CALL) {
    throw new AckError(
      400,
      "InvalidParameter",
      `count must be an integer from 1 to ${SCALE_OUT_MAX_PER_CALL} (the number of nodes to add), got ${JSON.stringify(count)}`,
    );
  }
  assertPoolMutable(state, cluster, pool, now);
  if (pool.autoScaling.enable) {
    throw new AckError(
      400,
      "ErrorNodePoolAutoScalingEnabled",
      `node pool ${pool.id} is managed by the autoscaler; change auto_scaling.min_instances/max_instances instead`,
    );
  }
  const workers = cluster.nodes.filter((node) => node.role === "Worker").length;
  if (workers + count > state.options.nodeQuota) {
    throw new AckError(
      400,
      "ErrorQuotaExceeded",
      `the cluster would have ${workers + count} nodes; its node quota is ${state.options.nodeQuota}`,
    );
  }
  const added = addNodes(cluster, pool, count, now, random);
  pool.updated = now;
  return newTask(state, cluster, random, {
    type: "nodepool_scaleout",
    created: now,
    finishesAt: added[added.length - 1]!.readyAt,
    target: { id: pool.id, type: "nodepool" },
    parameters: { count },
    instances: added.map((node) => node.instanceId),
  });
}

export interface PoolPatch {
  nodepool_info?: { name?: string | undefined } | undefined;
  auto_scaling?:
    | {
        enable?: boolean | undefined;
        min_instances?: number | undefined;
        max_instances?: number | undefined;
        type?: string | undefined;
      }
    | undefined;
  kubernetes_config?: Partial<PoolRecord["kubernetesConfig"]> | undefined;
  scaling_group?:
    | (Partial<Omit<PoolRecord["scalingGroup"], "scaling_group_id">> & { desired_size?: number | undefined })
    | undefined;
  tee_config?: { tee_enable?: boolean | undefined } | undefined;
  update_nodes?: boolean | undefined;
}

function defined<T extends object>(patch: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(patch ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * ModifyClusterNodePool: merges the given fields (fields left out keep their value). With the
 * autoscaler on, the pool is then moved into [min_instances, max_instances]. `scaling_group.
 * desired_size` (public ACK, not in the 3.16.2 document: digest §3.7) moves a pool without the
 * autoscaler to exactly that many nodes: the newest go first, released per its scaling_policy.
 */
export function modifyPool(
  state: AckState,
  cluster: ClusterRecord,
  pool: PoolRecord,
  patch: PoolPatch,
  now: number,
  random: () => number,
): TaskRecord {
  assertPoolMutable(state, cluster, pool, now);
  const autoScaling = { ...pool.autoScaling, ...defined(patch.auto_scaling) };
  if (autoScaling.min_instances < 0 || autoScaling.max_instances > AUTOSCALING_MAX_INSTANCES) {
    throw new AckError(
      400,
      "InvalidParameter",
      `auto_scaling bounds must lie within 0..${AUTOSCALING_MAX_INSTANCES}, got min_instances ${autoScaling.min_instances}, max_instances ${autoScaling.max_instances}`,
    );
  }
  if (autoScaling.min_instances > autoScaling.max_instances) {
    throw new AckError(
      400,
      "InvalidParameter",
      `auto_scaling.min_instances (${autoScaling.min_instances}) must not exceed max_instances (${autoScaling.max_instances})`,
    );
  }
  if (autoScaling.enable && autoScaling.max_instances < 1) {
    throw new AckError(
      400,
      "InvalidParameter",
      "auto_scaling.max_instances must be at least 1 when the autoscaler is enabled",
    );
  }
  const chargeType = patch.scaling_group?.instance_charge_type;
  if (chargeType !== undefined && chargeType !== "PostPaid" && chargeType !== "PrePaid") {
    throw new AckError(
      400,
      "InvalidParameter",
      "scaling_group.instance_charge_type must be PrePaid or PostPaid",
    );
  }
  const { desired_size: desiredSize, ...scalingGroup } = patch.scaling_group ?? {};
  if (desiredSize !== undefined) {
    if (!Number.isInteger(desiredSize) || desiredSize < 0 || desiredSize > AUTOSCALING_MAX_INSTANCES) {
      throw new AckError(
        400,
        "InvalidParameter",
        `scaling_group.desired_size must be an integer from 0 to ${AUTOSCALING_MAX_INSTANCES}, got ${JSON.stringify(desiredSize)}`,
      );
    }
    if (autoScaling.enable) {
      throw new AckError(
        400,
        "InvalidParameter",
        "scaling_group.desired_size applies to a node pool without auto scaling; the autoscaler sizes this one within auto_scaling.min_instances..max_instances",
      );
    }
  }
  pool.autoScaling = autoScaling;
  if (patch.nodepool_info?.name !== undefined) pool.name = patch.nodepool_info.name;
  pool.kubernetesConfig = { ...pool.kubernetesConfig, ...defined(patch.kubernetes_config) };
  pool.scalingGroup = { ...pool.scalingGroup, ...defined(scalingGroup) };
  if (patch.tee_config?.tee_enable !== undefined) pool.teeEnable = patch.tee_config.tee_enable;
  pool.updatingUntil = now + POOL_UPDATE_SECONDS * 1000;
  pool.updated = now;

  let finishesAt = pool.updatingUntil;
  const instances: string[] = [];
  const staying = poolNodes(cluster, pool).filter((node) => !node.removal);
  const [lowest, highest] =
    desiredSize !== undefined
      ? [desiredSize, desiredSize]
      : autoScaling.enable
        ? [autoScaling.min_instances, autoScaling.max_instances]
        : [0, Number.POSITIVE_INFINITY];
  if (staying.length < lowest) {
    const added = addNodes(cluster, pool, lowest - staying.length, pool.updatingUntil, random);
    finishesAt = added[added.length - 1]!.readyAt;
    instances.push(...added.map((node) => node.instanceId));
  } else if (staying.length > highest) {
    const surplus = [...staying].sort((a, b) => b.created - a.created).slice(0, staying.length - highest);
    finishesAt = scheduleRemoval(surplus, pool.updatingUntil, {
      release: pool.scalingGroup.scaling_policy === "release",
      drain: true,
    });
    instances.push(...surplus.map((node) => node.instanceId));
  }
  return newTask(state, cluster, random, {
    type: "nodepool_update",
    created: now,
    finishesAt,
    target: { id: pool.id, type: "nodepool" },
    parameters: JSON.parse(JSON.stringify(patch)) as Record<string, unknown>,
    instances,
  });
}

/**
 * RemoveClusterNodes (and RemoveNodePoolNodes when `pool` is given): removes the named nodes,
 * one after another per pool; `release` also releases the instances (refused for PrePaid).
 */
export function removeNodes(
  state: AckState,
  cluster: ClusterRecord,
  names: string[],
  options: { release: boolean; drain: boolean; pool?: PoolRecord },
  now: number,
  random: () => number,
): TaskRecord {
  if (names.length === 0) throw new AckError(400, "InvalidParameter", "nodes must name at least one node");
  if (new Set(names).size !== names.length)
    throw new AckError(400, "InvalidParameter", "nodes names a node twice");
  const nodes = names.map((name) => {
    const node = cluster.nodes.find((n) => n.name === name || n.instanceId === name);
    if (!node)
      throw new AckError(400, "ErrorNodeNotFound", `node ${name} is not a node of cluster ${cluster.id}`);
    if (node.role === "Master")
      throw new AckError(
        400,
        "InvalidParameter",
        `node ${name} is a master node; only workers can be removed`,
      );
    if (options.pool && node.poolId !== options.pool.id) {
      throw new AckError(400, "InvalidParameter", `node ${name} is not in node pool ${options.pool.id}`);
    }
    if (options.release && node.chargeType === "PrePaid") {
      throw new AckError(
        400,
        "InvalidParameter",
        `node ${name} is a subscription (PrePaid) instance and cannot be released; set release_node to false`,
      );
    }
    return node;
  });
  const pools = new Map<string, PoolRecord>();
  for (const node of nodes) {
    if (node.poolId) pools.set(node.poolId, findPool(cluster, node.poolId));
  }
  for (const pool of pools.values()) assertPoolMutable(state, cluster, pool, now);
  const finishesAt = scheduleRemoval(nodes, now, options);
  for (const pool of pools.values()) pool.updated = now;
  const target = options.pool ?? (pools.size === 1 ? [...pools.values()][0] : undefined);
  return newTask(state, cluster, random, {
    type: "remove_nodes",
    created: now,
    finishesAt,
    target: target ? { id: target.id, type: "nodepool" } : { id: cluster.id, type: "cluster" },
    parameters: { nodes: names, release_node: options.release, drain_node: options.drain },
    instances: nodes.map((node) => node.instanceId),
  });
}

/** DeleteClusterNodepool: refused while nodes remain, unless `force` (they are removed first). */
export function deletePool(
  state: AckState,
  cluster: ClusterRecord,
  pool: PoolRecord,
  force: boolean,
  now: number,
  random: () => number,
): TaskRecord {
  assertPoolMutable(state, cluster, pool, now);
  const nodes = poolNodes(cluster, pool);
  if (nodes.length > 0 && !force) {
    throw new AckError(
      400,
      "ErrorNodePoolHasNodes",
      `node pool ${pool.id} still has ${nodes.length} nodes; remove them first or pass force=true`,
    );
  }
  const nodesGone = scheduleRemoval(nodes, now, {
    release: pool.scalingGroup.instance_charge_type === "PostPaid",
    drain: false,
  });
  pool.deletion = { at: now, goneAt: nodesGone + POOL_DELETE_SECONDS * 1000 };
  pool.updated = now;
  return newTask(state, cluster, random, {
    type: "nodepool_delete",
    created: now,
    finishesAt: pool.deletion.goneAt,
    target: { id: pool.id, type: "nodepool" },
    parameters: { force },
    instances: nodes.map((node) => node.instanceId),
  });
}
