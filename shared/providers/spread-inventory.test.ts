import { describe, expect, it } from "vitest";
import { countingBackend, type SubrequestBudget, subrequestBudget } from "../jobs/budget.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore } from "../store/store.ts";
import type { Cluster, NodePool, Provider } from "./port.ts";
import {
  CLUSTERS_MAX_AGE_MS,
  POOLS_MAX_AGE_MS,
  POOLS_NOT_LISTED_YET,
  spreadInventory,
  WATCHED_POOLS_MAX_AGE_MS,
} from "./spread-inventory.ts";

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

  it("lists the pools a decision reads (watched) first and keeps them fresh; the rest say they are not listed yet", async () => {
    const backend = memoryBackend();
    let budget = subrequestBudget();
    const calls: string[] = [];
    const providers = [account("a", 400, () => budget, calls), account("b", 400, () => budget, calls)];
    // The last clusters of each account: stalest-first alone would reach them last.
    const watchedIds = new Set(["a/c399", "a/c398", "b/c399", "b/c398"]);
    const start = Date.parse("2026-03-02T11:00:00Z");
    const list = async (at: number) => {
      budget = subrequestBudget();
      calls.length = 0;
      const inventory = await spreadInventory({
        providers,
        shared: createStore(countingBackend(backend, budget)).shared,
        now: new Date(at),
        budget,
        allowance: 600,
        watched: (t) => watchedIds.has(t.targetId),
      });
      return { inventory, pools: calls.filter((c) => c.endsWith(" pools")) };
    };

    const first = await list(start);
    expect(first.pools.slice(0, 4).sort()).toEqual([
      "a/c398 pools",
      "a/c399 pools",
      "b/c398 pools",
      "b/c399 pools",
    ]);
    const byId = new Map(first.inventory.targets.map((t) => [t.targetId, t] as const));
    for (const id of watchedIds) {
      expect(byId.get(id)).toMatchObject({ poolsListedAt: new Date(start).toISOString() });
      expect(byId.get(id)!.poolsUnknown).toBeUndefined();
    }
    const unknown = first.inventory.targets.filter((t) => t.poolsUnknown !== undefined);
    expect(unknown.length).toBe(800 - first.pools.length);
    expect(unknown[0]).toMatchObject({ nodePools: [], poolsUnknown: POOLS_NOT_LISTED_YET });
    expect(first.inventory.listedAt).toBe(new Date(start).toISOString());

    // Within their age the watched pools are not listed again, while the rest of the fleet is.
    let at = start;
    let last = first;
    while (last.inventory.targets.some((t) => t.poolsUnknown !== undefined)) {
      at += 60_000;
      last = await list(at);
      expect(last.pools.filter((c) => watchedIds.has(c.replace(" pools", "")))).toEqual([]);
    }
    expect(at - start).toBeLessThan(WATCHED_POOLS_MAX_AGE_MS);
    // Past their age they are listed again (with the cluster lists), the others not before theirs.
    const later = await list(start + WATCHED_POOLS_MAX_AGE_MS);
    expect(later.pools.sort()).toEqual(["a/c398 pools", "a/c399 pools", "b/c398 pools", "b/c399 pools"]);
    expect(later.inventory.listedAt).toBe(new Date(start + WATCHED_POOLS_MAX_AGE_MS).toISOString());
  });

  it("says which accounts it could not list yet, and how old the copy is", async () => {
    const backend = memoryBackend();
    let budget = subrequestBudget();
    const calls: string[] = [];
    const providers = Array.from({ length: 6 }, (_, i) => account(`acc${i}`, 2, () => budget, calls));
    const now = Date.parse("2026-03-02T11:00:00Z");
    // Two calls' worth beyond the reserve: two accounts' cluster lists, nothing more.
    const inventory = await spreadInventory({
      providers,
      shared: createStore(backend).shared,
      now: new Date(now),
      budget,
      allowance: 12,
    });
    expect(calls).toEqual(["acc0 clusters", "acc1 clusters"]);
    expect(inventory.targets.map((t) => t.targetId)).toEqual(["acc0/c0", "acc0/c1", "acc1/c0", "acc1/c1"]);
    expect(inventory.errors.map((e) => [e.account, e.kind])).toEqual(
      ["acc2", "acc3", "acc4", "acc5"].map((a) => [a, "not-listed-yet"]),
    );
    expect(inventory.listedAt).toBe(new Date(now).toISOString());
    // A minute later the next accounts; the copy is as old as its oldest account's list.
    budget = subrequestBudget();
    const next = await spreadInventory({
      providers,
      shared: createStore(backend).shared,
      now: new Date(now + 60_000),
      budget,
      allowance: 12,
    });
    expect(next.errors.map((e) => e.account)).toEqual(["acc4", "acc5"]);
    expect(next.listedAt).toBe(new Date(now).toISOString());
  });
});
