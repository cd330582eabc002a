// The embedded default on Node: the store in one SQLite file, shared safely by several processes on
// the same machine (not by replicas on different machines: use Redis for that).
//
// Why node:sqlite rather than better-sqlite3: it ships with Node 22 (nothing to compile, no native
// addon to match to the Node ABI, no prebuilt binary to download, which this project's machines
// cannot do anyway), and its synchronous API suits statements that take microseconds. It is still
// flagged experimental in Node 22 and prints an ExperimentalWarning when first loaded; that one
// warning, and only it, is filtered while the module loads so it does not pollute CLI output.
//
// Concurrency: WAL mode (readers never block the writer) and a busy timeout, so a process that
// finds the write lock taken waits for it instead of failing. Every compare-and-set is ONE
// statement (INSERT ... ON CONFLICT DO UPDATE ... WHERE expires_at <= now, UPDATE ... WHERE
// version = ?, both with RETURNING), so it is atomic across connections and processes on its own.
// `put` runs it with the read of the current record inside one transaction, so a failed put
// reports the record that made it fail, as memory.ts and D1 do. The synchronous API means a
// waiting statement blocks this process's event loop for up to the busy timeout: fine for a short
// write lock, and the reason sweeps run in bounded batches.
//
// Group commit: synchronous=FULL costs one fsync per commit, and a commit per write would make
// every concurrent caller queue behind the others' fsyncs. Instead the first write opens a
// transaction (BEGIN IMMEDIATE), every call made before the event loop's next check phase
// (setImmediate) runs inside it, and one COMMIT (one fsync) ends it; each call's promise settles
// only after that COMMIT, so nothing is answered before it is durable, and a caller that read a
// record another caller of the same batch wrote never acts on a write that could still be lost.
// While a COMMIT blocks the loop, the next requests queue in the sockets; they all land in the
// next batch, so the batch grows with the load and costs nothing when idle. A read with no batch
// open runs at once (nothing uncommitted to see). A failed call changed nothing and fails alone,
// unless SQLite rolled the whole transaction back, which fails the batch.
//
// Expired records count as absent (every read filters on expires_at > now) and stay in the table
// until `sweep` deletes them, SWEEP_BATCH rows per statement. A claim over an expired row updates
// that row in place, which is how its version keeps counting up from the old row's; once swept, a
// key starts again at version 1, as in memory.ts.
//
// Schema: the migrations in sql.ts, applied when the file is opened, inside one BEGIN IMMEDIATE
// transaction (so processes opening a new file at once apply them exactly once), recorded in
// `schema_version`. The ledger is `seq INTEGER PRIMARY KEY AUTOINCREMENT` (a seq is never reused)
// with indexes on target, operation_id and at, and a unique one on entry_key (idempotent appends). Timestamps are integer epoch ms. synchronous stays
// at SQLite's default FULL: a claim acknowledged must survive a power cut, or an action could run
// twice.
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import {
  checkIndexEntry,
  checkLedgerKey,
  checkTallies,
  type LedgerEntry,
  type PutResult,
  type StoreBackend,
} from "./backend.ts";
import {
  appendParams,
  indexedFromRow,
  ledgerEntryFromRow,
  ledgerQuery,
  listedFromRow,
  listIndexParams,
  listQuery,
  pendingMigrations,
  putParams,
  recordFromRow,
  SQL,
  SWEEP_BATCH,
  talliesQuery,
  tallyFromRow,
} from "./sql.ts";

export interface SqliteBackendOptions {
  /** How long a statement waits for another process's write lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /** Rows deleted per sweep statement. Default SWEEP_BATCH. */
  sweepBatch?: number;
  /** Share one commit between the calls of one event-loop turn (see above). Default true; false: one commit per write. */
  groupCommit?: boolean;
}

let sqliteModule: Promise<typeof import("node:sqlite")> | undefined;

/** node:sqlite, loaded without its ExperimentalWarning (also for tests that inspect a store file). */
export function loadSqlite(): Promise<typeof import("node:sqlite")> {
  sqliteModule ??= (async () => {
    const emitWarning = process.emitWarning;
    // Node emits the warning synchronously while the builtin loads; anything else passes through.
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      const message = typeof warning === "string" ? warning : warning.message;
      const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
      if (type === "ExperimentalWarning" && message.startsWith("SQLite is an experimental feature")) return;
      return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
    }) as typeof process.emitWarning;
    try {
      return await import("node:sqlite");
    } finally {
      process.emitWarning = emitWarning;
    }
  })();
  return sqliteModule;
}

/** Opens (creating if needed) the store file at `path` and brings its schema up to date. */
export async function sqliteBackend(path: string, options: SqliteBackendOptions = {}): Promise<StoreBackend> {
  const { DatabaseSync } = await loadSqlite();
  const db = new DatabaseSync(path);
  try {
    // The busy timeout first: switching to WAL itself needs a lock another opener may hold.
    const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    await switchToWal(db, busyTimeoutMs);
    transaction(db, () => {
      db.exec(SQL.schemaVersionTable);
      const current = Number(db.prepare(SQL.schemaVersion).get()?.version ?? 0);
      for (const migration of pendingMigrations(current)) {
        for (const statement of migration.statements) db.exec(statement);
      }
    });
  } catch (error) {
    db.close();
    throw error;
  }
  return openedBackend(db, options.sweepBatch ?? SWEEP_BATCH, options.groupCommit ?? true);
}

/**
 * SQLite may answer "database is locked" to the switch to WAL at once, without waiting out the
 * busy timeout (several processes opening a new file together): try again until the timeout.
 */
