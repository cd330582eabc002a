// Alibaba Cloud ACK client (API 2015-12-15, ROA style), public form or through the Apsara Stack
// ASAPI gateway (`pathPrefix: "/roa"` plus the ASAPI headers). Digest: docs/vendors/alibaba-ack.md.
//
// Vendor quirks handled here (each has a contract test):
// - ScaleClusterNodePool's `count` is an INCREMENT: resizing to N sends `N - current` from a fresh
//   describe, and the call is never retried after an unknown outcome (a retry would add twice).
// - There is no scale-in call: shrinking removes named nodes (RemoveClusterNodes, or
//   RemoveNodePoolNodes with `nodeRemoval: "nodepool"`), releasing PostPaid instances, so it is
//   refused unless the caller allows node release. No hibernate API at all.
// - The default answer format is XML: every request sends `Accept: application/json`, and an
//   answer that is not JSON is reported as a malformed response.
// - Error bodies come as `{code,message,requestId}` (ACK) or `{Code,Message,RequestId}` (POP
//   gateway); throttling is any `Throttling*` code, whatever the status (400, 429 or 503).
// - ASAPI may answer HTTP 200 with `X-Acs-Response-Success: false`: that is a failure.
// - A `Date` more than 15 minutes off is refused (400 InvalidTimeStamp.Expired): re-signed and sent
//   once more, as the digest advises, then reported as an auth error naming the clock.
// - The endpoint is account-wide: DescribeClustersV1 lists the account's clusters in every region,
//   each reported with its own `region_id`.
import type * as z from "zod";
import { type AlibabaSignature, alibabaSignature } from "../config/config.ts";
import { type HttpClient, HttpFailure, type ReceivedResponse } from "../http/client.ts";
import { issuedKubeconfig, KubeconfigError } from "../kubeconfig/kubeconfig.ts";
import { asapiHeaders, signAlibaba } from "../signer/alibaba.ts";
import { signAlibabaAcs3 } from "../signer/alibaba-acs3.ts";
import {
  type AckCluster,
  type AckNode,
  type AckNodePool,
  clusterListSchema,
  clusterSchema,
  errorBodySchema,
  kubeconfigSchema,
  nodeListSchema,
  nodePoolListSchema,
  nodePoolSchema,
  taskIdSchema,
  taskSchema,
} from "./alibaba.schemas.ts";
import {
  type Cluster,
  type ClusterPhase,
  type Completion,
  errorsOf,
  type Job,
  type Node,
  type NodePool,
  type NodePoolAutoscaling,
  type Provider,
  type ProviderAccount,
  type ProviderCapabilities,
  type ProviderErrorKind,
  type ResizeRequest,
} from "./port.ts";

/** ScaleClusterNodePool adds at most this many nodes per call (digest §3.7). */
export const SCALE_OUT_MAX_PER_CALL = 500;
/** DescribeClusterUserKubeconfig `TemporaryDurationMinutes` range (digest §3.4). */
export const KUBECONFIG_MIN_MINUTES = 15;
export const KUBECONFIG_MAX_MINUTES = 4320;
const PAGE_SIZE = 100;
/** Safety stop for paging through a gateway that keeps answering full pages. */
const MAX_PAGES = 1000;

export interface AlibabaAsapiOptions {
  organizationId: string;
  resourceGroupId?: string;
  roleId?: string;
  /** `x-ascm-product-ak`, "AK provided by the console". */
  productAk?: string;
}

export interface AlibabaProviderOptions {
  /** The endpoint defaults to `https://cs.<region>.aliyuncs.com`; required for ASAPI. */
  account: ProviderAccount;
  http: HttpClient;
  now: () => Date;
  /** `x-acs-signature-nonce` for each attempt; default crypto.randomUUID. */
  nonce?: () => string;
  /** "" (public form) or "/roa" (ASAPI); defaults to "/roa" when `asapi` is given. */
  pathPrefix?: string;
  /** Call through the Apsara Stack ASAPI gateway with these headers. */
  asapi?: AlibabaAsapiOptions;
  /** The signing scheme; default as `alibabaSignature` (config.ts): ROA through ASAPI, else V3. */
  signature?: AlibabaSignature;
  /** Kubeconfigs with the intranet API server address (`PrivateIpAddress=true`). */
  privateIpAddress?: boolean;
  /** How a shrink removes nodes: RemoveClusterNodes (in every version, default) or RemoveNodePoolNodes. */
  nodeRemoval?: "cluster" | "nodepool";
  timeoutMs?: number;
}

