// The ACK operations nightshift uses, at the vendor's paths (digest §3). Mounted twice by
// cloud.ts: as they are (public / POP form) and under `/roa` (ASAPI form). Every handler runs
// behind the gateway (signature, nonce, ASAPI headers, throttle) and brings the state up to now.
import { type Context, Hono } from "hono";
import * as z from "zod";
import type { SandboxContext } from "../cloud.ts";
import { type Caller, callerOf } from "./gateway.ts";
import { parseDurationMinutes, userKubeconfig } from "./kubeconfig.ts";
import { ackError, answer, gatewayError } from "./render.ts";
import {
  AckError,
  type AckState,
  clusterState,
  deletePool,
  findCluster,
  findPool,
  modifyPool,
  nodeState,
  reconcile,
  removeNodes,
  scaleOut,
} from "./state.ts";
import { clusterView, nodeView, poolView, taskView } from "./views.ts";

export const MAX_PAGE_SIZE = 100;

const labels = z.array(z.object({ key: z.string().min(1), value: z.string() }));

const poolPatchSchema = z.object({
  nodepool_info: z.object({ name: z.string().min(1).optional() }).optional(),
  auto_scaling: z
    .object({
      enable: z.boolean().optional(),
      min_instances: z.number().int().optional(),
      max_instances: z.number().int().optional(),
      type: z.enum(["cpu", "gpu", "gpushare", "spot"]).optional(),
    })
    .optional(),
  kubernetes_config: z
    .object({
      labels: labels.optional(),
      taints: z
        .array(z.object({ key: z.string().min(1), value: z.string(), effect: z.string().min(1) }))
        .optional(),
      unschedulable: z.boolean().optional(),
      cms_enabled: z.boolean().optional(),
      cpu_policy: z.enum(["none", "static"]).optional(),
      runtime: z.string().min(1).optional(),
      runtime_version: z.string().min(1).optional(),
      user_data: z.string().optional(),
    })
    .optional(),
  scaling_group: z
    .object({
      instance_types: z.array(z.string().min(1)).min(1).optional(),
      vswitch_ids: z.array(z.string().min(1)).min(1).optional(),
      instance_charge_type: z.enum(["PrePaid", "PostPaid"]).optional(),
      scaling_policy: z.enum(["release", "recycle"]).optional(),
      system_disk_category: z.string().min(1).optional(),
      system_disk_size: z.number().int().min(20).max(500).optional(),
      image_id: z.string().min(1).optional(),
      platform: z.string().min(1).optional(),
      data_disks: z.array(z.record(z.string(), z.unknown())).max(10).optional(),
      tags: labels.optional(),
      internet_charge_type: z.string().optional(),
      internet_max_bandwidth_out: z.number().int().min(1).max(100).optional(),
      multi_az_policy: z.string().optional(),
      // Public ACK's desired node count (digest §3.7); checked against the pool in modifyPool.
      desired_size: z.number().optional(),
    })
    .optional(),
  tee_config: z.object({ tee_enable: z.boolean().optional() }).optional(),
  update_nodes: z.boolean().optional(),
});

const removeNodesSchema = z.object({
  nodes: z.array(z.string().min(1)).min(1),
  release_node: z.boolean().default(false),
  drain_node: z.boolean().default(false),
});

const scaleSchema = z.object({ count: z.unknown() });

function invalid(message: string): AckError {
  return new AckError(400, "InvalidParameter", message);
}

