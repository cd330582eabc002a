// Huawei Cloud APIG AK/SK signing, `SDK-HMAC-SHA256` (digest docs/vendors/huawei-cce.md §1.2-1.4, §6.1).
//
//   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n hex(SHA256(body))
//   StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(SHA256(CanonicalRequest))
//   Signature        = hex(HMAC-SHA256(SK, StringToSign))        (the SK is the key: no derivation chain)
//   Authorization    = SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex
//
// Each step is exported and tested on its own against the vectors in test/fixtures/signing/huawei/.
// Decisions where the Node SDK, the Go SDK and APIG's own verifier disagree are marked "Decision".

import { hmacHex, sha256Hex } from "#digest";
import { timingSafeEqual } from "./compare.ts";
import { percentEncode, toBytes } from "./encoding.ts";
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
  type VerifyResult,
} from "./request.ts";

export { EMPTY_BODY_SHA256 } from "./request.ts";
export const HUAWEI_ALGORITHM = "SDK-HMAC-SHA256";
/** Digest §1.4 / §6.1: APIG's tolerance is believed to be 15 minutes (not verified against the cloud). */
export const DEFAULT_MAX_SKEW_SECONDS = 15 * 60;

export const HEADER_DATE = "X-Sdk-Date";
export const HEADER_SECURITY_TOKEN = "X-Security-Token";
/** SDK feature: when present, its value (e.g. `UNSIGNED-PAYLOAD`) replaces the body hash. */
export const HEADER_CONTENT_SHA256 = "X-Sdk-Content-Sha256";

export interface HuaweiSignOptions {
  /** The signing time; the signer never reads the clock. Ignored when the headers carry an X-Sdk-Date. */
  now: Date;
}

export interface HuaweiVerifyOptions {
  now: Date;
  /** Largest accepted distance between X-Sdk-Date and `now`, either way. Default 900 (15 minutes). */
  maxSkewSeconds?: number;
}

export interface HuaweiSignedRequest extends SignedRequest {
  signature: string;
}

// ---------------------------------------------------------------------------------------------
// X-Sdk-Date

