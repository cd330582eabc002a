// The fleet's savings summary, kept in the store (store.shared) and refreshed by the tick, never in
// a page view: the dashboard reads the stored summary, one record, and says how old it is.
//
// Why a refresh from the ledger, and not sums accumulated as each sleep ends (a wake finishing):
// the ledger is the one record of what slept, so a summary computed from it is exact by
// construction; new rates (a deployment) or new team tags price the whole period again at the
// next refresh; a fresh install or an upgrade counts the history already there; the 30-day window
// slides by itself; and no finishing operation contends with the others for one shared record.
// Accumulating would need all of that solved again (repricing, backfill, expiry, contention) for a
// read of a few pages per refresh.
//
// The tick (functions/tick.ts, both hosts) calls refreshFleetSavings: while the summary is younger
// than SAVINGS_PERIOD_MS and of the same rates, nothing; else it goes on with the scan in progress
// (or starts one as of the tick's time), reading at most `pages` ledger pages (the Worker's cron:
// a share of its subrequests), and keeps the scan's state for the next tick; once the scan has
// read everything, the summary replaces the previous one. Every write is a compare-and-set, so two
// ticks at once (replicas, overlapping crons) never both write: the loser's work is dropped.
import type { Target } from "../providers/inventory.ts";
import type { Ownership } from "../schedule/ownership.ts";
import type { SelectableTarget } from "../schedule/plan.ts";
import { LEDGER_MAX_LIMIT, type LedgerEntry } from "../store/backend.ts";
import type { SharedCopy, Store, Versioned } from "../store/store.ts";
import { checkPeriod, ratesFor } from "./estimate.ts";
import { type FleetSavings, FleetScan, type FleetScanJson, type PricingOf } from "./fleet-scan.ts";
import type { Rates } from "./rates-schema.ts";

/** The store keys (store.shared) of the summary and of the scan in progress. */
export const SAVINGS_SUMMARY_KEY = "savings-summary";
export const SAVINGS_SCAN_KEY = "savings-scan";
/** The summary is computed again once older than this. */
export const SAVINGS_PERIOD_MS = 10 * 60_000;
/** About how many entries one window holds at most (its span adapts as the scan goes). */
export const WINDOW_ENTRIES = 5 * LEDGER_MAX_LIMIT;

interface StoredSummary {
  rates: string;
  savings: FleetSavings;
  /** The last window's span: where the next scan starts (a fleet's ledger density changes slowly). */
  span: number;
}

/** Which rates an estimate was computed with: new rates compute it again. */
export function ratesKey(rates: readonly Rates[]): string {
  return JSON.stringify(rates);
}

/** How each target is priced: its rates and team, and its schedule's zone (UTC when none owns it). */
export function fleetPricing(
  targets: readonly Target[],
  ownershipOf: (target: SelectableTarget) => Ownership,
  rates: readonly Rates[],
): PricingOf {
  const byId = new Map(targets.map((t) => [t.targetId, t]));
  const known = new Map<string, ReturnType<PricingOf>>();
  return (targetId) => {
    if (known.has(targetId)) return known.get(targetId);
    const target = byId.get(targetId);
    let pricing: ReturnType<PricingOf>;
    if (target) {
      const ownership = ownershipOf(target);
      const priced = ratesFor(target, rates);
      const team =
        priced && Object.hasOwn(target.tags, priced.teamTag) ? target.tags[priced.teamTag] : undefined;
      pricing = {
        ...(priced ? { rates: priced } : {}),
        ...(team !== undefined ? { team } : {}),
        timezone: ownership.status === "owned" ? ownership.schedule.timezone : "UTC",
      };
    }
    known.set(targetId, pricing);
    return pricing;
  };
}

/** The stored summary, and whether it was computed with other rates than these (a refresh is due). */
export async function readFleetSavings(
  store: Store,
  rates: readonly Rates[],
  now: Date,
): Promise<{ savings: FleetSavings; otherRates: boolean } | undefined> {
  const stored = summaryOf(await store.shared.get(SAVINGS_SUMMARY_KEY, now));
  return stored && { savings: stored.savings, otherRates: stored.rates !== ratesKey(rates) };
}

export type SavingsRefresh =
  | { status: "fresh"; computedAt: string }
  | { status: "scanning" | "computed" | "lost-race"; pages: number; through: string };

