// What every webhook route shares once a request is authenticated and its events parsed: hand them
// to `accept` and answer by what became of them. The answer waits for `accept`, which records every
// event durably, so a 2xx means nothing is lost; when it throws, 503 with Retry-After, because
// Alertmanager and Standard-Webhooks senders retry 5xx (and give up on 4xx).
import type { Context } from "hono";
import type { WebhookCredentials } from "../../shared/config/config.ts";
import type { InboundParse } from "../../shared/events/inbound/validation.ts";
import type { AcceptEvents, InboundEvent, InboundSource } from "../../shared/events/inbound.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { errorResponse } from "../errors.ts";

export interface WebhookDeps {
  credentials: WebhookCredentials;
  /** Records, dedupes and routes events (the resize function). Unset: every route answers 503. */
  accept?: AcceptEvents;
  /** The clouds' time, given to `accept` (rules, cooldowns). */
  now: () => Date;
  /** Real time: a signed delivery's timestamp is checked against it. */
  realNow: () => Date;
  log: Logger;
}

/** Seconds a sender is asked to wait before retrying a delivery that could not be recorded. */
export const RETRY_AFTER_SECONDS = 10;

/** The variables that turn a source on, for the 503 that says it is off. */
const SOURCE_SETTINGS: Record<
  InboundSource,
  { configured: (c: WebhookCredentials) => boolean; variables: string }
> = {
  alertmanager: {
    configured: (c) => c.alertmanager.tokens.length > 0 || c.alertmanager.basic !== undefined,
    variables:
      "NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS (bearer) or NIGHTSHIFT_WEBHOOK_ALERTMANAGER_USERNAME and _PASSWORDS (basic auth)",
  },
  events: {
    configured: (c) => c.events.secrets.length > 0,
    variables: "NIGHTSHIFT_WEBHOOK_EVENT_SECRETS (whsec_...)",
  },
  eventbridge: {
    configured: (c) => c.eventbridge.apiKeys.length > 0,
    variables: "NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEYS (and _API_KEY_HEADER unless it is x-api-key)",
  },
};

/**
 * The 503 a route answers before anything else when it cannot take events at all: no credentials
 * configured for the source, or nothing wired to record what it would accept. Never a pretended 2xx.
 */
export function unavailable(c: Context, deps: WebhookDeps, source: InboundSource): Response | undefined {
  const settings = SOURCE_SETTINGS[source];
  if (!settings.configured(deps.credentials)) {
    return errorResponse(
      c,
      503,
      "webhook_disabled",
      `POST /webhooks/${source} is off: set ${settings.variables} to turn it on`,
      { source },
    );
  }
  if (!deps.accept) {
    return errorResponse(
      c,
      503,
      "events_unavailable",
      "this deployment has nothing to record events with (the resize function is not wired in); nothing was recorded",
      { source },
    );
  }
  return undefined;
}

/** 400 naming the field, for a body the parser refused. */
export function malformed(c: Context, refusal: Extract<InboundParse, { ok: false }>): Response {
  return errorResponse(c, 400, "invalid_body", refusal.message, {
    field: refusal.field,
    issues: refusal.issues,
  });
}

/** Hands the events to `accept`; 202 with their ids, 200 when all were duplicates, 503 when not recorded. */
export async function deliver(
  c: Context,
  deps: WebhookDeps,
  source: InboundSource,
  events: InboundEvent[],
): Promise<Response> {
  const accept = deps.accept!;
  let results: Awaited<ReturnType<AcceptEvents>>;
  try {
    results = await accept(events, deps.now());
  } catch (error) {
    deps.log.error("webhook: the events could not be recorded; the sender is told to retry", {
      source,
      events: events.length,
      error,
    });
    c.header("Retry-After", String(RETRY_AFTER_SECONDS));
    return errorResponse(
      c,
      503,
      "events_not_recorded",
      "the events could not be recorded just now; nothing was accepted, send them again",
      { source, retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }
  const accepted = results.filter((r) => r.status === "accepted").map((r) => r.id);
  const duplicates = results.filter((r) => r.status === "duplicate").map((r) => r.id);
  deps.log.routine("webhook events accepted", {
    source,
    accepted: accepted.length,
    duplicates: duplicates.length,
  });
  // All duplicates: a 2xx all the same (the sender must stop retrying), but nothing new to work on.
  return c.json({ accepted, duplicates }, accepted.length === 0 && duplicates.length > 0 ? 200 : 202);
}
