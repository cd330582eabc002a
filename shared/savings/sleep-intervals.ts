// When a target was actually asleep, read from its ledger: the intervals the week timeline draws
// as "asleep" and the savings estimate prices. Pure: the caller reads the ledger and passes `now`.
//
// An interval starts when a sleep operation succeeds (`sleep.succeeded`: every pool is at 0, the
// cluster hibernated) and ends at the first entry of a later wake operation (`wake.*`: from its
// first action the nodes come back and cost again), or is ongoing (counted to `now`). A sleep
// that failed part-way starts no interval, and a wake that did nothing still ends one: both err
// on the side of counting fewer hours asleep. Changes made outside nightshift are not seen.
import type { LedgerEntry } from "../store/backend.ts";

/** A ledger entry as these functions read it (the store's LedgerEntry fits). */
export type SleepLedgerEntry = Pick<LedgerEntry, "at" | "kind" | "operationId" | "detail"> & {
  seq?: number;
};

/** A node pool the sleep emptied: what pool rates price. */
export interface SleptPool {
  id: string;
  name: string;
  /** How many nodes it had before the sleep scaled it to 0. */
  nodes: number;
}

export interface SleepInterval {
  /** When the sleep operation succeeded. */
  start: Date;
  /** When the next wake began; absent while the target is still asleep. */
  end?: Date;
  /** The sleep operation. */
  operationId: string;
  /** The pools it scaled to 0 (none in control-plane or workloads mode, or when all were at 0 already). */
  pools: SleptPool[];
}

const byTime = (a: SleepLedgerEntry, b: SleepLedgerEntry) =>
  a.at.getTime() - b.at.getTime() || (a.seq ?? 0) - (b.seq ?? 0);

function sleptPool(detail: Record<string, unknown>): SleptPool | undefined {
  const before = detail.before as { desired?: unknown } | undefined;
  const id = detail.pool;
  const name = detail.name;
  if (typeof id !== "string" || typeof before?.desired !== "number") return undefined;
  return { id, name: typeof name === "string" ? name : id, nodes: before.desired };
}

/**
 * One target's sleeps as read so far, oldest entry first (JSON, so a read spread over several runs
 * can keep it between them: fleet-scan.ts): the sleep under way, and the pools each sleep operation
 * emptied until that operation succeeds.
 */
export interface SleepTrack {
  open?: { start: number; operationId: string; pools: SleptPool[] };
  emptied: Array<{ operationId: string; pools: SleptPool[] }>;
}

export const newSleepTrack = (): SleepTrack => ({ emptied: [] });

/**
 * Reads the target's next entry (in time order, then append order) into `track`; the interval it
 * ended, if it is a wake's first entry. Entries of other kinds are ignored.
 */
export function trackSleep(track: SleepTrack, entry: SleepLedgerEntry): SleepInterval | undefined {
  if (entry.kind === "sleep.scale-pool") {
    const pool = sleptPool(entry.detail);
    if (pool === undefined) return undefined;
    let emptied = track.emptied.find((e) => e.operationId === entry.operationId);
    if (!emptied) {
      emptied = { operationId: entry.operationId, pools: [] };
      track.emptied.push(emptied);
    }
    // A repeated step (after a crash) records the same pool again: keep it once.
    if (!emptied.pools.some((p) => p.id === pool.id)) emptied.pools.push(pool);
  } else if (entry.kind === "sleep.succeeded") {
    const index = track.emptied.findIndex((e) => e.operationId === entry.operationId);
    const pools = index >= 0 ? track.emptied.splice(index, 1)[0]!.pools : [];
    // A second success while asleep (a sleep that found everything asleep already) extends nothing.
    if (track.open === undefined)
      track.open = { start: entry.at.getTime(), operationId: entry.operationId, pools };
  } else if (entry.kind.startsWith("wake.")) {
    // A target runs one operation at a time: every sleep before this wake has ended, and what a
    // failed one emptied starts nothing.
    track.emptied = [];
    const open = track.open;
    if (open === undefined) return undefined;
    delete track.open;
    return { start: new Date(open.start), end: entry.at, operationId: open.operationId, pools: open.pools };
  }
  return undefined;
}

/** The sleep under way at the end of the entries read, if any (it counts up to `now`). */
export function openInterval(track: SleepTrack): SleepInterval | undefined {
  const open = track.open;
  return open && { start: new Date(open.start), operationId: open.operationId, pools: open.pools };
}

/** Entries in the order trackSleep reads them: by time, then append order. */
export const inTimeOrder = <E extends SleepLedgerEntry>(entries: readonly E[]): E[] =>
  [...entries].sort(byTime);

/**
 * The intervals one target was asleep, oldest first, from its ledger entries (any order). Entries
 * of other kinds are ignored. To see a sleep that began before the period of interest, pass the
 * entries from some time before it (the dashboard reads a week more than it shows).
 */
export function sleepIntervals(entries: readonly SleepLedgerEntry[]): SleepInterval[] {
  const track = newSleepTrack();
  const intervals: SleepInterval[] = [];
  for (const entry of inTimeOrder(entries)) {
    const ended = trackSleep(track, entry);
    if (ended) intervals.push(ended);
  }
  const open = openInterval(track);
  return open ? [...intervals, open] : intervals;
}
