// The SQLite file backend: the shared contract on a fresh file per test, then what only a file can
// show (group commit, migrations at open, reopening). Races between processes on one file:
// sqlite-processes.node.test.ts.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { backendContract } from "../../test/contract/store/backend-contract.ts";
import { storeContract } from "../../test/contract/store/store-contract.ts";
import type { StoreBackend } from "./backend.ts";
import { MIGRATIONS, SCHEMA_VERSION, SQL } from "./sql.ts";
import { loadSqlite, sqliteBackend } from "./sqlite.node.ts";
import { ACTIVE, createStore } from "./store.ts";

const { DatabaseSync } = await loadSqlite();

const T0 = new Date("2026-11-22T20:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const dirs: string[] = [];
const freshFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-sqlite-"));
  dirs.push(dir);
  return join(dir, "store.db");
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

backendContract("sqlite", () => sqliteBackend(freshFile()), {
  makeWithSweepBatch: (sweepBatch) => sqliteBackend(freshFile(), { sweepBatch }),
});
storeContract("sqlite", () => sqliteBackend(freshFile()));
backendContract("sqlite, one commit per write", () => sqliteBackend(freshFile(), { groupCommit: false }), {
  makeWithSweepBatch: (sweepBatch) => sqliteBackend(freshFile(), { sweepBatch, groupCommit: false }),
});

describe("SQLite group commit", () => {
  /** A second connection on the file, as another process has: it sees committed rows only. */
  const observe = (file: string) => {
    const other = new DatabaseSync(file);
    other.exec("PRAGMA busy_timeout = 0");
    return {
      rows: () => Number(other.prepare("SELECT COUNT(*) AS n FROM records WHERE namespace = 'g'").get()?.n),
      canWrite: () => {
        try {
          other.exec("BEGIN IMMEDIATE");
          other.exec("ROLLBACK");
          return true;
        } catch {
          return false;
        }
      },
      close: () => other.close(),
    };
  };
  const put = (backend: StoreBackend, key: string, index?: { name: string; score: number }) =>
    backend.put(
      "g",
      key,
      { value: key, expiresAt: null, ...(index ? { index } : {}) },
      { expectedVersion: null },
      T0,
    );

  it("commits concurrent writes once, together, and answers each only after that commit", async () => {
    const file = freshFile();
    const backend = await sqliteBackend(file);
    const other = observe(file);
    try {
      const seenWhenAnswered: number[] = [];
      const writes = Array.from({ length: 50 }, (_, i) =>
        put(backend, `k${i}`).then((result) => {
          seenWhenAnswered.push(other.rows());
          return result;
        }),
      );
      // The batch's transaction is open: nothing is visible elsewhere, and it holds the write lock.
      expect(other.rows()).toBe(0);
      expect(other.canWrite()).toBe(false);
      expect((await Promise.all(writes)).every((r) => r.ok)).toBe(true);
      // Every answer came after the one commit that made all 50 durable at once.
      expect(seenWhenAnswered).toEqual(Array(50).fill(50));
      expect(other.canWrite()).toBe(true);
    } finally {
      other.close();
      await backend.close();
    }
  });

  it("answers a read made while a batch is open after its commit, seeing the batch's writes", async () => {
    const file = freshFile();
    const backend = await sqliteBackend(file);
    const other = observe(file);
    try {
      const write = put(backend, "a");
      const read = backend.get("g", "a", T0).then((record) => ({ record, committed: other.rows() }));
      expect(await read).toEqual({ record: { value: "a", version: 1, expiresAt: null }, committed: 1 });
      expect(await write).toEqual({ ok: true, version: 1 });
      // No batch open: a read answers from what is committed.
      expect(await backend.get("g", "a", T0)).toEqual({ value: "a", version: 1, expiresAt: null });
    } finally {
      other.close();
      await backend.close();
    }
  });

  it("fails a refused call alone; the rest of its batch commits", async () => {
    const file = freshFile();
    const backend = await sqliteBackend(file);
    try {
      const results = await Promise.allSettled([
        put(backend, "a"),
        put(backend, "b", { name: "not an index name", score: 1 }),
        put(backend, "a"),
        backend.increment("c"),
      ]);
      expect(results.map((r) => (r.status === "fulfilled" ? r.value : String(r.reason)))).toEqual([
        { ok: true, version: 1 },
        expect.stringMatching(/^RangeError: index name "not an index name" is not allowed/),
        { ok: false, current: { value: "a", version: 1, expiresAt: null } },
        1,
      ]);
      expect((await backend.list("g", {}, T0)).map((r) => r.key)).toEqual(["a"]);
    } finally {
      await backend.close();
    }
  });

  it("commits what is pending before closing", async () => {
    const file = freshFile();
    const backend = await sqliteBackend(file);
    const write = put(backend, "a");
    await backend.close();
    expect(await write).toEqual({ ok: true, version: 1 });
    const other = observe(file);
    expect(other.rows()).toBe(1);
    other.close();
  });
});

describe("SQLite file", () => {
  it("keeps records, versions, counters and the ledger across close and reopen, in WAL mode", async () => {
    const file = freshFile();
    const first = await sqliteBackend(file);
    await first.put("ns", "k", { value: "1", expiresAt: null }, { expectedVersion: null }, T0);
    await first.increment("c");
    await first.append({ at: T0, operationId: "op", target: "t", kind: "k", detail: { n: 1 } });
    await first.close();
    await first.close(); // a second close is harmless

    const second = await sqliteBackend(file);
    try {
      expect(
        await second.put("ns", "k", { value: "2", expiresAt: null }, { expectedVersion: 1 }, T0),
      ).toEqual({
        ok: true,
        version: 2,
      });
      expect(await second.increment("c")).toBe(2);
      expect(
        (await second.append({ at: T0, operationId: "op", target: "t", kind: "k", detail: {} })).seq,
      ).toBe(2);
    } finally {
      await second.close();
    }
    const raw = new DatabaseSync(file);
    try {
      expect(raw.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
      expect(raw.prepare("SELECT version, name FROM schema_version").all()).toEqual(
        MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
      );
    } finally {
      raw.close();
    }
  });

  it("opens a file whose schema was applied from the migration files, as wrangler would", async () => {
    const file = freshFile();
    const raw = new DatabaseSync(file);
    for (const m of MIGRATIONS) {
      raw.exec(readFileSync(fileURLToPath(new URL(`./migrations/${m.file}`, import.meta.url)), "utf8"));
    }
    raw.close();
    const backend = await sqliteBackend(file);
    try {
      expect(
        await backend.put("ns", "k", { value: "v", expiresAt: 5 }, { expectedVersion: null }, T0),
      ).toEqual({
        ok: true,
        version: 1,
      });
      expect(await backend.sweep(T0)).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it("indexes the unfinished operations of a version 1 file when migrating it, and lists them from that index alone", async () => {
    const file = freshFile();
    const raw = new DatabaseSync(file);
    for (const statement of MIGRATIONS[0]!.statements) raw.exec(statement);
    const insert = raw.prepare(
      "INSERT INTO records (namespace, key, value, version, expires_at) VALUES ('op', ?, ?, 1, ?)",
    );
    const op = (id: string, status: string, createdAt: string) =>
      JSON.stringify({ id, target: "t", kind: "sleep", status, step: "s", data: {}, attempts: 0, createdAt });
    insert.run("old-waiting", op("old-waiting", "waiting", "2026-11-20T22:00:00.123Z"), null);
    insert.run("old-done", op("old-done", "succeeded", "2026-11-19T22:00:00.000Z"), at(3600).getTime());
    insert.run("old-pending", op("old-pending", "pending", "2026-11-21T22:00:00.007Z"), null);
    raw.close();

    const store = createStore(await sqliteBackend(file));
    try {
      expect((await store.operations.list({ status: ACTIVE }, T0)).map((o) => o.id)).toEqual([
        "old-waiting",
        "old-pending",
      ]);
    } finally {
      await store.close();
    }
    const after = new DatabaseSync(file);
    try {
      expect(
        after.prepare("SELECT key, idx, idx_score FROM records WHERE namespace = 'op' ORDER BY key").all(),
      ).toEqual([
        { key: "old-done", idx: null, idx_score: null },
        { key: "old-pending", idx: "active", idx_score: Date.parse("2026-11-21T22:00:00.007Z") },
        { key: "old-waiting", idx: "active", idx_score: Date.parse("2026-11-20T22:00:00.123Z") },
      ]);
      // The listing reads the covering partial index alone: never a row outside it, nor the table.
      const plan = after
        .prepare(`EXPLAIN QUERY PLAN ${SQL.listIndex}`)
        .all("op", "active", 0, -1, Number.MAX_VALUE)
        .map((row) => String(row.detail));
      expect(plan).toEqual([
        expect.stringMatching(
          /^SEARCH records USING COVERING INDEX records_idx \(namespace=\? AND idx=\? AND idx_score<\?\)$/,
        ),
      ]);
    } finally {
      after.close();
    }
  });

  it("keeps the ledger of a version 2 file when migrating it, its entries without a key", async () => {
    const file = freshFile();
    const raw = new DatabaseSync(file);
    for (const m of MIGRATIONS.slice(0, 2)) for (const statement of m.statements) raw.exec(statement);
    raw
      .prepare(
        "INSERT INTO ledger (at, operation_id, target, kind, detail) VALUES (?, 'op', 't', 'old', '{}')",
      )
      .run(T0.getTime());
    raw.close();
    const backend = await sqliteBackend(file);
    try {
      const keyed = { at: at(1), operationId: "op", target: "t", kind: "new", detail: {}, key: "op:1:0" };
      expect(await backend.append(keyed)).toEqual({ ...keyed, seq: 2 });
      expect(await backend.append({ ...keyed, kind: "again" })).toEqual({ ...keyed, seq: 2 });
      expect(await backend.query({})).toEqual([
        { at: T0, operationId: "op", target: "t", kind: "old", detail: {}, seq: 1 },
        { ...keyed, seq: 2 },
      ]);
    } finally {
      await backend.close();
    }
  });

  it("refuses a file written by a newer schema, and leaves it untouched", async () => {
    const file = freshFile();
    await (await sqliteBackend(file)).close();
    const raw = new DatabaseSync(file);
    raw.exec(`INSERT INTO schema_version (version, name) VALUES (${SCHEMA_VERSION + 1}, 'future')`);
    raw.close();
    await expect(sqliteBackend(file)).rejects.toThrow(
      `schema version ${SCHEMA_VERSION + 1} is newer than this nightshift knows (${SCHEMA_VERSION})`,
    );
  });

  it("lists by prefix beyond ASCII, bounded by limit, in key order", async () => {
    const backend = await sqliteBackend(freshFile());
    try {
      for (const key of ["集群/a", "集群/b", "集群0", "集", "z", "\u{10ffff}", "\u{10ffff}x"]) {
        await backend.put("ns", key, { value: key, expiresAt: null }, { expectedVersion: null }, T0);
      }
      expect((await backend.list("ns", { prefix: "集群/" }, T0)).map((r) => r.key)).toEqual([
        "集群/a",
        "集群/b",
      ]);
      expect((await backend.list("ns", { prefix: "集" }, T0)).map((r) => r.key)).toEqual([
        "集",
        "集群/a",
        "集群/b",
        "集群0",
      ]);
      expect((await backend.list("ns", { prefix: "\u{10ffff}" }, T0)).map((r) => r.key)).toEqual([
        "\u{10ffff}",
        "\u{10ffff}x",
      ]);
      expect((await backend.list("ns", { prefix: "集", limit: 2 }, T0)).map((r) => r.key)).toEqual([
        "集",
        "集群/a",
      ]);
    } finally {
      await backend.close();
    }
  });
});
