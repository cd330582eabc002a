import { describe, expect, it } from "vitest";
import { HUAWEI_CAPABILITIES } from "../providers/huawei.ts";
import type { Cluster, NodePool, Provider } from "../providers/port.ts";
import { CLUSTER_LIST_MAX_AGE_MS, createSharedReads, POOL_WRITE_BACK_MAX_AGE_MS } from "./shared-reads.ts";

const T0 = Date.parse("2026-03-02T20:00:00Z");

function countingProvider() {
  const calls: string[] = [];
  let listings = 0;
  let failListing = false;
  const cluster = (id: string, phase: Cluster["phase"]): Cluster => ({
    provider: "huawei",
    account: "acct",
    region: "r1",
    id,
    name: id,
    phase,
    vendorPhase: phase,
    tags: {},
  });
  const pool = (id: string, desired: number): NodePool => ({
    id,
    name: id,
    desired,
    ready: desired,
    phase: "stable",
    vendorPhase: "",
  });
  const record = <T>(call: string, value: T) => {
    calls.push(call);
    return Promise.resolve(value);
  };
  const provider = {
    kind: "huawei",
    account: "acct",
    region: "r1",
    capabilities: HUAWEI_CAPABILITIES,
    listClusters: () => {
      calls.push("listClusters");
      if (failListing) return Promise.reject(new Error("listing refused"));
      listings++;
      // Every listing shows the clusters one step further on: "listing N" in the vendor phase.
      return Promise.resolve([
        { ...cluster("c1", "running"), vendorPhase: `listing ${listings}` },
        { ...cluster("c2", "running"), vendorPhase: `listing ${listings}` },
      ]);
    },
    getCluster: (id: string) => record(`getCluster ${id}`, cluster(id, "running")),
    hibernate: (id: string) =>
      record(`hibernate ${id}`, { kind: "cluster-phase", clusterId: id, until: "hibernated" } as const),
    awake: (id: string) =>
      record(`awake ${id}`, { kind: "cluster-phase", clusterId: id, until: "running" } as const),
    listNodePools: () => record("listNodePools", [pool("a", 2), pool("b", 1)]),
    getNodePool: (_c: string, id: string) => record(`getNodePool ${id}`, pool(id, 0)),
    resizeNodePool: (clusterId: string, poolId: string, request: { desired: number }, read?: NodePool) =>
      record(`resizeNodePool ${poolId}${read ? ` with read ${read.id}` : ""}`, {
        kind: "pool-size",
        clusterId,
        poolId,
        desired: request.desired,
      } as const),
    setNodePoolAutoscaling: (_c: string, poolId: string) =>
      record(`setNodePoolAutoscaling ${poolId}`, { kind: "immediate" } as const),
    listNodes: () => record("listNodes", []),
    issueKubeconfig: () => Promise.reject(new Error("not in this test")),
    getJob: (id: string) =>
      record(`getJob ${id}`, { id, phase: "succeeded", vendorPhase: "Success" } as const),
  } satisfies Provider;
  return {
    provider: provider as Provider,
    calls,
    failNextListing: (fail: boolean) => {
      failListing = fail;
    },
  };
}

