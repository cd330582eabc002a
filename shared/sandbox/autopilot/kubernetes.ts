// A minimal Kubernetes API for every simulated Autopilot cluster, served on the extra mutual-TLS
// listener "autopilot-kubernetes" at `/clusters/{clusterId}/…`: what nightshift's workloads mode
// needs to scale a cluster to zero and back.
//
//   GET   …/apis/apps/v1/namespaces/{ns}/deployments | statefulsets              (list)
//   GET   …/apis/apps/v1/namespaces/{ns}/deployments | statefulsets/{name}       (one object)
//   GET   …/apis/apps/v1/namespaces/{ns}/deployments | statefulsets/{name}/scale
//   PATCH …/scale  with application/merge-patch+json (or strategic-merge) {"spec":{"replicas":N}}
//
// Authentication: only a client certificate that clustercert issued for THIS cluster and that has
// not expired by the SANDBOX clock (TLS itself checks the chain against the real clock). The peer
// certificate is read from the Node socket (`c.env.incoming.socket`), so this app authenticates
// only when served by @hono/node-server; anywhere else every request is 401. Errors are Kubernetes
// `Status` objects (401 Unauthorized, 403 Forbidden, 404 NotFound, 405, 415, 400, 422 Invalid).
// Objects in kube-system are readable but not writable by the kubeconfig user (403), as on Autopilot.
import { type Context, Hono } from "hono";
import type { SandboxContext } from "../cloud.ts";
import { kubeTime } from "./format.ts";
import type { StateHolder } from "./routes.ts";
import {
  type ClusterRecord,
  currentReplicas,
  type IssuedCertificate,
  isProtectedNamespace,
  reconcile,
  scaleWorkload,
  type WorkloadKind,
  type WorkloadRecord,
} from "./state.ts";

const RESOURCES: Record<string, WorkloadKind> = { deployments: "Deployment", statefulsets: "StatefulSet" };

/** TLS verdicts that only say the certificate is outside its validity by the REAL clock. */
const REAL_CLOCK_ERRORS = new Set(["CERT_NOT_YET_VALID", "CERT_HAS_EXPIRED"]);

interface PeerSocket {
  authorized?: boolean;
  authorizationError?: unknown;
  getPeerCertificate?(): { fingerprint256?: string } | null;
}

/** The client certificate's SHA-256 fingerprint, when the request came over TLS with one. */
export function peerFingerprint(c: Context): { fingerprint: string } | { error: string } {
  const socket = (c.env as { incoming?: { socket?: PeerSocket } } | undefined)?.incoming?.socket;
  if (!socket?.getPeerCertificate) return { error: "no TLS connection" };
  // With `rejectUnauthorized`, Node ends the handshake before this; without it, refuse here what
  // the chain check refused, except validity by the real clock (the sandbox clock decides that).
  const tlsError =
    socket.authorized === false ? String(socket.authorizationError ?? "unauthorized") : undefined;
  if (tlsError && !REAL_CLOCK_ERRORS.has(tlsError))
    return { error: `client certificate refused: ${tlsError}` };
  const fingerprint = socket.getPeerCertificate()?.fingerprint256;
  if (!fingerprint) return { error: "no client certificate" };
  return { fingerprint: fingerprint.replaceAll(":", "").toLowerCase() };
}

type StatusCode = 400 | 401 | 403 | 404 | 405 | 415 | 422;

function status(
  c: Context,
  code: StatusCode,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): Response {
  return c.json(
    {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    },
    code,
  );
}

const notFoundPath = (c: Context) =>
  status(c, 404, "NotFound", "the server could not find the requested resource");

function labelsOf(w: WorkloadRecord): Record<string, string> {
  return { app: w.name };
}

function objectMetadata(w: WorkloadRecord) {
  return {
    name: w.name,
    namespace: w.namespace,
    uid: w.uid,
    resourceVersion: String(w.resourceVersion),
    generation: w.generation,
    creationTimestamp: kubeTime(w.createdAt),
    labels: labelsOf(w),
  };
}

