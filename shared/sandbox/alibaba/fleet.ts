// The Alibaba sandbox fleet: the JSON shape `POST /_sandbox/seed` takes (validated here), the
// seeded default fleet, and how a fleet becomes live state.
//
// Seed shape (every field but the names and sizes optional; ids are minted when left out):
//
//   {
//     "accounts": [{ "name": "ack-dev", "accessKeyId": "LTAI…", "secretAccessKey": "…",
//                    "region": "cn-hangzhou", "uid": "1234567890123456",
//                    "organizationId": "38", "resourceGroupId": "112" }],  // only Apsara Stack
//                                                  // accounts have these (and may use ASAPI)
//     "taskApi": true,               // serve GET /tasks/{id}; false = the API is missing (404)
//     "nodeQuota": 100,              // worker nodes per cluster
//     "throttleStatus": 429,         // 429 | 400 | 503: how a throttled answer comes back
//     "poolOpsScaleCluster": true,   // cluster reports `scaling` while a pool changes
//     "clusters": [{
//       "id": "c…", "account": "ack-dev", "region": "cn-hangzhou", "name": "dev-web",
//       "state": "running",          // any ACK cluster state
//       "settlesInMinutes": 45,      // updating/initial → running, deleting → deleted after this
//       "clusterType": "ManagedKubernetes" | "Kubernetes" (3 master nodes listed),
//       "version": "1.26.3-aliyun.1", "tags": { "env": "dev" }, "publicEndpoint": true,
//       "malformed": false,          // true: answered without `state` (malformed-response tests)
//       "nodePools": [{ "id": "np…", "name": "default-nodepool", "size": 3, "isDefault": true,
//                       "chargeType": "PostPaid" | "PrePaid", "scalingPolicy": "release" | "recycle",
//                       "instanceType": "ecs.g6.xlarge", "autoscaling": { "min": 1, "max": 6 },
//                       "labels": { "workload": "web" },
//                       "malformed": false }]   // true: answered without `status`
//     }]
//   }
import * as z from "zod";
import { ids } from "./ids.ts";
import {
  type AccountRecord,
  type AckState,
  CLUSTER_STATES,
  CLUSTER_UPGRADE_MINUTES,
  type ClusterRecord,
  DEFAULT_NODE_QUOTA,
  newNode,
  type PoolRecord,
} from "./state.ts";

const DAY_MS = 86_400_000;

const labelsSchema = z.record(z.string().min(1), z.string());

const poolSchema = z.object({
  id: z
    .string()
    .regex(/^np[0-9a-z]+$/, "a node pool id is `np` and lower-case letters/digits")
    .optional(),
  name: z.string().min(1),
  size: z.number().int().min(0).max(100),
  isDefault: z.boolean().optional(),
  chargeType: z.enum(["PostPaid", "PrePaid"]).default("PostPaid"),
  scalingPolicy: z.enum(["release", "recycle"]).default("release"),
  instanceType: z.string().min(1).default("ecs.g6.xlarge"),
  autoscaling: z
    .object({ min: z.number().int().min(0), max: z.number().int().min(1).max(1000) })
    .refine((b) => b.min <= b.max, "autoscaling.min must not exceed autoscaling.max")
    .optional(),
  labels: labelsSchema.default({}),
  malformed: z.boolean().default(false),
});

const clusterSchema = z.object({
  id: z
    .string()
    .regex(/^c[0-9a-z]+$/, "a cluster id is `c` and lower-case letters/digits")
    .optional(),
  account: z.string().min(1),
  region: z.string().min(1),
  name: z.string().min(1),
  state: z.enum(CLUSTER_STATES).default("running"),
  settlesInMinutes: z.number().positive().optional(),
  clusterType: z.enum(["ManagedKubernetes", "Kubernetes"]).default("ManagedKubernetes"),
  version: z.string().min(1).default("1.26.3-aliyun.1"),
  tags: labelsSchema.default({}),
  publicEndpoint: z.boolean().default(true),
  malformed: z.boolean().default(false),
  nodePools: z.array(poolSchema).default([]),
});

