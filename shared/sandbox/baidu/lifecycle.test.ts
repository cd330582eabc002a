// The Baidu CCE state machines, exactly: phases at and around every boundary.
import { describe, expect, it } from "vitest";
import { createSimClock } from "../clock.ts";
import { idSource } from "./fleet.ts";
import {
  CLUSTER_CREATE_SECONDS,
  clampToAutoscaler,
  clusterEventsAt,
  clusterPhaseAt,
  groupStatusAt,
  instancePhaseAt,
  NODE_CREATE_SECONDS,
  NODE_DELETE_SECONDS,
  NODE_PENDING_SECONDS,
  NODE_PROVISIONED_SECONDS,
  NODE_STAGGER_SECONDS,
  pruneGone,
  removalOrder,
  setReplicas,
  TASK_PENDING_SECONDS,
  taskStateAt,
} from "./lifecycle.ts";
import { renderEvents } from "./render.ts";
import type { ClusterRecord, InstanceGroupRecord, TaskRecord } from "./state.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const S = 1000;

function clock() {
  return createSimClock({ start: new Date(T0), speed: 0, realNow: () => 0 });
}

function cluster(overrides: Partial<ClusterRecord> = {}): ClusterRecord {
  return {
    account: "acme-bj",
    region: "bj",
    clusterID: "cce-abcd1234",
    clusterName: "test",
    description: "",
    k8sVersion: "1.28.8",
    vpcID: "vpc-1",
    vpcCIDR: "192.168.0.0/16",
    tags: {},
    createdAt: T0,
    blb: { id: "lb-1", vpcIP: "192.168.0.2", eip: "106.12.0.2", floatingIP: "100.64.0.2" },
    malformed: false,
    instanceGroups: [],
    ...overrides,
  };
}

function group(overrides: Partial<InstanceGroupRecord> = {}): InstanceGroupRecord {
  return {
    cceInstanceGroupID: "cce-ig-abcd1234",
    instanceGroupName: "default",
    replicas: 0,
    createdAt: T0,
    instanceType: "N5",
    cpu: 4,
    mem: 8,
    failNewMachines: false,
    malformed: false,
    instances: [],
    ...overrides,
  };
}

describe("cluster creation", () => {
  it("goes pending → provisioning → provisioned → running at the step boundaries", () => {
    const c = cluster();
    const at = (seconds: number) => clusterPhaseAt(c, T0 + seconds * S);
    expect(at(0)).toBe("pending");
    expect(at(4.999)).toBe("pending");
    expect(at(5)).toBe("provisioning"); // BLB
    expect(at(154.999)).toBe("provisioning"); // Master ends at 5+20+10+120
    expect(at(155)).toBe("provisioned"); // connecting the API server
    expect(at(CLUSTER_CREATE_SECONDS - 0.001)).toBe("provisioned");
    expect(at(CLUSTER_CREATE_SECONDS)).toBe("running");
    expect(CLUSTER_CREATE_SECONDS).toBe(335);
  });

  it("fails at the end of the failing step, and stays failed", () => {
    const c = cluster({ failAtStep: 4 });
    expect(clusterPhaseAt(c, T0 + 274.999 * S)).toBe("provisioned");
    expect(clusterPhaseAt(c, T0 + 275 * S)).toBe("create_failed");
    expect(clusterPhaseAt(c, T0 + 10 * 86_400 * S)).toBe("create_failed");
  });

  it("reports the event steps as they progress", () => {
    const c = cluster();
    const mid = clusterEventsAt(c, T0 + 100 * S);
    expect(mid.status).toBe("creating");
    expect(mid.steps.map((s) => s.stepStatus)).toEqual([
      "done",
      "done",
      "done",
      "running",
      "pending",
      "pending",
    ]);
    expect(mid.steps[3]).toMatchObject({ stepName: "创建 Master", ready: false, costSeconds: 65 });
    const done = clusterEventsAt(c, T0 + CLUSTER_CREATE_SECONDS * S);
    expect(done.status).toBe("created");
    expect(done.steps.map((s) => s.costSeconds)).toEqual([5, 20, 10, 120, 120, 60]);
    const failed = clusterEventsAt(cluster({ failAtStep: 4 }), T0 + 300 * S);
    expect(failed.status).toBe("create_failed");
    expect(failed.steps.map((s) => s.stepStatus)).toEqual([
      "done",
      "done",
      "done",
      "done",
      "failed",
      "pending",
    ]);
  });

  it("renders steps as the documented example: times to the second, costSeconds left out when 0", () => {
    const rendered = renderEvents(cluster(), T0 + 2 * S) as {
      status: string;
      steps: Array<Record<string, unknown>>;
    };
    expect(rendered.steps[0]).toEqual({
      stepName: "创建基础证书",
      stepStatus: "running",
      ready: false,
      startTime: "2026-01-01T00:00:00Z",
      costSeconds: 2,
      retryCount: 1,
      errInfo: {},
    });
    expect(rendered.steps[1]).toEqual({
      stepName: "创建 BLB",
      stepStatus: "pending",
      ready: false,
      retryCount: 0,
      errInfo: {},
    });
  });
});

