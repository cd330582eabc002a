// Hashes and MACs on Web Crypto (`crypto.subtle`). MD5 is the one exception: Web Crypto does not
// offer it on Node, and Alibaba's Content-MD5 requires it, so it comes from @noble/hashes.
// Imported as `#digest` (package.json `imports`): this is the Web-standard fallback and the
// contract's types; Node (digest.node.ts) uses node:crypto instead and workerd (digest.workers.ts)
// plain-JavaScript SHA-256 and HMAC (sha.ts), each measured faster on its host. The *Hex / *Base64 forms
// exist so a host can encode natively.
import { md5 } from "@noble/hashes/legacy.js";
import { type Bytes, base64, hex, utf8 } from "./encoding.ts";
import { recentlyUsed } from "./recent-cache.ts";

export type HmacAlgorithm = "SHA-1" | "SHA-256";

export async function sha256(data: Bytes): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export async function sha256Hex(data: Bytes | string): Promise<string> {
  return hex(await sha256(typeof data === "string" ? utf8(data) : data));
}

export function md5Bytes(data: Bytes): Bytes {
  return md5(data) as Bytes;
}

export function md5Base64(data: Bytes | string): string {
  return base64(md5(typeof data === "string" ? utf8(data) : data));
}

// Imported HMAC keys are cached per (algorithm, secret): key import dominates the cost of signing
// small requests, and a process signs with the same few secrets all day. Bounded so a stream of
// distinct secrets (e.g. `nightshift sign` over a large file) cannot grow it without limit.
const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(algorithm: HmacAlgorithm, secret: Bytes | string): Promise<CryptoKey> {
  const importKey = () =>
    crypto.subtle.importKey(
      "raw",
      typeof secret === "string" ? utf8(secret) : secret,
      { name: "HMAC", hash: algorithm },
      false,
      ["sign"],
    );
  if (typeof secret !== "string") return importKey();
  return recentlyUsed(keyCache, KEY_CACHE_LIMIT, `${algorithm}\u0000${secret}`, importKey);
}

export async function hmac(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<Bytes> {
  const key = await hmacKey(algorithm, secret);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, typeof data === "string" ? utf8(data) : data));
}

export async function hmacHex(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<string> {
  return hex(await hmac(algorithm, secret, data));
}

export async function hmacBase64(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<string> {
  return base64(await hmac(algorithm, secret, data));
}
