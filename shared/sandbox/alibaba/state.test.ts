// The ACK state machines, exactly: every transition at the documented durations.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../clock.ts";
import { buildState, parseFleet } from "./fleet.ts";
import {
  AckError,
  type AckState,
  CLUSTER_UPGRADE_MINUTES,
  clusterState,
  deletePool,
  findCluster,
  findPool,
  modifyPool,
  NODE_DRAIN_SECONDS,
  NODE_JOIN_SECONDS,
  NODE_REMOVE_SECONDS,
  nodeState,
  POOL_DELETE_SECONDS,
  POOL_UPDATE_SECONDS,
  poolNodes,
  poolStatus,
  reconcile,
  removeNodes,
  scaleOut,
  taskState,
} from "./state.ts";

const T0 = Date.parse("2025-01-06T00:00:00Z");
const S = 1000;

function fleet(overrides: Record<string, unknown> = {}): AckState {
  return buildState(
    parseFleet({
      accounts: [{ name: "a", accessKeyId: "LTAIa", secretAccessKey: "s", region: "cn-hangzhou" }],
      clusters: [
        {
          id: "cweb",
          account: "a",
          region: "cn-hangzhou",
          name: "web",
          nodePools: [
            { id: "npmain", name: "main", size: 2 },
            { id: "npauto", name: "auto", size: 2, autoscaling: { min: 1, max: 4 } },
            { id: "npprepaid", name: "prepaid", size: 2, chargeType: "PrePaid" },
          ],
        },
        {
          id: "cup",
          account: "a",
          region: "cn-hangzhou",
          name: "up",
          state: "updating",
          nodePools: [{ id: "npup", name: "p", size: 1 }],
        },
      ],
      ...overrides,
    }),
    seededRandom(7),
    T0,
  );
}

function at(state: AckState, now: number) {
  reconcile(state, now);
  const cluster = findCluster(state, "a", "cweb");
  return { cluster, status: (poolId: string) => poolStatus(cluster, findPool(cluster, poolId), now) };
}

function refusal(run: () => unknown): AckError {
  try {
    run();
  } catch (error) {
    if (error instanceof AckError) return error;
    throw error;
  }
  throw new Error("expected an AckError");
}

describe("scale-out (count is an increment)", () => {
  it("adds nodes that join one after another, then the pool and the task settle", () => {
    const state = fleet();
    const { cluster } = at(state, T0);
    const pool = findPool(cluster, "npmain");
    const task = scaleOut(state, cluster, pool, 3, T0, seededRandom(1));
    expect(task.finishesAt).toBe(T0 + 3 * NODE_JOIN_SECONDS * S);

    expect(at(state, T0).status("npmain")).toMatchObject({
      state: "scaling",
      total_nodes: 5,
      initial_nodes: 3,
      healthy_nodes: 2,
    });
    expect(clusterState(state, cluster, T0)).toBe("scaling");
    expect(at(state, T0 + NODE_JOIN_SECONDS * S - 1).status("npmain").healthy_nodes).toBe(2);
    expect(at(state, T0 + NODE_JOIN_SECONDS * S).status("npmain").healthy_nodes).toBe(3);
    expect(at(state, T0 + 2 * NODE_JOIN_SECONDS * S).status("npmain").healthy_nodes).toBe(4);
    expect(taskState(task, task.finishesAt - 1)).toBe("running");
    const done = at(state, task.finishesAt);
    expect(done.status("npmain")).toMatchObject({
      state: "active",
      total_nodes: 5,
      healthy_nodes: 5,
      initial_nodes: 0,
    });
    expect(taskState(task, task.finishesAt)).toBe("success");
    expect(clusterState(state, cluster, task.finishesAt)).toBe("running");
  });

  it("refuses a bad count, a locked pool, an autoscaled pool and the node quota", () => {
    const state = fleet({ nodeQuota: 10 });
    const { cluster } = at(state, T0);
    const pool = findPool(cluster, "npmain");
    for (const bad of [0, 501, 1.5, "2", undefined]) {
      expect(refusal(() => scaleOut(state, cluster, pool, bad, T0, seededRandom(1)))).toMatchObject({
        status: 400,
        code: "InvalidParameter",
      });
    }
    expect(
      refusal(() => scaleOut(state, cluster, findPool(cluster, "npauto"), 1, T0, seededRandom(1))).code,
    ).toBe("ErrorNodePoolAutoScalingEnabled");
    expect(refusal(() => scaleOut(state, cluster, pool, 5, T0, seededRandom(1))).code).toBe(
      "ErrorQuotaExceeded",
    );
    scaleOut(state, cluster, pool, 1, T0, seededRandom(1));
    expect(refusal(() => scaleOut(state, cluster, pool, 1, T0 + 1, seededRandom(1)))).toMatchObject({
      status: 409,
      code: "ErrorNodePoolNotActive",
    });
  });

  it("a cluster in an upgrade refuses pool changes until the upgrade ends", () => {
    const state = fleet();
    reconcile(state, T0);
    const up = findCluster(state, "a", "cup");
    expect(refusal(() => scaleOut(state, up, findPool(up, "npup"), 1, T0, seededRandom(1)))).toMatchObject({
      status: 409,
      code: "ErrorClusterNotRunning",
    });
    const end = T0 + CLUSTER_UPGRADE_MINUTES * 60 * S;
    reconcile(state, end - 1);
    expect(up.state).toBe("updating");
    reconcile(state, end);
    expect(up.state).toBe("running");
    expect(scaleOut(state, up, findPool(up, "npup"), 1, end, seededRandom(1)).type).toBe("nodepool_scaleout");
  });

  it("with poolOpsScaleCluster off the cluster stays running while a pool changes", () => {
    const state = fleet({ poolOpsScaleCluster: false });
    const { cluster } = at(state, T0);
    scaleOut(state, cluster, findPool(cluster, "npmain"), 1, T0, seededRandom(1));
    expect(clusterState(state, cluster, T0)).toBe("running");
  });
});