describe("instance groups", () => {
  it("adds nodes one by one: each pending, provisioning, provisioned, then running", () => {
    const sim = clock();
    const c = cluster();
    const g = group();
    c.instanceGroups.push(g);
    const added = setReplicas(
      c,
      g,
      3,
      sim.now().getTime(),
      idSource(() => 0.25),
    );
    expect(added).toHaveLength(3);
    expect(g.replicas).toBe(3);
    expect(added.map((i) => (i.startAt - T0) / S)).toEqual([0, 30, 60]);
    const first = added[0]!;
    expect(instancePhaseAt(first, T0)).toBe("pending");
    expect(instancePhaseAt(first, T0 + NODE_PENDING_SECONDS * S)).toBe("provisioning");
    expect(instancePhaseAt(first, T0 + (NODE_CREATE_SECONDS - NODE_PROVISIONED_SECONDS) * S)).toBe(
      "provisioned",
    );
    expect(instancePhaseAt(first, T0 + NODE_CREATE_SECONDS * S - 1)).toBe("provisioned");
    expect(instancePhaseAt(first, T0 + NODE_CREATE_SECONDS * S)).toBe("running");

    const statusAt = (seconds: number) => groupStatusAt(g, T0 + seconds * S);
    expect(statusAt(0)).toMatchObject({ readyReplicas: 0, converging: true });
    expect(statusAt(0).pendingMachines).toHaveLength(3);
    expect(statusAt(NODE_CREATE_SECONDS).readyReplicas).toBe(1);
    expect(statusAt(NODE_CREATE_SECONDS + NODE_STAGGER_SECONDS).readyReplicas).toBe(2);
    expect(statusAt(NODE_CREATE_SECONDS + 2 * NODE_STAGGER_SECONDS)).toEqual({
      readyReplicas: 3,
      pendingMachines: [],
      failedMachines: [],
      converging: false,
    });
  });

  it("removes not-yet-running nodes first, then running ones newest first, one after another", () => {
    const ids = idSource(() => 0.5);
    const c = cluster();
    const g = group();
    c.instanceGroups.push(g);
    setReplicas(c, g, 3, T0, ids);
    const settled = T0 + (NODE_CREATE_SECONDS + 2 * NODE_STAGGER_SECONDS) * S;
    const [oldest, middle, newest] = g.instances;
    const late = setReplicas(c, g, 4, settled, ids)[0]!;
    // 60 s later: the fourth node is provisioning; shrinking to 1 removes it, then newest, middle.
    const at = settled + 60 * S;
    expect(removalOrder(g, at).map((i) => i.cceInstanceID)).toEqual(
      [late, newest, middle, oldest].map((i) => i!.cceInstanceID),
    );
    const removed = setReplicas(c, g, 1, at, ids);
    expect(removed).toEqual([late, newest, middle]);
    expect([late, newest, middle].map((i) => (i!.deleteAt! - at) / S)).toEqual([0, 30, 60]);
    expect(groupStatusAt(g, at).readyReplicas).toBe(3);
    expect(groupStatusAt(g, at + 30 * S).readyReplicas).toBe(2);
    expect(groupStatusAt(g, at + 60 * S).readyReplicas).toBe(1);
    expect(groupStatusAt(g, at + 60 * S).converging).toBe(true);
    expect(instancePhaseAt(middle!, at + (60 + NODE_DELETE_SECONDS) * S)).toBe("deleted");
    pruneGone(c, at + (60 + NODE_DELETE_SECONDS) * S);
    expect(g.instances).toEqual([oldest]);
    expect(groupStatusAt(g, at + (60 + NODE_DELETE_SECONDS) * S).converging).toBe(false);
  });

  it("drops a node at once while it is still pending; a provisioning one is deleted", () => {
    const ids = idSource(() => 0.75);
    const c = cluster();
    const g = group();
    c.instanceGroups.push(g);
    setReplicas(c, g, 2, T0, ids);
    const at = T0 + 20 * S; // the first node provisions since +15 s, the second starts at +30 s
    expect(g.instances.map((i) => instancePhaseAt(i, at))).toEqual(["provisioning", "pending"]);
    const [first] = g.instances;
    setReplicas(c, g, 0, at, ids);
    expect(g.instances).toEqual([first]);
    expect(instancePhaseAt(first!, at)).toBe("deleting");
    expect(first!.goneAt).toBe(at + NODE_DELETE_SECONDS * S);
  });

  it("honours the nodes named for removal", () => {
    const ids = idSource(() => 0.1);
    const c = cluster();
    const g = group();
    c.instanceGroups.push(g);
    setReplicas(c, g, 3, T0, ids);
    const chosen = g.instances[0]!;
    const removed = setReplicas(c, g, 2, T0 + 600 * S, ids, [chosen]);
    expect(removed).toEqual([chosen]);
  });

  it("marks new machines create_failed when the group is set to fail them", () => {
    const c = cluster();
    const g = group({ failNewMachines: true });
    c.instanceGroups.push(g);
    setReplicas(
      c,
      g,
      1,
      T0,
      idSource(() => 0.2),
    );
    expect(groupStatusAt(g, T0 + NODE_CREATE_SECONDS * S)).toMatchObject({
      readyReplicas: 0,
      failedMachines: [g.instances[0]!.cceInstanceID],
      converging: false,
    });
  });

  it("clamps a size into enabled autoscaler bounds only", () => {
    expect(
      clampToAutoscaler(5, { enabled: true, minReplicas: 1, maxReplicas: 3, scalingGroupPriority: 0 }),
    ).toBe(3);
    expect(
      clampToAutoscaler(0, { enabled: true, minReplicas: 1, maxReplicas: 3, scalingGroupPriority: 0 }),
    ).toBe(1);
    expect(
      clampToAutoscaler(5, { enabled: false, minReplicas: 1, maxReplicas: 3, scalingGroupPriority: 0 }),
    ).toBe(5);
  });
});

