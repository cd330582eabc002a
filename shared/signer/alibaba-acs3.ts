// Alibaba Cloud signature V3, `ACS3-HMAC-SHA256`: the scheme the public Alibaba Cloud API documents
// today ("V3版本请求体&签名机制") and the default of the current SDKs (@alicloud/openapi-core, used by
// @alicloud/cs20151215). The ROA scheme (alibaba.ts) stays for Apsara Stack's ASAPI gateway, which
// documents only that one. Digest: docs/vendors/alibaba-ack.md §2.8.
//
//   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQueryString \n
//                      CanonicalHeaders (one `name:value\n` line each) \n SignedHeaders \n HashedPayload
//   StringToSign     = "ACS3-HMAC-SHA256" \n hex(SHA-256(CanonicalRequest))
//   Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//   Authorization    = ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b;c>,Signature=<hex>
//
// Decisions where the public document, the SDK and the wire disagree (each one tested):
// - CanonicalURI: every path segment decoded and re-encoded with RFC 3986 (the document's rule).
//   openapi-core signs its own already-encoded path; for every path it builds (ids through
//   `percentEncode`) the two are the same.
// - CanonicalQueryString: keys AND values decoded from the URL, then RFC 3986-encoded (space `%20`,
//   `*` `%2A`, `~` kept), sorted by encoded key, then by encoded value for a repeated key (the
//   document is silent on repeats; no official SDK can send them). Empty values are `key=`.
//   openapi-core encodes values only; keys in every API are unreserved ASCII, where the two agree.
//   A literal `+` is refused, as for ROA: servers read it as a space or a plus.
// - CanonicalHeaders / SignedHeaders: `host`, `content-type` and every `x-acs-*` header, names
//   lower-cased, values trimmed (inner tabs kept, unlike ROA), sorted by name. The document says every common header present
//   must be signed; the verifier holds a request to exactly that.
// - x-acs-content-sha256 (hex SHA-256 of the body, that of zero bytes without one), x-acs-date
//   (`YYYY-MM-DDThh:mm:ssZ` from options.now) are always recomputed; a given nonce is kept.
// - A non-empty body without a Content-Type gets `application/json` (ACK takes JSON only).

import { hmacHex, sha256Hex } from "#digest";
import {
  ACK_API_VERSION,
  canonicalHeaderValue,
  checkedRequest,
  checkKeyAndTime,
  ensureNonce,
  verifyFailure as fail,
  normaliseMethod,
  refuseLiteralPlus,
  setSecurityTokenHeaders,
} from "./alibaba.ts";
import { timingSafeEqual } from "./compare.ts";
import { percentDecode, percentEncode, toBytes } from "./encoding.ts";
import {
  type Credentials,
  EMPTY_BODY_SHA256,
  headerValue,
  hostHeader,
  parseAbsoluteUrl,
  type RequestToSign,
  rawQueryPairs,
  type SignedRequest,
  SignerInputError,
  setDefaultHeader,
  setHeader,
  type VerifyResult,
} from "./request.ts";

export const ACS3_ALGORITHM = "ACS3-HMAC-SHA256";

export interface Acs3SignOptions {
  now: Date;
  /** Source of `x-acs-signature-nonce` when the headers do not give one (e.g. `() => crypto.randomUUID()`). */
  nonce: () => string;
}

export interface Acs3SignedRequest extends SignedRequest {
  hashedPayload: string;
  canonicalUri: string;
  canonicalQuery: string;
  canonicalHeaders: string;
  signedHeaders: string;
  signature: string;
  authorization: string;
}

// ---------------------------------------------------------------------------------------------
// Named canonicalisation steps

/** HashedRequestPayload: lower-case hex SHA-256 of the body bytes (zero bytes when absent). */
export async function hashedPayload(body: string | Uint8Array | undefined): Promise<string> {
  if (body === undefined || body.length === 0) return EMPTY_BODY_SHA256;
  return sha256Hex(typeof body === "string" ? body : toBytes(body));
}

