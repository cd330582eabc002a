// Hashes and MACs on node:crypto (synchronous), behind the same functions as digest.ts. Node's Web
// Crypto runs every digest and HMAC on the libuv thread pool, which costs more than hashing a
// request's few hundred bytes; the vendor SDKs call node:crypto directly, and so does this. Both
// hosts have node:crypto (workerd through `nodejs_compat`), so this module is host-neutral in name:
// `#digest` (package.json) resolves to digest.node.ts on Node, which re-exports it, and to
// digest.workers.ts in workerd, which takes HMAC-SHA1 and MD5 from it.
import { createHash, createHmac } from "node:crypto";
import type { Bytes } from "./encoding.ts";

export type HmacAlgorithm = "SHA-1" | "SHA-256";

const NODE_NAME = { "SHA-1": "sha1", "SHA-256": "sha256" } as const;

// Strings are hashed as UTF-8 by node:crypto itself (lone surrogates as U+FFFD, like TextEncoder),
// so no byte copy is made for the canonical texts.
const asBytes = (buffer: Buffer): Bytes =>
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) as Bytes;

export async function sha256(data: Bytes): Promise<Bytes> {
  return asBytes(createHash("sha256").update(data).digest());
}

export async function sha256Hex(data: Bytes | string): Promise<string> {
  return createHash("sha256").update(data).digest("hex");
}

export function md5Bytes(data: Bytes): Bytes {
  return asBytes(createHash("md5").update(data).digest());
}

export function md5Base64(data: Bytes | string): string {
  return createHash("md5").update(data).digest("base64");
}

export async function hmac(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<Bytes> {
  return asBytes(createHmac(NODE_NAME[algorithm], secret).update(data).digest());
}

export async function hmacHex(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<string> {
  return createHmac(NODE_NAME[algorithm], secret).update(data).digest("hex");
}

export async function hmacBase64(
  algorithm: HmacAlgorithm,
  secret: Bytes | string,
  data: Bytes | string,
): Promise<string> {
  return createHmac(NODE_NAME[algorithm], secret).update(data).digest("base64");
}
