// One simulated cluster's Kubernetes API, from the cluster's root: what `kubectl` and
// `@kubernetes/client-node` ask of a real API server for Deployments and StatefulSets.
//
//   GET   /version  /api  /api/v1  /apis  /apis/apps  /apis/apps/v1      (discovery.ts)
//   GET   /openapi/v2  /openapi/v3  /openapi/v3/apis/apps/v1  /openapi/v3/api/v1
//   GET   /apis/apps/v1/{deployments|statefulsets}                         all namespaces
//   GET   /apis/apps/v1/namespaces/{ns}/{deployments|statefulsets}         labelSelector, fieldSelector,
//                                                                         limit + continue
//   GET | PUT | PATCH  …/{name}           PATCH: json-patch, merge-patch, strategic-merge-patch
//   GET | PUT | PATCH  …/{name}/scale     autoscaling/v1 Scale
//   dryRun=All on PUT/PATCH: validated and answered, not stored.
//
// Refused as the API server refuses them: watch (405, the verb is not served: see discovery.ts),
// create and delete (405), an unknown patch type (415), an Accept it cannot produce (406).
// Writes to kube-system, kube-public and kube-node-lease are 403 (Autopilot keeps them).
//
// The front doors (the mutual-TLS listener, kubernetes.ts; the API gateway, gateway.ts) decide who
// calls and for which cluster, then hand the request here with `env.caller`.
import { type Context, Hono } from "hono";
import { type ClusterRecord, isProtectedNamespace, updateWorkload, type WorkloadRecord } from "../state.ts";
import {
  API_GROUP_LIST,
  APPS_API_GROUP,
  APPS_V1_RESOURCES,
  apiVersions,
  CORE_RESOURCES,
  openApiV2,
  openApiV3Discovery,
  openApiV3Document,
  versionInfo,
} from "./discovery.ts";
import { applyPatch, type Json, PATCH_TYPES, PatchError, type PatchType } from "./patch.ts";
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from "./selectors.ts";
import { badRequest, KubeError, methodNotAllowed, notFound, notFoundPath, statusResponse } from "./status.ts";
import {
  checkIdentity,
  desiredChange,
  RESOURCE_OF,
  RESOURCES,
  readReplicas,
  renderObject,
  renderScale,
  renderWorkload,
} from "./workloads.ts";

export interface KubeCaller {
  cluster: ClusterRecord;
  /** The user name authorization messages show (the IAM user id). */
  user: string;
}

export interface KubeEnv {
  caller: KubeCaller;
}

type KubeContext = Context<{ Bindings: KubeEnv }>;

const callerOf = (c: KubeContext) => c.env.caller;

/** Whether the client accepts JSON (kubectl's Table request lists application/json last: fine). */
function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept
    .split(",")
    .map((part) => part.split(";")[0]!.trim().toLowerCase())
    .some((type) => type === "application/json" || type === "application/*" || type === "*/*" || type === "");
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return btoa(JSON.stringify(token)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeContinue(text: string): ContinueToken {
  try {
    const token = JSON.parse(atob(text.replaceAll("-", "+").replaceAll("_", "/"))) as ContinueToken;
    if (token.v === "meta.k8s.io/v1" && typeof token.start === "string" && typeof token.rv === "number") {
      return token;
    }
  } catch {
    // falls through to the refusal
  }
  throw badRequest(
    "continue key is not valid: the token was not issued by this server; list again without it",
  );
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined || text === "" || text === "0") return undefined;
  if (!/^\d+$/.test(text)) throw badRequest(`limit "${text}" is not a whole number`);
  return Number(text);
}

const keyOf = (w: WorkloadRecord) => `${w.namespace}/${w.name}`;

