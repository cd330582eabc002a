// GET /metrics, computed from the store so every host and replica answers the same: what series
// there are (names, HELP, labels: the one list, documented in docs/metrics.md), read with one query
// per collection, and built by a pure function of what was read.
//
//   the ledger's counts       ledger-counts.ts (one record, plus the entries appended since)
//   unfinished operations     the operations' "active" index
//   renewal states            the renewals namespace (one listing: certificates)
//   the hosts' tallies        cloud API calls, store latency (recorder.ts)
//   calendar coverage         the schedules as loaded (no store read)
//
// Names follow Prometheus' conventions: the `nightshift_` prefix, base units in the name (seconds),
// `_total` on counters. The certificate series copy cert-manager's shapes (its
// `certmanager_certificate_expiration_timestamp_seconds`, `_renewal_timestamp_seconds` and
// `_ready_status{condition}`), so dashboards and alerts written for it carry over.
import type { RenewalState } from "../renewal/state.ts";
import { listRenewalStates } from "../renewal/state.ts";
import { RESIZE_OUTCOMES } from "../rules/decide.ts";
import { coverageEnds } from "../schedule/coverage.ts";
import type { Calendar, Schedule } from "../schedule/types.ts";
import { ACTIVE, type Operation, type Store } from "../store/store.ts";
import type { MetricFamily, Sample } from "./exposition.ts";
import { countsByKind, type LedgerCount, type LedgerCounts, ledgerCounts } from "./ledger-counts.ts";
import { STORE_DURATION_BOUNDS, TALLY_PREFIX, type TalliedCounts, talliedCounts } from "./recorder.ts";

export interface MetricsContext {
  /** "workers" or "node". */
  host: string;
  version: string;
  /** The store backend's kind. */
  store: string;
  /** Each configured account's provider kind, by account id. */
  providers: ReadonlyMap<string, string>;
  /** Every operation kind the jobs run (functions/jobs.ts). */
  operationKinds: readonly string[];
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
}

/** What the store holds for the metrics, read once per scrape. */
export interface MetricsSnapshot {
  ledger: LedgerCounts;
  active: readonly Operation[];
  renewals: readonly RenewalState[];
  tallies: TalliedCounts;
}

/** The provider for entries and operations of no configured account. */
export const NO_PROVIDER = "none";

/** A sleep or wake, by schedule (sleep, wake) or by an event's rule (event-sleep, event-wake). */
const isTransition = (kind: string) => /(^|-)(sleep|wake)$/.test(kind);

/** The provider of a target id (`<account>/<cluster id>`): its account's. */
export function providerOfTarget(providers: ReadonlyMap<string, string>, target: string): string {
  const slash = target.indexOf("/");
  return (slash > 0 ? providers.get(target.slice(0, slash)) : undefined) ?? NO_PROVIDER;
}

/** Reads everything the metrics need, each collection once, all at the same time. */
export async function readMetricsSnapshot(
  store: Store,
  context: Pick<MetricsContext, "providers">,
  now: Date,
): Promise<MetricsSnapshot> {
  const [ledger, active, renewals, tallies] = await Promise.all([
    ledgerCounts(store, { providerOf: (target) => providerOfTarget(context.providers, target), now }),
    store.operations.list({ status: [...ACTIVE] }, now),
    listRenewalStates(store, now),
    store.tallies.list(TALLY_PREFIX),
  ]);
  return { ledger, active, renewals, tallies: talliedCounts(tallies) };
}

export async function collectMetrics(
  store: Store,
  context: MetricsContext,
  now: Date,
): Promise<MetricFamily[]> {
  return buildMetrics(await readMetricsSnapshot(store, context, now), context, now);
}

const seconds = (iso: string | undefined) => {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
};

/**
 * Sums samples by their labels (a series given twice, e.g. a zero and a count, is one). The
 * samples of one call are built alike, their labels named in the same order: the values key them.
 */
function summed(samples: Iterable<Sample>): Sample[] {
  const out = new Map<string, Sample>();
  for (const sample of samples) {
    const key = Object.values(sample.labels).join("\u001f");
    const found = out.get(key);
    out.set(key, found ? { labels: sample.labels, value: found.value + sample.value } : sample);
  }
  return [...out.values()];
}

