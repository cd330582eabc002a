// A minimal Kubernetes client for the CCE Autopilot workloads mode: list the Deployments and
// StatefulSets of a namespace, read and set their replicas through the `scale` subresource.
// It talks straight to the cluster's API server with the kubeconfig that clustercert issued,
// authenticating with its client certificate (mutual TLS: an undici Agent with
// `connect: {ca, cert, key}`), through the shared HTTP layer (timeouts, retries, Retry-After).
//
// Node host only: a Cloudflare Worker cannot present a client certificate per request (mTLS
// certificates are bound to the Worker by configuration, not chosen by code), so on Workers the
// workloads mode is not available and Autopilot clusters are driven from the Node host.
import { Agent, fetch as undiciFetch } from "undici";
import { z } from "zod";
import {
  createHttpClient,
  errorCodes,
  type Fetch,
  type HttpClient,
  type HttpClientOptions,
  HttpFailure,
} from "../http/client.ts";
import { KubeconfigError, type ParsedKubeconfig, parseKubeconfig } from "../kubeconfig/kubeconfig.ts";
import { parseBody } from "./autopilot.schemas.ts";
import { type Kubeconfig, ProviderError, type ProviderErrorKind } from "./port.ts";

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

export interface KubernetesClientOptions {
  /** The HTTP layer's settings (retries, timeouts, clock); its transport is made here. */
  http?: Omit<HttpClientOptions, "fetch">;
  /** Key for the HTTP layer's per-account limits. Default: the API server URL. */
  account?: string;
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

const StatusSchema = z.object({ reason: z.string().optional(), message: z.string().optional() });

function statusKind(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 429) return "throttled";
  if (status >= 500) return "server";
  return "invalid";
}

function errorFromStatus(api: string, status: number, text: string, headers: Headers): ProviderError {
  let reason: string | undefined;
  let message = `HTTP ${status}`;
  try {
    const parsed = StatusSchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      reason = parsed.data.reason;
      message = [`HTTP ${status}`, reason, parsed.data.message && `: ${parsed.data.message}`]
        .filter(Boolean)
        .join(" ");
    }
  } catch {
    // Not a Status object; the HTTP status is the signal.
  }
  const retryAfter = headers.get("retry-after")?.trim();
  return new ProviderError({
    kind: statusKind(status),
    provider: "autopilot",
    api,
    message,
    status,
    code: reason,
    ...(retryAfter && /^\d+$/.test(retryAfter) ? { retryAfterSeconds: Number(retryAfter) } : {}),
  });
}

/**
 * TLS alerts by which a server refuses our certificate: an auth problem, not a network one. (A
 * server may instead just close the connection; that stays "network", as it cannot be told apart.)
 */
const CERTIFICATE_REFUSED =
  /ALERT_(BAD_CERTIFICATE|CERTIFICATE_(EXPIRED|REVOKED|UNKNOWN|REQUIRED)|UNKNOWN_CA)/;

function failureError(api: string, failure: HttpFailure): ProviderError {
  const refused =
    failure.kind === "network" && errorCodes(failure).some((code) => CERTIFICATE_REFUSED.test(code));
  return new ProviderError({
    kind: refused ? "auth" : failure.kind,
    provider: "autopilot",
    api,
    message: refused ? `the API server refused the client certificate (${failure.message})` : failure.message,
  });
}

function kubeconfigOf(kubeconfig: Kubeconfig | string): ParsedKubeconfig {
  try {
    return parseKubeconfig(typeof kubeconfig === "string" ? kubeconfig : kubeconfig.text);
  } catch (error) {
    if (!(error instanceof KubeconfigError)) throw error;
    throw new ProviderError({
      kind: "invalid",
      provider: "autopilot",
      api: "autopilot.kubernetes",
      message: `invalid kubeconfig: ${error.message}`,
    });
  }
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

/** A client for one cluster, authenticated with the kubeconfig's client certificate. */
export function createKubernetesClient(
  kubeconfig: Kubeconfig | string,
  options: KubernetesClientOptions = {},
): KubernetesClient {
  const config = kubeconfigOf(kubeconfig);
  const agent = new Agent({
    connect: {
      ...(config.caPem ? { ca: config.caPem } : {}),
      cert: config.certificatePem,
      key: config.privateKey,
      rejectUnauthorized: !config.insecureSkipTlsVerify,
    },
  });
  const fetch: Fetch = (input, init) =>
    undiciFetch(input, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  const http: HttpClient = createHttpClient({ ...options.http, fetch });
  const server = config.server.replace(/\/+$/, "");
  const account = options.account ?? server;

  async function send(
    api: string,
    request: { method: "GET" | "PATCH"; path: string; body?: string; contentType?: string },
  ): Promise<string> {
    let response: Awaited<ReturnType<HttpClient["send"]>>;
    try {
      response = await http.send(
        {
          method: request.method,
          url: `${server}${request.path}`,
          headers: {
            Accept: "application/json",
            ...(request.contentType ? { "Content-Type": request.contentType } : {}),
          },
          ...(request.body !== undefined ? { body: request.body } : {}),
        },
        // Reads, and a PATCH that sets an absolute replica count, may be sent again safely.
        { account, api, idempotent: true },
      );
    } catch (error) {
      if (error instanceof HttpFailure) throw failureError(api, error);
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

    close: () => agent.close(),
  };
}

async function withClient<T>(
  kubeconfig: Kubeconfig | string,
  options: KubernetesClientOptions | undefined,
  use: (client: KubernetesClient) => Promise<T>,
): Promise<T> {
  const client = createKubernetesClient(kubeconfig, options);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** The Deployments and StatefulSets of `namespace`, with their replicas. */
export function listWorkloads(
  kubeconfig: Kubeconfig | string,
  namespace: string,
  options?: KubernetesClientOptions,
): Promise<Workload[]> {
  return withClient(kubeconfig, options, (client) => client.listWorkloads(namespace));
}

export function getScale(
  kubeconfig: Kubeconfig | string,
  ref: WorkloadRef,
  options?: KubernetesClientOptions,
): Promise<Scale> {
  return withClient(kubeconfig, options, (client) => client.getScale(ref));
}

/** Sets spec.replicas (a merge patch of the scale subresource); the pods follow over time. */
export function setScale(
  kubeconfig: Kubeconfig | string,
  ref: WorkloadRef,
  replicas: number,
  options?: KubernetesClientOptions,
): Promise<Scale> {
  return withClient(kubeconfig, options, (client) => client.setScale(ref, replicas));
}
