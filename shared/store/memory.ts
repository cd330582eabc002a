// In-process backend: for tests and for a single short-lived process. Same semantics as the
// durable backends, proven by the same contract suite.
import {
  checkIndexEntry,
  checkLedgerKey,
  checkTallies,
  type IndexEntry,
  type IndexedRecord,
  LEDGER_DEFAULT_LIMIT,
  LEDGER_MAX_LIMIT,
  type LedgerEntry,
  type StoreBackend,
  type VersionedRecord,
} from "./backend.ts";

type Stored = VersionedRecord & { index?: IndexEntry };

const copyEntry = (e: LedgerEntry): LedgerEntry => ({
  ...e,
  at: new Date(e.at),
  detail: structuredClone(e.detail),
});

export function memoryBackend(): StoreBackend {
  // Per namespace: key -> record, so listing a namespace visits its records only (a fleet's
  // targets are listed beside tens of thousands of kept operations).
  const namespaces = new Map<string, Map<string, Stored>>();
  // Per namespace and index name: key -> the indexed record. Kept in step with the records on every
  // write, delete and sweep, so a listing visits the index's members only.
  const indexes = new Map<string, Map<string, Stored & { index: IndexEntry }>>();
  const counters = new Map<string, number>();
  const tallies = new Map<string, number>();
  const ledger: LedgerEntry[] = [];
  const ledgerKeys = new Map<string, LedgerEntry>();
  const id = (namespace: string, name: string) => `${namespace}\u0000${name}`;
  const recordsOf = (namespace: string) => {
    let records = namespaces.get(namespace);
    if (!records) {
      records = new Map();
      namespaces.set(namespace, records);
    }
    return records;
  };
  const live = (record: Stored | undefined, now: Date) =>
    record && (record.expiresAt === null || record.expiresAt > now.getTime()) ? record : undefined;
  const copy = ({ value, version, expiresAt }: Stored): VersionedRecord => ({ value, version, expiresAt });
  const unindex = (namespace: string, key: string, record: Stored | undefined) => {
    if (record?.index) indexes.get(id(namespace, record.index.name))?.delete(key);
  };
  const remove = (namespace: string, key: string) => {
    const records = recordsOf(namespace);
    unindex(namespace, key, records.get(key));
    records.delete(key);
  };

  return {
    kind: "memory",
    async get(namespace, key, now) {
      const record = live(namespaces.get(namespace)?.get(key), now);
      return record ? copy(record) : undefined;
    },
    async put(namespace, key, record, condition, now) {
      checkIndexEntry(record.index);
      const records = recordsOf(namespace);
      const stored = records.get(key);
      const current = live(stored, now);
      const matches =
        condition.expectedVersion === null
          ? current === undefined
          : current?.version === condition.expectedVersion;
      if (!matches) return { ok: false, current: current ? copy(current) : undefined };
      const version = (stored?.version ?? 0) + 1;
      unindex(namespace, key, stored);
      const written: Stored = { value: record.value, expiresAt: record.expiresAt, version };
      records.set(key, written);
      if (record.index) {
        const indexed = Object.assign(written, { index: { ...record.index } });
        const members = indexes.get(id(namespace, indexed.index.name)) ?? new Map();
        members.set(key, indexed);
        indexes.set(id(namespace, indexed.index.name), members);
      }
      return { ok: true, version };
    },
    async delete(namespace, key, expectedVersion, now) {
      const current = live(namespaces.get(namespace)?.get(key), now);
      if (current?.version !== expectedVersion) return false;
      remove(namespace, key);
      return true;
    },
    async list(namespace, options, now) {
      const prefix = options.prefix ?? "";
      const out: Array<VersionedRecord & { key: string }> = [];
      for (const [key, record] of namespaces.get(namespace) ?? []) {
        if (key.startsWith(prefix) && live(record, now)) out.push({ key, ...copy(record) });
      }
      out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return options.limit === undefined ? out : out.slice(0, options.limit);
    },
    async listIndex(namespace, index, query, now) {
      const out: IndexedRecord[] = [];
      for (const [key, record] of indexes.get(id(namespace, index)) ?? []) {
        const score = record.index.score;
        if ((query.upTo === undefined || score <= query.upTo) && live(record, now))
          out.push({ key, score, ...copy(record) });
      }
      out.sort((a, b) => a.score - b.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return query.limit === undefined ? out : out.slice(0, Math.max(0, query.limit));
    },
    async increment(counter) {
      const next = (counters.get(counter) ?? 0) + 1;
      counters.set(counter, next);
      return next;
    },
    async addTallies(increments) {
      checkTallies(increments);
      for (const { name, by } of increments) tallies.set(name, (tallies.get(name) ?? 0) + by);
    },
    async listTallies(prefix) {
      return [...tallies]
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, value]) => ({ name, value }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async append(entry) {
      checkLedgerKey(entry.key);
      const existing = entry.key === undefined ? undefined : ledgerKeys.get(entry.key);
      if (existing) return copyEntry(existing);
      const stored: LedgerEntry = {
        ...entry,
        at: new Date(entry.at),
        detail: structuredClone(entry.detail),
        seq: ledger.length + 1,
      };
      ledger.push(stored);
      if (stored.key !== undefined) ledgerKeys.set(stored.key, stored);
      return copyEntry(stored);
    },
    async query(q) {
      const limit = Math.min(q.limit ?? LEDGER_DEFAULT_LIMIT, LEDGER_MAX_LIMIT);
      const matching = ledger.filter(
        (e) =>
          (q.target === undefined || e.target === q.target) &&
          (q.operationId === undefined || e.operationId === q.operationId) &&
          (q.from === undefined || e.at.getTime() >= q.from.getTime()) &&
          (q.to === undefined || e.at.getTime() < q.to.getTime()) &&
          (q.afterSeq === undefined || e.seq > q.afterSeq) &&
          (q.beforeSeq === undefined || e.seq < q.beforeSeq),
      );
      if (q.newestFirst) matching.reverse();
      return matching.slice(0, limit).map(copyEntry);
    },
    async sweep(now) {
      let removed = 0;
      for (const [namespace, records] of namespaces) {
        for (const [key, record] of records) {
          if (record.expiresAt !== null && record.expiresAt <= now.getTime()) {
            remove(namespace, key);
            removed++;
          }
        }
      }
      return removed;
    },
    async close() {},
  };
}
