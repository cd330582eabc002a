// Huawei Cloud CCE Autopilot behind the Provider port (digest docs/vendors/huawei-cce-autopilot.md).
// Autopilot has clusters, clustercert and jobs under `/autopilot/v3/projects/{project_id}/…`, and
// NO hibernate/awake and NO node pools or nodes: those methods answer ProviderError "unsupported"
// without calling the cloud. Sleeping an Autopilot cluster means scaling its workloads to zero
// through the cluster's own Kubernetes API (kubernetes.ts): over mutual TLS with the kubeconfig
// from `issueKubeconfig` (kubernetes.node.ts), or through the API gateway with the account's
// signature (`kubernetes(clusterId)`).
//
// Vendor quirks handled here:
// - two error-body shapes: CCE's `errorCode`/`errorMessage` and the gateway's `error_code`/`error_msg`;
// - 429 means two things: `CCE.01429002` "Resource locked by other requests." (→ "conflict", the
//   cluster is busy) and `CCE.02429001` / `APIG.0308` throttling (→ "throttled", Retry-After kept);
// - `Content-Type: application/json` on every request, GETs included (400 CCE.01400006 otherwise);
// - the request id comes back in `X-Request-Id`.
import { type HttpClient, HttpFailure, type ReceivedResponse } from "../http/client.ts";
import { issuedKubeconfig, KubeconfigError } from "../kubeconfig/kubeconfig.ts";
import { signHuawei } from "../signer/huawei.ts";
import {
  type ClusterBody,
  ClusterListSchema,
  ClusterSchema,
  ErrorBodySchema,
  JobSchema,
  parseBody,
} from "./autopilot.schemas.ts";
import { createGatewayKubernetesClient } from "./kubernetes.ts";
import {
  type Cluster,
  type ClusterPhase,
  type Job,
  type Kubeconfig,
  type Provider,
  type ProviderAccount,
  type ProviderCapabilities,
  ProviderError,
  type ProviderErrorKind,
} from "./port.ts";

/** The endpoint defaults to `https://cce.{region}.myhuaweicloud.com` (Autopilot shares the CCE host). */
export type AutopilotAccount = ProviderAccount;

export interface AutopilotProviderOptions {
  account: AutopilotAccount;
  http: HttpClient;
  now: () => Date;
  /** Unused: SDK-HMAC-SHA256 has no nonce. Accepted so every provider takes the same options. */
  nonce?: () => string;
  /** Per-call timeout passed to the HTTP layer. */
  timeoutMs?: number;
}

export const AUTOPILOT_CAPABILITIES: ProviderCapabilities = Object.freeze({
  hibernate: false,
  nodePools: false,
  shrinkRemovesNodes: false,
  shrinkReleasesInstances: false,
  workloads: true,
  kubeconfigValidity: "days",
});

/** clustercert `duration` bounds in days; -1 asks for the 5-year maximum (digest §2.6). */
export const KUBECONFIG_MAX_DAYS = 1827;

const PHASES: Record<string, ClusterPhase> = {
  Available: "running",
  Creating: "busy",
  Deleting: "busy",
  Upgrading: "busy",
  Resizing: "busy",
  ScalingUp: "busy",
  ScalingDown: "busy",
  RollingBack: "busy",
  Freezing: "busy",
  UnFreezing: "busy",
  Hibernating: "hibernating",
  Hibernation: "hibernated",
  Awaking: "waking",
  Unavailable: "failed",
  Error: "failed",
  ResizeFailed: "failed",
  RollbackFailed: "failed",
  Frozen: "failed",
  Empty: "failed",
};

/** The normalised phase; a phase this client does not know is "busy" (try again later), not an error. */
export function clusterPhase(vendorPhase: string): ClusterPhase {
  return PHASES[vendorPhase] ?? "busy";
}

const JOB_PHASES: Record<string, Job["phase"]> = {
  Initializing: "running",
  Running: "running",
  Success: "succeeded",
  Failed: "failed",
};

/** Maps a Huawei error answer to the port's error kinds. */
export function errorKind(status: number, code: string | undefined): ProviderErrorKind {
  if (code === "APIGW.0101" || code === "APIG.0101") return "unsupported"; // the API does not exist here
  if (status === 429) return code === "CCE.01429002" ? "conflict" : "throttled";
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status >= 500) return "server";
  return "invalid";
}

function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get("retry-after")?.trim();
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

export function errorFromResponse(api: string, response: ReceivedResponse): ProviderError {
  let code: string | undefined;
  let message = `HTTP ${response.status}`;
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(response.text));
    if (parsed.success) {
      const body = parsed.data;
      code = body.errorCode ?? body.error_code;
      const text = body.errorMessage ?? body.error_msg;
      const detail = body.message && body.message !== text ? body.message : undefined;
      message = [`HTTP ${response.status}`, code, text, detail && `(${detail})`].filter(Boolean).join(" ");
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty 502): the status says enough.
  }
  return new ProviderError({
    kind: errorKind(response.status, code),
    provider: "autopilot",
    api,
    message,
    status: response.status,
    code,
    requestId: response.headers.get("x-request-id") ?? undefined,
    retryAfterSeconds: retryAfterSeconds(response.headers),
  });
}

