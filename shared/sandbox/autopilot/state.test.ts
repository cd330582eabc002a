import { describe, expect, it } from "vitest";
import { seededRandom } from "../clock.ts";
import { buildState, parseFleet } from "./fleet.ts";
import {
  CREATE_DURATION_MS,
  currentReplicas,
  DELETE_DURATION_MS,
  JOB_INITIALIZING_MS,
  JOB_TTL_MS,
  jobPhase,
  REPLICA_STEP_MS,
  reconcile,
  scaleWorkload,
  UPGRADE_DURATION_MS,
} from "./state.ts";

const T0 = Date.parse("2026-03-02T08:00:00Z");

function stateOf(clusters: unknown[]) {
  const fleet = parseFleet({
    accounts: [
      { name: "a", accessKeyId: "AK", secretAccessKey: "SK", projects: [{ region: "r1", projectId: "p1" }] },
    ],
    clusters,
  });
  return buildState(fleet, T0, seededRandom(1));
}

describe("autopilot cluster phases", () => {
  it("Creating becomes Available after CREATE_DURATION_MS; its job goes Initializing → Running → Success", () => {
    const state = stateOf([{ project: "p1", name: "new-one", phase: "Creating" }]);
    const cluster = state.clusters[0]!;
    const job = state.jobs[0]!;
    expect(cluster.transition).toMatchObject({
      kind: "create",
      endsAt: T0 + CREATE_DURATION_MS,
      jobId: job.uid,
    });
    expect(job).toMatchObject({ type: "CreateCluster", clusterUid: cluster.uid, createdAt: T0 });
    expect(jobPhase(job, job.outcome, T0)).toBe("Initializing");
    expect(jobPhase(job, job.outcome, T0 + JOB_INITIALIZING_MS)).toBe("Running");

    reconcile(state, T0 + CREATE_DURATION_MS - 1);
    expect(cluster.phase).toBe("Creating");
    reconcile(state, T0 + CREATE_DURATION_MS);
    expect(cluster.phase).toBe("Available");
    expect(cluster.transition).toBeUndefined();
    expect(cluster.reason).toBeUndefined();
    expect(jobPhase(job, job.outcome, T0 + CREATE_DURATION_MS)).toBe("Success");
  });

  it("a create that fails ends in Error with a reason, and its job Failed", () => {
    const state = stateOf([
      { project: "p1", name: "doomed", phase: "Creating", createFails: true, secondsLeft: 60 },
    ]);
    const job = state.jobs[0]!;
    reconcile(state, T0 + 60_000);
    expect(state.clusters[0]).toMatchObject({ phase: "Error", reason: "CreateClusterFailed" });
    expect(jobPhase(job, job.outcome, T0 + 60_000)).toBe("Failed");
    expect(job.reason).toContain("InstallMaster failed");
  });

  it("Upgrading ends Available on the next minor version; secondsLeft shortens the transition", () => {
    const state = stateOf([
      { project: "p1", name: "up-one", phase: "Upgrading", version: "v1.29" },
      {
        project: "p1",
        name: "up-two",
        phase: "Upgrading",
        version: "v1.28",
        upgradeTo: "v1.30",
        secondsLeft: 30,
      },
    ]);
    const [one, two] = state.clusters as [(typeof state.clusters)[0], (typeof state.clusters)[0]];
    reconcile(state, T0 + 30_000);
    expect(two).toMatchObject({ phase: "Available", version: "v1.30" });
    expect(one).toMatchObject({ phase: "Upgrading", version: "v1.29" });
    reconcile(state, T0 + UPGRADE_DURATION_MS);
    expect(one).toMatchObject({ phase: "Available", version: "v1.30" });
    expect(state.jobs).toEqual([]); // upgrades are tasks, not jobs
  });

  it("Deleting removes the cluster after DELETE_DURATION_MS", () => {
    const state = stateOf([
      { project: "p1", name: "going", phase: "Deleting" },
      { project: "p1", name: "staying" },
    ]);
    expect(state.jobs[0]).toMatchObject({ type: "DeleteCluster" });
    reconcile(state, T0 + DELETE_DURATION_MS - 1);
    expect(state.clusters.map((c) => c.name)).toEqual(["going", "staying"]);
    reconcile(state, T0 + DELETE_DURATION_MS);
    expect(state.clusters.map((c) => c.name)).toEqual(["staying"]);
  });

  it("keeps an ended job for JOB_TTL_MS, then forgets it", () => {
    const state = stateOf([{ project: "p1", name: "new-one", phase: "Creating", secondsLeft: 60 }]);
    reconcile(state, T0 + 60_000 + JOB_TTL_MS - 1);
    expect(state.jobs).toHaveLength(1);
    reconcile(state, T0 + 60_000 + JOB_TTL_MS);
    expect(state.jobs).toEqual([]);
  });
});

describe("autopilot workload replicas", () => {
  const state = () =>
    stateOf([
      {
        project: "p1",
        name: "apps",
        workloads: [{ namespace: "shop", kind: "Deployment", name: "web", replicas: 4 }],
      },
    ]);

  it("converge one pod per REPLICA_STEP_MS toward spec, both ways", () => {
    const s = state();
    const cluster = s.clusters[0]!;
    const web = cluster.workloads[0]!;
    const version = cluster.resourceVersion;
    expect(currentReplicas(web, T0)).toBe(4);
    scaleWorkload(cluster, web, 0, T0);
    expect(web).toMatchObject({ replicas: 0, from: 4, changedAt: T0 });
    expect(cluster.resourceVersion).toBe(version + 1);
    expect(web.resourceVersion).toBe(version + 1);
    expect(currentReplicas(web, T0 + REPLICA_STEP_MS - 1)).toBe(4);
    expect(currentReplicas(web, T0 + REPLICA_STEP_MS)).toBe(3);
    expect(currentReplicas(web, T0 + 4 * REPLICA_STEP_MS)).toBe(0);
    expect(currentReplicas(web, T0 + 40 * REPLICA_STEP_MS)).toBe(0);

    // Turned around half-way: starts from the pods running then.
    const s2 = state();
    const c2 = s2.clusters[0]!;
    const w2 = c2.workloads[0]!;
    scaleWorkload(c2, w2, 0, T0);
    scaleWorkload(c2, w2, 5, T0 + 2 * REPLICA_STEP_MS);
    expect(w2.from).toBe(2);
    expect(currentReplicas(w2, T0 + 5 * REPLICA_STEP_MS)).toBe(5);
  });

  it("setting the same replicas changes nothing", () => {
    const s = state();
    const cluster = s.clusters[0]!;
    const web = cluster.workloads[0]!;
    const before = { ...web };
    scaleWorkload(cluster, web, 4, T0 + 1000);
    expect(web).toEqual(before);
  });
});
