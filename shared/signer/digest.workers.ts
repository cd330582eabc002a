// The Workers host's digests, chosen by `#digest`. SHA-256 and HMAC-SHA-256 (Huawei, Baidu, Alibaba
// ACS3, webhooks, sessions) run in plain JavaScript (sha256.ts): inside workerd a native call costs
// more than hashing a request's few hundred bytes, whether through node:crypto (nodejs_compat) or
// crypto.subtle; see sha256.ts for the figures. HMAC-SHA1 and MD5 (Alibaba ROA only) stay on
// node:crypto. Node keeps node:crypto for everything (digest.node.ts): natively it is faster there.
import {
  type HmacAlgorithm,
  hmac as nodeHmac,
  hmacBase64 as nodeHmacBase64,
  hmacHex as nodeHmacHex,
} from "./digest-node-crypto.ts";
import type { Bytes } from "./encoding.ts";
import {
  type HmacSha256Key,
  hmacSha256Base64,
  hmacSha256Bytes,
  hmacSha256Hex,
  hmacSha256Key,
  sha256Hex as jsSha256Hex,
  sha256Bytes,
} from "./sha256.ts";

export type { HmacAlgorithm } from "./digest-node-crypto.ts";
export { md5Base64, md5Bytes } from "./digest-node-crypto.ts";

export async function sha256(data: Bytes): Promise<Bytes> {
  return sha256Bytes(data);
}

export async function sha256Hex(data: Bytes | string): Promise<string> {
  return jsSha256Hex(data);
}

// Prepared HMAC keys per secret text, most recently used kept: a Worker signs with the same few
// secrets all day, and preparing one costs two compressions. Bounded, so a stream of one-off keys
// (Baidu's per-second signing keys) cannot grow it, and evicts the least recently used, so those
// do not push out the account secrets still in use.
const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, HmacSha256Key>();

function preparedKey(secret: Bytes | string): HmacSha256Key {
  if (typeof secret !== "string") return hmacSha256Key(secret);
  let key = keyCache.get(secret);
  if (key) {
    keyCache.delete(secret);
  } else {
    key = hmacSha256Key(secret);
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value!);
  }
  keyCache.set(secret, key);
  return key;
}

export async function hmac(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<Bytes> {
  if (algorithm === "SHA-1") return nodeHmac(algorithm, secret, data);
  return hmacSha256Bytes(preparedKey(secret), data);
}

export async function hmacHex(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<string> {
  if (algorithm === "SHA-1") return nodeHmacHex(algorithm, secret, data);
  return hmacSha256Hex(preparedKey(secret), data);
}

export async function hmacBase64(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<string> {
  if (algorithm === "SHA-1") return nodeHmacBase64(algorithm, secret, data);
  return hmacSha256Base64(preparedKey(secret), data);
}
