// The Autopilot API (`/autopilot/v3/projects/{project_id}/…`) as far as nightshift uses it: list
// and show clusters, clustercert, jobs. Every request passes, in this order, the gateway's route
// table (unknown API → 404 APIGW.0101), the AK/SK signature check (→ 401 CCE.01401001), the
// per-account throttle (→ 429 APIG.0308 + Retry-After), the Content-Type check (→ 400
// CCE.01400006) and the project check (→ 403 CCE.01403001), then CCE itself.
//
// The same gateway fronts every cluster's Kubernetes API at `https://{clusterid}.{Endpoint}/{uri}`
// (and, on the sandbox's single host, at `{Endpoint}/clusters/{clusterid}/{uri}`): gateway.ts.
//
// Not simulated (answered 404 APIGW.0101 like any unknown API): create/update/delete cluster,
// mastereip, openapi, quotas, tags, upgrade, addons. Autopilot has no hibernate/awake, node-pool or
// node APIs at all, so those paths are unknown to the real gateway too.
import { type Context, Hono } from "hono";
import { verifyHuawei } from "../../signer/huawei.ts";
import { ACCESS_KEY_VAR, type SandboxContext } from "../cloud.ts";
import { receivedText } from "../received-body.ts";
import {
  CCE,
  cceError,
  GATEWAY_NO_SUCH_API,
  GATEWAY_THROTTLED,
  gatewayError,
  requestIdHeader,
} from "./errors.ts";
import { certificateFingerprint } from "./format.ts";
import { type GatewayCheck, kubernetesGateway, kubernetesTarget } from "./gateway.ts";
import { renderCluster, renderJob, renderKubeconfig } from "./render.ts";
import {
  type AccountRecord,
  type AutopilotState,
  CERT_MAX_DAYS,
  type ClusterRecord,
  findAccountByKey,
  findCluster,
  reconcile,
} from "./state.ts";

export const KUBERNETES_LISTENER = "autopilot-kubernetes";

export interface StateHolder {
  current: AutopilotState;
}

/** Where a cluster's Kubernetes API answers: the sandbox's mutual-TLS listener, one path per cluster. */
export function apiServerUrl(ctx: SandboxContext, cluster: ClusterRecord): string {
  try {
    return `${ctx.urlOf(KUBERNETES_LISTENER)}/clusters/${cluster.uid}`;
  } catch {
    // No listener (the cloud is used in-process, without servers): the vendor's own form.
    return `https://${cluster.uid}.cluster.cce.${cluster.region}.myhuaweicloud.com:5443`;
  }
}

interface Call {
  c: Context;
  account: AccountRecord;
  projectId: string;
  params: string[];
  body: string;
  state: AutopilotState;
  now: number;
}

type Handler = (call: Call) => Promise<Response> | Response;

const PREFIX = "^/autopilot/v3/projects/([^/]+)";

