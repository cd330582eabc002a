// The simulated Huawei Cloud CCE Autopilot: the `/autopilot/v3` API on the cloud's main listener
// (routes.ts) and every cluster's Kubernetes API on an extra mutual-TLS listener (kubernetes.ts).
// The fleet (fleet.ts) is seeded from the context's random source once, so `reset()` always
// brings back the same default fleet, whatever ids were minted since.
import { seededRandom } from "../clock.ts";
import type { SandboxAccount, SandboxCloud, SandboxContext } from "../cloud.ts";
import { IAM_DESCRIPTION } from "../huawei-iam.ts";
import { autopilotErrorPages } from "./errors.ts";
import { buildState, defaultFleet, parseFleet } from "./fleet.ts";
import { kubernetesApp } from "./kubernetes.ts";
import { renderCluster, renderJob } from "./render.ts";
import { apiServerUrl, autopilotRoutes, KUBERNETES_LISTENER, type StateHolder } from "./routes.ts";
import { currentReplicas, reconcile } from "./state.ts";

const DAY = 86_400_000;

export async function createAutopilotCloud(ctx: SandboxContext): Promise<SandboxCloud> {
  const fleetSeed = Math.floor(ctx.random() * 2 ** 32);
  // Ids a fleet does not give are minted from a fresh copy of one seeded source, so loading the
  // same fleet twice (a reset, a re-seed) gives the same cluster, job and workload ids.
  const load = (fleet: unknown) =>
    buildState(parseFleet(fleet), ctx.clock.now().getTime(), seededRandom(fleetSeed ^ 0x5eed));
  const holder: StateHolder = { current: load(defaultFleet(seededRandom(fleetSeed))) };

  // The API server's certificate is checked by the client against the REAL clock: valid from a
  // day before the earlier of the two clocks to ten years after the later one.
  const simNow = ctx.clock.now().getTime();
  const realNow = ctx.realNow();
  const server = await ctx.ca.issue({
    commonName: "kube-apiserver",
    notBefore: new Date(Math.min(simNow, realNow) - DAY),
    notAfter: new Date(Math.max(simNow, realNow) + 3650 * DAY),
    serverHosts: ["127.0.0.1", "localhost"],
  });

  return {
    name: "autopilot",
    routes: autopilotRoutes(ctx, holder),
    errorPages: autopilotErrorPages(ctx.random),
    listeners: [
      {
        id: KUBERNETES_LISTENER,
        app: kubernetesApp(ctx, holder),
        tls: { certPem: server.certPem, keyPem: server.keyPem, caPem: ctx.ca.caPem, requestCert: true },
      },
    ],
    accounts: () =>
      holder.current.accounts.flatMap((account) =>
        account.projects.map(
          (project): SandboxAccount => ({
            name: account.projects.length > 1 ? `${account.name}-${project.region}` : account.name,
            accessKeyId: account.accessKeyId,
            secretAccessKey: account.secretAccessKey,
            region: project.region,
            projectId: project.projectId,
          }),
        ),
      ),
    state: () => {
      const now = ctx.clock.now().getTime();
      const state = holder.current;
      reconcile(state, now);
      return {
        accounts: state.accounts.map((a) => ({
          name: a.name,
          accessKeyId: a.accessKeyId,
          userId: a.userId,
          projects: a.projects,
        })),
        clusters: state.clusters.map((cluster) => ({
          projectId: cluster.projectId,
          region: cluster.region,
          cluster: renderCluster({ ...cluster, omitFields: [] }, apiServerUrl(ctx, cluster)),
          ...(cluster.transition
            ? { transitionEndsAt: new Date(cluster.transition.endsAt).toISOString() }
            : {}),
          omitFields: cluster.omitFields,
          workloads: cluster.workloads.map((w) => ({
            kind: w.kind,
            namespace: w.namespace,
            name: w.name,
            replicas: w.replicas,
            running: currentReplicas(w, now),
          })),
        })),
        jobs: state.jobs.map((job) => renderJob(job, now)),
        certificates: [...state.certificates.values()].map((cert) => ({
          clusterUid: cert.clusterUid,
          commonName: cert.commonName,
          fingerprint: cert.fingerprint,
          notBefore: new Date(cert.notBefore).toISOString(),
          notAfter: new Date(cert.notAfter).toISOString(),
        })),
      };
    },
    reset: async () => {
      holder.current = load(defaultFleet(seededRandom(fleetSeed)));
    },
    seed: async (fleet) => {
      holder.current = load(fleet);
    },
    describe: () => {
      let kubernetes: string | undefined;
      try {
        kubernetes = ctx.urlOf(KUBERNETES_LISTENER);
      } catch {
        kubernetes = undefined;
      }
      return {
        pathPrefix: "/autopilot/v3",
        regions: [...new Set(holder.current.accounts.flatMap((a) => a.projects.map((p) => p.region)))],
        projects: holder.current.accounts.flatMap((a) =>
          a.projects.map((p) => ({ account: a.name, region: p.region, projectId: p.projectId })),
        ),
        ...(kubernetes ? { kubernetes: `${kubernetes}/clusters/{clusterId}` } : {}),
        operations: [
          "GET /autopilot/v3/projects/{project_id}/clusters",
          "GET /autopilot/v3/projects/{project_id}/clusters/{cluster_id}",
          "POST /autopilot/v3/projects/{project_id}/clusters/{cluster_id}/clustercert",
          "GET /autopilot/v3/projects/{project_id}/clusters/{cluster_id}/openapi",
          "GET /autopilot/v3/projects/{project_id}/jobs/{job_id}",
          "GET /autopilot/v3/projects/{project_id}/quotas",
        ],
        iam: IAM_DESCRIPTION,
      };
    },
  };
}
