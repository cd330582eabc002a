// The one reader of kubeconfigs, whichever cloud issued them: Huawei CCE and CCE Autopilot
// `clustercert` (a v1.Config in JSON), Alibaba `DescribeClusterUserKubeconfig` and Baidu's
// kubeconfig API (YAML text). JSON is YAML, so one YAML 1.2 reader (js-yaml's loader: the Worker
// ships it, and it is half the size of the `yaml` library that reads schedule files) reads both; the client
// certificate's fields are read from its ASN.1 (certificate.ts). It answers what renewal and the Kubernetes clients need:
// the API server, the cluster CA, the client certificate's subject, issuer, serial and validity, and
// (asynchronously) whether the private key belongs to the certificate.
//
// Every failure is a KubeconfigError naming the problem and the field; none quotes key material
// (or any value from the document but names).
import { constructFromEvents, EVENT_ALIAS, parseEvents, YAMLException } from "js-yaml";
import type { Kubeconfig } from "../providers/port.ts";
import { type CertificateFacts, derToPem, pemToDer, readCertificate } from "./certificate.ts";
import { PrivateKeyError, privateKeyMatches } from "./private-key.ts";

/** What is wrong with a kubeconfig, for callers that act on the kind of problem. */
export type KubeconfigProblem =
  | "not-a-kubeconfig"
  | "no-client-certificate"
  | "certificate-unparsable"
  | "no-client-key"
  | "key-unparsable"
  | "key-mismatch";

export class KubeconfigError extends Error {
  readonly problem: KubeconfigProblem;
  /** Where, e.g. `users[0].user.client-certificate-data`; "(document)" for the whole text. */
  readonly field: string;
  constructor(problem: KubeconfigProblem, field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "KubeconfigError";
    this.problem = problem;
    this.field = field;
  }
}

export type { CertificateFacts } from "./certificate.ts";

export interface ParsedKubeconfig {
  /** How the text was written: clustercert answers JSON, the others YAML. */
  format: "json" | "yaml";
  /** The context used: current-context, or the only one. Undefined when the file has none. */
  context: string | undefined;
  /** The cluster entry's name (Baidu names it after the cluster id). */
  clusterName: string;
  userName: string;
  /** The API server of the context's cluster. */
  server: string;
  /** Every cluster entry's server (Huawei adds an external entry when the cluster has an EIP). */
  servers: string[];
  /** PEM of the cluster CA, when the cluster entry carries one. */
  caPem?: string;
  insecureSkipTlsVerify: boolean;
  certificate: CertificateFacts;
  /** The client certificate (PEM): public, but not metadata. */
  certificatePem: string;
  /** The client's private key (PEM). Secret material: never log it (the redactor masks this name). */
  privateKey: string;
}

type Mapping = Record<string, unknown>;

/** Where each parsed kubeconfig's key was, for messages about the key after parsing. */
const keyFields = new WeakMap<ParsedKubeconfig, string>();
const KEY_FIELD = "users[].user.client-key-data";
const isMapping = (value: unknown): value is Mapping =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const notKubeconfig = (field: string, message: string) =>
  new KubeconfigError("not-a-kubeconfig", field, message);

