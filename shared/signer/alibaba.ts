// Alibaba Cloud ROA request signing (ACK, API version 2015-12-15), HMAC-SHA1, as the official
// ROA signer (`@alicloud/pop-core` ROAClient, Tea roa-util) computes it. Digest: docs/vendors/alibaba-ack.md §2.
//
//   StringToSign = METHOD \n Accept \n Content-MD5 \n Content-Type \n Date \n
//                  CanonicalizedHeaders (`x-acs-*`, one `name:value\n` line each)
//                  CanonicalizedResource (path `?` sorted, DECODED `k=v` pairs joined by `&`)
//   Authorization = "acs " AccessKeyId ":" base64(raw HMAC-SHA1(AccessKeySecret, StringToSign))
//
// Decisions where the SDKs, the digest and the vendor document disagree (each one tested):
// - The signature is base64 of the RAW 20-byte digest. The vendor document's worked example
//   base64-encodes the hex text instead; real servers and every SDK use the raw digest (§2.3).
// - `Content-MD5` is ALWAYS sent, for an absent body too (MD5 of zero bytes), as pop-core's request
//   path does and as the vendor's header table ("required", "recommended for all requests") asks.
// - A non-empty body without a Content-Type gets `Content-Type: application/json` (ACK takes JSON only).
// - Empty query values are signed as `key=` (pop-core and Tea roa-util; the Java core drops the `=`).
// - Repeated query keys: every pair is signed, sorted by key, values in the order given. No official
//   SDK can send them (all take a key→value map), so API clients should not rely on them.
// - A literal `+` in the query is refused: RFC 3986 reads it as "+", HTML forms and Java servers as a
//   space, so the server's decoded value (and so the signature) would be a guess. Write %2B or %20.
// - The path is signed as sent (percent-encoded, as WHATWG URL serialises it), only the query is decoded.
// - Signed header values are trimmed and `\t\n\r\f` become spaces: HTTP strips whitespace around
//   field values on the wire, so the server signs the trimmed value. (pop-core trims only `x-acs-*`.)
// - `Date` is always set from `options.now` (a stale Date from an earlier attempt is replaced), and
//   `Content-MD5` is always recomputed; a given `x-acs-signature-nonce` is used as it is.

import { hmacBase64, md5Base64 } from "#digest";
import { timingSafeEqual } from "./compare.ts";
import { fromBase64, percentDecode, toBytes } from "./encoding.ts";
import {
  assertDistinctHeaderNames,
  type Credentials,
  headerValue,
  parseAbsoluteUrl,
  type RequestToSign,
  rawQueryPairs,
  type SignedRequest,
  SignerInputError,
  setDefaultHeader,
  setHeader,
  type VerifyResult,
} from "./request.ts";

/** The ACK API version every call in the seed uses. */
export const ACK_API_VERSION = "2015-12-15";
export const SIGNATURE_METHOD = "HMAC-SHA1";
export const SIGNATURE_VERSION = "1.0";
/** Both the vendor document and the gateways refuse a `Date` more than 15 minutes off. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface AlibabaSignOptions {
  now: Date;
  /** Source of `x-acs-signature-nonce` when the headers do not give one; the caller decides (e.g. `() => crypto.randomUUID()`). */
  nonce: () => string;
}

export interface AlibabaSignedRequest extends SignedRequest {
  /** For ROA the string to sign IS the canonical request (there is no hashing step in between): same value. */
  canonicalRequest: string;
  stringToSign: string;
  contentMd5: string;
  canonicalizedHeaders: string;
  canonicalizedResource: string;
  signature: string;
  authorization: string;
}

// ---------------------------------------------------------------------------------------------
// Named canonicalisation steps

/** base64(MD5("")): the Content-MD5 of a request without a body (most of them). */
const EMPTY_BODY_MD5 = "1B2M2Y8AsgTpgAmY7PhCfg==";

/** `Content-MD5`: base64 of the MD5 of the body bytes (UTF-8 for a string body, zero bytes when absent). */
export function contentMd5(body: string | Uint8Array | undefined): string {
  if (body === undefined || body.length === 0) return EMPTY_BODY_MD5;
  return md5Base64(typeof body === "string" ? body : toBytes(body));
}

/** The path exactly as it goes on the wire: ROA signs it percent-encoded, not decoded. */
export function canonicalUri(url: URL): string {
  return url.pathname;
}

