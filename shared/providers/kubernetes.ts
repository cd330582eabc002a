// A minimal Kubernetes client for the CCE Autopilot workloads mode: list the Deployments and
// StatefulSets of a namespace, read and set their replicas through the `scale` subresource.
// Runtime-neutral: it speaks to one cluster's API over the shared HTTP layer (timeouts, retries,
// Retry-After), and the caller says how a request reaches the cluster:
//
//   - straight to the API server with the kubeconfig's client certificate (mutual TLS): the Node
//     host, kubernetes.node.ts (a Worker cannot choose a client certificate per request);
//   - through the Huawei API gateway, `https://{clusterid}.{Endpoint}/{uri}`, signed with the
//     account's AK/SK like every other Huawei call: `createGatewayKubernetesClient`, used on the
//     Workers host and wherever no client certificate is at hand.
import * as z from "zod";
import { type HttpClient, HttpFailure, type OutboundRequest, type SendOptions } from "../http/client.ts";
import { signHuawei } from "../signer/huawei.ts";
import { parseBody } from "./autopilot.schemas.ts";
import { ProviderError, type ProviderErrorKind } from "./port.ts";

export type WorkloadKind = "Deployment" | "StatefulSet";

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface Workload extends WorkloadRef {
  /** spec.replicas: what the workload is asked to run. */
  replicas: number;
  /** status.readyReplicas: pods ready now. */
  readyReplicas: number;
}

export interface Scale extends WorkloadRef {
  /** spec.replicas */
  replicas: number;
  /** status.replicas: pods that exist now (converging to spec). */
  currentReplicas: number;
}

export interface KubernetesClient {
  listWorkloads(namespace: string): Promise<Workload[]>;
  getScale(ref: WorkloadRef): Promise<Scale>;
  setScale(ref: WorkloadRef, replicas: number): Promise<Scale>;
  /** Closes the client's connections. */
  close(): Promise<void>;
}

const RESOURCES: Record<WorkloadKind, string> = { Deployment: "deployments", StatefulSet: "statefulsets" };

const WorkloadListSchema = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string().min(1), namespace: z.string().optional() }),
      // The API server leaves zero counts out (omitempty): absent means 0.
      spec: z.object({ replicas: z.number().int().optional() }).optional(),
      status: z.object({ readyReplicas: z.number().int().optional() }).optional(),
    }),
  ),
});

const ScaleSchema = z.object({
  metadata: z.object({ name: z.string().min(1), namespace: z.string().optional() }),
  spec: z.object({ replicas: z.number().int().optional() }).optional(),
  status: z.object({ replicas: z.number().int().optional() }).optional(),
});

/** A Kubernetes Status, or (through the API gateway) one of Huawei's two error bodies. */
const ErrorSchema = z.object({
  reason: z.string().optional(),
  message: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  error_code: z.string().optional(),
  error_msg: z.string().optional(),
});

function statusKind(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 429) return "throttled";
  if (status >= 500) return "server";
  return "invalid";
}

function errorFromStatus(api: string, status: number, text: string, headers: Headers): ProviderError {
  let code: string | undefined;
  let message = `HTTP ${status}`;
  try {
    const parsed = ErrorSchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const body = parsed.data;
      code = body.reason ?? body.errorCode ?? body.error_code;
      const text = body.message ?? body.errorMessage ?? body.error_msg;
      message = [`HTTP ${status}`, code, text && `: ${text}`].filter(Boolean).join(" ");
    }
  } catch {
    // Not JSON: the HTTP status is the signal.
  }
  const retryAfter = headers.get("retry-after")?.trim();
  return new ProviderError({
    kind: statusKind(status),
    provider: "autopilot",
    api,
    message,
    status,
    code,
    requestId: headers.get("x-request-id") ?? undefined,
    ...(retryAfter && /^\d+$/.test(retryAfter) ? { retryAfterSeconds: Number(retryAfter) } : {}),
  });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkRef(api: string, ref: WorkloadRef): void {
  const invalid = (message: string) =>
    new ProviderError({ kind: "invalid", provider: "autopilot", api, message });
  if (!(ref.kind in RESOURCES)) throw invalid(`kind "${ref.kind}" is neither Deployment nor StatefulSet`);
  if (!DNS_LABEL.test(ref.namespace) || ref.namespace.length > 63) {
    throw invalid(`namespace "${ref.namespace}" is not a DNS label`);
  }
  if (!DNS_SUBDOMAIN.test(ref.name) || ref.name.length > 253)
    throw invalid(`name "${ref.name}" is not a DNS name`);
}

export interface KubernetesTransport {
  http: HttpClient;
  /** The cluster's API root, e.g. `https://host:5443` or `https://{id}.cce.{region}.myhuaweicloud.com`. */
  server: string;
  /** Key for the HTTP layer's per-account limits. */
  account: string;
  /** Signs each attempt (the gateway's AK/SK); absent for mutual TLS. */
  sign?: SendOptions["sign"];
  /** A transport failure as the caller's error (mutual TLS tells a refused certificate apart). */
  failure?: (api: string, failure: HttpFailure) => ProviderError;
  close?: () => Promise<void>;
}

const plainFailure = (api: string, failure: HttpFailure) =>
  new ProviderError({ kind: failure.kind, provider: "autopilot", api, message: failure.message });

