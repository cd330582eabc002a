// Baidu AI Cloud CCE (API v2) client. Node pools are instance groups: resizing sets their
// `replicas` (PUT .../replicas), the cloud adds or removes nodes one by one, and the caller polls
// the group until readyReplicas reaches the new size. There is no hibernate API. The kubeconfig
// API takes no validity: the certificate's real notBefore/notAfter are read from the YAML.
//
// Vendor quirks handled here (each has a test):
// - two documented path prefixes: `/v2` (the API docs) and `/api/cce/service/v2` (the Go SDK);
// - success bodies say `requestID`, error bodies `requestId`; the header `x-bce-request-id` too;
// - error status and code are decoupled (e.g. SignatureDoesNotMatch as 400 or 403): kinds are
//   decided by code first, then by status;
// - the list APIs page differently: clusters `clusterPage.clusterList`, groups and a group's
//   instances `page.list`, a cluster's instances `instancePage.instanceList`;
// - the list request carries an empty `keyword=`, which must be signed as `keyword=`.
import type * as z from "zod";
import {
  type HttpClient,
  HttpFailure,
  type OutboundRequest,
  type ReceivedResponse,
  retryAfterMs,
} from "../http/client.ts";
import { issuedKubeconfig, KubeconfigError } from "../kubeconfig/kubeconfig.ts";
import { signBaidu } from "../signer/baidu.ts";
import { SignerInputError } from "../signer/request.ts";
import {
  type BaiduCluster,
  type BaiduInstance,
  type BaiduInstanceGroup,
  clusterInstancesSchema,
  createTaskSchema,
  emptySchema,
  errorSchema,
  eventsSchema,
  getClusterSchema,
  getInstanceGroupSchema,
  instanceGroupSchema,
  instanceSchema,
  kubeconfigSchema,
  listClustersSchema,
  pageSchema,
  taskSchema,
} from "./baidu.schemas.ts";
import type {
  Cluster,
  ClusterPhase,
  Completion,
  Job,
  Kubeconfig,
  Node,
  NodePool,
  NodePoolAutoscaling,
  Provider,
  ProviderAccount,
  ProviderCapabilities,
  ProviderError,
  ProviderErrorKind,
  ResizeRequest,
} from "./port.ts";
import { errorsOf } from "./port.ts";

export const BAIDU_PATH_PREFIXES = ["/v2", "/api/cce/service/v2"] as const;
export const BAIDU_KUBECONFIG_TYPES = ["vpc", "public", "internal"] as const;
export type BaiduKubeconfigType = (typeof BAIDU_KUBECONFIG_TYPES)[number];

export const BAIDU_CAPABILITIES: ProviderCapabilities = {
  hibernate: false,
  nodePools: true,
  shrinkRemovesNodes: false,
  shrinkReleasesInstances: false,
  workloads: false,
  // GET /v2/kubeconfig/{clusterID}/{type} takes no duration: the cloud decides the validity.
  kubeconfigValidity: "fixed",
};

export interface BaiduProviderOptions {
  /** The endpoint defaults to `https://cce.{region}.baidubce.com`. */
  account: ProviderAccount;
  http: HttpClient;
  now: () => Date;
  /** Unused: bce-auth-v1 has no nonce. Accepted so every provider takes the same options. */
  nonce?: () => string;
  /** `/v2` (default, the API docs) or `/api/cce/service/v2` (the Go SDK). */
  pathPrefix?: string;
  /**
   * Which API server address the kubeconfig names: `public` (the BLB's EIP, default: nightshift
   * usually runs outside the VPC), `vpc` (the BLB's VPC address) or `internal`.
   */
  kubeconfigType?: BaiduKubeconfigType;
  /** Items per page when listing (the API's default is 10). */
  pageSize?: number;
  /** Per-attempt timeout handed to the HTTP layer. */
  timeoutMs?: number;
}

