// The tick-store benchmark on a small history, so `npm run bench` cannot rot: every backend is
// measured, and the counts it prints are the ones the store contract promises (the indexed
// listing reads the same with or without finished history; the whole namespace reads it all).
import { describe, expect, it } from "vitest";
import { benchTickStore } from "./tick-store.ts";

describe("benchTickStore", () => {
  it("counts the same reads and rows at 0 and with finished operations, on every backend", async () => {
    const { figures, skipped } = await benchTickStore({ active: 20, finished: 300, rounds: 3 });
    expect(figures.map((f) => f.backend)).toEqual(["memory", "sqlite", "redis", "d1 (workerd, local)"]);
    expect(skipped).toEqual([]);
    for (const f of figures) {
      const counts = (c: typeof f.empty) => ({
        reads: c.reads,
        rows: c.rows,
        listed: c.listed,
        queries: c.queries,
      });
      expect(counts(f.full), f.backend).toEqual(counts(f.empty));
      expect(f.full, f.backend).toMatchObject({ reads: 1, rows: 20, listed: 20, writes: 0 });
      expect(f.wholeNamespace, f.backend).toMatchObject({ reads: 1, rows: 320, listed: 20 });
      if (f.backend.startsWith("d1")) expect(f.full.queries).toBe(1);
      expect(f.full.ms).toBeGreaterThan(0);
    }
  }, 120_000);
});
