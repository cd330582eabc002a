// Reads that the steps of one runner call share, so a night spends each account's API rate budget
// on changes rather than on asking the same question many times:
// - cluster phases: one listClusters per account answers the getCluster of every operation of
//   that account in the run, for CLUSTER_LIST_MAX_AGE_MS (a fleet's hibernation polls then cost
//   one request per account instead of one per cluster), but never a poll that fell due after the
//   listing was made: a poll asks for the state at its time, and an older listing could only
//   repeat what the last poll saw;
// - node pools: the steps one operation chains in the run reuse the pools it already read, until
//   it changes that pool; its first read of a pool lists the cluster's pools (one request answers
//   for all of them); a change sends back the pool as read when that read is fresh
//   (POOL_WRITE_BACK_MAX_AGE_MS), so a cloud that must PUT the whole spec (Huawei) does not GET it
//   again first.
// A read never answers for a cluster or pool changed after it was made (a change goes through the
// same wrapper), so a step never mistakes the state before its own change for the state after it.
import type { Cluster, NodePool, Provider } from "../providers/port.ts";

/** How long one listing answers for the phases of an account's clusters. */
export const CLUSTER_LIST_MAX_AGE_MS = 5_000;
/**
 * How old a pool read may be for a change to send it back whole: a GET just before the PUT would
 * leave the same window for someone else's edit of the pool to be overwritten, within seconds.
 */
export const POOL_WRITE_BACK_MAX_AGE_MS = 5_000;

interface Listing {
  at: number;
  clusters: Promise<Map<string, Cluster>>;
}

interface AccountReads {
  listing?: Listing;
  /** When a change to each cluster was last issued (a listing older than that says nothing of it). */
  changedAt: Map<string, number>;
}

export interface SharedReads {
  /**
   * The provider an operation's steps use in this run: `provider` with the shared reads.
   * `dueAt`: when the operation fell due (its poll's time); listings made before it do not answer it.
   */
  forOperation(provider: Provider, options?: { dueAt?: Date }): Provider;
}

export function createSharedReads(clock: () => Date): SharedReads {
  const accounts = new Map<Provider, AccountReads>();
  const readsOf = (provider: Provider) => {
    let reads = accounts.get(provider);
    if (!reads) {
      reads = { changedAt: new Map() };
      accounts.set(provider, reads);
    }
    return reads;
  };

  const clusterPhase = async (provider: Provider, clusterId: string, dueAt: number): Promise<Cluster> => {
    const reads = readsOf(provider);
    const now = clock().getTime();
    const changed = reads.changedAt.get(clusterId) ?? Number.NEGATIVE_INFINITY;
    let listing = reads.listing;
    if (
      !listing ||
      now - listing.at > CLUSTER_LIST_MAX_AGE_MS ||
      listing.at <= changed ||
      listing.at < dueAt
    ) {
      const clusters = provider.listClusters().then((list) => new Map(list.map((c) => [c.id, c])));
      listing = { at: now, clusters };
      reads.listing = listing;
      // A failed listing is not kept: the next read asks again (and this one reports the error).
      clusters.catch(() => {
        if (reads.listing === listing) delete reads.listing;
      });
    }
    const found = (await listing.clusters).get(clusterId);
    // Not listed (created since, or a listing that pages): ask for it alone.
    return found ?? provider.getCluster(clusterId);
  };

  return {
    forOperation(provider, options = {}) {
      const reads = readsOf(provider);
      const dueAt = options.dueAt?.getTime() ?? Number.NEGATIVE_INFINITY;
      const pools = new Map<string, { pool: NodePool; at: number }>();
      /** Clusters whose pools this operation has listed in this run. */
      const listed = new Set<string>();
      const poolKey = (clusterId: string, poolId: string) => `${clusterId}/${poolId}`;
      const changing = <T>(clusterId: string, poolId: string | undefined, call: () => Promise<T>) => {
        reads.changedAt.set(clusterId, clock().getTime());
        if (poolId === undefined) {
          for (const key of [...pools.keys()]) if (key.startsWith(`${clusterId}/`)) pools.delete(key);
        } else pools.delete(poolKey(clusterId, poolId));
        return call();
      };
      /** The pool as last read, when fresh enough to be sent back whole by a change. */
      const freshRead = (clusterId: string, poolId: string) => {
        const known = pools.get(poolKey(clusterId, poolId));
        return known && clock().getTime() - known.at <= POOL_WRITE_BACK_MAX_AGE_MS ? known.pool : undefined;
      };
      const listNodePools = async (clusterId: string) => {
        const at = clock().getTime();
        const found = await provider.listNodePools(clusterId);
        listed.add(clusterId);
        for (const pool of found) pools.set(poolKey(clusterId, pool.id), { pool, at });
        return found;
      };
      return {
        kind: provider.kind,
        account: provider.account,
        region: provider.region,
        capabilities: provider.capabilities,
        listClusters: () => provider.listClusters(),
        listNodes: (clusterId, poolId) => provider.listNodes(clusterId, poolId),
        issueKubeconfig: (clusterId, validity) => provider.issueKubeconfig(clusterId, validity),
        ...(provider.kubernetes ? { kubernetes: provider.kubernetes.bind(provider) } : {}),
        getJob: (jobId) => provider.getJob(jobId),
        getCluster: (clusterId) => clusterPhase(provider, clusterId, dueAt),
        listNodePools,
        async getNodePool(clusterId, poolId) {
          if (!pools.has(poolKey(clusterId, poolId)) && !listed.has(clusterId))
            await listNodePools(clusterId);
          const known = pools.get(poolKey(clusterId, poolId));
          if (known) return known.pool;
          // Changed since the listing, or not listed (gone, or a pool the listing hides): ask for it.
          const at = clock().getTime();
          const pool = await provider.getNodePool(clusterId, poolId);
          pools.set(poolKey(clusterId, poolId), { pool, at });
          return pool;
        },
        hibernate: (clusterId) => changing(clusterId, undefined, () => provider.hibernate(clusterId)),
        awake: (clusterId) => changing(clusterId, undefined, () => provider.awake(clusterId)),
        resizeNodePool: (clusterId, poolId, request) => {
          const read = freshRead(clusterId, poolId);
          return changing(clusterId, poolId, () => provider.resizeNodePool(clusterId, poolId, request, read));
        },
        setNodePoolAutoscaling: (clusterId, poolId, bounds) => {
          const read = freshRead(clusterId, poolId);
          return changing(clusterId, poolId, () =>
            provider.setNodePoolAutoscaling(clusterId, poolId, bounds, read),
          );
        },
      };
    },
  };
}
