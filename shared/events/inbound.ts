// An event from outside, in one shape whatever brought it. The webhook routes (functions/webhooks/)
// authenticate, validate and normalise what Alertmanager, a Standard-Webhooks sender or an
// EventBridge API destination posts into `InboundEvent`s; the resize function
// (functions/resize/) records each one durably, drops the duplicates, matches the rules and
// creates the operations the jobs runtime then runs. The HTTP answer is given only after
// `accept` has returned, so an accepted event is never lost silently.

export const INBOUND_SOURCES = ["alertmanager", "events", "eventbridge"] as const;
export type InboundSource = (typeof INBOUND_SOURCES)[number];

export interface InboundEvent {
  source: InboundSource;
  /**
   * The duplicate key, unique within the source: for Alertmanager a digest of groupKey, the
   * alert's fingerprint, startsAt and status (HA pairs and retries send the same alert again);
   * a signed event's `webhook-id`; EventBridge's envelope `id`.
   */
  id: string;
  /** Alertmanager: the alert's `alertname` label; signed events: `type`; EventBridge: `detail-type`. */
  type: string;
  /** Alertmanager only: the alert's own status. */
  status?: "firing" | "resolved";
  /** Alertmanager: the alert's labels; signed events and EventBridge: none ({}). */
  labels: Record<string, string>;
  /** Signed events: `data`; EventBridge: `detail`; Alertmanager: the alert's annotations. */
  data: unknown;
  /** When the source says it happened (ISO 8601): startsAt (endsAt when resolved), webhook-timestamp, time. */
  occurredAt: string;
  /** Where it came from, for the ledger: e.g. receiver and groupKey, EventBridge source, account, region. */
  origin: Record<string, string>;
}

/** What became of one event. */
export interface AcceptedEvent {
  id: string;
  /** "duplicate": recorded before (by id); nothing more is done. */
  status: "accepted" | "duplicate";
  /** The operations created for it (their ids), empty when no rule matched or for a duplicate. */
  operations: string[];
}

/**
 * Records, dedupes and routes events. Throws when they could not be recorded (the store is down):
 * the route then answers 503 so the sender retries.
 */
export type AcceptEvents = (events: readonly InboundEvent[], now: Date) => Promise<AcceptedEvent[]>;