/**
 * The query part of CanonicalizedResource: pairs DECODED, sorted by key (UTF-16 code-unit order, as
 * the SDKs' `Array.prototype.sort` and Java's TreeMap), `key=value` joined by `&`. Values are not
 * re-encoded, so a decoded `&` or `=` appears literally (as in every ROA SDK).
 */
export function canonicalQuery(url: URL): string {
  const pairs = rawQueryPairs(url).map(([rawKey, rawValue]): [string, string] => {
    refuseLiteralPlus(rawKey, rawValue);
    return [percentDecode(rawKey), percentDecode(rawValue)];
  });
  // Array.prototype.sort is stable: repeated keys keep the order they were given in.
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join("&");
}

/** CanonicalizedResource = path, plus `?` and the canonical query when there is one. */
export function canonicalizedResource(url: URL): string {
  const query = canonicalQuery(url);
  return query === "" ? canonicalUri(url) : `${canonicalUri(url)}?${query}`;
}

/** A header value as the server sees and signs it: `\t\n\r\f` as spaces, trimmed. */
const HEADER_CONTROL = /[\t\n\r\f]/;
const HEADER_CONTROLS = /[\t\n\r\f]/g;

export function canonicalHeaderValue(value: string): string {
  return (HEADER_CONTROL.test(value) ? value.replace(HEADER_CONTROLS, " ") : value).trim();
}

/**
 * CanonicalizedHeaders: every `x-acs-*` header (name lower-cased: the prefix test is on the
 * lower-cased name, so `X-Acs-Region-Id` counts), sorted by name, one `name:value\n` line each.
 * `x-ascm-*` (ASAPI) headers do not match the prefix and are not signed.
 */
export function canonicalizedHeaders(headers: Record<string, string>): string {
  return scanHeaders(headers).canonicalized;
}

const FIXED_LINES = ["accept", "content-md5", "content-type", "date"] as const;

/** One pass over the headers: the four fixed values and the `x-acs-*` block. */
function scanHeaders(headers: Record<string, string>): { fixed: string; canonicalized: string } {
  const fixed: Record<string, string> = {};
  const lines: Array<[string, string]> = [];
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith("x-acs-")) lines.push([lower, canonicalHeaderValue(headers[name]!)]);
    else if ((FIXED_LINES as readonly string[]).includes(lower))
      fixed[lower] = canonicalHeaderValue(headers[name]!);
  }
  lines.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let canonicalized = "";
  for (const [name, value] of lines) canonicalized += `${name}:${value}\n`;
  // An absent header is an empty line (Content-MD5 / Content-Type on a bodiless request).
  const values = FIXED_LINES.map((name) => fixed[name] ?? "");
  return { fixed: `${values.join("\n")}\n`, canonicalized };
}

function assembleStringToSign(method: string, headers: Record<string, string>, resource: string) {
  const { fixed, canonicalized } = scanHeaders(headers);
  return { toSign: `${method}\n${fixed}${canonicalized}${resource}`, canonicalized };
}

/** The five fixed lines, the `x-acs-*` block and the resource; no newline after the resource. */
export function stringToSign(method: string, headers: Record<string, string>, url: URL): string {
  return assembleStringToSign(method, headers, canonicalizedResource(url)).toSign;
}

/** base64 of the RAW HMAC-SHA1 digest, key = AccessKeySecret (not base64 of its hex text, see §2.3). */
export async function signature(toSign: string, accessKeySecret: string): Promise<string> {
  return hmacBase64("SHA-1", accessKeySecret, toSign);
}

export function authorizationHeader(accessKeyId: string, signatureValue: string): string {
  return `acs ${accessKeyId}:${signatureValue}`;
}

// ---------------------------------------------------------------------------------------------
// Input checks

const FETCH_NORMALISED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"]);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// What fetch and Node can send without mangling: tab and printable ASCII. Non-ASCII would be sent as
// Latin-1 bytes while the string to sign is UTF-8, so the server's reading would be a guess.
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

export function normaliseMethod(method: unknown): string {
  const upper = typeof method === "string" ? method.trim().toUpperCase() : "";
  if (!FETCH_NORMALISED_METHODS.has(upper)) {
    throw new SignerInputError(
      "method",
      `"${String(method)}" is not an HTTP method Alibaba Cloud APIs use; give one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS`,
    );
  }
  return upper;
}

