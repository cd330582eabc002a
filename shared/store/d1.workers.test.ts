// The D1 backend inside workerd, against the local D1 of the `DB` binding (wrangler.toml). Each
// test file gets its own database, but tests in this file share it: every test starts from
// emptied tables.

import { applyD1Migrations, reset } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { backendContract } from "../../test/contract/store/backend-contract.ts";
import { storeContract } from "../../test/contract/store/store-contract.ts";
import { DB, emptiedD1 } from "../../test/setup/d1.workers.ts";
import { d1Backend, migrateD1 } from "./d1.workers.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./sql.ts";
import { ACTIVE, createStore } from "./store.ts";

const T0 = new Date("2026-11-22T20:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const rows = async (sql: string) => (await DB.prepare(sql).all()).results;

backendContract("d1", async () => d1Backend(await emptiedD1()), {
  makeWithSweepBatch: async (sweepBatch) => d1Backend(await emptiedD1(), { sweepBatch }),
});
storeContract("d1", async () => d1Backend(await emptiedD1()));

describe("D1 schema migrations", () => {
  it("applies the schema at first use and records it where wrangler looks too", async () => {
    await reset();
    const backend = d1Backend(DB);
    expect(await backend.increment("c")).toBe(1);
    expect(await rows("SELECT version, name FROM schema_version")).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    expect(await rows("SELECT name FROM d1_migrations ORDER BY id")).toEqual(
      MIGRATIONS.map((m) => ({ name: m.file })),
    );
    // wrangler's apply (here its test twin) then finds nothing left to do, and the data stays.
    await applyD1Migrations(
      DB,
      MIGRATIONS.map((m) => ({ name: m.file, queries: [...m.statements] })),
    );
    expect(await rows("SELECT name FROM d1_migrations ORDER BY id")).toEqual(
      MIGRATIONS.map((m) => ({ name: m.file })),
    );
    expect(await backend.increment("c")).toBe(2);
  });

  it("sees a database migrated by wrangler as current", async () => {
    await reset();
    await applyD1Migrations(
      DB,
      MIGRATIONS.map((m) => ({ name: m.file, queries: [...m.statements] })),
    );
    expect(await migrateD1(DB)).toBe(SCHEMA_VERSION);
    expect(await rows("SELECT version FROM schema_version")).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    expect(await rows("SELECT name FROM d1_migrations")).toEqual(MIGRATIONS.map((m) => ({ name: m.file })));
    const backend = d1Backend(DB);
    expect(
      await backend.put("ns", "k", { value: "v", expiresAt: null }, { expectedVersion: null }, T0),
    ).toEqual({
      ok: true,
      version: 1,
    });
  });

  it("indexes the unfinished operations of a version 1 database when migrating it", async () => {
    await reset();
    const [first] = MIGRATIONS;
    await applyD1Migrations(DB, [{ name: first!.file, queries: [...first!.statements] }]);
    const op = (id: string, status: string, createdAt: string) =>
      JSON.stringify({ id, target: "t", kind: "wake", status, step: "s", data: {}, attempts: 0, createdAt });
    const insert =
      "INSERT INTO records (namespace, key, value, version, expires_at) VALUES ('op', ?1, ?2, 1, ?3)";
    await DB.batch([
      DB.prepare(insert).bind("running", op("running", "running", "2026-11-21T06:00:00.250Z"), null),
      DB.prepare(insert).bind(
        "failed",
        op("failed", "failed", "2026-11-20T06:00:00.000Z"),
        at(3600).getTime(),
      ),
    ]);
    // This isolate already checked the schema once (earlier tests): migrate as a cold one would.
    expect(await migrateD1(DB)).toBe(SCHEMA_VERSION);
    const store = createStore(d1Backend(DB));
    expect((await store.operations.list({ status: ACTIVE }, T0)).map((o) => o.id)).toEqual(["running"]);
    expect(await rows("SELECT key, idx, idx_score FROM records ORDER BY key")).toEqual([
      { key: "failed", idx: null, idx_score: null },
      { key: "running", idx: "active", idx_score: Date.parse("2026-11-21T06:00:00.250Z") },
    ]);
  });

  it("recreates the schema when the tables vanish under a warm isolate, and retries the call", async () => {
    const backend = d1Backend(await emptiedD1());
    await backend.put("ns", "k", { value: "v", expiresAt: null }, { expectedVersion: null }, T0);
    await reset();
    await expect(rows("SELECT key FROM records")).rejects.toThrow(/no such table/);
    expect(await backend.get("ns", "k", T0)).toBeUndefined();
    expect(
      await backend.put("ns", "k", { value: "w", expiresAt: null }, { expectedVersion: null }, T0),
    ).toEqual({
      ok: true,
      version: 1,
    });
  });

  it("refuses a database written by a newer schema", async () => {
    await emptiedD1();
    await DB.prepare("INSERT INTO schema_version (version, name) VALUES (?1, 'future')")
      .bind(SCHEMA_VERSION + 1)
      .run();
    try {
      await expect(migrateD1(DB)).rejects.toThrow(
        `schema version ${SCHEMA_VERSION + 1} is newer than this nightshift knows (${SCHEMA_VERSION})`,
      );
    } finally {
      await DB.prepare("DELETE FROM schema_version WHERE name = 'future'").run();
    }
  });
});

describe("D1 backend", () => {
  it("stores timestamps and versions as integers", async () => {
    const backend = d1Backend(await emptiedD1());
    await backend.put("ns", "k", { value: "v", expiresAt: at(60).getTime() }, { expectedVersion: null }, T0);
    await backend.append({ at: T0, operationId: "op", target: "t", kind: "k", detail: {} });
    expect(await rows("SELECT typeof(version) AS v, typeof(expires_at) AS e FROM records")).toEqual([
      { v: "integer", e: "integer" },
    ]);
    expect(await rows("SELECT typeof(at) AS a FROM ledger")).toEqual([{ a: "integer" }]);
  });
});
