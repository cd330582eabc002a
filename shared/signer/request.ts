// The request shape every cloud signer takes and returns. Header names keep the caller's casing
// on the way out (clouds compare names case-insensitively); canonical forms use lower case.

export type Vendor = "huawei" | "alibaba" | "baidu";

/** hex(SHA-256("")): the payload hash of a request without a body (most of them), not recomputed. */
export const EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary (STS) credentials carry a token that is sent and signed. */
  securityToken?: string;
}

export interface RequestToSign {
  method: string;
  /** Absolute URL; its query string is part of the signature. */
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface SignedRequest {
  /** Every header to send: the given ones plus those the signer adds. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
}

/** What a cloud's gateway concludes about a received request's signature (the sandboxes use it). */
export type VerifyResult =
  | { ok: true; accessKeyId: string }
  | { ok: false; reason: "missing" | "malformed" | "unknown-key" | "expired" | "mismatch"; detail: string };

// Signers look headers up a dozen times per request: comparing lengths first skips lower-casing
// every name that cannot match (most of them).
const sameName = (key: string, wanted: string) =>
  key.length === wanted.length && (key === wanted || key.toLowerCase() === wanted);

/** A header lookup that ignores case, as HTTP does, over a plain record. */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) if (sameName(key, wanted)) return headers[key];
  return undefined;
}

/**
 * Sets a header unless one with the same name (any case) is present, so a value the caller gave
 * explicitly (e.g. a fixed nonce for a test vector) always wins.
 */
export function setDefaultHeader(headers: Record<string, string>, name: string, value: string): void {
  if (headerValue(headers, name) === undefined) headers[name] = value;
}

/** Replaces a header whatever the casing it was given in. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) if (sameName(key, wanted)) delete headers[key];
  headers[name] = value;
}

/** Rejects header sets that name the same header twice in different cases: which one would be signed? */
export function assertDistinctHeaderNames(headers: Record<string, string>): void {
  const seen = new Map<string, string>();
  for (const key of Object.keys(headers)) {
    const lower = key.toLowerCase();
    const previous = seen.get(lower);
    if (previous !== undefined) {
      throw new SignerInputError(
        `headers.${key}`,
        `header "${key}" is given twice (also as "${previous}"); give each header once`,
      );
    }
    seen.set(lower, key);
  }
}

/** `host[:port]` as a client sends it: the port is left out when it is the scheme's default. */
export function hostHeader(url: URL): string {
  return url.host; // WHATWG URL already drops default ports (80 for http, 443 for https)
}

export function parseAbsoluteUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SignerInputError("url", `"${url}" is not an absolute URL; give e.g. https://host/path?query`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new SignerInputError("url", `scheme "${parsed.protocol}" is not supported; use https: or http:`);
  }
  return parsed;
}

/**
 * Query parameters exactly as they appear in the URL, split but NOT decoded: each signer decides
 * how to decode and re-encode (the three clouds differ), so the raw text must survive.
 */
export function rawQueryPairs(url: URL): Array<[string, string]> {
  const search = url.search.startsWith("?") ? url.search.slice(1) : url.search;
  if (search === "") return [];
  return search
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const eq = part.indexOf("=");
      return eq === -1 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
    });
}

/** A problem with the caller's input, naming the field so the message can say what to fix. */
export class SignerInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "SignerInputError";
    this.field = field;
  }
}
