// Oracle for Baidu bce-auth-v1 (on Node; the bench also runs it in workerd): what @baiducloud/sdk
// (src/auth.js) computes for a request, and a fast-check generator of realistic random requests.
//
// How the SDK is fed (read from node_modules/@baiducloud/sdk/src): `Auth.generateAuthorization(
// method, resource, params, headers, timestampSeconds, expirationSeconds)`. It signs `resource`
// exactly as given (only bos-share URLs are re-encoded) and its clients pass an already encoded
// path, so the resource is built with the SDK's own encoder (`strings.normalize`) over each
// decoded path segment. `params` is a map of DECODED query values (the SDK encodes them; it
// leaves keys unencoded). Headers are trimmed and encoded by the SDK itself.
import { createHash } from "node:crypto";
import sdkPackage from "@baiducloud/sdk/package.json" with { type: "json" };
import SdkAuthModule from "@baiducloud/sdk/src/auth.js";
import sdkStringsModule from "@baiducloud/sdk/src/strings.js";
import fc from "fast-check";
import type { JsonSignInput } from "../fixtures/signing/vector.ts";

interface SdkAuth {
  generateAuthorization(
    method: string,
    resource: string,
    params: Record<string, string>,
    headers: Record<string, string>,
    timestamp?: number,
    expirationInSeconds?: number,
    headersToSign?: string[],
  ): string;
  queryStringCanonicalization(params: Record<string, string>): string;
  headersCanonicalization(headers: Record<string, string>, headersToSign?: string[]): [string, string[]];
  getTimestamp(timestamp?: number): string;
  hash(data: string, key: string): string;
}

// Imported, not require()d: the bench bundles this module into workerd (test/bench/signing.worker.ts).
// The SDK ships no types for its src/ files (test/oracle/vendor-sdk.d.ts declares them untyped).
const Auth = SdkAuthModule as new (ak: string, sk: string) => SdkAuth;
const sdkStrings = sdkStringsModule as { normalize(text: string, encodingSlash?: boolean): string };
export const SDK_NAME = "@baiducloud/sdk";
export const SDK_VERSION: string = sdkPackage.version;

/** The `nightshift sign` stdin request, Baidu flavour. */
export interface SignRequestInput extends JsonSignInput {
  vendor: "baidu";
  expirationSeconds?: number;
}

function findHeader(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== "authorization"));
}

/** The encoded path the SDK's clients hand to `generateAuthorization`, made with its own encoder. */
export function sdkResource(url: URL): string {
  return url.pathname
    .split("/")
    .map((segment) => sdkStrings.normalize(decodeURIComponent(segment)))
    .join("/");
}

/** The decoded query map the SDK takes. A map cannot hold a repeated key, so that is refused. */
export function sdkParams(url: URL): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of url.search.slice(1).split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? "" : decodeURIComponent(part.slice(eq + 1));
    if (Object.hasOwn(params, key))
      throw new Error(`query key "${key}" repeats: the SDK's params map cannot hold it`);
    params[key] = value;
  }
  return params;
}

function timestampSeconds(headers: Record<string, string>): number {
  const date = findHeader(headers, "x-bce-date");
  if (date === undefined) throw new Error("sent headers have no x-bce-date");
  return Date.parse(date.trim()) / 1000;
}

/**
 * The Authorization header @baiducloud/sdk computes for the request, with the headers our signer
 * sent (so the same x-bce-date, Host and security token).
 */
export function sdkSignature(input: SignRequestInput, sentHeaders: Record<string, string>): string {
  const url = new URL(input.url);
  const headers = withoutAuthorization(sentHeaders);
  return new Auth(input.accessKeyId, input.secretAccessKey).generateAuthorization(
    input.method.toUpperCase(), // HttpClient.sendRequest upper-cases the method before signing
    sdkResource(url),
    sdkParams(url),
    headers,
    timestampSeconds(headers),
    input.expirationSeconds,
  );
}

export interface SdkStages {
  canonicalUri: string;
  canonicalQuery: string;
  canonicalHeaders: string;
  signedHeaders: string;
  canonicalRequest: string;
  stringToSign: string;
  signingKey: string;
  signature: string;
  authorization: string;
}

/**
 * The per-stage values, from the same SDK functions generateAuthorization calls, assembled the way
 * it assembles them. `canonicalQuery` may be given when the SDK cannot express the query.
 */
export function sdkStages(
  input: SignRequestInput,
  sentHeaders: Record<string, string>,
  canonicalQuery?: string,
): SdkStages {
  const auth = new Auth(input.accessKeyId, input.secretAccessKey);
  const url = new URL(input.url);
  const headers = withoutAuthorization(sentHeaders);
  const timestamp = auth.getTimestamp(timestampSeconds(headers));
  const stringToSign = `bce-auth-v1/${input.accessKeyId}/${timestamp}/${input.expirationSeconds ?? 1800}`;
  const signingKey = auth.hash(stringToSign, input.secretAccessKey);
  const canonicalUri = sdkResource(url);
  const query = canonicalQuery ?? auth.queryStringCanonicalization(sdkParams(url));
  const [canonicalHeaders, signed] = auth.headersCanonicalization(headers);
  const canonicalRequest = `${input.method.toUpperCase()}\n${canonicalUri}\n${query}\n${canonicalHeaders}`;
  const signature = auth.hash(canonicalRequest, signingKey);
  const signedHeaders = signed.join(";");
  return {
    canonicalUri,
    canonicalQuery: query,
    canonicalHeaders,
    signedHeaders,
    canonicalRequest,
    stringToSign,
    signingKey,
    signature,
    authorization: `${stringToSign}/${signedHeaders}/${signature}`,
  };
}

