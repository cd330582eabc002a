// Shared-secret checks for senders that cannot sign (Alertmanager's bearer / basic auth,
// EventBridge API destinations' API-key header). Every comparison is constant-time.
import { timingSafeEqual } from "./compare.ts";

export type ExpectedCredential =
  | { kind: "bearer"; tokens: readonly string[] }
  | { kind: "basic"; username: string; passwords: readonly string[] };

/**
 * True when the `Authorization` header carries one of the expected credentials. Several tokens or
 * passwords may be configured at once so they can be rotated without downtime.
 */
export function checkAuthorization(header: string | null | undefined, expected: ExpectedCredential): boolean {
  if (!header) return false;
  const space = header.indexOf(" ");
  if (space === -1) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();

  if (expected.kind === "bearer") {
    if (scheme !== "bearer") return false;
    return matchesAny(value, expected.tokens);
  }

  if (scheme !== "basic") return false;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(value), (c) => c.charCodeAt(0)),
    );
  } catch {
    return false;
  }
  const colon = decoded.indexOf(":");
  if (colon === -1) return false;
  // Evaluate both halves before combining so a wrong username costs as much as a wrong password.
  const userOk = timingSafeEqual(decoded.slice(0, colon), expected.username);
  const passwordOk = matchesAny(decoded.slice(colon + 1), expected.passwords);
  return userOk && passwordOk;
}

/** Constant-time membership: compares against every candidate, whatever matched first. */
export function matchesAny(value: string, candidates: readonly string[]): boolean {
  let matched = false;
  for (const candidate of candidates)
    if (candidate !== "" && timingSafeEqual(value, candidate)) matched = true;
  return matched;
}
