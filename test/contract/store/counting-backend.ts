// A StoreBackend decorator that counts what passes through the port: calls that read, the
// records or entries they return, and calls that write. The store contract and `npm run bench`
// use it to show what a listing costs, measured rather than guessed.
import type { StoreBackend } from "../../../shared/store/backend.ts";

export interface BackendCounts {
  /** get, list, listIndex, listTallies and query calls. */
  reads: number;
  /** Records (or ledger entries) those calls returned. */
  rows: number;
  /** put, delete, increment, addTallies, append and sweep calls. */
  writes: number;
}

export function countingBackend(inner: StoreBackend): {
  backend: StoreBackend;
  counts: BackendCounts;
  reset(): void;
} {
  const counts: BackendCounts = { reads: 0, rows: 0, writes: 0 };
  const read = <T>(result: T): T => {
    counts.reads++;
    counts.rows += Array.isArray(result) ? result.length : result === undefined ? 0 : 1;
    return result;
  };
  const write = <T>(result: T): T => {
    counts.writes++;
    return result;
  };
  const backend: StoreBackend = {
    kind: inner.kind,
    get: async (...args) => read(await inner.get(...args)),
    list: async (...args) => read(await inner.list(...args)),
    listIndex: async (...args) => read(await inner.listIndex(...args)),
    query: async (...args) => read(await inner.query(...args)),
    put: async (...args) => write(await inner.put(...args)),
    delete: async (...args) => write(await inner.delete(...args)),
    increment: async (...args) => write(await inner.increment(...args)),
    addTallies: async (...args) => write(await inner.addTallies(...args)),
    listTallies: async (...args) => read(await inner.listTallies(...args)),
    append: async (...args) => write(await inner.append(...args)),
    sweep: async (...args) => write(await inner.sweep(...args)),
    close: () => inner.close(),
  };
  return {
    backend,
    counts,
    reset() {
      counts.reads = 0;
      counts.rows = 0;
      counts.writes = 0;
    },
  };
}
