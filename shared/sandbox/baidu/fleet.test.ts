// The default Baidu fleet (deterministic from the seed) and the seed format's validation.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../clock.ts";
import { buildFleet, defaultFleet, parseFleet } from "./fleet.ts";
import { clusterPhaseAt, groupStatusAt } from "./lifecycle.ts";

const NOW = Date.parse("2026-03-02T09:00:00Z");

function fleetFor(seed: number) {
  const random = seededRandom(seed);
  return buildFleet(defaultFleet(random), NOW, random);
}

describe("default fleet", () => {
  it("is the same for the same seed and differs for another", () => {
    expect(fleetFor(1)).toEqual(fleetFor(1));
    expect(fleetFor(2).accounts[0]!.accessKeyId).not.toBe(fleetFor(1).accounts[0]!.accessKeyId);
  });

  it("has three accounts in three regions and six clusters in varied phases", () => {
    const fleet = fleetFor(1);
    expect(fleet.accounts.map((a) => [a.name, a.region])).toEqual([
      ["acme-bj", "bj"],
      ["acme-gz", "gz"],
      ["globex-su", "su"],
    ]);
    for (const a of fleet.accounts) {
      expect(a.accessKeyId).toMatch(/^[0-9a-f]{32}$/);
      expect(a.secretAccessKey).toMatch(/^[0-9a-f]{32}$/);
    }
    const phases = fleet.clusters.map((c) => [c.clusterName, c.region, clusterPhaseAt(c, NOW)]);
    expect(phases).toEqual([
      ["web-prod", "bj", "running"],
      ["web-staging", "bj", "running"],
      ["data-dev", "gz", "running"],
      ["ml-sandbox", "gz", "provisioning"],
      ["analytics", "su", "running"],
      ["legacy-migration", "su", "create_failed"],
    ]);
    expect(new Set(fleet.clusters.map((c) => c.clusterID)).size).toBe(6);
    expect(fleet.clusters.filter((c) => c.tags.nightshift === "sleep").map((c) => c.clusterName)).toEqual([
      "web-staging",
      "data-dev",
    ]);
  });

  it("sizes groups 1 to 6, all running except in the cluster being created; some autoscaled", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const fleet = fleetFor(seed);
      const groups = fleet.clusters.flatMap((c) => c.instanceGroups.map((g) => ({ c, g })));
      expect(groups.length).toBe(8);
      for (const { c, g } of groups) {
        expect(g.replicas).toBeGreaterThanOrEqual(1);
        expect(g.replicas).toBeLessThanOrEqual(6);
        const status = groupStatusAt(g, NOW);
        expect(status.readyReplicas).toBe(c.clusterName === "ml-sandbox" ? 0 : g.replicas);
        if (g.autoscaler) {
          expect(g.autoscaler.minReplicas).toBeLessThanOrEqual(g.replicas);
          expect(g.autoscaler.maxReplicas).toBeGreaterThanOrEqual(g.replicas);
        }
      }
      expect(groups.filter(({ g }) => g.autoscaler?.enabled)).toHaveLength(2);
    }
  });
});

describe("seed format", () => {
  const account = { name: "a", accessKeyId: "ak", secretAccessKey: "sk", region: "bj" };

  it("builds exactly what it names", () => {
    const state = buildFleet(
      {
        accounts: [account],
        options: { rejectReplicasWhileAutoscaling: false },
        clusters: [
          {
            account: "a",
            clusterName: "one",
            clusterID: "cce-one00001",
            tags: { env: "x" },
            createdAt: "2026-03-02T08:59:00Z",
            phase: "creating",
            instanceGroups: [{ instanceGroupName: "g", instanceGroupID: "cce-ig-g0000001", replicas: 2 }],
          },
        ],
      },
      NOW,
      seededRandom(1),
    );
    expect(state.options.rejectReplicasWhileAutoscaling).toBe(false);
    const [cluster] = state.clusters;
    expect(cluster).toMatchObject({ clusterID: "cce-one00001", region: "bj", tags: { env: "x" } });
    expect(clusterPhaseAt(cluster!, NOW)).toBe("provisioning");
    expect(cluster!.instanceGroups[0]).toMatchObject({ cceInstanceGroupID: "cce-ig-g0000001", replicas: 2 });
    expect(groupStatusAt(cluster!.instanceGroups[0]!, NOW).pendingMachines).toHaveLength(2);
  });

  it("names every wrong field in its error", () => {
    expect(() => parseFleet({ accounts: [] })).toThrow(
      "invalid Baidu fleet: accounts: at least one account is needed",
    );
    expect(() =>
      parseFleet({
        accounts: [account],
        clusters: [
          { account: "a", clusterName: "x", instanceGroups: [{ instanceGroupName: "g", replicas: -1 }] },
        ],
      }),
    ).toThrow(/^invalid Baidu fleet: clusters\[0\]\.instanceGroups\[0\]\.replicas: /);
    expect(() => parseFleet({ accounts: [account], clusters: [{ account: "b", clusterName: "x" }] })).toThrow(
      "clusters[0].account: names no account (known: a)",
    );
    expect(() => parseFleet({ accounts: [account], clusters: [], extra: 1 })).toThrow(/extra/);
    expect(() =>
      parseFleet({
        accounts: [account],
        clusters: [
          {
            account: "a",
            clusterName: "x",
            instanceGroups: [
              {
                instanceGroupName: "g",
                replicas: 1,
                autoscaler: { enabled: true, minReplicas: 3, maxReplicas: 2 },
              },
            ],
          },
        ],
      }),
    ).toThrow(/minReplicas must not exceed maxReplicas/);
  });
});
