// Oracle for Huawei Cloud `SDK-HMAC-SHA256` (on Node; the bench also runs it in workerd): the Node SDK
// (@huaweicloud/huaweicloud-sdk-core, auth/AKSKSigner.js) signs the same request our signer signed,
// and must produce the same Authorization byte for byte.
//
// How the SDK takes a request (read from its source): `endpoint` is a URL string whose path the SDK
// treats as NOT yet encoded (HcClient pastes path parameters in raw); `queryParams` is an object of
// decoded values (an array for a repeated key); `headers` is an object whose every entry is signed
// (`host` and `X-Sdk-Date` are looked up with exactly that casing); `data` is an object it hashes as
// JSON.stringify(data). So this oracle hands it the request as the cloud will see it: the path and
// query decoded from the URL that is sent, and the header values as they arrive (trimmed).
//
// SDK behaviours that the cloud does not share, and which the generator below therefore avoids
// (each is a decision in shared/signer/huawei.ts and is reported to the lead):
//  1. Its `url.parse` escapes space " ' < > \ ^ ` { | } in the path BEFORE the signer encodes the
//     path, so it signs `%2520` for a space while sending `%20`. Our signer signs `%20`.
//  2. It signs header values untrimmed; a receiver strips surrounding whitespace (RFC 9110 §5.5,
//     fetch too), and the Go SDK and APIG's verifier trim. We trim, and feed the SDK trimmed values.
//  3. It orders canonical headers with localeCompare (`_` before `-` and digits) but SignedHeaders
//     by code unit; for names with `_` the two lists disagree. Names with `_` are not generated.
//  4. It hashes JSON.stringify(data), so only bodies that are JSON in JSON.stringify's own form (or
//     empty) can be handed to it. Other bodies are hashed as bytes by our signer.
//  5. A path already percent-encoded is, for the SDK, literal text (`%2F` is signed `%252F`);
//     the cloud decodes the path first. The oracle hands the SDK the decoded path, so `%2F` is a
//     separator for both, exactly as for APIG's verifier.

import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js";
import sdkPackage from "@huaweicloud/huaweicloud-sdk-core/package.json" with { type: "json" };
import fc from "fast-check";
import type { JsonSignInput } from "../fixtures/signing/vector.ts";

// Imported, not require()d: the bench bundles this module into workerd (test/bench/signing.worker.ts).
export const SDK_VERSION: string = sdkPackage.version;
export const SDK_NAME = `@huaweicloud/huaweicloud-sdk-core ${SDK_VERSION}`;

/** The `nightshift sign` stdin request. */
export interface SignRequestInput extends JsonSignInput {
  vendor: "huawei" | "alibaba" | "baidu";
  expirationSeconds?: number;
}

/** What the SDK request object looks like (IHttpRequest, the fields AKSKSigner.sign reads). */
export interface SdkRequest {
  endpoint: string;
  method: string;
  headers: Record<string, string>;
  queryParams: Record<string, string | string[]>;
  data?: unknown;
}

// The step functions are `protected static` in the SDK's typings; they are plain statics at run time.
interface SdkSteps {
  CanonicalURI(path: string): string;
  CanonicalQueryString(request: { queryParams: Record<string, string | string[]> }): string;
  buildCanonicalHeaders(headers: Record<string, string>): string;
  buildPayloadHash(request: { headers: Record<string, string>; data?: unknown }): string;
  buildCanonicalRequest(
    method: string,
    uri: string,
    query: string,
    headers: string,
    signedHeaders: string,
    payloadHash: string,
  ): string;
  getStringToSign(algorithm: string, date: string, canonicalRequestHash: string): string;
  Hex(text: string): string;
  hmacSHA256(secret: string, text: string): string;
}
const steps = AKSKSigner as unknown as SdkSteps;