/** SDK-side encoding of a single query pair (key encoded too, as the doc and bce-sdk-go do). */
export function sdkQueryEntry(key: string, value: string): string {
  return `${sdkStrings.normalize(key)}=${sdkStrings.normalize(value)}`;
}

/**
 * The headers the SDK's clients would sign, built without our signer: the request's headers plus
 * `Host` (HttpClient: url host), `x-bce-date` (HttpClient: the current second, here `now`) and
 * `x-bce-security-token` (BceBaseClient, for a session token). HttpClient's other defaults
 * (User-Agent, Connection, Content-Type, Content-Length) are not part of our contract.
 */
export function sdkHeaders(input: SignRequestInput): Record<string, string> {
  const headers: Record<string, string> = { ...input.headers };
  const url = new URL(input.url);
  if (findHeader(headers, "host") === undefined) headers.Host = url.host;
  if (findHeader(headers, "x-bce-date") === undefined) {
    const now = input.now === undefined ? undefined : Date.parse(input.now) / 1000;
    headers["x-bce-date"] = new Auth("", "").getTimestamp(now === undefined ? undefined : Math.floor(now));
  }
  if (input.securityToken !== undefined && findHeader(headers, "x-bce-security-token") === undefined) {
    headers["x-bce-security-token"] = input.securityToken;
  }
  return headers;
}

/** The SDK's own signing, end to end (the benchmark's "sdk" side). */
export function sdkSign(input: SignRequestInput): Record<string, string> {
  const headers = sdkHeaders(input);
  return { ...headers, Authorization: sdkSignature(input, headers) };
}

// ---------------------------------------------------------------------------------------------
// Random requests
// ---------------------------------------------------------------------------------------------

const HOSTS = [
  "https://cce.bj.baidubce.com",
  "https://cce.gz.baidubce.com",
  "https://cce.su.baidubce.com:443", // default port: left out of Host
  "https://cce.bj.baidubce.com:8443",
  "http://127.0.0.1:8787",
];

type Encoding = "raw" | "upper" | "lower";

/** Writes decoded text into a URL component, each character raw or %-escaped (either hex case). */
function writeComponent(pieces: Array<[string, Encoding]>, rawAllowed: RegExp): string {
  let out = "";
  for (const [text, encoding] of pieces) {
    for (const char of text) {
      if (encoding === "raw" && rawAllowed.test(char)) out += char;
      else {
        const escaped = Array.from(
          Buffer.from(char, "utf8"),
          (b) => `%${b.toString(16).padStart(2, "0")}`,
        ).join("");
        out += encoding === "lower" ? escaped : escaped.toUpperCase();
      }
    }
  }
  return out;
}

const encoding = fc.constantFrom<Encoding>("raw", "raw", "upper", "lower");

// Raw in a path: anything but the separator, `%`, `?`, `#`, `\` (WHATWG reads it as `/`).
const PATH_RAW = /^[^/%?#\\]$/u;
const pathPiece = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9\-_.~]{1,8}$/),
  fc.constantFrom("cce-abc123", "instancegroup", "cce-ig-xyz", "replicas", "kubeconfig", "v2"),
  fc.constantFrom("!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@", "|", "^", "[", "]", "~"),
  fc.constantFrom("测试", "集群", "é", "😀", " ", "a b", "/", "%", "?", "#"),
);
const pathSegment = fc
  .array(fc.tuple(pathPiece, encoding), { minLength: 1, maxLength: 4 })
  .map((pieces) => writeComponent(pieces, PATH_RAW));
const path = fc
  .tuple(fc.array(pathSegment, { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([segments, trailing]) => `/${segments.join("/")}${trailing ? "/" : ""}`);

// Query keys: only unreserved characters. @baiducloud/sdk puts keys into the canonical query
// unencoded (a bug: the doc and bce-sdk-go encode them, and so do we), so keys that need encoding
// cannot be compared with it. `__proto__` would not survive a plain-object params map.
const queryKey = fc
  .oneof(
    fc.constantFrom("pageNo", "pageSize", "keyword", "keywordType", "orderBy", "order", "deleteResource"),
    fc.constantFrom("targetID", "upToReplicas", "Authorization", "a", "A", "z-1", "x.y", "tilde~"),
    fc.stringMatching(/^[A-Za-z0-9\-_.~]{1,10}$/),
  )
  .filter((key) => key !== "__proto__");
// Raw in a query: anything but `&`, `#`, `%`, and `+` (our signer refuses a raw plus as ambiguous).
const QUERY_RAW = /^[^&#%+]$/u;
const valuePiece = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9]{1,6}$/),
  fc.constantFrom(" ", "+", "~", "*", "/", "=", "&", "?", "#", "%", ":", "@", "!", "'", "(", ")", ",", ";"),
  fc.constantFrom("测试", "集群 名", "é", "😀", "  ", "clusterName", "ASC", "true"),
);
const queryValue = fc
  .array(fc.tuple(valuePiece, encoding), { maxLength: 5 })
  .map((pieces) => writeComponent(pieces, QUERY_RAW));