const accountSchema = z.object({
  name: z.string().min(1),
  accessKeyId: z.string().regex(/^[^\s:]+$/, "an AccessKey ID has no spaces or colons"),
  secretAccessKey: z.string().min(1),
  region: z.string().min(1),
  organizationId: z.string().regex(/^\d+$/, "an organization id is digits").optional(),
  resourceGroupId: z.string().regex(/^\d+$/, "a resource set id is digits").optional(),
  uid: z
    .string()
    .regex(/^\d{10,20}$/, "a UID is 10-20 digits")
    .optional(),
});

export const fleetSchema = z
  .object({
    accounts: z.array(accountSchema).min(1),
    taskApi: z.boolean().default(true),
    nodeQuota: z.number().int().min(1).max(5000).default(DEFAULT_NODE_QUOTA),
    throttleStatus: z.union([z.literal(429), z.literal(400), z.literal(503)]).default(429),
    poolOpsScaleCluster: z.boolean().default(true),
    clusters: z.array(clusterSchema).default([]),
  })
  .superRefine((fleet, ctx) => {
    const unique = (values: string[], path: (i: number) => (string | number)[], what: string) => {
      const seen = new Set<string>();
      values.forEach((value, i) => {
        if (seen.has(value))
          ctx.addIssue({ code: "custom", path: path(i), message: `${what} "${value}" twice` });
        seen.add(value);
      });
    };
    unique(
      fleet.accounts.map((a) => a.name),
      (i) => ["accounts", i, "name"],
      "account name",
    );
    unique(
      fleet.accounts.map((a) => a.accessKeyId),
      (i) => ["accounts", i, "accessKeyId"],
      "accessKeyId",
    );
    const names = new Set(fleet.accounts.map((a) => a.name));
    fleet.clusters.forEach((cluster, i) => {
      if (!names.has(cluster.account)) {
        ctx.addIssue({
          code: "custom",
          path: ["clusters", i, "account"],
          message: `names no account; known: ${[...names].join(", ")}`,
        });
      }
      if (cluster.nodePools.filter((p) => p.isDefault).length > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["clusters", i, "nodePools"],
          message: "more than one isDefault pool",
        });
      }
      unique(
        cluster.nodePools.flatMap((p) => (p.id ? [p.id] : [])),
        (j) => ["clusters", i, "nodePools", j, "id"],
        "node pool id",
      );
    });
    unique(
      fleet.clusters.flatMap((c) => (c.id ? [c.id] : [])),
      (i) => ["clusters", i, "id"],
      "cluster id",
    );
  });

export type FleetSpec = z.input<typeof fleetSchema>;
type Fleet = z.output<typeof fleetSchema>;

/** Validates a seed; the error names every bad field by its path. */
export function parseFleet(input: unknown): Fleet {
  const result = fleetSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path
      .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
      .join("");
    return `${path === "" ? "(fleet)" : path}: ${issue.message}`;
  });
  throw new Error(`alibaba fleet is invalid: ${problems.join("; ")}`);
}

/** Turns a validated fleet into live state, as it stands at `now`. */
export function buildState(fleet: Fleet, random: () => number, now: number): AckState {
  const accounts: AccountRecord[] = fleet.accounts.map((a) => ({
    name: a.name,
    accessKeyId: a.accessKeyId,
    secretAccessKey: a.secretAccessKey,
    region: a.region,
    uid: a.uid ?? ids.uid(random),
    ...(a.organizationId
      ? { apsara: { organizationId: a.organizationId, resourceGroupId: a.resourceGroupId ?? "1" } }
      : {}),
  }));
  const clusters = fleet.clusters.map((spec, index) => buildCluster(spec, index, random, now));
  return {
    accounts,
    options: {
      taskApi: fleet.taskApi,
      nodeQuota: fleet.nodeQuota,
      throttleStatus: fleet.throttleStatus,
      poolOpsScaleCluster: fleet.poolOpsScaleCluster,
    },
    clusters,
    tasks: new Map(),
    nonces: new Map(),
  };
}