const OWS = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/** `YYYYMMDDTHHMMSSZ` from an ISO time, written independently of the signer under test. */
export function sdkDateOf(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replaceAll("-", "").replaceAll(":", "")}Z`;
}

/** The query of a URL as decoded parameters: `+` is a space, a repeated key gives an array. */
export function decodedQuery(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  const search = url.search.slice(1);
  if (search === "") return out;
  for (const part of search.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const decode = (s: string) => decodeURIComponent(s.replaceAll("+", " "));
    const key = decode(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? "" : decode(part.slice(eq + 1));
    const previous = out[key];
    if (previous === undefined) out[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[key] = [previous, value];
  }
  return out;
}

function bodyAsSdkData(body: string | undefined): unknown {
  if (body === undefined || body === "") return undefined;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new Error("the Node SDK can only sign JSON bodies (it hashes JSON.stringify(data))");
  }
  if (JSON.stringify(data) !== body || !data) {
    throw new Error("the Node SDK would hash JSON.stringify(data), which is not this body byte for byte");
  }
  return data;
}

/**
 * The SDK request for `input` as sent with `sentHeaders` (our signer's output headers; its
 * Authorization is dropped): decoded path and query, trimmed header values.
 */
export function sdkRequest(input: SignRequestInput, sentHeaders: Record<string, string>): SdkRequest {
  const url = new URL(input.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(sentHeaders)) {
    const lower = name.toLowerCase();
    if (lower === "authorization") continue;
    // The SDK reads these three with exactly this casing; it lower-cases every name when signing.
    const key =
      lower === "host"
        ? "host"
        : lower === "x-sdk-date"
          ? "X-Sdk-Date"
          : lower === "x-sdk-content-sha256"
            ? "X-Sdk-Content-Sha256"
            : name;
    headers[key] = value.replace(OWS, "");
  }
  return {
    endpoint: `${url.protocol}//${url.host}${decodeURIComponent(url.pathname)}`,
    method: input.method,
    headers,
    queryParams: decodedQuery(url),
    data: bodyAsSdkData(input.body),
  };
}

function sdkCredentials(input: SignRequestInput): BasicCredentials {
  return new BasicCredentials().withAk(input.accessKeyId).withSk(input.secretAccessKey);
}

/** The Authorization header that AKSKSigner.sign (the SDK's entry point) computes. */
export function sdkSignature(input: SignRequestInput, sentHeaders: Record<string, string>): string {
  const signed = AKSKSigner.sign(sdkRequest(input, sentHeaders), sdkCredentials(input)) as Record<
    string,
    string
  >;
  const authorization = signed.Authorization;
  if (authorization === undefined) throw new Error("AKSKSigner.sign returned no Authorization");
  return authorization;
}

export interface SdkStages {
  canonicalUri: string;
  canonicalQuery: string;
  canonicalHeaders: string;
  signedHeaders: string;
  payloadHash: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  authorization: string;
}

/**
 * Every stage, computed with the SDK's own step functions in the order AKSKSigner.sign calls
 * them (sign() itself exposes only the headers). The path goes to CanonicalURI directly, without
 * sign()'s url.parse, so a decoded space is expressible here (behaviour 1 above).
 */
export function sdkStages(input: SignRequestInput, sentHeaders: Record<string, string>): SdkStages {
  const request = sdkRequest(input, sentHeaders);
  const url = new URL(input.url);
  const canonicalUri = steps.CanonicalURI(decodeURIComponent(url.pathname));
  const canonicalQuery = steps.CanonicalQueryString(request);
  // sign(): `_.sortBy(keys, lower).join(";").toLocaleLowerCase()`
  const signedHeaders = Object.keys(request.headers)
    .sort((a, b) => {
      const x = a.toLowerCase();
      const y = b.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    })
    .join(";")
    .toLowerCase();
  const canonicalHeaders = steps.buildCanonicalHeaders(request.headers);
  const payloadHash = steps.buildPayloadHash(request);
  const canonicalRequest = steps.buildCanonicalRequest(
    request.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  );
  const date = request.headers["X-Sdk-Date"];
  if (date === undefined) throw new Error("sentHeaders carry no X-Sdk-Date");
  const stringToSign = steps.getStringToSign("SDK-HMAC-SHA256", date, steps.Hex(canonicalRequest));
  const signature = steps.hmacSHA256(input.secretAccessKey, stringToSign);
  const authorization = `SDK-HMAC-SHA256 Access=${input.accessKeyId}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return {
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
    canonicalRequest,
    stringToSign,
    signature,
    authorization,
  };
}

/** The headers a Huawei signer sends for `input`, derived independently: given + Host + X-Sdk-Date + token. */
export function expectedSentHeaders(input: SignRequestInput): Record<string, string> {
  const headers: Record<string, string> = { ...(input.headers ?? {}) };
  const has = (name: string) => Object.keys(headers).some((key) => key.toLowerCase() === name);
  if (!has("host")) headers.Host = new URL(input.url).host;
  if (!has("x-sdk-date")) headers["X-Sdk-Date"] = sdkDateOf(input.now ?? "");
  if (input.securityToken !== undefined && !has("x-security-token")) {
    headers["X-Security-Token"] = input.securityToken;
  }
  return headers;
}

// ---------------------------------------------------------------------------------------------
// Random requests

const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const HEX_CASES = [(s: string) => s.toUpperCase(), (s: string) => s.toLowerCase()];

function escapeBytes(ch: string, lower: boolean): string {
  const hex = Array.from(new TextEncoder().encode(ch), (b) => `%${b.toString(16).padStart(2, "0")}`).join("");
  return HEX_CASES[lower ? 1 : 0]!(hex);
}

const UNICODE = ["测", "试", "集", "群", "节", "点", "池", "é", "ü", "€", "😀", "\u{20BB7}"];

// Path text (decoded). `%` and `/` are only ever written escaped; space, quotes, < > \ ^ ` { | } are
// left out (behaviour 1), and ? # cannot be in a decoded path handed to the SDK as a URL.
const PATH_RAW_ASCII = [..."ABCXYZabcxyz0189-._~!$&()*+,;=:@"];
const pathChar = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...PATH_RAW_ASCII), fc.boolean(), fc.boolean()) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...UNICODE), fc.boolean(), fc.boolean()) },
  { weight: 1, arbitrary: fc.tuple(pick("%", "/"), fc.constant(true), fc.boolean()) },
);
const pathSegment = fc
  .array(pathChar, { maxLength: 10 })
  .map((chars) => chars.map(([ch, escaped, lower]) => (escaped ? escapeBytes(ch, lower) : ch)).join(""));