/** A cluster's creation (or deletion) steps, from the events API. */
export interface BaiduClusterEvents {
  status: string;
  steps: Array<{
    name: string;
    status: string;
    ready: boolean;
    startTime?: string;
    finishedTime?: string;
    costSeconds: number;
    retryCount: number;
    error?: Record<string, unknown>;
  }>;
}

/** The port plus what only Baidu has. */
export interface BaiduProvider extends Provider {
  readonly pathPrefix: string;
  /** `GET /v2/event/cluster/{clusterID}`: creation / deletion progress. */
  getClusterEvents(clusterId: string): Promise<BaiduClusterEvents>;
  /** `PUT .../scaleup?upToReplicas=N`: a trackable scale-up; poll it with getJob. */
  scaleUpNodePool(clusterId: string, poolId: string, upToReplicas: number): Promise<Completion>;
  /** `PUT .../scaledown`: removes the named nodes; poll it with getJob. */
  scaleDownNodePool(clusterId: string, poolId: string, nodeIds: string[]): Promise<Completion>;
}

const PHASES: Record<string, ClusterPhase> = {
  running: "running",
  pending: "busy",
  provisioning: "busy",
  provisioned: "busy",
  deleting: "busy",
  create_failed: "failed",
  delete_failed: "failed",
  deleted: "failed",
};

const AUTH_CODES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "InvalidHTTPAuthHeader",
  "SignatureDoesNotMatch",
  "RequestExpired",
  "OptInRequired",
]);
const THROTTLE_CODE = /throttl|toomanyrequests|ratelimit|requestlimitexceeded/i;
/** 409s that will not clear by waiting: the request must change. */
const INVALID_CONFLICTS = new Set(["InstanceGroupAutoscalerEnabled", "ClusterEIPNotBound"]);

interface Call<T> {
  api: string;
  method: "GET" | "PUT";
  path: string;
  query?: Array<[string, string]>;
  body?: unknown;
  schema: z.ZodType<T>;
  idempotent: boolean;
}

