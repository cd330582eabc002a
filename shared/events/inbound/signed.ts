// A generic event signed with Standard Webhooks (https://www.standardwebhooks.com): the body
// `{type, data, timestamp?}` as the spec's payload structure has it, the duplicate key the
// delivery's `webhook-id` (a sender keeps it across retries, so a replay is a duplicate).
// The signature itself is checked before this, on the raw body (shared/signer/webhooks.ts).
import * as z from "zod";
import type { InboundEvent } from "../inbound.ts";
import { type InboundParse, instant, parseWith, refused, rfc3339 } from "./validation.ts";

export const signedEventSchema = z.object({
  type: z
    .string()
    .min(1, 'must name the event, e.g. "nodepool.resize"')
    .max(256, "must be at most 256 characters"),
  data: z.record(z.string(), z.unknown(), {
    error: 'must be a JSON object with the event\'s fields, e.g. {"pool": "workers", "size": 5}',
  }),
  /** When the event happened; the delivery's webhook-timestamp when absent. */
  timestamp: rfc3339.optional(),
});

export type SignedEventBody = z.infer<typeof signedEventSchema>;

// Ids are keys in the store and lines in the ledger: printable ASCII, bounded.
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;

/** The delivery's id and time, from its verified `webhook-id` and `webhook-timestamp` headers. */
export interface SignedDelivery {
  id: string;
  sentAt: Date;
}

export function parseSignedEvent(body: unknown, delivery: SignedDelivery): InboundParse {
  if (!WEBHOOK_ID.test(delivery.id)) {
    return refused(
      "webhook-id",
      "must be 1 to 256 printable ASCII characters without spaces, e.g. msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
    );
  }
  const parsed = parseWith(signedEventSchema, body);
  if (!parsed.ok) return parsed;
  const event: InboundEvent = {
    source: "events",
    id: delivery.id,
    type: parsed.value.type,
    labels: {},
    data: parsed.value.data,
    occurredAt: parsed.value.timestamp ? instant(parsed.value.timestamp) : delivery.sentAt.toISOString(),
    origin: { sentAt: delivery.sentAt.toISOString() },
  };
  return { ok: true, events: [event] };
}
