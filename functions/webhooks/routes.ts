// The webhook routes (`/webhooks/*`), one module per source; each authenticates, validates and
// normalises its sender's body into InboundEvents and hands them to `accept` (deliver.ts).
// Only POST is served; the body-size limit (functions/request-body.ts) runs before any of them.
import { Hono } from "hono";
import { errorResponse } from "../errors.ts";
import { alertmanagerWebhook } from "./alertmanager.ts";
import type { WebhookDeps } from "./deliver.ts";
import { eventBridgeWebhook } from "./eventbridge.ts";
import { signedEventWebhook } from "./events.ts";

export type { WebhookDeps } from "./deliver.ts";

const HANDLERS = {
  alertmanager: alertmanagerWebhook,
  events: signedEventWebhook,
  eventbridge: eventBridgeWebhook,
} as const;

export function webhookRoutes(deps: WebhookDeps): Hono {
  const routes = new Hono();
  for (const [source, handle] of Object.entries(HANDLERS)) {
    routes.post(`/${source}`, (c) => handle(c, deps));
    routes.all(`/${source}`, (c) => {
      c.header("Allow", "POST");
      return errorResponse(c, 405, "method_not_allowed", `use POST /webhooks/${source}`);
    });
  }
  return routes;
}
