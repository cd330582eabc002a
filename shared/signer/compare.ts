import { utf8 } from "./encoding.ts";

/**
 * Compares two strings in time that depends only on their lengths, never on where they first
 * differ, so a caller cannot learn a secret or a signature byte by byte from response times.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = utf8(a);
  const right = utf8(b);
  // Always walk the longer input so a length mismatch costs the same as a content mismatch.
  const length = Math.max(left.length, right.length);
  let diff = left.length ^ right.length;
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}
