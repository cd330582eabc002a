import { describe, expect, it } from "vitest";
import { seededRandom } from "../clock.ts";
import { buildState, defaultFleet, type FleetSpec, parseFleet } from "./fleet.ts";
import { poolCounts } from "./machine.ts";

const NOW = Date.parse("2026-03-02T09:00:00Z");

describe("the default Huawei fleet", () => {
  it("is reproducible from its seed and differs between seeds", () => {
    expect(defaultFleet(seededRandom(5))).toEqual(defaultFleet(seededRandom(5)));
    expect(JSON.stringify(defaultFleet(seededRandom(5)))).not.toBe(
      JSON.stringify(defaultFleet(seededRandom(6))),
    );
    const a = buildState(defaultFleet(seededRandom(5)), NOW, seededRandom(9));
    const b = buildState(defaultFleet(seededRandom(5)), NOW, seededRandom(9));
    expect(a).toEqual(b);
  });

  it("has 2 accounts, 2 regions, 6 clusters in varied phases, tagged, with pools of 1-6 nodes", () => {
    const state = buildState(defaultFleet(seededRandom(1)), NOW, seededRandom(2));
    expect(state.accounts.map((a) => a.name)).toEqual(["platform-dev", "qa-team"]);
    expect(new Set(state.accounts.flatMap((a) => a.projects.map((p) => p.region)))).toEqual(
      new Set(["cn-north-4", "ap-southeast-1"]),
    );
    expect(state.clusters.map((c) => [c.name, c.phase])).toEqual([
      ["dev-core", "Available"],
      ["dev-batch", "Hibernation"],
      ["staging-web", "Upgrading"],
      ["sg-dev", "Available"],
      ["qa-e2e", "Available"],
      ["qa-perf", "Available"],
    ]);
    expect(state.clusters.every((c) => c.tags.some((t) => t.key === "env"))).toBe(true);
    expect(state.clusters.find((c) => c.name === "staging-web")?.phaseUntil).toBe(NOW + 25 * 60_000);
  });

  it("keeps every custom pool at 1-6 nodes, converged, and inside its autoscaling bounds, for any seed", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const state = buildState(defaultFleet(seededRandom(seed)), NOW, seededRandom(seed));
      const pools = state.clusters.flatMap((c) => c.pools.filter((p) => !p.isDefault).map((p) => ({ c, p })));
      expect(pools.some(({ p }) => p.autoscaling.enable)).toBe(true);
      for (const { c, p } of pools) {
        expect(p.initialNodeCount).toBeGreaterThanOrEqual(1);
        expect(p.initialNodeCount).toBeLessThanOrEqual(6);
        expect(poolCounts(c, p)).toEqual({
          currentNode: p.initialNodeCount,
          creatingNode: 0,
          deletingNode: 0,
        });
        if (p.autoscaling.enable) {
          expect(p.initialNodeCount).toBeGreaterThanOrEqual(p.autoscaling.minNodeCount);
          expect(p.initialNodeCount).toBeLessThanOrEqual(p.autoscaling.maxNodeCount);
        }
      }
    }
  });
});

describe("seeding a fleet from JSON", () => {
  const project = "0123456789abcdef0123456789abcdef";
  const valid: FleetSpec = {
    accounts: [
      {
        name: "dev",
        accessKeyId: "AKAKAKAKAKAKAKAKAKAK",
        secretAccessKey: "secretsecretsecret",
        projects: [{ region: "cn-north-4", projectId: project }],
      },
    ],
    clusters: [{ projectId: project, name: "my-cluster", nodePools: [{ name: "pool-a", size: 2 }] }],
  };

  it("mints ids and fills defaults for what is left out", () => {
    const state = buildState(valid, NOW, seededRandom(1));
    const cluster = state.clusters[0]!;
    expect(cluster).toMatchObject({
      name: "my-cluster",
      phase: "Available",
      flavor: "cce.s2.medium",
      version: "v1.28",
    });
    expect(cluster.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-11ee-[0-9a-f]{4}-0255ac[0-9a-f]{6}$/);
    expect(cluster.pools[0]).toMatchObject({
      name: "pool-a",
      initialNodeCount: 2,
      autoscaling: { enable: false, minNodeCount: 0, maxNodeCount: 0, scaleDownCooldownTime: 0, priority: 0 },
    });
    expect(cluster.nodes).toHaveLength(2);
    expect(state.options.clustercertWhileHibernated).toBe(true);
  });

  it("names every problem by its path", () => {
    const bad = {
      accounts: [{ ...valid.accounts[0], projects: [] }],
      clusters: [{ projectId: project, name: "x", nodePools: [{ name: "Pool", size: -1 }] }],
    };
    const message = (() => {
      try {
        parseFleet(bad);
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    expect(message).toMatch(/^huawei fleet is invalid: /);
    expect(message).toContain("accounts.0.projects: ");
    expect(message).toContain("clusters.0.name: 4-128 of a-z");
    expect(message).toContain("clusters.0.nodePools.0.name: ");
    expect(message).toContain("clusters.0.nodePools.0.size: ");
  });

  it("checks references and consistency", () => {
    expect(() =>
      parseFleet({ ...valid, clusters: [{ projectId: "elsewhere", name: "my-cluster" }] }),
    ).toThrow("clusters.0.projectId: elsewhere is not a project of any account");
    expect(() =>
      parseFleet({
        ...valid,
        clusters: [
          {
            projectId: project,
            name: "my-cluster",
            nodePools: [
              { name: "pool-a", size: 7, autoscaling: { enable: true, minNodeCount: 1, maxNodeCount: 3 } },
              { name: "pool-a", size: 1 },
            ],
          },
        ],
      }),
    ).toThrow(
      /nodePools\.0\.size: 7 is outside autoscaling \[1, 3\].*nodePools\.1\.name: pool-a is used twice/,
    );
  });
});