/** `YYYYMMDDTHHMMSSZ` in UTC (Go layout `20060102T150405Z`); milliseconds are dropped. */
export function formatSdkDate(now: Date): string {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new SignerInputError(
      "now",
      "is not a valid date; give an ISO-8601 time such as 2024-03-12T08:15:30Z",
    );
  }
  const year = now.getUTCFullYear();
  if (year < 0 || year > 9999)
    throw new SignerInputError("now", `year ${year} cannot be written as X-Sdk-Date`);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${String(year).padStart(4, "0")}${two(now.getUTCMonth() + 1)}${two(now.getUTCDate())}` +
    `T${two(now.getUTCHours())}${two(now.getUTCMinutes())}${two(now.getUTCSeconds())}Z`
  );
}

const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The instant an X-Sdk-Date names, or undefined when it is not a real `YYYYMMDDTHHMMSSZ` time. */
export function parseSdkDate(value: string): Date | undefined {
  const m = SDK_DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  // Round-tripping rejects impossible dates such as 20240230 that Date.UTC would roll over.
  return formatSdkDate(date) === value ? date : undefined;
}

// ---------------------------------------------------------------------------------------------
// Canonical URI

/**
 * Percent-decodes URL text to a string, strictly: a `%` not followed by two hex digits, or escapes
 * that are not UTF-8, are refused (the cloud cannot canonicalise them either). In a query `+` is a
 * space, as in HTML forms.
 */
function decodeComponent(text: string, plusIsSpace: boolean, what: string): string {
  const input = plusIsSpace ? text.replaceAll("+", " ") : text;
  if (!input.includes("%")) return input;
  try {
    return decodeURIComponent(input);
  } catch {
    throw new SignerInputError(
      "url",
      `${what} "${text}" has a "%" that is not followed by two hex digits, or escapes that are not UTF-8; ` +
        "write a literal % as %25 and encode text as UTF-8",
    );
  }
}

/**
 * The path as the cloud canonicalises it: the path that is sent (WHATWG-normalised, so dot
 * segments are resolved and raw spaces or non-ASCII are already escaped) is percent-decoded, split
 * on `/`, and every segment is percent-encoded again with only `A-Z a-z 0-9 - _ . ~` left as they
 * are (upper-case hex). A trailing `/` is always added; it exists only in the canonical form.
 *
 * Decision: an already-encoded path is decoded before it is re-encoded, so `%20` stays `%20`,
 * `%e6%b5%8b` becomes `%E6%B5%8B`, and `%2F` is a separator like `/` (`/a%2Fb` -> `/a/b/`). This is
 * what APIG's own Go verifier does (`strings.Split(r.URL.Path, "/")`, Path being decoded) and what
 * the Go SDK relies on (it sends the escaped path but signs the unescaped one). The Node SDK instead
 * encodes the path text it was handed, so a pre-encoded `%2F` / `%20` is signed as `%252F` / `%2520`
 * while `%2F` / `%20` is sent: the cloud, decoding first, would refuse that signature.
 */
const PLAIN_PATH = /^[A-Za-z0-9\-_.~/]*$/;

export function canonicalUri(url: URL): string {
  // Nothing to decode or encode in the usual path (ids, names, slashes): it is its own canonical form.
  if (PLAIN_PATH.test(url.pathname)) return url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  const decoded = decodeComponent(url.pathname, false, "path");
  let path = decoded
    .split("/")
    .map((segment) => percentEncode(segment))
    .join("/");
  if (!path.endsWith("/")) path += "/";
  return path;
}

// ---------------------------------------------------------------------------------------------
// Canonical query

/**
 * `key=value` pairs joined by `&`, each key and value percent-decoded then re-encoded like a path
 * segment (space is `%20`, never `+`), sorted by the decoded key and, for a repeated key, by the
 * decoded value. A key without `=` signs as `key=`.
 *
 * Decisions:
 * - A raw `+` in the URL's query is a space (form encoding, as APIG's Go verifier reads the query
 *   with `url.ParseQuery`); write a literal plus as `%2B`. Both official SDKs always send `%2B`/`%20`.
 * - Keys keep their case, as the Node SDK does (the Go SDK v3 lower-cases them before sorting,
 *   APIG's verifier does not). Upper-case keys therefore sort before lower-case ones.
 * - Sorting compares UTF-16 code units (JavaScript's default sort, as the Node SDK does); Go compares
 *   UTF-8 bytes, which differs only between astral characters and U+E000-U+FFFF.
 */
export function canonicalQuery(url: URL): string {
  const groups = new Map<string, string[]>();
  for (const [rawKey, rawValue] of rawQueryPairs(url)) {
    const key = decodeComponent(rawKey, true, "query key");
    const value = decodeComponent(rawValue, true, "query value");
    const values = groups.get(key);
    if (values) values.push(value);
    else groups.set(key, [value]);
  }
  const parts: string[] = [];
  for (const key of [...groups.keys()].sort()) {
    const encodedKey = percentEncode(key);
    for (const value of groups.get(key)!.sort()) parts.push(`${encodedKey}=${percentEncode(value)}`);
  }
  return parts.join("&");
}

// ---------------------------------------------------------------------------------------------
// Headers

/** HTTP whitespace a receiver strips around a field value (RFC 9110 §5.5; fetch does the same). */
function trimHeaderValue(value: string): string {
  return value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
}

/**
 * Lower-cased names of the headers to sign, sorted by code unit (Go's `sort.Strings`, which APIG's
 * verifier uses). The Node SDK sorts its canonical headers with `localeCompare` instead, which
 * puts `_` before `-` and digits: the two orders differ only for names containing `_`.
 */
export function signedHeaders(headers: Record<string, string>): string[] {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
}

/**
 * One `name:value\n` line per signed header, in the order of `names` (lower-case, sorted). Values
 * are trimmed of surrounding whitespace, as the cloud receives them (Go SDK and APIG verifier use
 * `strings.TrimSpace`; the Node SDK does not trim, so it signs a value the cloud never sees);
 * repeated inner whitespace is kept as it is. A signed `host` missing from `headers` is `fallbackHost`.
 */
export function canonicalHeaders(
  headers: Record<string, string>,
  names: readonly string[],
  fallbackHost = "",
): string {
  let out = "";
  for (const name of names) {
    const value = headerValue(headers, name) ?? (name === "host" ? fallbackHost : "");
    out += `${name}:${trimHeaderValue(value)}\n`;
  }
  return out;
}

/** hex(SHA-256(body)), or the value of an X-Sdk-Content-Sha256 header (e.g. `UNSIGNED-PAYLOAD`). */
export async function payloadHash(
  body: string | Uint8Array | undefined,
  headers: Record<string, string>,
): Promise<string> {
  const declared = headerValue(headers, HEADER_CONTENT_SHA256);
  if (declared !== undefined) return trimHeaderValue(declared);
  if (body === undefined || body.length === 0) return EMPTY_BODY_SHA256;
  return sha256Hex(typeof body === "string" ? body : toBytes(body));
}

// ---------------------------------------------------------------------------------------------
// Canonical request, string to sign, signature

export interface CanonicalRequestParts {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  /** Ends with `\n`, so the canonical request has an empty line after the headers. */
  canonicalHeaders: string;
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(parts: CanonicalRequestParts): string {
  return [
    parts.method,
    parts.canonicalUri,
    parts.canonicalQuery,
    parts.canonicalHeaders,
    parts.signedHeaders.join(";"),
    parts.payloadHash,
  ].join("\n");
}

export async function stringToSign(sdkDate: string, canonical: string): Promise<string> {
  return `${HUAWEI_ALGORITHM}\n${sdkDate}\n${await sha256Hex(canonical)}`;
}

/** hex(HMAC-SHA256(key = SK as UTF-8, StringToSign)). */
export async function signature(secretAccessKey: string, toSign: string): Promise<string> {
  return hmacHex("SHA-256", secretAccessKey, toSign);
}

export function authorizationHeader(accessKeyId: string, names: readonly string[], sig: string): string {
  return `${HUAWEI_ALGORITHM} Access=${accessKeyId}, SignedHeaders=${names.join(";")}, Signature=${sig}`;
}

const AUTHORIZATION = /^SDK-HMAC-SHA256 Access=([^\s,]+), SignedHeaders=([^\s,]+), Signature=([0-9a-f]{64})$/;

/** Splits an Authorization value, or says why it is not one this algorithm writes. */
export function parseAuthorization(
  value: string,
): { accessKeyId: string; signedHeaders: string[]; signature: string } | { error: string } {
  const m = AUTHORIZATION.exec(value.trim());
  if (!m) {
    return {
      error:
        "Authorization is not `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<64 hex>` " +
        "(one space after the algorithm, comma and space between the parts)",
    };
  }
  const names = m[2]!.split(";");
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!TOKEN.test(name) || name !== name.toLowerCase()) {
      return { error: `SignedHeaders entry "${name}" is not a lower-case header name` };
    }
    if (i > 0 && names[i - 1]! >= name) {
      return { error: `SignedHeaders must be sorted and without repeats ("${names[i - 1]}" then "${name}")` };
    }
  }
  return { accessKeyId: m[1]!, signedHeaders: names, signature: m[3]! };
}

// ---------------------------------------------------------------------------------------------
// Input checks

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Printable ASCII and tab. Non-ASCII is refused: fetch sends such values as Latin-1 bytes while
// both SDKs hash them as UTF-8, so the signature could not match what arrives.
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const FETCH_NORMALISED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

function normaliseMethod(method: string): string {
  if (typeof method !== "string" || !TOKEN.test(method)) {
    throw new SignerInputError(
      "method",
      `"${method}" is not an HTTP method; give e.g. GET, POST, PUT or DELETE`,
    );
  }
  // fetch upper-cases these six whatever the case given, and sends every other method unchanged.
  const upper = method.toUpperCase();
  return FETCH_NORMALISED_METHODS.has(upper) ? upper : method;
}

function checkHeaders(headers: Record<string, string>): void {
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) {
      throw new SignerInputError(
        `headers.${name}`,
        `"${name}" is not a valid header name (letters, digits, -)`,
      );
    }
    const previous = seen.get(name.toLowerCase());
    if (previous !== undefined) {
      throw new SignerInputError(
        `headers.${name}`,
        `header "${name}" is given twice (also as "${previous}"); give each header once`,
      );
    }
    seen.set(name.toLowerCase(), name);
    if (typeof value !== "string" || !HEADER_VALUE.test(value)) {
      throw new SignerInputError(
        `headers.${name}`,
        "value must be printable ASCII on one line (no CR/LF, no non-ASCII); percent- or base64-encode it",
      );
    }
  }
}

function checkCredentials(credentials: Credentials): void {
  const ak = credentials.accessKeyId;
  if (typeof ak !== "string" || !/^[\x21-\x2b\x2d-\x7e]+$/.test(ak)) {
    throw new SignerInputError(
      "accessKeyId",
      "must be non-empty printable ASCII without spaces or commas (it is written into the Authorization header)",
    );
  }
  if (typeof credentials.secretAccessKey !== "string" || credentials.secretAccessKey === "") {
    throw new SignerInputError("secretAccessKey", "is empty; give the SK that belongs to the AK");
  }
  const token = credentials.securityToken;
  if (token !== undefined && (typeof token !== "string" || token === "" || !/^[\x21-\x7e]+$/.test(token))) {
    throw new SignerInputError("securityToken", "must be the non-empty STS security token, printable ASCII");
  }
}

// ---------------------------------------------------------------------------------------------
// Sign

/**
 * Signs a request for Huawei Cloud APIG. Every header given is signed (as the official SDKs do),
 * plus `Host` (from the URL, default port omitted) and `X-Sdk-Date` (from `options.now`) when not
 * given, and `X-Security-Token` for temporary credentials. An `X-Project-Id` given is signed like
 * any other header. A given `Authorization` is replaced (re-signing a captured request) and never
 * signed. A given `X-Sdk-Date` is used as it is, so a captured request can be reproduced.
 */
export async function signHuawei(
  request: RequestToSign,
  credentials: Credentials,
  options: HuaweiSignOptions,
): Promise<HuaweiSignedRequest> {
  checkCredentials(credentials);
  const method = normaliseMethod(request.method);
  const url = parseAbsoluteUrl(request.url);
  const given = { ...(request.headers ?? {}) };
  checkHeaders(given);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given))
    if (name.toLowerCase() !== "authorization") headers[name] = value;

  if (headerValue(headers, "host") === undefined) headers.Host = hostHeader(url);

  let sdkDate = headerValue(headers, HEADER_DATE);
  if (sdkDate === undefined) {
    sdkDate = formatSdkDate(options.now);
    headers[HEADER_DATE] = sdkDate;
  } else if (parseSdkDate(trimHeaderValue(sdkDate)) === undefined) {
    throw new SignerInputError(
      `headers.${HEADER_DATE}`,
      `"${sdkDate}" is not a UTC time like 20240312T081530Z`,
    );
  } else {
    sdkDate = trimHeaderValue(sdkDate);
  }

  if (credentials.securityToken !== undefined) {
    const existing = headerValue(headers, HEADER_SECURITY_TOKEN);
    if (existing === undefined) headers[HEADER_SECURITY_TOKEN] = credentials.securityToken;
    else if (trimHeaderValue(existing) !== credentials.securityToken) {
      throw new SignerInputError(
        `headers.${HEADER_SECURITY_TOKEN}`,
        "differs from the credentials' securityToken; give the token once, in the credentials",
      );
    }
  }

  const names = signedHeaders(headers);
  const canonical = canonicalRequest({
    method,
    canonicalUri: canonicalUri(url),
    canonicalQuery: canonicalQuery(url),
    canonicalHeaders: canonicalHeaders(headers, names),
    signedHeaders: names,
    payloadHash: await payloadHash(request.body, headers),
  });
  const toSign = await stringToSign(sdkDate, canonical);
  const sig = await signature(credentials.secretAccessKey, toSign);
  headers.Authorization = authorizationHeader(credentials.accessKeyId, names, sig);
  return { headers, canonicalRequest: canonical, stringToSign: toSign, signature: sig };
}

// ---------------------------------------------------------------------------------------------
// Verify

/**
 * Checks a received request the way APIG does: the Authorization names the signed headers, which
 * must include `x-sdk-date`; X-Sdk-Date must be within `maxSkewSeconds` of `now`; the signature is
 * recomputed over what was received and compared in constant time.
 */
export async function verifyHuawei(
  request: RequestToSign,
  lookupSecret: (accessKeyId: string) => string | undefined,
  options: HuaweiVerifyOptions,
): Promise<VerifyResult> {
  const headers = request.headers ?? {};
  const authorization = headerValue(headers, "authorization");
  if (authorization === undefined || authorization.trim() === "") {
    return { ok: false, reason: "missing", detail: "no Authorization header" };
  }
  const parsed = parseAuthorization(authorization);
  if ("error" in parsed) return { ok: false, reason: "malformed", detail: parsed.error };
  if (!parsed.signedHeaders.includes("x-sdk-date")) {
    return { ok: false, reason: "malformed", detail: "x-sdk-date must be among SignedHeaders" };
  }
  const rawDate = headerValue(headers, HEADER_DATE);
  if (rawDate === undefined)
    return { ok: false, reason: "malformed", detail: "x-sdk-date is signed but absent" };
  const sdkDate = trimHeaderValue(rawDate);
  const signedAt = parseSdkDate(sdkDate);
  if (signedAt === undefined) {
    return { ok: false, reason: "malformed", detail: `X-Sdk-Date "${sdkDate}" is not like 20240312T081530Z` };
  }
  for (const name of parsed.signedHeaders) {
    if (name !== "host" && headerValue(headers, name) === undefined) {
      return { ok: false, reason: "malformed", detail: `signed header "${name}" is not in the request` };
    }
  }

  const secret = lookupSecret(parsed.accessKeyId);
  if (secret === undefined) {
    return { ok: false, reason: "unknown-key", detail: `access key "${parsed.accessKeyId}" is not known` };
  }

  const maxSkew = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  const skewSeconds = Math.abs(options.now.getTime() - signedAt.getTime()) / 1000;
  if (!(skewSeconds <= maxSkew)) {
    return {
      ok: false,
      reason: "expired",
      detail: `X-Sdk-Date ${sdkDate} is ${Math.round(skewSeconds)} s from the server time (limit ${maxSkew} s)`,
    };
  }

  let canonical: string;
  try {
    const url = parseAbsoluteUrl(request.url);
    canonical = canonicalRequest({
      method: normaliseMethod(request.method),
      canonicalUri: canonicalUri(url),
      canonicalQuery: canonicalQuery(url),
      canonicalHeaders: canonicalHeaders(headers, parsed.signedHeaders, hostHeader(url)),
      signedHeaders: parsed.signedHeaders,
      payloadHash: await payloadHash(request.body, signedOnly(headers, parsed.signedHeaders)),
    });
  } catch (error) {
    if (error instanceof SignerInputError) return { ok: false, reason: "malformed", detail: error.message };
    throw error;
  }
  const expected = await signature(secret, await stringToSign(sdkDate, canonical));
  if (!timingSafeEqual(expected, parsed.signature)) {
    return {
      ok: false,
      reason: "mismatch",
      detail: `signature does not match; the canonical request computed here was ${JSON.stringify(canonical)}`,
    };
  }
  return { ok: true, accessKeyId: parsed.accessKeyId };
}

/** An unsigned X-Sdk-Content-Sha256 must not change the body hash: keep only the signed headers. */
function signedOnly(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const wanted = new Set(names);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => wanted.has(name.toLowerCase())));
}
