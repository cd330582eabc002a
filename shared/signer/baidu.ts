// Baidu AI Cloud request signing, `bce-auth-v1` (digest docs/vendors/baidu-cce.md §5), built from named
// steps that are each exported and tested against per-stage vectors:
//
//   authStringPrefix = bce-auth-v1/{ak}/{timestamp}/{expirationSeconds}
//   signingKey       = hex(HMAC-SHA256(SK, authStringPrefix))
//   canonicalRequest = METHOD \n canonicalUri \n canonicalQuery \n canonicalHeaders   (no trailing newline)
//   signature        = hex(HMAC-SHA256(key = signingKey as 64-char hex TEXT, canonicalRequest))
//   Authorization    = authStringPrefix / signedHeaders / signature
//
// Reference behaviour: @baiducloud/sdk 1.0.7 (src/auth.js, the oracle) and bce-sdk-go auth/signer.go.
// Where they differ, the choice made here is noted at the step.

import { hmacHex, md5Base64, sha256Hex } from "#digest";
import { timingSafeEqual } from "./compare.ts";
import { percentEncode, toBytes, utf8 } from "./encoding.ts";
import {
  assertDistinctHeaderNames,
  type Credentials,
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

export const BCE_AUTH_VERSION = "bce-auth-v1";
export const DEFAULT_EXPIRATION_SECONDS = 1800;
/** One Baidu doc states a 30-minute tolerance between the auth timestamp and server time (digest §5.3). */
export const DEFAULT_MAX_SKEW_SECONDS = 1800;
/** Signed when present, besides every `x-bce-*` header (digest §5.3; both SDKs). */
export const DEFAULT_HEADERS_TO_SIGN: readonly string[] = [
  "host",
  "content-length",
  "content-type",
  "content-md5",
];

const DEFAULT_SET: ReadonlySet<string> = new Set(DEFAULT_HEADERS_TO_SIGN);

export interface BaiduSignOptions {
  /** The signing instant; its whole second is both the auth timestamp and `x-bce-date`. */
  now: Date;
  /** Validity of the signature from `now`; default 1800 (the SDKs' default). */
  expirationSeconds?: number;
  /**
   * Replaces the default set (host, content-length, content-type, content-md5). As in both SDKs,
   * every `x-bce-*` header is signed whatever this says. An empty list means the default set.
   */
  headersToSign?: string[];
}

export interface BaiduVerifyOptions {
  now: Date;
  /** How far the auth timestamp may lie in the future of `now`; default 1800. */
  maxSkewSeconds?: number;
}

// ---------------------------------------------------------------------------------------------
// Named steps
// ---------------------------------------------------------------------------------------------

// Four-digit years only: toISOString switches to a six-digit form outside 0000..9999.
const FIRST_TIMESTAMP = Date.parse("0000-01-01T00:00:00.000Z");
const LAST_TIMESTAMP = Date.parse("9999-12-31T23:59:59.999Z");

/** The auth timestamp: UTC `yyyy-mm-ddThh:mm:ssZ`, milliseconds dropped (as both SDKs do). */
export function bceTimestamp(now: Date): string {
  const time = now instanceof Date ? now.getTime() : Number.NaN;
  if (!Number.isFinite(time) || time < FIRST_TIMESTAMP || time > LAST_TIMESTAMP) {
    throw new SignerInputError("now", "now must be a valid Date between the years 0000 and 9999");
  }
  return `${now.toISOString().slice(0, 19)}Z`;
}

export function authStringPrefix(accessKeyId: string, timestamp: string, expirationSeconds: number): string {
  return `${BCE_AUTH_VERSION}/${accessKeyId}/${timestamp}/${expirationSeconds}`;
}

/** Hex text, not bytes: the second HMAC is keyed with these 64 ASCII characters (digest §5.1). */
export async function signingKey(secretAccessKey: string, prefix: string): Promise<string> {
  return hmacHex("SHA-256", secretAccessKey, prefix);
}

// The signing key depends on the secret and the prefix only, and the prefix changes every second
// (it holds the timestamp): requests signed with one key in the same second (a tick's calls to one
// account) share it. Kept for an identical prefix and secret only, the most recent few; looked up
// by the prefix (which names the access key), the secret compared, so no key text is built.
const SIGNING_KEY_CACHE_LIMIT = 32;
const signingKeys = new Map<string, { secret: string; key: string }>();

async function cachedSigningKey(secretAccessKey: string, prefix: string): Promise<string> {
  const cached = signingKeys.get(prefix);
  if (cached !== undefined && cached.secret === secretAccessKey) return cached.key;
  const key = await signingKey(secretAccessKey, prefix);
  if (cached === undefined && signingKeys.size >= SIGNING_KEY_CACHE_LIMIT) {
    signingKeys.delete(signingKeys.keys().next().value!);
  }
  signingKeys.set(prefix, { secret: secretAccessKey, key });
  return key;
}

/**
 * Baidu `UriEncode` of a component as it appears on the wire: `%XX` escapes are read as the bytes
 * they stand for (so `%e6`, `%E6` and a raw UTF-8 character all give the same result, and bytes
 * that are not valid UTF-8 survive), everything else is taken as UTF-8; then every byte outside
 * `A-Z a-z 0-9 - _ . ~` is written as `%XX` in upper case. A `%` that starts no escape is a
 * literal percent sign (`%25`).
 */
export function uriEncodeRaw(raw: string): string {
  if (!raw.includes("%")) return uriEncode(raw);
  const bytes: number[] = [];
  let run = ""; // text between escapes, converted to UTF-8 in one go ('%' never splits a character)
  const flush = () => {
    for (const b of utf8(run)) bytes.push(b);
    run = "";
  };
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === "%" && HEX_PAIR.test(raw.slice(i + 1, i + 3))) {
      flush();
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else run += raw[i];
  }
  flush();
  return uriEncodeBytes(bytes);
}