describe("shared reads", () => {
  it("answers every operation's phase read of an account from one listing while it is fresh", async () => {
    let now = T0;
    const cloud = countingProvider();
    const reads = createSharedReads(() => new Date(now));
    const first = reads.forOperation(cloud.provider);
    const second = reads.forOperation(cloud.provider);
    expect((await first.getCluster("c1")).vendorPhase).toBe("listing 1");
    expect((await second.getCluster("c2")).vendorPhase).toBe("listing 1");
    now += CLUSTER_LIST_MAX_AGE_MS + 1;
    expect((await second.getCluster("c2")).vendorPhase).toBe("listing 2");
    expect(cloud.calls).toEqual(["listClusters", "listClusters"]);
  });

  it("never answers for a cluster from a listing older than a change to it", async () => {
    const cloud = countingProvider();
    const reads = createSharedReads(() => new Date(T0));
    const op = reads.forOperation(cloud.provider);
    expect((await op.getCluster("c1")).vendorPhase).toBe("listing 1");
    await op.hibernate("c1");
    // Same instant, but the listing was made before the hibernate: asked again.
    expect((await reads.forOperation(cloud.provider).getCluster("c1")).vendorPhase).toBe("listing 2");
  });

  it("never answers a poll from a listing made before the poll fell due", async () => {
    const cloud = countingProvider();
    let now = T0;
    const reads = createSharedReads(() => new Date(now));
    expect((await reads.forOperation(cloud.provider).getCluster("c1")).vendorPhase).toBe("listing 1");
    now = T0 + 2000;
    // Fresh enough for an operation due before it was made...
    const early = reads.forOperation(cloud.provider, { dueAt: new Date(T0) });
    expect((await early.getCluster("c2")).vendorPhase).toBe("listing 1");
    // ...not for one due after: it asks for the state at its time.
    const late = reads.forOperation(cloud.provider, { dueAt: new Date(T0 + 1000) });
    expect((await late.getCluster("c2")).vendorPhase).toBe("listing 2");
    expect(cloud.calls).toEqual(["listClusters", "listClusters"]);
  });

  it("reads a cluster missing from the listing on its own, and does not keep a failed listing", async () => {
    const cloud = countingProvider();
    const reads = createSharedReads(() => new Date(T0));
    const op = reads.forOperation(cloud.provider);
    expect((await op.getCluster("c9")).id).toBe("c9");
    expect(cloud.calls).toEqual(["listClusters", "getCluster c9"]);

    const other = createSharedReads(() => new Date(T0)).forOperation(cloud.provider);
    cloud.failNextListing(true);
    await expect(other.getCluster("c1")).rejects.toThrow("listing refused");
    cloud.failNextListing(false);
    expect((await other.getCluster("c1")).id).toBe("c1");
  });

  it("answers an operation's pool reads from its own listing until it changes that pool", async () => {
    const cloud = countingProvider();
    const reads = createSharedReads(() => new Date(T0));
    const op = reads.forOperation(cloud.provider);
    await op.listNodePools("c1");
    expect((await op.getNodePool("c1", "a")).desired).toBe(2);
    await op.resizeNodePool("c1", "a", { desired: 0 });
    // Pool a changed: read again (the fake answers 0). Pool b did not: still from the listing.
    expect((await op.getNodePool("c1", "a")).desired).toBe(0);
    expect((await op.getNodePool("c1", "b")).desired).toBe(1);
    // Another operation has its own pool reads: its first one lists the cluster's pools.
    await reads.forOperation(cloud.provider).getNodePool("c1", "b");
    expect(cloud.calls).toEqual([
      "listNodePools",
      "resizeNodePool a with read a",
      "getNodePool a",
      "listNodePools",
    ]);
  });

  it("lists a cluster's pools once for its first pool read, and asks alone for a pool not listed", async () => {
    const cloud = countingProvider();
    const op = createSharedReads(() => new Date(T0)).forOperation(cloud.provider);
    expect((await op.getNodePool("c1", "b")).desired).toBe(1);
    expect((await op.getNodePool("c1", "a")).desired).toBe(2);
    expect((await op.getNodePool("c1", "z")).id).toBe("z");
    expect(cloud.calls).toEqual(["listNodePools", "getNodePool z"]);
  });

  it("sends a change the pool as read only while that read is fresh", async () => {
    let now = T0;
    const cloud = countingProvider();
    const op = createSharedReads(() => new Date(now)).forOperation(cloud.provider);
    await op.listNodePools("c1");
    await op.resizeNodePool("c1", "a", { desired: 0 });
    now += POOL_WRITE_BACK_MAX_AGE_MS + 1;
    await op.resizeNodePool("c1", "b", { desired: 0 });
    expect(cloud.calls).toEqual(["listNodePools", "resizeNodePool a with read a", "resizeNodePool b"]);
  });
});
