// POST /webhooks/alertmanager: Prometheus Alertmanager's `webhook_configs` receiver. Alertmanager
// cannot sign, so it authenticates with its `http_config` (a bearer token or basic auth).
import type { Context } from "hono";
import { parseAlertmanager } from "../../shared/events/inbound/alertmanager.ts";
import { errorResponse } from "../errors.ts";
import { readJson } from "../request-body.ts";
import { alertmanagerChallenges, checkAlertmanager } from "./auth.ts";
import { deliver, malformed, unavailable, type WebhookDeps } from "./deliver.ts";

const EXAMPLE = '{"version": "4", "groupKey": "...", "status": "firing", "alerts": [...]}';

export async function alertmanagerWebhook(c: Context, deps: WebhookDeps): Promise<Response> {
  const off = unavailable(c, deps, "alertmanager");
  if (off) return off;
  const credentials = deps.credentials.alertmanager;
  if (!checkAlertmanager(c.req.header("authorization"), credentials)) {
    deps.log.warn("webhook refused: bad or missing credentials", { source: "alertmanager" });
    for (const challenge of alertmanagerChallenges(credentials))
      c.header("WWW-Authenticate", challenge, { append: true });
    return errorResponse(
      c,
      401,
      "unauthorized",
      "send the receiver's credentials as Alertmanager's http_config does: authorization (Bearer) or basic_auth",
      { source: "alertmanager" },
    );
  }
  const read = await readJson(c, EXAMPLE);
  if ("refused" in read) return read.refused;
  const parsed = await parseAlertmanager(read.body);
  if (!parsed.ok) return malformed(c, parsed);
  return deliver(c, deps, "alertmanager", parsed.events);
}
