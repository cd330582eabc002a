// Oracle for the Alibaba ROA signer: the vendor SDK `@alicloud/pop-core` (ROAClient, lib/roa.js)
// computes the Authorization for the same request. On Node; the bench also runs it in workerd.
//
// How the SDK is driven (`#pop-core-roa`, test/oracle/pop-core-roa*.ts): pop-core's own lib/roa.js,
// unchanged, with its `httpx` transport replaced by a capturing transport that hands back the URL and headers
// instead of sending them; on Node its module-private helpers (buildStringToSign,
// getCanonicalizedHeaders, getCanonicalizedResource) are exposed so the string to sign can be
// compared too. Everything else (default headers, header lower-casing, Content-MD5, STS headers, the
// canonical forms, HMAC, the Authorization) is pop-core's real request path: `ROAClient.request`.
import popCorePackage from "@alicloud/pop-core/package.json" with { type: "json" };
import fc from "fast-check";
import { ROAClient } from "#pop-core-roa";
import type { JsonSignInput } from "../fixtures/signing/vector.ts";
import type { RoaHeaders as Headers, RoaClient } from "./pop-core-roa.ts";

export { ROAClient };

/** The `nightshift sign` stdin request, for Alibaba. */
export interface SignRequestInput extends JsonSignInput {
  vendor: "alibaba";
}

export const POP_CORE_VERSION: string = popCorePackage.version;
export const SDK_NAME = `@alicloud/pop-core ${POP_CORE_VERSION} ROAClient`;

const clients = new Map<string, RoaClient>();
function client(input: SignRequestInput, endpoint: string): RoaClient {
  const key = JSON.stringify([
    endpoint,
    input.accessKeyId,
    input.secretAccessKey,
    input.securityToken ?? null,
  ]);
  let found = clients.get(key);
  if (!found) {
    found = new ROAClient({
      endpoint,
      apiVersion: "2015-12-15",
      accessKeyId: input.accessKeyId,
      accessKeySecret: input.secretAccessKey,
      ...(input.securityToken !== undefined ? { securityToken: input.securityToken } : {}),
    });
    clients.set(key, found);
  }
  return found;
}

