// The Baidu CCE v2 API of the sandbox, served under both documented prefixes (`/v2` and the Go
// SDK's `/api/cce/service/v2`). Every request is signature-checked (bce-auth-v1) against the
// fleet's access keys, then throttled per key, before any route runs.
//
// Locks (409), evaluated in this order for a replica change:
//   ClusterNotRunning               the cluster is not `running` (being created, create_failed)
//   InstanceGroupPaused             the group has status.pause set
//   InstanceGroupAutoscalerEnabled  manual replicas on a group whose autoscaler is on
//                                   (fleet option rejectReplicasWhileAutoscaling, default on)
//   InstanceGroupReplicasChanging   a previous change is still adding or removing nodes and the
//                                   new size differs (the same size again is accepted: idempotent)

import type { Context } from "hono";
import { Hono } from "hono";
import * as z from "zod";
import { parseAuthorization, verifyBaidu } from "../../signer/baidu.ts";
import { ACCESS_KEY_VAR, type SandboxContext } from "../cloud.ts";
import { receivedText } from "../received-body.ts";
import { bceError, ok, requestIdOf } from "./errors.ts";
import { issueKubeconfig, KUBECONFIG_TYPES, type KubeconfigType } from "./kubeconfig.ts";
import {
  clampToAutoscaler,
  clusterPhaseAt,
  groupStatusAt,
  type IdSource,
  liveInstances,
  pruneGone,
  setReplicas,
} from "./lifecycle.ts";
import { renderCluster, renderEvents, renderGroup, renderInstance, renderTask } from "./render.ts";
import type { BaiduAccountRecord, BaiduState, ClusterRecord, InstanceGroupRecord } from "./state.ts";

/** The cloud's current state; replaced as a whole by reset and seed. */
export interface BaiduStore {
  state: BaiduState;
  ids: IdSource;
}

export const PATH_PREFIXES = ["/v2", "/api/cce/service/v2"] as const;

const ACCOUNT_VAR = "baiduAccount";
const BODY_VAR = "baiduBody";
const MAX_PAGE_SIZE = 1000;

class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const replicasBody = z.object({
  replicas: z.int().min(0, "replicas must be 0 or more").max(500),
  instanceIDs: z.array(z.string()).optional(),
  deleteInstance: z.boolean().optional(),
  deleteOption: z
    .object({
      moveOut: z.boolean().optional(),
      deleteResource: z.boolean().optional(),
      deleteCDSSnapshot: z.boolean().optional(),
      drainNode: z.boolean().optional(),
    })
    .optional(),
});

const autoscalerBody = z
  .object({
    enabled: z.boolean(),
    minReplicas: z.int().min(0),
    maxReplicas: z.int().min(0).max(500),
    scalingGroupPriority: z.int().min(0).optional(),
  })
  .refine((a) => a.minReplicas <= a.maxReplicas, { message: "minReplicas must not exceed maxReplicas" });

const scaleDownBody = z.object({ instancesToBeRemoved: z.array(z.string()).min(1) });

