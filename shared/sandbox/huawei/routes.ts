// The simulated CCE API (digest §0): every request is checked like APIG does it (SDK-HMAC-SHA256
// signature, then the per-account throttle), then answered by CCE from the state, brought up to
// the simulated clock first.
//
//   GET    {p}/clusters[?status=&type=&version=&detail=]      GET {p}/clusters/{id}[?detail=]
//   POST   {p}/clusters/{id}/operation/hibernate | awake       POST {p}/clusters/{id}/clustercert
//   POST   {p}/clusters/{id}/tags/create | tags/delete          GET {p}/jobs/{job_id}
//   GET    {p}/clusters/{id}/nodepools[?showDefaultNodePool=]  GET|PUT|DELETE .../nodepools/{pool_id}
//   GET    {p}/clusters/{id}/nodes                              GET|DELETE .../nodes/{node_id}[?nodepoolScaleDown=]
//
// with {p} = /api/v3/projects/{project_id}. Beside them, IAM's `POST /v3/auth/tokens`
// (huawei-iam.ts): a request may carry its token in `X-Auth-Token` instead of an AK/SK signature.

import { type Context, Hono } from "hono";
import * as z from "zod";
import { apigResponse, apigThrottled } from "../apig.ts";
import { ACCESS_KEY_VAR, type SandboxContext } from "../cloud.ts";
import { checkGatewayCredentials, createHuaweiIam, TOKEN_PATH } from "../huawei-iam.ts";
import { receivedBody } from "../received-body.ts";
import { APIG_NO_SUCH_API, type CceError, cceError, cceErrorResponse } from "./errors.ts";
import { clusterCert, validDuration } from "./kubeconfig.ts";
import {
  addTags,
  awake,
  deleteNode,
  deletePool,
  hibernate,
  type PoolUpdate,
  reconcile,
  removeTags,
  requestId,
  updatePool,
} from "./machine.ts";
import type { AccountRecord, ClusterRecord, HuaweiState } from "./model.ts";
import { POOL_LABEL, renderCluster, renderJob, renderNode, renderPool } from "./render.ts";

/** The state lives in a holder so reset/seed can replace it under running routes. */
export interface StateHolder {
  state: HuaweiState;
}

type HuaweiEnv = {
  Variables: {
    requestId: string;
    body: Uint8Array;
    account: AccountRecord;
    /** The project an IAM token is scoped to (absent under AK/SK). */
    tokenProject?: string;
  } & {
    [K in typeof ACCESS_KEY_VAR]: string;
  };
};
type Ctx = Context<HuaweiEnv>;

export const PATH_PREFIX = "/api/v3/projects/{project_id}";

const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;

// ---------------------------------------------------------------------------------------------
// Request bodies

const TAG_TEXT = /^[\p{L}\p{N} _.:/=+\-@]*$/u;
const tagKey = z
  .string()
  .min(1, "must not be empty")
  .max(128)
  .regex(TAG_TEXT, "letters, digits, spaces and _.:/=+-@ only")
  .refine((key) => !key.startsWith("_sys_"), "must not start with _sys_");
const createTagsBody = z.object({
  tags: z.array(
    z.object({
      key: tagKey,
      value: z.string().max(255).regex(TAG_TEXT, "letters, digits, spaces and _.:/=+-@ only"),
    }),
  ),
});
const deleteTagsBody = z.object({ tags: z.array(z.object({ key: z.string().min(1) })) });
const clusterCertBody = z.object({ duration: z.unknown() });

const count = z.number().int().min(0);
const poolName = z
  .string()
  .regex(
    /^[a-z]([a-z0-9-]{0,48}[a-z0-9])?$/,
    "1-50 of a-z, 0-9 and -, starting with a letter, not ending with -",
  );
const updatePoolBody = z.object({
  metadata: z.object({ name: poolName }),
  spec: z.object({
    initialNodeCount: count,
    autoscaling: z.object({
      enable: z.boolean().optional(),
      minNodeCount: count.optional(),
      maxNodeCount: count.optional(),
      scaleDownCooldownTime: count.max(32767).optional(),
      priority: z.number().int().optional(),
    }),
    nodeTemplate: z.object({
      taints: z
        .array(
          z.object({
            key: z.string().min(1),
            value: z.string().optional(),
            effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
          }),
        )
        .max(20)
        .optional(),
      k8sTags: z
        .record(z.string().min(1).max(316), z.string().max(63))
        .refine((tags) => Object.keys(tags).length <= 20, "at most 20 labels")
        .optional(),
      userTags: z
        .array(
          z.object({
            key: z
              .string()
              .min(1)
              .max(128)
              .refine(
                (k) => !k.startsWith("CCE-") && !k.startsWith("__type_baremetal"),
                "reserved key prefix",
              ),
            value: z.string().max(255),
          }),
        )
        .max(8)
        .optional(),
      login: z
        .union([
          z.object({ sshKey: z.string().min(1) }),
          z.object({
            userPassword: z.object({
              username: z.string().default("root"),
              password: z.string().min(8).max(26),
            }),
          }),
        ])
        .optional(),
    }),
  }),
});

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
}

