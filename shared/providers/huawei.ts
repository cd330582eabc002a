// The Huawei Cloud CCE (standard) client behind the Provider port. Every call is signed afresh
// with SDK-HMAC-SHA256 (X-Project-Id among the signed headers), sent through the shared HTTP layer,
// and its answer validated (huawei.schemas.ts). Quirks it handles (digest docs/vendors/huawei-cce.md):
// - hibernate / awake answer 200 with no body and no job: completion is the cluster phase;
//   a 400 because the cluster is already (going) there counts as done;
// - a node-pool PUT replaces the spec, resetting whatever is left out: the client GETs the pool,
//   changes only what it means to, and PUTs the whole spec back;
// - two error-body shapes (CCE `errorCode`/`errorMessage`, APIG `error_code`/`error_msg`);
// - 429 is throttling (`CCE.02429001`, `APIG.0308`) except `CCE.01429002`, a locked resource;
// - `jobID` (clusters, nodes) vs `jobId` (node pools); Go timestamps.
import type * as z from "zod";
import { type HttpClient, HttpFailure, type ReceivedResponse, retryAfterMs } from "../http/client.ts";
import { issuedKubeconfig, KubeconfigError } from "../kubeconfig/kubeconfig.ts";
import { signHuawei } from "../signer/huawei.ts";
import { SignerInputError } from "../signer/request.ts";
import {
  type ClusterResponse,
  clusterListSchema,
  clusterSchema,
  deletedNodePoolSchema,
  deletedNodeSchema,
  type JobResponse,
  jobSchema,
  type NodePoolResponse,
  nodeListSchema,
  nodePoolListSchema,
  nodePoolSchema,
  readVendorError,
} from "./huawei.schemas.ts";
import {
  type Cluster,
  type ClusterPhase,
  type Completion,
  errorsOf,
  type Job,
  type Kubeconfig,
  type Node,
  type NodePool,
  type NodePoolAutoscaling,
  type Provider,
  type ProviderAccount,
  type ProviderCapabilities,
  ProviderError,
  type ProviderErrorKind,
  type ResizeRequest,
} from "./port.ts";

export { parseHuaweiTime } from "./huawei.schemas.ts";

/** `projectId` is required; the endpoint defaults to `https://cce.{region}.myhuaweicloud.com`. */
export type HuaweiAccount = ProviderAccount;

export interface HuaweiProviderOptions {
  account: HuaweiAccount;
  http: HttpClient;
  now: () => Date;
  nonce?: () => string;
  /** Per-attempt timeout handed to the HTTP layer. */
  timeoutMs?: number;
}

export interface HuaweiCluster extends Cluster {
  createdAt?: Date;
  updatedAt?: Date;
  /** `status.jobID`: the job of the current state (create, delete, upgrade), when there is one. */
  jobId?: string;
  endpoints: Array<{ url: string; type: string }>;
}

export interface HuaweiJob extends Job {
  type: string;
  resourceId?: string;
  createdAt?: Date;
  updatedAt?: Date;
  subJobs: HuaweiJob[];
}

/** Huawei-only operations beyond the port. */
export interface HuaweiProvider extends Provider {
  /** `status` filters on the CCE phase server-side (e.g. "Hibernation"). */
  listClusters(filter?: { status?: string }): Promise<HuaweiCluster[]>;
  getCluster(clusterId: string): Promise<HuaweiCluster>;
  getJob(jobId: string): Promise<HuaweiJob>;
  /** Upserts cluster resource tags (`spec.clusterTags`); idempotent; at most 20 per cluster. */
  addClusterTags(clusterId: string, tags: Record<string, string>): Promise<void>;
  /** Removes tags by key; missing keys are fine. */
  removeClusterTags(clusterId: string, keys: string[]): Promise<void>;
  /**
   * Deletes one node. By default the pool's target shrinks with it; `scaleDownPool: false` sends
   * `nodepoolScaleDown=NoScaleDown`, and the pool replaces the node.
   */
  deleteNode(clusterId: string, nodeId: string, options?: { scaleDownPool?: boolean }): Promise<Completion>;
  deleteNodePool(clusterId: string, poolId: string): Promise<Completion>;
}

