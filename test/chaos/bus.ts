// A flaky EventBridge for the chaos scenarios: the product's real publisher
// (createEventBridgePublisher) over a PutEvents sender that, by seeded dice, refuses whole calls
// (a thrown 500) or single entries (InternalFailure), and records every entry it accepted. "Each
// event once" is then: every eventId accepted exactly once.
import {
  createEventBridgePublisher,
  type EventPublisher,
  PutEventsCallError,
  type PutEventsOutput,
  type PutEventsRequestEntry,
} from "../../shared/events/eventbridge.ts";

export interface FlakyBus {
  publisher: EventPublisher;
  /** Accepted entries' detail, in order (detail.eventId included). */
  accepted: Array<Record<string, unknown> & { eventId: string }>;
  /** Calls refused whole, and entries refused one by one. */
  refusedCalls: number;
  refusedEntries: number;
  /** eventIds accepted more than once (expected none). */
  duplicates(): string[];
}

export function flakyBus(random: () => number, rates = { call: 0.1, entry: 0.1 }): FlakyBus {
  const bus: FlakyBus = {
    publisher: undefined as unknown as EventPublisher,
    accepted: [],
    refusedCalls: 0,
    refusedEntries: 0,
    duplicates() {
      const seen = new Map<string, number>();
      for (const e of bus.accepted) seen.set(e.eventId, (seen.get(e.eventId) ?? 0) + 1);
      return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    },
  };
  const client = {
    async putEvents(requested: readonly PutEventsRequestEntry[]): Promise<PutEventsOutput> {
      if (random() < rates.call) {
        bus.refusedCalls++;
        throw new PutEventsCallError(
          "InternalException",
          "We encountered an internal error. Please try again.",
          500,
        );
      }
      const entries = requested.map((entry) => {
        if (random() < rates.entry) {
          bus.refusedEntries++;
          return { ErrorCode: "InternalFailure", ErrorMessage: "internal failure" };
        }
        bus.accepted.push(JSON.parse(entry.Detail ?? "{}"));
        return { EventId: crypto.randomUUID() };
      });
      return { FailedEntryCount: entries.filter((e) => "ErrorCode" in e).length, Entries: entries };
    },
  };
  bus.publisher = createEventBridgePublisher({ client, sleep: async () => {}, random });
  return bus;
}