/** The JSON body, or the 400 CCE answers for a missing / unreadable / invalid one. */
function parseBody<T>(c: Ctx, schema: z.ZodType<T>): T | CceError {
  const bytes = c.get("body");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return cceError("CCE.01400001", "the request body is not a JSON document");
  }
  const result = schema.safeParse(json);
  return result.success ? result.data : cceError("CCE.01400001", describeIssues(result.error));
}

function isError(value: unknown): value is CceError {
  return value !== null && typeof value === "object" && "code" in value && "detail" in value;
}

// ---------------------------------------------------------------------------------------------

export function huaweiRoutes(ctx: SandboxContext, holder: StateHolder): Hono {
  const app = new Hono<HuaweiEnv>();
  const now = () => ctx.clock.now().getTime();
  const fail = (c: Ctx, error: CceError) => cceErrorResponse(error, c.get("requestId"));
  const json = (c: Ctx, body: unknown, status: 200 | 201 = 200) =>
    c.json(body as Record<string, unknown>, status, { "X-Request-Id": c.get("requestId") });

  const accountOf = (accessKeyId: string) =>
    holder.state.accounts.find((account) => account.accessKeyId === accessKeyId);
  const iam = createHuaweiIam({ now });

  app.post(TOKEN_PATH, (c) => iam.issueToken(c.req.raw, holder.state.accounts));

  // The gateway: credentials (AK/SK signature or IAM token), throttle, content type; then the
  // state is brought up to now.
  app.use("/api/*", async (c, next) => {
    const rid = requestId(ctx.random);
    c.set("requestId", rid);
    const body = await receivedBody(c.req.raw);
    c.set("body", body);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const caller = await checkGatewayCredentials(
      { method: c.req.method, url: c.req.url, headers, body },
      {
        iam,
        secretOf: (ak) => accountOf(ak)?.secretAccessKey,
        signatureNow: ctx.signatureNow(),
        tokenNow: now(),
      },
    );
    if (!caller.ok) return apigResponse(caller.refusal, rid);
    c.set(ACCESS_KEY_VAR, caller.accessKeyId);
    c.set("account", accountOf(caller.accessKeyId)!);
    if (caller.via === "token") c.set("tokenProject", caller.projectId);
    const token = ctx.throttle.take(caller.accessKeyId);
    if (!token.ok) {
      return apigResponse(apigThrottled(Math.round(ctx.throttle.ratePerSecond * 60)), rid, {
        "Retry-After": String(token.retryAfterSeconds),
      });
    }
    if (c.req.method !== "GET" && body.length > 0) {
      const type = c.req.header("content-type") ?? "";
      if (!JSON_CONTENT_TYPE.test(type.trim())) {
        return fail(c, cceError("CCE.01400006", `Content-Type "${type}" is not application/json`));
      }
    }
    reconcile(holder.state, now(), ctx.random);
    await next();
  });

  /** The path's project, when the signing account owns it (and X-Project-Id, if sent, agrees). */
  const project = (c: Ctx): CceError | undefined => {
    const projectId = c.req.param("project_id") ?? "";
    const header = c.req.header("x-project-id");
    if (header !== undefined && header.trim() !== projectId) {
      return cceError(
        "CCE.01403001",
        `X-Project-Id ${header.trim()} does not match the project ${projectId} in the path`,
      );
    }
    const scoped = c.get("tokenProject");
    if (scoped !== undefined && scoped !== projectId) {
      return cceError("CCE.01403001", `the token is scoped to project ${scoped}, not ${projectId}`);
    }
    if (c.get("account").projects.some((p) => p.projectId === projectId)) return undefined;
    const exists = holder.state.accounts.some((a) => a.projects.some((p) => p.projectId === projectId));
    return exists
      ? cceError("CCE.01403001", `project ${projectId} does not belong to this access key's account`)
      : cceError("CCE.01404001", `project ${projectId} not found`);
  };

  const clusterOf = (c: Ctx): ClusterRecord | CceError => {
    const denied = project(c);
    if (denied) return denied;
    const id = c.req.param("cluster_id");
    const cluster = holder.state.clusters.find(
      (x) => x.uid === id && x.projectId === c.req.param("project_id"),
    );
    return cluster ?? cceError("CCE.01404001", `cluster ${id} not found`);
  };

  const base = "/api/v3/projects/:project_id";
  const clusterPath = `${base}/clusters/:cluster_id`;

  app.get(`${base}/clusters`, (c) => {
    const denied = project(c);
    if (denied) return fail(c, denied);
    const { status, type, version, detail } = c.req.query();
    const items = holder.state.clusters
      .filter((cl) => cl.projectId === c.req.param("project_id"))
      .filter((cl) => !status || cl.phase === status)
      // Every simulated cluster is an x86 one (VirtualMachine), none ARM64.
      .filter(() => !type || type === "VirtualMachine")
      .filter((cl) => !version || cl.version === version)
      .map((cl) => renderCluster(cl, { detail: detail === "true" }));
    return json(c, { kind: "Cluster", apiVersion: "v3", items });
  });

  app.get(clusterPath, (c) => {
    const cluster = clusterOf(c);
    if (isError(cluster)) return fail(c, cluster);
    return json(c, renderCluster(cluster, { detail: c.req.query("detail") === "true" }));
  });

  for (const [operation, run] of [
    ["hibernate", hibernate],
    ["awake", awake],
  ] as const) {
    app.post(`${clusterPath}/operation/${operation}`, (c) => {
      const cluster = clusterOf(c);
      if (isError(cluster)) return fail(c, cluster);
      const refused = run(cluster, now());
      if (refused) return fail(c, refused);
      // 200 with no body and no job: success shows only in status.phase.
      return c.body(null, 200, { "X-Request-Id": c.get("requestId") });
    });
  }

  app.post(`${clusterPath}/clustercert`, async (c) => {
    const cluster = clusterOf(c);
    if (isError(cluster)) return fail(c, cluster);
    const body = parseBody(c, clusterCertBody);
    if (isError(body)) return fail(c, body);
    if (!validDuration(body.duration)) {
      return fail(
        c,
        cceError(
          "CCE.01400001",
          `duration must be an integer number of days in 1..1827, or -1; got ${JSON.stringify(body.duration)}`,
        ),
      );
    }
    const asleep = cluster.phase === "Hibernation" || cluster.phase === "Hibernating";
    if (asleep && !holder.state.options.clustercertWhileHibernated) {
      return fail(
        c,
        cceError("CCE.01400001", `cluster status ${cluster.phase} does not support getting a certificate`),
      );
    }
    const config = await clusterCert(ctx.ca, cluster, {
      now: now(),
      duration: body.duration,
      userName: `iam-user-${c.get("account").name}`,
    });
    return c.json(config, 200, { "X-Request-Id": c.get("requestId"), "Port-ID": cluster.portId });
  });

  app.post(`${clusterPath}/tags/create`, (c) => {
    const cluster = clusterOf(c);
    if (isError(cluster)) return fail(c, cluster);
    const body = parseBody(c, createTagsBody);
    if (isError(body)) return fail(c, body);
    const refused = addTags(cluster, body.tags, now());
    if (refused) return fail(c, refused);
    return c.body(null, 204, { "X-Request-Id": c.get("requestId") });
  });

  app.post(`${clusterPath}/tags/delete`, (c) => {
    const cluster = clusterOf(c);
    if (isError(cluster)) return fail(c, cluster);
    const body = parseBody(c, deleteTagsBody);
    if (isError(body)) return fail(c, body);
    removeTags(
      cluster,
      body.tags.map((t) => t.key),
      now(),
    );
    return c.body(null, 204, { "X-Request-Id": c.get("requestId") });
  });

  app.get(`${base}/jobs/:job_id`, (c) => {
    const denied = project(c);
    if (denied) return fail(c, denied);
    const id = c.req.param("job_id");
    const job = holder.state.jobs.find((j) => j.uid === id);
    const cluster = job && holder.state.clusters.find((cl) => cl.uid === job.clusterUid);
    if (!job || cluster?.projectId !== c.req.param("project_id")) {
      return fail(c, cceError("CCE.01404001", `job ${id} not found`));
    }
    return json(c, renderJob(holder.state, job, now()));
  });

  // Node pools

  app.get(`${clusterPath}/nodepools`, (c) => {
    const cluster = clusterOf(c);
    if (isError(cluster)) return fail(c, cluster);
    const withDefault = c.req.query("showDefaultNodePool") === "true";
    const items = cluster.pools
      .filter((pool) => withDefault || !pool.isDefault)
      .map((pool) => renderPool(cluster, pool, now()));
    return json(c, { kind: "List", apiVersion: "v3", items });
  });

  const poolOf = (c: Ctx) => {
    const cluster = clusterOf(c);
    if (isError(cluster)) return cluster;
    const id = c.req.param("nodepool_id");
    const pool = cluster.pools.find((p) => p.uid === id);
    return pool ? { cluster, pool } : cceError("CCE.01404001", `node pool ${id} not found`);
  };

  app.get(`${clusterPath}/nodepools/:nodepool_id`, (c) => {
    const found = poolOf(c);
    if (isError(found)) return fail(c, found);
    return json(c, renderPool(found.cluster, found.pool, now()));
  });

  app.put(`${clusterPath}/nodepools/:nodepool_id`, (c) => {
    const found = poolOf(c);
    if (isError(found)) return fail(c, found);
    const body = parseBody(c, updatePoolBody);
    if (isError(body)) return fail(c, body);
    const { spec } = body;
    const template = spec.nodeTemplate;
    // Replacement semantics: whatever is left out is reset to its initial value.
    const k8sTags = { ...(template.k8sTags ?? {}) };
    delete k8sTags[POOL_LABEL];
    const update: PoolUpdate = {
      name: body.metadata.name,
      initialNodeCount: spec.initialNodeCount,
      autoscaling: {
        enable: spec.autoscaling.enable ?? false,
        minNodeCount: spec.autoscaling.minNodeCount ?? 0,
        maxNodeCount: spec.autoscaling.maxNodeCount ?? 0,
        scaleDownCooldownTime: spec.autoscaling.scaleDownCooldownTime ?? 0,
        priority: spec.autoscaling.priority ?? 0,
      },
      k8sTags,
      taints: template.taints ?? [],
      userTags: template.userTags ?? [],
    };
    if (template.login) {
      update.login =
        "sshKey" in template.login
          ? { sshKey: template.login.sshKey }
          : { userPassword: { username: template.login.userPassword.username } };
    }
    const refused = updatePool(holder.state, found.cluster, found.pool, update, now(), ctx.random);
    if (refused) return fail(c, refused);
    // The update response's status has no jobId (digest §3.4).
    return json(c, renderPool(found.cluster, found.pool, now()));
  });

  app.delete(`${clusterPath}/nodepools/:nodepool_id`, (c) => {
    const found = poolOf(c);
    if (isError(found)) return fail(c, found);
    const job = deletePool(holder.state, found.cluster, found.pool, now(), ctx.random);
    if (isError(job)) return fail(c, job);
    return json(c, renderPool(found.cluster, found.pool, now()));
  });

  // Nodes

  app.get(`${clusterPath}/nodes`, (c) => {
    const cluster = clusterOf(c);
    if (isError(cluster)) return fail(c, cluster);
    const items = cluster.nodes.map((node) => renderNode(cluster, node, now()));
    return json(c, { kind: "List", apiVersion: "v3", items });
  });

  const nodeOf = (c: Ctx) => {
    const cluster = clusterOf(c);
    if (isError(cluster)) return cluster;
    const id = c.req.param("node_id");
    const node = cluster.nodes.find((n) => n.uid === id);
    return node ? { cluster, node } : cceError("CCE.01404001", `node ${id} not found`);
  };

  app.get(`${clusterPath}/nodes/:node_id`, (c) => {
    const found = nodeOf(c);
    if (isError(found)) return fail(c, found);
    return json(c, renderNode(found.cluster, found.node, now()));
  });

  app.delete(`${clusterPath}/nodes/:node_id`, (c) => {
    const found = nodeOf(c);
    if (isError(found)) return fail(c, found);
    // The answer shows the node as it was when the delete was accepted, plus the job (000: L24048).
    const before = renderNode(found.cluster, found.node, now());
    const scaleDownPool = c.req.query("nodepoolScaleDown") !== "NoScaleDown";
    const job = deleteNode(holder.state, found.cluster, found.node, { scaleDownPool }, now(), ctx.random);
    if (isError(job)) return fail(c, job);
    (before.status as Record<string, unknown>).jobID = job.uid;
    return json(c, before);
  });

  // Registered last: only what no route above answered. (A mounted app's notFound is never used.)
  app.all("*", (c) => apigResponse(APIG_NO_SUCH_API, c.get("requestId") ?? requestId(ctx.random)));
  return app as unknown as Hono;
}
