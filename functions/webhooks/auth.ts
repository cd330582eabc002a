// Who may post to the webhook routes, one check per kind of sender. Every secret comparison is
// constant-time and runs against every configured value (several are valid during a rotation), so
// the time taken does not say which value, or which part of one, matched. The scheme a request
// uses is not secret: branching on it leaks nothing.
import type { WebhookCredentials } from "../../shared/config/config.ts";
import { checkAuthorization, matchesAny } from "../../shared/signer/credentials.ts";
import { verifyWebhook, type WebhookVerification } from "../../shared/signer/webhooks.ts";

const REALM = "nightshift";

/** Alertmanager's `http_config`: `authorization` (a bearer token) or `basic_auth`. */
export function checkAlertmanager(
  authorization: string | undefined,
  credentials: WebhookCredentials["alertmanager"],
): boolean {
  const bearer =
    credentials.tokens.length > 0 &&
    checkAuthorization(authorization, { kind: "bearer", tokens: credentials.tokens });
  const basic =
    credentials.basic !== undefined &&
    checkAuthorization(authorization, {
      kind: "basic",
      username: credentials.basic.username,
      passwords: credentials.basic.passwords,
    });
  return bearer || basic;
}

/** The challenges a 401 on /webhooks/alertmanager offers: the schemes that are configured. */
export function alertmanagerChallenges(credentials: WebhookCredentials["alertmanager"]): string[] {
  return [
    ...(credentials.tokens.length > 0 ? [`Bearer realm="${REALM}"`] : []),
    ...(credentials.basic ? [`Basic realm="${REALM}", charset="UTF-8"`] : []),
  ];
}

/** An EventBridge connection's API-key authorization: the configured header carries one of the keys. */
export function checkApiKey(headers: Headers, credentials: WebhookCredentials["eventbridge"]): boolean {
  const value = headers.get(credentials.header);
  return value !== null && matchesAny(value, credentials.apiKeys);
}

/**
 * A Standard-Webhooks delivery: any signature by any configured secret over the raw body, sent
 * within the 5-minute tolerance of `now` (real time). Replays are not refused here: a replayed
 * `webhook-id` is a duplicate to the durable record behind `accept`, and answered as one.
 */
export function checkSignedEvent(
  request: { headers: Headers; body: Uint8Array },
  secrets: readonly string[],
  now: Date,
): Promise<WebhookVerification> {
  return verifyWebhook(request, { secrets, now });
}
