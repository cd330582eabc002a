import { describe, expect, it } from "vitest";
import { type SleepLedgerEntry, sleepIntervals } from "./sleep-intervals.ts";

const entry = (
  at: string,
  kind: string,
  operationId: string,
  detail: Record<string, unknown> = {},
): SleepLedgerEntry => ({
  at: new Date(at),
  kind,
  operationId,
  detail,
});
const scale = (at: string, op: string, pool: string, name: string, desired: number) =>
  entry(at, "sleep.scale-pool", op, { pool, name, before: { desired }, after: { desired: 0 } });

describe("sleepIntervals", () => {
  it("starts at a successful sleep with the pools it emptied, ends at the next wake's first entry", () => {
    const intervals = sleepIntervals([
      // Out of order on purpose: the ledger is read in any order.
      entry("2026-02-02T08:00:00Z", "wake.restore-pool", "w1"),
      scale("2026-02-01T20:00:00Z", "s1", "np-1", "workers", 3),
      scale("2026-02-01T20:00:30Z", "s1", "np-1", "workers", 3),
      scale("2026-02-01T20:01:00Z", "s1", "np-2", "gpu-a", 2),
      entry("2026-02-01T20:05:00Z", "sleep.succeeded", "s1"),
      entry("2026-02-02T08:05:00Z", "wake.succeeded", "w1"),
      // A failed sleep, pools scaled or not, starts nothing.
      scale("2026-02-02T20:00:00Z", "s2", "np-1", "workers", 3),
      entry("2026-02-02T20:01:00Z", "sleep.failed", "s2"),
      entry("2026-02-03T08:00:00Z", "wake.succeeded", "w2"),
      // Control-plane mode: no pools; still asleep.
      entry("2026-02-03T20:00:00Z", "sleep.hibernate", "s3"),
      entry("2026-02-03T20:10:00Z", "sleep.succeeded", "s3"),
      entry("2026-02-03T21:00:00Z", "resize.applied", "r1"),
    ]);
    expect(intervals).toEqual([
      {
        start: new Date("2026-02-01T20:05:00Z"),
        end: new Date("2026-02-02T08:00:00Z"),
        operationId: "s1",
        pools: [
          { id: "np-1", name: "workers", nodes: 3 },
          { id: "np-2", name: "gpu-a", nodes: 2 },
        ],
      },
      { start: new Date("2026-02-03T20:10:00Z"), operationId: "s3", pools: [] },
    ]);
  });

  it("finds nothing in a ledger without sleeps", () => {
    expect(sleepIntervals([entry("2026-02-02T08:00:00Z", "wake.succeeded", "w1")])).toEqual([]);
  });
});
