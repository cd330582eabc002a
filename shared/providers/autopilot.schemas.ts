// What the CCE Autopilot client reads from the cloud, validated with zod: clusters, jobs, the
// clustercert kubeconfig, and both Huawei error-body shapes. Unknown fields are tolerated; a
// missing or malformed required field becomes ProviderError "malformed-response" naming the API
// and the field path.
import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe, which needs it
import * as x509 from "@peculiar/x509";
import { z } from "zod";
import { ProviderError, type ProviderErrorKind } from "./port.ts";

export const ClusterSchema = z.object({
  metadata: z.object({
    uid: z.string().min(1),
    name: z.string().min(1),
    alias: z.string().optional(),
  }),
  spec: z
    .object({
      version: z.string().optional(),
      clusterTags: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
    })
    .optional(),
  status: z.object({
    phase: z.string().min(1),
    jobID: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
  }),
});
export type ClusterBody = z.infer<typeof ClusterSchema>;

export const ClusterListSchema = z.object({ items: z.array(ClusterSchema) });

export const JobSchema = z.object({
  metadata: z.object({ uid: z.string().min(1) }),
  spec: z.object({ type: z.string().optional(), clusterUID: z.string().optional() }).optional(),
  status: z.object({ phase: z.string().min(1), reason: z.string().optional() }),
});

/** Both documented shapes (digest §1.4) and the Kubernetes Status fields real CCE answers add. */
export const ErrorBodySchema = z.object({
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  error_code: z.string().optional(),
  error_msg: z.string().optional(),
  message: z.string().optional(),
});

export const KubeconfigSchema = z.object({
  clusters: z
    .array(
      z.object({
        name: z.string(),
        cluster: z.object({
          server: z.string().url(),
          "certificate-authority-data": z.string().optional(),
          "insecure-skip-tls-verify": z.boolean().optional(),
        }),
      }),
    )
    .min(1),
  users: z
    .array(
      z.object({
        name: z.string(),
        user: z.object({
          "client-certificate-data": z.string().min(1),
          "client-key-data": z.string().min(1),
        }),
      }),
    )
    .min(1),
  contexts: z
    .array(z.object({ name: z.string(), context: z.object({ cluster: z.string(), user: z.string() }) }))
    .min(1),
  "current-context": z.string(),
});

function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  return out || "(body)";
}

/** `items[2].status.phase: expected string, received undefined` for the first few issues. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issuePath(issue.path)}: ${issue.message}`)
    .join("; ");
}

/** Parses JSON text against a schema, or throws the ProviderError the port promises. */
export function parseBody<T>(
  schema: z.ZodType<T>,
  text: string,
  api: string,
  kind: ProviderErrorKind = "malformed-response",
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProviderError({
      kind,
      provider: "autopilot",
      api,
      message: `${kind === "malformed-response" ? "the response" : "the input"} is not JSON`,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError({
      kind,
      provider: "autopilot",
      api,
      message: `${kind === "malformed-response" ? "malformed response" : "invalid input"}: ${describeIssues(parsed.error)}`,
    });
  }
  return parsed.data;
}

/** A kubeconfig reduced to what a Kubernetes client needs, with the certificate's real validity. */
export interface ParsedKubeconfig {
  server: string;
  /** PEM of the API server's CA, when the kubeconfig carries one. */
  caPem?: string;
  insecureSkipTlsVerify: boolean;
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

function decodeBase64Text(data: string): string {
  const binary = atob(data.replace(/\s+/g, ""));
  return new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
}

/**
 * Reads a kubeconfig in JSON (as clustercert returns it): the current context's cluster and user,
 * the PEMs decoded from base64, and notBefore/notAfter from the X.509 client certificate.
 * `kind` says whose fault a bad kubeconfig is: the cloud's ("malformed-response") or the caller's.
 */
export function parseKubeconfig(
  text: string,
  api: string,
  kind: ProviderErrorKind = "malformed-response",
): ParsedKubeconfig {
  const config = parseBody(KubeconfigSchema, text, api, kind);
  const fail = (message: string) => new ProviderError({ kind, provider: "autopilot", api, message });
  const current = config["current-context"];
  const context = config.contexts.find((c) => c.name === current);
  if (!context) throw fail(`current-context "${current}" names none of the contexts`);
  const cluster = config.clusters.find((c) => c.name === context.context.cluster);
  if (!cluster)
    throw fail(`context "${current}" names cluster "${context.context.cluster}", which is not in clusters`);
  const user = config.users.find((u) => u.name === context.context.user);
  if (!user) throw fail(`context "${current}" names user "${context.context.user}", which is not in users`);
  let certPem: string;
  let keyPem: string;
  let caPem: string | undefined;
  try {
    certPem = decodeBase64Text(user.user["client-certificate-data"]);
    keyPem = decodeBase64Text(user.user["client-key-data"]);
    const ca = cluster.cluster["certificate-authority-data"];
    caPem = ca ? decodeBase64Text(ca) : undefined;
  } catch {
    throw fail(
      "users[].user.client-certificate-data, client-key-data or certificate-authority-data is not base64",
    );
  }
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certPem);
  } catch {
    throw fail("users[].user.client-certificate-data is not a PEM X.509 certificate");
  }
  if (!keyPem.includes("PRIVATE KEY-----"))
    throw fail("users[].user.client-key-data is not a PEM private key");
  return {
    server: cluster.cluster.server,
    ...(caPem ? { caPem } : {}),
    insecureSkipTlsVerify: cluster.cluster["insecure-skip-tls-verify"] === true,
    certPem,
    keyPem,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
}
