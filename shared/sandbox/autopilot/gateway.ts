// Every cluster's Kubernetes API through the Huawei API gateway ("通过API网关调用Kubernetes API",
// Autopilot document 001; CCE 000 §1.3): `https://{clusterid}.{Endpoint}/{uri}`, authenticated
// with an AK/SK signature like every other Huawei API and counted against the same per-account
// throttle. No client certificate: this is the way in for a client that cannot present one (a
// Cloudflare Worker).
//
// The sandbox serves each cloud on one host and port, so it answers the gateway in two forms:
//
//   Host: {clusterid}.{anything}  path {uri}     the documented form, for a client whose resolver
//                                                 sends `{clusterid}.…` to the sandbox (a wildcard
//                                                 DNS name, `curl --connect-to`, an /etc/hosts line);
//   {Endpoint}/clusters/{clusterid}/{uri}         the same API on the plain endpoint, for an endpoint
//                                                 whose host cannot take a subdomain (127.0.0.1).
//
// Either way the signature covers the Host and path the client sent. After it: the cluster must be
// in one of the signing account's projects (404 otherwise, as for any cluster the account cannot
// see); CCE's Content-Type rule for its own APIs does not apply (a Kubernetes PATCH is sent as
// merge-patch+json and the like). The API answers as the cluster's own API server (kube/api.ts),
// with the account's IAM user as the caller.
import type { Context } from "hono";
import type { SandboxContext } from "../cloud.ts";
import { receivedText } from "../received-body.ts";
import { CCE, cceError } from "./errors.ts";
import { kubernetesApi } from "./kube/api.ts";
import { requestForCluster } from "./kubernetes.ts";
import type { StateHolder } from "./routes.ts";
import { type AccountRecord, type AutopilotState, reconcile } from "./state.ts";

export interface KubernetesTarget {
  clusterUid: string;
  /** The path as the cluster's API server sees it, e.g. `/apis/apps/v1/…`. */
  uri: string;
}

/** The gateway's own checks (routes.ts): the account that signed, or the refusal. */
export type GatewayCheck = (
  c: Context,
  state: AutopilotState,
  body: string,
) => Promise<{ account: AccountRecord; now: Date } | Response>;

const PATH_FORM = /^\/clusters\/([^/]+)(\/.*)?$/;

/** Whether a request is for a cluster's Kubernetes API, and which. */
export function kubernetesTarget(url: URL, state: AutopilotState): KubernetesTarget | undefined {
  const label = url.hostname.split(".")[0] ?? "";
  if (url.hostname.includes(".") && state.clusters.some((cluster) => cluster.uid === label)) {
    return { clusterUid: label, uri: url.pathname };
  }
  const match = PATH_FORM.exec(url.pathname);
  if (match) return { clusterUid: decodeURIComponent(match[1]!), uri: match[2] ?? "/" };
  return undefined;
}

export function kubernetesGateway(ctx: SandboxContext, holder: StateHolder, authenticate: GatewayCheck) {
  const api = kubernetesApi(() => ctx.clock.now().getTime());
  return async (c: Context, target: KubernetesTarget): Promise<Response> => {
    const state = holder.current;
    const body = await receivedText(c.req.raw);
    const checked = await authenticate(c, state, body);
    if (checked instanceof Response) return checked;
    const { account } = checked;
    reconcile(state, ctx.clock.now().getTime());
    const cluster = state.clusters.find(
      (cl) => cl.uid === target.clusterUid && account.projects.some((p) => p.projectId === cl.projectId),
    );
    if (!cluster) return cceError(c, ctx.random, CCE.notFound, `cluster ${target.clusterUid} not found`);
    const method = c.req.method;
    const request = new Request(c.req.url, {
      method,
      headers: c.req.raw.headers,
      ...(method === "GET" || method === "HEAD" ? {} : { body }),
    });
    return api.fetch(requestForCluster(request, target.uri), { caller: { cluster, user: account.userId } });
  };
}
