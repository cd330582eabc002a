// The webhook routes (functions/webhooks/routes.ts) as the OpenAPI document describes them: their
// bodies are the parsers' own schemas, their answers the ones deliver.ts and each handler give.
// Documentation only: the routes stay plain Hono handlers, so describing them changes nothing.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import * as z from "zod";
import { DEFAULT_EVENTBRIDGE_API_KEY_HEADER } from "../../shared/config/config.ts";
import { alertmanagerPayloadSchema } from "../../shared/events/inbound/alertmanager.ts";
import { eventBridgeEnvelopeSchema } from "../../shared/events/inbound/eventbridge.ts";
import { signedEventSchema } from "../../shared/events/inbound/signed.ts";
import { type ErrorCodes, errorResponses, jsonResponse } from "../openapi.ts";
import { RETRY_AFTER_SECONDS } from "./deliver.ts";

const Delivered = z
  .object({
    accepted: z.array(z.string()).describe("The ids of the events recorded now"),
    duplicates: z.array(z.string()).describe("The ids of events already recorded before (nothing new to do)"),
  })
  .openapi("EventsDelivered");

/** What every source answers besides its 2xx: body, auth, and whether it can record at all. */
const WEBHOOK_ERRORS = {
  400: ["invalid_json", "invalid_body"],
  401: ["unauthorized"],
  413: ["body_too_large"],
  415: ["unsupported_media_type"],
  500: ["internal"],
  503: ["webhook_disabled", "events_unavailable", "events_not_recorded"],
} as const satisfies ErrorCodes;

const responses = {
  200: jsonResponse(Delivered, "Every event was a duplicate: recorded before, nothing new (stop retrying)"),
  202: jsonResponse(
    Delivered,
    "The events are recorded (durably, before this answer) and their work started",
  ),
  ...errorResponses(WEBHOOK_ERRORS),
};

interface Source {
  path: string;
  operationId: string;
  summary: string;
  description: string;
  schema: z.ZodType;
  security: Array<Record<string, string[]>>;
}

const SOURCES: Source[] = [
  {
    path: "/alertmanager",
    operationId: "postAlertmanager",
    summary: "Prometheus Alertmanager's webhook receiver (`webhook_configs`)",
    description:
      "Authenticated by the receiver's `http_config`: a bearer token (NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS) or basic auth. Body limit 1 MiB.",
    schema: alertmanagerPayloadSchema,
    security: [{ alertmanagerToken: [] }, { alertmanagerBasic: [] }],
  },
  {
    path: "/events",
    operationId: "postSignedEvent",
    summary: "A generic event signed with Standard Webhooks",
    description:
      "`webhook-id`, `webhook-timestamp` and `webhook-signature` headers signed with a secret of NIGHTSHIFT_WEBHOOK_EVENT_SECRETS over the raw body, within 5 minutes of now. A replayed `webhook-id` is answered as a duplicate. Body limit 1 MiB.",
    schema: signedEventSchema,
    security: [],
  },
  {
    path: "/eventbridge",
    operationId: "postEventBridge",
    summary: "An AWS EventBridge event from an API destination",
    description: `The connection's API key in the \`${DEFAULT_EVENTBRIDGE_API_KEY_HEADER}\` header (or NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEY_HEADER). A 503 asks to retry after ${RETRY_AFTER_SECONDS} seconds. Body limit 1 MiB.`,
    schema: eventBridgeEnvelopeSchema,
    security: [{ eventbridgeApiKey: [] }],
  },
];

const SIGNATURE_HEADERS = z.object({
  "webhook-id": z.string().openapi({ description: "The delivery's id (the same on every retry)" }),
  "webhook-timestamp": z.string().openapi({ description: "Seconds since the epoch when it was signed" }),
  "webhook-signature": z
    .string()
    .openapi({ description: "`v1,<base64 HMAC-SHA256>`, space-separated if several" }),
});

/** A router that only describes /webhooks/* (mount it in the document, never in the app). */
export function webhookDocs(): OpenAPIHono {
  const docs = new OpenAPIHono();
  const registry = docs.openAPIRegistry;
  registry.registerComponent("securitySchemes", "alertmanagerToken", { type: "http", scheme: "bearer" });
  registry.registerComponent("securitySchemes", "alertmanagerBasic", { type: "http", scheme: "basic" });
  registry.registerComponent("securitySchemes", "eventbridgeApiKey", {
    type: "apiKey",
    in: "header",
    name: DEFAULT_EVENTBRIDGE_API_KEY_HEADER,
  });
  for (const source of SOURCES) {
    registry.registerPath(
      createRoute({
        method: "post",
        path: source.path,
        operationId: source.operationId,
        tags: ["webhooks"],
        summary: source.summary,
        description: source.description,
        security: source.security,
        request: {
          ...(source.path === "/events" ? { headers: SIGNATURE_HEADERS } : {}),
          body: { required: true, content: { "application/json": { schema: source.schema } } },
        },
        responses,
      }),
    );
  }
  return docs;
}
