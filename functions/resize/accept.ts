// `AcceptEvents` (shared/events/inbound.ts): what the webhook routes hand their normalised events
// to, before they answer. Per event: record it durably by source + id (an atomic claim in the
// store: a duplicate, however many arrive at once, finds it and creates nothing), match the rules
// (shared/rules/match.ts), create one operation per matched rule and target (its id derived from
// the event, the rule and the target, so a retry creates nothing new), and write the ledger entries
// of what is known already (a duplicate, no rule matched, a target the event does not name). The
// deciding needs the cloud and runs in the resize job (job.ts); `start` hands the created
// operations on at once (Node: the runner in-process; Workers: the operations queue).
import type { AcceptEvents, AcceptedEvent, InboundEvent } from "../../shared/events/inbound.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { ProviderKind } from "../../shared/providers/port.ts";
import { dataAt, judgeRules, type ResolvedTarget, type RuleVerdict } from "../../shared/rules/match.ts";
import { isPoolAction, type ResizeRule } from "../../shared/rules/rule-schema.ts";
import type { LedgerEntryInput } from "../../shared/store/backend.ts";
import { fingerprint, type NewOperation, type Operation, type Store } from "../../shared/store/store.ts";
import type { ResizeKind } from "./operation-data.ts";

/** How long an event's id is remembered: a duplicate within it creates nothing. */
export const EVENT_MEMORY_MS = 30 * 24 * 3600 * 1000;
/** How long one acceptance may hold an event's claim before a retry (after a crash) takes it over. */
export const ACCEPT_LEASE_MS = 60 * 1000;

export interface AcceptDeps {
  store: Store;
  rules: readonly ResizeRule[];
  /** The configured accounts: their cloud and region, to check what an event names. */
  accounts: ReadonlyMap<string, { kind: ProviderKind; region: string }>;
  log: Logger;
  /**
   * Hands created operations on at once: returns once they are on their way (Node: the in-process
   * runner is started, not awaited; Workers: they are on the operations queue).
   */
  start?: (operations: readonly Operation[], now: Date) => Promise<void>;
  /** Real time, for how long an event id is remembered (default: the `now` given to accept). */
  realNow?: () => Date;
}

/** The store key an event is recorded under: its source and id. */
export const eventKey = (event: Pick<InboundEvent, "source" | "id">) =>
  `event/${event.source}/${encodeURIComponent(event.id)}`;

/** The ledger's name for an event that has no operation (yet): a duplicate, or one no rule matched. */
const eventRef = (event: InboundEvent) => ({
  operationId: `event:${event.source}:${event.id}`,
  target: `events/${event.source}`,
});

const summary = (event: InboundEvent) => ({
  source: event.source,
  id: event.id,
  type: event.type,
  ...(event.status ? { status: event.status } : {}),
  occurredAt: event.occurredAt,
  origin: event.origin,
});

const kindOf = (rule: ResizeRule): ResizeKind =>
  isPoolAction(rule.action) ? "resize" : rule.action.kind === "wake" ? "event-wake" : "event-sleep";

/** The operation for one matched rule and target; its id is the same for every delivery of the event. */
export async function resizeOperationFor(
  event: InboundEvent,
  verdict: Extract<RuleVerdict, { target: ResolvedTarget }>,
): Promise<NewOperation> {
  const { rule, target, intent } = verdict;
  const digest = await fingerprint([event.source, event.id, rule.name, target.targetId, target.pool ?? ""]);
  const hold = !isPoolAction(rule.action) && rule.action.kind === "wake" ? rule.action.hold : undefined;
  const holdUntil = hold?.kind === "field" ? dataAt(event.data, hold.path) : undefined;
  return {
    id: `${kindOf(rule)}:${rule.name}:${digest.slice(0, 32)}`,
    target: target.targetId,
    kind: kindOf(rule),
    step: "start",
    data: {
      account: target.account,
      clusterId: target.clusterId,
      ...(target.pool !== undefined ? { pool: target.pool } : {}),
      rule,
      intent,
      event: {
        source: event.source,
        id: event.id,
        type: event.type,
        ...(event.status ? { status: event.status } : {}),
        occurredAt: event.occurredAt,
      },
      ...(holdUntil !== undefined ? { holdUntil: String(holdUntil) } : {}),
    },
  };
}

