// What the ACK client reads from each answer (digest §3, §5). Only the fields nightshift uses are
// required; everything else is tolerated and dropped (z.object strips unknown keys).
import * as z from "zod";

/** Counters arrive as numbers; some gateways relay them as digit strings. */
const count = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+$/)
    .transform((text) => Number(text)),
]);

const tag = z.object({ key: z.string(), value: z.string().optional().default("") });

export const clusterSchema = z.object({
  cluster_id: z.string().min(1),
  name: z.string(),
  state: z.string().min(1),
  region_id: z.string().min(1),
  current_version: z.string().optional(),
  tags: z.array(tag).nullish(),
});
export type AckCluster = z.output<typeof clusterSchema>;

export const clusterListSchema = z.object({
  clusters: z.array(clusterSchema),
  page_info: z.object({ page_number: count, page_size: count, total_count: count }),
});

export const nodePoolSchema = z.object({
  nodepool_info: z.object({ nodepool_id: z.string().min(1), name: z.string() }),
  status: z.object({
    state: z.string().min(1),
    total_nodes: count,
    healthy_nodes: count,
    removing_nodes: count.optional().default(0),
    failed_nodes: count.optional().default(0),
  }),
  auto_scaling: z
    .object({
      enable: z.boolean(),
      min_instances: count.optional().default(0),
      max_instances: count.optional().default(0),
    })
    .nullish(),
  scaling_group: z.object({ instance_charge_type: z.string().optional() }).nullish(),
});
export type AckNodePool = z.output<typeof nodePoolSchema>;

export const nodePoolListSchema = z.object({ nodepools: z.array(nodePoolSchema) });

export const nodeSchema = z.object({
  instance_id: z.string().min(1),
  node_name: z.string().min(1),
  nodepool_id: z.string().optional(),
  state: z.string().min(1),
  node_status: z.string().optional(),
  instance_role: z.string().optional(),
  creation_time: z.string().optional(),
});
export type AckNode = z.output<typeof nodeSchema>;

export const nodeListSchema = z.object({
  nodes: z.array(nodeSchema),
  page: z.object({ page_number: count, page_size: count, total_count: count }),
});

export const taskIdSchema = z.object({ task_id: z.string().min(1) });

export const kubeconfigSchema = z.object({
  config: z.string().min(1),
  expiration: z.string().optional(),
});

export const taskSchema = z.object({
  task_id: z.string().min(1),
  state: z.string().min(1),
  error: z.object({ code: z.string().optional(), message: z.string().optional() }).nullish(),
});

/** Both casings of the error body, and the ASAPI relay's own fields. */
const errorCode = z.union([z.string(), z.number().transform((n) => String(n))]).optional();

export const errorBodySchema = z.object({
  Code: errorCode,
  code: errorCode,
  Message: z.string().optional(),
  message: z.string().optional(),
  RequestId: z.string().optional(),
  requestId: z.string().optional(),
  request_id: z.string().optional(),
  asapiErrorCode: z.string().optional(),
  asapiErrorMessage: z.string().optional(),
  asapiRequestId: z.string().optional(),
});