export function checkCredentials(credentials: Credentials): void {
  const id = credentials.accessKeyId;
  if (typeof id !== "string" || id === "" || /[\s:,]/.test(id)) {
    throw new SignerInputError(
      "accessKeyId",
      "the AccessKey ID must be a non-empty string without spaces, colons or commas (it goes into `acs <id>:<signature>` or `Credential=<id>,`)",
    );
  }
  if (typeof credentials.secretAccessKey !== "string" || credentials.secretAccessKey === "") {
    throw new SignerInputError("secretAccessKey", "the AccessKey secret is empty; give the AccessKeySecret");
  }
  const token = credentials.securityToken;
  if (token !== undefined && (typeof token !== "string" || token === "" || !HEADER_VALUE.test(token))) {
    throw new SignerInputError(
      "securityToken",
      "the STS security token must be a non-empty printable-ASCII string (it is sent as x-acs-security-token)",
    );
  }
}

export function checkHeaders(headers: Record<string, string>): void {
  assertDistinctHeaderNames(headers);
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) {
      throw new SignerInputError(`headers.${name}`, `"${name}" is not a valid HTTP header name`);
    }
    if (typeof value !== "string") {
      throw new SignerInputError(`headers.${name}`, `the value of header "${name}" must be a string`);
    }
    if (!HEADER_VALUE.test(value)) {
      throw new SignerInputError(
        `headers.${name}`,
        `the value of header "${name}" contains a line break, a control character or non-ASCII text, which HTTP cannot carry unchanged; remove it or percent-encode it`,
      );
    }
  }
}

export function checkNow(now: unknown): Date {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new SignerInputError("now", "the signing time is not a valid date; give an ISO-8601 time");
  }
  return now;
}

function fixedHeader(headers: Record<string, string>, name: string, value: string): void {
  const given = headerValue(headers, name);
  if (given !== undefined && canonicalHeaderValue(given) !== value) {
    throw new SignerInputError(
      `headers.${name}`,
      `only "${value}" is supported for ${name}; leave the header out`,
    );
  }
  setDefaultHeader(headers, name, value);
}

// ---------------------------------------------------------------------------------------------
// Shared by ROA (here) and V3 (alibaba-acs3.ts): the checked input, the nonce and STS headers, and
// the verifier's key and clock checks

/** A literal `+` in a query parameter is refused: servers read it as a space or a plus. */
export function refuseLiteralPlus(rawKey: string, rawValue: string): void {
  if (rawKey.includes("+") || rawValue.includes("+")) {
    throw new SignerInputError(
      "url",
      `query parameter "${rawKey}" contains a literal "+", which servers read as a space or a plus; write %2B for a plus sign or %20 for a space`,
    );
  }
}

/** Where both schemes' signing starts: method, URL, credentials, time and headers checked, the headers copied. */
export function checkedRequest(
  request: RequestToSign,
  credentials: Credentials,
  now: unknown,
): { method: string; url: URL; now: Date; headers: Record<string, string> } {
  const method = normaliseMethod(request.method);
  const url = parseAbsoluteUrl(request.url);
  checkCredentials(credentials);
  const checkedNow = checkNow(now);
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  checkHeaders(headers);
  return { method, url, now: checkedNow, headers };
}

/** x-acs-signature-nonce: the one the headers give, else `nonce()`'s, which must match `valid`. */
export function ensureNonce(
  headers: Record<string, string>,
  nonce: (() => string) | undefined,
  valid: RegExp,
): void {
  if (headerValue(headers, "x-acs-signature-nonce") !== undefined) return;
  const value = nonce?.();
  if (typeof value !== "string" || value === "" || !valid.test(value)) {
    throw new SignerInputError(
      "headers.x-acs-signature-nonce",
      "no nonce: give an x-acs-signature-nonce header or an options.nonce function returning a unique printable string",
    );
  }
  headers["x-acs-signature-nonce"] = value;
}

/** STS credentials: both headers are x-acs-* and so signed; the credentials win over stale copies in the headers. */
export function setSecurityTokenHeaders(headers: Record<string, string>, credentials: Credentials): void {
  if (credentials.securityToken === undefined) return;
  setHeader(headers, "x-acs-security-token", credentials.securityToken);
  setHeader(headers, "x-acs-accesskey-id", credentials.accessKeyId);
}

export const verifyFailure = (
  reason: Exclude<VerifyResult, { ok: true }>["reason"],
  detail: string,
): VerifyResult => ({ ok: false, reason, detail });

/**
 * The verifier's checks between the Authorization's form and the body: an STS x-acs-accesskey-id
 * names the Authorization's key, the key is known, and the request time (`date`, from the header
 * `dateHeader`) is within the allowed skew of now. The key's secret, or why the request is refused.
 */
