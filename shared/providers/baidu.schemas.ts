// What the Baidu CCE v2 API answers, as far as nightshift reads it (digest §2, §6; field names
// from the bce-sdk-go JSON tags). Unknown fields are tolerated (z.object strips them); a missing
// or malformed field that is read is an error naming the API and the field path.
import * as z from "zod";

const count = z.number().int().min(0);

export const clusterSchema = z.object({
  spec: z.object({
    clusterID: z.string().min(1),
    clusterName: z.string(),
    k8sVersion: z.string().optional(),
    /** Not in the documented example; BCE tags `{tagKey, tagValue}` when the service sends them. */
    tags: z.array(z.object({ tagKey: z.string(), tagValue: z.string().optional() })).nullish(),
  }),
  status: z.object({
    clusterPhase: z.string().min(1),
    nodeNum: count.optional(),
  }),
  createdAt: z.string().optional(),
});
export type BaiduCluster = z.infer<typeof clusterSchema>;

export const listClustersSchema = z.object({
  clusterPage: z.object({
    pageNo: count,
    pageSize: count,
    totalCount: count,
    clusterList: z.array(clusterSchema).nullable(),
  }),
  requestID: z.string().optional(),
});

export const getClusterSchema = z.object({ cluster: clusterSchema, requestID: z.string().optional() });

export const eventsSchema = z.object({
  status: z.string(),
  steps: z
    .array(
      z.object({
        stepName: z.string(),
        stepStatus: z.string(),
        ready: z.boolean().optional(),
        startTime: z.string().optional(),
        finishedTime: z.string().optional(),
        costSeconds: z.number().optional(),
        retryCount: z.number().optional(),
        errInfo: z.record(z.string(), z.unknown()).nullish(),
      }),
    )
    .nullable(),
  requestID: z.string().optional(),
});

const autoscalerSchema = z.object({
  enabled: z.boolean(),
  minReplicas: count,
  maxReplicas: count,
  scalingGroupPriority: z.number().int().optional(),
});

export const instanceGroupSchema = z.object({
  spec: z.object({
    cceInstanceGroupID: z.string().min(1),
    instanceGroupName: z.string(),
    replicas: count,
    clusterAutoscalerSpec: autoscalerSchema.nullish(),
  }),
  status: z.object({
    readyReplicas: count,
    undeliveredMachines: z
      .object({
        failedMachines: z.array(z.string()).nullish(),
        pendingMachines: z.array(z.string()).nullish(),
      })
      .nullish(),
    pause: z.object({ paused: z.boolean(), reason: z.string().optional() }).nullish(),
  }),
});
export type BaiduInstanceGroup = z.infer<typeof instanceGroupSchema>;

/** The instance-group pages and a group's instances page: `{page: {..., list}}`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    page: z.object({ pageNo: count, pageSize: count, totalCount: count, list: z.array(item).nullable() }),
    requestID: z.string().optional(),
  });
}

export const getInstanceGroupSchema = z.object({
  instanceGroup: instanceGroupSchema,
  requestID: z.string().optional(),
});

export const instanceSchema = z.object({
  spec: z.object({
    cceInstanceID: z.string().min(1),
    instanceName: z.string(),
    instanceGroupID: z.string().optional(),
  }),
  status: z.object({
    instancePhase: z.string().min(1),
    machine: z.object({ instanceID: z.string().optional(), vpcIP: z.string().optional() }).nullish(),
  }),
});
export type BaiduInstance = z.infer<typeof instanceSchema>;

/** The cluster's instances: `{instancePage: {..., instanceList}}` (a different page shape). */
export const clusterInstancesSchema = z.object({
  instancePage: z.object({
    pageNo: count,
    pageSize: count,
    totalCount: count,
    instanceList: z.array(instanceSchema).nullable(),
  }),
  requestID: z.string().optional(),
});

export const kubeconfigSchema = z.object({
  kubeConfigType: z.string().optional(),
  kubeConfig: z.string().min(1),
  requestID: z.string().optional(),
});

export const taskSchema = z.object({
  task: z.object({
    id: z.string().min(1),
    type: z.string().optional(),
    description: z.string().optional(),
    startTime: z.string().optional(),
    finishTime: z.string().optional(),
    phase: z.string().min(1),
    errMessage: z.string().optional(),
  }),
  requestID: z.string().optional(),
});

export const createTaskSchema = z.object({ taskID: z.string().min(1), requestID: z.string().optional() });

/** Bodies that carry nothing but the request id (PUT replicas, PUT autoscaler). */
export const emptySchema = z.object({ requestID: z.string().optional() });

/** BCE error body `{code, message, requestId}` (camel-case Id, unlike success bodies). */
export const errorSchema = z.object({
  code: z.string().optional(),
  message: z.string().optional(),
  requestId: z.string().optional(),
});
