// Redaction for everything that is logged. Two nets: field names that hold secrets, and value
// patterns that are secret wherever they appear (a signature inside an Authorization header, a
// PEM private key inside an error message, a kubeconfig pasted into a string). Configured secret
// values are masked verbatim as a third net.

export const REDACTED = "[REDACTED]";

// Compared after lower-casing and dropping everything but letters and digits, so
// `X-Security-Token`, `security_token` and `securityToken` are all one name.
const SECRET_NAME_SUFFIXES = [
  "secret",
  "secretaccesskey",
  "secretkey",
  "accesskeysecret",
  "password",
  "passwd",
  "token",
  "authorization",
  "signature",
  "privatekey",
  "clientkeydata",
  "keydata",
  "cookie",
  "apikey",
  "credentials",
  "kubeconfig",
];

export function isSecretName(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  const singular = normalized.endsWith("s") ? normalized.slice(0, -1) : normalized; // tokens, secrets
  return SECRET_NAME_SUFFIXES.some((suffix) => normalized.endsWith(suffix) || singular.endsWith(suffix));
}

const VALUE_PATTERNS: Array<[RegExp, string]> = [
  // PEM private keys (RSA, EC, PKCS#8, encrypted), complete or cut off.
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g, "[REDACTED PRIVATE KEY]"],
  // Kubeconfig key material and tokens, in YAML or JSON form.
  [/("?(?:client-key-data|token|password)"?\s*[:=]\s*"?)[^\s",}]+/gi, `$1${REDACTED}`],
  // Huawei APIG: keep Access= and SignedHeaders=, hide the signature.
  [/(Signature=)[0-9a-fA-F]+/g, `$1${REDACTED}`],
  // Alibaba ROA: `acs <AccessKeyId>:<signature>`.
  [/(\bacs [^\s:]+:)[A-Za-z0-9+/=]+/g, `$1${REDACTED}`],
  // Baidu: `bce-auth-v1/<ak>/<time>/<expiry>/<signed headers>/<signature>`.
  [/(bce-auth-v1\/[^/\s]+\/[^/\s]+\/\d+\/[^/\s]*\/)[0-9a-f]+/g, `$1${REDACTED}`],
  // HTTP credentials.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  // Standard Webhooks signatures and secrets.
  [/\bv1,[A-Za-z0-9+/=]{20,}/g, `v1,${REDACTED}`],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, `whsec_${REDACTED}`],
  // Signed action links (GET /actions/<token>): usable by anyone until they expire.
  [/(\/actions\/)[^\s"'?#]+/g, `$1${REDACTED}`],
];

/** A redactor bound to the secret values this process knows (credentials from the environment). */
export function createRedactor(knownSecrets: readonly string[] = []) {
  // Short values would mask innocent text ("abc"); real secrets are long.
  const secrets = [...new Set(knownSecrets.filter((s) => s.length >= 8))].sort((a, b) => b.length - a.length);

  function redactString(text: string): string {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const [pattern, replacement] of VALUE_PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }

  function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
    if (typeof value === "string") return redactString(value);
    if (value === null || typeof value !== "object") {
      return typeof value === "bigint" ? value.toString() : value;
    }
    if (seen.has(value)) return "[Circular]";
    if (depth > 8) return "[Truncated]";
    seen.add(value);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    if (value instanceof Uint8Array) return `[${value.length} bytes]`;
    if (value instanceof Error) {
      return redactValue({ name: value.name, message: value.message, stack: value.stack }, seen, depth + 1);
    }
    if (typeof Headers !== "undefined" && value instanceof Headers) {
      return redactValue(Object.fromEntries(value.entries()), seen, depth + 1);
    }
    if (value instanceof Map) return redactValue(Object.fromEntries(value), seen, depth + 1);
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // A secret-named field loses its value; a secret-named object (e.g. `credentials`) is walked,
      // so its harmless parts (the access key id) stay readable and its secret parts are caught by name.
      const hide =
        isSecretName(key) && item !== undefined && item !== null && item !== "" && typeof item !== "object";
      out[key] = hide ? REDACTED : redactValue(item, seen, depth + 1);
    }
    return out;
  }

  return {
    string: redactString,
    value: (value: unknown) => redactValue(value, new WeakSet(), 0),
  };
}

export type Redactor = ReturnType<typeof createRedactor>;
