// The vendor's JSON shapes (digest §2.1, §3.1, §3.7, §5), rendered from the state records. Field
// names are CCE's exactly, including its quirks: `jobID` on clusters and nodes but `jobId` on node
// pools, Go `time.Time.String()` timestamps, and zero / false values left out of the autoscaling
// and status counters the way Go's `omitempty` leaves them out.

import { isConverging, jobPhase, jobUpdatedAt, poolCounts } from "./machine.ts";
import type { ClusterRecord, HuaweiState, JobRecord, NodeRecord, PoolRecord } from "./model.ts";

/** The cluster tag that breaks this cluster's JSON without the inspection API (comma-separated paths). */
export const MALFORMED_TAG = "sandbox/malformed";

/** The system label every pool's nodes carry (000: L32611). */
export const POOL_LABEL = "cce.cloud.com/cce-nodepool";

/**
 * Go's `time.Time.String()` in UTC: `2018-08-02 03:48:58.968214406 +0000 UTC`, trailing zeros of
 * the fraction dropped. The simulated clock has milliseconds; the sub-millisecond digits are made
 * up from the instant (deterministically) so timestamps look like the cloud's nine-digit ones.
 */
export function formatGoTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const subMillis = (Math.imul(Math.floor(ms) | 0, 0x9e3779b1) >>> 0) % 1_000_000;
  const nanos = (((ms % 1000) + 1000) % 1000) * 1_000_000 + subMillis;
  const fraction = String(nanos).padStart(9, "0").replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ""} +0000 UTC`;
}

/** Removes `a.b.c` paths from a rendered object: the malformed-response switch. */
export function withoutPaths<T extends Record<string, unknown>>(object: T, paths: readonly string[]): T {
  for (const path of paths) {
    const parts = path.split(".");
    let at: unknown = object;
    for (const part of parts.slice(0, -1)) {
      at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[part] : undefined;
    }
    if (at !== null && typeof at === "object") delete (at as Record<string, unknown>)[parts.at(-1)!];
  }
  return object;
}

/** Go `omitempty`: drops 0, false and "" entries. */
function omitEmpty(values: Record<string, number | boolean | string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== 0 && v !== false && v !== ""));
}

function malformedPaths(cluster: ClusterRecord): string[] {
  const tag = cluster.tags.find((t) => t.key === MALFORMED_TAG)?.value ?? "";
  return [
    ...cluster.malformed,
    ...tag
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  ];
}

export function renderCluster(
  cluster: ClusterRecord,
  options: { detail?: boolean } = {},
): Record<string, unknown> {
  const endpoints: Array<{ url: string; type: string }> = [
    { url: `https://${cluster.internalIp}:5443`, type: "Internal" },
  ];
  if (cluster.eip) endpoints.push({ url: `https://${cluster.eip}:5443`, type: "External" });
  const status: Record<string, unknown> = { phase: cluster.phase };
  if (cluster.jobId) status.jobID = cluster.jobId;
  if (cluster.phase !== "Available") {
    status.reason = cluster.phase;
    status.message = `cluster is ${cluster.phase}`;
  }
  status.endpoints = endpoints;
  const metadata: Record<string, unknown> = {
    name: cluster.name,
    uid: cluster.uid,
    alias: cluster.name,
    creationTimestamp: formatGoTime(cluster.createdAt),
    updateTimestamp: formatGoTime(cluster.updatedAt),
  };
  if (options.detail) {
    const active = cluster.nodes.filter((n) => n.phase === "Active").length;
    metadata.annotations = {
      totalNodesNumber: String(cluster.nodes.length),
      activeNodesNumber: String(active),
      totalNodesCPU: String(cluster.nodes.length * 4),
      totalNodesMemory: String(cluster.nodes.length * 8),
      installedAddonInstances: "[]",
    };
  }
  const body = {
    kind: "Cluster",
    apiVersion: "v3",
    metadata,
    spec: {
      category: "CCE",
      type: "VirtualMachine",
      flavor: cluster.flavor,
      version: cluster.version,
      platformVersion: "cce.10.0",
      description: cluster.description,
      hostNetwork: { vpc: cluster.vpcId, subnet: cluster.subnetId },
      containerNetwork: { mode: "overlay_l2", cidr: "172.16.0.0/16" },
      authentication: { mode: "rbac", authenticatingProxy: {} },
      billingMode: 0,
      kubeProxyMode: "iptables",
      clusterTags: cluster.tags.map((t) => ({ key: t.key, value: t.value })),
    },
    status,
  };
  return withoutPaths(body, malformedPaths(cluster));
}