// Unique keys: a repeated key cannot be put into the SDK's params map (our signer signs each pair).
const query = fc
  .uniqueArray(fc.tuple(queryKey, queryValue, fc.boolean()), { selector: ([key]) => key, maxLength: 6 })
  .map((pairs) =>
    pairs.length === 0
      ? ""
      : `?${pairs.map(([key, value, bare]) => (value === "" && bare ? key : `${key}=${value}`)).join("&")}`,
  );

// Header names: none is a prefix of another (see canonicalHeaders: the SDK and bce-sdk-go order
// the signed-headers field differently only then), and no x-bce-request-id (the SDK signs it;
// bce-sdk-go, the doc and we do not).
const HEADER_NAMES = [
  "content-type",
  "x-bce-client-token",
  "x-bce-meta-owner",
  "x-bce-meta-note",
  "x-bce-acl",
  "user-agent",
  "x-request-source",
  "accept",
];
const headerName = fc
  .tuple(fc.constantFrom(...HEADER_NAMES), fc.integer({ min: 0, max: 2 ** 30 }))
  .map(([name, bits]) => Array.from(name, (c, i) => ((bits >> (i % 30)) & 1 ? c.toUpperCase() : c)).join(""));
const whitespace = fc.constantFrom("", "", " ", "\t", "  ", " \t ");
const headerCore = fc.oneof(
  fc.constant(""),
  fc.constantFrom(
    "application/json;charset=utf-8",
    "application/json; charset=UTF-8",
    "text/plain",
    "private",
  ),
  fc.stringMatching(/^[\x21-\x7e]{1,6}( {1,3}[\x21-\x7e]{1,6}){0,3}$/),
);
const headerValue = fc
  .tuple(whitespace, headerCore, whitespace)
  .map(([before, core, after]) => `${before}${core}${after}`);
const extraHeaders = fc.uniqueArray(fc.tuple(headerName, headerValue), {
  selector: ([name]) => name.toLowerCase(),
  maxLength: 4,
});

const body = fc.option(
  fc.oneof(
    fc.constant(""),
    fc
      .record({ replicas: fc.nat(50), note: fc.constantFrom("扩容", "缩容到零", "夜间休眠 ✓", "plain") })
      .map((b) => JSON.stringify(b)),
  ),
  { nil: undefined, freq: 3 },
);

export const randomRequest: fc.Arbitrary<SignRequestInput> = fc
  .record({
    accessKeyId: fc.stringMatching(/^[0-9a-f]{32}$/),
    secretAccessKey: fc.stringMatching(/^[0-9a-f]{32}$/),
    securityToken: fc.option(fc.stringMatching(/^[A-Za-z0-9+/=]{16,80}$/), { nil: undefined, freq: 2 }),
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "get", "put"),
    host: fc.constantFrom(...HOSTS),
    path,
    query,
    headers: extraHeaders,
    explicitHost: fc.boolean(),
    explicitDate: fc.boolean(),
    lengthHeader: fc.boolean(),
    md5Header: fc.boolean(),
    body,
    now: fc.date({
      min: new Date("2020-01-01T00:00:00Z"),
      max: new Date("2030-12-31T23:59:59Z"),
      noInvalidDate: true,
    }),
    expirationSeconds: fc.option(fc.integer({ min: 1, max: 7 * 86_400 }), { nil: undefined, freq: 2 }),
  })
  .map((r) => {
    const url = `${r.host}${r.path}${r.query}`;
    const headers: Record<string, string> = Object.fromEntries(r.headers);
    if (r.explicitHost) headers.Host = new URL(url).host;
    if (r.explicitDate) headers["X-Bce-Date"] = `${r.now.toISOString().slice(0, 19)}Z`;
    const bytes = Buffer.from(r.body ?? "", "utf8");
    if (r.body !== undefined && r.lengthHeader) headers["Content-Length"] = String(bytes.length);
    if (r.md5Header) headers["Content-MD5"] = createHash("md5").update(bytes).digest("base64");
    const input: SignRequestInput = {
      vendor: "baidu",
      accessKeyId: r.accessKeyId,
      secretAccessKey: r.secretAccessKey,
      method: r.method,
      url,
      headers,
      now: r.now.toISOString(),
    };
    if (r.securityToken !== undefined) input.securityToken = r.securityToken;
    if (r.body !== undefined) input.body = r.body;
    if (r.expirationSeconds !== undefined) input.expirationSeconds = r.expirationSeconds;
    return input;
  });