export function autopilotRoutes(ctx: SandboxContext, holder: StateHolder): Hono {
  const fail = (c: Context, error: Parameters<typeof cceError>[2], detail?: string) =>
    cceError(c, ctx.random, error, detail);
  const ok = (c: Context, body: unknown, headers: Record<string, string> = {}) =>
    c.json(body as Record<string, unknown>, 200, { ...requestIdHeader(ctx.random), ...headers });

  const listClusters: Handler = ({ c, projectId, state }) => {
    const status = c.req.query("status");
    const version = c.req.query("version");
    const type = c.req.query("type");
    // Autopilot clusters are all VirtualMachine: any other type filter matches none.
    const typeMatches = type === undefined || type === "" || type === "VirtualMachine";
    const items = state.clusters
      .filter((cluster) => cluster.projectId === projectId)
      .filter((cluster) => status === undefined || status === "" || cluster.phase === status)
      .filter(
        (cluster) =>
          version === undefined ||
          version === "" ||
          cluster.version === version ||
          cluster.version.startsWith(`${version}.`),
      )
      .filter(() => typeMatches)
      .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))
      .map((cluster) => renderCluster(cluster, apiServerUrl(ctx, cluster)));
    return ok(c, { kind: "Cluster", apiVersion: "v3", items });
  };

  const showCluster: Handler = ({ c, projectId, params, state }) => {
    const cluster = findCluster(state, projectId, params[0]!);
    if (!cluster) return fail(c, CCE.notFound, `cluster ${params[0]} not found`);
    return ok(c, renderCluster(cluster, apiServerUrl(ctx, cluster)));
  };

  const clusterCert: Handler = async ({ c, account, projectId, params, body, state, now }) => {
    const cluster = findCluster(state, projectId, params[0]!);
    if (!cluster) return fail(c, CCE.notFound, `cluster ${params[0]} not found`);
    let duration: unknown;
    try {
      duration = (JSON.parse(body) as { duration?: unknown } | null)?.duration;
    } catch {
      return fail(c, CCE.invalid, "the body is not JSON");
    }
    if (
      typeof duration !== "number" ||
      !Number.isInteger(duration) ||
      !(duration === -1 || (duration >= 1 && duration <= CERT_MAX_DAYS))
    ) {
      return fail(
        c,
        CCE.invalid,
        `duration must be an integer from 1 to ${CERT_MAX_DAYS}, or -1 for 5 years`,
      );
    }
    if (cluster.phase === "Creating" || cluster.phase === "Deleting") {
      return fail(c, CCE.locked, `the cluster is ${cluster.phase}`);
    }
    if (cluster.phase !== "Available" && cluster.phase !== "Upgrading") {
      return fail(
        c,
        CCE.invalid,
        `the cluster is ${cluster.phase}; certificates are issued for running clusters`,
      );
    }
    // X.509 times have whole seconds. -1, and anything past it, is 5 calendar years.
    const issuedAt = Math.floor(now / 1000) * 1000;
    const fiveYears = new Date(issuedAt);
    fiveYears.setUTCFullYear(fiveYears.getUTCFullYear() + 5);
    const notAfter =
      duration === -1 ? fiveYears.getTime() : Math.min(issuedAt + duration * 86_400_000, fiveYears.getTime());
    const issued = await ctx.ca.issue({
      commonName: account.userId,
      notBefore: new Date(issuedAt),
      notAfter: new Date(notAfter),
    });
    const fingerprint = await certificateFingerprint(issued.certPem);
    state.certificates.set(fingerprint, {
      fingerprint,
      clusterUid: cluster.uid,
      projectId,
      commonName: account.userId,
      notBefore: issuedAt,
      notAfter,
    });
    return ok(
      c,
      renderKubeconfig({
        server: apiServerUrl(ctx, cluster),
        caPem: ctx.ca.caPem,
        certPem: issued.certPem,
        keyPem: issued.keyPem,
      }),
      { "Port-ID": cluster.portId },
    );
  };

  const showJob: Handler = ({ c, projectId, params, state, now }) => {
    const job = state.jobs.find((j) => j.uid === params[0] && j.projectId === projectId);
    if (!job) return fail(c, CCE.notFound, `job ${params[0]} not found`);
    return ok(c, renderJob(job, now));
  };

  const table: Array<{ method: string; pattern: RegExp; handler: Handler }> = [
    { method: "GET", pattern: new RegExp(`${PREFIX}/clusters$`), handler: listClusters },
    { method: "GET", pattern: new RegExp(`${PREFIX}/clusters/([^/]+)$`), handler: showCluster },
    { method: "POST", pattern: new RegExp(`${PREFIX}/clusters/([^/]+)/clustercert$`), handler: clusterCert },
    { method: "GET", pattern: new RegExp(`${PREFIX}/jobs/([^/]+)$`), handler: showJob },
  ];

  /**
   * The gateway's checks every API behind it shares, in order: the AK/SK signature over the body
   * as received (→ 401), then the per-account throttle (→ 429 + Retry-After).
   */
  const authenticate: GatewayCheck = async (c, state, body) => {
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const now = ctx.signatureNow();
    const verdict = await verifyHuawei(
      { method: c.req.method, url: c.req.url, headers, body },
      (accessKeyId) => findAccountByKey(state, accessKeyId)?.secretAccessKey,
      { now },
    );
    if (!verdict.ok) return fail(c, CCE.unauthorized, authFailure(verdict.reason, verdict.detail));
    c.set(ACCESS_KEY_VAR as never, verdict.accessKeyId as never);
    const token = ctx.throttle.take(verdict.accessKeyId);
    if (!token.ok) {
      const perMinute = Math.max(1, Math.round(ctx.throttle.ratePerSecond * 60));
      return gatewayError(c, ctx.random, 429, GATEWAY_THROTTLED.code, GATEWAY_THROTTLED.message(perMinute), {
        "Retry-After": String(token.retryAfterSeconds),
      });
    }
    return { account: findAccountByKey(state, verdict.accessKeyId)!, now };
  };

  const kubernetes = kubernetesGateway(ctx, holder, authenticate);

  const app = new Hono();
  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    const cluster = kubernetesTarget(url, holder.current);
    if (cluster) return kubernetes(c, cluster);

    let route: { handler: Handler; match: RegExpExecArray } | undefined;
    for (const entry of table) {
      const match = entry.pattern.exec(url.pathname);
      if (match && entry.method === c.req.method) {
        route = { handler: entry.handler, match };
        break;
      }
    }
    if (!route)
      return gatewayError(c, ctx.random, 404, GATEWAY_NO_SUCH_API.code, GATEWAY_NO_SUCH_API.message);

    const state = holder.current;
    const body = await receivedText(c.req.raw);
    const checked = await authenticate(c, state, body);
    if (checked instanceof Response) return checked;
    const { account, now } = checked;

    const contentType = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(contentType.trim())) {
      return fail(c, CCE.contentType, "Content-Type must be application/json");
    }

    const projectId = route.match[1]!;
    if (!account.projects.some((p) => p.projectId === projectId)) {
      return fail(c, CCE.forbidden, `project ${projectId} is not one of this user's projects`);
    }

    reconcile(state, now.getTime());
    return route.handler({
      c,
      account,
      projectId,
      params: route.match.slice(2),
      body,
      state,
      now: now.getTime(),
    });
  });
  return app;
}

/** A short reason for the 401's `message` (the signature detail stays in the sandbox). */
function authFailure(reason: string, detail: string): string {
  switch (reason) {
    case "missing":
      return "the request is not signed (no Authorization header)";
    case "unknown-key":
      return "the access key is not known";
    case "expired":
      return detail;
    case "mismatch":
      return "the signature does not match the request";
    default:
      return `the Authorization header is malformed: ${detail}`;
  }
}
