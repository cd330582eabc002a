// The Workers host's digests, chosen by `#digest`. SHA-256, HMAC-SHA-256 and HMAC-SHA1 run in plain
// JavaScript (sha.ts): inside workerd a native call costs more than hashing a request's few hundred
// bytes, whether through node:crypto (nodejs_compat) or crypto.subtle; see sha.ts for the figures.
// MD5 (Alibaba's Content-MD5, only for a request with a body) stays on node:crypto. Node keeps
// node:crypto for everything (digest.node.ts): natively it is faster there.
import type { HmacAlgorithm } from "./digest-node-crypto.ts";
import type { Bytes } from "./encoding.ts";
import { recentlyUsed } from "./recent-cache.ts";
import {
  type HmacKey,
  hmacBytes,
  hmacKey,
  hmacBase64 as jsHmacBase64,
  hmacHex as jsHmacHex,
  shaBytes,
  shaHex,
} from "./sha.ts";

export type { HmacAlgorithm } from "./digest-node-crypto.ts";
export { md5Base64, md5Bytes } from "./digest-node-crypto.ts";

export async function sha256(data: Bytes): Promise<Bytes> {
  return shaBytes("SHA-256", data);
}

export async function sha256Hex(data: Bytes | string): Promise<string> {
  return shaHex("SHA-256", data);
}

// Prepared HMAC keys per (algorithm, secret text), most recently used kept: a Worker signs with the
// same few secrets all day, and preparing one costs two compressions. Bounded, so a stream of
// one-off keys (Baidu's per-second signing keys) cannot grow it, and evicts the least recently
// used, so those do not push out the account secrets still in use. One map per algorithm, keyed by
// the secret itself: no key text is built per call.
const KEY_CACHE_LIMIT = 256;
const keyCaches: Record<HmacAlgorithm, Map<string, HmacKey>> = { "SHA-1": new Map(), "SHA-256": new Map() };

function preparedKey(algorithm: HmacAlgorithm, secret: Bytes | string): HmacKey {
  if (typeof secret !== "string") return hmacKey(algorithm, secret);
  return recentlyUsed(keyCaches[algorithm], KEY_CACHE_LIMIT, secret, () => hmacKey(algorithm, secret));
}

export async function hmac(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<Bytes> {
  return hmacBytes(preparedKey(algorithm, secret), data);
}

export async function hmacHex(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<string> {
  return jsHmacHex(preparedKey(algorithm, secret), data);
}

export async function hmacBase64(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<string> {
  return jsHmacBase64(preparedKey(algorithm, secret), data);
}