export function checkKeyAndTime(
  headers: Record<string, string>,
  accessKeyId: string,
  lookupSecret: (accessKeyId: string) => string | undefined,
  options: { now: Date; maxSkewMs?: number },
  dateHeader: string,
  date: string,
): { secret: string } | { refused: VerifyResult } {
  const tokenKeyId = headerValue(headers, "x-acs-accesskey-id");
  if (tokenKeyId !== undefined && canonicalHeaderValue(tokenKeyId) !== accessKeyId) {
    return {
      refused: verifyFailure(
        "malformed",
        "x-acs-accesskey-id does not name the AccessKey ID of the Authorization header",
      ),
    };
  }
  const secret = lookupSecret(accessKeyId);
  if (secret === undefined)
    return { refused: verifyFailure("unknown-key", `AccessKey ID "${accessKeyId}" is not known`) };
  const skew = Math.abs(options.now.getTime() - Date.parse(date));
  const maxSkew = options.maxSkewMs ?? MAX_CLOCK_SKEW_MS;
  if (!(skew <= maxSkew)) {
    return {
      refused: verifyFailure(
        "expired",
        `${dateHeader} "${date}" is ${Math.round(skew / 1000)} s away from the server time (limit ${maxSkew / 1000} s)`,
      ),
    };
  }
  return { secret };
}

// ---------------------------------------------------------------------------------------------
// Sign

/**
 * Adds the ROA headers (Accept, Content-MD5, Content-Type for a body, Date, x-acs-version,
 * x-acs-signature-*, STS token headers) and signs. Headers the caller gave keep their casing.
 */
export async function signAlibaba(
  request: RequestToSign,
  credentials: Credentials,
  options: AlibabaSignOptions,
): Promise<AlibabaSignedRequest> {
  const { method, url, now, headers } = checkedRequest(request, credentials, options.now);
  const body = request.body ?? ""; // a string body is hashed as UTF-8 without a copy; "" has no bytes

  setDefaultHeader(headers, "Accept", "application/json");
  const md5 = contentMd5(body);
  setHeader(headers, "Content-MD5", md5);
  if (body.length > 0) setDefaultHeader(headers, "Content-Type", "application/json");
  setHeader(headers, "Date", now.toUTCString());
  setDefaultHeader(headers, "x-acs-version", ACK_API_VERSION);
  ensureNonce(headers, options.nonce, HEADER_VALUE);
  fixedHeader(headers, "x-acs-signature-method", SIGNATURE_METHOD);
  fixedHeader(headers, "x-acs-signature-version", SIGNATURE_VERSION);
  setSecurityTokenHeaders(headers, credentials);

  const resource = canonicalizedResource(url);
  const { toSign, canonicalized } = assembleStringToSign(method, headers, resource);
  const signatureValue = await signature(toSign, credentials.secretAccessKey);
  const authorization = authorizationHeader(credentials.accessKeyId, signatureValue);
  setHeader(headers, "Authorization", authorization);
  return {
    headers,
    canonicalRequest: toSign,
    stringToSign: toSign,
    contentMd5: md5,
    canonicalizedHeaders: canonicalized,
    canonicalizedResource: resource,
    signature: signatureValue,
    authorization,
  };
}

// ---------------------------------------------------------------------------------------------
// Apsara Stack ASAPI

export interface AsapiHeaderOptions {
  regionId: string;
  organizationId: string;
  resourceGroupId?: string;
  roleId?: string;
  /** "AK provided by the console" (`x-ascm-product-ak`). */
  productAk?: string;
  productName?: string;
  productVersion?: string;
}

/**
 * The extra headers an ASAPI gateway wants (digest §1.5). The `x-acs-*` ones are signed like any
 * other; `x-ascm-*` ones are not (they do not start with `x-acs-`). Give them to `signAlibaba` in
 * `headers`, and prefix the path with `/roa` (e.g. `/roa/clusters`).
 */
export function asapiHeaders(options: AsapiHeaderOptions): Record<string, string> {
  const {
    regionId,
    organizationId,
    resourceGroupId,
    roleId,
    productAk,
    productName = "cs",
    productVersion = ACK_API_VERSION,
  } = options;
  const required: Array<[string, unknown]> = [
    ["regionId", regionId],
    ["organizationId", organizationId],
    ["productName", productName],
    ["productVersion", productVersion],
  ];
  for (const [field, value] of required) {
    if (typeof value !== "string" || value.trim() === "") {
      throw new SignerInputError(`asapi.${field}`, `ASAPI needs a non-empty ${field}`);
    }
  }
  const headers: Record<string, string> = {
    "x-ascm-product-name": productName,
    "x-ascm-product-version": productVersion,
  };
  if (productAk !== undefined && productAk !== "") headers["x-ascm-product-ak"] = productAk;
  headers["x-acs-regionid"] = regionId;
  headers["x-acs-organizationid"] = organizationId;
  if (resourceGroupId !== undefined && resourceGroupId !== "")
    headers["x-acs-resourcegroupid"] = resourceGroupId;
  if (roleId !== undefined && roleId !== "") headers["x-acs-roleid"] = roleId;
  return headers;
}