describe("node removal", () => {
  it("removes named nodes one after another, drained, then they are gone", () => {
    const state = fleet();
    const { cluster } = at(state, T0);
    const names = poolNodes(cluster, findPool(cluster, "npmain")).map((n) => n.name);
    const task = removeNodes(state, cluster, names, { release: true, drain: true }, T0, seededRandom(1));
    const step = (NODE_REMOVE_SECONDS + NODE_DRAIN_SECONDS) * S;
    expect(task.finishesAt).toBe(T0 + 2 * step);
    expect(at(state, T0).status("npmain")).toMatchObject({
      state: "removing",
      total_nodes: 2,
      removing_nodes: 2,
    });
    expect(at(state, T0 + step).status("npmain")).toMatchObject({ state: "removing", total_nodes: 1 });
    expect(at(state, T0 + 2 * step).status("npmain")).toMatchObject({ state: "active", total_nodes: 0 });
    expect(at(state, T0 + 2 * step).cluster.nodes.some((n) => names.includes(n.name))).toBe(false);
  });

  it("refuses releasing PrePaid nodes, masters, unknown and foreign-pool nodes", () => {
    const state = buildState(
      parseFleet({
        accounts: [{ name: "a", accessKeyId: "LTAIa", secretAccessKey: "s", region: "r" }],
        clusters: [
          {
            id: "cded",
            account: "a",
            region: "r",
            name: "dedicated",
            clusterType: "Kubernetes",
            nodePools: [
              { id: "npx", name: "x", size: 1, chargeType: "PrePaid" },
              { id: "npy", name: "y", size: 1 },
            ],
          },
        ],
      }),
      seededRandom(3),
      T0,
    );
    const cluster = findCluster(state, "a", "cded");
    const master = cluster.nodes.find((n) => n.role === "Master")!;
    const prepaid = poolNodes(cluster, findPool(cluster, "npx"))[0]!;
    const other = poolNodes(cluster, findPool(cluster, "npy"))[0]!;
    const remove = (names: string[], options: Parameters<typeof removeNodes>[3]) =>
      refusal(() => removeNodes(state, cluster, names, options, T0, seededRandom(1)));
    expect(remove([prepaid.name], { release: true, drain: false }).message).toMatch(/PrePaid/);
    expect(remove([master.name], { release: false, drain: false }).message).toMatch(/master/);
    expect(remove(["cn-nowhere.10.0.0.1"], { release: false, drain: false }).code).toBe("ErrorNodeNotFound");
    expect(
      remove([other.name], { release: false, drain: false, pool: findPool(cluster, "npx") }).message,
    ).toMatch(/not in node pool npx/);
    // Without release a PrePaid node may leave the cluster.
    const task = removeNodes(
      state,
      cluster,
      [prepaid.name],
      { release: false, drain: false },
      T0,
      seededRandom(1),
    );
    expect(task.finishesAt).toBe(T0 + NODE_REMOVE_SECONDS * S);
    expect(nodeState(prepaid, T0)).toBe("removing");
  });
});

