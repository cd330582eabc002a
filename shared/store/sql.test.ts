// The statement builders both SQL backends share (runtime-neutral: runs on Node and in workerd).
import { describe, expect, it } from "vitest";
import { ledgerQuery, listQuery, prefixUpperBound, SQL } from "./sql.ts";

describe("prefixUpperBound", () => {
  it("is the least string above every string with the prefix, in code point order", () => {
    expect(prefixUpperBound("x:1")).toBe("x:2");
    expect(prefixUpperBound("集群/")).toBe("集群0");
    expect(prefixUpperBound("a\u{10ffff}\u{10ffff}")).toBe("b");
    expect(prefixUpperBound("\ud7ff")).toBe("\ue000");
    expect(prefixUpperBound("\u{1f600}")).toBe("\u{1f601}");
  });

  it("is absent when no string bounds the prefix from above", () => {
    expect(prefixUpperBound("")).toBeUndefined();
    expect(prefixUpperBound("\u{10ffff}")).toBeUndefined();
  });
});

describe("listQuery", () => {
  it("uses the bounded range when the prefix has an upper bound, and no limit unless asked", () => {
    const now = new Date(1000);
    expect(listQuery("ns", { prefix: "a" }, now)).toEqual({
      sql: SQL.listBounded,
      params: ["ns", "a", 1000, -1, "b"],
    });
    expect(listQuery("ns", { limit: 3 }, now)).toEqual({ sql: SQL.list, params: ["ns", "", 1000, 3] });
  });
});

describe("ledgerQuery", () => {
  it("numbers one parameter per filter given, and caps the limit at 1000 (default 100)", () => {
    expect(ledgerQuery({})).toEqual({
      sql: "SELECT seq, at, operation_id, target, kind, detail, entry_key FROM ledger ORDER BY seq LIMIT ?1",
      params: [100],
    });
    expect(ledgerQuery({ operationId: "op", to: new Date(5), afterSeq: 7, limit: 5000 })).toEqual({
      sql: "SELECT seq, at, operation_id, target, kind, detail, entry_key FROM ledger WHERE operation_id = ?1 AND at < ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
      params: ["op", 5, 7, 1000],
    });
  });
});
