// The simulated Alibaba Cloud ACK (API version 2015-12-15), reachable in its public form
// (`/clusters/...`) and through the Apsara Stack ASAPI gateway form (`/roa/clusters/...` plus the
// `x-ascm-*` / `x-acs-*` headers). See gateway.ts (signatures, ASAPI, throttling), routes.ts (the
// APIs), state.ts (state machines and their durations) and fleet.ts (the seed shape).
import { Hono } from "hono";
import { ACK_API_VERSION } from "../../signer/alibaba.ts";
import { seededRandom } from "../clock.ts";
import type { SandboxAccount, SandboxCloud, SandboxContext } from "../cloud.ts";
import { buildState, defaultFleet, parseFleet } from "./fleet.ts";
import { exchangeOf, gateway } from "./gateway.ts";
import { gatewayError } from "./render.ts";
import { ackRoutes, apiNotFound } from "./routes.ts";
import { type AckState, reconcile } from "./state.ts";
import { clusterView, nodeView, poolView, taskView } from "./views.ts";

export async function createAlibabaCloud(ctx: SandboxContext): Promise<SandboxCloud> {
  // The fleet has a random stream of its own, so reset() and seed() mint the same ids every time
  // whatever requests (and fault dice) consumed ctx.random in between.
  const fleetSeed = Math.floor(ctx.random() * 2 ** 32);
  const fromFleet = (input: unknown): AckState =>
    buildState(parseFleet(input), seededRandom(fleetSeed + 1), ctx.clock.now().getTime());
  const defaults = () => fromFleet(defaultFleet(seededRandom(fleetSeed)));
  let state = defaults();
  const current = () => state;

  const routes = new Hono();
  routes.use("*", gateway(ctx, current));
  const api = ackRoutes(ctx, current);
  routes.route("/roa", api);
  routes.route("/", api);
  routes.all("*", (c) => apiNotFound(exchangeOf(c, ctx.random)));
  routes.onError((_error, c) =>
    gatewayError(
      exchangeOf(c, ctx.random),
      500,
      "InternalError",
      "The request processing has failed due to some unknown error, exception or failure.",
    ),
  );

  return {
    name: "alibaba",
    routes,
    errorPages: {
      serverError: (c) =>
        gatewayError(
          exchangeOf(c, ctx.random),
          500,
          "InternalError",
          "The request processing has failed due to some unknown error, exception or failure.",
        ),
      throttled: (c, retryAfterSeconds) =>
        gatewayError(
          exchangeOf(c, ctx.random),
          state.options.throttleStatus,
          "Throttling.User",
          "Request was denied due to user flow control.",
          { retryAfterSeconds },
        ),
    },
    accounts: (): SandboxAccount[] =>
      state.accounts.map((a) => ({
        name: a.name,
        accessKeyId: a.accessKeyId,
        secretAccessKey: a.secretAccessKey,
        region: a.region,
        ...(a.apsara ? { organizationId: a.apsara.organizationId } : {}),
      })),
    state() {
      const now = ctx.clock.now().getTime();
      reconcile(state, now);
      return {
        options: state.options,
        accounts: state.accounts.map((a) => ({
          name: a.name,
          accessKeyId: a.accessKeyId,
          region: a.region,
          ...(a.apsara ?? {}),
          uid: a.uid,
        })),
        clusters: state.clusters.map((cluster) => {
          const account = state.accounts.find((a) => a.name === cluster.account)!;
          return {
            account: cluster.account,
            ...clusterView(state, account, cluster, now),
            nodepools: cluster.pools.map((pool) => poolView(cluster, pool, now)),
            nodes: cluster.nodes.map((node) => nodeView(node, now)),
          };
        }),
        tasks: [...state.tasks.values()].map((task) => taskView(task, now)),
      };
    },
    async reset() {
      state = defaults();
    },
    async seed(fleet) {
      state = fromFleet(fleet);
    },
    describe: () => ({
      apiVersion: ACK_API_VERSION,
      pathPrefixes: { public: "", asapi: "/roa" },
      regions: [...new Set(state.clusters.map((c) => c.region))].sort(),
      asapi: {
        headers: { "x-ascm-product-name": "cs", "x-ascm-product-version": ACK_API_VERSION },
        organizationIds: Object.fromEntries(
          state.accounts.flatMap((a) => (a.apsara ? [[a.name, a.apsara.organizationId]] : [])),
        ),
        note: "through ASAPI: prefix paths with /roa and send x-acs-regionid and x-acs-organizationid (signed)",
      },
      taskApi: state.options.taskApi,
    }),
  };
}
