// The payload formats `nightshift match` reads on stdin, by name (--format). Each turns a body
// into the InboundEvents the webhook routes would hand to `accept`. `inbound` is the normalised
// shape itself (shared/events/inbound.ts); the webhook routes' parsers (Alertmanager, Standard
// Webhooks, EventBridge) are added here under their source's name, so a sample payload can be
// checked exactly as the route would see it.
import { z } from "zod";
import { INBOUND_SOURCES, type InboundEvent } from "../../shared/events/inbound.ts";

export type EventFormat = (body: unknown) => { events: InboundEvent[] } | { error: string };

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
const inbound: EventFormat = (body) => {
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

export const EVENT_FORMATS: Readonly<Record<string, EventFormat>> = { inbound };