function octet(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function buildCluster(
  spec: Fleet["clusters"][number],
  index: number,
  random: () => number,
  now: number,
): ClusterRecord {
  const created = now - octet(random, 20, 400) * DAY_MS - octet(random, 0, 86_399) * 1000;
  const subnet = (index * 4) % 250;
  const cluster: ClusterRecord = {
    id: spec.id ?? ids.cluster(random),
    account: spec.account,
    region: spec.region,
    name: spec.name,
    clusterType: spec.clusterType,
    state: spec.state,
    version: spec.version,
    tags: Object.entries(spec.tags).map(([key, value]) => ({ key, value })),
    created,
    updated: created + octet(random, 1, 15) * DAY_MS,
    vpcId: ids.vpc(random),
    vswitchId: ids.vswitch(random),
    securityGroupId: ids.securityGroup(random),
    zoneId: `${spec.region}-${"abcdefgh"[octet(random, 0, 7)]}`,
    intranetIp: `192.168.${subnet}.${octet(random, 200, 254)}`,
    subnet,
    nextHost: 0,
    pools: [],
    nodes: [],
    malformed: spec.malformed,
  };
  if (spec.publicEndpoint)
    cluster.publicIp = `47.${octet(random, 90, 120)}.${octet(random, 0, 255)}.${octet(random, 1, 254)}`;
  const settles = spec.settlesInMinutes ?? CLUSTER_UPGRADE_MINUTES;
  if (spec.state === "updating" || spec.state === "initial") {
    cluster.settles = { at: now + settles * 60_000, to: "running" };
  } else if (spec.state === "deleting") {
    cluster.settles = { at: now + settles * 60_000, to: "deleted" };
  }
  if (spec.clusterType === "Kubernetes") {
    for (let i = 0; i < 3; i++)
      cluster.nodes.push(newNode(cluster, undefined, random, created, created, "Master"));
  }
  const hasDefault = spec.nodePools.some((p) => p.isDefault);
  spec.nodePools.forEach((poolSpec, i) => {
    const pool = buildPool(poolSpec, cluster, hasDefault ? Boolean(poolSpec.isDefault) : i === 0, random);
    cluster.pools.push(pool);
    for (let n = 0; n < poolSpec.size; n++) {
      const joined = pool.created + octet(random, 5, 600) * 1000;
      cluster.nodes.push(newNode(cluster, pool, random, joined, joined));
    }
  });
  return cluster;
}

function buildPool(
  spec: Fleet["clusters"][number]["nodePools"][number],
  cluster: ClusterRecord,
  isDefault: boolean,
  random: () => number,
): PoolRecord {
  const created = cluster.created + octet(random, 1, 3600) * 1000;
  return {
    id: spec.id ?? ids.nodePool(random),
    name: spec.name,
    isDefault,
    created,
    nanos: octet(random, 0, 999_999),
    updated: created + octet(random, 60, 86_400) * 1000,
    autoScaling: spec.autoscaling
      ? {
          enable: true,
          min_instances: spec.autoscaling.min,
          max_instances: spec.autoscaling.max,
          type: "cpu",
        }
      : { enable: false, min_instances: 0, max_instances: 0, type: "cpu" },
    kubernetesConfig: {
      runtime: "containerd",
      runtime_version: "1.6.20",
      cpu_policy: "none",
      cms_enabled: false,
      unschedulable: false,
      labels: Object.entries(spec.labels).map(([key, value]) => ({ key, value })),
      taints: [],
    },
    scalingGroup: {
      scaling_group_id: ids.scalingGroup(random),
      instance_types: [spec.instanceType],
      vswitch_ids: [cluster.vswitchId],
      instance_charge_type: spec.chargeType,
      scaling_policy: spec.scalingPolicy,
      system_disk_category: "cloud_essd",
      system_disk_size: 120,
      image_id: "aliyun_3_x64_20G_alibase_20230727.vhd",
      platform: "AliyunLinux",
      security_group_id: cluster.securityGroupId,
      data_disks: [],
      tags: [],
    },
    teeEnable: false,
    updatingUntil: 0,
    malformed: spec.malformed,
  };
}

/**
 * The default fleet: two accounts (a public-cloud one and an Apsara Stack one reached through
 * ASAPI), three regions, six clusters: four running, one upgrading (`updating`, settles after
 * CLUSTER_UPGRADE_MINUTES), one `stopped`. Pools of 1-6 nodes, three with the autoscaler on, one
 * PrePaid (its nodes cannot be released). Keys and ids come from `random`, so a seed reproduces it.
 */
export function defaultFleet(random: () => number): FleetSpec {
  const dev = {
    name: "ack-dev",
    accessKeyId: ids.accessKeyId(random),
    secretAccessKey: ids.accessKeySecret(random),
    region: "cn-hangzhou",
  };
  const apsara = {
    name: "apsara-ops",
    accessKeyId: ids.accessKeyId(random),
    secretAccessKey: ids.accessKeySecret(random),
    region: "cn-qingdao-env17-d01",
    organizationId: "38",
    resourceGroupId: "112",
  };
  return {
    accounts: [dev, apsara],
    clusters: [
      {
        account: "ack-dev",
        region: "cn-hangzhou",
        name: "dev-web",
        tags: { env: "dev", team: "web", "nightshift/sleep": "weeknights" },
        nodePools: [
          { name: "default-nodepool", size: 3, labels: { workload: "web" } },
          { name: "batch", size: 2, autoscaling: { min: 1, max: 6 }, labels: { workload: "batch" } },
        ],
      },
      {
        account: "ack-dev",
        region: "cn-hangzhou",
        name: "qa-api",
        tags: { env: "qa", team: "api", "nightshift/sleep": "weeknights" },
        nodePools: [
          { name: "default-nodepool", size: 2 },
          { name: "spot-workers", size: 4, scalingPolicy: "recycle", instanceType: "ecs.c6.large" },
        ],
      },
      {
        account: "ack-dev",
        region: "cn-beijing",
        name: "staging-data",
        clusterType: "Kubernetes",
        tags: { env: "staging", team: "data" },
        nodePools: [
          { name: "default-nodepool", size: 3, chargeType: "PrePaid", instanceType: "ecs.r6.xlarge" },
          { name: "gpu", size: 1, autoscaling: { min: 0, max: 4 }, instanceType: "ecs.gn6i-c4g1.xlarge" },
        ],
      },
      {
        account: "ack-dev",
        region: "cn-beijing",
        name: "perf-lab",
        state: "updating",
        tags: { env: "perf", team: "platform" },
        nodePools: [{ name: "default-nodepool", size: 5 }],
      },
      {
        account: "apsara-ops",
        region: "cn-qingdao-env17-d01",
        name: "ops-tools",
        publicEndpoint: false,
        tags: { env: "prod", team: "ops" },
        nodePools: [
          { name: "default-nodepool", size: 2 },
          { name: "ci-runners", size: 6, autoscaling: { min: 2, max: 6 }, labels: { workload: "ci" } },
        ],
      },
      {
        account: "apsara-ops",
        region: "cn-wulan-env212-d01",
        name: "legacy-erp",
        state: "stopped",
        publicEndpoint: false,
        tags: { env: "test", team: "erp" },
        nodePools: [{ name: "default-nodepool", size: 1, chargeType: "PrePaid" }],
      },
    ],
  };
}
