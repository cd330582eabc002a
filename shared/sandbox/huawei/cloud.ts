// The simulated Huawei Cloud CCE (standard): routes.ts answers the API, machine.ts holds the state
// machines, fleet.ts the default fleet and the seed format, render.ts the vendor's JSON shapes.
import { seededRandom } from "../clock.ts";
import type { SandboxAccount, SandboxCloud, SandboxContext } from "../cloud.ts";
import { IAM_DESCRIPTION } from "../huawei-iam.ts";
import { cceError, cceErrorResponse } from "./errors.ts";
import { buildState, defaultFleet } from "./fleet.ts";
import {
  AWAKE_SECONDS,
  HIBERNATE_SECONDS,
  JOB_RETENTION_SECONDS,
  NODE_CREATE_SECONDS,
  NODE_DELETE_SECONDS,
  NODE_STAGGER_SECONDS,
  reconcile,
  requestId,
} from "./machine.ts";
import type { HuaweiState } from "./model.ts";
import { MALFORMED_TAG } from "./render.ts";
import { huaweiRoutes, PATH_PREFIX, type StateHolder } from "./routes.ts";

/** Times in the state view are ISO strings; secrets are left out. */
function stateView(state: HuaweiState): unknown {
  return JSON.parse(
    JSON.stringify(state, (key, value) => {
      if (key === "secretAccessKey") return undefined;
      if (/(At|Until|until)$/.test(key) && typeof value === "number") {
        return value >= 8.64e15 ? null : new Date(value).toISOString();
      }
      return value;
    }),
  );
}

export async function createHuaweiCloud(ctx: SandboxContext): Promise<SandboxCloud> {
  // The default fleet comes from its own seeded stream, so every reset rebuilds the same fleet.
  const fleetSeed = Math.floor(ctx.random() * 2 ** 32);
  const defaultState = () => {
    const random = seededRandom(fleetSeed);
    return buildState(defaultFleet(random), ctx.clock.now().getTime(), random);
  };
  const holder: StateHolder = { state: defaultState() };

  return {
    name: "huawei",
    routes: huaweiRoutes(ctx, holder),
    errorPages: {
      serverError: () =>
        cceErrorResponse(cceError("CCE.01500001", "injected server error"), requestId(ctx.random)),
      throttled: (_c, retryAfterSeconds) =>
        cceErrorResponse(
          cceError("CCE.02429001", "The throttling threshold has been reached."),
          requestId(ctx.random),
          { "Retry-After": String(retryAfterSeconds) },
        ),
    },
    accounts: (): SandboxAccount[] =>
      holder.state.accounts.flatMap((account) =>
        account.projects.map((project) => ({
          // One entry per project (a Huawei project is one region): unique names for configs.
          name: `${account.name}-${project.region}`,
          accessKeyId: account.accessKeyId,
          secretAccessKey: account.secretAccessKey,
          region: project.region,
          projectId: project.projectId,
        })),
      ),
    state: () => {
      reconcile(holder.state, ctx.clock.now().getTime(), ctx.random);
      return stateView(holder.state);
    },
    reset: async () => {
      holder.state = defaultState();
    },
    seed: async (fleet) => {
      holder.state = buildState(fleet, ctx.clock.now().getTime(), seededRandom(fleetSeed ^ 0x5eed));
    },
    describe: () => ({
      pathPrefix: PATH_PREFIX,
      regions: [...new Set(holder.state.accounts.flatMap((a) => a.projects.map((p) => p.region)))],
      projects: holder.state.accounts.flatMap((a) =>
        a.projects.map((p) => ({ account: a.name, region: p.region, projectId: p.projectId })),
      ),
      headers: { "X-Project-Id": "the project id of the path (signed)" },
      iam: IAM_DESCRIPTION,
      durationsSeconds: {
        hibernate: HIBERNATE_SECONDS,
        awake: AWAKE_SECONDS,
        nodeCreate: NODE_CREATE_SECONDS,
        nodeDelete: NODE_DELETE_SECONDS,
        nodeStagger: NODE_STAGGER_SECONDS,
        jobRetention: JOB_RETENTION_SECONDS,
      },
      malformedTag: MALFORMED_TAG,
    }),
  };
}