/** The account the event names is configured, and is the cloud and region it says. */
function targetProblem(target: ResolvedTarget, deps: AcceptDeps): string | undefined {
  const account = deps.accounts.get(target.account);
  if (!account)
    return `account "${target.account}" is not configured (configured: ${[...deps.accounts.keys()].join(", ") || "none"})`;
  if (target.provider !== undefined && target.provider !== account.kind)
    return `account "${target.account}" is a ${account.kind} account, but the event says ${target.provider}`;
  if (target.region !== undefined && target.region !== account.region)
    return `account "${target.account}" is in ${account.region}, but the event says ${target.region}`;
  return undefined;
}

export function createAcceptEvents(deps: AcceptDeps): AcceptEvents {
  const { store, log } = deps;

  async function acceptOne(event: InboundEvent, now: Date, created: Operation[]): Promise<AcceptedEvent> {
    const key = eventKey(event);
    const real = deps.realNow?.() ?? now;
    // The fingerprint is the key itself: the same id is the same event, whatever else differs
    // (an Alertmanager HA pair's copies name different external URLs).
    const claim = await store.idempotency.claim(key, {
      fingerprint: key,
      leaseMs: ACCEPT_LEASE_MS,
      ttlMs: EVENT_MEMORY_MS,
      now: real,
    });
    if (claim.outcome !== "claimed") {
      await store.ledger.append({
        at: now,
        ...eventRef(event),
        kind: "event.duplicate",
        detail: {
          event: summary(event),
          recorded: claim.outcome === "completed" ? "accepted" : "being accepted",
        },
      });
      return { id: event.id, status: "duplicate", operations: [] };
    }
    try {
      const verdicts = judgeRules(deps.rules, event);
      const ledger: LedgerEntryInput[] = [];
      const operations: string[] = [];
      for (const verdict of verdicts) {
        if (!verdict.matched) continue;
        if ("missing" in verdict) {
          ledger.push({
            at: now,
            ...eventRef(event),
            kind: "event.no-target",
            detail: { event: summary(event), rule: verdict.rule.name, reason: verdict.missing },
          });
          continue;
        }
        const problem = targetProblem(verdict.target, deps);
        if (problem) {
          ledger.push({
            at: now,
            ...eventRef(event),
            kind: "event.unknown-target",
            detail: {
              event: summary(event),
              rule: verdict.rule.name,
              target: verdict.target,
              reason: problem,
            },
          });
          continue;
        }
        const fields = await resizeOperationFor(event, verdict);
        const made = await store.operations.create(fields, { now });
        operations.push(made.operation.id);
        if (made.created) {
          created.push(made.operation);
          ledger.push({
            at: now,
            operationId: made.operation.id,
            target: made.operation.target,
            kind: `${made.operation.kind}.accepted`,
            detail: {
              event: summary(event),
              rule: verdict.rule.name,
              intent: verdict.intent,
              target: verdict.target,
            },
          });
        }
      }
      if (!verdicts.some((v) => v.matched))
        ledger.push({
          at: now,
          ...eventRef(event),
          kind: "event.unmatched",
          detail: {
            event: summary(event),
            reasons: Object.fromEntries(verdicts.map((v) => [v.rule.name, v.matched ? "matched" : v.reason])),
          },
        });
      for (const entry of ledger) await store.ledger.append(entry);
      await store.idempotency.complete(key, {
        token: claim.token,
        result: JSON.stringify({ operations }),
        ttlMs: EVENT_MEMORY_MS,
        now: deps.realNow?.() ?? now,
      });
      return { id: event.id, status: "accepted", operations };
    } catch (error) {
      // Not recorded: give the id back so the sender's retry (after our 5xx) does it all again;
      // the operations already created are found by their ids then.
      await store.idempotency
        .release(key, { token: claim.token, now: deps.realNow?.() ?? now })
        .catch(() => undefined);
      throw error;
    }
  }

  return async (events, now) => {
    const created: Operation[] = [];
    const accepted = await Promise.all(events.map((event) => acceptOne(event, now, created)));
    if (created.length > 0 && deps.start) {
      // The work starts now; a failure to start it is caught up by the next tick (Node) or the
      // cron's recovery sweep (Workers): the operations are recorded either way.
      await deps.start(created, now).catch((error: unknown) =>
        log.error("starting accepted operations failed; the next tick takes them", {
          operations: created.map((op) => op.id),
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }
    return accepted;
  };
}
