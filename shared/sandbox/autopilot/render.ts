// The Autopilot API's JSON for clusters, jobs and kubeconfigs, field for field as the digest's
// examples show them (§6): the shapes the client must read.
import { base64Ascii, goTime } from "./format.ts";
import { type ClusterRecord, type JobPhase, type JobRecord, jobPhase, subJobPhase } from "./state.ts";

const FEATURE_GATES = "arpOptimization,elbv3,xGPU";
const SERVICE_CIDR = "10.247.0.0/16";

/** Removes each dotted path from `value` (in place): how a seeded cluster breaks its own answers. */
export function omitPaths(value: Record<string, unknown>, paths: readonly string[]): void {
  for (const path of paths) {
    const parts = path.split(".");
    let node: unknown = value;
    for (const part of parts.slice(0, -1)) {
      node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
    }
    if (node && typeof node === "object") delete (node as Record<string, unknown>)[parts[parts.length - 1]!];
  }
}

/**
 * One AutopilotCluster as show/list answer it. `apiServer` is where the cluster's Kubernetes API
 * answers (the sandbox's mutual-TLS listener), shown as the `Internal` endpoint.
 */
export function renderCluster(cluster: ClusterRecord, apiServer: string): Record<string, unknown> {
  const annotations: Record<string, string> = { enableAutopilot: "true" };
  const jobId = cluster.transition?.jobId;
  if (cluster.phase === "Creating" && jobId) {
    annotations.jobid = jobId;
    annotations.resourceJobId = jobId;
  }
  const status: Record<string, unknown> = { phase: cluster.phase };
  if (jobId) status.jobID = jobId;
  if (cluster.phase !== "Available") {
    if (cluster.reason !== undefined) status.reason = cluster.reason;
    if (cluster.message !== undefined) status.message = cluster.message;
  }
  status.endpoints = cluster.phase === "Creating" ? [] : [{ url: apiServer, type: "Internal" }];
  status.isLocked = cluster.phase === "Frozen";
  if (cluster.phase === "Frozen") {
    status.lockScene = "arrear";
    status.lockSource = "bss";
  }
  const rendered: Record<string, unknown> = {
    kind: "Cluster",
    apiVersion: "v3",
    metadata: {
      name: cluster.name,
      uid: cluster.uid,
      annotations,
      labels: { FeatureGates: FEATURE_GATES },
      creationTimestamp: goTime(cluster.createdAt),
      updateTimestamp: goTime(cluster.updatedAt),
    },
    spec: {
      category: "Turbo",
      type: "VirtualMachine",
      flavor: "cce.autopilot.cluster",
      version: cluster.version,
      platformVersion: cluster.platformVersion,
      description: cluster.description,
      hostNetwork: { vpc: cluster.vpcId, subnet: cluster.subnetId },
      containerNetwork: { mode: "eni" },
      eniNetwork: { subnets: [{ subnetID: cluster.eniSubnetId }] },
      serviceNetwork: { IPv4CIDR: SERVICE_CIDR },
      authentication: { mode: "rbac" },
      billingMode: 0,
      kubernetesSvcIpRange: SERVICE_CIDR,
      kubeProxyMode: "iptables",
      az: cluster.az,
      clusterTags: cluster.tags.map((t) => ({ ...t })),
      extendParam: { enterpriseProjectId: "0", upgradeFrom: "" },
      enableSnat: true,
      enableSWRImageAccess: true,
      enableAutopilot: true,
    },
    status,
  };
  omitPaths(rendered, cluster.omitFields);
  return rendered;
}

function jobMetadata(uid: string, createdAt: number, updatedAt: number) {
  return { uid, creationTimestamp: goTime(createdAt), updateTimestamp: goTime(updatedAt) };
}

/** One Job as `GET …/jobs/{job_id}` answers it, at time `now`. */
export function renderJob(job: JobRecord, now: number): Record<string, unknown> {
  const outcome: JobPhase = job.outcome;
  const phase = jobPhase(job, outcome, now);
  const subJobs = job.subJobs.map((sub) => {
    // A failed job fails in its last sub-job; the earlier ones succeeded.
    const last = sub === job.subJobs[job.subJobs.length - 1];
    const subPhase = subJobPhase(sub, last ? outcome : "Success", now);
    return {
      kind: "Job",
      apiVersion: "v3",
      metadata: jobMetadata(sub.uid, job.createdAt, Math.min(now, sub.endsAt)),
      spec: { type: sub.type, clusterUID: job.clusterUid, resourceID: job.clusterUid },
      status: { phase: subPhase, reason: subPhase === "Failed" ? job.reason : "" },
    };
  });
  return {
    kind: "Job",
    apiVersion: "v3",
    metadata: jobMetadata(job.uid, job.createdAt, Math.min(now, job.endsAt)),
    spec: {
      type: job.type,
      clusterUID: job.clusterUid,
      resourceID: job.clusterUid,
      resourceName: job.clusterName,
      extendParam: {},
      subJobs,
    },
    status: { phase, reason: phase === "Failed" ? job.reason : "" },
  };
}

/** The clustercert answer (digest §2.6, §6): a k8s v1.Config with base64 PEM data. */
export function renderKubeconfig(options: {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}): Record<string, unknown> {
  return {
    kind: "Config",
    apiVersion: "v1",
    preferences: {},
    clusters: [
      {
        name: "internalCluster",
        cluster: { server: options.server, "certificate-authority-data": base64Ascii(options.caPem) },
      },
    ],
    users: [
      {
        name: "user",
        user: {
          "client-certificate-data": base64Ascii(options.certPem),
          "client-key-data": base64Ascii(options.keyPem),
        },
      },
    ],
    contexts: [{ name: "internal", context: { cluster: "internalCluster", user: "user" } }],
    "current-context": "internal",
  };
}
