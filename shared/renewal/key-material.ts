// Finds key material where it must never be: log lines, events, ledger entries, error messages.
// Used as a guard by the renewal records (records.ts) and by tests, which scan everything they
// captured (assertNoKeyMaterial). A finding names where and what kind, never the material itself.

export type KeyMaterialKind =
  /** A PEM block marker: "-----BEGIN ... -----" (keys and certificates alike). */
  | "pem"
  /** Base64 of a PEM block, as kubeconfigs carry them ("LS0tLS1CRUdJTi..."). */
  | "base64-pem"
  /** A kubeconfig credential field with a value: client-key-data, client-certificate-data, token. */
  | "kubeconfig-credential"
  /** A long base64 run (64+ characters, mixed case): DER keys, raw key bytes, tokens. */
  | "base64-blob";

export interface KeyMaterialFinding {
  /** Where: "$" for the value itself, "$.data.kubeconfig", "$[3]", "line 12". */
  path: string;
  kind: KeyMaterialKind;
}

const PATTERNS: Array<[KeyMaterialKind, RegExp]> = [
  ["pem", /-----BEGIN [A-Z0-9 ]+-----/],
  ["base64-pem", /LS0tLS1CRUdJT/],
  // A value that is not a redaction marker.
  [
    "kubeconfig-credential",
    /"?(client-key-data|client-certificate-data|token)"?\s*[:=]\s*"?(?!\[REDACTED)[A-Za-z0-9+/=_.-]{16,}/i,
  ],
];
// Base64 (standard or url-safe) runs; hex digests and serials are excluded below (not mixed case).
const BASE64_RUN = /[A-Za-z0-9+/_-]{64,}={0,2}/g;

function scanString(text: string): KeyMaterialKind[] {
  const kinds: KeyMaterialKind[] = [];
  for (const [kind, pattern] of PATTERNS) if (pattern.test(text)) kinds.push(kind);
  for (const run of text.match(BASE64_RUN) ?? []) {
    if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run)) {
      kinds.push("base64-blob");
      break;
    }
  }
  return kinds;
}

/** Every place in `value` (a string, or any JSON-like data, walked) that carries key material. */
export function findKeyMaterial(value: unknown, path = "$"): KeyMaterialFinding[] {
  const findings: KeyMaterialFinding[] = [];
  const seen = new WeakSet<object>();
  const visit = (item: unknown, at: string, depth: number) => {
    if (typeof item === "string") {
      for (const kind of scanString(item)) findings.push({ path: at, kind });
      return;
    }
    if (item === null || typeof item !== "object" || depth > 32 || seen.has(item)) return;
    seen.add(item);
    if (item instanceof Date) return;
    if (item instanceof Error) {
      visit(item.message, `${at}.message`, depth + 1);
      visit(item.stack, `${at}.stack`, depth + 1);
      return;
    }
    if (Array.isArray(item)) {
      for (const [index, element] of item.entries()) visit(element, `${at}[${index}]`, depth + 1);
      return;
    }
    for (const [key, element] of Object.entries(item)) {
      for (const kind of scanString(key)) findings.push({ path: `${at}{key}`, kind });
      visit(element, `${at}.${key}`, depth + 1);
    }
  };
  visit(value, path, 0);
  return findings;
}

/**
 * Throws when any captured log line or event payload carries key material; the error names the
 * places and kinds, never the material. For tests: pass what a test captured (logger `write`
 * lines, published events, ledger entries, API answers).
 */
export function assertNoKeyMaterial(captured: {
  lines?: readonly string[];
  payloads?: readonly unknown[];
}): void {
  const findings: KeyMaterialFinding[] = [];
  for (const [index, line] of (captured.lines ?? []).entries()) {
    findings.push(...findKeyMaterial(line, `line ${index + 1}`));
  }
  for (const [index, payload] of (captured.payloads ?? []).entries()) {
    findings.push(...findKeyMaterial(payload, `payload ${index + 1}`));
  }
  if (findings.length > 0) {
    const where = findings.slice(0, 10).map((f) => `${f.path} (${f.kind})`);
    throw new Error(
      `key material found in ${findings.length} place(s): ${where.join(", ")}${findings.length > 10 ? ", …" : ""}`,
    );
  }
}