export function kubernetesApi(now: () => number): Hono<{ Bindings: KubeEnv }> {
  const app = new Hono<{ Bindings: KubeEnv }>();

  app.onError((error, c) => {
    if (error instanceof KubeError) return statusResponse(error);
    if (error instanceof PatchError) {
      return statusResponse(
        error.stage === "decode"
          ? badRequest(`error decoding patch: ${error.message}`)
          : new KubeError(422, "Invalid", "the server rejected our request due to an error in our request", {
              causes: [{ message: error.message }],
            }),
      );
    }
    if (error instanceof SelectorError) return statusResponse(badRequest(error.message));
    void c;
    throw error;
  });

  app.use("*", async (c, next) => {
    if (!acceptsJson(c.req.header("accept"))) {
      throw new KubeError(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json",
      );
    }
    await next();
  });

  // Discovery and OpenAPI ---------------------------------------------------------------------
  app.get("/version", (c) => c.json(versionInfo(callerOf(c).cluster)));
  app.get("/api", (c) => c.json(apiVersions(new URL(c.req.url).host)));
  app.get("/api/v1", (c) => c.json(CORE_RESOURCES));
  app.get("/apis", (c) => c.json(API_GROUP_LIST));
  app.get("/apis/apps", (c) => c.json(APPS_API_GROUP));
  app.get("/apis/apps/v1", (c) => c.json(APPS_V1_RESOURCES));
  app.get("/openapi/v2", (c) => c.json(openApiV2(`${callerOf(c).cluster.version}.0`)));
  app.get("/openapi/v3", async (c) => c.json(await openApiV3Discovery()));
  app.get("/openapi/v3/*", (c) => {
    const doc = openApiV3Document(new URL(c.req.url).pathname.replace(/^\/openapi\/v3\//, ""));
    if (!doc) throw notFoundPath();
    return c.json(doc);
  });

  // Lists ---------------------------------------------------------------------------------------
  const list = (c: KubeContext, resource: string, namespace: string | undefined) => {
    const kind = RESOURCES[resource];
    if (!kind) throw notFoundPath();
    const watch = c.req.query("watch");
    if (watch !== undefined && watch !== "false" && watch !== "0") throw methodNotAllowed(resource);
    const { cluster } = callerOf(c);
    const labels = parseLabelSelector(c.req.query("labelSelector"));
    const fields = parseFieldSelector(c.req.query("fieldSelector"));
    const limit = parseLimit(c.req.query("limit"));
    const token = c.req.query("continue") ? decodeContinue(c.req.query("continue")!) : undefined;
    const at = now();
    const matching = cluster.workloads
      .filter((w) => w.kind === kind && (namespace === undefined || w.namespace === namespace))
      .filter((w) => matchesLabels(labels, w.labels))
      .filter((w) => matchesFields(fields, { "metadata.name": w.name, "metadata.namespace": w.namespace }))
      .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
      .filter((w) => !token || keyOf(w) >= token.start);
    const page = limit === undefined ? matching : matching.slice(0, limit);
    const rest = matching.length - page.length;
    // A continued list keeps the version it started at (the sandbox serves the pages from the
    // state of now: it keeps no history to serve an older one from).
    const resourceVersion = token?.rv ?? cluster.resourceVersion;
    const last = page[page.length - 1];
    return c.json({
      kind: `${kind}List`,
      apiVersion: "apps/v1",
      metadata: {
        resourceVersion: String(resourceVersion),
        ...(rest > 0 && last
          ? {
              continue: encodeContinue({
                v: "meta.k8s.io/v1",
                rv: resourceVersion,
                start: `${keyOf(last)}\u0000`,
              }),
              remainingItemCount: rest,
            }
          : {}),
      },
      items: page.map((w) => renderWorkload(w, at)),
    });
  };

  app.get("/apis/apps/v1/:resource", (c) => list(c, c.req.param("resource"), undefined));
  app.get("/apis/apps/v1/namespaces/:namespace/:resource", (c) =>
    list(c, c.req.param("resource"), c.req.param("namespace")),
  );
  app.on(["POST", "DELETE", "PUT", "PATCH"], "/apis/apps/v1/namespaces/:namespace/:resource", (c) => {
    if (!RESOURCES[c.req.param("resource")]) throw notFoundPath();
    throw methodNotAllowed(c.req.param("resource"));
  });

  // One object ------------------------------------------------------------------------------------
  const lookup = (c: KubeContext): WorkloadRecord => {
    const resource = c.req.param("resource") ?? "";
    const kind = RESOURCES[resource];
    if (!kind) throw notFoundPath();
    const name = c.req.param("name") ?? "";
    const namespace = c.req.param("namespace");
    const found = callerOf(c).cluster.workloads.find(
      (w) => w.kind === kind && w.namespace === namespace && w.name === name,
    );
    if (!found) throw notFound(resource, name);
    return found;
  };

  const mayWrite = (c: KubeContext, w: WorkloadRecord, verb: "patch" | "update", subresource = "") => {
    if (!isProtectedNamespace(w.namespace)) return;
    const resource = `${RESOURCE_OF[w.kind]}${subresource}`;
    throw new KubeError(
      403,
      "Forbidden",
      `${RESOURCE_OF[w.kind]}.apps "${w.name}" is forbidden: User "${callerOf(c).user}" cannot ${verb} resource "${resource}" in API group "apps" in the namespace "${w.namespace}"`,
      { name: w.name, group: "apps", kind: RESOURCE_OF[w.kind] },
    );
  };

  const dryRun = (c: KubeContext): boolean => {
    const value = c.req.query("dryRun");
    if (value === undefined || value === "") return false;
    if (value !== "All") throw badRequest(`dryRun "${value}" is not supported: the only value is All`);
    return true;
  };

  /** Stores the change (or, on a dry run, works it out on a copy) and renders the result. */
  const write = <T>(
    c: KubeContext,
    w: WorkloadRecord,
    change: Parameters<typeof updateWorkload>[2],
    render: (w: WorkloadRecord, at: number) => T,
  ): T => {
    const at = now();
    if (dryRun(c)) {
      const copy = structuredClone(w);
      updateWorkload(
        { resourceVersion: callerOf(c).cluster.resourceVersion } as ClusterRecord,
        copy,
        change,
        at,
      );
      return render(copy, at);
    }
    updateWorkload(callerOf(c).cluster, w, change, at);
    return render(w, at);
  };

  const patchType = (c: KubeContext): PatchType => {
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!(PATCH_TYPES as readonly string[]).includes(type)) {
      throw new KubeError(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(", ")}`,
      );
    }
    return type as PatchType;
  };

  const readJson = async (c: KubeContext): Promise<unknown> => {
    const type = (c.req.header("content-type") ?? "application/json").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      throw new KubeError(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/json`,
      );
    }
    try {
      return JSON.parse(await c.req.text());
    } catch {
      throw badRequest("the body of the request is not JSON");
    }
  };

  const object = "/apis/apps/v1/namespaces/:namespace/:resource/:name";

  app.get(object, (c) => c.json(renderObject(lookup(c), now())));

  app.put(object, async (c) => {
    const w = lookup(c);
    mayWrite(c, w, "update");
    const body = await readJson(c);
    return c.json(write(c, w, desiredChange(w, body), renderObject));
  });

  app.patch(object, async (c) => {
    const w = lookup(c);
    mayWrite(c, w, "patch");
    const type = patchType(c);
    const text = await c.req.text();
    const patched = applyPatch(type, renderObject(w, now()) as Json, text);
    return c.json(write(c, w, desiredChange(w, patched), renderObject));
  });

  app.on(["POST", "DELETE"], object, (c) => {
    lookup(c);
    throw methodNotAllowed(c.req.param("resource"));
  });

  // The scale subresource -------------------------------------------------------------------------
  const scaleReplicas = (w: WorkloadRecord, scale: unknown): number => {
    if (scale === null || typeof scale !== "object" || Array.isArray(scale)) {
      throw badRequest("the body is not a JSON object");
    }
    const object = scale as Record<string, unknown>;
    checkIdentity(w, object, { kind: "Scale", apiVersion: "autoscaling/v1" });
    const spec = object.spec;
    if (spec !== undefined && (spec === null || typeof spec !== "object" || Array.isArray(spec))) {
      throw badRequest("json: cannot unmarshal into Go struct field Scale.spec of type v1.ScaleSpec");
    }
    const replicas = (spec as { replicas?: unknown } | undefined)?.replicas;
    // A Scale without spec.replicas asks for 0 (the field is omitempty): what the API server does.
    return readReplicas(replicas ?? 0, {
      kind: "Scale",
      group: "autoscaling",
      name: w.name,
      struct: "ScaleSpec",
    });
  };

  const scale = `${object}/scale`;
  app.get(scale, (c) => c.json(renderScale(lookup(c), now())));

  app.put(scale, async (c) => {
    const w = lookup(c);
    mayWrite(c, w, "update", "/scale");
    const body = await readJson(c);
    return c.json(write(c, w, { replicas: scaleReplicas(w, body) }, renderScale));
  });

  app.patch(scale, async (c) => {
    const w = lookup(c);
    mayWrite(c, w, "patch", "/scale");
    const type = patchType(c);
    const text = await c.req.text();
    const patched = applyPatch(type, renderScale(w, now()) as Json, text);
    return c.json(write(c, w, { replicas: scaleReplicas(w, patched) }, renderScale));
  });

  app.on(["POST", "DELETE"], scale, (c) => {
    lookup(c);
    throw methodNotAllowed(c.req.param("resource"));
  });

  app.notFound(() => statusResponse(notFoundPath()));
  return app;
}
