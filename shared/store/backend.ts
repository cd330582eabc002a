// The persistence port every backend implements: a versioned record store with compare-and-set,
// scored indexes over records, atomic counters, tallies (additive totals, listed by prefix: the
// metrics' durable counters), and an append-only ledger (idempotent per entry
// key, so an entry appended again after a crash is recorded once). Everything the product needs (idempotency claims,
// leases with fencing tokens, durable operations, snapshots, per-target state, secret slots) is
// built once on top of these primitives, in store.ts, so every backend behaves the same and one
// contract suite proves it.
//
// Only strongly consistent backends may implement this: a claim is a compare-and-set, and an
// eventually consistent store (Workers KV) would let two invocations both "win" the same claim.

/** A record as stored: the value is JSON text; versions start at 1 and grow by 1 on every write. */
export interface VersionedRecord {
  value: string;
  version: number;
  /** Epoch ms after which the record counts as absent (and may be swept); null = never. */
  expiresAt: number | null;
}

export interface PutCondition {
  /**
   * null: succeed only if the record is absent or expired (an expired record is overwritten and
   * its version keeps counting up). A number: succeed only if the live record has that version.
   */
  expectedVersion: number | null;
}

/**
 * A record's entry in one named index of its namespace, ordered by score (then key). It is written
 * in the same atomic step as the record, replaced or dropped by the record's next write (a put
 * without `index` leaves every index), and gone when the record is deleted, expires or is swept.
 * What a tick needs (unfinished operations, due outbox entries) is listed through an index, so
 * the cost of listing it does not grow with finished history.
 */
export interface IndexEntry {
  /** e.g. "active". Letters, digits, "-" and "_". */
  name: string;
  /** Orders the index, e.g. epoch ms of creation or of when the work is due. A finite number. */
  score: number;
}

export interface RecordInput {
  value: string;
  expiresAt: number | null;
  index?: IndexEntry;
}

export interface IndexedRecord extends VersionedRecord {
  key: string;
  score: number;
}

export interface IndexQuery {
  /** Inclusive upper bound on the score (e.g. "due by now"). */
  upTo?: number;
  limit?: number;
}

const INDEX_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Refuses an index entry no backend could store the same way; every backend calls it in `put`. */
export function checkIndexEntry(index: IndexEntry | undefined): void {
  if (index === undefined) return;
  if (!INDEX_NAME.test(index.name))
    throw new RangeError(
      `index name "${index.name}" is not allowed: use 1 to 64 letters, digits, "-" or "_"`,
    );
  if (!Number.isFinite(index.score))
    throw new RangeError(`index "${index.name}": score must be a finite number (got ${index.score})`);
}

export type PutResult = { ok: true; version: number } | { ok: false; current: VersionedRecord | undefined };

export interface LedgerEntryInput {
  /** When it happened (taken from the caller's clock, never the backend's). */
  at: Date;
  operationId: string;
  target: string;
  /** What happened, e.g. "sleep.scale-down", "resize.applied", "renew.failed". */
  kind: string;
  /** JSON-serialisable detail (before/after, cloud job ids, error). */
  detail: Record<string, unknown>;
  /**
   * Makes the append idempotent: a second append with the same key appends nothing and returns the
   * entry already stored, whatever the rest of it says. Unique per action (e.g. the jobs runtime's
   * `<operation>:<created ms>:<version read>:<index>`). Absent: every append is a new entry.
   */
  key?: string;
}

export interface LedgerEntry extends LedgerEntryInput {
  /** Assigned by the backend; strictly increasing in append order. */
  seq: number;
}

export interface LedgerQuery {
  target?: string;
  operationId?: string;
  /** Inclusive lower bound on `at`. */
  from?: Date;
  /** Exclusive upper bound on `at`. */
  to?: Date;
  /** Only entries with seq greater than this (paging oldest first). */
  afterSeq?: number;
  /** Only entries with seq less than this (paging newest first). */
  beforeSeq?: number;
  /** Newest first (seq descending): the most recent `limit` entries. Default: oldest first. */
  newestFirst?: boolean;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface StoreBackend {
  /** e.g. "memory", "sqlite", "d1", "redis" */
  readonly kind: string;

  get(namespace: string, key: string, now: Date): Promise<VersionedRecord | undefined>;
  /** Writes the record and, atomically with it, its index entry (or its absence from every index). */
  put(
    namespace: string,
    key: string,
    record: RecordInput,
    condition: PutCondition,
    now: Date,
  ): Promise<PutResult>;
  /** Deletes the live record if it has `expectedVersion`; true when deleted. */
  delete(namespace: string, key: string, expectedVersion: number, now: Date): Promise<boolean>;
  /** Live records of a namespace whose key starts with `prefix`, in key order. */
  list(
    namespace: string,
    options: { prefix?: string; limit?: number },
    now: Date,
  ): Promise<Array<VersionedRecord & { key: string }>>;
  /**
   * Live records of a namespace in the named index, by score then key; reads only the index's
   * members, never the rest of the namespace.
   */
  listIndex(namespace: string, index: string, query: IndexQuery, now: Date): Promise<IndexedRecord[]>;

  /** Atomically adds 1 to a named counter (created at 0) and returns the new value. Never expires. */
  increment(counter: string): Promise<number>;

  /**
   * Adds each increment to its tally (created at 0), all in one atomic write: every one is added or
   * none is, and adds from any number of processes sum up. Tallies never expire, and are apart from
   * `increment`'s counters (which hand out fencing tokens and are never listed).
   */
  addTallies(increments: readonly TallyIncrement[]): Promise<void>;
  /** Every tally whose name starts with `prefix`, in name order. */
  listTallies(prefix: string): Promise<Tally[]>;

  /**
   * Appends the entry, atomically with the check of its key: of any number of appends of one key,
   * from any number of processes, exactly one is stored and every one returns it.
   */
  append(entry: LedgerEntryInput): Promise<LedgerEntry>;
  query(query: LedgerQuery): Promise<LedgerEntry[]>;

  /** Removes expired records; returns how many. The ledger is never swept. */
  sweep(now: Date): Promise<number>;
  close(): Promise<void>;
}

/** What `addTallies` adds: a whole number, at least 1, to the tally `name`. */
export interface TallyIncrement {
  name: string;
  by: number;
}

export interface Tally {
  name: string;
  value: number;
}

const TALLY_NAME_MAX = 512;

/** Refuses increments no backend could store the same way; every backend calls it in `addTallies`. */
export function checkTallies(increments: readonly TallyIncrement[]): void {
  for (const { name, by } of increments) {
    if (typeof name !== "string" || name.length === 0 || name.length > TALLY_NAME_MAX)
      throw new RangeError(
        `tally name must be a string of 1 to ${TALLY_NAME_MAX} characters (got ${JSON.stringify(name)?.slice(0, 40)})`,
      );
    if (!Number.isSafeInteger(by) || by < 1)
      throw new RangeError(`tally "${name}": add a whole number of at least 1 (got ${by})`);
  }
}

export const LEDGER_DEFAULT_LIMIT = 100;
const LEDGER_KEY_MAX = 512;

/** Refuses a ledger key no backend could store the same way; every backend calls it in `append`. */
export function checkLedgerKey(key: string | undefined): void {
  if (key === undefined) return;
  if (typeof key !== "string" || key.length === 0 || key.length > LEDGER_KEY_MAX)
    throw new RangeError(
      `ledger entry key must be a string of 1 to ${LEDGER_KEY_MAX} characters (got ${JSON.stringify(key)?.slice(0, 40)}); omit it for an entry that needs no idempotency`,
    );
}
export const LEDGER_MAX_LIMIT = 1000;