function parseBody<T extends z.ZodType>(caller: Caller, schema: T): z.output<T> {
  let json: unknown = {};
  if (caller.body.trim() !== "") {
    try {
      json = JSON.parse(caller.body);
    } catch {
      throw invalid("the request body is not valid JSON");
    }
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw invalid(`${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  return result.data;
}

function booleanQuery(c: Context, name: string, fallback: boolean): boolean {
  const raw = c.req.query(name);
  if (raw === undefined) return fallback;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw invalid(`${name} must be true or false, got "${raw}"`);
}

function pageQuery(c: Context, name: string, fallback: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 1 && value <= max))
    throw invalid(`${name} must be an integer from 1 to ${max}, got "${raw}"`);
  return value;
}

/** `["a","b"]` (the Tea SDKs' `json` array style) or `a,b`. */
function listQuery(c: Context, name: string): string[] | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  if (raw.trim().startsWith("[")) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed;
    } catch {
      // reported below
    }
    throw invalid(`${name} must be a JSON array of strings`);
  }
  return raw.split(",").filter((item) => item !== "");
}

export function ackRoutes(ctx: SandboxContext, current: () => AckState): Hono {
  const api = new Hono();

  const handle =
    (run: (c: Context, caller: Caller, state: AckState, now: number) => Response | Promise<Response>) =>
    async (c: Context) => {
      const caller = callerOf(c);
      const state = current();
      const now = ctx.clock.now().getTime();
      reconcile(state, now);
      try {
        return await run(c, caller, state, now);
      } catch (error) {
        if (error instanceof AckError)
          return ackError(caller.exchange, error.status, error.code, error.message);
        throw error;
      }
    };

  // DescribeClustersV1
  api.get(
    "/api/v1/clusters",
    handle((c, { exchange, account }, state, now) => {
      const pageSize = pageQuery(c, "page_size", 10, MAX_PAGE_SIZE);
      const pageNumber = pageQuery(c, "page_number", 1, 1_000_000);
      const name = c.req.query("name");
      const type = c.req.query("cluster_type");
      const matching = state.clusters
        .filter((cluster) => cluster.account === account.name && cluster.state !== "deleted")
        .filter((cluster) => name === undefined || cluster.name.includes(name))
        .filter((cluster) => type === undefined || cluster.clusterType === type)
        .sort((a, b) => b.created - a.created);
      const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
      return answer(exchange, "DescribeClustersV1", {
        clusters: page.map((cluster) => clusterView(state, account, cluster, now)),
        page_info: { page_number: pageNumber, page_size: pageSize, total_count: matching.length },
      });
    }),
  );

  // DescribeClusterDetail
  api.get(
    "/clusters/:clusterId",
    handle((c, { exchange, account }, state, now) => {
      const cluster = findCluster(state, account.name, c.req.param("clusterId")!);
      return answer(exchange, "DescribeClusterDetail", clusterView(state, account, cluster, now));
    }),
  );

  // DescribeClusterUserKubeconfig
  api.get(
    "/k8s/:clusterId/user_config",
    handle(async (c, { exchange, account }, state, now) => {
      const cluster = findCluster(state, account.name, c.req.param("clusterId")!);
      const minutes = parseDurationMinutes(c.req.query("TemporaryDurationMinutes"));
      const privateIpAddress = booleanQuery(c, "PrivateIpAddress", false);
      const phase = clusterState(state, cluster, now);
      if (phase !== "running" && phase !== "scaling" && phase !== "updating") {
        throw new AckError(
          409,
          "ErrorClusterNotRunning",
          `cluster ${cluster.id} is ${phase}; its API server cannot issue credentials`,
        );
      }
      const kubeconfig = await userKubeconfig(ctx.ca, cluster, account.uid, {
        now,
        minutes,
        privateIpAddress,
      });
      return answer(exchange, "DescribeClusterUserKubeconfig", kubeconfig);
    }),
  );

  // DescribeClusterNodePools
  api.get(
    "/clusters/:clusterId/nodepools",
    handle((c, { exchange, account }, state, now) => {
      const cluster = findCluster(state, account.name, c.req.param("clusterId")!);
      return answer(exchange, "DescribeClusterNodePools", {
        nodepools: cluster.pools.map((pool) => poolView(cluster, pool, now)),
      });
    }),
  );

  // DescribeClusterNodePoolDetail
  api.get(
    "/clusters/:clusterId/nodepools/:poolId",
    handle((c, { exchange, account }, state, now) => {
      const cluster = findCluster(state, account.name, c.req.param("clusterId")!);
      const pool = findPool(cluster, c.req.param("poolId")!);
      return answer(exchange, "DescribeClusterNodePoolDetail", poolView(cluster, pool, now));
    }),
  );

  // ScaleClusterNodePool: body `count` = nodes to ADD
  api.post(
    "/clusters/:clusterId/nodepools/:poolId",
    handle((c, caller, state, now) => {
      const cluster = findCluster(state, caller.account.name, c.req.param("clusterId")!);
      const pool = findPool(cluster, c.req.param("poolId")!);
      const { count } = parseBody(caller, scaleSchema);
      const task = scaleOut(state, cluster, pool, count, now, ctx.random);
      return answer(caller.exchange, "ScaleClusterNodePool", {
        task_id: task.id,
        request_id: caller.exchange.requestId,
      });
    }),
  );

  // ModifyClusterNodePool (merge; auto_scaling bounds included)
  api.put(
    "/clusters/:clusterId/nodepools/:poolId",
    handle((c, caller, state, now) => {
      const cluster = findCluster(state, caller.account.name, c.req.param("clusterId")!);
      const pool = findPool(cluster, c.req.param("poolId")!);
      const patch = parseBody(caller, poolPatchSchema);
      const task = modifyPool(state, cluster, pool, patch, now, ctx.random);
      return answer(caller.exchange, "ModifyClusterNodePool", {
        task_id: task.id,
        nodepool_id: pool.id,
        request_id: caller.exchange.requestId,
      });
    }),
  );

  // DeleteClusterNodepool (`force=true` removes remaining nodes first)
  api.delete(
    "/clusters/:clusterId/nodepools/:poolId",
    handle((c, caller, state, now) => {
      const cluster = findCluster(state, caller.account.name, c.req.param("clusterId")!);
      const pool = findPool(cluster, c.req.param("poolId")!);
      deletePool(state, cluster, pool, booleanQuery(c, "force", false), now, ctx.random);
      return answer(caller.exchange, "DeleteClusterNodepool", { request_id: caller.exchange.requestId });
    }),
  );

  // RemoveNodePoolNodes (public ACK): query `nodes` / `instance_ids` as JSON arrays
  api.delete(
    "/clusters/:clusterId/nodepools/:poolId/nodes",
    handle((c, caller, state, now) => {
      const cluster = findCluster(state, caller.account.name, c.req.param("clusterId")!);
      const pool = findPool(cluster, c.req.param("poolId")!);
      const names = [...(listQuery(c, "nodes") ?? []), ...(listQuery(c, "instance_ids") ?? [])];
      const task = removeNodes(
        state,
        cluster,
        names,
        {
          release: booleanQuery(c, "release_node", false),
          drain: booleanQuery(c, "drain_node", false),
          pool,
        },
        now,
        ctx.random,
      );
      return answer(caller.exchange, "RemoveNodePoolNodes", {
        request_id: caller.exchange.requestId,
        task_id: task.id,
      });
    }),
  );

  // DescribeClusterNodes
  api.get(
    "/clusters/:clusterId/nodes",
    handle((c, { exchange, account }, state, now) => {
      const cluster = findCluster(state, account.name, c.req.param("clusterId")!);
      const pageSize = pageQuery(c, "pageSize", 10, MAX_PAGE_SIZE);
      const pageNumber = pageQuery(c, "pageNumber", 1, 1_000_000);
      const poolId = c.req.query("nodepool_id");
      if (poolId !== undefined && poolId !== "") findPool(cluster, poolId);
      const wanted = c.req.query("state") ?? "all";
      if (!["all", "running", "removing", "initial", "failed"].includes(wanted)) {
        throw invalid(`state must be one of all, running, removing, initial, failed; got "${wanted}"`);
      }
      // Ignored when nodepool_id is given (public ACK behaviour).
      const instanceIds = poolId ? undefined : listQuery(c, "instanceIds");
      const matching = cluster.nodes
        .filter((node) => !poolId || node.poolId === poolId)
        .filter((node) => !instanceIds || instanceIds.includes(node.instanceId))
        .filter((node) => wanted === "all" || nodeState(node, now) === wanted);
      const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
      return answer(exchange, "DescribeClusterNodes", {
        nodes: page.map((node) => nodeView(node, now)),
        page: { page_number: pageNumber, page_size: pageSize, total_count: matching.length },
      });
    }),
  );

  // RemoveClusterNodes: the document shows a bare `HTTP/1.1 200 OK`
  api.post(
    "/api/v2/clusters/:clusterId/nodes/remove",
    handle((c, caller, state, now) => {
      const cluster = findCluster(state, caller.account.name, c.req.param("clusterId")!);
      const body = parseBody(caller, removeNodesSchema);
      removeNodes(
        state,
        cluster,
        body.nodes,
        { release: body.release_node, drain: body.drain_node },
        now,
        ctx.random,
      );
      return answer(caller.exchange, "RemoveClusterNodes", undefined);
    }),
  );

  // DescribeTaskInfo (public ACK; missing when the fleet says `taskApi: false`)
  api.get(
    "/tasks/:taskId",
    handle((c, { exchange, account }, state, now) => {
      if (!state.options.taskApi) return apiNotFound(exchange);
      const task = state.tasks.get(c.req.param("taskId")!);
      if (!task || task.account !== account.name) {
        throw new AckError(404, "ErrorTaskNotFound", `task ${c.req.param("taskId")} not found`);
      }
      return answer(exchange, "DescribeTaskInfo", taskView(task, now));
    }),
  );

  return api;
}

/** What the gateway answers for a path/method no API has. */
export function apiNotFound(exchange: Caller["exchange"]): Response {
  return gatewayError(
    exchange,
    404,
    "InvalidApi.NotFound",
    "Specified api is not found, please check your url and method.",
  );
}