function poolPhase(cluster: ClusterRecord, pool: PoolRecord): string {
  if (pool.deleting) return "Deleting";
  return isConverging(cluster, pool) || poolCounts(cluster, pool).currentNode !== pool.initialNodeCount
    ? "Synchronizing"
    : "";
}

export function renderPool(cluster: ClusterRecord, pool: PoolRecord, now: number): Record<string, unknown> {
  const counts = poolCounts(cluster, pool);
  const t = pool.template;
  const status: Record<string, unknown> = {
    ...omitEmpty({ ...counts }),
    phase: poolPhase(cluster, pool),
    conditions: [
      {
        type: "Scalable",
        status: "True",
        lastProbeTime: formatGoTime(now),
        lastTransitTime: formatGoTime(pool.createdAt),
        reason: "",
        message: "",
      },
    ],
  };
  if (pool.deleting) status.jobId = pool.deleting.jobId;
  const nodeTemplate: Record<string, unknown> = {
    flavor: t.flavor,
    az: t.az,
    os: t.os,
    login: { ...t.login },
    rootVolume: { ...t.rootVolume },
    dataVolumes: t.dataVolumes.map((v) => ({ ...v, extendParam: { useType: "docker" } })),
    billingMode: t.billingMode,
    extendParam: { maxPods: t.maxPods },
    k8sTags: { ...t.k8sTags, [POOL_LABEL]: pool.name },
    taints: t.taints.map((x) => ({ ...x })),
    userTags: t.userTags.map((x) => ({ ...x })),
    runtime: { name: "containerd" },
  };
  const spec: Record<string, unknown> = { type: "vm", nodeTemplate };
  // The default pool has no target of its own (the list example shows none).
  if (!pool.isDefault) spec.initialNodeCount = pool.initialNodeCount;
  spec.autoscaling = omitEmpty({ ...pool.autoscaling });
  spec.nodeManagement = {};
  return withoutPaths(
    {
      kind: "NodePool",
      apiVersion: "v3",
      metadata: {
        name: pool.name,
        uid: pool.uid,
        creationTimestamp: formatGoTime(pool.createdAt),
        updateTimestamp: formatGoTime(pool.updatedAt),
      },
      spec,
      status,
    },
    pool.malformed,
  );
}

export function renderNode(cluster: ClusterRecord, node: NodeRecord, now: number): Record<string, unknown> {
  const pool = cluster.pools.find((p) => p.uid === node.poolId);
  const t = pool?.template;
  const status: Record<string, unknown> = {
    phase: node.phase,
    lastProbeTime: formatGoTime(now),
    serverId: node.serverId,
    privateIP: node.privateIP,
  };
  if (node.jobId) status.jobID = node.jobId;
  return {
    kind: "Node",
    apiVersion: "v3",
    metadata: {
      name: node.name,
      uid: node.uid,
      annotations: { "kubernetes.io/node-pool.id": node.poolId },
      creationTimestamp: formatGoTime(node.createdAt),
      updateTimestamp: formatGoTime(node.updatedAt),
    },
    spec: t
      ? {
          flavor: t.flavor,
          az: t.az,
          os: t.os,
          login: { ...t.login },
          rootVolume: { ...t.rootVolume },
          dataVolumes: t.dataVolumes.map((v) => ({ ...v })),
          billingMode: t.billingMode,
        }
      : {},
    status,
  };
}

export function renderJob(state: HuaweiState, job: JobRecord, now: number): Record<string, unknown> {
  const phase = jobPhase(job, now);
  const subJobs = job.subJobIds
    .map((id) => state.jobs.find((j) => j.uid === id))
    .filter((j): j is JobRecord => j !== undefined)
    .map((j) => renderJob(state, j, now));
  return {
    kind: "Job",
    apiVersion: "v3",
    metadata: {
      uid: job.uid,
      creationTimestamp: formatGoTime(job.createdAt),
      updateTimestamp: formatGoTime(jobUpdatedAt(job, now)),
    },
    spec: {
      type: job.type,
      clusterUID: job.clusterUid,
      resourceID: job.resourceId,
      resourceName: job.resourceName,
      extendParam: { ...job.extendParam },
      ...(subJobs.length > 0 ? { subJobs } : {}),
    },
    status: { phase, reason: phase === "Failed" ? (job.failReason ?? "") : "" },
  };
}
