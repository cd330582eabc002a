// A stand-in for the resize function's `accept` (shared/events/inbound.ts), for the webhook tests
// and the bench while that function is not wired in: it records each event durably, through the
// store's idempotency claim keyed by source and id (one atomic compare-and-set on every backend),
// answers "duplicate" for an id recorded before, and creates no operations. Tests only: the
// product never ships an `accept` that does not act on the events.
import type { AcceptEvents, AcceptedEvent, InboundEvent } from "../../shared/events/inbound.ts";
import type { Store } from "../../shared/store/store.ts";

/** How long an id is remembered: as long as the record lives, nobody may claim it again. */
const REMEMBER_MS = 7 * 24 * 3600 * 1000;

export interface RecordingAccept {
  accept: AcceptEvents;
  /** Every event accepted (not the duplicates), in order. */
  accepted: InboundEvent[];
  /** Every event received, duplicates included, with what became of it, in order. */
  deliveries: Array<{ event: InboundEvent; status: AcceptedEvent["status"] }>;
  /** How many times `accept` was called. */
  calls: number;
}

/** The store key an event is recorded under. */
export const recordKey = (event: Pick<InboundEvent, "source" | "id">) =>
  `inbound:${event.source}:${event.id}`;

export function recordingAccept(store: Store): RecordingAccept {
  const recorder: RecordingAccept = {
    accepted: [],
    deliveries: [],
    calls: 0,
    async accept(events, now) {
      recorder.calls++;
      const results: AcceptedEvent[] = [];
      for (const event of events) {
        const claim = await store.idempotency.claim(recordKey(event), {
          fingerprint: event.id,
          leaseMs: REMEMBER_MS,
          ttlMs: REMEMBER_MS,
          now,
        });
        const fresh = claim.outcome === "claimed";
        if (fresh) recorder.accepted.push(event);
        recorder.deliveries.push({ event, status: fresh ? "accepted" : "duplicate" });
        results.push({ id: event.id, status: fresh ? "accepted" : "duplicate", operations: [] });
      }
      return results;
    },
  };
  return recorder;
}

/** An `accept` whose store is down: every call throws, as the real one does when it cannot record. */
export const failingAccept: AcceptEvents = async () => {
  throw new Error("D1_ERROR: the store is unreachable (token whsec_must-not-leak)");
};