export interface RemoveNodesOptions {
  /** Also release the ECS instances (refused by ACK for PrePaid instances). */
  release: boolean;
  /** Drain the pods first. */
  drain: boolean;
}

/** The ModifyClusterNodePool body (fields left out keep their value; ACK merges). */
export interface NodePoolModification {
  nodepool_info?: { name?: string };
  auto_scaling?: { enable?: boolean; min_instances?: number; max_instances?: number; type?: string };
  kubernetes_config?: {
    labels?: Array<{ key: string; value: string }>;
    taints?: Array<{ key: string; value: string; effect: string }>;
    unschedulable?: boolean;
    [field: string]: unknown;
  };
  scaling_group?: Record<string, unknown>;
  tee_config?: { tee_enable?: boolean };
  update_nodes?: boolean;
}

/** The port plus what only ACK has. */
export interface AlibabaProvider extends Provider {
  /** ScaleClusterNodePool as it is: adds `count` nodes (not a size). Completes as a task. */
  scaleOutNodePool(clusterId: string, poolId: string, count: number): Promise<Completion>;
  /** RemoveClusterNodes: removes nodes by name; asynchronous, without a task id (poll the nodes). */
  removeNodes(clusterId: string, nodeNames: string[], options: RemoveNodesOptions): Promise<void>;
  /** RemoveNodePoolNodes (newer ACK): removes a pool's nodes by name. Completes as a task. */
  removeNodePoolNodes(
    clusterId: string,
    poolId: string,
    nodeNames: string[],
    options: RemoveNodesOptions,
  ): Promise<Completion>;
  modifyNodePool(clusterId: string, poolId: string, modification: NodePoolModification): Promise<Completion>;
  /** DeleteClusterNodepool; `force` removes the pool's remaining nodes first. */
  deleteNodePool(clusterId: string, poolId: string, options?: { force?: boolean }): Promise<void>;
}

export const ALIBABA_CAPABILITIES: ProviderCapabilities = {
  hibernate: false,
  nodePools: true,
  shrinkRemovesNodes: true,
  shrinkReleasesInstances: true,
  workloads: false,
  kubeconfigValidity: "minutes",
};

// ---------------------------------------------------------------------------------------------
// Normalising ACK's words

const FAILED_CLUSTER_STATES = new Set([
  "failed",
  "updating_failed",
  "delete_failed",
  "deleted",
  "stopped",
  "unavailable",
  "disconnected",
  "inactive",
]);

/** ACK has no sleep cycle: `stopped` ("the cluster has stopped running") needs a human. Unknown → busy. */
export function clusterPhase(state: string): ClusterPhase {
  if (state === "running") return "running";
  if (FAILED_CLUSTER_STATES.has(state)) return "failed";
  return "busy"; // initial, updating, scaling, deleting, waiting, and states this client does not know
}

export function toCluster(account: string, raw: AckCluster): Cluster {
  const cluster: Cluster = {
    provider: "alibaba",
    account,
    region: raw.region_id,
    id: raw.cluster_id,
    name: raw.name,
    phase: clusterPhase(raw.state),
    vendorPhase: raw.state,
    tags: Object.fromEntries((raw.tags ?? []).map((t) => [t.key, t.value])),
  };
  if (raw.current_version) cluster.version = raw.current_version;
  return cluster;
}

/** Nodes that exist or are coming, minus those on their way out: the size the pool converges to. */
export function poolTarget(raw: AckNodePool): number {
  return raw.status.total_nodes - raw.status.removing_nodes;
}

export function toNodePool(raw: AckNodePool): NodePool {
  const desired = poolTarget(raw);
  const ready = raw.status.healthy_nodes;
  const state = raw.status.state;
  const phase: NodePool["phase"] =
    state === "active"
      ? raw.status.failed_nodes > 0
        ? "failed"
        : ready === desired
          ? "stable"
          : "scaling"
      : state === "scaling" || state === "removing"
        ? "scaling"
        : "busy";
  const pool: NodePool = {
    id: raw.nodepool_info.nodepool_id,
    name: raw.nodepool_info.name,
    desired,
    ready,
    phase,
    vendorPhase: state,
  };
  if (raw.auto_scaling) {
    pool.autoscaling = {
      enabled: raw.auto_scaling.enable,
      min: raw.auto_scaling.min_instances,
      max: raw.auto_scaling.max_instances,
    };
  }
  return pool;
}

