// Standard Webhooks (https://www.standardwebhooks.com): HMAC-SHA256 over `${id}.${timestamp}.${body}`,
// sent as `webhook-signature: v1,<base64> [v1,<base64> ...]`. Several signatures in one header let a
// sender rotate its secret; the receiver accepts a delivery when any signature matches any secret.

import { hmacBase64 } from "#digest";
import { timingSafeEqual } from "./compare.ts";
import { type Bytes, fromBase64, toBytes, utf8 } from "./encoding.ts";

export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
const SECRET_PREFIX = "whsec_";

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Secrets are `whsec_<base64 key>` as the spec writes them; the prefix is optional. */
export function webhookSecretKey(secret: string): Bytes {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  try {
    const key = fromBase64(encoded);
    if (key.length === 0) throw new Error("empty");
    return key;
  } catch {
    throw new Error(
      "a webhook secret must be `whsec_` followed by base64 (e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw)",
    );
  }
}

export function signedContent(id: string, timestamp: string, body: string | Uint8Array): Bytes {
  const prefix = utf8(`${id}.${timestamp}.`);
  const payload = toBytes(body);
  const content = new Uint8Array(prefix.length + payload.length);
  content.set(prefix, 0);
  content.set(payload, prefix.length);
  return content;
}

export async function webhookSignature(
  secret: string,
  id: string,
  timestamp: string,
  body: string | Uint8Array,
) {
  return `v1,${await hmacBase64("SHA-256", webhookSecretKey(secret), signedContent(id, timestamp, body))}`;
}

/** The three headers for one delivery, signed with every given secret (two during a rotation). */
export async function signWebhook(
  secrets: string | readonly string[],
  delivery: { id: string; body: string | Uint8Array; now: Date },
): Promise<WebhookHeaders> {
  const timestamp = String(Math.floor(delivery.now.getTime() / 1000));
  const all = typeof secrets === "string" ? [secrets] : secrets;
  if (all.length === 0) throw new Error("signWebhook needs at least one secret");
  const signatures = await Promise.all(
    all.map((s) => webhookSignature(s, delivery.id, timestamp, delivery.body)),
  );
  return {
    "webhook-id": delivery.id,
    "webhook-timestamp": timestamp,
    "webhook-signature": signatures.join(" "),
  };
}

/** Remembers delivery ids so a captured, correctly signed delivery cannot be replayed. */
export interface ReplayGuard {
  /** True the first time `id` is seen; false if it was seen before and has not expired. */
  firstSeen(id: string, expiresAt: Date, now: Date): Promise<boolean>;
}

/** In-process replay guard; the durable one lives in the store. */
export function memoryReplayGuard(): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    async firstSeen(id, expiresAt, now) {
      for (const [key, expiry] of seen) if (expiry <= now.getTime()) seen.delete(key);
      if (seen.has(id)) return false;
      seen.set(id, expiresAt.getTime());
      return true;
    },
  };
}

export type WebhookRejection =
  | "missing-headers"
  | "bad-timestamp"
  | "expired"
  | "future"
  | "bad-signature"
  | "replayed";

export type WebhookVerification =
  | { ok: true; id: string; timestamp: Date }
  | { ok: false; reason: WebhookRejection; message: string };

export async function verifyWebhook(
  request: { headers: Headers | Record<string, string>; body: string | Uint8Array },
  options: {
    secrets: readonly string[];
    now: Date;
    toleranceSeconds?: number;
    replayGuard?: ReplayGuard;
  },
): Promise<WebhookVerification> {
  const get = (name: string) =>
    request.headers instanceof Headers
      ? (request.headers.get(name) ?? undefined)
      : Object.entries(request.headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const id = get("webhook-id");
  const timestamp = get("webhook-timestamp");
  const signatureHeader = get("webhook-signature");
  if (!id || !timestamp || !signatureHeader) {
    return reject(
      "missing-headers",
      "webhook-id, webhook-timestamp and webhook-signature headers are all required",
    );
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return reject("bad-timestamp", "webhook-timestamp must be Unix time in whole seconds");
  }
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  const sentAt = Number(timestamp);
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (sentAt < nowSeconds - tolerance)
    return reject("expired", `webhook-timestamp is more than ${tolerance}s old`);
  if (sentAt > nowSeconds + tolerance) {
    return reject("future", `webhook-timestamp is more than ${tolerance}s in the future`);
  }

  const offered = signatureHeader
    .split(" ")
    .filter((part) => part.startsWith("v1,"))
    .map((part) => part.slice(3));
  let matched = false;
  for (const secret of options.secrets) {
    const expected = (await webhookSignature(secret, id, timestamp, request.body)).slice(3);
    // Check every pair (no early exit) so the time taken does not reveal which secret matched.
    for (const candidate of offered) if (timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) return reject("bad-signature", "no webhook-signature matches a configured secret");

  if (options.replayGuard) {
    // An id only needs remembering while its timestamp is still inside the tolerance window.
    const expiresAt = new Date((sentAt + tolerance + 1) * 1000);
    if (!(await options.replayGuard.firstSeen(id, expiresAt, options.now))) {
      return reject("replayed", `webhook-id ${JSON.stringify(id)} was already delivered`);
    }
  }
  return { ok: true, id, timestamp: new Date(sentAt * 1000) };
}

function reject(reason: WebhookRejection, message: string): WebhookVerification {
  return { ok: false, reason, message };
}