/** The tick's part: see the top of this file. */
export async function refreshFleetSavings(input: {
  store: Store;
  targets: readonly Target[];
  ownershipOf: (target: SelectableTarget) => Ownership;
  rates: readonly Rates[];
  now: Date;
  /** The most ledger pages (queries of up to 1,000 entries) this call reads. */
  pages: number;
}): Promise<SavingsRefresh> {
  const { store, now } = input;
  const rates = ratesKey(input.rates);
  const [summaryRecord, scanRecord] = await Promise.all([
    store.shared.get(SAVINGS_SUMMARY_KEY, now),
    store.shared.get(SAVINGS_SCAN_KEY, now),
  ]);
  const summary = summaryOf(summaryRecord);
  if (summary && summary.rates === rates) {
    const age = now.getTime() - Date.parse(summary.savings.computedAt);
    if (age >= 0 && age < SAVINGS_PERIOD_MS)
      return { status: "fresh", computedAt: summary.savings.computedAt };
  }
  const { currency } = checkPeriod({ from: now, to: now, now, rates: input.rates });
  const held = scanOf(scanRecord);
  const scan =
    held && held.rates === rates && held.asOf.getTime() <= now.getTime()
      ? held
      : FleetScan.start(now, rates, summary?.span);
  const pricingOf = fleetPricing(input.targets, input.ownershipOf, input.rates);
  let pages = 0;
  let read = 0;
  while (!scan.done && pages < input.pages) {
    const window = await readWindow(store, scan.cursor, scan.windowEnd, input.pages - pages);
    pages += window.pages;
    if (window.complete) {
      scan.fold(window.entries, pricingOf);
      // About half of what one call may read, so a window rarely outgrows a call.
      scan.adapt(window.entries.length, Math.min(WINDOW_ENTRIES, (input.pages * LEDGER_MAX_LIMIT) / 2));
      read++;
      continue;
    }
    // Too much for what this call may read: a window read whole by none of the calls would stall
    // the scan, so the next call tries a smaller one (a later window may still fit in this one).
    if (read === 0) scan.shrink(window.entries);
    break;
  }
  const through = new Date(Math.min(scan.cursor, scan.end - 1)).toISOString();
  if (!scan.done) {
    const value: SharedCopy = { fetchedAt: now.toISOString(), value: scan.toJSON() };
    const kept = await store.shared.put(SAVINGS_SCAN_KEY, value, scanRecord?.version ?? null, now);
    return { status: kept === undefined ? "lost-race" : "scanning", pages, through };
  }
  const stored: StoredSummary = { rates, savings: scan.finish(pricingOf, currency), span: scan.span };
  const written = await store.shared.put(
    SAVINGS_SUMMARY_KEY,
    { fetchedAt: now.toISOString(), value: stored },
    summaryRecord?.version ?? null,
    now,
  );
  if (written === undefined) return { status: "lost-race", pages, through };
  if (scanRecord) await store.shared.delete(SAVINGS_SCAN_KEY, scanRecord.version, now);
  return { status: "computed", pages, through };
}

/** The entries with `from` <= at < `to`, in pages, at most `pages` of them; complete when all were read. */
async function readWindow(
  store: Store,
  from: number,
  to: number,
  pages: number,
): Promise<{ entries: LedgerEntry[]; pages: number; complete: boolean }> {
  const entries: LedgerEntry[] = [];
  for (let read = 1; read <= pages; read++) {
    const after = entries.at(-1)?.seq;
    const page = await store.ledger.query({
      from: new Date(from),
      to: new Date(to),
      limit: LEDGER_MAX_LIMIT,
      ...(after !== undefined ? { afterSeq: after } : {}),
    });
    entries.push(...page);
    if (page.length < LEDGER_MAX_LIMIT) return { entries, pages: read, complete: true };
  }
  return { entries, pages, complete: false };
}

function summaryOf(record: Versioned<SharedCopy> | undefined): StoredSummary | undefined {
  const value = record?.value.value as Partial<StoredSummary> | undefined;
  return value && typeof value.rates === "string" && value.savings && typeof value.span === "number"
    ? (value as StoredSummary)
    : undefined;
}

function scanOf(record: Versioned<SharedCopy> | undefined): FleetScan | undefined {
  const value = record?.value.value as Partial<FleetScanJson> | undefined;
  return value && typeof value.rates === "string" && typeof value.cursor === "number"
    ? FleetScan.from(value as FleetScanJson)
    : undefined;
}
