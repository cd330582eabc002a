// The Node host's transport: undici with a keep-alive pool, the usual proxy variables honoured
// (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, upper or lower case, through EnvHttpProxyAgent), an extra
// CA bundle for private clouds added to the default roots, and an optional client certificate for
// mutual TLS (the Kubernetes API of CCE Autopilot clusters).
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import { EnvHttpProxyAgent, fetch as undiciFetch } from "undici";
import { EXTRA_CA_VARIABLE } from "../config/config.ts";
import type { Fetch } from "./client.ts";

export { EXTRA_CA_VARIABLE };

export interface NodeFetchOptions {
  /** PEM certificates trusted in addition to Node's default roots (an internal CA). */
  extraCaPem?: string;
  /**
   * PEM certificates trusted instead of the default roots (e.g. a cluster's own CA from its
   * kubeconfig). `extraCaPem`, when also given, is trusted too.
   */
  caPem?: string;
  /** Client certificate and its private key (PEM) for mutual TLS. */
  clientCert?: { certPem: string; keyPem: string };
  /** How long an idle socket is kept for reuse. Default 30 s (servers may close theirs earlier). */
  keepAliveTimeoutMs?: number;
  /** Sockets per origin. Default 16. */
  connections?: number;
  /** Override the proxy variables (otherwise read from the environment). */
  proxy?: { http?: string; https?: string; noProxy?: string };
}

export interface NodeTransport {
  fetch: Fetch;
  /** Closes idle sockets and waits for those in use; call on shutdown (tests: after each). */
  close(): Promise<void>;
}

/** The CA list to trust, or undefined for Node's defaults. */
export function trustedCas(options: Pick<NodeFetchOptions, "extraCaPem" | "caPem">): string[] | undefined {
  const extra = options.extraCaPem?.trim() ? [options.extraCaPem] : [];
  if (options.caPem?.trim()) return [options.caPem, ...extra];
  if (extra.length > 0) return [...rootCertificates, ...extra];
  return undefined;
}

export function createNodeTransport(options: NodeFetchOptions = {}): NodeTransport {
  const ca = trustedCas(options);
  const tls = {
    ...(ca ? { ca } : {}),
    ...(options.clientCert ? { cert: options.clientCert.certPem, key: options.clientCert.keyPem } : {}),
  };
  const dispatcher = new EnvHttpProxyAgent({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    connections: options.connections ?? 16,
    // Direct connections take `connect`; through a proxy, the TLS to the target rides inside the
    // CONNECT tunnel and takes `requestTls`, and an https:// proxy itself is checked with `proxyTls`.
    connect: tls,
    requestTls: tls,
    ...(ca ? { proxyTls: { ca } } : {}),
    ...(options.proxy?.http !== undefined ? { httpProxy: options.proxy.http } : {}),
    ...(options.proxy?.https !== undefined ? { httpsProxy: options.proxy.https } : {}),
    ...(options.proxy?.noProxy !== undefined ? { noProxy: options.proxy.noProxy } : {}),
  });
  const fetch: Fetch = (input, init) =>
    // undici's own fetch with its own dispatcher (Node's bundled fetch may be another undici
    // version); its Request/Response types are structurally the DOM ones.
    undiciFetch(input, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    }) as unknown as Promise<Response>;
  return { fetch, close: () => dispatcher.close() };
}

export function nodeFetch(options: NodeFetchOptions = {}): Fetch {
  return createNodeTransport(options).fetch;
}

/**
 * Reads the extra CA bundle named by NIGHTSHIFT_EXTRA_CA_FILE (undefined when unset). Fails with
 * an error naming the variable when the file cannot be read or holds no PEM certificate.
 */
export async function loadExtraCa(
  env: Record<string, string | undefined> = process.env,
): Promise<string | undefined> {
  const path = env[EXTRA_CA_VARIABLE]?.trim();
  if (!path) return undefined;
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    throw new Error(
      `${EXTRA_CA_VARIABLE}: cannot read the CA bundle at ${path} (${reason}); set it to a readable PEM file of the private cloud's CA certificates, or unset it`,
      { cause: error },
    );
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(
      `${EXTRA_CA_VARIABLE}: ${path} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----" blocks)`,
    );
  }
  return pem;
}
