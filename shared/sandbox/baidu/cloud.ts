// The simulated Baidu AI Cloud CCE (API v2): clusters, cluster events, instance groups (replicas,
// autoscaler, scale-up/down tasks), instances, kubeconfig. See routes.ts for the API, lifecycle.ts
// for the state machines, fleet.ts for the seed format and the default fleet.
import { seededRandom } from "../clock.ts";
import type { SandboxAccount, SandboxCloud, SandboxContext } from "../cloud.ts";
import { errorPages } from "./errors.ts";
import { buildFleet, defaultFleet, type FleetSeed, idSource } from "./fleet.ts";
import { KUBECONFIG_TYPES, KUBECONFIG_VALIDITY_DAYS } from "./kubeconfig.ts";
import { clusterPhaseAt, groupStatusAt, instancePhaseAt, pruneGone, taskStateAt } from "./lifecycle.ts";
import { type BaiduStore, baiduRoutes, PATH_PREFIXES } from "./routes.ts";

export async function createBaiduCloud(ctx: SandboxContext): Promise<SandboxCloud> {
  const ids = idSource(ctx.random);
  // Fleets are built from a random source of their own, restarted each time: reset() brings back
  // exactly the same accounts, clusters and ids, whatever happened since.
  const fleetSeed = Math.floor(ctx.random() * 2 ** 32);
  const fresh = (seed: unknown) => buildFleet(seed, ctx.clock.now().getTime(), seededRandom(fleetSeed));
  const defaults: FleetSeed = defaultFleet(seededRandom(fleetSeed ^ 0x5eed));
  const store: BaiduStore = { state: fresh(defaults), ids };

  return {
    name: "baidu",
    routes: baiduRoutes(ctx, store),
    errorPages: errorPages(ctx.random, () => ctx.signatureNow()),
    accounts: (): SandboxAccount[] =>
      store.state.accounts.map((a) => ({
        name: a.name,
        accessKeyId: a.accessKeyId,
        secretAccessKey: a.secretAccessKey,
        region: a.region,
      })),
    state() {
      const at = ctx.clock.now().getTime();
      const iso = (ms: number) => new Date(ms).toISOString();
      return {
        options: store.state.options,
        accounts: store.state.accounts.map((a) => ({
          name: a.name,
          accessKeyId: a.accessKeyId,
          region: a.region,
        })),
        clusters: store.state.clusters.map((cluster) => {
          pruneGone(cluster, at);
          return {
            account: cluster.account,
            region: cluster.region,
            clusterID: cluster.clusterID,
            clusterName: cluster.clusterName,
            phase: clusterPhaseAt(cluster, at),
            tags: cluster.tags,
            createdAt: iso(cluster.createdAt),
            malformed: cluster.malformed,
            instanceGroups: cluster.instanceGroups.map((group) => ({
              instanceGroupID: group.cceInstanceGroupID,
              instanceGroupName: group.instanceGroupName,
              replicas: group.replicas,
              ...groupStatusAt(group, at),
              autoscaler: group.autoscaler ?? null,
              paused: group.pausedReason ?? null,
              instances: group.instances.map((i) => ({
                cceInstanceID: i.cceInstanceID,
                phase: instancePhaseAt(i, at),
                readyAt: iso(i.readyAt),
                ...(i.deleteAt !== undefined ? { deleteAt: iso(i.deleteAt), goneAt: iso(i.goneAt!) } : {}),
              })),
            })),
          };
        }),
        tasks: store.state.tasks.map((task) => {
          const cluster = store.state.clusters.find((c) => c.clusterID === task.clusterID);
          const group = cluster?.instanceGroups.find((g) => g.cceInstanceGroupID === task.instanceGroupID);
          return { ...task, startTime: iso(task.startTime), ...taskStateAt(task, group, at) };
        }),
      };
    },
    async reset() {
      store.state = fresh(defaults);
    },
    async seed(fleet) {
      store.state = fresh(fleet);
    },
    describe: () => ({
      pathPrefixes: [...PATH_PREFIXES],
      regions: [...new Set(store.state.accounts.map((a) => a.region))].sort(),
      kubeconfigTypes: [...KUBECONFIG_TYPES],
      kubeconfigValidityDays: KUBECONFIG_VALIDITY_DAYS,
      note: "one endpoint serves every region: each access key is bound to one account and one region",
    }),
  };
}