/** Baidu `UriEncode` of a plain (already decoded) text; used for header names and values. */
export function uriEncode(text: string): string {
  return percentEncode(text); // RFC 3986 unreserved kept, UTF-8 bytes as upper-case %XX
}

/**
 * `/` + UriEncodeExceptSlash(path). Encoded segment by segment, so a `%2F` inside a segment stays
 * `%2F` (it is not a separator on the wire); the SDKs take a decoded path and cannot express it.
 */
export function canonicalUri(url: URL): string {
  const path = url.pathname === "" ? "/" : url.pathname;
  return path.split("/").map(uriEncodeRaw).join("/");
}

/**
 * `UriEncode(key)=UriEncode(value)` for every pair (a bare key gives `key=`), the `authorization`
 * parameter left out, sorted by byte order, joined with `&`. Repeated keys are kept as separate
 * pairs; no SDK can express them (both take a map), so this follows the documented rule.
 * @baiducloud/sdk leaves the key unencoded; bce-sdk-go and the doc encode it, as done here.
 */
export function canonicalQuery(url: URL): string {
  const entries: string[] = [];
  for (const [key, value] of rawQueryPairs(url)) {
    const encodedKey = uriEncodeRaw(key);
    if (encodedKey.toLowerCase() === "authorization") continue;
    entries.push(`${encodedKey}=${uriEncodeRaw(value)}`);
  }
  return entries.sort().join("&");
}

/**
 * The lower-case names of the headers to sign, sorted: those present whose name is in the set
 * (`headersToSign`, or the default set when none or an empty list is given), plus every `x-bce-*`
 * header except `x-bce-request-id` (bce-sdk-go and the digest exclude it; @baiducloud/sdk does
 * not). Headers whose trimmed value is empty are left out, as @baiducloud/sdk does: the server
 * checks only the headers the Authorization lists, so an unlisted empty header cannot break it.
 */
