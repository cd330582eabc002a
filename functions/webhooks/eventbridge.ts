// POST /webhooks/eventbridge: AWS EventBridge events delivered by an API destination, whose
// connection authenticates with an API key sent in a header of the connection's choosing.
import type { Context } from "hono";
import { parseEventBridgeEvent } from "../../shared/events/inbound/eventbridge.ts";
import { errorResponse } from "../errors.ts";
import { readJson } from "../request-body.ts";
import { checkApiKey } from "./auth.ts";
import { deliver, malformed, unavailable, type WebhookDeps } from "./deliver.ts";

const EXAMPLE =
  '{"version": "0", "id": "...", "detail-type": "...", "source": "...", "account": "...", "time": "...", "region": "...", "resources": [], "detail": {}}';

export async function eventBridgeWebhook(c: Context, deps: WebhookDeps): Promise<Response> {
  const off = unavailable(c, deps, "eventbridge");
  if (off) return off;
  const credentials = deps.credentials.eventbridge;
  if (!checkApiKey(c.req.raw.headers, credentials)) {
    deps.log.warn("webhook refused: bad or missing API key", { source: "eventbridge" });
    return errorResponse(
      c,
      401,
      "unauthorized",
      `send the EventBridge connection's API key in the ${credentials.header} header (API key authorization)`,
      { source: "eventbridge", header: credentials.header },
    );
  }
  const read = await readJson(c, EXAMPLE);
  if ("refused" in read) return read.refused;
  const parsed = parseEventBridgeEvent(read.body);
  if (!parsed.ok) return malformed(c, parsed);
  return deliver(c, deps, "eventbridge", parsed.events);
}
