// An AWS EventBridge event as an API destination delivers it: the rule's target sends the event
// envelope itself as the body (no input transformer), so its `id` is the duplicate key (EventBridge
// delivers at least once and retries with the same id).
// https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
import * as z from "zod";
import type { InboundEvent } from "../inbound.ts";
import { type InboundParse, instant, parseWith, rfc3339 } from "./validation.ts";

const nonEmpty = (what: string) => z.string().min(1, `must not be empty (${what})`);

export const eventBridgeEnvelopeSchema = z.object({
  version: z.string(),
  id: nonEmpty("the event's id").max(256, "must be at most 256 characters"),
  "detail-type": nonEmpty('what kind of event it is, e.g. "Nightly E2E Started"'),
  source: nonEmpty('who sent it, e.g. "com.example.ci"'),
  account: nonEmpty("the AWS account id"),
  time: rfc3339,
  region: nonEmpty("the AWS region, e.g. eu-central-1"),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown(), {
    error:
      "must be a JSON object; send the event itself (an API destination target without an input transformer)",
  }),
});

export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

export function parseEventBridgeEvent(body: unknown): InboundParse {
  const parsed = parseWith(eventBridgeEnvelopeSchema, body);
  if (!parsed.ok) return parsed;
  const envelope = parsed.value;
  const event: InboundEvent = {
    source: "eventbridge",
    id: envelope.id,
    type: envelope["detail-type"],
    labels: {},
    data: envelope.detail,
    occurredAt: instant(envelope.time),
    origin: {
      source: envelope.source,
      account: envelope.account,
      region: envelope.region,
      ...(envelope.resources.length > 0 ? { resources: envelope.resources.join(",") } : {}),
    },
  };
  return { ok: true, events: [event] };
}
