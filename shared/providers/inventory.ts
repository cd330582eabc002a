// The fleet as the operator sees it: every cluster of every account, with its node pools. One
// account's failure is reported beside the others' results, never instead of them.
import type { Documents, SharedCopy } from "../store/store.ts";
import { type Cluster, type NodePool, type Provider, ProviderError, type ProviderKind } from "./port.ts";

export interface Target extends Cluster {
  /** `account/clusterId`: unique across the fleet, used in the API and the ledger. */
  targetId: string;
  nodePools: NodePool[];
  /** When `nodePools` was listed, where a listing keeps the pools apart from the clusters (the Worker's). */
  poolsListedAt?: string;
  /**
   * Set when `nodePools` is not an observation (it is then empty): why the pools are not known —
   * not listed yet, or listing them failed. A decision that reads the pools waits (functions/tick.ts).
   */
  poolsUnknown?: string;
}

export interface InventoryError {
  provider: ProviderKind;
  account: string;
  clusterId?: string;
  kind: string;
  message: string;
}

export interface Inventory {
  targets: Target[];
  errors: InventoryError[];
  /** When the clouds were listed, when known (a copy shared through the store says so). */
  listedAt?: string;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

function describeError(error: unknown): { kind: string; message: string } {
  if (error instanceof ProviderError) return { kind: error.kind, message: error.message };
  return { kind: "internal", message: error instanceof Error ? error.message : String(error) };
}

export async function listInventory(
  providers: Provider[],
  options: { concurrency?: number } = {},
): Promise<Inventory> {
  const errors: InventoryError[] = [];
  const perAccount = await mapLimited(providers, options.concurrency ?? 4, async (provider) => {
    let clusters: Cluster[];
    try {
      clusters = await provider.listClusters();
    } catch (error) {
      errors.push({ provider: provider.kind, account: provider.account, ...describeError(error) });
      return [];
    }
    return mapLimited(clusters, options.concurrency ?? 4, async (cluster): Promise<Target> => {
      const target: Target = { ...cluster, targetId: `${cluster.account}/${cluster.id}`, nodePools: [] };
      if (provider.capabilities.nodePools) {
        try {
          target.nodePools = await provider.listNodePools(cluster.id);
        } catch (error) {
          const described = describeError(error);
          errors.push({
            provider: provider.kind,
            account: provider.account,
            clusterId: cluster.id,
            ...described,
          });
          target.poolsUnknown = `listing them failed: ${described.message}`;
        }
      }
      return target;
    });
  });
  const targets = perAccount.flat().sort((a, b) => a.targetId.localeCompare(b.targetId));
  return { targets, errors };
}

/**
 * The inventory, listed again only when older than `maxAgeMs`: listing every cluster every
 * minute would spend the accounts' API rate on nothing. `invalidate()` forces the next call to
 * list (e.g. after an operation changed a cluster).
 *
 * With `refreshInBackground`, a stale inventory is still answered while the new listing runs (the
 * next call gets the new one): listing a large fleet takes many rate-limited requests, and a tick
 * should not hold every operation back meanwhile. Only for hosts whose process outlives the call
 * (Node); a Worker invocation may be cut off before a background listing ends.
 */
export function cachedInventory(
  list: () => Promise<Inventory>,
  options: { maxAgeMs: number; now: () => Date; refreshInBackground?: boolean },
) {
  let cached: { at: number; value: Promise<Inventory> } | undefined;
  let refreshing: Promise<Inventory> | undefined;
  const start = (now: number) => {
    const value = list();
    const entry = { at: now, value };
    // A copy listed earlier (shared through the store) ages from when it was listed.
    // A failed listing is not cached: the next call tries again.
    value.then(
      (inventory) => {
        const listedAt = inventory.listedAt ? Date.parse(inventory.listedAt) : Number.NaN;
        if (listedAt < entry.at) entry.at = listedAt;
      },
      () => {
        if (cached === entry) cached = undefined;
      },
    );
    return { entry, value };
  };
  return {
    get(): Promise<Inventory> {
      const now = options.now().getTime();
      const stale = !cached || now - cached.at >= options.maxAgeMs || now < cached.at;
      if (!stale) return cached!.value;
      if (!options.refreshInBackground || !cached) {
        cached = start(now).entry;
        return cached.value;
      }
      if (!refreshing) {
        const { entry, value } = start(now);
        const previous = cached;
        refreshing = value;
        value.then(
          () => {
            if (cached === previous) cached = entry;
          },
          () => {},
        );
        value
          .finally(() => {
            refreshing = undefined;
          })
          .catch(() => {});
      }
      return cached.value;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/** The store key of the fleet listing shared by the replicas. */
export const SHARED_INVENTORY_KEY = "inventory";

/**
 * A listing shared through the store, for several replicas on one store: the copy in the store is
 * taken while younger than `maxAgeMs`; otherwise the clouds are listed and the copy replaced. Only
 * the planner lists in its ticks (shared/jobs/planner-lease.ts); this keeps the other replicas'
 * API reads, and a new planner after a failover, from listing the fleet again. The copy is an
 * optimisation: a store that cannot read or write it costs a listing, never an answer.
 */
export function sharedListing(
  list: () => Promise<Inventory>,
  options: { shared: Documents<SharedCopy>; maxAgeMs: number; now: () => Date },
): () => Promise<Inventory> {
  return async () => {
    const now = options.now();
    const copy = await options.shared.get(SHARED_INVENTORY_KEY, now).catch(() => undefined);
    const age = copy ? now.getTime() - Date.parse(copy.value.fetchedAt) : Number.NaN;
    if (copy && age >= 0 && age < options.maxAgeMs) {
      return { ...(copy.value.value as Inventory), listedAt: copy.value.fetchedAt };
    }
    const inventory = await list();
    const listedAt = now.toISOString();
    // A lost race means another replica just stored a fresh copy: it stands.
    await options.shared
      .put(SHARED_INVENTORY_KEY, { fetchedAt: listedAt, value: inventory }, copy?.version ?? null, now)
      .catch(() => undefined);
    return { ...inventory, listedAt };
  };
}