/** A client for one cluster over `transport`. */
export function kubernetesClient(transport: KubernetesTransport): KubernetesClient {
  const { http, account } = transport;
  const server = transport.server.replace(/\/+$/, "");
  const failure = transport.failure ?? plainFailure;

  async function send(
    api: string,
    request: { method: "GET" | "PATCH"; path: string; body?: string; contentType?: string },
  ): Promise<string> {
    const outbound: OutboundRequest = {
      method: request.method,
      url: `${server}${request.path}`,
      headers: {
        Accept: "application/json",
        ...(request.contentType ? { "Content-Type": request.contentType } : {}),
      },
      ...(request.body !== undefined ? { body: request.body } : {}),
    };
    let response: Awaited<ReturnType<HttpClient["send"]>>;
    try {
      // Reads, and a PATCH that sets an absolute replica count, may be sent again safely.
      response = await http.send(outbound, {
        account,
        api,
        idempotent: true,
        ...(transport.sign ? { sign: transport.sign } : {}),
      });
    } catch (error) {
      if (error instanceof HttpFailure) throw failure(api, error);
      throw error;
    }
    if (response.status >= 300) throw errorFromStatus(api, response.status, response.text, response.headers);
    return response.text;
  }

  const scalePath = (ref: WorkloadRef) =>
    `/apis/apps/v1/namespaces/${ref.namespace}/${RESOURCES[ref.kind]}/${ref.name}/scale`;

  const toScale = (ref: WorkloadRef, text: string, api: string): Scale => {
    const scale = parseBody(ScaleSchema, text, api);
    return {
      ...ref,
      replicas: scale.spec?.replicas ?? 0,
      currentReplicas: scale.status?.replicas ?? 0,
    };
  };

  return {
    async listWorkloads(namespace) {
      const api = "autopilot.kubernetes.listWorkloads";
      if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
        throw new ProviderError({
          kind: "invalid",
          provider: "autopilot",
          api,
          message: `namespace "${namespace}" is not a DNS label`,
        });
      }
      const out: Workload[] = [];
      for (const kind of ["Deployment", "StatefulSet"] as const) {
        const text = await send(api, {
          method: "GET",
          path: `/apis/apps/v1/namespaces/${namespace}/${RESOURCES[kind]}`,
        });
        for (const item of parseBody(WorkloadListSchema, text, api).items) {
          out.push({
            kind,
            namespace,
            name: item.metadata.name,
            replicas: item.spec?.replicas ?? 0,
            readyReplicas: item.status?.readyReplicas ?? 0,
          });
        }
      }
      return out;
    },

    async getScale(ref) {
      const api = "autopilot.kubernetes.getScale";
      checkRef(api, ref);
      return toScale(ref, await send(api, { method: "GET", path: scalePath(ref) }), api);
    },

    async setScale(ref, replicas) {
      const api = "autopilot.kubernetes.setScale";
      checkRef(api, ref);
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw new ProviderError({
          kind: "invalid",
          provider: "autopilot",
          api,
          message: `replicas ${replicas} is not a whole number >= 0`,
        });
      }
      const text = await send(api, {
        method: "PATCH",
        path: scalePath(ref),
        body: JSON.stringify({ spec: { replicas } }),
        contentType: "application/merge-patch+json",
      });
      return toScale(ref, text, api);
    },

    close: transport.close ?? (async () => {}),
  };
}

const IP_OR_LOCAL = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]|localhost)$/i;

/**
 * Where the API gateway answers a cluster's Kubernetes API: `https://{clusterid}.{Endpoint}` (the
 * documented form). An endpoint whose host cannot take a subdomain (an IP address or localhost:
 * `nightshift sandbox`, a private proxy) gets the same API at `{Endpoint}/clusters/{clusterid}`.
 */
export function kubernetesGatewayUrl(endpoint: string, clusterId: string): string {
  const url = new URL(endpoint);
  const base = url.pathname.replace(/\/+$/, "");
  const id = encodeURIComponent(clusterId);
  if (IP_OR_LOCAL.test(url.hostname)) return `${url.origin}${base}/clusters/${id}`;
  return `${url.protocol}//${id}.${url.host}${base}`;
}

export interface GatewayClientOptions {
  http: HttpClient;
  /** The account's CCE endpoint, e.g. `https://cce.cn-north-4.myhuaweicloud.com`. */
  endpoint: string;
  clusterId: string;
  credentials: { accessKeyId: string; secretAccessKey: string; securityToken?: string };
  /** Key for the HTTP layer's per-account limits: the gateway throttles per account. */
  account: string;
  now: () => Date;
}

/** A client for one cluster through the Huawei API gateway, each attempt signed (SDK-HMAC-SHA256). */
export function createGatewayKubernetesClient(options: GatewayClientOptions): KubernetesClient {
  return kubernetesClient({
    http: options.http,
    server: kubernetesGatewayUrl(options.endpoint, options.clusterId),
    account: options.account,
    // Host is signed from the URL but not sent by hand: fetch sets it (Workers refuse to).
    sign: async (outbound) => {
      const signed = await signHuawei(outbound, options.credentials, { now: options.now() });
      const { Host: _host, ...headers } = signed.headers;
      return headers;
    },
  });
}