export function headersToSign(headers: Record<string, string>, names?: readonly string[]): string[] {
  const wanted = names && names.length > 0 ? new Set(names.map((n) => n.toLowerCase())) : DEFAULT_SET;
  const chosen: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === "authorization") continue;
    const bce = lower.startsWith("x-bce-") && lower !== "x-bce-request-id";
    if (!bce && !wanted.has(lower)) continue;
    if (trimHeaderValue(value) === "") continue;
    chosen.push(lower);
  }
  return chosen.sort();
}

/**
 * `UriEncode(name):UriEncode(trimmed value)` for each named header, sorted, joined with `\n`, and
 * the signed-headers field: the names sorted and joined with `;` (bce-sdk-go and the doc sort the
 * names; @baiducloud/sdk orders them as their canonical lines, which differs only when one name is
 * a prefix of another followed by `-`, `.` or a digit). A named header that is absent counts as
 * empty (`name:`), which is what a server does with a listed header it did not receive.
 */
export function canonicalHeaders(
  headers: Record<string, string>,
  names: readonly string[],
): { canonicalHeaders: string; signedHeaders: string } {
  const lines = names.map((name) => {
    const lower = name.toLowerCase();
    return `${uriEncode(lower)}:${uriEncode(trimHeaderValue(headerValue(headers, lower) ?? ""))}`;
  });
  const sortedNames = names.map((n) => n.toLowerCase()).sort();
  return { canonicalHeaders: lines.sort().join("\n"), signedHeaders: sortedNames.join(";") };
}

/** No trailing newline: the canonical headers are the last line (digest §5.1). */
export function canonicalRequest(method: string, uri: string, query: string, headers: string): string {
  return `${method.toUpperCase()}\n${uri}\n${query}\n${headers}`;
}

export async function signature(key: string, request: string): Promise<string> {
  return hmacHex("SHA-256", key, request);
}

