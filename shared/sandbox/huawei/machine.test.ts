import { describe, expect, it } from "vitest";
import { createSimClock, seededRandom } from "../clock.ts";
import { buildState, type FleetSpec } from "./fleet.ts";
import {
  AWAKE_SECONDS,
  addTags,
  awake,
  deleteNode,
  deletePool,
  HIBERNATE_SECONDS,
  hibernate,
  JOB_INITIALIZING_SECONDS,
  JOB_RETENTION_SECONDS,
  jobPhase,
  NODE_CREATE_SECONDS,
  NODE_DELETE_SECONDS,
  NODE_STAGGER_SECONDS,
  POOL_DELETE_SECONDS,
  type PoolUpdate,
  poolCounts,
  reconcile,
  updatePool,
} from "./machine.ts";
import type { ClusterRecord, HuaweiState, JobRecord } from "./model.ts";

const T0 = Date.parse("2026-03-02T09:00:00Z");
const S = 1000;
const PROJECT = "0123456789abcdef0123456789abcdef";

function fleet(clusters: FleetSpec["clusters"]): FleetSpec {
  return {
    accounts: [
      {
        name: "dev",
        accessKeyId: "AKAKAKAKAKAKAKAKAKAK",
        secretAccessKey: "secretsecretsecret",
        projects: [{ region: "cn-north-4", projectId: PROJECT }],
      },
    ],
    clusters,
  };
}

/** A fleet on a stopped SimClock; `at(s)` moves the clock to T0 + s and reconciles, returning now. */
function world(clusters: FleetSpec["clusters"]) {
  const random = seededRandom(42);
  const clock = createSimClock({ start: new Date(T0), speed: 0, realNow: () => 0 });
  const state = buildState(fleet(clusters), clock.now().getTime(), random);
  const at = (seconds: number) => {
    clock.advance(T0 + seconds * S - clock.now().getTime());
    const now = clock.now().getTime();
    reconcile(state, now, random);
    return now;
  };
  const cluster = (name = "cluster-one") => state.clusters.find((c) => c.name === name)!;
  const pool = (name: string, c = cluster()) => c.pools.find((p) => p.name === name)!;
  return { state, random, at, cluster, pool };
}

function asJob(value: JobRecord | { code: string }): JobRecord {
  if ("code" in value) throw new Error(`expected a job, got ${value.code}`);
  return value;
}

const one = (size: number, extra: Partial<FleetSpec["clusters"][number]> = {}): FleetSpec["clusters"] => [
  { projectId: PROJECT, name: "cluster-one", nodePools: [{ name: "p1", size }], ...extra },
];

function update(c: ClusterRecord, name: string, changes: Partial<PoolUpdate>): PoolUpdate {
  const p = c.pools.find((x) => x.name === name)!;
  return {
    name: p.name,
    initialNodeCount: p.initialNodeCount,
    autoscaling: { ...p.autoscaling },
    k8sTags: { ...p.template.k8sTags },
    taints: [...p.template.taints],
    userTags: [...p.template.userTags],
    ...changes,
  };
}