/** RFC 3986 encoding (what bce-auth-v1 canonicalises to), so the wire form and the signed form agree. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path)
    out += typeof part === "number" ? `[${part}]` : `${out === "" ? "" : "."}${String(part)}`;
  return out === "" ? "(body)" : out;
}

export function createBaiduProvider(options: BaiduProviderOptions): BaiduProvider {
  const { account, http } = options;
  const pathPrefix = (options.pathPrefix ?? "/v2").replace(/\/+$/, "");
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(pathPrefix)) {
    throw new TypeError(`Baidu pathPrefix "${options.pathPrefix}" must look like /v2 or /api/cce/service/v2`);
  }
  const endpoint = (account.endpoint ?? `https://cce.${account.region}.baidubce.com`).replace(/\/+$/, "");
  const kubeconfigType = options.kubeconfigType ?? "public";
  if (!BAIDU_KUBECONFIG_TYPES.includes(kubeconfigType)) {
    throw new TypeError(
      `Baidu kubeconfigType "${kubeconfigType}" must be one of ${BAIDU_KUBECONFIG_TYPES.join(", ")}`,
    );
  }
  const pageSize = options.pageSize ?? 100;
  const credentials = {
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
    ...(account.securityToken ? { securityToken: account.securityToken } : {}),
  };

  const fail = errorsOf("baidu");

  const sign = async (request: OutboundRequest): Promise<Record<string, string>> => {
    const signed = await signBaidu(request, credentials, { now: options.now() });
    // Host is signed but not sent: the transport sets it from the URL (fetch refuses to be told).
    const { Host: _host, ...headers } = signed.headers;
    return headers;
  };

  const isTransient = (response: ReceivedResponse): boolean | "throttled" => {
    if (response.status < 400) return false;
    const code = errorCode(response.text);
    return code !== undefined && THROTTLE_CODE.test(code) ? "throttled" : false;
  };

  function errorCode(text: string): string | undefined {
    try {
      const parsed = errorSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data.code : undefined;
    } catch {
      return undefined;
    }
  }

  function errorFrom(api: string, response: ReceivedResponse): ProviderError {
    let body: z.infer<typeof errorSchema> = {};
    try {
      const parsed = errorSchema.safeParse(JSON.parse(response.text));
      if (parsed.success) body = parsed.data;
    } catch {
      // Not JSON (a gateway's HTML page): status alone decides.
    }
    const status = response.status;
    const code = body.code;
    const requestId = body.requestId ?? response.headers.get("x-bce-request-id") ?? undefined;
    const retryAfter = retryAfterMs(response.headers, options.now());
    let kind: ProviderErrorKind;
    if (code !== undefined && AUTH_CODES.has(code)) kind = "auth";
    else if (status === 429 || (code !== undefined && THROTTLE_CODE.test(code))) kind = "throttled";
    else if (status === 401 || status === 403) kind = "auth";
    else if (status === 404) kind = "not-found";
    else if (status === 409)
      kind = code !== undefined && INVALID_CONFLICTS.has(code) ? "invalid" : "conflict";
    else if (status >= 500) kind = "server";
    else kind = "invalid";
    const message = `${status}${code ? ` ${code}` : ""}: ${body.message ?? (response.text.slice(0, 200) || "no body")}`;
    return fail(api, kind, message, {
      status,
      code,
      requestId,
      retryAfterSeconds:
        kind === "throttled" && retryAfter !== undefined ? Math.ceil(retryAfter / 1000) : undefined,
    });
  }

  async function call<T>(spec: Call<T>): Promise<T> {
    const query = spec.query?.length
      ? `?${spec.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&")}`
      : "";
    const request: OutboundRequest = {
      method: spec.method,
      url: `${endpoint}${pathPrefix}${spec.path}${query}`,
      headers: { Accept: "application/json" },
    };
    if (spec.body !== undefined) {
      request.body = JSON.stringify(spec.body);
      request.headers = { ...request.headers, "Content-Type": "application/json;charset=utf-8" };
    }
    let response: ReceivedResponse;
    try {
      response = await http.send(request, {
        account: account.id,
        api: spec.api,
        idempotent: spec.idempotent,
        sign,
        isTransient,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    } catch (error) {
      if (error instanceof HttpFailure)
        throw fail(spec.api, error.kind, error.message.replace(`${spec.api}: `, ""));
      if (error instanceof SignerInputError) throw fail(spec.api, "invalid", `cannot sign: ${error.message}`);
      throw error;
    }
    if (response.status < 200 || response.status >= 300) throw errorFrom(spec.api, response);
    const requestId = response.headers.get("x-bce-request-id") ?? undefined;
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw fail(spec.api, "malformed-response", `the ${response.status} body is not JSON`, {
        status: response.status,
        requestId,
      });
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw fail(
        spec.api,
        "malformed-response",
        `response field ${fieldPath(issue.path)}: ${issue.message}`,
        { status: response.status, requestId },
      );
    }
    return parsed.data;
  }

  /** Every page of a paged list: stops at totalCount, or at a short page. */
  async function allPages<T>(fetchPage: (pageNo: number) => Promise<{ totalCount: number; items: T[] }>) {
    const items: T[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const page = await fetchPage(pageNo);
      items.push(...page.items);
      if (page.items.length === 0 || page.items.length < pageSize || items.length >= page.totalCount)
        return items;
    }
  }

  const pageQuery = (pageNo: number): Array<[string, string]> => [
    ["pageNo", String(pageNo)],
    ["pageSize", String(pageSize)],
  ];

  /** Every item of a `{ page: { totalCount, list } }` listing at `path`, page by page. */
  const pagedList = <T extends z.ZodType>(api: string, path: string, item: T) =>
    allPages(async (pageNo) => {
      const body = await call({
        api,
        method: "GET",
        path,
        query: pageQuery(pageNo),
        schema: pageSchema(item),
        idempotent: true,
      });
      return { totalCount: body.page.totalCount, items: body.page.list ?? [] };
    });

  const id = (value: string, what: string, api: string) => {
    if (!/^[A-Za-z0-9._-]+$/.test(value)) throw fail(api, "invalid", `${what} "${value}" is not a valid id`);
    return value;
  };
  const groupPath = (clusterId: string, poolId: string, api: string) =>
    `/cluster/${id(clusterId, "cluster id", api)}/instancegroup/${id(poolId, "instance group id", api)}`;

  const toCluster = (c: BaiduCluster): Cluster => {
    const out: Cluster = {
      provider: "baidu",
      account: account.id,
      region: account.region,
      id: c.spec.clusterID,
      name: c.spec.clusterName,
      phase: PHASES[c.status.clusterPhase] ?? "busy",
      vendorPhase: c.status.clusterPhase,
      tags: Object.fromEntries((c.spec.tags ?? []).map((t) => [t.tagKey, t.tagValue ?? ""])),
    };
    if (c.spec.k8sVersion) out.version = c.spec.k8sVersion;
    return out;
  };

  const toNodePool = (g: BaiduInstanceGroup): NodePool => {
    const desired = g.spec.replicas;
    const ready = g.status.readyReplicas;
    const failed = g.status.undeliveredMachines?.failedMachines ?? [];
    const pending = g.status.undeliveredMachines?.pendingMachines ?? [];
    const paused = g.status.pause?.paused === true;
    let phase: NodePool["phase"];
    let vendorPhase: string;
    if (failed.length > 0) {
      phase = "failed";
      vendorPhase = `failedMachines: ${failed.length}`;
    } else if (paused) {
      phase = "busy";
      vendorPhase = `paused: ${g.status.pause?.reason ?? ""}`.trim();
    } else if (ready !== desired || pending.length > 0) {
      phase = "scaling";
      vendorPhase = `readyReplicas ${ready}/${desired}`;
    } else {
      phase = "stable";
      vendorPhase = `readyReplicas ${ready}/${desired}`;
    }
    const pool: NodePool = {
      id: g.spec.cceInstanceGroupID,
      name: g.spec.instanceGroupName,
      desired,
      ready,
      phase,
      vendorPhase,
    };
    const autoscaler = g.spec.clusterAutoscalerSpec;
    if (autoscaler)
      pool.autoscaling = {
        enabled: autoscaler.enabled,
        min: autoscaler.minReplicas,
        max: autoscaler.maxReplicas,
      };
    return pool;
  };

  const toNode = (i: BaiduInstance): Node => {
    const node: Node = {
      id: i.spec.cceInstanceID,
      name: i.spec.instanceName,
      vendorPhase: i.status.instancePhase,
      ready: i.status.instancePhase === "running",
    };
    if (i.spec.instanceGroupID) node.poolId = i.spec.instanceGroupID;
    return node;
  };

  async function getGroup(clusterId: string, poolId: string, api: string): Promise<BaiduInstanceGroup> {
    const body = await call({
      api,
      method: "GET",
      path: groupPath(clusterId, poolId, api),
      schema: getInstanceGroupSchema,
      idempotent: true,
    });
    return body.instanceGroup;
  }

  const provider: BaiduProvider = {
    kind: "baidu",
    account: account.id,
    region: account.region,
    capabilities: BAIDU_CAPABILITIES,
    pathPrefix,

    async listClusters() {
      const api = "baidu.listClusters";
      const clusters = await allPages(async (pageNo) => {
        const body = await call({
          api,
          method: "GET",
          path: "/clusters",
          // The documented request (digest §2.2), empty keyword included.
          query: [
            ["keywordType", "clusterName"],
            ["keyword", ""],
            ["orderBy", "clusterID"],
            ["order", "ASC"],
            ...pageQuery(pageNo),
          ],
          schema: listClustersSchema,
          idempotent: true,
        });
        return { totalCount: body.clusterPage.totalCount, items: body.clusterPage.clusterList ?? [] };
      });
      return clusters.map(toCluster);
    },

    async getCluster(clusterId) {
      const api = "baidu.getCluster";
      const body = await call({
        api,
        method: "GET",
        path: `/cluster/${id(clusterId, "cluster id", api)}`,
        schema: getClusterSchema,
        idempotent: true,
      });
      return toCluster(body.cluster);
    },

    async hibernate() {
      throw fail(
        "baidu.hibernate",
        "unsupported",
        "Baidu CCE has no hibernate API; scale instance groups to 0 instead",
      );
    },
    async awake() {
      throw fail(
        "baidu.awake",
        "unsupported",
        "Baidu CCE has no hibernate API; restore instance-group replicas instead",
      );
    },

    async listNodePools(clusterId) {
      const api = "baidu.listNodePools";
      const path = `/cluster/${id(clusterId, "cluster id", api)}/instancegroups`;
      return (await pagedList(api, path, instanceGroupSchema)).map(toNodePool);
    },

    async getNodePool(clusterId, poolId) {
      return toNodePool(await getGroup(clusterId, poolId, "baidu.getNodePool"));
    },

    async resizeNodePool(clusterId, poolId, request: ResizeRequest) {
      const api = "baidu.resizeNodePool";
      if (!Number.isInteger(request.desired) || request.desired < 0) {
        throw fail(api, "invalid", `desired must be a whole number of 0 or more, got ${request.desired}`);
      }
      await call({
        api,
        method: "PUT",
        path: `${groupPath(clusterId, poolId, api)}/replicas`,
        // On shrink, release the removed machines (and their EIP/CDS) after draining them:
        // keeping them would keep billing them (digest §6.1). Ignored when growing.
        body: {
          replicas: request.desired,
          deleteInstance: true,
          deleteOption: { drainNode: true, deleteResource: true, deleteCDSSnapshot: false, moveOut: false },
        },
        schema: emptySchema,
        idempotent: true, // an absolute size: sending it twice changes nothing
      });
      return { kind: "pool-size", clusterId, poolId, desired: request.desired };
    },

    async setNodePoolAutoscaling(clusterId, poolId, bounds: NodePoolAutoscaling) {
      const api = "baidu.setNodePoolAutoscaling";
      const { min, max, enabled } = bounds;
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || min > max) {
        throw fail(api, "invalid", `bounds must be whole numbers with 0 <= min <= max, got ${min}..${max}`);
      }
      // GET first: the PUT replaces the whole autoscaler spec, so keep the group's priority.
      const group = await getGroup(clusterId, poolId, api);
      await call({
        api,
        method: "PUT",
        path: `${groupPath(clusterId, poolId, api)}/autoscaler`,
        body: {
          enabled,
          minReplicas: min,
          maxReplicas: max,
          scalingGroupPriority: group.spec.clusterAutoscalerSpec?.scalingGroupPriority ?? 0,
        },
        schema: emptySchema,
        idempotent: true,
      });
      // The autoscaler brings the group within its bounds: wait for that size when it moves.
      const replicas = group.spec.replicas;
      const target = enabled ? Math.min(max, Math.max(min, replicas)) : replicas;
      return target === replicas
        ? { kind: "immediate" }
        : { kind: "pool-size", clusterId, poolId, desired: target };
    },

    async listNodes(clusterId, poolId) {
      const api = "baidu.listNodes";
      if (poolId !== undefined) {
        const path = `${groupPath(clusterId, poolId, api)}/instances`;
        return (await pagedList(api, path, instanceSchema)).map(toNode);
      }
      const path = `/cluster/${id(clusterId, "cluster id", api)}/instances`;
      const instances = await allPages(async (pageNo) => {
        const body = await call({
          api,
          method: "GET",
          path,
          query: pageQuery(pageNo),
          schema: clusterInstancesSchema,
          idempotent: true,
        });
        return { totalCount: body.instancePage.totalCount, items: body.instancePage.instanceList ?? [] };
      });
      return instances.map(toNode);
    },

    /**
     * `validity` cannot be honoured: the API takes none and the cloud fixes the certificate's
     * lifetime (the sandbox: 365 days). The real dates are read from the certificate.
     */
    async issueKubeconfig(clusterId, _validity): Promise<Kubeconfig> {
      const api = "baidu.issueKubeconfig";
      const body = await call({
        api,
        method: "GET",
        path: `/kubeconfig/${id(clusterId, "cluster id", api)}/${kubeconfigType}`,
        schema: kubeconfigSchema,
        idempotent: true,
      });
      try {
        return issuedKubeconfig(body.kubeConfig);
      } catch (error) {
        if (error instanceof KubeconfigError)
          throw fail(api, "malformed-response", `response field kubeConfig ${error.message}`);
        throw error;
      }
    },

    async getJob(jobId): Promise<Job> {
      const api = "baidu.getJob";
      const body = await call({
        api,
        method: "GET",
        path: `/task/InstanceGroupReplicas/${id(jobId, "task id", api)}`,
        schema: taskSchema,
        idempotent: true,
      });
      const task = body.task;
      const phase = task.phase === "Done" ? "succeeded" : task.phase === "Aborted" ? "failed" : "running";
      const job: Job = { id: task.id, phase, vendorPhase: task.phase };
      if (task.errMessage) job.reason = task.errMessage;
      return job;
    },

    async getClusterEvents(clusterId) {
      const api = "baidu.getClusterEvents";
      const body = await call({
        api,
        method: "GET",
        path: `/event/cluster/${id(clusterId, "cluster id", api)}`,
        schema: eventsSchema,
        idempotent: true,
      });
      return {
        status: body.status,
        steps: (body.steps ?? []).map((step) => {
          const out: BaiduClusterEvents["steps"][number] = {
            name: step.stepName,
            status: step.stepStatus,
            ready: step.ready ?? step.stepStatus === "done",
            costSeconds: step.costSeconds ?? 0,
            retryCount: step.retryCount ?? 0,
          };
          if (step.startTime) out.startTime = step.startTime;
          if (step.finishedTime) out.finishedTime = step.finishedTime;
          if (step.errInfo && Object.keys(step.errInfo).length > 0) out.error = step.errInfo;
          return out;
        }),
      };
    },

    async scaleUpNodePool(clusterId, poolId, upToReplicas) {
      const api = "baidu.scaleUpNodePool";
      if (!Number.isInteger(upToReplicas) || upToReplicas <= 0) {
        throw fail(api, "invalid", `upToReplicas must be a whole number above 0, got ${upToReplicas}`);
      }
      const body = await call({
        api,
        method: "PUT",
        path: `${groupPath(clusterId, poolId, api)}/scaleup`,
        query: [["upToReplicas", String(upToReplicas)]],
        schema: createTaskSchema,
        idempotent: false, // a second call is refused (already at that size) rather than repeated
      });
      return { kind: "job", jobId: body.taskID };
    },

    async scaleDownNodePool(clusterId, poolId, nodeIds) {
      const api = "baidu.scaleDownNodePool";
      if (nodeIds.length === 0) throw fail(api, "invalid", "name at least one node to remove");
      const body = await call({
        api,
        method: "PUT",
        path: `${groupPath(clusterId, poolId, api)}/scaledown`,
        body: { instancesToBeRemoved: nodeIds },
        schema: createTaskSchema,
        idempotent: false,
      });
      return { kind: "job", jobId: body.taskID };
    },
  };
  return provider;
}