const fixedSegment = pick(
  "api",
  "v3",
  "projects",
  "clusters",
  "nodepools",
  "operation",
  "hibernate",
  "awake",
);
const path = fc
  .tuple(fc.array(fc.oneof(fixedSegment, pathSegment), { minLength: 0, maxLength: 6 }), fc.boolean())
  .map(([segments, trailing]) => `/${segments.join("/")}${trailing && segments.length > 0 ? "/" : ""}`);

// Query text (decoded): anything printable plus non-ASCII. Space is written `+` or `%20`; `+ & = # %`
// are always escaped (`=` may stay raw inside a value).
const QUERY_ASCII = [..." +~*/=&#%?:@!$()'\",;<>[]{}|\\^`ABZabz019-._"];
const queryText = (allowRawEquals: boolean) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...QUERY_ASCII), fc.constantFrom(...UNICODE)),
        fc.boolean(),
        fc.boolean(),
      ),
      { maxLength: 8 },
    )
    .map((chars) =>
      chars
        .map(([ch, escaped, lower]) => {
          if (ch === " ") return escaped ? "%20" : "+";
          if ("+&#%".includes(ch) || (ch === "=" && !allowRawEquals)) return escapeBytes(ch, lower);
          return escaped ? escapeBytes(ch, lower) : ch;
        })
        .join(""),
    );
const queryKey = fc.oneof(
  pick(
    "limit",
    "marker",
    "showDefaultNodePool",
    "nodepoolScaleDown",
    "Limit",
    "a",
    "b",
    "detail",
    "%E6%B5%8B",
  ),
  queryText(false),
);
const queryPair = fc
  .tuple(queryKey, fc.oneof(pick("", "true", "10", "a+b", "a%2Bb", "x%20y"), queryText(true)), fc.boolean())
  .map(([key, value, withEquals]) => (withEquals || value !== "" ? `${key}=${value}` : key));
const query = fc.array(queryPair, { maxLength: 6 }).chain((pairs) =>
  // Repeat some pairs' keys with another value, so repeated keys are common.
  fc.array(fc.tuple(fc.nat(), queryText(true)), { maxLength: pairs.length === 0 ? 0 : 2 }).map((repeats) => {
    const all = [...pairs];
    for (const [index, value] of repeats) {
      const key = pairs[index % pairs.length]!.split("=")[0]!;
      all.push(`${key}=${value}`);
    }
    return all.length === 0 ? "" : `?${all.join("&")}`;
  }),
);

const HOSTS = [
  "https://cce.cn-north-4.myhuaweicloud.com",
  "https://cce.ap-southeast-1.myhuaweicloud.com",
  "https://cce.cn-east-3.myhuaweicloud.com:443",
  "https://cce.cn-south-1.myhuaweicloud.com:8443",
  "http://127.0.0.1:8787",
  "http://localhost",
];