describe("cluster phases", () => {
  it("hibernates and wakes on fixed durations, refusing with the documented codes on the way", () => {
    const w = world(one(1));
    const c = w.cluster();
    expect(hibernate(c, w.at(0))).toBeUndefined();
    expect(c.phase).toBe("Hibernating");
    expect(hibernate(c, w.at(1))?.code).toBe("CCE.01400001");
    expect(awake(c, w.at(1))).toMatchObject({ code: "CCE.01429002" });
    w.at(HIBERNATE_SECONDS - 1);
    expect(c.phase).toBe("Hibernating");
    w.at(HIBERNATE_SECONDS);
    expect(c.phase).toBe("Hibernation");
    expect(c.updatedAt).toBe(T0 + HIBERNATE_SECONDS * S);
    expect(hibernate(c, w.at(HIBERNATE_SECONDS))?.detail).toBe(
      "cluster status Hibernation does not support hibernate",
    );

    const wake = HIBERNATE_SECONDS + 60;
    expect(awake(c, w.at(wake))).toBeUndefined();
    expect(c.phase).toBe("Awaking");
    expect(awake(c, w.at(wake + 1))?.code).toBe("CCE.01400001");
    expect(hibernate(c, w.at(wake + 1))?.code).toBe("CCE.01429002");
    w.at(wake + AWAKE_SECONDS);
    expect(c.phase).toBe("Available");
    expect(awake(c, w.at(wake + AWAKE_SECONDS))?.detail).toBe(
      "cluster status Available does not support awake",
    );
  });

  it("treats bad terminal phases as invalid and transitional ones as locked", () => {
    const w = world([
      { projectId: PROJECT, name: "broken", phase: "Unavailable" },
      { projectId: PROJECT, name: "upgrading", phase: "Upgrading", phaseEndsInSeconds: 600 },
    ]);
    expect(hibernate(w.cluster("broken"), w.at(0))?.code).toBe("CCE.01400001");
    expect(awake(w.cluster("broken"), w.at(0))?.code).toBe("CCE.01400001");
    const upgrading = w.cluster("upgrading");
    expect(hibernate(upgrading, w.at(0))?.code).toBe("CCE.01429002");
    const job = w.state.jobs.find((j) => j.uid === upgrading.jobId)!;
    expect(job.type).toBe("UpgradeCluster");
    w.at(600);
    expect(upgrading.phase).toBe("Available");
    expect(upgrading.jobId).toBeUndefined();
    expect(jobPhase(job, T0 + 600 * S)).toBe("Success");
    expect(hibernate(upgrading, w.at(600))).toBeUndefined();
  });

  it("refuses hibernate while a pool converges", () => {
    const w = world(one(2));
    const c = w.cluster();
    expect(
      updatePool(w.state, c, w.pool("p1"), update(c, "p1", { initialNodeCount: 3 }), w.at(0), w.random),
    ).toBe(undefined);
    expect(hibernate(c, w.at(1))).toMatchObject({ code: "CCE.01429002" });
    w.at(NODE_CREATE_SECONDS);
    expect(hibernate(c, w.at(NODE_CREATE_SECONDS))).toBeUndefined();
  });
});

