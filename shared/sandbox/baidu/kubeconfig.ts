// The kubeconfig the Baidu API returns as YAML text (`kubeConfig` field, digest §6.2), written line
// by line so the layout is exactly kubectl's own (keys sorted, sequences unindented).
// The client certificate is real (the sandbox CA) and minted on every call, valid for
// KUBECONFIG_VALIDITY_DAYS: the API takes no validity, so the sandbox picks one fixed value.
import type { SandboxCa } from "../ca.ts";

/** Validity of every client certificate the Baidu kubeconfig API issues in the sandbox. */
export const KUBECONFIG_VALIDITY_DAYS = 365;

export const KUBECONFIG_TYPES = ["vpc", "public", "internal"] as const;
export type KubeconfigType = (typeof KUBECONFIG_TYPES)[number];

/** Base64 of ASCII text (PEM is ASCII), without Buffer. */
function base64Ascii(text: string): string {
  return btoa(text);
}

/** Only safe plain scalars are written unquoted; anything else is double-quoted. */
function scalar(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._@:/+=-]*$/.test(value) && !/^(true|false|null|yes|no|~)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

export interface KubeconfigParts {
  clusterName: string;
  userName: string;
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

export function kubeconfigYaml(parts: KubeconfigParts): string {
  const context = `${parts.userName}@${parts.clusterName}`;
  return [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${base64Ascii(parts.caPem)}`,
    `    server: ${scalar(parts.server)}`,
    `  name: ${scalar(parts.clusterName)}`,
    "contexts:",
    "- context:",
    `    cluster: ${scalar(parts.clusterName)}`,
    `    user: ${scalar(parts.userName)}`,
    `  name: ${scalar(context)}`,
    `current-context: ${scalar(context)}`,
    "kind: Config",
    "preferences: {}",
    "users:",
    `- name: ${scalar(parts.userName)}`,
    "  user:",
    `    client-certificate-data: ${base64Ascii(parts.certPem)}`,
    `    client-key-data: ${base64Ascii(parts.keyPem)}`,
    "",
  ].join("\n");
}

/** Issues a fresh client certificate and writes the kubeconfig around it. */
export async function issueKubeconfig(options: {
  ca: SandboxCa;
  now: Date;
  clusterID: string;
  userName: string;
  server: string;
}): Promise<string> {
  const notAfter = new Date(options.now.getTime() + KUBECONFIG_VALIDITY_DAYS * 86_400_000);
  const issued = await options.ca.issue({
    commonName: options.userName,
    organization: "system:masters",
    notBefore: options.now,
    notAfter,
  });
  return kubeconfigYaml({
    clusterName: options.clusterID,
    userName: options.userName,
    server: options.server,
    caPem: options.ca.caPem,
    certPem: issued.certPem,
    keyPem: issued.keyPem,
  });
}