export function createAutopilotProvider(options: AutopilotProviderOptions): Provider {
  const { account, http, now } = options;
  const endpoint = (account.endpoint ?? `https://cce.${account.region}.myhuaweicloud.com`).replace(
    /\/+$/,
    "",
  );
  const projectId = account.projectId;
  if (!projectId) {
    throw new ProviderError({
      kind: "invalid",
      provider: "autopilot",
      api: "autopilot.createProvider",
      message: `account "${account.id}" has no projectId; every Autopilot API is addressed by project`,
    });
  }
  const base = `${endpoint}/autopilot/v3/projects/${encodeURIComponent(projectId)}`;
  const credentials = {
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
    ...(account.securityToken ? { securityToken: account.securityToken } : {}),
  };

  async function call(
    api: string,
    request: { method: "GET" | "POST"; path: string; body?: unknown; idempotent: boolean },
  ): Promise<ReceivedResponse> {
    let response: ReceivedResponse;
    try {
      response = await http.send(
        {
          method: request.method,
          url: `${base}${request.path}`,
          headers: { "Content-Type": "application/json", "X-Project-Id": projectId! },
          ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        },
        {
          account: account.id,
          api,
          idempotent: request.idempotent,
          // Host is signed from the URL but not sent by hand: fetch sets it (Workers refuse to).
          sign: async (outbound) => {
            const signed = await signHuawei(outbound, credentials, { now: now() });
            const { Host: _host, ...headers } = signed.headers;
            return headers;
          },
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        },
      );
    } catch (error) {
      if (error instanceof HttpFailure) {
        throw new ProviderError({ kind: error.kind, provider: "autopilot", api, message: error.message });
      }
      throw error;
    }
    if (response.status >= 300) throw errorFromResponse(api, response);
    return response;
  }

  const toCluster = (body: ClusterBody): Cluster => ({
    provider: "autopilot",
    account: account.id,
    region: account.region,
    id: body.metadata.uid,
    name: body.metadata.name,
    phase: clusterPhase(body.status.phase),
    vendorPhase: body.status.phase,
    ...(body.spec?.version ? { version: body.spec.version } : {}),
    tags: Object.fromEntries((body.spec?.clusterTags ?? []).map((t) => [t.key, t.value ?? ""])),
  });

  const unsupported = (method: string, why: string) =>
    Promise.reject(
      new ProviderError({
        kind: "unsupported",
        provider: "autopilot",
        api: `autopilot.${method}`,
        message: why,
      }),
    );
  const NO_HIBERNATE =
    "CCE Autopilot has no hibernate/awake API; sleep an Autopilot cluster by scaling its workloads to 0";
  const NO_POOLS = "CCE Autopilot clusters have no node pools or nodes: compute follows the pods' requests";

  return {
    kind: "autopilot",
    account: account.id,
    region: account.region,
    capabilities: AUTOPILOT_CAPABILITIES,

    async listClusters() {
      const api = "autopilot.listClusters";
      const response = await call(api, { method: "GET", path: "/clusters", idempotent: true });
      return parseBody(ClusterListSchema, response.text, api).items.map(toCluster);
    },

    async getCluster(clusterId) {
      const api = "autopilot.getCluster";
      const response = await call(api, {
        method: "GET",
        path: `/clusters/${encodeURIComponent(clusterId)}`,
        idempotent: true,
      });
      return toCluster(parseBody(ClusterSchema, response.text, api));
    },

    hibernate: () => unsupported("hibernate", NO_HIBERNATE),
    awake: () => unsupported("awake", NO_HIBERNATE),
    listNodePools: () => unsupported("listNodePools", NO_POOLS),
    getNodePool: () => unsupported("getNodePool", NO_POOLS),
    resizeNodePool: () => unsupported("resizeNodePool", NO_POOLS),
    setNodePoolAutoscaling: () => unsupported("setNodePoolAutoscaling", NO_POOLS),
    listNodes: () => unsupported("listNodes", NO_POOLS),

    async issueKubeconfig(clusterId, validity): Promise<Kubeconfig> {
      const api = "autopilot.issueKubeconfig";
      if (
        !Number.isInteger(validity) ||
        !(validity === -1 || (validity >= 1 && validity <= KUBECONFIG_MAX_DAYS))
      ) {
        throw new ProviderError({
          kind: "invalid",
          provider: "autopilot",
          api,
          message: `validity ${validity} is not a whole number of days from 1 to ${KUBECONFIG_MAX_DAYS} (or -1 for 5 years)`,
        });
      }
      // Safe to send again: a repeat only mints another certificate; nothing else changes.
      const response = await call(api, {
        method: "POST",
        path: `/clusters/${encodeURIComponent(clusterId)}/clustercert`,
        body: { duration: validity },
        idempotent: true,
      });
      try {
        return issuedKubeconfig(response.text);
      } catch (error) {
        if (error instanceof KubeconfigError)
          throw new ProviderError({
            kind: "malformed-response",
            provider: "autopilot",
            api,
            message: `malformed response: kubeconfig ${error.message}`,
          });
        throw error;
      }
    },

    kubernetes: (clusterId) =>
      createGatewayKubernetesClient({ http, endpoint, clusterId, credentials, account: account.id, now }),

    async getJob(jobId) {
      const api = "autopilot.getJob";
      const response = await call(api, {
        method: "GET",
        path: `/jobs/${encodeURIComponent(jobId)}`,
        idempotent: true,
      });
      const job = parseBody(JobSchema, response.text, api);
      const vendorPhase = job.status.phase;
      return {
        id: job.metadata.uid,
        phase: JOB_PHASES[vendorPhase] ?? "running",
        vendorPhase,
        ...(job.status.reason ? { reason: job.status.reason } : {}),
      };
    },
  };
}
