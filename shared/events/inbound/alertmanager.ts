// The Prometheus Alertmanager webhook payload (version "4", as `webhook_configs` posts it) into
// InboundEvents: one per alert, so each alert is deduped and matched on its own. Alertmanager HA
// pairs and retries send the same alert again; its id is a digest of what identifies one
// notification of one alert (groupKey, fingerprint, startsAt, status), the same from every member.
// https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
import * as z from "zod";
import { sha256Hex } from "../../signer/digest.ts";
import type { InboundEvent } from "../inbound.ts";
import { type InboundParse, instant, parseWith, rfc3339, stringMap } from "./validation.ts";

const STATUS = z.enum(["firing", "resolved"]);

const alertSchema = z.object({
  status: STATUS,
  labels: stringMap,
  annotations: stringMap,
  startsAt: rfc3339,
  /** "0001-01-01T00:00:00Z" while a firing alert has no known end. */
  endsAt: rfc3339,
  generatorURL: z.string(),
  fingerprint: z.string().min(1, "must not be empty (Alertmanager's hash of the alert's labels)"),
});

export const alertmanagerPayloadSchema = z.object({
  version: z.literal("4", {
    error: 'must be "4": nightshift reads Alertmanager\'s webhook payload version 4',
  }),
  groupKey: z.string().min(1, "must not be empty (Alertmanager's key of the notification group)"),
  // Older Alertmanagers (before 0.22) leave it out; it only says alerts were dropped by max_alerts.
  truncatedAlerts: z.number().int().min(0).default(0),
  status: STATUS,
  receiver: z.string(),
  groupLabels: stringMap,
  commonLabels: stringMap,
  commonAnnotations: stringMap,
  externalURL: z.string(),
  alerts: z.array(alertSchema).min(1, "must hold at least one alert"),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

/** The duplicate key of one alert's notification: SHA-256 (hex) of groupKey, fingerprint, startsAt, status. */
export function alertEventId(
  groupKey: string,
  alert: Pick<AlertmanagerPayload["alerts"][number], "fingerprint" | "startsAt" | "status">,
): Promise<string> {
  // startsAt as an instant, so two members writing the same time differently still agree.
  return sha256Hex(JSON.stringify([groupKey, alert.fingerprint, instant(alert.startsAt), alert.status]));
}

export async function parseAlertmanager(body: unknown): Promise<InboundParse> {
  const parsed = parseWith(alertmanagerPayloadSchema, body);
  if (!parsed.ok) return parsed;
  const payload = parsed.value;
  const events = await Promise.all(
    payload.alerts.map(async (alert): Promise<InboundEvent> => {
      // The alert's own labels win over the group's common ones (they can only agree, but a
      // hand-written payload might not).
      const labels = { ...payload.commonLabels, ...alert.labels };
      return {
        source: "alertmanager",
        id: await alertEventId(payload.groupKey, alert),
        type: labels.alertname ?? "",
        status: alert.status,
        labels,
        data: { ...payload.commonAnnotations, ...alert.annotations },
        occurredAt: instant(alert.status === "resolved" ? alert.endsAt : alert.startsAt),
        origin: {
          receiver: payload.receiver,
          groupKey: payload.groupKey,
          fingerprint: alert.fingerprint,
          externalURL: payload.externalURL,
          ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
          ...(payload.truncatedAlerts > 0 ? { truncatedAlerts: String(payload.truncatedAlerts) } : {}),
        },
      };
    }),
  );
  return { ok: true, events };
}
