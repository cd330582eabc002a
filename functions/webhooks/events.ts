// POST /webhooks/events: generic events from any system that can sign, with Standard Webhooks.
// The signature covers the raw body, so it is checked on the bytes as received, before parsing.
import type { Context } from "hono";
import { parseSignedEvent } from "../../shared/events/inbound/signed.ts";
import { errorResponse } from "../errors.ts";
import { readJson } from "../request-body.ts";
import { checkSignedEvent } from "./auth.ts";
import { deliver, malformed, unavailable, type WebhookDeps } from "./deliver.ts";

const EXAMPLE = '{"type": "nodepool.resize", "data": {"cluster": "qa-1", "pool": "workers", "size": 5}}';

export async function signedEventWebhook(c: Context, deps: WebhookDeps): Promise<Response> {
  const off = unavailable(c, deps, "events");
  if (off) return off;
  const body = new Uint8Array(await c.req.arrayBuffer());
  const verified = await checkSignedEvent(
    { headers: c.req.raw.headers, body },
    deps.credentials.events.secrets,
    deps.realNow(),
  );
  if (!verified.ok) {
    deps.log.warn("webhook refused: bad signature", { source: "events", reason: verified.reason });
    // Which check failed is safe to say (headers missing, a clock off by minutes); for a signature
    // that does not match, nothing more than that.
    return errorResponse(c, 401, "unauthorized", verified.message, {
      source: "events",
      reason: verified.reason,
    });
  }
  const read = await readJson(c, EXAMPLE);
  if ("refused" in read) return read.refused;
  const parsed = parseSignedEvent(read.body, { id: verified.id, sentAt: verified.timestamp });
  if (!parsed.ok) return malformed(c, parsed);
  return deliver(c, deps, "events", parsed.events);
}
