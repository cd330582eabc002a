// For tests: a real kubeconfig (client certificate and private key from the sandbox CA) and the
// metadata of its certificate, so sinks and hygiene checks are exercised with real key material.
import { parseKubeconfig } from "../kubeconfig/kubeconfig.ts";
import { createSandboxCa } from "../sandbox/ca.ts";
import type { CertificateFacts } from "./policy.ts";

const base64Text = (text: string) => btoa(text);

export async function sampleCredential(options: { now: Date; lifetimeMs: number; commonName?: string }) {
  const ca = await createSandboxCa({ now: options.now, random: Math.random });
  const notBefore = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + options.lifetimeMs);
  const issued = await ca.issue({
    commonName: options.commonName ?? "nightshift",
    organization: "system:masters",
    notBefore,
    notAfter,
  });
  const kubeconfig = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: sandbox",
    "  cluster:",
    "    server: https://127.0.0.1:6443",
    `    certificate-authority-data: ${base64Text(ca.caPem)}`,
    "users:",
    "- name: nightshift",
    "  user:",
    `    client-certificate-data: ${base64Text(issued.certPem)}`,
    `    client-key-data: ${base64Text(issued.keyPem)}`,
    "contexts:",
    "- name: sandbox",
    "  context: { cluster: sandbox, user: nightshift }",
    "current-context: sandbox",
    "",
  ].join("\n");
  const facts: CertificateFacts = parseKubeconfig(kubeconfig).certificate;
  return { kubeconfig, facts, keyPem: issued.keyPem, certPem: issued.certPem };
}
