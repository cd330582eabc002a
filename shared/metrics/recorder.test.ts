import { describe, expect, it } from "vitest";
import type { StoreBackend } from "../store/backend.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore } from "../store/store.ts";
import {
  bucketOf,
  cloudRequestLabels,
  createMetricsRecorder,
  readTallyName,
  STORE_DURATION_BOUNDS,
  TALLIED,
  TALLY_PREFIX,
  talliedCounts,
  tallyName,
} from "./recorder.ts";

describe("tally names", () => {
  it("carry the series and its label values, and read back", () => {
    const name = tallyName(TALLIED.cloudRequests, ["huawei", "huawei.getCluster", "429"]);
    expect(name).toBe("metrics:cloud_requests\u001fhuawei\u001fhuawei.getCluster\u001f429");
    expect(readTallyName(name)).toEqual({
      series: TALLIED.cloudRequests,
      labels: { provider: "huawei", api: "huawei.getCluster", status: "429" },
    });
  });

  it("never let a label value split into two", () => {
    const name = tallyName(TALLIED.storeMicros, ["get\u001fput"]);
    expect(readTallyName(name)?.labels).toEqual({ operation: "get_put" });
  });

  it("ignore what this version does not know", () => {
    expect(readTallyName("metrics:unknown\u001fa")).toBeUndefined();
    expect(readTallyName("metrics:cloud_requests\u001fonly-one")).toBeUndefined();
    expect(readTallyName("fence:x")).toBeUndefined();
  });
});

describe("labels", () => {
  it("put an observation in the first bucket whose bound it does not exceed", () => {
    expect(bucketOf(0)).toBe("0.0001");
    expect(bucketOf(0.0001)).toBe("0.0001");
    expect(bucketOf(0.00011)).toBe("0.00025");
    expect(bucketOf(2.5)).toBe("2.5");
    expect(bucketOf(60)).toBe("+Inf");
  });

  it("name a cloud call by provider, API and status, or the failure; an odd API name is 'other'", () => {
    expect(cloudRequestLabels({ api: "autopilot.kubernetes.getScale", account: "a", status: 200 })).toEqual([
      "autopilot",
      "autopilot.kubernetes.getScale",
      "200",
    ]);
    expect(cloudRequestLabels({ api: "baidu.resizeNodePool", account: "a", failure: "timeout" })).toEqual([
      "baidu",
      "baidu.resizeNodePool",
      "timeout",
    ]);
    expect(cloudRequestLabels({ api: "no dot here\n", account: "a", status: 500 })).toEqual([
      "other",
      "other.other",
      "500",
    ]);
  });
});

describe("the recorder", () => {
  it("counts store calls and cloud calls in memory, and adds them to the store's tallies in one flush", async () => {
    const recorder = createMetricsRecorder();
    const store = createStore(memoryBackend());
    recorder.storeCall("get", 0.0002);
    recorder.storeCall("get", 0.0003);
    recorder.storeCall("put", 3);
    recorder.httpExchange({ api: "huawei.getCluster", account: "prod", status: 200 });
    recorder.httpExchange({ api: "huawei.getCluster", account: "prod", status: 200 });
    await recorder.flush(store);
    expect(recorder.pending()).toEqual([]);
    // A second process's counts add to the first's.
    const other = createMetricsRecorder();
    other.httpExchange({ api: "huawei.getCluster", account: "prod", status: 200 });
    await other.flush(store);
    const counts = talliedCounts(await store.tallies.list(TALLY_PREFIX));
    expect(counts.cloudRequests).toEqual([
      { labels: { provider: "huawei", api: "huawei.getCluster", status: "200" }, value: 3 },
    ]);
    const get = counts.storeDurations.get("get")!;
    expect(get.counts[STORE_DURATION_BOUNDS.indexOf(0.00025)]).toBe(1);
    expect(get.counts[STORE_DURATION_BOUNDS.indexOf(0.0005)]).toBe(1);
    expect(get.counts.reduce((a, b) => a + b)).toBe(2);
    expect(get.sum).toBeCloseTo(0.0005, 9);
    expect(counts.storeDurations.get("put")).toEqual({
      counts: [...new Array(STORE_DURATION_BOUNDS.length).fill(0), 1],
      sum: 3,
    });
  });

  it("keeps the counts of a failed flush for the next one, and writes nothing when idle", async () => {
    const backend = memoryBackend();
    let failing = true;
    let writes = 0;
    const flaky: StoreBackend = {
      ...backend,
      addTallies: async (increments) => {
        writes++;
        if (failing) throw new Error("store down");
        return backend.addTallies(increments);
      },
    };
    const store = createStore(flaky);
    const recorder = createMetricsRecorder();
    recorder.httpExchange({ api: "alibaba.DescribeClusters", account: "a", status: 200 });
    await expect(recorder.flush(store)).rejects.toThrow("store down");
    recorder.httpExchange({ api: "alibaba.DescribeClusters", account: "a", status: 200 });
    failing = false;
    await recorder.flush(store);
    expect(await store.tallies.list(TALLY_PREFIX)).toEqual([
      { name: tallyName(TALLIED.cloudRequests, ["alibaba", "alibaba.DescribeClusters", "200"]), value: 2 },
    ]);
    await recorder.flush(store);
    expect(writes).toBe(2);
  });

  it("reads a bucket bound it no longer uses into the next one up, keeping the count whole", () => {
    const counts = talliedCounts([
      { name: tallyName(TALLIED.storeBuckets, ["get", "0.0003"]), value: 2 },
      { name: tallyName(TALLIED.storeBuckets, ["get", "99"]), value: 1 },
      { name: tallyName(TALLIED.storeBuckets, ["get", "nonsense"]), value: 5 },
    ]);
    const get = counts.storeDurations.get("get")!;
    expect(get.counts[STORE_DURATION_BOUNDS.indexOf(0.0005)]).toBe(2);
    expect(get.counts[STORE_DURATION_BOUNDS.length]).toBe(1);
    expect(get.counts.reduce((a, b) => a + b)).toBe(3);
  });
});