/** `x-acs-date`: the UTC time to the second, `YYYY-MM-DDThh:mm:ssZ`. */
export function acsDate(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** CanonicalURI: each `/`-separated segment decoded, then RFC 3986-encoded; `/` for an empty path. */
export function canonicalUri(url: URL): string {
  const path = url.pathname === "" ? "/" : url.pathname;
  return path
    .split("/")
    .map((segment) => percentEncode(percentDecode(segment)))
    .join("/");
}

/** CanonicalQueryString: decoded, RFC 3986-encoded `key=value` pairs, sorted, joined by `&`. */
export function canonicalQuery(url: URL): string {
  const pairs = rawQueryPairs(url).map(([rawKey, rawValue]): [string, string] => {
    refuseLiteralPlus(rawKey, rawValue);
    return [percentEncode(percentDecode(rawKey)), percentEncode(percentDecode(rawValue))];
  });
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  pairs.sort(([ka, va], [kb, vb]) => order(ka, kb) || order(va, vb));
  return pairs.map(([key, value]) => `${key}=${value}`).join("&");
}

/** Whether V3 signs a header: `host`, `content-type` and every `x-acs-*` one. */
export function isSignedHeader(lowerName: string): boolean {
  return lowerName === "host" || lowerName === "content-type" || lowerName.startsWith("x-acs-");
}

/** The signed header names of a header set: lower-cased, sorted. */
export function signedHeaderNames(headers: Record<string, string>): string[] {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter(isSignedHeader)
    .sort();
}

/**
 * CanonicalHeaders over the given names (already lower-case and sorted): `name:value\n` each, the
 * value trimmed only (unlike ROA, an inner tab stays a tab: it is sent and signed as it is).
 */
export function canonicalHeaders(headers: Record<string, string>, names: readonly string[]): string {
  let out = "";
  for (const name of names) out += `${name}:${(headerValue(headers, name) ?? "").trim()}\n`;
  return out;
}

export function canonicalRequest(parts: {
  method: string;
  uri: string;
  query: string;
  headers: string;
  signedHeaders: string;
  hashedPayload: string;
}): string {
  return `${parts.method}\n${parts.uri}\n${parts.query}\n${parts.headers}\n${parts.signedHeaders}\n${parts.hashedPayload}`;
}

export async function stringToSign(canonical: string): Promise<string> {
  return `${ACS3_ALGORITHM}\n${await sha256Hex(canonical)}`;
}

/** Lower-case hex HMAC-SHA256 keyed with the AccessKey secret itself (no derived key). */
export async function signature(toSign: string, accessKeySecret: string): Promise<string> {
  return hmacHex("SHA-256", accessKeySecret, toSign);
}

export function authorizationHeader(
  accessKeyId: string,
  signedHeaders: string,
  signatureValue: string,
): string {
  return `${ACS3_ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders},Signature=${signatureValue}`;
}

// ---------------------------------------------------------------------------------------------
// Sign

/**
 * Adds the V3 headers (host, x-acs-action check, x-acs-version, x-acs-date, x-acs-signature-nonce,
 * x-acs-content-sha256, Accept, Content-Type for a body, STS token headers) and signs. The caller
 * gives `x-acs-action` (the API name, which the gateway requires); headers keep their casing.
 */
export async function signAlibabaAcs3(
  request: RequestToSign,
  credentials: Credentials,
  options: Acs3SignOptions,
): Promise<Acs3SignedRequest> {
  const { method, url, now, headers } = checkedRequest(request, credentials, options.now);
  const action = headerValue(headers, "x-acs-action");
  if (action === undefined || !/^[A-Za-z][A-Za-z0-9]*$/.test(action.trim())) {
    throw new SignerInputError(
      "headers.x-acs-action",
      "V3 needs the API name in x-acs-action, e.g. DescribeClustersV1 (letters and digits)",
    );
  }
  const body = request.body ?? ""; // a string body is hashed as UTF-8 without a copy; "" has no bytes

  setDefaultHeader(headers, "Host", hostHeader(url));
  setDefaultHeader(headers, "Accept", "application/json");
  if (body.length > 0) setDefaultHeader(headers, "Content-Type", "application/json");
  setDefaultHeader(headers, "x-acs-version", ACK_API_VERSION);
  setHeader(headers, "x-acs-date", acsDate(now));
  ensureNonce(headers, options.nonce, /^[\x21-\x7e]+$/);
  const payload = await hashedPayload(body);
  setHeader(headers, "x-acs-content-sha256", payload);
  setSecurityTokenHeaders(headers, credentials);

  const names = signedHeaderNames(headers);
  const parts = {
    method,
    uri: canonicalUri(url),
    query: canonicalQuery(url),
    headers: canonicalHeaders(headers, names),
    signedHeaders: names.join(";"),
    hashedPayload: payload,
  };
  const canonical = canonicalRequest(parts);
  const toSign = await stringToSign(canonical);
  const signatureValue = await signature(toSign, credentials.secretAccessKey);
  const authorization = authorizationHeader(credentials.accessKeyId, parts.signedHeaders, signatureValue);
  setHeader(headers, "Authorization", authorization);
  return {
    headers,
    canonicalRequest: canonical,
    stringToSign: toSign,
    hashedPayload: payload,
    canonicalUri: parts.uri,
    canonicalQuery: parts.query,
    canonicalHeaders: parts.headers,
    signedHeaders: parts.signedHeaders,
    signature: signatureValue,
    authorization,
  };
}

// ---------------------------------------------------------------------------------------------
// Verify (the sandbox's public-cloud gateway checks V3 requests with this)

export interface Acs3VerifyOptions {
  now: Date;
  /** Allowed |now − x-acs-date|; the vendor's 15 minutes unless given. */
  maxSkewMs?: number;
}

const AUTHORIZATION =
  /^ACS3-HMAC-SHA256\s+Credential=([^\s,]+),\s*SignedHeaders=([a-z0-9\-;]+),\s*Signature=([0-9a-fA-F]+)$/;
const ACS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** What a V3 request must sign, whatever else it carries. */
const REQUIRED_SIGNED = ["host", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce"];

/** True when the Authorization header names the V3 scheme (the gateway picks the verifier by it). */
export function isAcs3Authorization(authorization: string | undefined): boolean {
  return authorization?.trimStart().startsWith("ACS3-") ?? false;
}

/**
 * Recomputes the V3 signature over the request as received, from the header names its
 * Authorization lists, and compares in constant time. Order: Authorization well-formed, the
 * required headers present and signed (and every `x-acs-*` / content-type header received
 * signed), x-acs-date well-formed, key known, clock skew, body against x-acs-content-sha256,
 * signature. A mismatch's detail gives the server's canonical request, as the vendor's does.
 */
export async function verifyAlibabaAcs3(
  request: RequestToSign,
  lookupSecret: (accessKeyId: string) => string | undefined,
  options: Acs3VerifyOptions,
): Promise<VerifyResult> {
  const headers = request.headers ?? {};
  const authorization = headerValue(headers, "authorization");
  if (authorization === undefined || authorization.trim() === "") {
    return fail("missing", "no Authorization header; sign the request (Authorization: ACS3-HMAC-SHA256 ...)");
  }
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) {
    return fail(
      "malformed",
      "Authorization must be `ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names;...>,Signature=<hex>`",
    );
  }
  const accessKeyId = match[1]!;
  const names = match[2]!.split(";");
  const given = match[3]!.toLowerCase();
  if (given.length !== 64) return fail("malformed", "the signature is not a hex HMAC-SHA256 digest");
  const sorted = [...names].sort();
  if (names.some((name, i) => name === "" || name !== sorted[i] || names.indexOf(name) !== i)) {
    return fail(
      "malformed",
      "SignedHeaders must list lower-case header names once each, sorted, joined by ;",
    );
  }
  for (const name of REQUIRED_SIGNED) {
    if (name !== "host" && headerValue(headers, name) === undefined)
      return fail("missing", `no ${name} header`);
    if (!names.includes(name)) return fail("malformed", `${name} must be signed (listed in SignedHeaders)`);
  }
  for (const received of Object.keys(headers)) {
    const lower = received.toLowerCase();
    if (isSignedHeader(lower) && !names.includes(lower)) {
      return fail(
        "malformed",
        `header ${lower} is sent but not signed; every x-acs-* header and content-type must be`,
      );
    }
  }
  for (const name of names) {
    if (name !== "host" && headerValue(headers, name) === undefined) {
      return fail("malformed", `SignedHeaders lists ${name}, which the request does not carry`);
    }
  }
  const date = canonicalHeaderValue(headerValue(headers, "x-acs-date")!);
  if (!ACS_DATE.test(date) || Number.isNaN(Date.parse(date))) {
    return fail("malformed", `x-acs-date "${date}" is not a UTC time such as 2024-01-02T03:04:05Z`);
  }
  const key = checkKeyAndTime(headers, accessKeyId, lookupSecret, options, "x-acs-date", date);
  if ("refused" in key) return key.refused;
  const { secret } = key;

  const payload = await hashedPayload(request.body);
  const claimed = canonicalHeaderValue(headerValue(headers, "x-acs-content-sha256")!);
  if (!timingSafeEqual(claimed.toLowerCase(), payload)) {
    return fail("mismatch", "x-acs-content-sha256 does not match the body received");
  }

  let canonical: string;
  try {
    const url = parseAbsoluteUrl(request.url);
    const withHost =
      headerValue(headers, "host") === undefined ? { ...headers, host: hostHeader(url) } : headers;
    canonical = canonicalRequest({
      method: normaliseMethod(request.method),
      uri: canonicalUri(url),
      query: canonicalQuery(url),
      headers: canonicalHeaders(withHost, names),
      signedHeaders: names.join(";"),
      hashedPayload: claimed,
    });
  } catch (error) {
    if (error instanceof SignerInputError) return fail("malformed", `${error.field}: ${error.message}`);
    throw error;
  }
  const expected = await signature(await stringToSign(canonical), secret);
  if (!timingSafeEqual(expected, given)) {
    return fail(
      "mismatch",
      `the signature does not match; the server's canonical request is: ${JSON.stringify(canonical)}`,
    );
  }
  return { ok: true, accessKeyId };
}