export const HUAWEI_CAPABILITIES: ProviderCapabilities = {
  hibernate: true,
  nodePools: true,
  shrinkRemovesNodes: false,
  shrinkReleasesInstances: false,
  workloads: false,
  kubeconfigValidity: "days",
};

/** The CCE code of a locked resource: a 429 that is not throttling. */
export const RESOURCE_LOCKED = "CCE.01429002";

const PHASES: Record<string, ClusterPhase> = {
  Available: "running",
  Hibernating: "hibernating",
  Hibernation: "hibernated",
  Awaking: "waking",
  Unavailable: "failed",
  RollbackFailed: "failed",
  Empty: "failed",
};

/** CCE `status.phase` → the port's phase; every other (transitional or unknown) phase is busy. */
export function clusterPhase(vendorPhase: string): ClusterPhase {
  return PHASES[vendorPhase] ?? "busy";
}

function errorKind(status: number, code: string | undefined): ProviderErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 429) return code === RESOURCE_LOCKED ? "conflict" : "throttled";
  if (status === 408) return "timeout";
  if (status >= 500) return "server";
  return "invalid";
}

/** A non-2xx answer as a ProviderError: either error shape, the request id, Retry-After. */
export function huaweiError(api: string, response: ReceivedResponse, now: Date): ProviderError {
  const vendor = readVendorError(response.text);
  const requestId = response.headers.get("x-request-id") ?? vendor.requestId;
  const wait = retryAfterMs(response.headers, now);
  const summary = vendor.message ?? `HTTP ${response.status}`;
  return new ProviderError({
    kind: errorKind(response.status, vendor.code),
    provider: "huawei",
    api,
    message: `${response.status}${vendor.code ? ` ${vendor.code}` : ""}: ${summary}${vendor.detail ? ` (${vendor.detail})` : ""}`,
    status: response.status,
    code: vendor.code,
    requestId,
    retryAfterSeconds: wait === undefined ? undefined : Math.ceil(wait / 1000),
  });
}

/** The fields a node-pool PUT must carry back whole (the PUT resets what it lacks). */
type RawPool = { metadata: Record<string, unknown>; spec: Record<string, unknown> };