describe("tasks", () => {
  it("scale-up: Pending, Processing, then Done when its nodes run; Aborted when one fails", () => {
    const c = cluster();
    const g = group();
    c.instanceGroups.push(g);
    const added = setReplicas(
      c,
      g,
      2,
      T0,
      idSource(() => 0.3),
    );
    const task: TaskRecord = {
      id: "task-1",
      clusterID: c.clusterID,
      instanceGroupID: g.cceInstanceGroupID,
      kind: "scaleup",
      description: "",
      startTime: T0,
      instanceIDs: added.map((i) => i.cceInstanceID),
    };
    expect(taskStateAt(task, g, T0).phase).toBe("Pending");
    expect(taskStateAt(task, g, T0 + TASK_PENDING_SECONDS * S).phase).toBe("Processing");
    const done = T0 + (NODE_CREATE_SECONDS + NODE_STAGGER_SECONDS) * S;
    expect(taskStateAt(task, g, done - 1).phase).toBe("Processing");
    expect(taskStateAt(task, g, done)).toEqual({ phase: "Done", finishTime: done });
    added[1]!.fails = true;
    expect(taskStateAt(task, g, done)).toMatchObject({ phase: "Aborted" });
  });

  it("scale-down: Done when the last removed node is gone", () => {
    const task: TaskRecord = {
      id: "task-2",
      clusterID: "cce-abcd1234",
      instanceGroupID: "cce-ig-abcd1234",
      kind: "scaledown",
      description: "",
      startTime: T0,
      instanceIDs: ["x"],
      finishAt: T0 + NODE_DELETE_SECONDS * S,
    };
    expect(taskStateAt(task, undefined, T0 + 10 * S).phase).toBe("Processing");
    expect(taskStateAt(task, undefined, T0 + NODE_DELETE_SECONDS * S)).toEqual({
      phase: "Done",
      finishTime: T0 + NODE_DELETE_SECONDS * S,
    });
  });
});
