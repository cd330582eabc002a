// The ledger, counted: how many entries of each kind, per provider, the ledger holds. The ledger
// is the record of every action (sleeps and wakes, their failures, resize decisions), so the
// metrics count what it says rather than keeping counters of their own that a crash could skew:
// an entry appended again after a crash is stored once (its key), and so counted once.
//
// Counting the whole ledger on every scrape would grow with its history. Instead the counts are
// kept in the store with the seq they reach (store.shared, one record), and each scrape folds in
// only the entries appended since, in seqs order, at most FOLD_PAGES pages of them (a long history
// is caught up over a few scrapes). The record is written by compare-and-set, so replicas scraped
// at once never count an entry twice: the one that loses the race reads the winner's counts.
//
// Labels stay bounded: the provider comes from the configured accounts (a target's account),
// "none" for entries about no account's cluster (events that named no target); a kind that is
// not a plain code-made name becomes "other", and so does any kind past MAX_SERIES.
import type { LedgerEntry } from "../store/backend.ts";
import { LEDGER_MAX_LIMIT } from "../store/backend.ts";
import type { Store } from "../store/store.ts";

/** The shared record that holds the counts. */
export const LEDGER_COUNTS_KEY = "metrics:ledger-counts";
/** Pages of LEDGER_MAX_LIMIT entries one scrape folds in at most. */
export const FOLD_PAGES = 10;
/** Distinct (provider, kind) pairs kept; later new pairs count as kind "other". */
export const MAX_SERIES = 1000;
const KIND = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SEPARATOR = "\u001f";
const ATTEMPTS = 4;

export interface LedgerCounts {
  /** The last seq counted (0: none). */
  seq: number;
  /** `<provider>\u001f<kind>` -> entries. */
  counts: Record<string, number>;
}

export interface LedgerCount {
  provider: string;
  kind: string;
  value: number;
}

export function countsByKind(counts: LedgerCounts): LedgerCount[] {
  return Object.entries(counts.counts).map(([key, value]) => {
    const [provider = "none", kind = "other"] = key.split(SEPARATOR);
    return { provider, kind, value };
  });
}

/** `counts` with `entries` (in seq order, all past counts.seq) folded in. Pure. */
export function foldEntries(
  counts: LedgerCounts,
  entries: readonly LedgerEntry[],
  providerOf: (target: string) => string,
): LedgerCounts {
  const next: LedgerCounts = { seq: counts.seq, counts: { ...counts.counts } };
  let series = Object.keys(next.counts).length;
  for (const entry of entries) {
    if (entry.seq <= next.seq) continue;
    next.seq = entry.seq;
    const provider = providerOf(entry.target);
    let key = `${provider}${SEPARATOR}${KIND.test(entry.kind) ? entry.kind : "other"}`;
    if (next.counts[key] === undefined && series >= MAX_SERIES) key = `${provider}${SEPARATOR}other`;
    if (next.counts[key] === undefined) series++;
    next.counts[key] = (next.counts[key] ?? 0) + 1;
  }
  return next;
}

function readCounts(value: unknown): LedgerCounts {
  const v = value as Partial<LedgerCounts> | undefined;
  if (typeof v?.seq !== "number" || typeof v.counts !== "object" || v.counts === null)
    return { seq: 0, counts: {} };
  return { seq: v.seq, counts: v.counts };
}

/**
 * The ledger's counts as of now: the stored ones, with what was appended since folded in and
 * written back. `now` stamps the record (the store's clock); nothing else depends on it.
 */
export async function ledgerCounts(
  store: Store,
  options: { providerOf: (target: string) => string; now: Date; pages?: number },
): Promise<LedgerCounts> {
  const pages = options.pages ?? FOLD_PAGES;
  let stored = { seq: 0, counts: {} } as LedgerCounts;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const record = await store.shared.get(LEDGER_COUNTS_KEY, options.now);
    stored = readCounts(record?.value.value);
    let next = stored;
    for (let page = 0; page < pages; page++) {
      const entries = await store.ledger.query({ afterSeq: next.seq, limit: LEDGER_MAX_LIMIT });
      next = foldEntries(next, entries, options.providerOf);
      if (entries.length < LEDGER_MAX_LIMIT) break;
    }
    if (next.seq === stored.seq) return stored;
    const written = await store.shared.put(
      LEDGER_COUNTS_KEY,
      { fetchedAt: options.now.toISOString(), value: next },
      record?.version ?? null,
      options.now,
    );
    if (written !== undefined) return next;
    // Another replica folded at the same moment: read its counts (and fold what it had not).
  }
  // Lost every race: what is stored is still a true count, only not the newest.
  return stored;
}
