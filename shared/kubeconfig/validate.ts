// Is a credential a cloud just issued fit to replace the stored one? Four checks, all reported at
// once: it parses, it names the cluster it was asked for, its certificate ends later than the one
// it replaces (and after now), and its private key belongs to its certificate. Pure apart from
// Web Crypto (deterministic, no I/O): time and the previous credential are arguments.
//
// How a kubeconfig names its cluster differs per cloud (docs/vendors/):
//   alibaba   the context is `<account uid>-<cluster id>` (DescribeClusterUserKubeconfig)
//   baidu     the cluster entry is named after the cluster id (GET /v2/kubeconfig/{clusterID}/…)
//   autopilot the API server URL carries the cluster id (host label or /clusters/{id} path), or is
//             one of the servers known for the cluster
//   huawei    nothing in the kubeconfig names the cluster (clusters are "internalCluster" /
//             "externalCluster"): one of its servers must be a server known for the cluster (the
//             previous credential's, or the caller's); with none known yet it cannot be checked,
//             and the result says so.
import type { ProviderKind } from "../providers/port.ts";
import {
  KubeconfigError,
  keyMatchesCertificate,
  type ParsedKubeconfig,
  parseKubeconfig,
} from "./kubeconfig.ts";

export type CredentialCheck =
  | "parses"
  | "right-cluster"
  | "later-than-previous"
  | "not-expired"
  | "key-matches";

export interface CredentialProblem {
  check: CredentialCheck;
  /** What is wrong, with metadata only (names, URLs, dates), never key material. */
  message: string;
}

export interface CredentialExpectation {
  provider: ProviderKind;
  /** The cluster the credential was issued for. */
  clusterId: string;
  /** API server URLs known for the cluster (e.g. its endpoints), where the cloud lists them. */
  servers?: readonly string[];
  /** The credential it replaces: its end, and the servers it named. */
  previous?: { notAfter: Date; servers?: readonly string[] };
  now: Date;
}

export type CredentialValidation =
  | {
      ok: true;
      kubeconfig: ParsedKubeconfig;
      /** How the cluster was recognised, e.g. `context "1234-c82e…"`; "unverifiable: …" for Huawei's first credential. */
      clusterEvidence: string;
    }
  | { ok: false; problems: CredentialProblem[] };

/** How the kubeconfig shows it is for `clusterId`, or undefined when it shows another cluster. */
function clusterEvidence(parsed: ParsedKubeconfig, expected: CredentialExpectation): string | undefined {
  const known = new Set([...(expected.servers ?? []), ...(expected.previous?.servers ?? [])]);
  const knownServer = parsed.servers.find((server) => known.has(server));
  const id = expected.clusterId;
  switch (expected.provider) {
    case "alibaba":
      return parsed.context?.endsWith(`-${id}`) ? `context "${parsed.context}"` : undefined;
    case "baidu":
      return parsed.clusterName === id ? `cluster entry "${parsed.clusterName}"` : undefined;
    case "autopilot": {
      const url = URL.canParse(parsed.server) ? new URL(parsed.server) : undefined;
      if (url && (url.hostname.split(".")[0] === id || url.pathname.split("/").includes(id)))
        return `server ${parsed.server}`;
      return knownServer ? `known server ${knownServer}` : undefined;
    }
    case "huawei":
      if (knownServer) return `known server ${knownServer}`;
      return known.size === 0
        ? "unverifiable: a Huawei CCE kubeconfig names no cluster id, and no server is known for the cluster yet"
        : undefined;
  }
}

function clusterProblem(parsed: ParsedKubeconfig, expected: CredentialExpectation): string {
  const id = expected.clusterId;
  switch (expected.provider) {
    case "alibaba":
      return `the context "${parsed.context ?? "(none)"}" is not "<uid>-${id}": the kubeconfig is for another cluster`;
    case "baidu":
      return `the cluster entry is "${parsed.clusterName}", not "${id}": the kubeconfig is for another cluster`;
    default: {
      const known = [...(expected.servers ?? []), ...(expected.previous?.servers ?? [])];
      return `the kubeconfig's servers (${parsed.servers.join(", ")}) ${
        expected.provider === "autopilot" ? `do not carry the cluster id ${id} and ` : ""
      }are none of the servers known for cluster ${id} (${known.join(", ") || "none"})`;
    }
  }
}

/** Checks a freshly issued kubeconfig against what was asked for and what it replaces. */
export async function validateIssuedCredential(
  text: string,
  expected: CredentialExpectation,
): Promise<CredentialValidation> {
  let parsed: ParsedKubeconfig;
  try {
    parsed = parseKubeconfig(text);
  } catch (error) {
    if (!(error instanceof KubeconfigError)) throw error;
    return { ok: false, problems: [{ check: "parses", message: error.message }] };
  }
  const problems: CredentialProblem[] = [];
  const evidence = clusterEvidence(parsed, expected);
  if (evidence === undefined)
    problems.push({ check: "right-cluster", message: clusterProblem(parsed, expected) });

  const { notAfter } = parsed.certificate;
  const previous = expected.previous?.notAfter;
  if (previous && notAfter.getTime() <= previous.getTime())
    problems.push({
      check: "later-than-previous",
      message: `the new certificate ends ${notAfter.toISOString()}, not later than the one it replaces (${previous.toISOString()})`,
    });
  if (notAfter.getTime() <= expected.now.getTime())
    problems.push({
      check: "not-expired",
      message: `the new certificate ended ${notAfter.toISOString()}, before now (${expected.now.toISOString()})`,
    });

  try {
    if (!(await keyMatchesCertificate(parsed)))
      problems.push({
        check: "key-matches",
        message: "the private key does not belong to the client certificate (their public keys differ)",
      });
  } catch (error) {
    if (!(error instanceof KubeconfigError)) throw error;
    problems.push({ check: "key-matches", message: error.message });
  }

  return problems.length > 0 || evidence === undefined
    ? { ok: false, problems }
    : { ok: true, kubeconfig: parsed, clusterEvidence: evidence };
}