function findHeader(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * The query as pop-core takes it: a key → DECODED value map. pop-core cannot express a repeated key
 * (an array value is sent as `k=1&k=2` but signed as `k=1,2`), nor a key named `__proto__`; a literal
 * `+` is ambiguous on the wire (our signer refuses it). Those throw here.
 */
export function sdkQuery(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  const search = url.search.slice(1);
  for (const part of search.split("&")) {
    if (part === "") continue;
    if (part.includes("+")) throw new Error(`pop-core oracle: literal "+" in query part "${part}"`);
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? "" : decodeURIComponent(part.slice(eq + 1));
    if (key === "__proto__" || Object.hasOwn(query, key)) {
      throw new Error(
        `pop-core oracle: query key "${key}" is repeated or not expressible in a pop-core query map`,
      );
    }
    query[key] = value;
  }
  return query;
}

export interface SdkSigned {
  authorization: string;
  stringToSign: string;
  canonicalizedHeaders: string;
  canonicalizedResource: string;
  uriPattern: string;
  query: Record<string, string>;
  /** Every header pop-core would send, names lower-cased as pop-core builds them. */
  headers: Headers;
  /** The URL pop-core would request (query re-encoded with `querystring.stringify`). */
  url: string;
}

export interface SdkSignOptions {
  /**
   * Put the URL's query, as written, into pop-core's `uriPattern` instead of its query map: what a
   * pop-core user must do to send a repeated key. pop-core then signs the query text verbatim, which
   * equals our canonical form only when it is already sorted by key and has no escapes.
   */
  queryInPath?: boolean;
}

/**
 * pop-core's signing of `input`, with the `Date` and `x-acs-signature-nonce` taken from `sentHeaders`
 * (what our signer put on the request) when given, else from `input.now` / `input.headers` (pop-core
 * makes its own nonce when neither has one). Our documented default `Content-Type: application/json`
 * for a non-empty body without one is handed to pop-core as a caller header (pop-core adds none).
 */
export async function sdkSign(
  input: SignRequestInput,
  sentHeaders?: Record<string, string>,
  options: SdkSignOptions = {},
): Promise<SdkSigned> {
  const { method, uriPattern, query, captured } = await popCoreRequest(input, sentHeaders, options);
  const sent = captured.headers;
  return {
    authorization: String(sent.authorization),
    stringToSign: ROAClient.internals.buildStringToSign(method, uriPattern, sent, query),
    canonicalizedHeaders: ROAClient.internals.getCanonicalizedHeaders(sent),
    canonicalizedResource: ROAClient.internals.getCanonicalizedResource(uriPattern, query),
    uriPattern,
    query,
    headers: sent,
    url: captured.url,
  };
}

async function popCoreRequest(
  input: SignRequestInput,
  sentHeaders?: Record<string, string>,
  options: SdkSignOptions = {},
) {
  const url = new URL(input.url);
  const method = input.method.toUpperCase();
  const body = input.body ?? "";
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  // Headers pop-core computes itself (and our signer always replaces) are not passed through.
  delete headers["content-md5"];
  delete headers.authorization;
  const date = findHeader(sentHeaders, "date") ?? (input.now ? new Date(input.now).toUTCString() : undefined);
  if (date === undefined) throw new Error("pop-core oracle: no Date in sentHeaders and no input.now");
  headers.date = date;
  const nonce = headers["x-acs-signature-nonce"] ?? findHeader(sentHeaders, "x-acs-signature-nonce");
  if (nonce !== undefined) headers["x-acs-signature-nonce"] = nonce;
  if (body !== "" && headers["content-type"] === undefined) headers["content-type"] = "application/json";

  const uriPattern = options.queryInPath ? url.pathname + url.search : url.pathname;
  const query = options.queryInPath ? {} : sdkQuery(url);
  const captured = await client(input, url.origin).request(method, uriPattern, query, body, headers, {
    rawBody: true,
  });
  return { method, uriPattern, query, captured };
}

/** pop-core's own work for one request, up to its Authorization header (for the benchmark). */
export async function sdkAuthorization(input: SignRequestInput): Promise<string> {
  return String((await popCoreRequest(input)).captured.headers.authorization);
}

/** The Authorization header value pop-core computes for the request our signer sent. */
export async function sdkSignature(
  input: SignRequestInput,
  sentHeaders: Record<string, string>,
): Promise<string> {
  return (await sdkSign(input, sentHeaders)).authorization;
}

// ---------------------------------------------------------------------------------------------
// Random realistic ROA requests.
//
// Excluded on purpose (see the report / issue note):
// - repeated query keys and literal `+`: pop-core cannot express them (sdkQuery throws);
// - surrounding whitespace in Accept / Content-Type values: pop-core signs those untrimmed while
//   HTTP strips it on the wire (the server signs the trimmed value, as our signer does), a pop-core bug;
// - header values with line breaks, control characters other than tab, or non-ASCII: fetch and
//   Node's http refuse or mangle them, and our signer refuses them.

const HOSTS = [
  "https://cs.aliyuncs.com",
  "https://cs.cn-hangzhou.aliyuncs.com",
  "https://cs.cn-qingdao-env17-d01.example.com",
  "https://public.asapi.cn-qingdao-env17-d01.example.com",
  "http://127.0.0.1:8787",
];

const tricky = fc.constantFrom(
  "a b",
  "1+1",
  "~tilde",
  "star*",
  "a/b",
  "k=v",
  "a&b",
  "测试",
  "集群 名称",
  "é",
  "😀",
  "100%",
  "(x)!'",
);

const encoders: Array<(text: string) => string> = [
  encodeURIComponent,
  // Also encode what encodeURIComponent leaves (`!'()*`), and `~`, as other clients do.
  (text) =>
    encodeURIComponent(text).replace(/[!'()*~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`),
  // Lower-case hex escapes: still valid, decoded the same.
  (text) => encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (pct) => pct.toLowerCase()),
];

const pathSegment = fc.oneof(
  fc.constantFrom("clusters", "nodepools", "k8s", "user_config", "nodes", "api", "v1", "tasks"),
  fc.stringMatching(/^(c|np|T-)[0-9a-f]{8,24}$/),
  fc.tuple(tricky, fc.integer({ min: 0, max: encoders.length - 1 })).map(([text, i]) => encoders[i]!(text)),
  fc.constantFrom(
    "a%2Fb",
    "my%20node",
    "%E6%B5%8B%E8%AF%95",
    "raw-测试",
    "name.with.dots",
    "under_score",
    "-~",
  ),
);

const queryKey = fc.oneof(
  fc.constantFrom(
    "TemporaryDurationMinutes",
    "PrivateIpAddress",
    "page_size",
    "page_number",
    "pageSize",
    "nodepool_id",
    "name",
    "force",
    "state",
    "cluster_type",
  ),
  tricky,
  fc.stringMatching(/^[a-z][a-zA-Z0-9_.-]{0,10}$/),
);

const queryValue = fc.oneof(
  fc.constant(""),
  tricky,
  fc.stringMatching(/^[0-9]{1,4}$/),
  fc.constantFrom("true", "false", "running", "cn-hangzhou"),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.json({ maxDepth: 1 }),
);

const query = fc
  .uniqueArray(
    fc.record({
      key: queryKey,
      value: queryValue,
      encoder: fc.integer({ min: 0, max: encoders.length - 1 }),
      bareKey: fc.boolean(),
    }),
    { maxLength: 6, selector: (pair) => pair.key },
  )
  .map((pairs) =>
    pairs
      .filter((pair) => pair.key !== "__proto__")
      .map(({ key, value, encoder, bareKey }) => {
        const encode = encoders[encoder]!;
        // `?flag` (no `=`) and `?flag=` both mean an empty value.
        return value === "" && bareKey ? encode(key) : `${encode(key)}=${encode(value)}`;
      })
      .join("&"),
  );

const casing = fc.constantFrom(
  (name: string) => name.toLowerCase(),
  (name: string) => name.replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase()),
  (name: string) => name.toUpperCase(),
);

const spaced = (value: fc.Arbitrary<string>) =>
  fc
    .tuple(value, fc.constantFrom("", " ", "  ", "\t"), fc.constantFrom("", " ", " \t "))
    .map(([text, before, after]) => before + text + after);

const signedValue = fc.oneof(
  fc.constantFrom("cn-hangzhou", "cn-qingdao-env17-d01", "a  b", "a\tb", "x , y", "1"),
  fc.stringMatching(/^[\x20-\x7e]{1,24}$/),
);

const optionalHeaders = fc.record(
  {
    region: fc.tuple(casing, spaced(signedValue)).map(([c, v]) => [c("x-acs-region-id"), v] as const),
    meta: fc.tuple(casing, spaced(signedValue)).map(([c, v]) => [c("x-acs-meta-name"), v] as const),
    asapi: fc
      .tuple(
        casing,
        fc.constantFrom("cn-qingdao-env17-d01", "cn-wulan-env212-d01"),
        fc.stringMatching(/^[0-9]{1,4}$/),
        fc.option(fc.stringMatching(/^[0-9]{1,4}$/), { nil: undefined }),
        fc.option(fc.stringMatching(/^[0-9]{1,4}$/), { nil: undefined }),
      )
      .map(([c, region, org, group, role]) => {
        const headers: Array<readonly [string, string]> = [
          ["x-ascm-product-name", "cs"],
          ["x-ascm-product-version", "2015-12-15"],
          [c("x-acs-regionid"), region],
          [c("x-acs-organizationid"), org],
        ];
        if (group !== undefined) headers.push(["x-acs-resourceGroupId", group]);
        if (role !== undefined) headers.push([c("x-acs-roleid"), role]);
        return headers;
      }),
    nonce: fc.uuid().map((id) => ["x-acs-signature-nonce", id] as const),
    accept: fc
      .tuple(casing, fc.constantFrom("application/json", "application/xml", "*/*"))
      .map(([c, v]) => [c("accept"), v] as const),
    unsigned: fc
      .tuple(casing, fc.stringMatching(/^[\x20-\x7e]{0,24}$/))
      .map(([c, v]) => [c("x-request-id"), v] as const),
    userAgent: fc.constant(["User-Agent", "nightshift/0.1 (test)"] as const),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.constant(""),
  fc.constant('{"count":2}'),
  fc
    .dictionary(
      fc.constantFrom("name", "description", "count", "nodes", "标签", "release_node"),
      fc.oneof(tricky, fc.integer(), fc.boolean(), fc.string({ unit: "binary", maxLength: 8 })),
      { maxKeys: 4 },
    )
    .map((object) => JSON.stringify(object)),
);

/** Random realistic ROA requests, including ASAPI (`/roa` prefix + ASAPI headers) and STS. */
export const randomRequest: fc.Arbitrary<SignRequestInput> = fc
  .record({
    host: fc.constantFrom(...HOSTS),
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE"),
    segments: fc.array(pathSegment, { minLength: 1, maxLength: 5 }),
    query,
    headers: optionalHeaders,
    contentType: fc.option(fc.constantFrom("application/json", "application/json; charset=utf-8"), {
      nil: undefined,
    }),
    body,
    accessKeyId: fc.stringMatching(/^LTAI[0-9A-Za-z]{12,20}$/),
    secretAccessKey: fc.stringMatching(/^[0-9A-Za-z]{20,30}$/),
    securityToken: fc.option(fc.stringMatching(/^CAIS[0-9A-Za-z+/=]{8,40}$/), { nil: undefined }),
    now: fc.date({
      min: new Date("2020-01-01T00:00:00Z"),
      max: new Date("2030-12-31T23:59:59Z"),
      noInvalidDate: true,
    }),
  })
  .map((r) => {
    const asapi = r.host.includes("asapi");
    const path = `${asapi ? "/roa" : ""}/${r.segments.join("/")}`;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(r.headers)) {
      if (name === "asapi") {
        if (asapi) for (const [n, v] of value as Array<readonly [string, string]>) headers[n] = v;
      } else {
        const [n, v] = value as readonly [string, string];
        headers[n] = v;
      }
    }
    const hasBody = r.body !== undefined && r.body !== "" && (r.method === "POST" || r.method === "PUT");
    if (hasBody && r.contentType !== undefined) headers["Content-Type"] = r.contentType;
    const input: SignRequestInput = {
      vendor: "alibaba",
      accessKeyId: r.securityToken !== undefined ? `STS.${r.accessKeyId}` : r.accessKeyId,
      secretAccessKey: r.secretAccessKey,
      method: r.method,
      url: `${r.host}${path}${r.query === "" ? "" : `?${r.query}`}`,
      headers,
      now: r.now.toISOString(),
    };
    if (r.securityToken !== undefined) input.securityToken = r.securityToken;
    // fetch refuses a body on GET; ACK's GET and DELETE APIs take none.
    if (r.body !== undefined && (r.method === "POST" || r.method === "PUT")) input.body = r.body;
    return input;
  });