function documentOf(text: string): { root: Mapping; format: "json" | "yaml" } {
  const format = /^\s*\{/.test(text) ? "json" : "yaml";
  let documents: unknown[];
  try {
    const events = parseEvents(text, {});
    if (events.some((event) => event.type === EVENT_ALIAS))
      throw notKubeconfig("(document)", "uses YAML aliases, which a kubeconfig does not need");
    // The core schema (YAML 1.2: `yes` is a string, no timestamps); a duplicated key is an error,
    // not "last one wins".
    documents = constructFromEvents(events, { source: text });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    // The parser's reason may quote the document (the snippet in its message always does): give
    // the reason only when it quotes nothing (no name, tag or text), and the position.
    const reason = /"|!<|characters: /.test(error.reason) ? "" : error.reason;
    const at = error.mark ? `at line ${error.mark.line + 1}, column ${error.mark.column + 1}` : "";
    const detail = [reason, at].filter(Boolean).join(" ");
    throw notKubeconfig(
      "(document)",
      `is not valid ${format === "json" ? "JSON" : "YAML"}${detail ? ` (${detail})` : ""}`,
    );
  }
  if (documents.length !== 1)
    throw notKubeconfig(
      "(document)",
      documents.length === 0
        ? "is empty; expected a kubeconfig (YAML or JSON)"
        : "holds several YAML documents; a kubeconfig is one",
    );
  const root = documents[0];
  if (!isMapping(root))
    throw notKubeconfig(
      "(document)",
      "is not a kubeconfig: expected a mapping with clusters, users and contexts",
    );
  return { root, format };
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") throw notKubeconfig(field, "missing (a non-empty string)");
  return value;
}

/** The named entry of `clusters`, `contexts` or `users`, or the only one when no name is given. */
function entry(root: Mapping, list: string, name: string | undefined): { item: Mapping; field: string } {
  const items = root[list];
  if (!Array.isArray(items) || items.length === 0) throw notKubeconfig(list, "missing or empty");
  const index =
    name === undefined
      ? items.length === 1
        ? 0
        : -1
      : items.findIndex((item) => isMapping(item) && item.name === name);
  if (index === -1)
    throw notKubeconfig(
      list,
      name === undefined
        ? "several entries and no current-context to choose one"
        : `no entry named "${name}"`,
    );
  const item = items[index];
  if (!isMapping(item)) throw notKubeconfig(`${list}[${index}]`, "not a mapping");
  return { item, field: `${list}[${index}]` };
}

function inner(item: { item: Mapping; field: string }, key: string): { value: Mapping; field: string } {
  const value = item.item[key];
  const field = `${item.field}.${key}`;
  if (!isMapping(value)) throw notKubeconfig(field, "missing (a mapping)");
  return { value, field };
}

function base64Text(data: string): string | undefined {
  try {
    const binary = atob(data.replace(/\s+/g, ""));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** The PEM certificates in base64 `*-data` (Huawei's CA data starts with openssl's text dump). */
function certificatePems(data: string): string[] {
  const decoded = base64Text(data);
  return decoded ? [...decoded.matchAll(CERTIFICATE_PEM)].map((m) => m[0]) : [];
}

/** The client certificate: the first PEM certificate of the data (a chain may follow), or DER. */
function clientCertificate(data: string, field: string): { pem: string; facts: CertificateFacts } {
  const pem = certificatePems(data)[0];
  try {
    if (pem) return { pem, facts: readCertificate(pemToDer(pem)).facts };
    // Base64 of DER, without PEM armour.
    const der = Uint8Array.from(atob(data.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    return { pem: derToPem(der), facts: readCertificate(der).facts };
  } catch {
    throw new KubeconfigError(
      "certificate-unparsable",
      field,
      "is not a base64 PEM (or DER) X.509 certificate that can be read",
    );
  }
}

/**
 * Reads a kubeconfig (JSON or YAML): the current context's cluster and user (or the only ones),
 * the API server, the CA, the client certificate and key. Synchronous: it does not check that the
 * key belongs to the certificate (readKubeconfig does). Throws KubeconfigError.
 */
export function parseKubeconfig(source: string): ParsedKubeconfig {
  if (typeof source !== "string" || source.trim() === "")
    throw notKubeconfig("(document)", "is empty; expected a kubeconfig (YAML or JSON)");
  const { root, format } = documentOf(source);
  if (root.kind !== undefined && root.kind !== "Config")
    throw notKubeconfig("kind", `is "${String(root.kind).slice(0, 40)}"; a kubeconfig has kind: Config`);

  const current = root["current-context"];
  let context: string | undefined;
  let clusterName: string | undefined;
  let userName: string | undefined;
  const hasContexts = Array.isArray(root.contexts) && root.contexts.length > 0;
  if ((typeof current === "string" && current !== "") || hasContexts) {
    const chosen = entry(
      root,
      "contexts",
      typeof current === "string" && current !== "" ? current : undefined,
    );
    const body = inner(chosen, "context");
    context = text(chosen.item.name, `${chosen.field}.name`);
    clusterName = text(body.value.cluster, `${body.field}.cluster`);
    userName = text(body.value.user, `${body.field}.user`);
  }

  const cluster = entry(root, "clusters", clusterName);
  const clusterBody = inner(cluster, "cluster");
  const server = text(clusterBody.value.server, `${clusterBody.field}.server`);
  const servers = (root.clusters as unknown[]).flatMap((item) =>
    isMapping(item) && isMapping(item.cluster) && typeof item.cluster.server === "string"
      ? [item.cluster.server]
      : [],
  );
  const caData = clusterBody.value["certificate-authority-data"];
  const caPems = typeof caData === "string" && caData !== "" ? certificatePems(caData) : [];
  if (typeof caData === "string" && caData !== "" && caPems.length === 0)
    throw new KubeconfigError(
      "certificate-unparsable",
      `${clusterBody.field}.certificate-authority-data`,
      "holds no base64 PEM certificate",
    );

  const user = entry(root, "users", userName);
  const userBody = inner(user, "user");
  const certField = `${userBody.field}.client-certificate-data`;
  const certData = userBody.value["client-certificate-data"];
  if (typeof certData !== "string" || certData === "") {
    const other = ["client-certificate", "token", "tokenFile", "exec", "auth-provider", "username"].find(
      (key) => userBody.value[key] !== undefined,
    );
    throw new KubeconfigError(
      "no-client-certificate",
      certField,
      other === "client-certificate"
        ? "missing: the kubeconfig points to a certificate file (client-certificate) instead of carrying it"
        : other
          ? `missing: the user authenticates with ${other}, not with a client certificate`
          : "missing: the user has no client certificate",
    );
  }
  const { pem: certificatePem, facts } = clientCertificate(certData, certField);

  const keyField = `${userBody.field}.client-key-data`;
  const keyData = userBody.value["client-key-data"];
  if (typeof keyData !== "string" || keyData === "")
    throw new KubeconfigError(
      "no-client-key",
      keyField,
      userBody.value["client-key"] !== undefined
        ? "missing: the kubeconfig points to a key file (client-key) instead of carrying it"
        : "missing: the client certificate has no private key",
    );
  const privateKey = base64Text(keyData);
  if (!privateKey || !/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(privateKey))
    throw new KubeconfigError("key-unparsable", keyField, "is not a base64 PEM private key");

  const parsed: ParsedKubeconfig = {
    format,
    context,
    clusterName: text(cluster.item.name, `${cluster.field}.name`),
    userName: text(user.item.name, `${user.field}.name`),
    server,
    servers,
    ...(caPems.length > 0 ? { caPem: caPems.join("\n") } : {}),
    insecureSkipTlsVerify: clusterBody.value["insecure-skip-tls-verify"] === true,
    certificate: facts,
    certificatePem,
    privateKey,
  };
  keyFields.set(parsed, keyField);
  return parsed;
}

/** Whether the parsed kubeconfig's private key belongs to its client certificate. */
export async function keyMatchesCertificate(parsed: ParsedKubeconfig): Promise<boolean> {
  const { spki } = readCertificate(pemToDer(parsed.certificatePem));
  try {
    return await privateKeyMatches(parsed.privateKey, spki);
  } catch (error) {
    if (error instanceof PrivateKeyError)
      throw new KubeconfigError("key-unparsable", keyFields.get(parsed) ?? KEY_FIELD, error.message);
    throw error;
  }
}

export interface ReadKubeconfig extends ParsedKubeconfig {
  /** The private key belongs to the client certificate (its public key is the certificate's). */
  keyMatches: boolean;
}

/** parseKubeconfig, plus whether the key matches the certificate (Web Crypto, so asynchronous). */
export async function readKubeconfig(source: string): Promise<ReadKubeconfig> {
  const parsed = parseKubeconfig(source);
  return { ...parsed, keyMatches: await keyMatchesCertificate(parsed) };
}

/** readKubeconfig that refuses a key that does not belong to the certificate. */
export async function readUsableKubeconfig(source: string): Promise<ParsedKubeconfig> {
  const parsed = parseKubeconfig(source);
  if (!(await keyMatchesCertificate(parsed)))
    throw new KubeconfigError(
      "key-mismatch",
      keyFields.get(parsed) ?? KEY_FIELD,
      "the private key does not belong to the client certificate (their public keys differ)",
    );
  return parsed;
}

/**
 * What a provider's `issueKubeconfig` answers (the port's Kubeconfig) from the kubeconfig text a
 * cloud returned. Throws KubeconfigError; the provider reports it as a malformed response.
 */
export function issuedKubeconfig(source: string): Kubeconfig {
  const parsed = parseKubeconfig(source);
  return {
    text: source,
    notBefore: parsed.certificate.notBefore,
    notAfter: parsed.certificate.notAfter,
    server: parsed.server,
  };
}
