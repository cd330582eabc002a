// `POST .../clustercert {duration}` (digest §2.7, §5.4): a Kubernetes v1.Config in JSON with
// hyphenated keys, whose `client-certificate-data` / `client-key-data` / `certificate-authority-data`
// are base64 of PEM text, carrying a real client certificate from the sandbox CA.

import type { SandboxCa } from "../ca.ts";
import type { ClusterRecord } from "./model.ts";

export const MAX_DURATION_DAYS = 1827;
const DAY = 86_400_000;

/** `duration` is days in 1..1827, or -1 for the maximum; anything else is refused (400). */
export function validDuration(duration: unknown): duration is number {
  return (
    typeof duration === "number" &&
    Number.isInteger(duration) &&
    (duration === -1 || (duration >= 1 && duration <= MAX_DURATION_DAYS))
  );
}

/**
 * The certificate's end: `duration` days from now, and never past five calendar years, which is
 * what the doc's "maximum 5 years" means (1827 days is the bound only with two leap days inside).
 * `-1` is exactly five years.
 */
export function certificateNotAfter(now: number, duration: number): number {
  const fiveYears = new Date(now);
  fiveYears.setUTCFullYear(fiveYears.getUTCFullYear() + 5);
  return duration === -1 ? fiveYears.getTime() : Math.min(now + duration * DAY, fiveYears.getTime());
}

function base64(text: string): string {
  // PEM is ASCII, so each character is one byte.
  return btoa(text);
}

export async function clusterCert(
  ca: SandboxCa,
  cluster: ClusterRecord,
  options: { now: number; duration: number; userName: string },
): Promise<Record<string, unknown>> {
  const issued = await ca.issue({
    commonName: options.userName,
    organization: "system:masters",
    notBefore: new Date(options.now),
    notAfter: new Date(certificateNotAfter(options.now, options.duration)),
  });
  const clusters: Array<Record<string, unknown>> = [
    {
      name: "internalCluster",
      cluster: {
        server: `https://${cluster.internalIp}:5443`,
        "certificate-authority-data": base64(ca.caPem),
      },
    },
  ];
  const contexts: Array<Record<string, unknown>> = [
    { name: "internal", context: { cluster: "internalCluster", user: "user" } },
  ];
  if (cluster.eip) {
    clusters.push({
      name: "externalCluster",
      cluster: { server: `https://${cluster.eip}:5443`, "insecure-skip-tls-verify": true },
    });
    contexts.push({ name: "external", context: { cluster: "externalCluster", user: "user" } });
  }
  return {
    kind: "Config",
    apiVersion: "v1",
    preferences: {},
    clusters,
    users: [
      {
        name: "user",
        user: {
          "client-certificate-data": base64(issued.certPem),
          "client-key-data": base64(issued.keyPem),
        },
      },
    ],
    contexts,
    "current-context": cluster.eip ? "external" : "internal",
  };
}
