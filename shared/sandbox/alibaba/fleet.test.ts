// The default fleet is deterministic and has what the product needs; seeds are validated clearly.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../clock.ts";
import { buildState, defaultFleet, parseFleet } from "./fleet.ts";
import { clusterState, poolStatus } from "./state.ts";

const T0 = Date.parse("2025-01-06T00:00:00Z");

function build(seed: number) {
  return buildState(parseFleet(defaultFleet(seededRandom(seed))), seededRandom(seed + 1), T0);
}

describe("default fleet", () => {
  it("is the same for the same seed, and different for another", () => {
    expect(JSON.stringify(build(5))).toBe(JSON.stringify(build(5)));
    expect(build(5).accounts[0]!.accessKeyId).not.toBe(build(6).accounts[0]!.accessKeyId);
  });

  it("has two accounts, several regions, six clusters in varied phases, pools of 1-6 nodes", () => {
    const state = build(1);
    expect(state.accounts.map((a) => [a.name, a.apsara?.organizationId])).toEqual([
      ["ack-dev", undefined],
      ["apsara-ops", "38"],
    ]);
    expect(
      state.accounts.every(
        (a) => /^LTAI[A-Za-z0-9]{20}$/.test(a.accessKeyId) && a.secretAccessKey.length === 30,
      ),
    ).toBe(true);
    expect(new Set(state.clusters.map((c) => c.region)).size).toBe(4);
    expect(state.clusters).toHaveLength(6);
    expect(state.clusters.map((c) => clusterState(state, c, T0)).sort()).toEqual([
      "running",
      "running",
      "running",
      "running",
      "stopped",
      "updating",
    ]);
    const pools = state.clusters.flatMap((c) => c.pools.map((p) => ({ c, p })));
    for (const { c, p } of pools) {
      const status = poolStatus(c, p, T0);
      expect(status.total_nodes).toBeGreaterThanOrEqual(1);
      expect(status.total_nodes).toBeLessThanOrEqual(6);
      expect(status.state).toBe("active");
    }
    expect(pools.filter(({ p }) => p.autoScaling.enable)).toHaveLength(3);
    expect(pools.some(({ p }) => p.scalingGroup.instance_charge_type === "PrePaid")).toBe(true);
    expect(
      state.clusters.every((c) => /^c[0-9a-f]{32}$/.test(c.id) && c.tags.some((t) => t.key === "env")),
    ).toBe(true);
    // The dedicated (Kubernetes) cluster lists its three masters.
    expect(state.clusters.flatMap((c) => c.nodes).filter((n) => n.role === "Master")).toHaveLength(3);
  });
});

describe("seed validation", () => {
  it("names every bad field by its path", () => {
    expect(() =>
      parseFleet({
        accounts: [{ name: "a", accessKeyId: "LTAI a", secretAccessKey: "s", region: "r" }],
        clusters: [
          {
            account: "nobody",
            region: "r",
            name: "c",
            nodePools: [{ name: "p", size: 3, autoscaling: { min: 5, max: 2 } }],
          },
        ],
      }),
    ).toThrow(
      /alibaba fleet is invalid: accounts\[0\]\.accessKeyId: .*; clusters\[0\]\.nodePools\[0\]\.autoscaling: autoscaling\.min must not exceed autoscaling\.max; clusters\[0\]\.account: names no account; known: a/,
    );
    expect(() => parseFleet({ clusters: [] })).toThrow(/accounts: /);
    expect(() => parseFleet("nope")).toThrow(/\(fleet\): /);
  });

  it("fills defaults and keeps given ids", () => {
    const fleet = parseFleet({
      accounts: [{ name: "a", accessKeyId: "LTAIa", secretAccessKey: "s", region: "r" }],
      clusters: [
        {
          id: "cabc123",
          account: "a",
          region: "r",
          name: "c",
          nodePools: [{ id: "npabc1", name: "p", size: 1 }],
        },
      ],
    });
    expect(fleet).toMatchObject({
      taskApi: true,
      nodeQuota: 100,
      throttleStatus: 429,
      poolOpsScaleCluster: true,
    });
    const state = buildState(fleet, seededRandom(1), T0);
    expect(state.clusters[0]).toMatchObject({
      id: "cabc123",
      state: "running",
      clusterType: "ManagedKubernetes",
    });
    expect(state.clusters[0]!.pools[0]).toMatchObject({ id: "npabc1", isDefault: true });
  });
});