describe("node-pool convergence", () => {
  it("grows node by node: Build nodes become Active NODE_STAGGER_SECONDS apart", () => {
    const w = world(one(1));
    const c = w.cluster();
    const p = w.pool("p1");
    expect(
      updatePool(w.state, c, p, update(c, "p1", { initialNodeCount: 4 }), w.at(0), w.random),
    ).toBeUndefined();
    expect(poolCounts(c, p)).toEqual({ currentNode: 1, creatingNode: 3, deletingNode: 0 });
    w.at(NODE_CREATE_SECONDS - 1);
    expect(poolCounts(c, p).currentNode).toBe(1);
    w.at(NODE_CREATE_SECONDS);
    expect(poolCounts(c, p)).toEqual({ currentNode: 2, creatingNode: 2, deletingNode: 0 });
    w.at(NODE_CREATE_SECONDS + NODE_STAGGER_SECONDS);
    expect(poolCounts(c, p).currentNode).toBe(3);
    w.at(NODE_CREATE_SECONDS + 2 * NODE_STAGGER_SECONDS);
    expect(poolCounts(c, p)).toEqual({ currentNode: 4, creatingNode: 0, deletingNode: 0 });
    // Each new node came with a CreateNode job that ended when the node was ready.
    const creates = w.state.jobs.filter((j) => j.type === "CreateNode");
    expect(creates.map((j) => jobPhase(j, T0 + 10_000 * S))).toEqual(["Success", "Success", "Success"]);
  });

  it("shrinks by deleting the newest nodes first, one after the other", () => {
    const w = world(one(2));
    const c = w.cluster();
    const p = w.pool("p1");
    const [oldest, newer] = c.nodes.map((n) => n.uid);
    updatePool(w.state, c, p, update(c, "p1", { initialNodeCount: 3 }), w.at(0), w.random);
    const added = c.nodes.find((n) => n.phase === "Build")!.uid;
    // A converging pool is locked; once converged, shrink to one.
    expect(updatePool(w.state, c, p, update(c, "p1", { initialNodeCount: 1 }), w.at(1), w.random)?.code).toBe(
      "CCE.01429002",
    );
    const t = NODE_CREATE_SECONDS;
    expect(
      updatePool(w.state, c, p, update(c, "p1", { initialNodeCount: 1 }), w.at(t), w.random),
    ).toBeUndefined();
    expect(c.nodes.filter((n) => n.phase === "Deleting").map((n) => n.uid)).toEqual([newer, added]);
    expect(poolCounts(c, p)).toEqual({ currentNode: 1, creatingNode: 0, deletingNode: 2 });
    w.at(t + NODE_DELETE_SECONDS);
    expect(c.nodes.map((n) => n.uid)).toEqual([oldest, newer]);
    w.at(t + NODE_DELETE_SECONDS + NODE_STAGGER_SECONDS);
    expect(c.nodes.map((n) => n.uid)).toEqual([oldest]);
  });

  it("fails the create job of a node removed before it was ready", () => {
    const w = world(one(0));
    const c = w.cluster();
    updatePool(w.state, c, w.pool("p1"), update(c, "p1", { initialNodeCount: 1 }), w.at(0), w.random);
    const node = c.nodes[0]!;
    const create = w.state.jobs.find((j) => j.uid === node.jobId)!;
    const del = asJob(deleteNode(w.state, c, node, { scaleDownPool: true }, w.at(30), w.random));
    expect(jobPhase(create, T0 + 30 * S)).toBe("Failed");
    expect(create.failReason).toBe("node deleted before it was ready");
    expect(jobPhase(del, T0 + 30 * S)).toBe("Initializing");
    expect(jobPhase(del, T0 + (30 + JOB_INITIALIZING_SECONDS) * S)).toBe("Running");
    expect(jobPhase(del, T0 + (30 + NODE_DELETE_SECONDS) * S)).toBe("Success");
  });

  it("deleting a node shrinks the pool, unless NoScaleDown: then the pool replaces it", () => {
    const w = world(one(3));
    const c = w.cluster();
    const p = w.pool("p1");
    deleteNode(w.state, c, c.nodes[0]!, { scaleDownPool: true }, w.at(0), w.random);
    expect(p.initialNodeCount).toBe(2);
    expect(poolCounts(c, p)).toEqual({ currentNode: 2, creatingNode: 0, deletingNode: 1 });
    expect(deleteNode(w.state, c, c.nodes[0]!, { scaleDownPool: true }, w.at(1), w.random)).toMatchObject({
      code: "CCE.01400001",
    });
    deleteNode(w.state, c, c.nodes[1]!, { scaleDownPool: false }, w.at(2), w.random);
    expect(p.initialNodeCount).toBe(2);
    expect(poolCounts(c, p)).toEqual({ currentNode: 1, creatingNode: 1, deletingNode: 2 });
    w.at(2 + NODE_CREATE_SECONDS);
    expect(poolCounts(c, p)).toEqual({ currentNode: 2, creatingNode: 0, deletingNode: 0 });
  });

  it("deletes a pool through a parent job whose sub-jobs delete the nodes", () => {
    const w = world(one(2));
    const c = w.cluster();
    const p = w.pool("p1");
    const job = asJob(deletePool(w.state, c, p, w.at(0), w.random));
    expect(p.deleting?.jobId).toBe(job.uid);
    expect(job.subJobIds).toHaveLength(2);
    expect(updatePool(w.state, c, p, update(c, "p1", {}), w.at(1), w.random)?.detail).toBe(
      "node pool p1 is being deleted",
    );
    const end = NODE_DELETE_SECONDS + NODE_STAGGER_SECONDS + POOL_DELETE_SECONDS;
    w.at(end - 1);
    expect(c.pools).toHaveLength(1);
    expect(c.nodes).toHaveLength(0);
    w.at(end);
    expect(c.pools).toHaveLength(0);
    expect(jobPhase(job, T0 + end * S)).toBe("Success");
    w.at(end + JOB_RETENTION_SECONDS);
    expect(w.state.jobs).toEqual([]);
  });

  it("a long jump replays the same history as small steps", () => {
    const a = world(one(2));
    const b = world(one(2));
    for (const w of [a, b]) {
      const c = w.cluster();
      updatePool(w.state, c, w.pool("p1"), update(c, "p1", { initialNodeCount: 5 }), w.at(0), w.random);
      deleteNode(w.state, c, c.nodes[0]!, { scaleDownPool: false }, w.at(10), w.random);
    }
    for (let s = 10; s <= 1200; s += 7) a.at(s);
    a.at(1200);
    b.at(1200);
    expect(JSON.stringify(b.state)).toBe(JSON.stringify(a.state));
    expect(poolCounts(b.cluster(), b.pool("p1"))).toEqual({
      currentNode: 5,
      creatingNode: 0,
      deletingNode: 0,
    });
  });
});