export function createHuaweiProvider(options: HuaweiProviderOptions): HuaweiProvider {
  const { account, http, now } = options;
  const projectId = account.projectId;
  if (!projectId) {
    throw new Error(
      `huawei account ${account.id}: projectId is required (the project of region ${account.region})`,
    );
  }
  const endpoint = (account.endpoint ?? `https://cce.${account.region}.myhuaweicloud.com`).replace(
    /\/+$/,
    "",
  );
  const prefix = `/api/v3/projects/${encodeURIComponent(projectId)}`;
  const credentials = {
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
    ...(account.securityToken ? { securityToken: account.securityToken } : {}),
  };
  const id = encodeURIComponent;

  const fail = errorsOf("huawei");

  async function sign(request: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: string;
  }) {
    const signed = await signHuawei(
      {
        method: request.method,
        url: request.url,
        ...(request.headers ? { headers: request.headers } : {}),
        ...(request.body !== undefined ? { body: request.body } : {}),
      },
      credentials,
      { now: now() },
    );
    // Host is signed, but the transport sets it from the URL (fetch may not send a given one).
    return Object.fromEntries(
      Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== "host"),
    );
  }

  async function call(
    api: string,
    method: string,
    path: string,
    init: { idempotent: boolean; body?: unknown; query?: Record<string, string> },
  ): Promise<ReceivedResponse> {
    const query = init.query ? `?${new URLSearchParams(init.query).toString()}` : "";
    const request = {
      method,
      url: `${endpoint}${prefix}${path}${query}`,
      headers: { "Content-Type": "application/json", "X-Project-Id": projectId! },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    };
    let response: ReceivedResponse;
    try {
      response = await http.send(request, {
        account: account.id,
        api,
        idempotent: init.idempotent,
        sign,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    } catch (error) {
      if (error instanceof HttpFailure) throw fail(api, error.kind, error.message.replace(`${api}: `, ""));
      if (error instanceof SignerInputError)
        throw fail(api, "invalid", `cannot sign: ${error.field} ${error.message}`);
      throw error;
    }
    if (response.status < 200 || response.status > 299) throw huaweiError(api, response, now());
    return response;
  }

  function parse<T extends z.ZodType>(api: string, schema: T, response: ReceivedResponse): z.output<T> {
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw fail(api, "malformed-response", `response is not JSON (status ${response.status})`, {
        status: response.status,
      });
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw fail(
        api,
        "malformed-response",
        `response field ${issue.path.join(".") || "(root)"}: ${issue.message}`,
        { status: response.status },
      );
    }
    return result.data;
  }

  function toCluster(c: ClusterResponse): HuaweiCluster {
    const cluster: HuaweiCluster = {
      provider: "huawei",
      account: account.id,
      region: account.region,
      id: c.metadata.uid,
      name: c.metadata.name,
      phase: clusterPhase(c.status.phase),
      vendorPhase: c.status.phase,
      tags: Object.fromEntries((c.spec.clusterTags ?? []).map((t) => [t.key, t.value ?? ""])),
      endpoints: (c.status.endpoints ?? []).map((e) => ({ url: e.url, type: e.type ?? "" })),
    };
    if (c.spec.version) cluster.version = c.spec.version;
    if (c.metadata.creationTimestamp) cluster.createdAt = c.metadata.creationTimestamp;
    if (c.metadata.updateTimestamp) cluster.updatedAt = c.metadata.updateTimestamp;
    if (c.status.jobID) cluster.jobId = c.status.jobID;
    return cluster;
  }

  function toPool(p: NodePoolResponse): NodePool {
    const status = p.status ?? {
      currentNode: 0,
      creatingNode: 0,
      deletingNode: 0,
      phase: "",
      conditions: [],
    };
    const desired = p.spec.initialNodeCount ?? status.currentNode;
    const conditions = status.conditions ?? [];
    const stuck =
      ["SoldOut", "Error"].includes(status.phase) ||
      conditions.some(
        (c) =>
          (c.type === "Scalable" && c.status === "False") ||
          (["QuotaInsufficient", "ResourceInsufficient", "UnexpectedError", "Error"].includes(c.type) &&
            c.status === "True"),
      );
    const settled = status.currentNode === desired && status.creatingNode === 0 && status.deletingNode === 0;
    const pool: NodePool = {
      id: p.metadata.uid,
      name: p.metadata.name,
      desired,
      ready: status.currentNode,
      phase: stuck ? "failed" : status.phase === "Deleting" ? "busy" : settled ? "stable" : "scaling",
      vendorPhase: status.phase,
    };
    if (p.spec.autoscaling) {
      pool.autoscaling = {
        enabled: p.spec.autoscaling.enable,
        min: p.spec.autoscaling.minNodeCount,
        max: p.spec.autoscaling.maxNodeCount,
      };
    }
    return pool;
  }

  function toJob(j: JobResponse): HuaweiJob {
    const vendorPhase = j.status.phase;
    const job: HuaweiJob = {
      id: j.metadata.uid,
      phase: vendorPhase === "Success" ? "succeeded" : vendorPhase === "Failed" ? "failed" : "running",
      vendorPhase,
      type: j.spec.type,
      subJobs: (j.spec.subJobs ?? []).map(toJob),
    };
    if (j.status.reason) job.reason = j.status.reason;
    if (j.spec.resourceID) job.resourceId = j.spec.resourceID;
    if (j.metadata.creationTimestamp) job.createdAt = j.metadata.creationTimestamp;
    if (j.metadata.updateTimestamp) job.updatedAt = j.metadata.updateTimestamp;
    return job;
  }

  async function getCluster(clusterId: string, api = "huawei.getCluster"): Promise<HuaweiCluster> {
    const response = await call(api, "GET", `/clusters/${id(clusterId)}`, { idempotent: true });
    return toCluster(parse(api, clusterSchema, response));
  }

  /** The whole body of each pool this provider handed out, so a PUT can send back what was read. */
  const bodies = new WeakMap<NodePool, { raw: RawPool; parsed: NodePoolResponse }>();
  function remember(pool: NodePool, raw: RawPool, parsed: NodePoolResponse): NodePool {
    bodies.set(pool, { raw, parsed });
    return pool;
  }

  /**
   * The pool as CCE returned it (to send back whole) and as validated: the caller's read of it
   * when given (one this provider made, of that pool), else a fresh GET.
   */
  async function poolBody(api: string, clusterId: string, poolId: string, read: NodePool | undefined) {
    const known = read?.id === poolId ? bodies.get(read) : undefined;
    return known ?? (await readPool(api, clusterId, poolId));
  }

  /** The pool as CCE returned it (to send back whole) and as validated. */
  async function readPool(api: string, clusterId: string, poolId: string) {
    const response = await call(api, "GET", `/clusters/${id(clusterId)}/nodepools/${id(poolId)}`, {
      idempotent: true,
    });
    const parsed = parse(api, nodePoolSchema, response);
    const raw = JSON.parse(response.text) as RawPool;
    return { raw, parsed };
  }

  /**
   * The PUT body: the pool's whole spec as read, with `changes` applied. The autoscaling block is
   * written out in full (a GET leaves zero fields out), the three lists the PUT would clear when
   * absent are always sent, and a password login (never returned with its password) is left out.
   */
  function updateBody(
    raw: RawPool,
    parsed: NodePoolResponse,
    changes: { initialNodeCount: number; autoscaling?: NodePoolAutoscaling },
  ) {
    const spec = structuredClone(raw.spec);
    const current = parsed.spec.autoscaling ?? {
      enable: false,
      minNodeCount: 0,
      maxNodeCount: 0,
      scaleDownCooldownTime: 0,
      priority: 0,
    };
    spec.autoscaling = {
      enable: changes.autoscaling?.enabled ?? current.enable,
      minNodeCount: changes.autoscaling?.min ?? current.minNodeCount,
      maxNodeCount: changes.autoscaling?.max ?? current.maxNodeCount,
      scaleDownCooldownTime: current.scaleDownCooldownTime,
      priority: current.priority,
    };
    spec.initialNodeCount = changes.initialNodeCount;
    const template = (
      spec.nodeTemplate && typeof spec.nodeTemplate === "object" ? spec.nodeTemplate : {}
    ) as Record<string, unknown>;
    template.taints ??= [];
    template.k8sTags ??= {};
    template.userTags ??= [];
    const login = template.login as { userPassword?: { password?: unknown } } | undefined;
    if (login?.userPassword && login.userPassword.password === undefined) delete template.login;
    spec.nodeTemplate = template;
    return { metadata: { name: raw.metadata.name }, spec };
  }

  async function putPool(api: string, clusterId: string, poolId: string, body: unknown): Promise<NodePool> {
    const response = await call(api, "PUT", `/clusters/${id(clusterId)}/nodepools/${id(poolId)}`, {
      // The PUT sets the whole spec: sending it twice leaves the same pool.
      idempotent: true,
      body,
    });
    return toPool(parse(api, nodePoolSchema, response));
  }

  /**
   * Hibernate and awake: a 400 may only mean the cluster is already there or on its way, which
   * is success; otherwise it is a conflict with the cluster's phase (or invalid if it is broken).
   */
  async function phaseOperation(
    api: string,
    clusterId: string,
    operation: "hibernate" | "awake",
    until: ClusterPhase,
    already: readonly ClusterPhase[],
  ): Promise<Completion> {
    try {
      // No body, no job. Repeating it is harmless: the repeat is refused as "already there".
      await call(api, "POST", `/clusters/${id(clusterId)}/operation/${operation}`, { idempotent: true });
    } catch (error) {
      if (!(error instanceof ProviderError) || error.status !== 400) throw error;
      const cluster = await getCluster(clusterId, api);
      if (!already.includes(cluster.phase)) {
        throw new ProviderError({
          kind: cluster.phase === "failed" ? "invalid" : "conflict",
          provider: "huawei",
          api,
          message: `${error.message.replace(`${api}: `, "")}; the cluster is ${cluster.vendorPhase}`,
          status: 400,
          code: error.code,
          requestId: error.requestId,
        });
      }
    }
    return { kind: "cluster-phase", clusterId, until };
  }

  function checkCount(api: string, name: string, value: number) {
    if (!Number.isInteger(value) || value < 0) {
      throw fail(api, "invalid", `${name} must be a whole number of nodes >= 0, got ${value}`);
    }
  }

  return {
    kind: "huawei",
    account: account.id,
    region: account.region,
    capabilities: HUAWEI_CAPABILITIES,

    async listClusters(filter = {}) {
      const api = "huawei.listClusters";
      const response = await call(api, "GET", "/clusters", {
        idempotent: true,
        ...(filter.status ? { query: { status: filter.status } } : {}),
      });
      return (parse(api, clusterListSchema, response).items ?? []).map(toCluster);
    },

    getCluster: (clusterId) => getCluster(clusterId),

    hibernate: (clusterId) =>
      phaseOperation("huawei.hibernate", clusterId, "hibernate", "hibernated", ["hibernating", "hibernated"]),

    awake: (clusterId) =>
      phaseOperation("huawei.awake", clusterId, "awake", "running", ["waking", "running"]),

    async listNodePools(clusterId) {
      const api = "huawei.listNodePools";
      // The default pool stays hidden (no showDefaultNodePool): only custom pools are resized.
      const response = await call(api, "GET", `/clusters/${id(clusterId)}/nodepools`, { idempotent: true });
      const parsed = parse(api, nodePoolListSchema, response).items ?? [];
      const raw = ((JSON.parse(response.text) as { items?: RawPool[] }).items ?? []) as RawPool[];
      return parsed.map((p, i) => remember(toPool(p), raw[i]!, p));
    },

    async getNodePool(clusterId, poolId) {
      const api = "huawei.getNodePool";
      const { raw, parsed } = await readPool(api, clusterId, poolId);
      return remember(toPool(parsed), raw, parsed);
    },

    async resizeNodePool(clusterId, poolId, request: ResizeRequest, read) {
      const api = "huawei.resizeNodePool";
      checkCount(api, "desired", request.desired);
      const { raw, parsed } = await poolBody(api, clusterId, poolId, read);
      const scaling = parsed.spec.autoscaling;
      if (
        scaling?.enable &&
        (request.desired < scaling.minNodeCount || request.desired > scaling.maxNodeCount)
      ) {
        throw fail(
          api,
          "invalid",
          `node pool ${parsed.metadata.name} has the autoscaler on with bounds ` +
            `[${scaling.minNodeCount}, ${scaling.maxNodeCount}]; ${request.desired} is outside them: ` +
            "change the bounds (setNodePoolAutoscaling) or turn the autoscaler off first",
        );
      }
      await putPool(api, clusterId, poolId, updateBody(raw, parsed, { initialNodeCount: request.desired }));
      return { kind: "pool-size", clusterId, poolId, desired: request.desired };
    },

    async setNodePoolAutoscaling(clusterId, poolId, bounds, read) {
      const api = "huawei.setNodePoolAutoscaling";
      checkCount(api, "min", bounds.min);
      checkCount(api, "max", bounds.max);
      if (bounds.enabled && bounds.max < bounds.min) {
        throw fail(api, "invalid", `max (${bounds.max}) must not be less than min (${bounds.min})`);
      }
      const { raw, parsed } = await poolBody(api, clusterId, poolId, read);
      const current = parsed.spec.initialNodeCount ?? parsed.status?.currentNode ?? 0;
      // CCE refuses a target outside the bounds: bring it inside them in the same PUT.
      const desired = bounds.enabled ? Math.min(bounds.max, Math.max(bounds.min, current)) : current;
      await putPool(
        api,
        clusterId,
        poolId,
        updateBody(raw, parsed, { initialNodeCount: desired, autoscaling: bounds }),
      );
      return { kind: "pool-size", clusterId, poolId, desired };
    },

    async listNodes(clusterId, poolId) {
      const api = "huawei.listNodes";
      const response = await call(api, "GET", `/clusters/${id(clusterId)}/nodes`, { idempotent: true });
      const nodes: Node[] = (parse(api, nodeListSchema, response).items ?? []).map((n) => {
        const pool = n.metadata.annotations?.["kubernetes.io/node-pool.id"];
        return {
          id: n.metadata.uid,
          name: n.metadata.name,
          ...(pool ? { poolId: pool } : {}),
          vendorPhase: n.status.phase,
          ready: n.status.phase === "Active",
        };
      });
      // CCE has no pool filter: a node belongs to the pool its annotation names.
      return poolId === undefined ? nodes : nodes.filter((n) => n.poolId === poolId);
    },

    async issueKubeconfig(clusterId, validity): Promise<Kubeconfig> {
      const api = "huawei.issueKubeconfig";
      const response = await call(api, "POST", `/clusters/${id(clusterId)}/clustercert`, {
        // Each call issues a fresh certificate and changes nothing else: safe to repeat.
        idempotent: true,
        body: { duration: validity },
      });
      try {
        return issuedKubeconfig(response.text);
      } catch (error) {
        if (error instanceof KubeconfigError)
          throw fail(api, "malformed-response", `response field ${error.message}`);
        throw error;
      }
    },

    async getJob(jobId) {
      const api = "huawei.getJob";
      const response = await call(api, "GET", `/jobs/${id(jobId)}`, { idempotent: true });
      return toJob(parse(api, jobSchema, response));
    },

    async addClusterTags(clusterId, tags) {
      const api = "huawei.addClusterTags";
      await call(api, "POST", `/clusters/${id(clusterId)}/tags/create`, {
        idempotent: true, // documented idempotent: a repeat upserts the same values
        body: { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) },
      });
    },

    async removeClusterTags(clusterId, keys) {
      const api = "huawei.removeClusterTags";
      await call(api, "POST", `/clusters/${id(clusterId)}/tags/delete`, {
        idempotent: true, // documented idempotent: missing keys are ignored
        body: { tags: keys.map((key) => ({ key })) },
      });
    },

    async deleteNode(clusterId, nodeId, deleteOptions = {}) {
      const api = "huawei.deleteNode";
      const response = await call(api, "DELETE", `/clusters/${id(clusterId)}/nodes/${id(nodeId)}`, {
        // A repeat after an unknown outcome is refused (node already deleting) and loses the job id.
        idempotent: false,
        ...(deleteOptions.scaleDownPool === false ? { query: { nodepoolScaleDown: "NoScaleDown" } } : {}),
      });
      return { kind: "job", jobId: parse(api, deletedNodeSchema, response).status.jobID };
    },

    async deleteNodePool(clusterId, poolId) {
      const api = "huawei.deleteNodePool";
      const response = await call(api, "DELETE", `/clusters/${id(clusterId)}/nodepools/${id(poolId)}`, {
        idempotent: false,
      });
      return { kind: "job", jobId: parse(api, deletedNodePoolSchema, response).status.jobId };
    },
  };
}