async function switchToWal(db: DatabaseSync, busyTimeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      const busy =
        (error as { errcode?: number }).errcode === 5 || (error as { errcode?: number }).errcode === 6;
      if (!busy || Date.now() >= giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
  }
}

/** BEGIN IMMEDIATE takes the write lock up front, so the busy timeout applies to it, not mid-way. */
function transaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = body();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** One call's part in a batch: settled once the batch's COMMIT has succeeded or failed. */
interface BatchMember {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The group commit described at the top: `write` runs a call inside the open batch (opening one if
 * needed), `read` too when a batch is open, at once otherwise. Both answer after the COMMIT.
 */
function groupCommitter(db: DatabaseSync, enabled: boolean) {
  let batch: BatchMember[] | undefined;

  const fail = (members: BatchMember[], error: unknown) => {
    for (const member of members) member.reject(error);
  };

  /** Commits the open batch now and settles its calls; no-op without one. */
  const flush = () => {
    const members = batch;
    if (!members) return;
    batch = undefined;
    try {
      db.exec("COMMIT");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      fail(members, error);
      return;
    }
    for (const member of members) member.resolve();
  };

  const join = <T>(work: () => T): Promise<T> => {
    const members = batch!;
    let value: T;
    try {
      value = work();
    } catch (error) {
      // A failed statement is undone alone; some errors (disk full, I/O) undo the transaction.
      if (!db.isTransaction) {
        batch = undefined;
        fail(members, error);
      }
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      members.push({ resolve: () => resolve(value), reject });
    });
  };

  return {
    flush,
    /** A call that writes: always inside a batch (or its own transaction without group commit). */
    write<T>(work: () => T): Promise<T> {
      if (!enabled) {
        try {
          return Promise.resolve(transaction(db, work));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      if (!batch) {
        try {
          db.exec("BEGIN IMMEDIATE");
        } catch (error) {
          return Promise.reject(error);
        }
        batch = [];
        setImmediate(flush);
      }
      return join(work);
    },
    /** A call that only reads: inside the open batch (it may see its writes), else at once. */
    read<T>(work: () => T): Promise<T> {
      if (batch) return join(work);
      try {
        return Promise.resolve(work());
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

function openedBackend(db: DatabaseSync, sweepBatch: number, groupCommit: boolean): StoreBackend {
  const prepared = new Map<string, StatementSync>();
  // Ledger queries vary with the filters given: at most 32 shapes, each prepared once.
  const statement = (sql: string) => {
    let found = prepared.get(sql);
    if (!found) {
      found = db.prepare(sql);
      prepared.set(sql, found);
    }
    return found;
  };
  const { read, write, flush } = groupCommitter(db, groupCommit);
  let open = true;

  return {
    kind: "sqlite",
    get(namespace, key, now) {
      return read(() => {
        const row = statement(SQL.get).get(namespace, key, now.getTime());
        return row ? recordFromRow(row) : undefined;
      });
    },
    async put(namespace, key, record, condition, now): Promise<PutResult> {
      checkIndexEntry(record.index);
      const params = putParams(namespace, key, record, now, condition.expectedVersion);
      const sql = condition.expectedVersion === null ? SQL.insertIfAbsent : SQL.updateAtVersion;
      return write((): PutResult => {
        const written = statement(sql).get(...params);
        if (written) return { ok: true, version: Number(written.version) };
        const current = statement(SQL.get).get(namespace, key, now.getTime());
        return { ok: false, current: current ? recordFromRow(current) : undefined };
      });
    },
    delete(namespace, key, expectedVersion, now) {
      return write(
        () => statement(SQL.deleteAtVersion).run(namespace, key, now.getTime(), expectedVersion).changes > 0,
      );
    },
    list(namespace, options, now) {
      const { sql, params } = listQuery(namespace, options, now);
      return read(() =>
        statement(sql)
          .all(...params)
          .map(listedFromRow),
      );
    },
    listIndex(namespace, index, query, now) {
      return read(() =>
        statement(SQL.listIndex)
          .all(...listIndexParams(namespace, index, query, now))
          .map(indexedFromRow),
      );
    },
    increment(counter) {
      return write(() => Number(statement(SQL.increment).get(counter)?.value));
    },
    async addTallies(increments) {
      checkTallies(increments);
      if (increments.length === 0) return;
      // One transaction (the batch's, or its own): all added, or none.
      return write(() => {
        for (const { name, by } of increments) statement(SQL.addTally).run(name, by);
      });
    },
    listTallies(prefix) {
      const { sql, params } = talliesQuery(prefix);
      return read(() =>
        statement(sql)
          .all(...params)
          .map(tallyFromRow),
      );
    },
    async append(entry): Promise<LedgerEntry> {
      checkLedgerKey(entry.key);
      return write(() => {
        const row = statement(SQL.append).get(...appendParams(entry));
        if (row) return { ...entry, detail: structuredClone(entry.detail), seq: Number(row.seq) };
        // Its key was stored before (a row the insert saw under the write lock).
        return ledgerEntryFromRow(statement(SQL.entryByKey).get(entry.key!)!);
      });
    },
    query(q) {
      const { sql, params } = ledgerQuery(q);
      return read(() =>
        statement(sql)
          .all(...(params as SQLInputValue[]))
          .map(ledgerEntryFromRow),
      );
    },
    async sweep(now) {
      // Its own commits, one per bounded batch, so other processes get the lock in between.
      flush();
      let removed = 0;
      for (;;) {
        const changes = Number(statement(SQL.sweepBatch).run(now.getTime(), sweepBatch).changes);
        removed += changes;
        if (changes < sweepBatch) return removed;
      }
    },
    async close() {
      if (!open) return;
      open = false;
      flush();
      db.close();
    },
  };
}
