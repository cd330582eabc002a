// Notices: a Standard-Webhooks-signed POST of a JSON body (pre-action notices, outcome notices).
//
// `webhook-id` is the caller's stable id (the operation or slot id), the same on every attempt and
// on every later tick that sends the same notice again, so a receiver dedupes on it. Each attempt
// is signed afresh with the clock's time, so a delivery that waited through backoff is still inside
// the receiver's 5-minute tolerance.
//
// When an attempt is sent again (at most `attempts` in all, full-jitter backoff):
//   network error, timeout, 408, 429, 5xx (except 501/505)   retry (Retry-After honoured up to 60 s)
//   3xx (redirects are not followed: the signature is for this URL), other 4xx, 501, 505   stop
// The outcome says whether a later try may succeed (`retryable`), for the caller to reschedule.
import { backoffDelay, retryAfterMs } from "../http/client.ts";
import type { Logger } from "../log/logger.ts";
import { signWebhook, webhookSecretKey } from "../signer/webhooks.ts";

export const NOTICE_RETRY = { attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };
export const NOTICE_TIMEOUT_MS = 10_000;

export type NoticeFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface NoticeDelivery {
  url: string;
  /** `whsec_...` secrets; two during a rotation (the delivery carries a signature per secret). */
  secrets: string | readonly string[];
  /** The operation or slot id: becomes `webhook-id`, unchanged across retries. */
  id: string;
  /** Sent as is when a string (the exact bytes signed), JSON-encoded otherwise. */
  body: unknown;
  /** Read at each attempt: every attempt is signed with the time it is sent. */
  now: () => Date;
  fetch: NoticeFetch;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Attempts in all, including the first. Default 4. */
  attempts?: number;
  timeoutMs?: number;
  log?: Logger;
}

export type NoticeOutcome =
  | { delivered: true; status: number; attempts: number }
  | { delivered: false; status?: number; attempts: number; retryable: boolean; error: string };

export async function sendNotice(delivery: NoticeDelivery): Promise<NoticeOutcome> {
  const problem = checkDelivery(delivery);
  const body = problem ? undefined : encodeBody(delivery.body);
  if (problem || typeof body !== "string") {
    const error = problem ?? "the notice body must be a string or a JSON-serializable value";
    return { delivered: false, attempts: 0, retryable: false, error };
  }
  const attempts = delivery.attempts ?? NOTICE_RETRY.attempts;
  const target = safeUrl(delivery.url);

  let last: Extract<NoticeOutcome, { delivered: false }> = {
    delivered: false,
    attempts: 0,
    retryable: true,
    error: "not sent",
  };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const sentAt = delivery.now();
    const headers = await signWebhook(delivery.secrets, { id: delivery.id, body, now: sentAt });
    let waitAtLeast = 0;
    try {
      const response = await delivery.fetch(delivery.url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "user-agent": "nightshift" },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(delivery.timeoutMs ?? NOTICE_TIMEOUT_MS),
      });
      const status = response.status;
      const excerpt = (await response.text().catch(() => "")).slice(0, 200);
      if (status >= 200 && status < 300) return { delivered: true, status, attempts: attempt };
      const retryable =
        status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
      const error =
        status >= 300 && status < 400
          ? `the receiver redirected (HTTP ${status} to ${response.headers.get("location") ?? "?"}); set the notice URL to the final address`
          : `the receiver answered HTTP ${status}${excerpt ? `: ${excerpt}` : ""}`;
      last = { delivered: false, status, attempts: attempt, retryable, error };
      if (!retryable) break;
      const asked = retryAfterMs(response.headers, sentAt);
      if (asked !== undefined) {
        if (asked > NOTICE_RETRY.maxRetryAfterMs) break;
        waitAtLeast = asked;
      }
    } catch (error) {
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      last = {
        delivered: false,
        attempts: attempt,
        retryable: true,
        error: `the notice could not be delivered (${why})`,
      };
    }
    if (attempt === attempts) break;
    const delayMs = Math.max(waitAtLeast, backoffDelay(NOTICE_RETRY, attempt - 1, delivery.random));
    delivery.log?.warn("notice: retrying", {
      id: delivery.id,
      url: target,
      attempt,
      delayMs: Math.round(delayMs),
      error: last.error,
    });
    await delivery.sleep(delayMs);
  }
  delivery.log?.error("notice: not delivered", {
    id: delivery.id,
    url: target,
    attempts: last.attempts,
    error: last.error,
  });
  return last;
}

function checkDelivery(delivery: NoticeDelivery): string | undefined {
  let url: URL;
  try {
    url = new URL(delivery.url);
  } catch {
    return `the notice URL must be an absolute http(s) URL; got ${JSON.stringify(safeUrl(delivery.url))}`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `the notice URL must be http(s); got ${url.protocol}`;
  }
  if (!/^[\x21-\x7e]{1,256}$/.test(delivery.id)) {
    return "the notice id (webhook-id) must be 1-256 visible ASCII characters, e.g. the operation id";
  }
  const secrets = typeof delivery.secrets === "string" ? [delivery.secrets] : delivery.secrets;
  if (secrets.length === 0) return "a notice needs at least one webhook secret (whsec_...)";
  try {
    for (const secret of secrets) webhookSecretKey(secret);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

function encodeBody(body: unknown): string | undefined {
  if (typeof body === "string") return body;
  try {
    return JSON.stringify(body);
  } catch {
    return undefined;
  }
}

/** The URL without credentials or query, for logs and messages (either may carry a token). */
export function safeUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return text.length > 80 ? `${text.slice(0, 80)}…` : text;
  }
}