export function toNode(raw: AckNode): Node {
  const node: Node = {
    id: raw.instance_id,
    name: raw.node_name,
    vendorPhase: raw.state,
    ready: raw.state === "running" && (raw.node_status === undefined || raw.node_status === "Ready"),
  };
  if (raw.nodepool_id) node.poolId = raw.nodepool_id;
  return node;
}

/** Order in which a shrink gives nodes up: broken ones, then not-yet-ready ones, then the newest. */
export function removalOrder(nodes: AckNode[]): AckNode[] {
  const rank = (node: AckNode) => (node.state === "failed" ? 0 : node.state === "initial" ? 1 : 2);
  const created = (node: AckNode) => Date.parse(node.creation_time ?? "") || 0;
  return nodes
    .filter((node) => node.state !== "removing")
    .sort((a, b) => rank(a) - rank(b) || created(b) - created(a) || (a.node_name < b.node_name ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// Errors

const AUTH_CODES =
  /^(SignatureDoesNotMatch|IncompleteSignature|InvalidAccessKeyId|InvalidTimeStamp|SignatureNonceUsed|InvalidSecurityToken|NoPermission|Forbidden|InvalidProduct|InvalidVersion)/;

export function errorKind(status: number, code: string): ProviderErrorKind {
  if (code.startsWith("Throttling") || status === 429) return "throttled";
  if (AUTH_CODES.test(code) || status === 401 || status === 403) return "auth";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status >= 500) return "server";
  return "invalid";
}

interface VendorError {
  code: string;
  message: string;
  requestId?: string;
}

function readXmlTag(text: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`, "i").exec(text)?.[1];
}

/** The code, message and request id of a refusal, whichever of the vendor shapes it came in. */
export function readVendorError(response: ReceivedResponse): VendorError {
  let code: string | undefined;
  let message: string | undefined;
  let requestId: string | undefined;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(response.text));
    if (parsed.success) {
      const body = parsed.data;
      code = body.asapiErrorCode ?? body.Code ?? body.code;
      message = body.asapiErrorMessage ?? body.Message ?? body.message;
      requestId = body.asapiRequestId ?? body.RequestId ?? body.requestId ?? body.request_id;
    }
  } catch {
    code = readXmlTag(response.text, "Code");
    message = readXmlTag(response.text, "Message");
    requestId = readXmlTag(response.text, "RequestId");
  }
  const hint = response.headers.get("x-acs-response-errorhint") ?? undefined;
  if (code === undefined && hint) code = /^([A-Za-z][\w.]*):/.exec(hint)?.[1];
  requestId ??= response.headers.get("x-acs-request-id") ?? undefined;
  const error: VendorError = {
    code: code ?? `HTTP${response.status}`,
    message: message ?? hint ?? (response.text.trim().slice(0, 200) || `HTTP ${response.status}`),
  };
  if (requestId) error.requestId = requestId;
  return error;
}

/** ASAPI's "HTTP 200 but failed". */
function asapiFailed(response: ReceivedResponse): boolean {
  return response.headers.get("x-acs-response-success")?.trim().toLowerCase() === "false";
}

function retryAfterSeconds(response: ReceivedResponse): number | undefined {
  const value = response.headers.get("retry-after")?.trim();
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** For the HTTP layer: a `Throttling*` refusal means the cloud did not act, whatever its status. */
function throttledResponse(response: ReceivedResponse): boolean | "throttled" {
  if (response.status < 400 && !asapiFailed(response)) return false;
  return readVendorError(response).code.startsWith("Throttling") ? "throttled" : false;
}

// ---------------------------------------------------------------------------------------------
// The client

interface CallSpec {
  /** The API name (`x-acs-action`, which signature V3 requires and signs). */
  action: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  idempotent: boolean;
}

function encodeQuery(query: Record<string, string> | undefined): string {
  const pairs = Object.entries(query ?? {}).filter(([, value]) => value !== "");
  if (pairs.length === 0) return "";
  return `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`;
}

function checkPathPrefix(prefix: string): string {
  if (prefix !== "" && !/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(prefix)) {
    throw new Error(
      `alibaba: pathPrefix "${prefix}" must be "" (public form) or a path such as "/roa" (ASAPI), without a trailing slash`,
    );
  }
  return prefix;
}

export function createAlibabaProvider(options: AlibabaProviderOptions): AlibabaProvider {
  const { account, http, now } = options;
  const nonce = options.nonce ?? (() => crypto.randomUUID());
  const pathPrefix = checkPathPrefix(options.pathPrefix ?? (options.asapi ? "/roa" : ""));
  if (options.asapi && !account.endpoint) {
    throw new Error(
      `alibaba account "${account.id}": an ASAPI gateway has no default address; set the account endpoint (e.g. https://public.asapi.<region>.<domain>)`,
    );
  }
  const endpoint = (account.endpoint ?? `https://cs.${account.region}.aliyuncs.com`).replace(/\/+$/, "");
  const fixedHeaders: Record<string, string> = {
    Accept: "application/json",
    "x-acs-region-id": account.region,
    ...(options.asapi
      ? asapiHeaders({
          regionId: account.region,
          organizationId: options.asapi.organizationId,
          ...(options.asapi.resourceGroupId ? { resourceGroupId: options.asapi.resourceGroupId } : {}),
          ...(options.asapi.roleId ? { roleId: options.asapi.roleId } : {}),
          ...(options.asapi.productAk ? { productAk: options.asapi.productAk } : {}),
        })
      : {}),
  };
  const credentials = {
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
    ...(account.securityToken ? { securityToken: account.securityToken } : {}),
  };

  const signature = alibabaSignature({
    ...(options.signature ? { signature: options.signature } : {}),
    ...(options.asapi ? { organizationId: options.asapi.organizationId } : {}),
  });
  if (signature === "acs3" && options.asapi) {
    throw new Error(
      `alibaba account "${account.id}": the Apsara Stack ASAPI gateway accepts ROA signatures only; use signature "roa"`,
    );
  }
  const sign = signature === "acs3" ? signAlibabaAcs3 : signAlibaba;

  const fail = errorsOf("alibaba");

  async function exchange(api: string, spec: CallSpec): Promise<ReceivedResponse> {
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const request = {
      method: spec.method,
      url: `${endpoint}${pathPrefix}${spec.path}${encodeQuery(spec.query)}`,
      headers: {
        ...fixedHeaders,
        // V3 requires (and signs) the API name; ROA routes by path alone.
        ...(signature === "acs3" ? { "x-acs-action": spec.action } : {}),
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    };
    try {
      return await http.send(request, {
        account: account.id,
        api,
        idempotent: spec.idempotent,
        sign: async (attempt) =>
          (
            await sign(
              {
                method: attempt.method,
                url: attempt.url,
                headers: attempt.headers ?? {},
                ...(attempt.body !== undefined ? { body: attempt.body } : {}),
              },
              credentials,
              { now: now(), nonce },
            )
          ).headers,
        isTransient: throttledResponse,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    } catch (error) {
      if (error instanceof HttpFailure) {
        const prefix = `${api}: `;
        throw fail(
          api,
          error.kind,
          error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message,
        );
      }
      throw error;
    }
  }

  /** One call: refusals become ProviderErrors; a clock-skew refusal is re-signed and sent once more. */
  async function call(api: string, spec: CallSpec): Promise<ReceivedResponse> {
    for (let attempt = 0; ; attempt++) {
      const response = await exchange(api, spec);
      if (response.status < 400 && !asapiFailed(response)) return response;
      const error = readVendorError(response);
      if (error.code === "InvalidTimeStamp.Expired" && attempt === 0) continue;
      const kind = errorKind(asapiFailed(response) ? 0 : response.status, error.code);
      const hint =
        error.code === "InvalidTimeStamp.Expired"
          ? " (the request Date is more than 15 minutes away from the cloud's clock: check this host's clock)"
          : "";
      throw fail(api, kind, `${error.code}: ${error.message}${hint}`, {
        status: response.status,
        code: error.code,
        requestId: error.requestId,
        retryAfterSeconds: retryAfterSeconds(response),
      });
    }
  }

  async function read<T extends z.ZodType>(api: string, spec: CallSpec, schema: T): Promise<z.output<T>> {
    const response = await call(api, spec);
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      const type = response.headers.get("content-type") ?? "no content type";
      throw fail(
        api,
        "malformed-response",
        `expected a JSON body (requested with Accept: application/json), got ${type}: ${JSON.stringify(response.text.slice(0, 80))}`,
        { status: response.status },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path
        .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
        .join("");
      throw fail(
        api,
        "malformed-response",
        `malformed response: field \`${path || "(body)"}\`: ${issue.message}`,
        {
          status: response.status,
        },
      );
    }
    return parsed.data;
  }

  const id = encodeURIComponent;
  const poolPath = (clusterId: string, poolId: string) =>
    `/clusters/${id(clusterId)}/nodepools/${id(poolId)}`;

  async function poolDetail(api: string, clusterId: string, poolId: string): Promise<AckNodePool> {
    return read(
      api,
      {
        action: "DescribeClusterNodePoolDetail",
        method: "GET",
        path: poolPath(clusterId, poolId),
        idempotent: true,
      },
      nodePoolSchema,
    );
  }

  async function rawNodes(api: string, clusterId: string, poolId?: string): Promise<AckNode[]> {
    const nodes: AckNode[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query: Record<string, string> = { pageSize: String(PAGE_SIZE), pageNumber: String(page) };
      if (poolId) query.nodepool_id = poolId;
      const answer = await read(
        api,
        {
          action: "DescribeClusterNodes",
          method: "GET",
          path: `/clusters/${id(clusterId)}/nodes`,
          query,
          idempotent: true,
        },
        nodeListSchema,
      );
      nodes.push(...answer.nodes);
      if (answer.nodes.length === 0 || nodes.length >= answer.page.total_count) break;
    }
    return nodes;
  }

  function checkNodeNames(api: string, names: string[]): void {
    if (names.length === 0 || names.some((name) => typeof name !== "string" || name === "")) {
      throw fail(api, "invalid", "give at least one node name, none of them empty");
    }
  }

  async function removeClusterNodes(
    api: string,
    clusterId: string,
    names: string[],
    opts: RemoveNodesOptions,
  ) {
    checkNodeNames(api, names);
    // Removing named nodes twice removes nothing more: safe to resend after an unknown outcome.
    await call(api, {
      action: "RemoveClusterNodes",
      method: "POST",
      path: `/api/v2/clusters/${id(clusterId)}/nodes/remove`,
      body: { nodes: names, release_node: opts.release, drain_node: opts.drain },
      idempotent: true,
    });
  }

  async function removePoolNodes(
    api: string,
    clusterId: string,
    poolId: string,
    names: string[],
    opts: RemoveNodesOptions,
  ): Promise<Completion> {
    checkNodeNames(api, names);
    const answer = await read(
      api,
      {
        action: "RemoveNodePoolNodes",
        method: "DELETE",
        path: `${poolPath(clusterId, poolId)}/nodes`,
        query: {
          nodes: JSON.stringify(names),
          release_node: String(opts.release),
          drain_node: String(opts.drain),
        },
        idempotent: true,
      },
      taskIdSchema,
    );
    return { kind: "job", jobId: answer.task_id };
  }

  async function scaleOut(api: string, clusterId: string, poolId: string, count: number): Promise<string> {
    if (!Number.isInteger(count) || count < 1 || count > SCALE_OUT_MAX_PER_CALL) {
      throw fail(
        api,
        "invalid",
        `count is the number of nodes to ADD: an integer from 1 to ${SCALE_OUT_MAX_PER_CALL}, got ${count}`,
      );
    }
    // Not idempotent: `count` is an increment, so a resend after a lost answer would add twice.
    const answer = await read(
      api,
      {
        action: "ScaleClusterNodePool",
        method: "POST",
        path: poolPath(clusterId, poolId),
        body: { count },
        idempotent: false,
      },
      taskIdSchema,
    );
    return answer.task_id;
  }

  const provider: AlibabaProvider = {
    kind: "alibaba",
    account: account.id,
    region: account.region,
    capabilities: ALIBABA_CAPABILITIES,

    async listClusters() {
      const api = "alibaba.listClusters";
      const clusters: Cluster[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const answer = await read(
          api,
          {
            action: "DescribeClustersV1",
            method: "GET",
            path: "/api/v1/clusters",
            query: { page_size: String(PAGE_SIZE), page_number: String(page) },
            idempotent: true,
          },
          clusterListSchema,
        );
        clusters.push(...answer.clusters.map((raw) => toCluster(account.id, raw)));
        if (answer.clusters.length === 0 || clusters.length >= answer.page_info.total_count) break;
      }
      return clusters;
    },

    async getCluster(clusterId) {
      const raw = await read(
        "alibaba.getCluster",
        {
          action: "DescribeClusterDetail",
          method: "GET",
          path: `/clusters/${id(clusterId)}`,
          idempotent: true,
        },
        clusterSchema,
      );
      return toCluster(account.id, raw);
    },

    async hibernate() {
      throw fail(
        "alibaba.hibernate",
        "unsupported",
        "ACK has no hibernate API; sleep by removing the nodes of chosen pools (resizeNodePool with allowNodeRelease)",
      );
    },

    async awake() {
      throw fail(
        "alibaba.awake",
        "unsupported",
        "ACK has no hibernate API; wake by scaling the pools out again",
      );
    },

    async listNodePools(clusterId) {
      const answer = await read(
        "alibaba.listNodePools",
        {
          action: "DescribeClusterNodePools",
          method: "GET",
          path: `/clusters/${id(clusterId)}/nodepools`,
          idempotent: true,
        },
        nodePoolListSchema,
      );
      return answer.nodepools.map(toNodePool);
    },

    async getNodePool(clusterId, poolId) {
      return toNodePool(await poolDetail("alibaba.getNodePool", clusterId, poolId));
    },

    async resizeNodePool(clusterId, poolId, request: ResizeRequest) {
      const api = "alibaba.resizeNodePool";
      const desired = request.desired;
      if (!Number.isInteger(desired) || desired < 0) {
        throw fail(api, "invalid", `desired must be a whole number of nodes >= 0, got ${desired}`);
      }
      const pool = await poolDetail(api, clusterId, poolId);
      const current = poolTarget(pool);
      const done: Completion = { kind: "pool-size", clusterId, poolId, desired };
      if (desired === current) {
        return pool.status.state === "active" && pool.status.healthy_nodes === desired
          ? { kind: "immediate" }
          : done;
      }
      if (pool.auto_scaling?.enable) {
        throw fail(
          api,
          "invalid",
          `node pool ${poolId} is managed by the autoscaler (${pool.auto_scaling.min_instances}-${pool.auto_scaling.max_instances} nodes); change its bounds with setNodePoolAutoscaling instead of its size`,
        );
      }
      if (desired > current) {
        const increment = desired - current;
        if (increment > SCALE_OUT_MAX_PER_CALL) {
          throw fail(
            api,
            "invalid",
            `growing node pool ${poolId} from ${current} to ${desired} needs ${increment} nodes; ACK adds at most ${SCALE_OUT_MAX_PER_CALL} per call`,
          );
        }
        await scaleOut(api, clusterId, poolId, increment);
        return done;
      }
      if (!request.allowNodeRelease) {
        throw fail(
          api,
          "invalid",
          `shrinking node pool ${poolId} from ${current} to ${desired} removes (and releases) nodes; it is done only when node release is explicitly allowed`,
        );
      }
      const surplus = current - desired;
      const candidates = removalOrder(await rawNodes(api, clusterId, poolId)).slice(0, surplus);
      if (candidates.length < surplus) {
        throw fail(
          api,
          "conflict",
          `node pool ${poolId} lists fewer removable nodes than its status counts; it is changing, try again`,
        );
      }
      const removal: RemoveNodesOptions = {
        // Subscription (PrePaid) instances cannot be released: they only leave the cluster.
        release: pool.scaling_group?.instance_charge_type !== "PrePaid",
        drain: true,
      };
      const names = candidates.map((node) => node.node_name);
      if (options.nodeRemoval === "nodepool") await removePoolNodes(api, clusterId, poolId, names, removal);
      else await removeClusterNodes(api, clusterId, names, removal);
      return done;
    },

    async setNodePoolAutoscaling(clusterId, poolId, bounds: NodePoolAutoscaling) {
      const api = "alibaba.setNodePoolAutoscaling";
      const { enabled, min, max } = bounds;
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
        throw fail(
          api,
          "invalid",
          `autoscaling bounds must be whole numbers with 0 <= min <= max, got min ${min}, max ${max}`,
        );
      }
      const pool = await poolDetail(api, clusterId, poolId);
      await read(
        api,
        {
          action: "ModifyClusterNodePool",
          method: "PUT",
          path: poolPath(clusterId, poolId),
          body: { auto_scaling: { enable: enabled, min_instances: min, max_instances: max } },
          idempotent: true,
        },
        taskIdSchema,
      );
      // With the autoscaler on, ACK moves the pool into the new bounds.
      const current = poolTarget(pool);
      const desired = enabled ? Math.min(max, Math.max(min, current)) : current;
      return { kind: "pool-size", clusterId, poolId, desired };
    },

    async listNodes(clusterId, poolId) {
      return (await rawNodes("alibaba.listNodes", clusterId, poolId)).map(toNode);
    },

    async issueKubeconfig(clusterId, validity) {
      const api = "alibaba.issueKubeconfig";
      if (
        !Number.isInteger(validity) ||
        validity < KUBECONFIG_MIN_MINUTES ||
        validity > KUBECONFIG_MAX_MINUTES
      ) {
        throw fail(
          api,
          "invalid",
          `ACK kubeconfig validity is ${KUBECONFIG_MIN_MINUTES} to ${KUBECONFIG_MAX_MINUTES} minutes, got ${validity}`,
        );
      }
      const answer = await read(
        api,
        {
          action: "DescribeClusterUserKubeconfig",
          method: "GET",
          path: `/k8s/${id(clusterId)}/user_config`,
          query: {
            TemporaryDurationMinutes: String(validity),
            PrivateIpAddress: String(options.privateIpAddress ?? false),
          },
          idempotent: true,
        },
        kubeconfigSchema,
      );
      try {
        return issuedKubeconfig(answer.config);
      } catch (error) {
        if (error instanceof KubeconfigError)
          throw fail(api, "malformed-response", `malformed response: field \`config\`: ${error.message}`);
        throw error;
      }
    },

    async getJob(jobId) {
      const task = await read(
        "alibaba.getJob",
        { action: "DescribeTaskInfo", method: "GET", path: `/tasks/${id(jobId)}`, idempotent: true },
        taskSchema,
      );
      const phase: Job["phase"] =
        task.state === "success"
          ? "succeeded"
          : ["fail", "failed", "canceled", "cancelled"].includes(task.state)
            ? "failed"
            : "running";
      const job: Job = { id: task.task_id, phase, vendorPhase: task.state };
      const reason = task.error?.message ?? task.error?.code;
      if (reason) job.reason = reason;
      return job;
    },

    async scaleOutNodePool(clusterId, poolId, count) {
      return { kind: "job", jobId: await scaleOut("alibaba.scaleOutNodePool", clusterId, poolId, count) };
    },

    async removeNodes(clusterId, nodeNames, opts) {
      await removeClusterNodes("alibaba.removeNodes", clusterId, nodeNames, opts);
    },

    async removeNodePoolNodes(clusterId, poolId, nodeNames, opts) {
      return removePoolNodes("alibaba.removeNodePoolNodes", clusterId, poolId, nodeNames, opts);
    },

    async modifyNodePool(clusterId, poolId, modification) {
      const answer = await read(
        "alibaba.modifyNodePool",
        {
          action: "ModifyClusterNodePool",
          method: "PUT",
          path: poolPath(clusterId, poolId),
          body: modification,
          idempotent: true,
        },
        taskIdSchema,
      );
      return { kind: "job", jobId: answer.task_id };
    },

    async deleteNodePool(clusterId, poolId, opts = {}) {
      await call("alibaba.deleteNodePool", {
        action: "DeleteClusterNodepool",
        method: "DELETE",
        path: poolPath(clusterId, poolId),
        ...(opts.force ? { query: { force: "true" } } : {}),
        idempotent: true,
      });
    },
  };
  return provider;
}
