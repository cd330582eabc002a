// Wire formats of the simulated Autopilot cloud: CCE's Go-style timestamps, Kubernetes RFC 3339
// timestamps, and the time-based (v1) UUIDs CCE mints for clusters and jobs.

/**
 * Go's `time.Time.String()` in UTC, as CCE writes `creationTimestamp`: `2024-06-04 12:49:28.773 +0000 UTC`.
 * Like Go, trailing zeros of the fraction are dropped, and the dot too when the fraction is zero.
 */
export function goTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-06-04T12:49:28.773Z
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ""} +0000 UTC`;
}

/** Kubernetes `metav1.Time`: RFC 3339 in UTC with whole seconds. */
export function kubeTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function randomHex(random: () => number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

// 100-ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch.
const GREGORIAN_OFFSET = 122_192_928_000_000_000n;

/**
 * A version-1 UUID for the time `ms`, like CCE's ids (`087dc72a-1ff6-11ef-af74-0255ac10010b`):
 * the sub-millisecond ticks and the clock sequence are random, the node is `0255ac1` + 5 hex
 * digits (the MAC prefix CCE's own ids carry).
 */
export function v1Uuid(random: () => number, ms: number): string {
  const ticks = BigInt(Math.floor(ms)) * 10_000n + GREGORIAN_OFFSET + BigInt(Math.floor(random() * 10_000));
  const hex = (value: bigint, digits: number) => value.toString(16).padStart(digits, "0");
  const timeLow = hex(ticks & 0xffff_ffffn, 8);
  const timeMid = hex((ticks >> 32n) & 0xffffn, 4);
  const timeHigh = hex(((ticks >> 48n) & 0x0fffn) | 0x1000n, 4);
  const clockSeq = hex(BigInt(0x8000 | Math.floor(random() * 0x3fff)), 4);
  return `${timeLow}-${timeMid}-${timeHigh}-${clockSeq}-0255ac1${randomHex(random, 5)}`;
}

/** PEM text → DER bytes (the first PEM block). */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem
    .replace(/-----BEGIN [^-]+-----/, "")
    .replace(/-----END [^-]+-----[\s\S]*$/, "")
    .replace(/\s+/g, "");
  const binary = atob(body);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Lower-case hex SHA-256 of a certificate's DER: what Node's `fingerprint256` shows, without colons. */
export async function certificateFingerprint(certPem: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", pemToDer(certPem)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** base64 of ASCII text (PEM), as kubeconfig `*-data` fields carry it. */
export function base64Ascii(text: string): string {
  return btoa(text);
}
