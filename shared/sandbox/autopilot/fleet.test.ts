import { describe, expect, it } from "vitest";
import { seededRandom } from "../clock.ts";
import { buildState, defaultFleet, parseFleet } from "./fleet.ts";
import { goTime, v1Uuid } from "./format.ts";
import { isProtectedNamespace } from "./state.ts";

const T0 = Date.parse("2026-03-02T08:00:00Z");

describe("autopilot default fleet", () => {
  const fleet = parseFleet(defaultFleet(seededRandom(42)));

  it("is the same for the same seed and differs for another", () => {
    expect(defaultFleet(seededRandom(42))).toEqual(defaultFleet(seededRandom(42)));
    expect(buildState(fleet, T0, seededRandom(5))).toEqual(buildState(fleet, T0, seededRandom(5)));
    expect(defaultFleet(seededRandom(43))).not.toEqual(defaultFleet(seededRandom(42)));
  });

  it("has two users, three regions and six clusters in varied phases", () => {
    expect(fleet.accounts.map((a) => a.name)).toEqual(["dev", "qa"]);
    expect(fleet.accounts.flatMap((a) => a.projects.map((p) => p.region))).toEqual([
      "cn-north-4",
      "cn-east-3",
      "cn-south-1",
    ]);
    for (const account of fleet.accounts) {
      expect(account.accessKeyId).toMatch(/^[A-Z0-9]{20}$/);
      expect(account.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    }
    const phases = fleet.clusters.map((c) => c.phase).sort();
    expect(phases).toEqual(["Available", "Available", "Available", "Available", "Creating", "Upgrading"]);
    expect(fleet.clusters.filter((c) => c.tags["nightshift/sleep"]).length).toBeGreaterThanOrEqual(2);
    for (const cluster of fleet.clusters) expect(cluster.tags.env).toBeTruthy();
  });

  it("gives each running cluster 2-3 namespaces of workloads (0-5 replicas) plus a read-only kube-system", () => {
    for (const cluster of fleet.clusters.filter((c) => c.phase !== "Creating")) {
      const apps = cluster.workloads.filter((w) => !isProtectedNamespace(w.namespace));
      const namespaces = new Set(apps.map((w) => w.namespace));
      expect(namespaces.size).toBeGreaterThanOrEqual(2);
      expect(namespaces.size).toBeLessThanOrEqual(3);
      for (const w of apps) expect(w.replicas).toBeGreaterThanOrEqual(0);
      for (const w of apps) expect(w.replicas).toBeLessThanOrEqual(5);
      expect(cluster.workloads).toContainEqual({
        namespace: "kube-system",
        kind: "Deployment",
        name: "coredns",
        replicas: 2,
      });
    }
    const kinds = new Set(fleet.clusters.flatMap((c) => c.workloads.map((w) => w.kind)));
    expect(kinds).toEqual(new Set(["Deployment", "StatefulSet"]));
  });

  it("builds a Creating cluster with its running CreateCluster job", () => {
    const state = buildState(fleet, T0, seededRandom(5));
    const creating = state.clusters.find((c) => c.phase === "Creating")!;
    expect(state.jobs).toHaveLength(1);
    expect(state.jobs[0]).toMatchObject({ type: "CreateCluster", clusterUid: creating.uid });
    expect(creating.transition?.jobId).toBe(state.jobs[0]!.uid);
  });
});

describe("autopilot fleet validation", () => {
  const accounts = [
    { name: "a", accessKeyId: "AK", secretAccessKey: "SK", projects: [{ region: "r", projectId: "p1" }] },
  ];

  it("names each wrong field", () => {
    expect(() => parseFleet({ accounts, clusters: [{ project: "p1", name: "Bad_Name" }] })).toThrow(
      /clusters\[0\]\.name: must match/,
    );
    expect(() =>
      parseFleet({ accounts, clusters: [{ project: "p1", name: "okay", phase: "Hibernation" }] }),
    ).toThrow(/clusters\[0\]\.phase/);
    expect(() =>
      parseFleet({ accounts, clusters: [{ project: "p1", name: "okay", colour: "red" }] }),
    ).toThrow(/clusters\[0\]: Unrecognized key/);
    expect(() => parseFleet({ accounts: [] })).toThrow(/accounts: /);
    const tags = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]));
    expect(() => parseFleet({ accounts, clusters: [{ project: "p1", name: "okay", tags }] })).toThrow(
      /clusters\[0\]\.tags: at most 20 tags/,
    );
  });

  it("checks what spans fields: projects, duplicates, phase-only options", () => {
    expect(() =>
      parseFleet({
        accounts,
        clusters: [
          { project: "p1", name: "twin" },
          { project: "p1", name: "twin" },
        ],
      }),
    ).toThrow(/cluster name in a project "p1\/twin" appears twice/);
    expect(() =>
      parseFleet({ accounts, clusters: [{ project: "p1", name: "okay", upgradeTo: "v1.31" }] }),
    ).toThrow(/clusters\[0\]\.upgradeTo: only an Upgrading cluster/);
    expect(() =>
      parseFleet({ accounts, clusters: [{ project: "p1", name: "okay", secondsLeft: 5 }] }),
    ).toThrow(/clusters\[0\]\.secondsLeft/);
    expect(() => parseFleet({ accounts: [...accounts, { ...accounts[0]!, name: "b" }] })).toThrow(
      /accessKeyId "AK" appears twice/,
    );
  });
});

describe("autopilot wire formats", () => {
  it("writes Go's time.String(): fraction trimmed, dropped when zero", () => {
    expect(goTime(Date.parse("2024-06-04T12:49:28.770Z"))).toBe("2024-06-04 12:49:28.77 +0000 UTC");
    expect(goTime(Date.parse("2024-06-04T12:49:28.000Z"))).toBe("2024-06-04 12:49:28 +0000 UTC");
  });

  it("mints version-1 UUIDs carrying the time", () => {
    const uid = v1Uuid(seededRandom(1), Date.parse("2024-06-01T09:05:03Z"));
    expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-0255ac1[0-9a-f]{5}$/);
    // 2024-06-01 falls in the 0x1ef time-high range, as the digest's example ids (…-11ef-…) do.
    expect(uid.slice(14, 18)).toBe("11ef");
  });
});
