// DescribeClusterUserKubeconfig: a kubeconfig in ACK's layout whose client certificate is a real
// X.509 certificate from the sandbox CA, valid exactly `TemporaryDurationMinutes` (15..4320), or
// LONG_TERM_KUBECONFIG_DAYS when the parameter is left out (a "long-term" kubeconfig).
import type { SandboxCa } from "../ca.ts";
import { utcSeconds } from "./ids.ts";
import { AckError, type ClusterRecord } from "./state.ts";

export const KUBECONFIG_MIN_MINUTES = 15;
export const KUBECONFIG_MAX_MINUTES = 4320;
export const LONG_TERM_KUBECONFIG_DAYS = 3 * 365;

function base64Text(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Reads `TemporaryDurationMinutes`: absent → undefined (long-term), else an integer in range. */
export function parseDurationMinutes(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const minutes = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(minutes >= KUBECONFIG_MIN_MINUTES && minutes <= KUBECONFIG_MAX_MINUTES)) {
    throw new AckError(
      400,
      "InvalidParameter",
      `TemporaryDurationMinutes must be an integer from ${KUBECONFIG_MIN_MINUTES} to ${KUBECONFIG_MAX_MINUTES}, got "${raw}"`,
    );
  }
  return minutes;
}

export async function userKubeconfig(
  ca: SandboxCa,
  cluster: ClusterRecord,
  uid: string,
  options: { now: number; minutes: number | undefined; privateIpAddress: boolean },
): Promise<{ config: string; expiration: string }> {
  // X.509 validity has whole seconds: start on one so notAfter - notBefore is exactly the duration.
  const notBefore = Math.floor(options.now / 1000) * 1000;
  const lifetimeMs =
    options.minutes === undefined ? LONG_TERM_KUBECONFIG_DAYS * 86_400_000 : options.minutes * 60_000;
  const notAfter = notBefore + lifetimeMs;
  const issued = await ca.issue({
    commonName: `${uid}-${Math.floor(notBefore / 1000)}`,
    organization: "system:users",
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
  // Public endpoint unless asked for the intranet one; clusters without a public endpoint (Apsara
  // Stack) always give the intranet address.
  const host = options.privateIpAddress || !cluster.publicIp ? cluster.intranetIp : cluster.publicIp;
  const user = uid;
  const context = `${uid}-${cluster.id}`;
  const config = [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    `    server: https://${host}:6443`,
    `    certificate-authority-data: ${base64Text(ca.caPem)}`,
    "  name: kubernetes",
    "contexts:",
    "- context:",
    "    cluster: kubernetes",
    `    user: "${user}"`,
    `  name: ${context}`,
    `current-context: ${context}`,
    "kind: Config",
    "preferences: {}",
    "users:",
    `- name: "${user}"`,
    "  user:",
    `    client-certificate-data: ${base64Text(issued.certPem)}`,
    `    client-key-data: ${base64Text(issued.keyPem)}`,
    "",
  ].join("\n");
  return { config, expiration: utcSeconds(notAfter) };
}