export function baiduRoutes(ctx: SandboxContext, store: BaiduStore): Hono {
  const app = new Hono();
  const now = () => ctx.clock.now();
  // The `Date` of every answer is the gateway's clock, the one signatures are judged by:
  // @baiducloud/sdk sets its signing clock from an error's Date (BceBaseClient timeOffset).
  const gatewayDate = () => ctx.signatureNow();

  // Signature, then throttle; the same answers on every path, known or not.
  app.use("*", async (c, next) => {
    const requestId = requestIdOf(c, ctx.random);
    const at = now();
    const body = await receivedText(c.req.raw);
    c.set(BODY_VAR as never, body as never);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const authorization = headers.authorization;
    if (authorization !== undefined) {
      const parsed = parseAuthorization(authorization);
      if (typeof parsed !== "string") c.set(ACCESS_KEY_VAR as never, parsed.accessKeyId as never);
    }
    const accounts = store.state.accounts;
    const verdict = await verifyBaidu(
      { method: c.req.method, url: c.req.url, headers, body },
      (accessKeyId) => accounts.find((a) => a.accessKeyId === accessKeyId)?.secretAccessKey,
      { now: ctx.signatureNow() },
    );
    if (!verdict.ok) {
      const [status, code] = {
        missing: [403, "AccessDenied"],
        malformed: [400, "InvalidHTTPAuthHeader"],
        "unknown-key": [403, "InvalidAccessKeyId"],
        expired: [400, "RequestExpired"],
        mismatch: [403, "SignatureDoesNotMatch"],
      }[verdict.reason] as [number, string];
      return bceError(requestId, gatewayDate(), status, code, verdict.detail);
    }
    const token = ctx.throttle.take(verdict.accessKeyId);
    if (!token.ok) {
      return bceError(
        requestId,
        gatewayDate(),
        429,
        "TooManyRequests",
        "Request rate exceeded the limit for this access key.",
        {
          "Retry-After": String(token.retryAfterSeconds),
        },
      );
    }
    const account = accounts.find((a) => a.accessKeyId === verdict.accessKeyId)!;
    c.set(ACCOUNT_VAR as never, account as never);
    for (const cluster of store.state.clusters) pruneGone(cluster, at.getTime());
    await next();
  });

  const api = new Hono();
  const reply = (c: Context, body: Record<string, unknown>) =>
    ok(requestIdOf(c, ctx.random), gatewayDate(), body);
  const accountOf = (c: Context) => c.get(ACCOUNT_VAR as never) as BaiduAccountRecord;

  const clusterOf = (c: Context): ClusterRecord => {
    const id = c.req.param("clusterID");
    const account = accountOf(c);
    const cluster = store.state.clusters.find((x) => x.clusterID === id && x.account === account.name);
    if (!cluster) throw new ApiError(404, "ClusterNotFound", `cluster ${id} not found`);
    return cluster;
  };
  const groupOf = (c: Context, cluster: ClusterRecord): InstanceGroupRecord => {
    const id = c.req.param("instanceGroupID");
    const group = cluster.instanceGroups.find((g) => g.cceInstanceGroupID === id);
    if (!group)
      throw new ApiError(
        404,
        "InstanceGroupNotFound",
        `instance group ${id} not found in ${cluster.clusterID}`,
      );
    return group;
  };
  const jsonBody = <T>(c: Context, schema: z.ZodType<T>): T => {
    const text = c.get(BODY_VAR as never) as string;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, "MalformedJSON", "the request body is not valid JSON");
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.join(".");
      throw new ApiError(400, "InvalidParameter", path === "" ? issue.message : `${path}: ${issue.message}`);
    }
    return parsed.data;
  };
  const requireRunning = (cluster: ClusterRecord, at: number) => {
    const phase = clusterPhaseAt(cluster, at);
    if (phase !== "running") {
      throw new ApiError(409, "ClusterNotRunning", `cluster ${cluster.clusterID} is ${phase}, not running`);
    }
  };

  /** The checks every replica change goes through, then the change itself. */
  const changeReplicas = (
    cluster: ClusterRecord,
    group: InstanceGroupRecord,
    replicas: number,
    at: number,
    options: { manual: boolean; chosen?: string[] },
  ) => {
    requireRunning(cluster, at);
    if (group.pausedReason !== undefined) {
      throw new ApiError(
        409,
        "InstanceGroupPaused",
        `instance group ${group.cceInstanceGroupID} is paused: ${group.pausedReason}`,
      );
    }
    if (options.manual && group.autoscaler?.enabled && store.state.options.rejectReplicasWhileAutoscaling) {
      throw new ApiError(
        409,
        "InstanceGroupAutoscalerEnabled",
        `instance group ${group.cceInstanceGroupID} is managed by the cluster autoscaler; change its minReplicas/maxReplicas or disable it first`,
      );
    }
    const live = liveInstances(group);
    if (new Set(options.chosen).size !== (options.chosen ?? []).length) {
      throw new ApiError(400, "InvalidParameter", "an instance is named twice");
    }
    const chosen = (options.chosen ?? []).map((id) => {
      const instance = live.find((i) => i.cceInstanceID === id);
      if (!instance)
        throw new ApiError(
          400,
          "InvalidParameter",
          `instance ${id} is not in group ${group.cceInstanceGroupID}`,
        );
      return instance;
    });
    if (chosen.length > Math.max(0, live.length - replicas)) {
      throw new ApiError(
        400,
        "InvalidParameter",
        `instanceIDs names more nodes than shrinking to ${replicas} removes`,
      );
    }
    if (replicas === group.replicas && chosen.length === 0) return [];
    if (groupStatusAt(group, at).converging) {
      throw new ApiError(
        409,
        "InstanceGroupReplicasChanging",
        `instance group ${group.cceInstanceGroupID} is still scaling to ${group.replicas}; retry when it is done`,
      );
    }
    return setReplicas(cluster, group, replicas, at, store.ids, chosen);
  };

  api.get("/clusters", (c) => {
    const account = accountOf(c);
    const query = (name: string) => c.req.query(name);
    const keywordType = query("keywordType") || "clusterName";
    const keyword = query("keyword") ?? "";
    const orderBy = query("orderBy") || "clusterName";
    const order = (query("order") || "ASC").toUpperCase();
    if (keywordType !== "clusterName" && keywordType !== "clusterID")
      throw new ApiError(400, "InvalidParameter", "keywordType must be clusterName or clusterID");
    if (orderBy !== "clusterName" && orderBy !== "clusterID" && orderBy !== "createdAt")
      throw new ApiError(400, "InvalidParameter", "orderBy must be clusterName, clusterID or createdAt");
    if (order !== "ASC" && order !== "DESC")
      throw new ApiError(400, "InvalidParameter", "order must be ASC or DESC");
    const { pageNo, pageSize } = paging(c);
    const needle = keyword.toLowerCase();
    const key = (x: ClusterRecord) =>
      orderBy === "createdAt"
        ? String(x.createdAt).padStart(16, "0")
        : orderBy === "clusterID"
          ? x.clusterID
          : x.clusterName;
    const matching = store.state.clusters
      .filter((x) => x.account === account.name)
      .filter((x) =>
        (keywordType === "clusterID" ? x.clusterID : x.clusterName).toLowerCase().includes(needle),
      )
      .sort((a, b) => compare(key(a), key(b)) || compare(a.clusterID, b.clusterID));
    if (order === "DESC") matching.reverse();
    const at = now().getTime();
    return reply(c, {
      clusterPage: {
        keywordType,
        keyword,
        orderBy,
        order,
        pageNo,
        pageSize,
        totalCount: matching.length,
        clusterList: matching
          .slice((pageNo - 1) * pageSize, pageNo * pageSize)
          .map((x) => renderCluster(x, at)),
      },
    });
  });

  api.get("/cluster/:clusterID", (c) => reply(c, { cluster: renderCluster(clusterOf(c), now().getTime()) }));

  api.get("/event/cluster/:clusterID", (c) => reply(c, renderEvents(clusterOf(c), now().getTime())));

  api.get("/cluster/:clusterID/instancegroups", (c) => {
    const cluster = clusterOf(c);
    const { pageNo, pageSize } = paging(c);
    const at = now().getTime();
    const groups = [...cluster.instanceGroups].sort(
      (a, b) => a.createdAt - b.createdAt || compare(a.instanceGroupName, b.instanceGroupName),
    );
    return reply(c, {
      page: {
        pageNo,
        pageSize,
        totalCount: groups.length,
        list: groups
          .slice((pageNo - 1) * pageSize, pageNo * pageSize)
          .map((g) => renderGroup(cluster, g, at)),
      },
    });
  });

  api.get("/cluster/:clusterID/instancegroup/:instanceGroupID", (c) => {
    const cluster = clusterOf(c);
    return reply(c, { instanceGroup: renderGroup(cluster, groupOf(c, cluster), now().getTime()) });
  });

  api.put("/cluster/:clusterID/instancegroup/:instanceGroupID/replicas", (c) => {
    const cluster = clusterOf(c);
    const group = groupOf(c, cluster);
    const body = jsonBody(c, replicasBody);
    changeReplicas(cluster, group, body.replicas, now().getTime(), {
      manual: true,
      ...(body.instanceIDs ? { chosen: body.instanceIDs } : {}),
    });
    return reply(c, {});
  });

  api.put("/cluster/:clusterID/instancegroup/:instanceGroupID/autoscaler", (c) => {
    const cluster = clusterOf(c);
    const group = groupOf(c, cluster);
    const body = jsonBody(c, autoscalerBody);
    const at = now().getTime();
    requireRunning(cluster, at);
    const next = {
      enabled: body.enabled,
      minReplicas: body.minReplicas,
      maxReplicas: body.maxReplicas,
      scalingGroupPriority: body.scalingGroupPriority ?? group.autoscaler?.scalingGroupPriority ?? 0,
    };
    // The autoscaler brings the group within its new bounds at once.
    const target = clampToAutoscaler(group.replicas, next);
    if (target !== group.replicas) changeReplicas(cluster, group, target, at, { manual: false });
    group.autoscaler = next;
    return reply(c, {});
  });

  api.get("/cluster/:clusterID/instancegroup/:instanceGroupID/instances", (c) => {
    const cluster = clusterOf(c);
    const group = groupOf(c, cluster);
    const { pageNo, pageSize } = paging(c);
    const at = now().getTime();
    const instances = sortedInstances(group.instances);
    return reply(c, {
      page: {
        pageNo,
        pageSize,
        totalCount: instances.length,
        list: instances
          .slice((pageNo - 1) * pageSize, pageNo * pageSize)
          .map((i) => renderInstance(cluster, group, i, at)),
      },
    });
  });

  api.get("/cluster/:clusterID/instances", (c) => {
    const cluster = clusterOf(c);
    const { pageNo, pageSize } = paging(c);
    const at = now().getTime();
    const keywordType = c.req.query("keywordType") || "instanceName";
    const keyword = (c.req.query("keyword") ?? "").toLowerCase();
    if (keywordType !== "instanceName" && keywordType !== "instanceID")
      throw new ApiError(400, "InvalidParameter", "keywordType must be instanceName or instanceID");
    const all = cluster.instanceGroups.flatMap((group) =>
      sortedInstances(group.instances).map((instance) => ({ group, instance })),
    );
    const matching = all.filter(({ instance }) =>
      (keywordType === "instanceID" ? instance.cceInstanceID : instance.instanceName)
        .toLowerCase()
        .includes(keyword),
    );
    return reply(c, {
      instancePage: {
        clusterID: cluster.clusterID,
        keywordType,
        keyword: c.req.query("keyword") ?? "",
        orderBy: c.req.query("orderBy") || "createdAt",
        order: (c.req.query("order") || "ASC").toUpperCase(),
        pageNo,
        pageSize,
        totalCount: matching.length,
        instanceList: matching
          .slice((pageNo - 1) * pageSize, pageNo * pageSize)
          .map(({ group, instance }) => renderInstance(cluster, group, instance, at)),
      },
    });
  });

  api.put("/cluster/:clusterID/instancegroup/:instanceGroupID/scaleup", (c) => {
    const cluster = clusterOf(c);
    const group = groupOf(c, cluster);
    const upTo = Number(c.req.query("upToReplicas"));
    if (!Number.isInteger(upTo) || upTo <= 0)
      throw new ApiError(400, "InvalidParameter", "upToReplicas must be a whole number greater than 0");
    if (upTo <= liveInstances(group).length)
      throw new ApiError(
        400,
        "InvalidParameter",
        `upToReplicas must exceed the current ${liveInstances(group).length} nodes`,
      );
    const at = now().getTime();
    const added = changeReplicas(cluster, group, upTo, at, { manual: true });
    const taskID = `task-${store.ids.token(8)}`;
    store.state.tasks.push({
      id: taskID,
      clusterID: cluster.clusterID,
      instanceGroupID: group.cceInstanceGroupID,
      kind: "scaleup",
      description: `scale up instance group ${group.cceInstanceGroupID} to ${upTo} replicas`,
      startTime: at,
      instanceIDs: added.map((i) => i.cceInstanceID),
    });
    return reply(c, { taskID });
  });

  api.put("/cluster/:clusterID/instancegroup/:instanceGroupID/scaledown", (c) => {
    const cluster = clusterOf(c);
    const group = groupOf(c, cluster);
    const body = jsonBody(c, scaleDownBody);
    const at = now().getTime();
    const target = liveInstances(group).length - body.instancesToBeRemoved.length;
    const removed = changeReplicas(cluster, group, Math.max(0, target), at, {
      manual: true,
      chosen: body.instancesToBeRemoved,
    });
    const taskID = `task-${store.ids.token(8)}`;
    store.state.tasks.push({
      id: taskID,
      clusterID: cluster.clusterID,
      instanceGroupID: group.cceInstanceGroupID,
      kind: "scaledown",
      description: `scale down instance group ${group.cceInstanceGroupID} by ${removed.length} nodes`,
      startTime: at,
      instanceIDs: removed.map((i) => i.cceInstanceID),
      finishAt: Math.max(at, ...removed.map((i) => i.goneAt ?? at)),
    });
    return reply(c, { taskID });
  });

  api.get("/task/InstanceGroupReplicas/:taskID", (c) => {
    const id = c.req.param("taskID");
    const account = accountOf(c);
    const task = store.state.tasks.find((t) => t.id === id);
    const cluster =
      task && store.state.clusters.find((x) => x.clusterID === task.clusterID && x.account === account.name);
    if (!task || !cluster) throw new ApiError(404, "TaskNotFound", `task ${id} not found`);
    const group = cluster.instanceGroups.find((g) => g.cceInstanceGroupID === task.instanceGroupID);
    return reply(c, { task: renderTask(task, group, now().getTime()) });
  });

  // ListTasks (bce-sdk-go `ListTasks`): the tasks of one instance group, newest first. targetID is a
  // filter, so a group the account cannot see lists nothing rather than 404. The Go SDK always
  // sends pageNo and pageSize, as "0" when the caller left them unset: 0 means the default.
  api.get("/tasks/:taskType", (c) => {
    const taskType = c.req.param("taskType");
    if (taskType !== "InstanceGroupReplicas") {
      throw new ApiError(
        400,
        "InvalidParameter",
        `task type "${taskType}" is not supported; the only one is InstanceGroupReplicas`,
      );
    }
    const targetID = c.req.query("targetID") ?? "";
    if (targetID === "") {
      throw new ApiError(
        400,
        "InvalidParameter",
        "targetID (the instance group id) is required for InstanceGroupReplicas tasks",
      );
    }
    const { pageNo, pageSize } = paging(c, { zeroIsDefault: true });
    const account = accountOf(c);
    const at = now().getTime();
    const owned = (clusterID: string) =>
      store.state.clusters.find((x) => x.clusterID === clusterID && x.account === account.name);
    const tasks = store.state.tasks
      .filter((t) => t.instanceGroupID === targetID && owned(t.clusterID))
      .sort((a, b) => b.startTime - a.startTime || compare(b.id, a.id));
    return reply(c, {
      page: {
        pageNo,
        pageSize,
        totalCount: tasks.length,
        items: tasks.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((task) => {
          const group = owned(task.clusterID)!.instanceGroups.find(
            (g) => g.cceInstanceGroupID === task.instanceGroupID,
          );
          return renderTask(task, group, at);
        }),
      },
    });
  });

  api.get("/kubeconfig/:clusterID/:type", async (c) => {
    const type = c.req.param("type");
    if (!KUBECONFIG_TYPES.includes(type as KubeconfigType)) {
      throw new ApiError(
        400,
        "InvalidParameter",
        `kubeconfig type "${type}" is not one of ${KUBECONFIG_TYPES.join(", ")}`,
      );
    }
    const cluster = clusterOf(c);
    const at = now();
    requireRunning(cluster, at.getTime());
    const host = { vpc: cluster.blb.vpcIP, public: cluster.blb.eip, internal: cluster.blb.floatingIP }[
      type as KubeconfigType
    ];
    if (host === "") {
      throw new ApiError(
        409,
        "ClusterEIPNotBound",
        `cluster ${cluster.clusterID} has no EIP; use the vpc kubeconfig`,
      );
    }
    const kubeConfig = await issueKubeconfig({
      ca: ctx.ca,
      now: at,
      clusterID: cluster.clusterID,
      userName: accountOf(c).name,
      server: `https://${host}:6443`,
    });
    return reply(c, { kubeConfigType: type, kubeConfig });
  });

  for (const prefix of PATH_PREFIXES) app.route(prefix, api);
  // Registered last: only reached when no route answered (the framework's own notFound would not
  // speak BCE).
  app.all("*", (c) =>
    bceError(
      requestIdOf(c, ctx.random),
      gatewayDate(),
      404,
      "NotFound",
      `no API at ${c.req.method} ${new URL(c.req.url).pathname}`,
    ),
  );
  app.onError((error, c) => {
    if (error instanceof ApiError)
      return bceError(requestIdOf(c, ctx.random), gatewayDate(), error.status, error.code, error.message);
    return bceError(
      requestIdOf(c, ctx.random),
      gatewayDate(),
      500,
      "InternalError",
      "We encountered an internal error. Please try again.",
    );
  });
  return app;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedInstances<T extends { createdAt: number; startAt: number; instanceName: string }>(
  list: T[],
): T[] {
  return [...list].sort(
    (a, b) => a.createdAt - b.createdAt || a.startAt - b.startAt || compare(a.instanceName, b.instanceName),
  );
}

function paging(c: Context, options: { zeroIsDefault?: boolean } = {}): { pageNo: number; pageSize: number } {
  const read = (name: string, fallback: number, max: number) => {
    const raw = c.req.query(name);
    if (raw === undefined || raw === "" || (options.zeroIsDefault && raw === "0")) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new ApiError(400, "InvalidParameter", `${name} must be a whole number from 1 to ${max}`);
    }
    return value;
  };
  return { pageNo: read("pageNo", 1, 1_000_000), pageSize: read("pageSize", 10, MAX_PAGE_SIZE) };
}
