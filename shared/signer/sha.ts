// SHA-256 and SHA-1 (FIPS 180-4) and their HMACs (RFC 2104) in plain JavaScript, synchronous, for
// the Workers host's `#digest` (digest.workers.ts) and the dashboard's CSP hash. Why not the host's
// own: a request's canonical text is a few hundred bytes, and inside workerd every native call
// costs more than the hashing itself (node:crypto's createHash/createHmac build a stream object per
// call; crypto.subtle a promise, a copy and a key import). Measured there (CPU time, busy machine)
// for a 400-byte SHA-256 / a 100-byte HMAC-SHA256 with a prepared or cached key / the same with
// HMAC-SHA1: this ~3.4-3.9 / ~1.9 / ~2.3 µs; crypto.subtle ~5.0-5.5 / ~4.1 / -; node:crypto
// ~4.7-7.7 / ~5.7 / ~5.3 µs; @noble/hashes ~9.9 / ~7.0 (keyed clone) / ~9.9 µs.
// On Node, node:crypto is native and ~10x faster per block, so Node keeps it (digest.node.ts).
// Two things only a hand-made path can do: strings are absorbed without a TextEncoder copy (ASCII
// char by char), and an HMAC key's padded inner and outer blocks are compressed once and kept
// (`hmacKey`), so an HMAC of a short text is three compressions, not five. SHA-1 (Alibaba ROA's
// HMAC-SHA1) shares SHA-256's block size and padding; only the compression differs.
// Not re-entrant: every call runs to completion on the module's scratch state (no awaits inside).

import { type Bytes, base64, utf8 } from "./encoding.ts";

// prettier-ignore
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV256 = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const IV1 = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
const BLOCK = 64;

export type ShaAlgorithm = "SHA-1" | "SHA-256";

// Scratch state of the hash in progress: algorithm, chaining value, message schedule, the partial
// block (128 bytes: padding may spill into a second block) and the byte count so far.
let sha1 = false;
const state = new Int32Array(8);
const W = new Int32Array(80);
const block = new Uint8Array(2 * BLOCK);
let pending = 0;
let total = 0;

function compress(bytes: Uint8Array, offset: number): void {
  if (sha1) compress1(bytes, offset);
  else compress256(bytes, offset);
}

// The compressions add in pairs, each sum truncated (`| 0`): V8 then keeps every value an int32
// (a longer sum may leave the int32 range and turn the arithmetic into float64, measured ~30% slower).

