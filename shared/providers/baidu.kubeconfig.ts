// Reads what nightshift needs from the kubeconfig YAML the Baidu API returns: the API server URL
// and the client certificate's validity. No YAML library is installed, so this parses the subset
// kubeconfigs are written in (block mappings and sequences, plain / single- / double-quoted
// scalars, empty `{}` and `[]`, comments) and refuses anything else with a line number, rather
// than guessing.
import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe, which needs it
import * as x509 from "@peculiar/x509";

export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

/** A kubeconfig that cannot be read; `field` names where (e.g. `users[0].user.client-certificate-data`). */
export class KubeconfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "KubeconfigError";
    this.field = field;
  }
}

interface Line {
  indent: number;
  text: string;
  number: number;
}

const isSequenceItem = (text: string) => text === "-" || text.startsWith("- ");

/** Index of the `:` that ends a mapping key, or -1 when the line is not `key: value` / `key:`. */
function keyColon(text: string): number {
  if (isSequenceItem(text)) return -1;
  let from = 0;
  if (text.startsWith('"') || text.startsWith("'")) {
    const close = text.indexOf(text[0]!, 1);
    if (close === -1) return -1;
    from = close + 1;
  }
  for (let i = from; i < text.length; i++) {
    if (text[i] === "#" && i > 0 && text[i - 1] === " ") return -1;
    if (text[i] === ":" && (i + 1 === text.length || text[i + 1] === " ")) return i;
  }
  return -1;
}

