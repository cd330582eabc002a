// The one port every cloud client implements. The sleep/wake, resize and renewal jobs speak only
// this language; what "sleep" means per cloud (hibernate, scale to zero, release nodes) is decided
// above it, from `capabilities`.
import type { KubernetesClient } from "./kubernetes.ts";

/** The clouds nightshift speaks to: the one list (schedule selectors and operations validate against it). */
export const PROVIDER_KINDS = ["huawei", "autopilot", "alibaba", "baidu"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/**
 * Cluster phase, normalised. `vendorPhase` keeps the cloud's own word.
 * - running: stable and accepting changes
 * - hibernating / hibernated / waking: the sleep cycle (Huawei CCE only)
 * - busy: a transitional state (creating, upgrading, scaling, resizing, deleting...): retry later
 * - failed: needs a human (Unavailable, error, create_failed...)
 */
export type ClusterPhase = "running" | "hibernating" | "hibernated" | "waking" | "busy" | "failed";

export interface Cluster {
  provider: ProviderKind;
  account: string;
  region: string;
  id: string;
  name: string;
  phase: ClusterPhase;
  vendorPhase: string;
  version?: string;
  tags: Record<string, string>;
}

export interface NodePoolAutoscaling {
  enabled: boolean;
  min: number;
  max: number;
}

export interface NodePool {
  id: string;
  name: string;
  /** The size the cloud is converging to (spec). */
  desired: number;
  /** Nodes that exist and are ready now (status). */
  ready: number;
  autoscaling?: NodePoolAutoscaling;
  /** Normalised: stable when ready === desired and no change is in flight. */
  phase: "stable" | "scaling" | "busy" | "failed";
  vendorPhase: string;
}

export interface Node {
  id: string;
  name: string;
  poolId?: string;
  vendorPhase: string;
  ready: boolean;
}

/** A cloud-side job (Huawei job, Alibaba task, Baidu task) to poll until it ends. */
export interface Job {
  id: string;
  phase: "running" | "succeeded" | "failed";
  vendorPhase: string;
  reason?: string;
}

/**
 * How to learn that an asynchronous call finished. Clouds differ: Huawei hibernate returns nothing
 * (poll the cluster phase), node-pool deletes return a job id, Alibaba scale-out a task id.
 * Stored by durable operations so a retry resumes polling instead of re-issuing.
 */
export type Completion =
  | { kind: "cluster-phase"; clusterId: string; until: ClusterPhase }
  | { kind: "pool-size"; clusterId: string; poolId: string; desired: number }
  | { kind: "job"; jobId: string }
  | { kind: "immediate" };

export interface Kubeconfig {
  /** The kubeconfig as the cloud returned it, normalised to YAML or JSON text. Secret material. */
  text: string;
  /** Client certificate validity, parsed from the real X.509 certificate. */
  notBefore: Date;
  notAfter: Date;
  server: string;
}

export interface ResizeRequest {
  desired: number;
  /**
   * Alibaba and Huawei shrink by removing nodes. Alibaba removal releases the instances, so it is
   * refused unless the caller (the schedule) explicitly allows it.
   */
  allowNodeRelease?: boolean;
}

/** The account a client signs with (a configured Account fits it). */
export interface ProviderAccount {
  id: string;
  accessKeyId: string;
  secretAccessKey: string;
  securityToken?: string;
  region: string;
  /** Huawei CCE and Autopilot: every path names the project (one per region). */
  projectId?: string;
  /** Overrides the vendor's public regional endpoint (each client documents its default). */
  endpoint?: string;
}

/**
 * What a cloud can do. The sleep/wake steps choose from these, never from the provider's name, so
 * a new cloud with the same capabilities needs no change there.
 */
export interface ProviderCapabilities {
  /** The control plane hibernates and wakes (modes `full` and `control-plane`). */
  hibernate: boolean;
  /** Node pools to scale to 0 and back (modes `full` and `nodes`). */
  nodePools: boolean;
  /** Shrinking a pool deletes specific nodes rather than setting a size. */
  shrinkRemovesNodes: boolean;
  /**
   * Removing a pool's nodes releases (deletes) their instances: a sleep does it only where the
   * schedule allows it (`releaseNodes: true`).
   */
  shrinkReleasesInstances: boolean;
  /**
   * The cluster has no nodes of its own to sleep (serverless, billed for running pods): sleep
   * scales its Deployments/StatefulSets to 0 through its Kubernetes API (mode `workloads`).
   */
  workloads: boolean;
  /** Kubeconfig validity unit the cloud accepts. */
  kubeconfigValidity: "days" | "minutes" | "fixed";
}

export interface Provider {
  readonly kind: ProviderKind;
  readonly account: string;
  readonly region: string;
  readonly capabilities: ProviderCapabilities;

  listClusters(): Promise<Cluster[]>;
  getCluster(clusterId: string): Promise<Cluster>;
  /** Only where capabilities.hibernate. */
  hibernate(clusterId: string): Promise<Completion>;
  awake(clusterId: string): Promise<Completion>;

  listNodePools(clusterId: string): Promise<NodePool[]>;
  getNodePool(clusterId: string, poolId: string): Promise<NodePool>;
  /**
   * `read`: the pool as the caller read it from this provider moments ago, unchanged since as far
   * as it knows. A cloud whose update replaces the whole spec (Huawei CCE) sends that read back
   * instead of reading the pool again; the others need no read.
   */
  resizeNodePool(
    clusterId: string,
    poolId: string,
    request: ResizeRequest,
    read?: NodePool,
  ): Promise<Completion>;
  /** Changes the autoscaler's bounds instead of a fixed size (pools with the autoscaler on); `read` as above. */
  setNodePoolAutoscaling(
    clusterId: string,
    poolId: string,
    bounds: NodePoolAutoscaling,
    read?: NodePool,
  ): Promise<Completion>;

  listNodes(clusterId: string, poolId?: string): Promise<Node[]>;

  /** validity in the unit of capabilities.kubeconfigValidity. */
  issueKubeconfig(clusterId: string, validity: number): Promise<Kubeconfig>;
  /**
   * The cluster's Kubernetes API through the cloud's API gateway, signed with the account's keys
   * like every other call: no client certificate needed (CCE Autopilot). Absent where the cloud has
   * no such gateway.
   */
  kubernetes?(clusterId: string): KubernetesClient;
  getJob(jobId: string): Promise<Job>;
}

export type ProviderErrorKind =
  | "auth" // bad signature, unknown key, expired request, no permission
  | "not-found"
  | "conflict" // locked resource, wrong phase for the operation
  | "throttled"
  | "invalid" // the request itself is wrong
  | "unsupported" // the cloud has no such operation (e.g. Autopilot hibernate)
  | "server" // 5xx
  | "timeout"
  | "network"
  | "malformed-response"; // the cloud answered something we cannot read

/** What a ProviderError may say besides its kind and message (each left out when undefined). */
export interface ProviderErrorDetails {
  status?: number | undefined;
  code?: string | undefined;
  requestId?: string | undefined;
  retryAfterSeconds?: number | undefined;
}

/** One provider's error builder: `fail(api, kind, message, details)`. */
export function errorsOf(provider: ProviderKind) {
  return (api: string, kind: ProviderErrorKind, message: string, details: ProviderErrorDetails = {}) =>
    new ProviderError({ kind, provider, api, message, ...details });
}

/** A failed cloud call, with what a caller needs to decide: retry later, skip, or report. */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly provider: ProviderKind;
  /** e.g. "huawei.getCluster" */
  readonly api: string;
  readonly status?: number;
  readonly code?: string;
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;

  /** The optional details may be passed as undefined (or "" for code and requestId): they are left out. */
  constructor(
    init: ProviderErrorDetails & {
      kind: ProviderErrorKind;
      provider: ProviderKind;
      api: string;
      message: string;
    },
  ) {
    super(`${init.api}: ${init.message}`);
    this.name = "ProviderError";
    this.kind = init.kind;
    this.provider = init.provider;
    this.api = init.api;
    if (init.status !== undefined) this.status = init.status;
    if (init.code) this.code = init.code;
    if (init.requestId) this.requestId = init.requestId;
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** Worth trying again later without changing anything. */
  get transient(): boolean {
    return ["throttled", "server", "timeout", "network", "conflict"].includes(this.kind);
  }
}