describe("modify and delete", () => {
  it("merges fields, is updating for POOL_UPDATE_SECONDS, and moves the pool into new bounds", () => {
    const state = fleet();
    const { cluster } = at(state, T0);
    const pool = findPool(cluster, "npauto");
    const before = { ...pool.scalingGroup };
    const task = modifyPool(
      state,
      cluster,
      pool,
      { auto_scaling: { min_instances: 4 }, kubernetes_config: { unschedulable: true } },
      T0,
      seededRandom(1),
    );
    expect(pool.autoScaling).toEqual({ enable: true, min_instances: 4, max_instances: 4, type: "cpu" });
    expect(pool.kubernetesConfig.unschedulable).toBe(true);
    expect(pool.kubernetesConfig.runtime).toBe("containerd");
    expect(pool.scalingGroup).toEqual(before);
    const updated = T0 + POOL_UPDATE_SECONDS * S;
    expect(at(state, updated - 1).status("npauto").state).toBe("updating");
    expect(at(state, updated).status("npauto")).toMatchObject({
      state: "scaling",
      total_nodes: 4,
      healthy_nodes: 2,
    });
    expect(task.finishesAt).toBe(updated + 2 * NODE_JOIN_SECONDS * S);
    expect(at(state, task.finishesAt).status("npauto")).toMatchObject({ state: "active", healthy_nodes: 4 });

    const shrink = modifyPool(
      state,
      cluster,
      pool,
      { auto_scaling: { min_instances: 1, max_instances: 1 } },
      task.finishesAt,
      seededRandom(1),
    );
    const removedAt = task.finishesAt + POOL_UPDATE_SECONDS * S;
    expect(shrink.finishesAt).toBe(removedAt + 3 * (NODE_REMOVE_SECONDS + NODE_DRAIN_SECONDS) * S);
    expect(at(state, shrink.finishesAt).status("npauto")).toMatchObject({ state: "active", total_nodes: 1 });

    expect(
      refusal(() =>
        modifyPool(
          state,
          cluster,
          pool,
          { auto_scaling: { min_instances: 3, max_instances: 2 } },
          shrink.finishesAt,
          seededRandom(1),
        ),
      ).message,
    ).toMatch(/must not exceed/);
    const manual = findPool(cluster, "npmain");
    expect(
      refusal(() =>
        modifyPool(
          state,
          cluster,
          manual,
          { auto_scaling: { enable: true } },
          shrink.finishesAt,
          seededRandom(1),
        ),
      ).message,
    ).toMatch(/max_instances must be at least 1/);
  });

  it("moves a pool without the autoscaler to scaling_group.desired_size, and refuses it with one", () => {
    const state = fleet();
    const { cluster } = at(state, T0);
    const pool = findPool(cluster, "npmain");
    const grow = modifyPool(
      state,
      cluster,
      pool,
      { scaling_group: { desired_size: 5 } },
      T0,
      seededRandom(1),
    );
    expect(grow.instances).toHaveLength(3);
    expect(at(state, grow.finishesAt).status("npmain")).toMatchObject({ state: "active", total_nodes: 5 });
    const shrink = modifyPool(
      state,
      cluster,
      pool,
      { scaling_group: { desired_size: 0 } },
      grow.finishesAt,
      seededRandom(1),
    );
    expect(shrink.instances).toHaveLength(5);
    expect(at(state, shrink.finishesAt).status("npmain")).toMatchObject({ state: "active", total_nodes: 0 });
    expect(pool.scalingGroup).not.toHaveProperty("desired_size");
    const auto = findPool(cluster, "npauto");
    const refused = refusal(() =>
      modifyPool(
        state,
        cluster,
        auto,
        { scaling_group: { desired_size: 3 } },
        shrink.finishesAt,
        seededRandom(1),
      ),
    );
    expect(refused).toMatchObject({ status: 400, code: "InvalidParameter" });
    expect(refused.message).toMatch(/without auto scaling/);
    expect(
      refusal(() =>
        modifyPool(
          state,
          cluster,
          pool,
          { scaling_group: { desired_size: -1 } },
          shrink.finishesAt,
          seededRandom(1),
        ),
      ).message,
    ).toMatch(/desired_size must be an integer/);
  });

  it("deletes a pool only with force while nodes remain; it is gone after its nodes and POOL_DELETE_SECONDS", () => {
    const state = fleet();
    const { cluster } = at(state, T0);
    const pool = findPool(cluster, "npmain");
    expect(refusal(() => deletePool(state, cluster, pool, false, T0, seededRandom(1))).code).toBe(
      "ErrorNodePoolHasNodes",
    );
    const task = deletePool(state, cluster, pool, true, T0, seededRandom(1));
    const gone = T0 + 2 * NODE_REMOVE_SECONDS * S + POOL_DELETE_SECONDS * S;
    expect(task.finishesAt).toBe(gone);
    expect(at(state, gone - 1).status("npmain").state).toBe("deleting");
    reconcile(state, gone);
    expect(refusal(() => findPool(cluster, "npmain")).status).toBe(404);
  });
});
