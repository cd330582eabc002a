// The Node host's way to a cluster's Kubernetes API: straight to the API server named in the
// kubeconfig that clustercert issued, authenticated with its client certificate (mutual TLS: an
// undici Agent with `connect: {ca, cert, key}`). The client itself is runtime-neutral
// (kubernetes.ts); a Cloudflare Worker cannot present a client certificate per request (mTLS
// certificates are bound to the Worker by configuration), so it goes through the API gateway instead.
import { Agent, fetch as undiciFetch } from "undici";
import {
  createHttpClient,
  errorCodes,
  type Fetch,
  type HttpClientOptions,
  type HttpFailure,
} from "../http/client.ts";
import { KubeconfigError, type ParsedKubeconfig, parseKubeconfig } from "../kubeconfig/kubeconfig.ts";
import { type KubernetesClient, kubernetesClient, type WorkloadRef } from "./kubernetes.ts";
import { type Kubeconfig, ProviderError } from "./port.ts";

export type { KubernetesClient, Scale, Workload, WorkloadKind, WorkloadRef } from "./kubernetes.ts";

export interface KubernetesClientOptions {
  /** The HTTP layer's settings (retries, timeouts, clock); its transport is made here. */
  http?: Omit<HttpClientOptions, "fetch">;
  /** Key for the HTTP layer's per-account limits. Default: the API server URL. */
  account?: string;
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
  const server = config.server.replace(/\/+$/, "");
  return kubernetesClient({
    http: createHttpClient({ ...options.http, fetch }),
    server,
    account: options.account ?? server,
    failure: failureError,
    close: () => agent.close(),
  });
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
) {
  return withClient(kubeconfig, options, (client) => client.listWorkloads(namespace));
}

export function getScale(
  kubeconfig: Kubeconfig | string,
  ref: WorkloadRef,
  options?: KubernetesClientOptions,
) {
  return withClient(kubeconfig, options, (client) => client.getScale(ref));
}

/** Sets spec.replicas (a merge patch of the scale subresource); the pods follow over time. */
export function setScale(
  kubeconfig: Kubeconfig | string,
  ref: WorkloadRef,
  replicas: number,
  options?: KubernetesClientOptions,
) {
  return withClient(kubeconfig, options, (client) => client.setScale(ref, replicas));
}