/** The metric families of a snapshot. Pure: the same snapshot, context and time give the same families. */
export function buildMetrics(snapshot: MetricsSnapshot, context: MetricsContext, now: Date): MetricFamily[] {
  const providers = [...new Set(context.providers.values())].sort();
  const ledger = countsByKind(snapshot.ledger);
  /** Entries `<prefix>.<suffix>` by provider and the part named `part`, zeros first for `zeros`. */
  const fromLedger = (
    pick: (count: LedgerCount) => Record<string, string> | undefined,
    zeros: Array<Record<string, string>>,
  ): Sample[] =>
    summed([
      ...zeros.map((labels) => ({ labels, value: 0 })),
      ...ledger.flatMap((count) => {
        const labels = pick(count);
        return labels ? [{ labels, value: count.value }] : [];
      }),
    ]);
  const split = (kind: string) => {
    const dot = kind.indexOf(".");
    return dot < 0 ? undefined : { head: kind.slice(0, dot), tail: kind.slice(dot + 1) };
  };
  const kinds = context.operationKinds;
  const transitionKinds = kinds.filter(isTransition);

  return [
    {
      name: "nightshift_build_info",
      help: "Always 1: the nightshift version, the host (workers or node) and the store backend answering.",
      type: "gauge",
      samples: [{ labels: { version: context.version, host: context.host, store: context.store }, value: 1 }],
    },
    {
      name: "nightshift_ledger_entries_total",
      help: "Ledger entries by the provider of the target's account (none: no account's cluster) and kind, e.g. sleep.hibernate, resize.cooldown, event.unmatched.",
      type: "counter",
      samples: ledger.map(({ provider, kind, value }) => ({ labels: { provider, kind }, value })),
    },
    {
      name: "nightshift_transitions_total",
      help: "Clusters put to sleep or woken: sleep and wake operations that succeeded, by provider and kind (sleep, wake by schedule; event-sleep, event-wake by a rule).",
      type: "counter",
      samples: fromLedger(
        ({ provider, kind }) => {
          const parts = split(kind);
          return parts?.tail === "succeeded" && transitionKinds.includes(parts.head)
            ? { provider, kind: parts.head }
            : undefined;
        },
        providers.flatMap((provider) => transitionKinds.map((kind) => ({ provider, kind }))),
      ),
    },
    {
      name: "nightshift_failures_total",
      help: "Operations that failed (after their retries), by provider and kind (sleep, wake, resize, renew, ...).",
      type: "counter",
      samples: fromLedger(
        ({ provider, kind }) => {
          const parts = split(kind);
          return parts?.tail === "failed" && kinds.includes(parts.head)
            ? { provider, kind: parts.head }
            : undefined;
        },
        providers.flatMap((provider) => kinds.map((kind) => ({ provider, kind }))),
      ),
    },
    {
      name: "nightshift_resize_decisions_total",
      help: "Node-pool resize decisions by provider and outcome (resize, cooldown, hysteresis, no-change, asleep, wake-first, remember-for-wake, nothing-to-revert, dry-run).",
      type: "counter",
      samples: fromLedger(({ provider, kind }) => {
        const parts = split(kind);
        return parts?.head === "resize" && (RESIZE_OUTCOMES as readonly string[]).includes(parts.tail)
          ? { provider, outcome: parts.tail }
          : undefined;
      }, []),
    },
    {
      name: "nightshift_operations",
      help: "Unfinished operations by provider, kind and state (pending, running, waiting); finished ones are counted by nightshift_transitions_total, nightshift_failures_total and nightshift_ledger_entries_total.",
      type: "gauge",
      samples: summed([
        ...providers.flatMap((provider) =>
          kinds.flatMap((kind) => ACTIVE.map((state) => ({ labels: { provider, kind, state }, value: 0 }))),
        ),
        ...snapshot.active.map((op) => ({
          labels: {
            provider: providerOfTarget(context.providers, op.target),
            kind: op.kind,
            state: op.status,
          },
          value: 1,
        })),
      ]),
    },
    ...certificateFamilies(snapshot.renewals, now),
    {
      name: "nightshift_cloud_requests_total",
      help: "HTTP requests to the clouds' APIs, each attempt and retry, by provider, API call and status (the HTTP status, or timeout / network when no response came).",
      type: "counter",
      samples: snapshot.tallies.cloudRequests,
    },
    {
      name: "nightshift_store_operation_duration_seconds",
      help: "How long the store's calls took, by method (get, put, list, listIndex, append, query, ...), as every host measured them.",
      type: "histogram",
      bounds: STORE_DURATION_BOUNDS,
      series: [...snapshot.tallies.storeDurations].map(([operation, { counts, sum }]) => ({
        labels: { operation },
        counts,
        sum,
      })),
    },
    ...calendarFamilies(context, now),
  ];
}