const spaces = fc.constantFrom("", "", " ", "  ", "\t", " \t ");
// Printable ASCII with runs of inner spaces; surrounding whitespace is added separately.
const headerText = fc
  .array(fc.oneof(fc.constantFrom(...'abcXYZ019-_.,;:=/"()*+ '), fc.constant("   ")), { maxLength: 12 })
  .map((chars) => chars.join(""));
const headerName = fc.oneof(
  pick(
    "Content-Type",
    "X-Project-Id",
    "x-project-id",
    "X-Request-ID",
    "Accept",
    "X-Custom-Header",
    "x-MiXeD-CaSe",
  ),
  fc
    .tuple(
      fc.constantFrom(..."abcXYZ"),
      fc.string({ unit: fc.constantFrom(..."abcdefxyzABCXYZ0189-"), maxLength: 10 }),
    )
    .map(([first, rest]) => first + rest),
);
const RESERVED = new Set(["host", "x-sdk-date", "authorization", "x-security-token", "x-sdk-content-sha256"]);
const headerValueFor = (name: string) =>
  name.toLowerCase() === "content-type"
    ? pick("application/json", "application/json;charset=utf-8", " application/json ")
    : name.toLowerCase() === "x-project-id"
      ? pick("e9993fc787d94b6c886cbaa340f9c0f4", " 0a1b2c3d4e5f60718293a4b5c6d7e8f9  ")
      : fc.tuple(spaces, headerText, spaces).map(([a, b, c]) => a + b + c);
const extraHeaders = fc
  .uniqueArray(headerName, { maxLength: 4, selector: (name) => name.toLowerCase() })
  .map((names) => names.filter((name) => !RESERVED.has(name.toLowerCase())))
  .chain((names) =>
    fc.tuple(...names.map((name) => headerValueFor(name).map((value) => [name, value] as const))),
  )
  .map((entries) => Object.fromEntries(entries) as Record<string, string>);

const bodyText = fc.string({ unit: fc.constantFrom(...'abc 测试节点池扩容"\\/\n{}é😀'), maxLength: 16 });
const body = fc.oneof(
  fc.constant(undefined),
  fc.constant(""),
  fc
    .record({ name: bodyText, count: fc.nat({ max: 100 }), note: bodyText })
    .map(({ name, count, note }) =>
      JSON.stringify({ kind: "NodePool", metadata: { name }, spec: { initialNodeCount: count, note } }),
    ),
);

const now = fc
  .date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-12-31T23:59:59Z"), noInvalidDate: true })
  .map((date) => date.toISOString());

/** Realistic random Huawei requests with every canonicalisation corner the SDK can express. */
export const randomRequest: fc.Arbitrary<SignRequestInput> = fc
  .record({
    method: pick("GET", "POST", "PUT", "DELETE"),
    origin: fc.constantFrom(...HOSTS),
    path,
    query,
    headers: extraHeaders,
    explicitHost: fc.boolean(),
    unsignedPayload: fc.integer({ min: 0, max: 9 }),
    givenDate: fc.integer({ min: 0, max: 9 }),
    body,
    accessKeyId: fc.string({
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
      minLength: 20,
      maxLength: 20,
    }),
    secretAccessKey: fc.string({
      unit: fc.constantFrom(..."abcdefXYZ0123456789+/=~ "),
      minLength: 1,
      maxLength: 40,
    }),
    securityToken: fc.option(
      fc.string({ unit: fc.constantFrom(..."abcXYZ0189+/=-_"), minLength: 8, maxLength: 60 }),
      {
        nil: undefined,
      },
    ),
    now,
  })
  .map((r) => {
    const url = `${r.origin}${r.path}${r.query}`;
    const headers: Record<string, string> = { ...r.headers };
    if (r.explicitHost) headers.Host = ` ${new URL(url).host}`;
    if (r.unsignedPayload === 0) headers["X-Sdk-Content-Sha256"] = "UNSIGNED-PAYLOAD";
    if (r.givenDate === 0) headers["x-sdk-date"] = sdkDateOf(r.now);
    const input: SignRequestInput = {
      vendor: "huawei",
      accessKeyId: r.accessKeyId,
      secretAccessKey: r.secretAccessKey,
      method: r.method,
      url,
      headers,
      now: r.now,
    };
    if (r.securityToken !== undefined) input.securityToken = r.securityToken;
    if (r.body !== undefined) input.body = r.body;
    return input;
  });
