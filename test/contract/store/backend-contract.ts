// The contract every StoreBackend must meet, as a reusable vitest suite: call
// `backendContract("sqlite", () => makeFreshBackend())` from a test file per backend.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StoreBackend } from "../../../shared/store/backend.ts";

const T0 = new Date("2026-11-22T20:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export function backendContract(
  name: string,
  make: () => Promise<StoreBackend>,
  options: {
    raceSize?: number;
    /** A fresh backend that sweeps at most `size` records per statement (the SQL backends). */
    makeWithSweepBatch?: (size: number) => Promise<StoreBackend>;
  } = {},
) {
  describe(`StoreBackend contract: ${name}`, () => {
    let backend: StoreBackend;
    beforeEach(async () => {
      backend = await make();
    });
    afterEach(async () => {
      await backend.close();
    });

    it("inserts only when absent, then updates only at the expected version", async () => {
      expect(await backend.get("ns", "k", T0)).toBeUndefined();
      expect(
        await backend.put("ns", "k", { value: '{"a":1}', expiresAt: null }, { expectedVersion: null }, T0),
      ).toEqual({
        ok: true,
        version: 1,
      });
      const again = await backend.put(
        "ns",
        "k",
        { value: '{"a":2}', expiresAt: null },
        { expectedVersion: null },
        T0,
      );
      expect(again).toEqual({ ok: false, current: { value: '{"a":1}', version: 1, expiresAt: null } });
      const stale = await backend.put(
        "ns",
        "k",
        { value: '{"a":3}', expiresAt: null },
        { expectedVersion: 7 },
        T0,
      );
      expect(stale.ok).toBe(false);
      expect(
        await backend.put("ns", "k", { value: '{"a":4}', expiresAt: null }, { expectedVersion: 1 }, T0),
      ).toEqual({
        ok: true,
        version: 2,
      });
      expect(await backend.get("ns", "k", T0)).toEqual({ value: '{"a":4}', version: 2, expiresAt: null });
    });

    it("keeps namespaces and keys apart, including keys that look alike", async () => {
      await backend.put("a", "x:1", { value: "1", expiresAt: null }, { expectedVersion: null }, T0);
      await backend.put("b", "x:1", { value: "2", expiresAt: null }, { expectedVersion: null }, T0);
      await backend.put("a", "x:10", { value: "3", expiresAt: null }, { expectedVersion: null }, T0);
      expect((await backend.get("a", "x:1", T0))?.value).toBe("1");
      expect((await backend.get("b", "x:1", T0))?.value).toBe("2");
      expect((await backend.list("a", { prefix: "x:1" }, T0)).map((r) => r.key)).toEqual(["x:1", "x:10"]);
      expect((await backend.list("a", { prefix: "x:10" }, T0)).map((r) => r.key)).toEqual(["x:10"]);
      expect((await backend.list("b", {}, T0)).map((r) => [r.key, r.value])).toEqual([["x:1", "2"]]);
    });

    it("treats an expired record as absent, overwrites it with a higher version, and sweeps it", async () => {
      await backend.put(
        "ns",
        "k",
        { value: "old", expiresAt: at(60).getTime() },
        { expectedVersion: null },
        T0,
      );
      expect((await backend.get("ns", "k", at(59)))?.value).toBe("old");
      expect(await backend.get("ns", "k", at(60))).toBeUndefined();
      expect(await backend.list("ns", {}, at(60))).toEqual([]);
      const stale = await backend.put(
        "ns",
        "k",
        { value: "x", expiresAt: null },
        { expectedVersion: 1 },
        at(61),
      );
      expect(stale.ok).toBe(false);
      const over = await backend.put(
        "ns",
        "k",
        { value: "new", expiresAt: null },
        { expectedVersion: null },
        at(61),
      );
      expect(over).toEqual({ ok: true, version: 2 });

      await backend.put(
        "ns",
        "gone",
        { value: "g", expiresAt: at(10).getTime() },
        { expectedVersion: null },
        T0,
      );
      await backend.put(
        "ns",
        "kept",
        { value: "k", expiresAt: at(1000).getTime() },
        { expectedVersion: null },
        T0,
      );
      expect(await backend.sweep(at(100))).toBe(1);
      expect((await backend.list("ns", {}, at(100))).map((r) => r.key)).toEqual(["k", "kept"]);
    });

    const withSweepBatch = options.makeWithSweepBatch;
    if (withSweepBatch) {
      it("sweeps in bounded batches until every expired record is gone, and no live one", async () => {
        const batched = await withSweepBatch(2);
        try {
          for (let i = 0; i < 5; i++) {
            const old = { value: "x", expiresAt: at(i).getTime() };
            await batched.put("ns", `old${i}`, old, { expectedVersion: null }, T0);
          }
          const live = { value: "x", expiresAt: at(3600).getTime() };
          await batched.put("ns", "live", live, { expectedVersion: null }, T0);
          await batched.put("ns", "forever", { value: "x", expiresAt: null }, { expectedVersion: null }, T0);
          expect(await batched.sweep(at(10))).toBe(5);
          expect(await batched.sweep(at(10))).toBe(0);
          expect((await batched.list("ns", {}, T0)).map((r) => r.key)).toEqual(["forever", "live"]);
        } finally {
          await batched.close();
        }
      });
    }

    it("deletes only at the expected version", async () => {
      await backend.put("ns", "k", { value: "v", expiresAt: null }, { expectedVersion: null }, T0);
      expect(await backend.delete("ns", "k", 2, T0)).toBe(false);
      expect(await backend.delete("ns", "k", 1, T0)).toBe(true);
      expect(await backend.get("ns", "k", T0)).toBeUndefined();
      expect(await backend.delete("ns", "k", 1, T0)).toBe(false);
    });

    it("stores values byte for byte, unicode included", async () => {
      const value = JSON.stringify({ name: "测试集群 ✓", quote: "'\"\\", nul: "a\u0000b" });
      await backend.put("ns", "键/with spaces", { value, expiresAt: null }, { expectedVersion: null }, T0);
      expect((await backend.get("ns", "键/with spaces", T0))?.value).toBe(value);
    });

    it("counts up atomically, per counter", async () => {
      const size = options.raceSize ?? 200;
      const values = await Promise.all(Array.from({ length: size }, () => backend.increment("fence:a")));
      expect(new Set(values).size).toBe(size);
      expect(Math.max(...values)).toBe(size);
      expect(await backend.increment("fence:b")).toBe(1);
    });

    describe("tallies", () => {
      it("adds concurrent increments up, each call's all together, and lists them by prefix in name order", async () => {
        const size = options.raceSize ?? 200;
        await Promise.all(
          Array.from({ length: size }, () =>
            backend.addTallies([
              { name: "m:b", by: 2 },
              { name: "m:a", by: 1 },
            ]),
          ),
        );
        await backend.addTallies([
          { name: "m:a", by: 5 },
          { name: "m:a", by: 5 },
        ]);
        expect(await backend.listTallies("m:")).toEqual([
          { name: "m:a", value: size + 10 },
          { name: "m:b", value: 2 * size },
        ]);
      });

      it("lists exactly the names that start with the prefix", async () => {
        await backend.addTallies(
          ["m:a", "m:ab", "m:a\u{10FFFF}", "m:b", "m", "n:a", "測:1", "測試:2"].map((name) => ({
            name,
            by: 1,
          })),
        );
        expect((await backend.listTallies("m:a")).map((t) => t.name)).toEqual([
          "m:a",
          "m:ab",
          "m:a\u{10FFFF}",
        ]);
        expect((await backend.listTallies("測")).map((t) => t.name)).toEqual(["測:1", "測試:2"]);
        expect((await backend.listTallies("")).length).toBe(8);
        expect(await backend.listTallies("zz")).toEqual([]);
      });

      it("keeps tallies apart from the counters increment hands out", async () => {
        await backend.increment("m:fence");
        await backend.addTallies([{ name: "m:x", by: 3 }]);
        expect(await backend.listTallies("m:")).toEqual([{ name: "m:x", value: 3 }]);
        expect(await backend.increment("m:fence")).toBe(2);
        await backend.addTallies([]);
        expect(await backend.listTallies("m:")).toEqual([{ name: "m:x", value: 3 }]);
      });

      it("refuses an increment that is not a whole number of at least 1, or has no name, adding nothing", async () => {
        for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
          await expect(
            backend.addTallies([
              { name: "m:ok", by: 1 },
              { name: "m:bad", by: bad },
            ]),
          ).rejects.toThrow(/whole number/);
        }
        await expect(backend.addTallies([{ name: "", by: 1 }])).rejects.toThrow(/tally name/);
        expect(await backend.listTallies("m:")).toEqual([]);
      });
    });

    it("lets exactly one of many concurrent inserts win", async () => {
      const size = options.raceSize ?? 1000;
      const results = await Promise.all(
        Array.from({ length: size }, (_, i) =>
          backend.put("race", "key", { value: String(i), expiresAt: null }, { expectedVersion: null }, T0),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    describe("record indexes", () => {
      const put = (
        key: string,
        index: { name: string; score: number } | undefined,
        expectedVersion: number | null,
        now = T0,
        expiresAt: number | null = null,
        namespace = "ns",
      ) => backend.put(namespace, key, { value: key, expiresAt, index }, { expectedVersion }, now);
      const listed = async (name = "active", query = {}, now = T0, namespace = "ns") =>
        (await backend.listIndex(namespace, name, query, now)).map((r) => [r.key, r.score]);

      it("lists an index by score then key, up to a score and a limit, apart from other indexes and namespaces", async () => {
        await put("a", { name: "active", score: 30 }, null);
        await put("c", { name: "active", score: 10 }, null);
        await put("b", { name: "active", score: 10 }, null);
        await put("plain", undefined, null);
        await put("o", { name: "outbox", score: 1 }, null);
        await put("a", { name: "active", score: 5 }, null, T0, null, "elsewhere");
        expect(await listed()).toEqual([
          ["b", 10],
          ["c", 10],
          ["a", 30],
        ]);
        expect(await listed("active", { upTo: 10 })).toEqual([
          ["b", 10],
          ["c", 10],
        ]);
        expect(await listed("active", { limit: 1 })).toEqual([["b", 10]]);
        expect(await listed("outbox")).toEqual([["o", 1]]);
        expect(await listed("none")).toEqual([]);
        const [first] = await backend.listIndex("ns", "active", {}, T0);
        expect(first).toEqual({ key: "b", score: 10, value: "b", version: 1, expiresAt: null });
        // The namespace listing still sees every record, indexed or not.
        expect((await backend.list("ns", {}, T0)).map((r) => r.key)).toEqual(["a", "b", "c", "o", "plain"]);
      });

      it("moves or drops an entry with the record's next write, and ignores a write that lost", async () => {
        await put("a", { name: "active", score: 30 }, null);
        await put("b", { name: "active", score: 20 }, null);
        await put("c", { name: "active", score: 10 }, null);
        expect((await put("a", { name: "active", score: 1 }, 1)).ok).toBe(true);
        expect((await put("b", undefined, 1)).ok).toBe(true);
        expect((await put("c", { name: "outbox", score: 7 }, 1)).ok).toBe(true);
        // Lost compare-and-sets (stale version, already present) change no index.
        expect((await put("a", undefined, 1)).ok).toBe(false);
        expect((await put("b", { name: "active", score: 0 }, null)).ok).toBe(false);
        expect((await put("c", { name: "active", score: 0 }, 7)).ok).toBe(false);
        expect(await listed()).toEqual([["a", 1]]);
        expect(await listed("outbox")).toEqual([["c", 7]]);
        expect((await put("b", { name: "active", score: 2 }, 2)).ok).toBe(true);
        expect(await listed()).toEqual([
          ["a", 1],
          ["b", 2],
        ]);
      });

      it("drops an entry when its record is deleted, expires or is swept", async () => {
        await put("deleted", { name: "active", score: 1 }, null);
        await put("expiring", { name: "active", score: 2 }, null, T0, at(60).getTime());
        await put("swept", { name: "active", score: 3 }, null, T0, at(10).getTime());
        expect(await backend.delete("ns", "deleted", 1, T0)).toBe(true);
        expect(await listed("active", {}, at(9))).toEqual([
          ["expiring", 2],
          ["swept", 3],
        ]);
        expect(await listed("active", {}, at(60))).toEqual([]);
        // A claim over the expired record without an index leaves the index empty.
        expect((await put("expiring", undefined, null, at(61))).ok).toBe(true);
        expect(await backend.sweep(at(61))).toBe(1);
        // Once swept, the key starts again; written without an index it is not listed.
        expect(await put("swept", undefined, null, at(62))).toEqual({ ok: true, version: 1 });
        expect(await listed("active", {}, at(62))).toEqual([]);
        // Written again with an index after an expiry, it is listed once, at its new score.
        expect((await put("expiring", { name: "active", score: 9 }, 2, at(63))).ok).toBe(true);
        expect(await listed("active", {}, at(63))).toEqual([["expiring", 9]]);
      });

      it("indexes exactly the winner of concurrent compare-and-sets", async () => {
        const size = Math.min(options.raceSize ?? 1000, 200);
        const inserts = await Promise.all(
          Array.from({ length: size }, (_, i) => put("hot", { name: "active", score: i }, null)),
        );
        const winner = inserts.findIndex((r) => r.ok);
        expect(inserts.filter((r) => r.ok)).toHaveLength(1);
        expect(await listed()).toEqual([["hot", winner]]);
        // Half of the updates would leave the index, half would move within it: one wins.
        const updates = await Promise.all(
          Array.from({ length: size }, (_, i) =>
            put("hot", i % 2 === 0 ? undefined : { name: "active", score: 1000 + i }, 1),
          ),
        );
        const next = updates.findIndex((r) => r.ok);
        expect(updates.filter((r) => r.ok)).toHaveLength(1);
        expect(await listed()).toEqual(next % 2 === 0 ? [] : [["hot", 1000 + next]]);
      });

      it("refuses an index name or score it could not store", async () => {
        await expect(put("k", { name: "has space", score: 1 }, null)).rejects.toThrow(
          /index name "has space" is not allowed/,
        );
        await expect(put("k", { name: "active", score: Number.NaN }, null)).rejects.toThrow(
          /score must be a finite number/,
        );
        expect(await backend.get("ns", "k", T0)).toBeUndefined();
      });
    });

    it("appends to the ledger in order and queries by target, operation, time and page", async () => {
      const entries = [
        {
          at: at(0),
          operationId: "op1",
          target: "hw/c1",
          kind: "sleep.started",
          detail: { pools: { p1: 3 } },
        },
        { at: at(10), operationId: "op1", target: "hw/c1", kind: "sleep.scaled", detail: {} },
        { at: at(20), operationId: "op2", target: "ali/c2", kind: "wake.started", detail: { note: "夜间" } },
        { at: at(30), operationId: "op1", target: "hw/c1", kind: "sleep.done", detail: {} },
      ];
      const seqs: number[] = [];
      for (const entry of entries) seqs.push((await backend.append(entry)).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(4);

      const byTarget = await backend.query({ target: "hw/c1" });
      expect(byTarget.map((e) => e.kind)).toEqual(["sleep.started", "sleep.scaled", "sleep.done"]);
      expect(byTarget[0]).toEqual({ ...entries[0], seq: seqs[0] });
      expect((await backend.query({ operationId: "op2" }))[0]?.detail).toEqual({ note: "夜间" });
      expect((await backend.query({ from: at(10), to: at(30) })).map((e) => e.kind)).toEqual([
        "sleep.scaled",
        "wake.started",
      ]);
      const page1 = await backend.query({ limit: 2 });
      const page2 = await backend.query({ limit: 2, afterSeq: page1.at(-1)!.seq });
      expect([...page1, ...page2].map((e) => e.kind)).toEqual(entries.map((e) => e.kind));

      // Newest first, paged backwards with beforeSeq, under each filter.
      const newest = await backend.query({ newestFirst: true, limit: 3 });
      expect(newest.map((e) => e.seq)).toEqual([seqs[3], seqs[2], seqs[1]]);
      const older = await backend.query({ newestFirst: true, limit: 3, beforeSeq: newest.at(-1)!.seq });
      expect(older.map((e) => e.seq)).toEqual([seqs[0]]);
      expect(
        (await backend.query({ target: "hw/c1", newestFirst: true, limit: 2 })).map((e) => e.kind),
      ).toEqual(["sleep.done", "sleep.scaled"]);
      expect(
        (await backend.query({ target: "hw/c1", newestFirst: true, beforeSeq: seqs[3] })).map((e) => e.kind),
      ).toEqual(["sleep.scaled", "sleep.started"]);
      expect(
        (await backend.query({ from: at(0), to: at(30), newestFirst: true, limit: 2 })).map((e) => e.kind),
      ).toEqual(["wake.started", "sleep.scaled"]);
      expect(
        (await backend.query({ from: at(0), beforeSeq: seqs[2], newestFirst: true })).map((e) => e.kind),
      ).toEqual(["sleep.scaled", "sleep.started"]);
      expect((await backend.query({ afterSeq: seqs[0], beforeSeq: seqs[3] })).map((e) => e.seq)).toEqual([
        seqs[1],
        seqs[2],
      ]);
      expect(await backend.sweep(at(10_000))).toBe(0);
      expect(await backend.query({})).toHaveLength(4);
    });

    describe("ledger entry keys", () => {
      const entry = (key: string | undefined, n: number) => ({
        at: at(n),
        operationId: "op1",
        target: "hw/c1",
        kind: "sleep.scale-pool",
        detail: { n },
        ...(key === undefined ? {} : { key }),
      });

      it("appends a key once: a second append stores nothing and returns the entry stored first", async () => {
        const first = await backend.append(entry("op1:1:0", 1));
        expect(first).toEqual({ ...entry("op1:1:0", 1), seq: first.seq });
        // The repeat differs in everything but its key: the stored entry stands, unchanged.
        expect(await backend.append(entry("op1:1:0", 2))).toEqual(first);
        const other = await backend.append(entry("op1:1:1", 3));
        const keyless = [
          await backend.append(entry(undefined, 4)),
          await backend.append(entry(undefined, 4)),
        ];
        expect(new Set([first.seq, other.seq, ...keyless.map((e) => e.seq)]).size).toBe(4);
        const stored = await backend.query({ operationId: "op1" });
        expect(stored).toEqual([first, other, ...keyless]);
        expect(stored.map((e) => e.key)).toEqual(["op1:1:0", "op1:1:1", undefined, undefined]);
        // A key is the whole key: one that starts alike is another entry.
        expect((await backend.append(entry("op1:1:0:x", 5))).seq).toBeGreaterThan(keyless[1]!.seq);
      });

      it("stores exactly one of many concurrent appends of one key, and every one returns it", async () => {
        const size = Math.min(options.raceSize ?? 1000, 200);
        const results = await Promise.all(
          Array.from({ length: size }, (_, i) => backend.append(entry("hot", i))),
        );
        const stored = await backend.query({ limit: 1000 });
        expect(stored).toHaveLength(1);
        for (const result of results) expect(result).toEqual(stored[0]);
      });

      it("refuses an empty or overlong key, storing nothing", async () => {
        await expect(backend.append(entry("", 1))).rejects.toThrow(
          /ledger entry key must be a string of 1 to 512/,
        );
        await expect(backend.append(entry("k".repeat(513), 1))).rejects.toThrow(/1 to 512 characters/);
        expect(await backend.query({})).toEqual([]);
      });
    });
  });
}
