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
 * The intervals one target was asleep, oldest first, from its ledger entries (any order). Entries
 * of other kinds are ignored. To see a sleep that began before the period of interest, pass the
 * entries from some time before it (the dashboard reads a week more than it shows).
 */
export function sleepIntervals(entries: readonly SleepLedgerEntry[]): SleepInterval[] {
  const sorted = [...entries].sort(byTime);
  const poolsByOperation = new Map<string, SleptPool[]>();
  const intervals: SleepInterval[] = [];
  let open: SleepInterval | undefined;
  for (const entry of sorted) {
    if (entry.kind === "sleep.scale-pool") {
      const pool = sleptPool(entry.detail);
      if (pool === undefined) continue;
      const pools = poolsByOperation.get(entry.operationId) ?? [];
      // A repeated step (after a crash) records the same pool again: keep it once.
      if (!pools.some((p) => p.id === pool.id)) pools.push(pool);
      poolsByOperation.set(entry.operationId, pools);
    } else if (entry.kind === "sleep.succeeded") {
      // A second success while asleep (a sleep that found everything asleep already) extends nothing.
      if (open !== undefined) continue;
      open = {
        start: entry.at,
        operationId: entry.operationId,
        pools: poolsByOperation.get(entry.operationId) ?? [],
      };
      intervals.push(open);
    } else if (entry.kind.startsWith("wake.") && open !== undefined) {
      open.end = entry.at;
      open = undefined;
    }
  }
  return intervals;
}