function certificateFamilies(renewals: readonly RenewalState[], now: Date): MetricFamily[] {
  const labelsOf = (state: RenewalState) => ({
    target: state.target,
    provider: state.provider,
    account: state.account,
    declaration: state.declaration,
  });
  const ready = (state: RenewalState): "True" | "False" | "Unknown" => {
    const certificate = state.certificate;
    if (!certificate) return "Unknown";
    const valid =
      Date.parse(certificate.notBefore) <= now.getTime() && now.getTime() < Date.parse(certificate.notAfter);
    return valid ? "True" : "False";
  };
  return [
    {
      name: "nightshift_certificate_expiration_timestamp_seconds",
      help: "The date after which the stored cluster credential's client certificate expires. Expressed as a Unix Epoch Time (0: none stored yet).",
      type: "gauge",
      samples: renewals.map((state) => ({
        labels: labelsOf(state),
        value: seconds(state.certificate?.notAfter),
      })),
    },
    {
      name: "nightshift_certificate_renewal_timestamp_seconds",
      help: "When the stored certificate is due for renewal, its renewal time. Expressed as a Unix Epoch Time (0: none planned).",
      type: "gauge",
      samples: renewals.map((state) => ({ labels: labelsOf(state), value: seconds(state.renewalTime) })),
    },
    {
      name: "nightshift_certificate_ready_status",
      help: "The ready status of the stored certificate: True while it is valid, False once expired (or not yet valid), Unknown while none is stored.",
      type: "gauge",
      samples: renewals.flatMap((state) => {
        const current = ready(state);
        return (["False", "True", "Unknown"] as const).map((condition) => ({
          labels: { ...labelsOf(state), condition },
          value: condition === current ? 1 : 0,
        }));
      }),
    },
    {
      name: "nightshift_certificate_renewal_failed_attempts",
      help: "Renewal attempts that failed in a row since the last success (0: none).",
      type: "gauge",
      samples: renewals.map((state) => ({
        labels: labelsOf(state),
        value: state.failures?.failedAttempts ?? 0,
      })),
    },
  ];
}

function calendarFamilies(context: MetricsContext, now: Date): MetricFamily[] {
  const ends = coverageEnds({ schedules: context.schedules, calendars: context.calendars, now });
  const labelsOf = (end: (typeof ends)[number]) => ({ schedule: end.schedule, calendar: end.calendar });
  return [
    {
      name: "nightshift_calendar_coverage_end_timestamp_seconds",
      help: "When a schedule's builtin holiday calendar runs out of official data (or of calendar files replacing its years): the start of the first uncovered day in the schedule's time zone, as a Unix Epoch Time.",
      type: "gauge",
      samples: ends.map((end) => ({ labels: labelsOf(end), value: Math.floor(end.endsAt.getTime() / 1000) })),
    },
    {
      name: "nightshift_calendar_coverage_remaining_seconds",
      help: "Seconds left until a schedule's builtin holiday calendar runs out of official data (0: it has).",
      type: "gauge",
      samples: ends.map((end) => ({
        labels: labelsOf(end),
        value: Math.max(0, Math.floor((end.endsAt.getTime() - now.getTime()) / 1000)),
      })),
    },
  ];
}