export function authorization(prefix: string, signedHeaders: string, sig: string): string {
  return `${prefix}/${signedHeaders}/${sig}`;
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

/**
 * Signs a request for Baidu AI Cloud. Adds `Host` (from the URL, default port left out) and
 * `x-bce-date` when absent, `x-bce-security-token` for temporary credentials, and `Authorization`.
 * Content-Length / Content-Type are not added (the HTTP client owns them); they are signed when
 * the caller gives them.
 *
 * `stringToSign` in the result is the auth-string prefix: bce-auth-v1 has no separate string to
 * sign; the prefix is what the signing key is derived from, and it is the part of the
 * Authorization a reader needs to reproduce the key.
 */
export async function signBaidu(
  request: RequestToSign,
  credentials: Credentials,
  options: BaiduSignOptions,
): Promise<SignedRequest> {
  const timestamp = bceTimestamp(options.now);
  const expirationSeconds = options.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (!Number.isSafeInteger(expirationSeconds) || expirationSeconds <= 0) {
    throw new SignerInputError(
      "expirationSeconds",
      "expirationSeconds must be a positive whole number of seconds",
    );
  }
  const names = options.headersToSign?.map(checkHeaderToSign);
  checkCredentials(credentials);
  const method = checkMethod(request.method);
  const url = parseAbsoluteUrl(request.url);
  checkUrl(url);

  const headers: Record<string, string> = { ...request.headers };
  assertDistinctHeaderNames(headers);
  for (const [name, value] of Object.entries(headers)) checkHeader(name, value);

  setDefaultHeader(headers, "Host", hostHeader(url));
  if (trimHeaderValue(headerValue(headers, "host")!) === "") {
    throw new SignerInputError(
      headerField(headers, "host"),
      "Host is empty; leave it out and the signer sets it",
    );
  }
  const date = headerValue(headers, "x-bce-date");
  if (date === undefined) headers["x-bce-date"] = timestamp;
  else if (trimHeaderValue(date) !== timestamp) {
    throw new SignerInputError(
      headerField(headers, "x-bce-date"),
      `x-bce-date must be the auth timestamp ${timestamp} (options.now to the second); leave it out and the signer sets it`,
    );
  }
  addSecurityToken(headers, url, credentials.securityToken);
  checkContentLength(headers, request.body);

  const prefix = authStringPrefix(credentials.accessKeyId, timestamp, expirationSeconds);
  const key = await cachedSigningKey(credentials.secretAccessKey, prefix);
  const signed = canonicalHeaders(headers, headersToSign(headers, names));
  const canonical = canonicalRequest(method, canonicalUri(url), canonicalQuery(url), signed.canonicalHeaders);
  const sig = await signature(key, canonical);
  setHeader(headers, "Authorization", authorization(prefix, signed.signedHeaders, sig));
  return { headers, canonicalRequest: canonical, stringToSign: prefix };
}

// ---------------------------------------------------------------------------------------------
// Verification (the sandbox cloud checks every incoming request with it)
// ---------------------------------------------------------------------------------------------

export interface ParsedAuthorization {
  accessKeyId: string;
  timestamp: string;
  expirationSeconds: number;
  /** Lower-case names as listed; empty when the field was empty (the default set applies). */
  signedHeaders: string[];
  signature: string;
}

/** Splits `bce-auth-v1/{ak}/{timestamp}/{expiration}/{signedHeaders}/{signature}`; a string says why not. */
export function parseAuthorization(value: string): ParsedAuthorization | string {
  const parts = value.trim().split("/");
  if (parts.length !== 6)
    return "expected bce-auth-v1/{accessKeyId}/{timestamp}/{expiration}/{signedHeaders}/{signature}";
  const [version, accessKeyId, timestamp, expiration, signed, sig] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== BCE_AUTH_VERSION)
    return `unsupported auth version "${version}"; expected ${BCE_AUTH_VERSION}`;
  if (accessKeyId === "") return "the access key id is empty";
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(timestamp) || !isRealTimestamp(timestamp)) {
    return `timestamp "${timestamp}" is not a UTC yyyy-mm-ddThh:mm:ssZ time`;
  }
  if (!/^[1-9]\d{0,9}$/.test(expiration)) return `expiration "${expiration}" is not a positive whole number`;
  const names = signed === "" ? [] : signed.split(";").map((n) => n.toLowerCase());
  if (names.some((n) => !TOKEN.test(n)))
    return `signed headers "${signed}" is not a ;-separated list of header names`;
  if (new Set(names).size !== names.length) return `signed headers "${signed}" names a header twice`;
  if (!/^[0-9a-f]{64}$/.test(sig)) return "the signature is not 64 lower-case hex digits";
  return {
    accessKeyId,
    timestamp,
    expirationSeconds: Number(expiration),
    signedHeaders: names,
    signature: sig,
  };
}

/**
 * Checks a received request: the Authorization parses, the key is known, `now` lies within
 * [timestamp - maxSkew, timestamp + expiration], and the signature recomputed over what was
 * received (the listed headers; the default set when the list is empty) matches. bce-auth-v1 does
 * not sign the body itself, so when the body is given, a signed Content-Length, Content-MD5 or
 * x-bce-content-sha256 is also checked against it, as the service does; pass the received body.
 */
