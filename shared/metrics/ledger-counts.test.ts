import { describe, expect, it } from "vitest";
import type { LedgerEntry, StoreBackend } from "../store/backend.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore, type Store } from "../store/store.ts";
import { countsByKind, foldEntries, LEDGER_COUNTS_KEY, ledgerCounts, MAX_SERIES } from "./ledger-counts.ts";

const T0 = new Date("2026-11-22T20:00:00Z");
const providerOf = (target: string) => (target.startsWith("prod-hw/") ? "huawei" : "none");

async function append(store: Store, kind: string, target = "prod-hw/c1", key?: string) {
  return store.ledger.append({
    at: T0,
    operationId: "op",
    target,
    kind,
    detail: {},
    ...(key ? { key } : {}),
  });
}

const sorted = (store: Store) =>
  ledgerCounts(store, { providerOf, now: T0 }).then((counts) =>
    countsByKind(counts).sort((a, b) => (a.kind < b.kind ? -1 : 1)),
  );

describe("ledgerCounts", () => {
  it("counts the ledger's entries by provider and kind, folding in only what was appended since", async () => {
    const store = createStore(memoryBackend());
    await append(store, "sleep.succeeded");
    await append(store, "sleep.succeeded", "prod-hw/c2");
    await append(store, "event.unmatched", "events/alertmanager");
    expect(await sorted(store)).toEqual([
      { provider: "none", kind: "event.unmatched", value: 1 },
      { provider: "huawei", kind: "sleep.succeeded", value: 2 },
    ]);
    await append(store, "sleep.succeeded");
    // An entry appended again after a crash (same key) is stored, and counted, once.
    await append(store, "wake.failed", "prod-hw/c1", "k1");
    await append(store, "wake.failed", "prod-hw/c1", "k1");
    expect(await sorted(store)).toEqual([
      { provider: "none", kind: "event.unmatched", value: 1 },
      { provider: "huawei", kind: "sleep.succeeded", value: 3 },
      { provider: "huawei", kind: "wake.failed", value: 1 },
    ]);
    expect((await store.shared.get(LEDGER_COUNTS_KEY, T0))?.value.value).toMatchObject({ seq: 5 });
  });

  it("reads only the entries after the counted seq, at most `pages` pages per call", async () => {
    const backend = memoryBackend();
    const queries: Array<number | undefined> = [];
    const counted: StoreBackend = {
      ...backend,
      query: (q) => {
        queries.push(q.afterSeq);
        return backend.query(q);
      },
    };
    const store = createStore(counted);
    for (let i = 0; i < 2500; i++) await append(store, "sleep.hibernate");
    const first = await ledgerCounts(store, { providerOf, now: T0, pages: 2 });
    expect(first.seq).toBe(2000);
    expect(queries).toEqual([0, 1000]);
    const second = await ledgerCounts(store, { providerOf, now: T0, pages: 2 });
    expect(second).toEqual({ seq: 2500, counts: { "huawei\u001fsleep.hibernate": 2500 } });
    expect(queries).toEqual([0, 1000, 2000]);
    // Nothing new: one read of the record, one query, no write.
    await ledgerCounts(store, { providerOf, now: T0 });
    expect(queries).toEqual([0, 1000, 2000, 2500]);
  });

  it("counts each entry once when replicas fold at the same moment", async () => {
    const store = createStore(memoryBackend());
    for (let i = 0; i < 50; i++) await append(store, "resize.cooldown");
    const results = await Promise.all(
      Array.from({ length: 5 }, () => ledgerCounts(store, { providerOf, now: T0 })),
    );
    for (const result of results) expect(result.seq).toBe(50);
    for (const result of results) expect(result.counts["huawei\u001fresize.cooldown"]).toBe(50);
    await append(store, "resize.cooldown");
    expect((await ledgerCounts(store, { providerOf, now: T0 })).counts["huawei\u001fresize.cooldown"]).toBe(
      51,
    );
  });
});

describe("foldEntries", () => {
  const entry = (seq: number, kind: string, target = "prod-hw/c1"): LedgerEntry => ({
    seq,
    at: T0,
    operationId: "op",
    target,
    kind,
    detail: {},
  });

  it("names a kind that is not a plain code-made name 'other', and skips entries already counted", () => {
    const folded = foldEntries(
      { seq: 1, counts: {} },
      [entry(1, "sleep.succeeded"), entry(2, 'Evil"\nkind'), entry(3, "x".repeat(100))],
      providerOf,
    );
    expect(folded).toEqual({ seq: 3, counts: { "huawei\u001fother": 2 } });
  });

  it("keeps the number of series bounded", () => {
    const counts = Object.fromEntries(Array.from({ length: MAX_SERIES }, (_, i) => [`huawei\u001fk${i}`, 1]));
    const folded = foldEntries({ seq: 0, counts }, [entry(1, "brand.new"), entry(2, "k1")], providerOf);
    expect(folded.counts["huawei\u001fbrand.new"]).toBeUndefined();
    expect(folded.counts["huawei\u001fother"]).toBe(1);
    expect(folded.counts["huawei\u001fk1"]).toBe(2);
  });
});
