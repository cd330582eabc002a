// The one place the store's latency is measured: a StoreBackend decorator that tells an observer how
// long every call took, by method, whether it succeeded or failed. createStore applies it when the
// host asks (StoreOptions.observe), so every read and write of the store is timed, whichever module
// makes it. Web APIs only: performance.now is monotonic on Node and in workerd (where it moves on
// with I/O, which is what a store call waits for).
import type { StoreBackend } from "./backend.ts";

/** The backend's methods that are timed (close is not). */
export const STORE_OPERATIONS = [
  "get",
  "put",
  "delete",
  "list",
  "listIndex",
  "increment",
  "addTallies",
  "listTallies",
  "append",
  "query",
  "sweep",
] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/** Told each call's duration in seconds (failed calls too: a timeout is latency as well). */
export type StoreCallObserver = (operation: StoreOperation, seconds: number) => void;

const defaultClock = () => performance.now();

export function timedBackend(
  backend: StoreBackend,
  observe: StoreCallObserver,
  clock: () => number = defaultClock,
): StoreBackend {
  const timed =
    <A extends unknown[], R>(operation: StoreOperation, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = clock();
      try {
        return await call(...args);
      } finally {
        observe(operation, Math.max(0, clock() - started) / 1000);
      }
    };
  return {
    kind: backend.kind,
    get: timed("get", backend.get.bind(backend)),
    put: timed("put", backend.put.bind(backend)),
    delete: timed("delete", backend.delete.bind(backend)),
    list: timed("list", backend.list.bind(backend)),
    listIndex: timed("listIndex", backend.listIndex.bind(backend)),
    increment: timed("increment", backend.increment.bind(backend)),
    addTallies: timed("addTallies", backend.addTallies.bind(backend)),
    listTallies: timed("listTallies", backend.listTallies.bind(backend)),
    append: timed("append", backend.append.bind(backend)),
    query: timed("query", backend.query.bind(backend)),
    sweep: timed("sweep", backend.sweep.bind(backend)),
    close: () => backend.close(),
  };
}
