// The fleet listing of the Worker's cron, within its subrequest budget: listing every cluster's
// node pools at once costs two subrequests per cluster (the call and its rate booking), 2,020 for
// 1,000 clusters, past an invocation's limit. Instead the listing is kept in the store, one copy
// per account, and each cron brings part of it up to date within `allowance` subrequests:
//   clusters  each account's cluster list (it gives every cluster's phase), when older than
//             CLUSTERS_MAX_AGE_MS, stalest account first;
//   pools     each cluster's node pools, with what the allowance leaves: first the `watched`
//             clusters' (a decision reads them: `enforce`) never listed, then every cluster's by
//             how overdue it is, a watched cluster's being due after CLUSTERS_MAX_AGE_MS, the
//             others' after POOLS_MAX_AGE_MS.
// Pools order a night's operations (largest pool first) and tell `enforce` a cluster's state; the
// operations read the pools they change themselves. A cluster whose pools are not listed yet says
// so (`poolsUnknown`): `enforce` waits for them rather than deciding blind. The API serves the same
// copy (functions/cron.ts `fleetListing`), so no request lists the whole fleet live.
import type { SubrequestBudget } from "../jobs/budget.ts";
import type { Documents, SharedCopy } from "../store/store.ts";
import type { Inventory, InventoryError, Target } from "./inventory.ts";
import { type NodePool, type Provider, ProviderError } from "./port.ts";

/** Store key prefix of the per-account copies (in `shared`, beside the Node replicas' "inventory"). */
export const ACCOUNT_LISTING_PREFIX = "inventory:";
export const CLUSTERS_MAX_AGE_MS = 5 * 60 * 1000;
export const POOLS_MAX_AGE_MS = 6 * 3600 * 1000;
/** A watched cluster's pools are listed as often as the cluster lists: `enforce` sees them as fresh as the phase. */
export const WATCHED_POOLS_MAX_AGE_MS = CLUSTERS_MAX_AGE_MS;
/** `poolsUnknown` of a cluster whose pools the copy does not have yet. */
export const POOLS_NOT_LISTED_YET =
  "not listed yet (the Worker lists the fleet's node pools a part per cron)";
/** Subrequests one listing call may cost: the call and its rate booking (a retry costs more: kept in hand). */
const CALL_SUBREQUESTS = 2;
const RETRY_RESERVE = 8;

interface AccountListing {
  listedAt: string;
  targets: Target[];
}

function describe(error: unknown): { kind: string; message: string } {
  if (error instanceof ProviderError) return { kind: error.kind, message: error.message };
  return { kind: "internal", message: error instanceof Error ? error.message : String(error) };
}