describe("node-pool update rules", () => {
  function refusal(
    state: HuaweiState,
    w: ReturnType<typeof world>,
    name: string,
    changes: Partial<PoolUpdate>,
  ) {
    const c = w.cluster();
    return updatePool(state, c, w.pool(name), update(c, name, changes), w.at(0), w.random);
  }

  it("refuses autoscaling on a yearly/monthly pool, max < min, and a target outside the bounds", () => {
    const w = world([
      {
        projectId: PROJECT,
        name: "cluster-one",
        flavor: "cce.s1.small",
        nodePools: [
          { name: "monthly", size: 1, billingMode: 1 },
          { name: "auto", size: 2, autoscaling: { enable: true, minNodeCount: 1, maxNodeCount: 4 } },
          { name: "big", size: 40 },
        ],
      },
    ]);
    const on = { enable: true, minNodeCount: 1, maxNodeCount: 3, scaleDownCooldownTime: 0, priority: 0 };
    expect(refusal(w.state, w, "monthly", { autoscaling: on })?.detail).toContain("pay-per-use");
    expect(
      refusal(w.state, w, "auto", { autoscaling: { ...on, minNodeCount: 4, maxNodeCount: 3 } })?.detail,
    ).toContain("maxNodeCount");
    expect(
      refusal(w.state, w, "auto", { initialNodeCount: 5, autoscaling: { ...on, maxNodeCount: 4 } })?.detail,
    ).toBe("initialNodeCount 5 is outside the autoscaling range [1, 4]");
    // cce.s1.small holds 50 nodes: 40 + 1 elsewhere leaves room for 9 here.
    expect(
      refusal(w.state, w, "auto", { initialNodeCount: 10, autoscaling: { ...on, maxNodeCount: 10 } })?.code,
    ).toBe("CCE.01400014");
    expect(refusal(w.state, w, "auto", { name: "big" })?.code).toBe("CCE.01409001");
  });

  it("refuses the default pool and changes on a hibernated cluster", () => {
    const w = world([
      {
        projectId: PROJECT,
        name: "cluster-one",
        phase: "Hibernation",
        nodePools: [
          { name: "p1", size: 1 },
          { name: "default", size: 1, default: true },
        ],
      },
    ]);
    const c = w.cluster();
    const defaultPool = c.pools.find((p) => p.isDefault)!;
    expect(defaultPool.uid).toBe("cn-north-4a#s6.large.2#EulerOS 2.9");
    expect(
      updatePool(w.state, c, defaultPool, update(c, defaultPool.name, {}), w.at(0), w.random)?.detail,
    ).toBe("the default node pool cannot be updated");
    const refused = refusal(w.state, w, "p1", { initialNodeCount: 2 });
    expect(refused).toMatchObject({ code: "CCE.01400001" });
    expect(refused?.detail).toContain("Hibernation");
    expect(deleteNode(w.state, c, c.nodes[0]!, { scaleDownPool: true }, w.at(0), w.random)).toMatchObject({
      code: "CCE.01400001",
    });
  });
});

describe("cluster tags", () => {
  it("upserts by key and refuses more than 20", () => {
    const w = world([{ projectId: PROJECT, name: "cluster-one", tags: { env: "dev" } }]);
    const c = w.cluster();
    expect(addTags(c, [{ key: "env", value: "qa" }], w.at(0))).toBeUndefined();
    expect(c.tags).toEqual([{ key: "env", value: "qa" }]);
    const nineteen = Array.from({ length: 19 }, (_, i) => ({ key: `k${i}`, value: "" }));
    expect(addTags(c, nineteen, w.at(0))).toBeUndefined();
    expect(c.tags).toHaveLength(20);
    expect(addTags(c, [{ key: "one-more", value: "" }], w.at(0))?.detail).toBe(
      "a cluster has at most 20 tags; this request would make 21",
    );
    expect(addTags(c, [{ key: "k3", value: "x" }], w.at(0))).toBeUndefined();
  });
});
