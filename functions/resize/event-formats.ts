// The payload formats `nightshift match` reads on stdin, by name (--format). Each turns a body into
// the InboundEvents the webhook routes would hand to `accept`, with the routes' own parsers
// (shared/events/inbound/), so a sample payload is checked exactly as the route would see it:
// `alertmanager` (the webhook receiver's payload, one event per alert), `events` (a signed event's
// JSON body: the signature and its headers are the route's business, so the id is "stdin" and the
// delivery time now), `eventbridge` (the envelope an API destination posts), and `inbound` (the
// normalised shape itself, shared/events/inbound.ts, or a list of them).
import * as z from "zod";
import { parseAlertmanager } from "../../shared/events/inbound/alertmanager.ts";
import { parseEventBridgeEvent } from "../../shared/events/inbound/eventbridge.ts";
import { parseSignedEvent } from "../../shared/events/inbound/signed.ts";
import type { InboundParse } from "../../shared/events/inbound/validation.ts";
import { INBOUND_SOURCES, type InboundEvent } from "../../shared/events/inbound.ts";

export type EventFormat = (
  body: unknown,
  now: Date,
) => Promise<{ events: InboundEvent[] } | { error: string }>;

/** The id a signed event read from stdin gets (a delivery's webhook-id is a header, not in the body). */
export const STDIN_EVENT_ID = "stdin";

/** A parser's refusal as one message: every problem, each naming its field. */
const fromParse = (parsed: InboundParse, expected: string) =>
  parsed.ok ? { events: parsed.events } : { error: `${parsed.issues.join("; ")} (expected ${expected})` };

const InboundEventSchema = z.strictObject({
  source: z.enum(INBOUND_SOURCES),
  id: z.string().min(1),
  type: z.string().min(1),
  status: z.enum(["firing", "resolved"]).optional(),
  labels: z.record(z.string(), z.string()).default({}),
  data: z.unknown().default({}),
  occurredAt: z.string().default(() => new Date(0).toISOString()),
  origin: z.record(z.string(), z.string()).default({}),
});

/** The normalised event (or a list of them), as shared/events/inbound.ts defines it. */
const inbound: EventFormat = async (body) => {
  const parsed = z.union([InboundEventSchema, z.array(InboundEventSchema)]).safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const inner = issue.code === "invalid_union" ? (issue.errors[0]?.[0] ?? issue) : issue;
    const path = [...issue.path, ...(inner === issue ? [] : inner.path)].join(".");
    return {
      error: `${path || "(root)"}: ${inner.message} (expected an InboundEvent: source, id, type, status?, labels, data, occurredAt, origin)`,
    };
  }
  const events = (Array.isArray(parsed.data) ? parsed.data : [parsed.data]).map(
    (event) => ({ ...event, data: event.data ?? {} }) as InboundEvent,
  );
  return { events };
};

export const EVENT_FORMATS: Readonly<Record<string, EventFormat>> = {
  alertmanager: async (body) =>
    fromParse(await parseAlertmanager(body), "Alertmanager's webhook payload, version 4"),
  events: async (body, now) =>
    fromParse(
      parseSignedEvent(body, { id: STDIN_EVENT_ID, sentAt: now }),
      'a signed event\'s body, {"type": ..., "data": {...}, "timestamp"?: ...}',
    ),
  eventbridge: async (body) =>
    fromParse(parseEventBridgeEvent(body), "an EventBridge event envelope, as an API destination posts it"),
  inbound,
};