/** Like the API server, zero counts are left out of status (`omitempty`), except a StatefulSet's replicas. */
function withoutZeros(values: Record<string, number>, keep: string[] = []): Record<string, number> {
  return Object.fromEntries(
    Object.entries(values).filter(([key, value]) => value !== 0 || keep.includes(key)),
  );
}

export function renderWorkload(w: WorkloadRecord, now: number): Record<string, unknown> {
  const running = currentReplicas(w, now);
  const podTemplate = {
    metadata: { labels: labelsOf(w) },
    spec: {
      containers: [{ name: w.name, image: `swr.cn-north-4.myhuaweicloud.com/nightshift/${w.name}:1.0` }],
    },
  };
  if (w.kind === "Deployment") {
    return {
      metadata: {
        ...objectMetadata(w),
        annotations: { "deployment.kubernetes.io/revision": String(w.generation) },
      },
      spec: {
        replicas: w.replicas,
        selector: { matchLabels: labelsOf(w) },
        template: podTemplate,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      },
      status: {
        observedGeneration: w.generation,
        ...withoutZeros({
          replicas: running,
          updatedReplicas: running,
          readyReplicas: running,
          availableReplicas: running,
        }),
      },
    };
  }
  return {
    metadata: objectMetadata(w),
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: labelsOf(w) },
      serviceName: w.name,
      podManagementPolicy: "OrderedReady",
      template: podTemplate,
    },
    status: {
      observedGeneration: w.generation,
      ...withoutZeros(
        {
          replicas: running,
          readyReplicas: running,
          currentReplicas: running,
          updatedReplicas: running,
          availableReplicas: running,
        },
        ["replicas"],
      ),
    },
  };
}

export function renderScale(w: WorkloadRecord, now: number): Record<string, unknown> {
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: w.name,
      namespace: w.namespace,
      uid: w.uid,
      resourceVersion: String(w.resourceVersion),
      creationTimestamp: kubeTime(w.createdAt),
    },
    spec: { replicas: w.replicas },
    status: { replicas: currentReplicas(w, now), selector: `app=${w.name}` },
  };
}

// Set by the authentication middleware for the handlers (the listener's app is a plain Hono).
const CLUSTER_VAR = "autopilotCluster";
const USER_VAR = "autopilotUser";
const clusterOf = (c: Context): ClusterRecord => c.get(CLUSTER_VAR as never) as ClusterRecord;

const PATCH_TYPES = ["application/merge-patch+json", "application/strategic-merge-patch+json"];