function scalar(raw: string, line: number): YamlValue {
  const text = raw.trim();
  const fail = (why: string): never => {
    throw new KubeconfigError(`line ${line}`, why);
  };
  if (text.startsWith('"')) {
    let end = 1;
    while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
    if (end >= text.length) fail("unterminated double-quoted string");
    const rest = text.slice(end + 1).trim();
    if (rest !== "" && !rest.startsWith("#")) fail("text after a quoted string");
    try {
      return JSON.parse(text.slice(0, end + 1)) as string;
    } catch {
      return fail("a double-quoted string with an escape this reader does not support");
    }
  }
  if (text.startsWith("'")) {
    let out = "";
    let i = 1;
    for (;;) {
      if (i >= text.length) fail("unterminated single-quoted string");
      if (text[i] === "'") {
        if (text[i + 1] === "'") {
          out += "'";
          i += 2;
          continue;
        }
        break;
      }
      out += text[i];
      i++;
    }
    const rest = text.slice(i + 1).trim();
    if (rest !== "" && !rest.startsWith("#")) fail("text after a quoted string");
    return out;
  }
  const comment = text.search(/(^|\s)#/);
  const plain = (comment === -1 ? text : text.slice(0, comment)).trim();
  if (plain === "{}") return {};
  if (plain === "[]") return [];
  if (/^[[{|>&*!%@`]/.test(plain)) fail(`"${plain.slice(0, 20)}" uses YAML this reader does not support`);
  if (plain === "" || plain === "~" || plain === "null") return null;
  return plain;
}

/** Parses the block-style YAML subset described at the top. */
export function parseYamlSubset(text: string): YamlValue {
  const lines: Line[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const indentText = /^[ \t]*/.exec(raw)![0];
    const body = raw.slice(indentText.length);
    if (body === "" || body.startsWith("#")) continue;
    if (indentText.includes("\t")) throw new KubeconfigError(`line ${index + 1}`, "tabs in indentation");
    if (body === "---" && lines.length === 0) continue;
    if (body === "...") break;
    lines.push({ indent: indentText.length, text: body.trimEnd(), number: index + 1 });
  }

  const node = (pos: number, minIndent: number): [YamlValue, number] => {
    const line = lines[pos];
    if (!line || line.indent < minIndent) return [null, pos];
    if (isSequenceItem(line.text)) return sequence(pos, line.indent);
    if (keyColon(line.text) !== -1) return mapping(pos, line.indent);
    return [scalar(line.text, line.number), pos + 1];
  };

  const mapping = (start: number, indent: number): [YamlValue, number] => {
    const out: Record<string, YamlValue> = {};
    let pos = start;
    while (pos < lines.length) {
      const line = lines[pos]!;
      if (line.indent < indent) break;
      if (line.indent > indent) throw new KubeconfigError(`line ${line.number}`, "unexpected indentation");
      const colon = keyColon(line.text);
      if (colon === -1) {
        if (isSequenceItem(line.text) && pos !== start) break;
        throw new KubeconfigError(`line ${line.number}`, "expected `key: value`");
      }
      const keyValue = scalar(line.text.slice(0, colon), line.number);
      if (typeof keyValue !== "string")
        throw new KubeconfigError(`line ${line.number}`, "a key must be text");
      if (Object.hasOwn(out, keyValue))
        throw new KubeconfigError(`line ${line.number}`, `duplicate key "${keyValue}"`);
      const rest = line.text.slice(colon + 1).trim();
      pos++;
      let value: YamlValue = null;
      if (rest === "" || rest.startsWith("#")) {
        const next = lines[pos];
        if (next && next.indent > indent) [value, pos] = node(pos, indent + 1);
        else if (next && next.indent === indent && isSequenceItem(next.text))
          [value, pos] = sequence(pos, indent);
      } else {
        value = scalar(rest, line.number);
      }
      out[keyValue] = value;
    }
    return [out, pos];
  };

  const sequence = (start: number, indent: number): [YamlValue, number] => {
    const out: YamlValue[] = [];
    let pos = start;
    while (pos < lines.length) {
      const line = lines[pos]!;
      if (line.indent !== indent || !isSequenceItem(line.text)) {
        if (line.indent > indent) throw new KubeconfigError(`line ${line.number}`, "unexpected indentation");
        break;
      }
      const after = line.text === "-" ? "" : line.text.slice(2);
      const rest = after.trimStart();
      let value: YamlValue;
      if (rest === "" || rest.startsWith("#")) {
        [value, pos] = node(pos + 1, indent + 1);
      } else {
        // The item's content starts on the dash's line: read it as a line of its own, indented to
        // where it starts, so the lines below at that indentation continue it.
        const column = indent + 2 + (after.length - rest.length);
        lines[pos] = { indent: column, text: rest, number: line.number };
        [value, pos] = node(pos, column);
      }
      out.push(value);
    }
    return [out, pos];
  };

  if (lines.length === 0) return null;
  const [value, end] = node(0, 0);
  if (end < lines.length) throw new KubeconfigError(`line ${lines[end]!.number}`, "unexpected content");
  return value;
}

export interface KubeconfigFacts {
  server: string;
  notBefore: Date;
  notAfter: Date;
}

type Mapping = { [key: string]: YamlValue };
const isMapping = (value: YamlValue | undefined): value is Mapping =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The named entry of `clusters`, `contexts` or `users`, with its index for error paths. */
function entry(root: Mapping, list: string, name: string | undefined): { item: Mapping; path: string } {
  const items = root[list];
  if (!Array.isArray(items) || items.length === 0) throw new KubeconfigError(list, "missing or empty");
  const index =
    name === undefined
      ? items.length === 1
        ? 0
        : -1
      : items.findIndex((item) => isMapping(item) && item.name === name);
  if (index === -1) {
    throw new KubeconfigError(
      list,
      name === undefined ? "several entries and no current-context" : `no entry named "${name}"`,
    );
  }
  const item = items[index];
  if (!isMapping(item)) throw new KubeconfigError(`${list}[${index}]`, "not a mapping");
  return { item, path: `${list}[${index}]` };
}

function text(value: YamlValue | undefined, field: string): string {
  if (typeof value !== "string" || value === "") throw new KubeconfigError(field, "missing");
  return value;
}

function base64Bytes(value: string, field: string): Uint8Array<ArrayBuffer> {
  try {
    return Uint8Array.from(atob(value.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    throw new KubeconfigError(field, "not base64");
  }
}

/** The first certificate of base64 PEM (what kubeconfigs carry) or base64 DER. */
function certificate(data: string, field: string): x509.X509Certificate {
  const bytes = base64Bytes(data, field);
  const asText = new TextDecoder().decode(bytes);
  const pem = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(asText);
  const der = pem ? base64Bytes(pem[1]!, field) : bytes;
  try {
    return new x509.X509Certificate(der);
  } catch {
    throw new KubeconfigError(field, "not an X.509 certificate");
  }
}

/**
 * The API server of the current context and the validity of its user's client certificate. With
 * no current-context, a kubeconfig with a single context (or a single cluster and user) is read.
 */
export function readKubeconfig(yaml: string): KubeconfigFacts {
  const root = parseYamlSubset(yaml);
  if (!isMapping(root)) throw new KubeconfigError("(document)", "not a mapping");
  const current = root["current-context"];
  let clusterName: string | undefined;
  let userName: string | undefined;
  if (typeof current === "string" && current !== "") {
    const { item, path } = entry(root, "contexts", current);
    const context = item.context;
    if (!isMapping(context)) throw new KubeconfigError(`${path}.context`, "missing");
    clusterName = text(context.cluster, `${path}.context.cluster`);
    userName = text(context.user, `${path}.context.user`);
  } else if (Array.isArray(root.contexts) && root.contexts.length === 1) {
    const { item, path } = entry(root, "contexts", undefined);
    const context = item.context;
    if (!isMapping(context)) throw new KubeconfigError(`${path}.context`, "missing");
    clusterName = text(context.cluster, `${path}.context.cluster`);
    userName = text(context.user, `${path}.context.user`);
  }
  const cluster = entry(root, "clusters", clusterName);
  if (!isMapping(cluster.item.cluster)) throw new KubeconfigError(`${cluster.path}.cluster`, "missing");
  const server = text(cluster.item.cluster.server, `${cluster.path}.cluster.server`);
  const user = entry(root, "users", userName);
  if (!isMapping(user.item.user)) throw new KubeconfigError(`${user.path}.user`, "missing");
  const field = `${user.path}.user.client-certificate-data`;
  if (
    user.item.user["client-certificate-data"] === undefined &&
    user.item.user["client-certificate"] !== undefined
  ) {
    throw new KubeconfigError(field, "missing (the kubeconfig points to a certificate file instead)");
  }
  const cert = certificate(text(user.item.user["client-certificate-data"], field), field);
  return { server, notBefore: cert.notBefore, notAfter: cert.notAfter };
}