// ---------------------------------------------------------------------------------------------
// Verify (the sandbox cloud checks every incoming request with this)

export interface AlibabaVerifyOptions {
  now: Date;
  /** Allowed |now − Date|; the vendor's 15 minutes unless given. */
  maxSkewMs?: number;
}

const AUTHORIZATION = /^acs ([^\s:]+):([A-Za-z0-9+/]{27}=)$/;
const RFC1123_GMT = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const fail = verifyFailure;

/**
 * Recomputes the ROA signature over the request as received (every `x-acs-*` header it carries,
 * its URL, its Content-MD5) and compares in constant time. Order of checks: Authorization present
 * and well-formed, Date present and GMT, nonce present, key known, clock skew, body against
 * Content-MD5, signature. Reasons map to the vendor's answers: skew → 400, mismatch → 403.
 */
export async function verifyAlibaba(
  request: RequestToSign,
  lookupSecret: (accessKeyId: string) => string | undefined,
  options: AlibabaVerifyOptions,
): Promise<VerifyResult> {
  const headers = request.headers ?? {};
  const authorization = headerValue(headers, "authorization");
  if (authorization === undefined || authorization.trim() === "") {
    return fail(
      "missing",
      "no Authorization header; sign the request (Authorization: acs <AccessKeyId>:<Signature>)",
    );
  }
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) {
    return fail("malformed", "Authorization must be `acs <AccessKeyId>:<base64 HMAC-SHA1 signature>`");
  }
  const accessKeyId = match[1]!;
  const given = match[2]!;
  if (fromBase64(given).length !== 20)
    return fail("malformed", "the signature is not a base64 HMAC-SHA1 digest");

  const date = headerValue(headers, "date");
  if (date === undefined || date.trim() === "")
    return fail("missing", "no Date header; send the request time in GMT");
  if (!RFC1123_GMT.test(date.trim()) || Number.isNaN(Date.parse(date))) {
    return fail(
      "malformed",
      `Date "${date}" is not an RFC 1123 GMT time such as "Tue, 02 Jan 2024 03:04:05 GMT"`,
    );
  }
  const nonce = headerValue(headers, "x-acs-signature-nonce");
  if (nonce === undefined || nonce.trim() === "") return fail("missing", "no x-acs-signature-nonce header");
  const method = headerValue(headers, "x-acs-signature-method");
  if (method !== undefined && canonicalHeaderValue(method) !== SIGNATURE_METHOD) {
    return fail("malformed", `x-acs-signature-method "${method}" is not supported; use ${SIGNATURE_METHOD}`);
  }
  const version = headerValue(headers, "x-acs-signature-version");
  if (version !== undefined && canonicalHeaderValue(version) !== SIGNATURE_VERSION) {
    return fail(
      "malformed",
      `x-acs-signature-version "${version}" is not supported; use ${SIGNATURE_VERSION}`,
    );
  }
  const key = checkKeyAndTime(headers, accessKeyId, lookupSecret, options, "Date", date);
  if ("refused" in key) return key.refused;
  const { secret } = key;

  const md5 = headerValue(headers, "content-md5");
  if (md5 !== undefined && !timingSafeEqual(canonicalHeaderValue(md5), contentMd5(request.body))) {
    return fail("mismatch", "Content-MD5 does not match the body received");
  }

  let toSign: string;
  let url: URL;
  try {
    url = parseAbsoluteUrl(request.url);
    toSign = stringToSign(normaliseMethod(request.method), headers, url);
  } catch (error) {
    if (error instanceof SignerInputError) return fail("malformed", `${error.field}: ${error.message}`);
    throw error;
  }
  const expected = await signature(toSign, secret);
  if (!timingSafeEqual(expected, given)) {
    return fail(
      "mismatch",
      `the signature does not match; the server's string to sign is: ${JSON.stringify(toSign)}`,
    );
  }
  return { ok: true, accessKeyId };
}