export async function verifyBaidu(
  request: RequestToSign,
  lookupSecret: (accessKeyId: string) => string | undefined,
  options: BaiduVerifyOptions,
): Promise<VerifyResult> {
  const headers = request.headers ?? {};
  const header = headerValue(headers, "authorization");
  if (header === undefined || header.trim() === "") {
    return { ok: false, reason: "missing", detail: "no Authorization header" };
  }
  const parsed = parseAuthorization(header);
  if (typeof parsed === "string") return { ok: false, reason: "malformed", detail: parsed };

  const secret = lookupSecret(parsed.accessKeyId);
  if (secret === undefined) {
    return { ok: false, reason: "unknown-key", detail: `access key id "${parsed.accessKeyId}" is not known` };
  }

  const signedAt = Date.parse(parsed.timestamp);
  const now = options.now instanceof Date ? options.now.getTime() : Number.NaN;
  if (!Number.isFinite(now)) throw new SignerInputError("now", "now must be a valid Date");
  const skewSeconds = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  if (!(skewSeconds >= 0)) throw new SignerInputError("maxSkewSeconds", "maxSkewSeconds must be 0 or more");
  const skew = skewSeconds * 1000;
  if (now < signedAt - skew) {
    return { ok: false, reason: "expired", detail: `timestamp ${parsed.timestamp} is too far in the future` };
  }
  if (now > signedAt + parsed.expirationSeconds * 1000) {
    return {
      ok: false,
      reason: "expired",
      detail: `signature from ${parsed.timestamp} expired after ${parsed.expirationSeconds} seconds`,
    };
  }

  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { ok: false, reason: "malformed", detail: "the request URL is not absolute" };
  }
  const names = parsed.signedHeaders.length > 0 ? parsed.signedHeaders : headersToSign(headers);
  for (const name of names) {
    if (headerValue(headers, name) === undefined) {
      return { ok: false, reason: "mismatch", detail: `signed header "${name}" was not received` };
    }
  }
  const bodyProblem = await checkBodyAgainstHeaders(headers, names, request.body);
  if (bodyProblem) return { ok: false, reason: "mismatch", detail: bodyProblem };

  const prefix = authStringPrefix(parsed.accessKeyId, parsed.timestamp, parsed.expirationSeconds);
  const key = await signingKey(secret, prefix);
  const signed = canonicalHeaders(headers, names);
  const canonical = canonicalRequest(
    request.method,
    canonicalUri(url),
    canonicalQuery(url),
    signed.canonicalHeaders,
  );
  const expected = await signature(key, canonical);
  if (!timingSafeEqual(expected, parsed.signature)) {
    return { ok: false, reason: "mismatch", detail: "the signature does not match the request" };
  }
  return { ok: true, accessKeyId: parsed.accessKeyId };
}

// ---------------------------------------------------------------------------------------------
// Input checks and small helpers
// ---------------------------------------------------------------------------------------------

const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

function uriEncodeBytes(bytes: Iterable<number>): string {
  let out = "";
  for (const b of bytes) out += isUnreservedByte(b) ? String.fromCharCode(b) : `%${HEX_UPPER[b]}`;
  return out;
}

const HEX_UPPER = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, "0"));
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isUnreservedByte(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x30 && b <= 0x39) ||
    b === 0x2d ||
    b === 0x5f ||
    b === 0x2e ||
    b === 0x7e
  );
}

/** HTTP trims only spaces and tabs (and line ends) around a value; internal runs are kept and signed. */
function trimHeaderValue(value: string): string {
  return value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
}

function isRealTimestamp(timestamp: string): boolean {
  const time = Date.parse(timestamp);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 19) === timestamp.slice(0, 19);
}

function headerField(headers: Record<string, string>, name: string): string {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name) ?? name;
  return `headers.${key}`;
}

function checkMethod(method: string): string {
  if (typeof method !== "string" || !TOKEN.test(method)) {
    throw new SignerInputError(
      "method",
      `method "${method}" is not an HTTP method; give e.g. GET, POST, PUT, DELETE`,
    );
  }
  return method.toUpperCase();
}

function checkCredentials(credentials: Credentials): void {
  if (!/^[\x21-\x2e\x30-\x7e]+$/.test(credentials.accessKeyId ?? "")) {
    throw new SignerInputError(
      "accessKeyId",
      "the access key id must be non-empty printable ASCII without '/' or spaces (it is a field of the Authorization)",
    );
  }
  if (typeof credentials.secretAccessKey !== "string" || credentials.secretAccessKey === "") {
    throw new SignerInputError(
      "secretAccessKey",
      "the secret access key is empty; give the SK of the access key",
    );
  }
  const token = credentials.securityToken;
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    throw new SignerInputError(
      "securityToken",
      "the security token must be non-empty printable ASCII without spaces; leave it out for permanent keys",
    );
  }
}

