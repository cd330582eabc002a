// The webhook sink: a Standard-Webhooks-signed POST whose body carries the renewed kubeconfig
// (the issue asks to deliver it; a fetch link would need the receiver to hold an admin token).
// Because the body is a credential, the URL must be https (plain http only to this machine), and
// redirects are never followed. Sending, signing and the retry classification are the notices'
// (shared/events/notices.ts); the `webhook-id` is the delivery id, the same on every retry.
import { type NoticeFetch, safeUrl, sendNotice } from "../../events/notices.ts";
import { webhookSecretKey } from "../../signer/webhooks.ts";
import type { CredentialDelivery, CredentialSink, DeliveryResult } from "./sink.ts";
import { SinkConfigError } from "./sink.ts";

export const RENEWAL_EVENT_TYPE = "nightshift.kubeconfig.renewed";

export interface WebhookSinkOptions {
  name: string;
  url: string;
  /** `whsec_...`; two during a secret rotation. */
  secrets: string | readonly string[];
  fetch: NoticeFetch;
  /** The clock each attempt is signed with. */
  now: () => Date;
  /** Quick attempts within one delivery (default 3); later retries are the sink state's. */
  attempts?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The JSON body of one delivery: Standard Webhooks' {type, timestamp, data}; the same on retries. */
export function renewalWebhookBody(delivery: CredentialDelivery): string {
  const { subject, issuer, serial, notBefore, notAfter } = delivery.certificate;
  return JSON.stringify({
    type: RENEWAL_EVENT_TYPE,
    // The credential's own time, not the sending time, so every retry sends the same bytes.
    timestamp: notBefore.toISOString(),
    data: {
      target: delivery.target,
      certificate: {
        subject,
        issuer,
        serial,
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
      },
      kubeconfig: delivery.kubeconfig,
    },
  });
}

/** Checks the configuration (throws a SinkConfigError naming the field) and returns the sink. */
export function webhookSink(options: WebhookSinkOptions): CredentialSink {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new SinkConfigError(
      "url",
      `sink ${options.name}: url must be an absolute https URL, e.g. https://ci.example.com/hooks/kubeconfig`,
    );
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new SinkConfigError(
      "url",
      `sink ${options.name}: url must be https (it carries a kubeconfig); plain http is allowed only to localhost, got ${safeUrl(options.url)}`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new SinkConfigError(
      "url",
      `sink ${options.name}: url must not carry a user name or password; deliveries are signed with the webhook secret`,
    );
  }
  const secrets = typeof options.secrets === "string" ? [options.secrets] : options.secrets;
  if (secrets.length === 0)
    throw new SinkConfigError("secret", `sink ${options.name}: a webhook secret (whsec_...) is required`);
  for (const secret of secrets) {
    try {
      webhookSecretKey(secret);
    } catch (error) {
      throw new SinkConfigError("secret", `sink ${options.name}: ${(error as Error).message}`);
    }
  }
  const destination = safeUrl(options.url);

  return {
    name: options.name,
    kind: "webhook",
    destination,
    async deliver(delivery): Promise<DeliveryResult> {
      const outcome = await sendNotice({
        url: options.url,
        secrets,
        id: delivery.id,
        body: renewalWebhookBody(delivery),
        now: options.now,
        fetch: options.fetch,
        sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        random: options.random ?? Math.random,
        attempts: options.attempts ?? 3,
        timeoutMs: options.timeoutMs,
      });
      if (outcome.delivered) {
        return {
          ok: true,
          detail: `${destination} answered HTTP ${outcome.status} after ${outcome.attempts} attempt(s)`,
        };
      }
      if (outcome.status !== undefined) {
        // Built from the status alone: the receiver's answer is not quoted, in case it echoes the body.
        const redirect = outcome.status >= 300 && outcome.status < 400;
        return {
          ok: false,
          reason: "refused",
          status: outcome.status,
          retryable: outcome.retryable,
          message: redirect
            ? `${destination} redirected (HTTP ${outcome.status}); redirects are not followed: set the sink's url to the final address`
            : `${destination} refused the delivery with HTTP ${outcome.status}`,
        };
      }
      return {
        ok: false,
        reason: "unreachable",
        retryable: outcome.retryable,
        message: `${destination} could not be reached after ${outcome.attempts} attempt(s): ${outcome.error}`,
      };
    },
  };
}