export function kubernetesApp(ctx: SandboxContext, holder: StateHolder): Hono {
  const app = new Hono();

  app.use("/clusters/:cluster/*", async (c, next) => {
    const unauthorized = () => status(c, 401, "Unauthorized", "Unauthorized");
    const peer = peerFingerprint(c);
    if ("error" in peer) return unauthorized();
    const state = holder.current;
    const certificate: IssuedCertificate | undefined = state.certificates.get(peer.fingerprint);
    const now = ctx.clock.now().getTime();
    if (!certificate || certificate.clusterUid !== c.req.param("cluster")) return unauthorized();
    if (now < certificate.notBefore || now > certificate.notAfter) return unauthorized();
    reconcile(state, now);
    const cluster = state.clusters.find((cl) => cl.uid === certificate.clusterUid);
    if (!cluster) return notFoundPath(c);
    c.set(CLUSTER_VAR as never, cluster as never);
    c.set(USER_VAR as never, certificate.commonName as never);
    await next();
  });

  const base = "/clusters/:cluster/apis/apps/v1/namespaces/:namespace/:resource";

  app.get(base, (c) => {
    const kind = RESOURCES[c.req.param("resource")];
    if (!kind) return notFoundPath(c);
    const cluster = clusterOf(c);
    const namespace = c.req.param("namespace");
    const now = ctx.clock.now().getTime();
    const items = cluster.workloads
      .filter((w) => w.kind === kind && w.namespace === namespace)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((w) => renderWorkload(w, now));
    return c.json({
      kind: `${kind}List`,
      apiVersion: "apps/v1",
      metadata: { resourceVersion: String(cluster.resourceVersion) },
      items,
    });
  });

  /** The workload a path names, or the Status answer saying why not. */
  const lookup = (c: Context): WorkloadRecord | Response => {
    const resource = c.req.param("resource") ?? "";
    const kind = RESOURCES[resource];
    if (!kind) return notFoundPath(c);
    const cluster = clusterOf(c);
    const name = c.req.param("name") ?? "";
    const workload = cluster.workloads.find(
      (w) => w.kind === kind && w.namespace === c.req.param("namespace") && w.name === name,
    );
    if (!workload) {
      return status(c, 404, "NotFound", `${resource}.apps "${name}" not found`, {
        name,
        group: "apps",
        kind: resource,
      });
    }
    return workload;
  };

  app.get(`${base}/:name`, (c) => {
    const found = lookup(c);
    if (found instanceof Response) return found;
    return c.json({
      kind: found.kind,
      apiVersion: "apps/v1",
      ...renderWorkload(found, ctx.clock.now().getTime()),
    });
  });

  app.get(`${base}/:name/scale`, (c) => {
    const found = lookup(c);
    if (found instanceof Response) return found;
    return c.json(renderScale(found, ctx.clock.now().getTime()));
  });

  app.patch(`${base}/:name/scale`, async (c) => {
    const found = lookup(c);
    if (found instanceof Response) return found;
    const resource = c.req.param("resource");
    if (isProtectedNamespace(found.namespace)) {
      return status(
        c,
        403,
        "Forbidden",
        `${resource}.apps "${found.name}" is forbidden: User "${c.get(USER_VAR as never)}" cannot patch resource "${resource}/scale" in API group "apps" in the namespace "${found.namespace}"`,
        { name: found.name, group: "apps", kind: resource },
      );
    }
    const contentType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!PATCH_TYPES.includes(contentType)) {
      return status(
        c,
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(", ")}`,
      );
    }
    let patch: unknown;
    try {
      patch = JSON.parse(await c.req.text());
    } catch {
      return status(c, 400, "BadRequest", "error decoding patch: the body is not JSON");
    }
    const spec = patch && typeof patch === "object" ? (patch as { spec?: unknown }).spec : undefined;
    const has = spec !== null && typeof spec === "object" && "replicas" in spec;
    const replicas = has ? (spec as { replicas: unknown }).replicas : found.replicas;
    const invalid = (value: string, why: string) =>
      status(
        c,
        422,
        "Invalid",
        `Scale.autoscaling "${found.name}" is invalid: spec.replicas: ${value}: ${why}`,
        {
          name: found.name,
          group: "autoscaling",
          kind: "Scale",
          causes: [{ reason: "FieldValueInvalid", message: `${value}: ${why}`, field: "spec.replicas" }],
        },
      );
    if (replicas === null) return invalid("Required value", "spec.replicas is required");
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || Math.abs(replicas) > 2 ** 31 - 1) {
      return status(
        c,
        400,
        "BadRequest",
        `json: cannot unmarshal ${JSON.stringify(replicas)} into Go struct field ScaleSpec.spec.replicas of type int32`,
      );
    }
    if (replicas < 0) return invalid(`Invalid value: ${replicas}`, "must be greater than or equal to 0");
    const now = ctx.clock.now().getTime();
    scaleWorkload(clusterOf(c), found, replicas, now);
    return c.json(renderScale(found, now));
  });

  app.on(["PUT", "POST", "DELETE"], [`${base}/:name`, `${base}/:name/scale`], (c) =>
    status(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource"),
  );
  app.notFound(notFoundPath);
  return app;
}
