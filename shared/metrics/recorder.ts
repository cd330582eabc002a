// What a host counts as it runs and the store does not hold by itself: the cloud API calls (told by
// the HTTP client, shared/http/client.ts) and the store's latency (told by the store's timing
// decorator, shared/store/timed.ts). A Worker isolate's or a Node process's memory is not where
// metrics can live (isolates come and go, replicas are many), so each host counts in memory and
// flushes the increments to the store's tallies: Node once per tick, Workers at the end of each
// invocation. Tallies add up atomically, so every replica's and isolate's counts sum in the store,
// and GET /metrics reads the sum from any of them.
//
// A tally's name is `metrics:<series>` then its label values, each after a U+001F separator, in
// the series' label order. Label values are bounded by construction: a provider (from the API
// name), an API name (code-defined), an HTTP status or the failure's kind, a store method, a
// bucket bound. Never a target, an account or anything a cloud answered.
//
// A flush that fails keeps its increments for the next one (the counts are late, not lost); one
// whose write the store applied but whose answer was lost would count them twice, which a counter
// survives better than silently losing them.
import type { HttpExchange } from "../http/client.ts";
import type { Tally, TallyIncrement } from "../store/backend.ts";
import type { Store } from "../store/store.ts";
import type { StoreCallObserver, StoreOperation } from "../store/timed.ts";

export const TALLY_PREFIX = "metrics:";
const SEPARATOR = "\u001f";

/** The store latency histogram's bucket bounds, in seconds. */
export const STORE_DURATION_BOUNDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** The series a host counts, with their labels in the order the tally names carry them. */
export const TALLIED = {
  /** One per HTTP attempt to a cloud API. */
  cloudRequests: { series: "cloud_requests", labels: ["provider", "api", "status"] },
  /** Store calls per method and latency bucket (the bucket's upper bound, or "+Inf"). */
  storeBuckets: { series: "store_duration_bucket", labels: ["operation", "le"] },
  /** The store calls' summed latency, in whole microseconds. */
  storeMicros: { series: "store_duration_us", labels: ["operation"] },
} as const;

type Tallied = (typeof TALLIED)[keyof typeof TALLIED];

const API_NAME = /^[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_.-]{1,64}$/;

/** The name of the tally of `series` with these label values (a separator inside a value is replaced). */
export function tallyName(series: Tallied, values: readonly string[]): string {
  if (values.length !== series.labels.length)
    throw new RangeError(`${series.series}: ${series.labels.length} label values expected`);
  return [`${TALLY_PREFIX}${series.series}`, ...values.map((v) => v.replaceAll(SEPARATOR, "_"))].join(
    SEPARATOR,
  );
}

/** A metrics tally's series and labels, or undefined for a name this version does not know. */
export function readTallyName(name: string): { series: Tallied; labels: Record<string, string> } | undefined {
  if (!name.startsWith(TALLY_PREFIX)) return undefined;
  const [head, ...values] = name.slice(TALLY_PREFIX.length).split(SEPARATOR);
  const series = Object.values(TALLIED).find((s) => s.series === head);
  if (!series || values.length !== series.labels.length) return undefined;
  return { series, labels: Object.fromEntries(series.labels.map((label, i) => [label, values[i]!])) };
}

/** The bucket an observation falls in: the first bound it does not exceed, else "+Inf". */
export function bucketOf(seconds: number, bounds: readonly number[] = STORE_DURATION_BOUNDS): string {
  const bound = bounds.find((b) => seconds <= b);
  return bound === undefined ? "+Inf" : String(bound);
}

/** A cloud call's labels: the provider and the API as the client names it, the status or the failure. */
export function cloudRequestLabels(exchange: HttpExchange): [string, string, string] {
  const api = API_NAME.test(exchange.api) ? exchange.api : "other.other";
  const provider = api.slice(0, api.indexOf("."));
  const status = exchange.status !== undefined ? String(exchange.status) : (exchange.failure ?? "network");
  return [provider, api, status];
}

export interface MetricsRecorder {
  /** createStore's `observe`: counts a store call and its latency. */
  readonly storeCall: StoreCallObserver;
  /** createHttpClient's `observe`: counts a cloud API attempt. */
  readonly httpExchange: (exchange: HttpExchange) => void;
  /** Adds what was counted since the last flush to the store's tallies in one write. */
  flush(store: Store): Promise<void>;
  /** The increments waiting for the next flush (for tests and the log). */
  pending(): TallyIncrement[];
}

export function createMetricsRecorder(): MetricsRecorder {
  let counts = new Map<string, number>();
  const add = (name: string, by: number) => {
    if (by > 0) counts.set(name, (counts.get(name) ?? 0) + by);
  };
  const pending = () => [...counts].map(([name, by]) => ({ name, by }));
  return {
    storeCall(operation: StoreOperation, seconds: number) {
      add(tallyName(TALLIED.storeBuckets, [operation, bucketOf(seconds)]), 1);
      add(tallyName(TALLIED.storeMicros, [operation]), Math.round(seconds * 1e6));
    },
    httpExchange(exchange) {
      add(tallyName(TALLIED.cloudRequests, cloudRequestLabels(exchange)), 1);
    },
    async flush(store) {
      if (counts.size === 0) return;
      const taken = counts;
      counts = new Map();
      try {
        await store.tallies.add([...taken].map(([name, by]) => ({ name, by })));
      } catch (error) {
        for (const [name, by] of taken) add(name, by);
        throw error;
      }
    },
    pending,
  };
}

/** What the store holds of the hosts' counts, by series. */
export interface TalliedCounts {
  cloudRequests: Array<{ labels: Record<string, string>; value: number }>;
  /** Per store method: the per-bucket counts (STORE_DURATION_BOUNDS, then +Inf) and the sum in seconds. */
  storeDurations: Map<string, { counts: number[]; sum: number }>;
}

/** Reads the tallies' rows into series; a bucket bound this version does not use joins the next one up. */
export function talliedCounts(tallies: readonly Tally[]): TalliedCounts {
  const out: TalliedCounts = { cloudRequests: [], storeDurations: new Map() };
  const durations = (operation: string) => {
    let found = out.storeDurations.get(operation);
    if (!found) {
      found = { counts: new Array(STORE_DURATION_BOUNDS.length + 1).fill(0), sum: 0 };
      out.storeDurations.set(operation, found);
    }
    return found;
  };
  for (const tally of tallies) {
    const read = readTallyName(tally.name);
    if (!read) continue;
    if (read.series === TALLIED.cloudRequests)
      out.cloudRequests.push({ labels: read.labels, value: tally.value });
    else if (read.series === TALLIED.storeBuckets) {
      const le = read.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(read.labels.le);
      if (Number.isNaN(le)) continue;
      const index = STORE_DURATION_BOUNDS.findIndex((bound) => le <= bound);
      durations(read.labels.operation!).counts[index === -1 ? STORE_DURATION_BOUNDS.length : index]! +=
        tally.value;
    } else if (read.series === TALLIED.storeMicros)
      durations(read.labels.operation!).sum += tally.value / 1e6;
  }
  return out;
}