/** One SHA-1 compression of the 64 bytes of `bytes` at `offset` into `state`. */
function compress1(bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + 4 * i;
    W[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const t = (((((a << 5) | (a >>> 27)) + f) | 0) + ((((e + k) | 0) + W[i]!) | 0)) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

/** One SHA-256 compression of the 64 bytes of `bytes` at `offset` into `state`. */
function compress256(bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + 4 * i;
    W[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (((W[i - 16]! + s0) | 0) + ((W[i - 7]! + s1) | 0)) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (((h + S1) | 0) + ((((e & f) ^ (~e & g)) + ((K[i]! + W[i]!) | 0)) | 0)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

function start(algorithm: ShaAlgorithm, from: Int32Array, absorbed: number): void {
  sha1 = algorithm === "SHA-1";
  state.set(from);
  pending = 0;
  total = absorbed;
}

function absorbBytes(data: Uint8Array): void {
  let i = 0;
  if (pending > 0) {
    const take = Math.min(BLOCK - pending, data.length);
    block.set(data.subarray(0, take), pending);
    pending += take;
    i = take;
    if (pending < BLOCK) {
      total += data.length;
      return;
    }
    compress(block, 0);
    pending = 0;
  }
  for (; i + BLOCK <= data.length; i += BLOCK) compress(data, i);
  block.set(data.subarray(i), 0);
  pending = data.length - i;
  total += data.length;
}

/** A string as UTF-8 (a lone surrogate as U+FFFD, like TextEncoder): ASCII directly, the rest via utf8(). */
function absorbString(text: string): void {
  // Locals, not the module's counters, in the per-character loop (the hot path for a signature).
  let filled = pending;
  const length = text.length;
  let i = 0;
  for (; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) break;
    block[filled++] = code;
    if (filled === BLOCK) {
      compress(block, 0);
      filled = 0;
    }
  }
  total += i;
  pending = filled;
  if (i < length) absorbBytes(utf8(text.slice(i)));
}

function absorb(data: Uint8Array | string): void {
  if (typeof data === "string") absorbString(data);
  else absorbBytes(data);
}

/** Pads (0x80, zeros, the bit length as 64 bits big-endian) and compresses what is left. */
function finish(): void {
  const bits = total * 8;
  block[pending++] = 0x80;
  const end = pending <= BLOCK - 8 ? BLOCK : 2 * BLOCK;
  block.fill(0, pending, end - 8);
  const high = Math.floor(bits / 0x100000000);
  block[end - 8] = high >>> 24;
  block[end - 7] = high >>> 16;
  block[end - 6] = high >>> 8;
  block[end - 5] = high;
  block[end - 4] = bits >>> 24;
  block[end - 3] = bits >>> 16;
  block[end - 2] = bits >>> 8;
  block[end - 1] = bits;
  compress(block, 0);
  if (end > BLOCK) compress(block, BLOCK);
}

const words = () => (sha1 ? 5 : 8);

function digestInto(out: Uint8Array, offset: number): void {
  for (let i = 0; i < words(); i++) {
    const word = state[i]!;
    out[offset + 4 * i] = word >>> 24;
    out[offset + 4 * i + 1] = word >>> 16;
    out[offset + 4 * i + 2] = word >>> 8;
    out[offset + 4 * i + 3] = word;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function digestHex(): string {
  let out = "";
  for (let i = 0; i < words(); i++) {
    const word = state[i]!;
    out += HEX[word >>> 24]! + HEX[(word >>> 16) & 255]! + HEX[(word >>> 8) & 255]! + HEX[word & 255]!;
  }
  return out;
}

function digestBytes(): Bytes {
  const out = new Uint8Array(4 * words());
  digestInto(out, 0);
  return out;
}

const ivOf = (algorithm: ShaAlgorithm) => (algorithm === "SHA-1" ? IV1 : IV256);

export function shaBytes(algorithm: ShaAlgorithm, data: Uint8Array | string): Bytes {
  start(algorithm, ivOf(algorithm), 0);
  absorb(data);
  finish();
  return digestBytes();
}

export function shaHex(algorithm: ShaAlgorithm, data: Uint8Array | string): string {
  start(algorithm, ivOf(algorithm), 0);
  absorb(data);
  finish();
  return digestHex();
}

/** An HMAC key for one algorithm, its padded inner and outer blocks already compressed. */
export interface HmacKey {
  readonly algorithm: ShaAlgorithm;
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

export function hmacKey(algorithm: ShaAlgorithm, secret: Uint8Array | string): HmacKey {
  const raw = typeof secret === "string" ? utf8(secret) : secret;
  const padded = new Uint8Array(BLOCK);
  padded.set(raw.length > BLOCK ? shaBytes(algorithm, raw) : raw); // RFC 2104: a longer key is hashed first
  const pads = new Uint8Array(2 * BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    pads[i] = padded[i]! ^ 0x36;
    pads[BLOCK + i] = padded[i]! ^ 0x5c;
  }
  start(algorithm, ivOf(algorithm), 0);
  compress(pads, 0);
  const inner = state.slice();
  start(algorithm, ivOf(algorithm), 0);
  compress(pads, BLOCK);
  return { algorithm, inner, outer: state.slice() };
}

const innerDigest = new Uint8Array(32);

function hmacInto(key: HmacKey, data: Uint8Array | string): void {
  start(key.algorithm, key.inner, BLOCK);
  absorb(data);
  finish();
  digestInto(innerDigest, 0);
  start(key.algorithm, key.outer, BLOCK);
  absorbBytes(innerDigest.subarray(0, 4 * words()));
  finish();
}

export function hmacHex(key: HmacKey, data: Uint8Array | string): string {
  hmacInto(key, data);
  return digestHex();
}

export function hmacBytes(key: HmacKey, data: Uint8Array | string): Bytes {
  hmacInto(key, data);
  return digestBytes();
}

export function hmacBase64(key: HmacKey, data: Uint8Array | string): string {
  return base64(hmacBytes(key, data));
}