function checkUrl(url: URL): void {
  if (/%(?![0-9A-Fa-f]{2})/.test(url.pathname + url.search)) {
    throw new SignerInputError(
      "url",
      "the URL has a '%' that starts no %XX escape; write %25 for a literal percent sign",
    );
  }
  // The SDKs never send a raw '+', and servers differ on whether it means a space (form encoding)
  // or a plus (RFC 3986): refuse to guess rather than sign something the server reads otherwise.
  if (url.search.includes("+")) {
    throw new SignerInputError(
      "url",
      "the query has a raw '+'; write %2B for a plus sign or %20 for a space",
    );
  }
}

function checkHeaderToSign(name: string): string {
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw new SignerInputError("headersToSign", `"${name}" is not a header name`);
  }
  if (name.toLowerCase() === "authorization") {
    throw new SignerInputError("headersToSign", "Authorization cannot be signed: it carries the signature");
  }
  return name.toLowerCase();
}

function checkHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) {
    throw new SignerInputError(
      `headers.${name}`,
      `"${name}" is not a valid header name (letters, digits and -_.!#$%&'*+^\`|~)`,
    );
  }
  // Values travel as bytes the server re-encodes; fetch cannot send non-Latin-1 text, and Latin-1
  // bytes would be signed here as UTF-8. Only printable ASCII (plus tab) is sent the same everywhere.
  if (typeof value !== "string" || !/^[\t\x20-\x7e]*$/.test(value)) {
    throw new SignerInputError(
      `headers.${name}`,
      "header values must be printable ASCII without line breaks; percent-encode or base64 anything else",
    );
  }
}

function addSecurityToken(headers: Record<string, string>, url: URL, token: string | undefined): void {
  if (token === undefined) return;
  // bce-sdk-go: a token already in the query string is not repeated as a header.
  if (rawQueryPairs(url).some(([key]) => uriEncodeRaw(key).toLowerCase() === "x-bce-security-token")) return;
  const given = headerValue(headers, "x-bce-security-token");
  if (given === undefined) headers["x-bce-security-token"] = token;
  else if (trimHeaderValue(given) !== token) {
    throw new SignerInputError(
      headerField(headers, "x-bce-security-token"),
      "x-bce-security-token differs from the credentials' security token; leave the header out",
    );
  }
}

function checkContentLength(headers: Record<string, string>, body: string | Uint8Array | undefined): void {
  const given = headerValue(headers, "content-length");
  // No body given: the caller sends it some other way, so there is nothing to compare with.
  if (given === undefined || body === undefined) return;
  const length = toBytes(body).length;
  if (trimHeaderValue(given) !== String(length)) {
    throw new SignerInputError(
      headerField(headers, "content-length"),
      `Content-Length does not match the body (${length} bytes as UTF-8); leave it out or correct it`,
    );
  }
}

async function checkBodyAgainstHeaders(
  headers: Record<string, string>,
  names: readonly string[],
  body: string | Uint8Array | undefined,
): Promise<string | undefined> {
  if (body === undefined) return undefined; // not given: nothing to compare with (as when signing)
  const bytes = toBytes(body);
  const value = (name: string) =>
    names.includes(name) ? trimHeaderValue(headerValue(headers, name) ?? "") : undefined;
  const length = value("content-length");
  if (length !== undefined && length !== String(bytes.length))
    return "Content-Length does not match the body";
  const md5 = value("content-md5");
  if (md5 !== undefined && md5 !== md5Base64(bytes)) return "Content-MD5 does not match the body";
  const sha = value("x-bce-content-sha256");
  if (sha !== undefined && sha.toLowerCase() !== (await sha256Hex(bytes))) {
    return "x-bce-content-sha256 does not match the body";
  }
  return undefined;
}