export async function spreadInventory(options: {
  providers: readonly Provider[];
  shared: Documents<SharedCopy>;
  now: Date;
  /** The invocation's budget, which counts the providers' calls and bookings. */
  budget: SubrequestBudget;
  /** Subrequests this listing may spend in this invocation. */
  allowance: number;
  /** Clusters a decision reads the pools of (`enforce`): listed first, and kept fresher. */
  watched?: (target: Target) => boolean;
}): Promise<Inventory> {
  const { providers, shared, now, budget } = options;
  const start = budget.spent;
  const affords = (calls: number) =>
    budget.spent - start + calls * CALL_SUBREQUESTS + RETRY_RESERVE <= options.allowance;
  const errors: InventoryError[] = [];
  const stored = new Map((await shared.list(now, ACCOUNT_LISTING_PREFIX)).map((r) => [r.key, r] as const));
  const age = (at: string | undefined) => (at ? now.getTime() - Date.parse(at) : Number.POSITIVE_INFINITY);
  const listings = new Map<Provider, { copy?: AccountListing; version: number | null; changed: boolean }>();
  for (const provider of providers) {
    const record = stored.get(ACCOUNT_LISTING_PREFIX + provider.account);
    listings.set(provider, {
      ...(record ? { copy: record.value.value as AccountListing } : {}),
      version: record?.version ?? null,
      changed: false,
    });
  }

  // Cluster lists: stalest account first.
  const staleAccounts = [...listings]
    .filter(([, l]) => age(l.copy?.listedAt) >= CLUSTERS_MAX_AGE_MS)
    .sort(([, a], [, b]) => age(b.copy?.listedAt) - age(a.copy?.listedAt));
  for (const [provider, listing] of staleAccounts) {
    if (!affords(1)) break;
    try {
      const clusters = await provider.listClusters();
      const before = new Map((listing.copy?.targets ?? []).map((t) => [t.id, t] as const));
      listing.copy = {
        listedAt: now.toISOString(),
        targets: clusters.map((cluster) => {
          const known = before.get(cluster.id);
          return {
            ...cluster,
            targetId: `${cluster.account}/${cluster.id}`,
            nodePools: known?.nodePools ?? [],
            ...(known?.poolsListedAt ? { poolsListedAt: known.poolsListedAt } : {}),
          };
        }),
      };
      listing.changed = true;
    } catch (error) {
      errors.push({ provider: provider.kind, account: provider.account, ...describe(error) });
    }
  }

  // Pools, across accounts: watched clusters never listed first, then the most overdue.
  const watched = options.watched ?? (() => false);
  const stalePools = [...listings]
    .filter(([provider]) => provider.capabilities.nodePools)
    .flatMap(([provider, l]) =>
      (l.copy?.targets ?? []).map((target) => {
        const first = watched(target);
        const maxAge = first ? WATCHED_POOLS_MAX_AGE_MS : POOLS_MAX_AGE_MS;
        return {
          provider,
          l,
          target,
          first: first && !target.poolsListedAt,
          overdue: age(target.poolsListedAt) / maxAge,
        };
      }),
    )
    .filter(({ overdue }) => overdue >= 1)
    .sort((a, b) => Number(b.first) - Number(a.first) || b.overdue - a.overdue);
  const take = [];
  for (const item of stalePools) {
    if (!affords(take.length + 1)) break;
    take.push(item);
  }
  await Promise.all(
    take.map(async ({ provider, l, target }) => {
      let nodePools: NodePool[];
      try {
        nodePools = await provider.listNodePools(target.id);
      } catch (error) {
        errors.push({
          provider: provider.kind,
          account: provider.account,
          clusterId: target.id,
          ...describe(error),
        });
        return;
      }
      target.nodePools = nodePools;
      target.poolsListedAt = now.toISOString();
      l.changed = true;
    }),
  );

  // Written back per account; a lost race means another invocation stored a fresher copy: it stands.
  await Promise.all(
    [...listings]
      .filter(([, l]) => l.changed)
      .map(([provider, l]) =>
        shared
          .put(
            ACCOUNT_LISTING_PREFIX + provider.account,
            { fetchedAt: l.copy!.listedAt, value: l.copy },
            l.version,
            now,
          )
          .catch(() => undefined),
      ),
  );
  const targets = [...listings].flatMap(([provider, l]) =>
    (l.copy?.targets ?? []).map((target) =>
      provider.capabilities.nodePools && !target.poolsListedAt
        ? { ...target, poolsUnknown: POOLS_NOT_LISTED_YET }
        : target,
    ),
  );
  targets.sort((a, b) => a.targetId.localeCompare(b.targetId));
  // An account with no copy yet (its listing failed, or the allowance ran out) is said, never left out silently.
  for (const [provider, l] of listings) {
    if (!l.copy && !errors.some((e) => e.account === provider.account)) {
      errors.push({
        provider: provider.kind,
        account: provider.account,
        kind: "not-listed-yet",
        message: "not listed yet: the fleet is listed a part per cron; this account comes within minutes",
      });
    }
  }
  // The copy is at least as fresh as its oldest account's cluster list.
  const listedAt = [...listings.values()]
    .flatMap((l) => (l.copy ? [l.copy.listedAt] : []))
    .sort()
    .at(0);
  return { targets, errors, ...(listedAt ? { listedAt } : {}) };
}
