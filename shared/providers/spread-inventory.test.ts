import { describe, expect, it } from "vitest";
import { countingBackend, type SubrequestBudget, subrequestBudget } from "../jobs/budget.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore } from "../store/store.ts";
import type { Cluster, NodePool, Provider } from "./port.ts";
import { CLUSTERS_MAX_AGE_MS, POOLS_MAX_AGE_MS, spreadInventory } from "./spread-inventory.ts";

/** An account of `count` clusters whose every call (and its rate booking) the current budget counts. */
function account(name: string, count: number, budget: () => SubrequestBudget, calls: string[]): Provider {
  const clusters: Cluster[] = Array.from({ length: count }, (_, i) => ({
    provider: "huawei",
    account: name,
    region: "cn-north-4",
    id: `c${i}`,
    name: `c${i}`,
    phase: "running",
    vendorPhase: "Available",
    tags: {},
  }));
  const spend = (call: string) => {
    budget().spend("fetch");
    budget().spend("rate limiter");
    calls.push(call);
  };
  return {
    kind: "huawei",
    account: name,
    region: "cn-north-4",
    capabilities: { hibernate: true, nodePools: true },
    async listClusters() {
      spend(`${name} clusters`);
      return clusters;
    },
    async listNodePools(clusterId: string): Promise<NodePool[]> {
      spend(`${name}/${clusterId} pools`);
      const size = Number(clusterId.slice(1)) % 3;
      return [{ id: "p", name: "p", desired: size, ready: size, phase: "stable", vendorPhase: "active" }];
    },
  } as unknown as Provider;
}

describe("spreadInventory", () => {
  it("lists 1,000 clusters' pools over several invocations, each within its allowance, stalest first", async () => {
    const backend = memoryBackend();
    let budget = subrequestBudget();
    const calls: string[] = [];
    const providers = [account("a", 500, () => budget, calls), account("b", 500, () => budget, calls)];
    const start = Date.parse("2026-03-02T11:00:00Z");
    const list = async (at: number) => {
      budget = subrequestBudget();
      calls.length = 0;
      const store = createStore(countingBackend(backend, budget));
      const inventory = await spreadInventory({
        providers,
        shared: store.shared,
        now: new Date(at),
        budget,
        allowance: 600,
      });
      return { inventory, spent: budget.spent, calls: [...calls] };
    };

    const first = await list(start);
    expect(first.spent).toBeLessThanOrEqual(600);
    expect(first.inventory.targets).toHaveLength(1000);
    expect(first.calls.filter((c) => c.endsWith(" clusters"))).toEqual(["a clusters", "b clusters"]);
    const listedFirst = first.calls.filter((c) => c.endsWith(" pools"));
    expect(listedFirst.length).toBeGreaterThan(250);
    const withPools = (r: typeof first) => r.inventory.targets.filter((t) => t.nodePools.length > 0).length;
    expect(withPools(first)).toBe(listedFirst.length);

    // A minute later: the cluster lists are fresh; the pools not yet listed come next, none twice.
    const second = await list(start + 60_000);
    expect(second.spent).toBeLessThanOrEqual(600);
    expect(second.calls.some((c) => c.endsWith(" clusters"))).toBe(false);
    const listedSecond = second.calls.filter((c) => c.endsWith(" pools"));
    expect(listedSecond.filter((c) => listedFirst.includes(c))).toEqual([]);
    expect(withPools(second)).toBe(listedFirst.length + listedSecond.length);

    let at = start + 60_000;
    let last = second;
    while (withPools(last) < 1000) {
      at += 60_000;
      last = await list(at);
      expect(last.spent).toBeLessThanOrEqual(600);
    }
    expect(at - start).toBeLessThan(CLUSTERS_MAX_AGE_MS);
    const c4 = last.inventory.targets.find((t) => t.targetId === "a/c4")!;
    expect(c4.nodePools.map((p) => p.desired)).toEqual([1]);

    // Past the cluster lists' age, within the pools': the lists again, no pools.
    const later = await list(start + CLUSTERS_MAX_AGE_MS + 60_000);
    expect(later.calls).toEqual(["a clusters", "b clusters"]);
    expect(withPools(later)).toBe(1000);
    // Past the pools' age: they are listed again, a part per invocation.
    const stale = await list(start + POOLS_MAX_AGE_MS + 60_000);
    expect(stale.spent).toBeLessThanOrEqual(600);
    expect(stale.calls.filter((c) => c.endsWith(" pools")).length).toBeGreaterThan(250);
  });

  it("keeps an account's last listing when its cloud fails, and says so", async () => {
    const backend = memoryBackend();
    const budget = subrequestBudget();
    const calls: string[] = [];
    const healthy = account("a", 3, () => budget, calls);
    const store = createStore(backend);
    const now = Date.parse("2026-03-02T11:00:00Z");
    await spreadInventory({
      providers: [healthy],
      shared: store.shared,
      now: new Date(now),
      budget,
      allowance: 600,
    });
    const failing = {
      ...healthy,
      listClusters: async () => {
        throw new Error("CCE.0001: service unavailable");
      },
    } as Provider;
    const inventory = await spreadInventory({
      providers: [failing],
      shared: store.shared,
      now: new Date(now + CLUSTERS_MAX_AGE_MS),
      budget,
      allowance: 600,
    });
    expect(inventory.targets.map((t) => t.targetId)).toEqual(["a/c0", "a/c1", "a/c2"]);
    expect(inventory.errors).toEqual([
      expect.objectContaining({ account: "a", message: "CCE.0001: service unavailable" }),
    ]);
  });
});
