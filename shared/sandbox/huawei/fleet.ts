// The fleet the simulated CCE starts with: a seeded default, or one given as JSON through
// `POST /_sandbox/seed`. The JSON shape (every field but names and sizes optional; ids are minted
// from the seed when left out):
//
// {
//   "options": { "clustercertWhileHibernated": true },
//   "accounts": [ { "name": "platform-dev", "accessKeyId": "AK...", "secretAccessKey": "SK...",
//                   "projects": [ { "region": "cn-north-4", "projectId": "<32 hex>" } ] } ],
//   "clusters": [ {
//     "projectId": "<one of the accounts' projects>", "id": "<uuid>", "name": "dev-core",
//     "flavor": "cce.s2.medium", "version": "v1.28", "description": "",
//     "phase": "Available",              // any CCE phase; transitional ones may end:
//     "phaseEndsInSeconds": 1500,        // -> Hibernation after Hibernating, else Available
//     "tags": { "env": "dev" },          // spec.clusterTags
//     "eip": "100.85.1.2",               // public API server address (externalCluster)
//     "malformed": ["status.phase"],     // field paths left out of this cluster's JSON
//     "nodePools": [ {
//       "id": "<uuid>", "name": "general", "size": 3,
//       "default": false,                // the hidden default pool (uid az#flavor#os)
//       "flavor": "s6.large.2", "az": "cn-north-4a", "os": "EulerOS 2.9", "billingMode": 0,
//       "autoscaling": { "enable": true, "minNodeCount": 1, "maxNodeCount": 6,
//                        "scaleDownCooldownTime": 10, "priority": 1 },
//       "k8sTags": { "workload": "web" }, "taints": [ { "key": "k", "value": "v", "effect": "NoSchedule" } ],
//       "userTags": [ { "key": "owner", "value": "platform" } ],
//       "malformed": ["status.currentNode"]
//     } ]
//   } ]
// }
//
// Seeded pools start converged: `size` Active nodes, target `size`.

import * as z from "zod";
import {
  accessKeyId,
  between,
  hex32,
  privateIp,
  publicIp,
  type Random,
  secretAccessKey,
  suffix,
  uuid,
} from "./ids.ts";
import { HIBERNATE_SECONDS } from "./machine.ts";
import {
  CLUSTER_PHASES,
  type ClusterRecord,
  type HuaweiState,
  type JobRecord,
  type NodeRecord,
  type PoolRecord,
} from "./model.ts";

const name = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,48}[a-z0-9]$|^[a-z]$/,
    "lower-case letters, digits and -, starting with a letter",
  );
const count = z.number().int().min(0);

const autoscalingSchema = z.object({
  enable: z.boolean().default(false),
  minNodeCount: count.default(0),
  maxNodeCount: count.default(0),
  scaleDownCooldownTime: count.default(0),
  priority: z.number().int().default(0),
});

const tagList = z.array(z.object({ key: z.string().min(1), value: z.string() }));

const poolSchema = z.object({
  id: z.string().min(1).optional(),
  name,
  size: count.max(2000),
  default: z.boolean().default(false),
  flavor: z.string().min(1).default("s6.large.2"),
  az: z.string().min(1).optional(),
  os: z.string().min(1).default("EulerOS 2.9"),
  billingMode: z.union([z.literal(0), z.literal(1)]).default(0),
  autoscaling: autoscalingSchema.optional(),
  k8sTags: z.record(z.string(), z.string()).default({}),
  taints: z
    .array(
      z.object({
        key: z.string().min(1),
        value: z.string().optional(),
        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
      }),
    )
    .default([]),
  userTags: tagList.default([]),
  malformed: z.array(z.string().min(1)).default([]),
});

const clusterSchema = z.object({
  projectId: z.string().min(1),
  id: z.string().min(1).optional(),
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{2,126}[a-z0-9]$/, "4-128 of a-z, 0-9 and -, starting with a letter"),
  flavor: z.string().min(1).default("cce.s2.medium"),
  version: z.string().min(1).default("v1.28"),
  description: z.string().default(""),
  phase: z.enum(CLUSTER_PHASES).default("Available"),
  phaseEndsInSeconds: z.number().positive().optional(),
  tags: z.record(z.string(), z.string()).default({}),
  eip: z.string().min(1).optional(),
  malformed: z.array(z.string().min(1)).default([]),
  nodePools: z.array(poolSchema).default([]),
});

export const fleetSchema = z.object({
  options: z.object({ clustercertWhileHibernated: z.boolean().default(true) }).default({
    clustercertWhileHibernated: true,
  }),
  accounts: z
    .array(
      z.object({
        name: z.string().min(1),
        accessKeyId: z.string().regex(/^[A-Za-z0-9]{8,64}$/, "8-64 letters and digits"),
        secretAccessKey: z.string().min(8),
        projects: z.array(z.object({ region: z.string().min(1), projectId: z.string().min(1) })).min(1),
      }),
    )
    .min(1),
  clusters: z.array(clusterSchema),
});

export type FleetSpec = z.input<typeof fleetSchema>;
type ParsedFleet = z.output<typeof fleetSchema>;

/** Validates a fleet given as JSON; the error names each bad field by its path. */
export function parseFleet(json: unknown): ParsedFleet {
  const result = fleetSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new Error(`huawei fleet is invalid: ${problems.join("; ")}`);
  }
  const fleet = result.data;
  const projects = new Set(fleet.accounts.flatMap((a) => a.projects.map((p) => p.projectId)));
  const keys = new Map<string, string>();
  const problems: string[] = [];
  for (const account of fleet.accounts) {
    const previous = keys.get(account.accessKeyId);
    if (previous !== undefined && previous !== account.secretAccessKey) {
      problems.push(`accounts: access key ${account.accessKeyId} is given twice with different secrets`);
    }
    keys.set(account.accessKeyId, account.secretAccessKey);
  }
  const clusterIds = new Set<string>();
  fleet.clusters.forEach((cluster, i) => {
    if (!projects.has(cluster.projectId)) {
      problems.push(`clusters.${i}.projectId: ${cluster.projectId} is not a project of any account`);
    }
    if (cluster.id !== undefined) {
      if (clusterIds.has(cluster.id)) problems.push(`clusters.${i}.id: ${cluster.id} is used twice`);
      clusterIds.add(cluster.id);
    }
    const poolNames = new Set<string>();
    cluster.nodePools.forEach((pool, j) => {
      if (poolNames.has(pool.name))
        problems.push(`clusters.${i}.nodePools.${j}.name: ${pool.name} is used twice`);
      poolNames.add(pool.name);
      const scaling = pool.autoscaling;
      if (scaling?.enable && (pool.size < scaling.minNodeCount || pool.size > scaling.maxNodeCount)) {
        problems.push(
          `clusters.${i}.nodePools.${j}.size: ${pool.size} is outside autoscaling [${scaling.minNodeCount}, ${scaling.maxNodeCount}]`,
        );
      }
      if (scaling?.enable && pool.billingMode !== 0) {
        problems.push(
          `clusters.${i}.nodePools.${j}.autoscaling: only pay-per-use pools (billingMode 0) autoscale`,
        );
      }
    });
    if (cluster.nodePools.filter((p) => p.default).length > 1) {
      problems.push(`clusters.${i}.nodePools: at most one default pool`);
    }
  });
  if (problems.length > 0) throw new Error(`huawei fleet is invalid: ${problems.join("; ")}`);
  return fleet;
}

// ---------------------------------------------------------------------------------------------
// The default fleet

/**
 * Two accounts, two regions (platform-dev in cn-north-4 and ap-southeast-1, qa-team in
 * cn-north-4), six clusters: mostly Available, one hibernated, one upgrading; pools of 1-6 nodes,
 * some autoscaling, one yearly/monthly; tags for target selection (env, team, nightshift/schedule).
 */
export function defaultFleet(random: Random): FleetSpec {
  const dev = { north: hex32(random), sg: hex32(random) };
  const qa = hex32(random);
  const size = (min: number, max: number) => between(random, min, max);
  const zone = (region: string) => `${region}a`;
  return {
    options: { clustercertWhileHibernated: true },
    accounts: [
      {
        name: "platform-dev",
        accessKeyId: accessKeyId(random),
        secretAccessKey: secretAccessKey(random),
        projects: [
          { region: "cn-north-4", projectId: dev.north },
          { region: "ap-southeast-1", projectId: dev.sg },
        ],
      },
      {
        name: "qa-team",
        accessKeyId: accessKeyId(random),
        secretAccessKey: secretAccessKey(random),
        projects: [{ region: "cn-north-4", projectId: qa }],
      },
    ],
    clusters: [
      {
        projectId: dev.north,
        id: uuid(random),
        name: "dev-core",
        flavor: "cce.s2.medium",
        version: "v1.28",
        description: "shared development cluster",
        tags: { env: "dev", team: "platform", "nightshift/schedule": "office-hours" },
        eip: publicIp(random),
        nodePools: [
          {
            id: uuid(random),
            name: "general",
            size: size(2, 4),
            az: zone("cn-north-4"),
            autoscaling: {
              enable: true,
              minNodeCount: 1,
              maxNodeCount: 6,
              scaleDownCooldownTime: 10,
              priority: 1,
            },
            k8sTags: { workload: "general" },
            userTags: [{ key: "owner", value: "platform" }],
          },
          {
            id: uuid(random),
            name: "batch",
            size: size(1, 3),
            flavor: "c7.xlarge.2",
            az: zone("cn-north-4"),
            k8sTags: { workload: "batch" },
            taints: [{ key: "dedicated", value: "batch", effect: "NoSchedule" }],
          },
          { name: "default-pool", size: 1, default: true, az: zone("cn-north-4") },
        ],
      },
      {
        projectId: dev.north,
        id: uuid(random),
        name: "dev-batch",
        flavor: "cce.s1.small",
        version: "v1.27",
        description: "nightly batch experiments",
        phase: "Hibernation",
        tags: { env: "dev", team: "data", "nightshift/schedule": "office-hours" },
        nodePools: [{ id: uuid(random), name: "workers", size: 1, az: zone("cn-north-4") }],
      },
      {
        projectId: dev.north,
        id: uuid(random),
        name: "staging-web",
        flavor: "cce.s2.medium",
        version: "v1.28",
        description: "staging for the web shop",
        phase: "Upgrading",
        phaseEndsInSeconds: 25 * 60,
        tags: { env: "staging", team: "web" },
        nodePools: [
          {
            id: uuid(random),
            name: "web",
            size: size(3, 5),
            az: zone("cn-north-4"),
            autoscaling: {
              enable: true,
              minNodeCount: 2,
              maxNodeCount: 8,
              scaleDownCooldownTime: 15,
              priority: 0,
            },
          },
        ],
      },
      {
        projectId: dev.sg,
        id: uuid(random),
        name: "sg-dev",
        flavor: "cce.s1.medium",
        version: "v1.29",
        description: "development, Singapore",
        tags: { env: "dev", team: "platform", "nightshift/schedule": "office-hours" },
        nodePools: [{ id: uuid(random), name: "general", size: size(1, 3), az: zone("ap-southeast-1") }],
      },
      {
        projectId: qa,
        id: uuid(random),
        name: "qa-e2e",
        flavor: "cce.s2.small",
        version: "v1.28",
        description: "end-to-end test runners",
        tags: { env: "qa", team: "qa", "nightshift/schedule": "weeknights" },
        eip: publicIp(random),
        nodePools: [
          {
            id: uuid(random),
            name: "runners",
            size: size(2, 5),
            az: zone("cn-north-4"),
            autoscaling: {
              enable: true,
              minNodeCount: 0,
              maxNodeCount: 6,
              scaleDownCooldownTime: 10,
              priority: 2,
            },
            k8sTags: { workload: "ci" },
          },
          {
            id: uuid(random),
            name: "browsers",
            size: size(1, 2),
            az: zone("cn-north-4"),
            billingMode: 1,
            k8sTags: { workload: "browsers" },
          },
        ],
      },
      {
        projectId: qa,
        id: uuid(random),
        name: "qa-perf",
        flavor: "cce.s1.small",
        version: "v1.28",
        description: "load tests",
        tags: { env: "perf", team: "qa" },
        nodePools: [
          {
            id: uuid(random),
            name: "load",
            size: size(4, 6),
            flavor: "c7.2xlarge.2",
            az: zone("cn-north-4"),
          },
        ],
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Fleet JSON -> state

const DAY = 86_400_000;

/** Builds the state a fleet describes, as of `now`; ids left out are minted from `random`. */
export function buildState(json: unknown, now: number, random: Random): HuaweiState {
  const fleet = parseFleet(json);
  const state: HuaweiState = {
    options: { ...fleet.options },
    accounts: fleet.accounts.map((a) => ({ ...a, projects: a.projects.map((p) => ({ ...p })) })),
    clusters: [],
    jobs: [],
  };
  const regionOf = new Map(fleet.accounts.flatMap((a) => a.projects.map((p) => [p.projectId, p.region])));
  fleet.clusters.forEach((spec, index) => {
    const createdAt = now - (30 + index * 7) * DAY;
    const region = regionOf.get(spec.projectId) ?? "cn-north-4";
    const cluster: ClusterRecord = {
      projectId: spec.projectId,
      uid: spec.id ?? uuid(random),
      name: spec.name,
      flavor: spec.flavor,
      version: spec.version,
      description: spec.description,
      createdAt,
      updatedAt: now - DAY,
      phase: spec.phase,
      tags: Object.entries(spec.tags).map(([key, value]) => ({ key, value })),
      internalIp: privateIp(random),
      portId: uuid(random),
      vpcId: uuid(random),
      subnetId: uuid(random),
      pools: [],
      nodes: [],
      malformed: [...spec.malformed],
    };
    if (spec.eip !== undefined) cluster.eip = spec.eip;
    if (spec.phaseEndsInSeconds !== undefined) {
      cluster.phaseUntil = now + spec.phaseEndsInSeconds * 1000;
    } else if (spec.phase === "Hibernating") {
      cluster.phaseUntil = now + HIBERNATE_SECONDS * 1000;
    }
    if (spec.phase === "Upgrading" || spec.phase === "Creating" || spec.phase === "Deleting") {
      const job: JobRecord = {
        uid: uuid(random),
        type: { Upgrading: "UpgradeCluster", Creating: "CreateCluster", Deleting: "DeleteCluster" }[
          spec.phase
        ],
        clusterUid: cluster.uid,
        resourceId: cluster.uid,
        resourceName: cluster.name,
        createdAt: now - 5 * 60_000,
        endsAt: cluster.phaseUntil ?? Number.MAX_SAFE_INTEGER,
        extendParam: {},
        subJobIds: [],
      };
      state.jobs.push(job);
      cluster.jobId = job.uid;
    }
    for (const poolSpec of spec.nodePools) {
      const az = poolSpec.az ?? `${region}a`;
      const uid = poolSpec.default
        ? `${az}#${poolSpec.flavor}#${poolSpec.os}`
        : (poolSpec.id ?? uuid(random));
      const pool: PoolRecord = {
        uid,
        name: poolSpec.default ? uid : poolSpec.name,
        isDefault: poolSpec.default,
        createdAt: createdAt + 3_600_000,
        updatedAt: now - 2 * DAY,
        initialNodeCount: poolSpec.size,
        autoscaling: autoscalingSchema.parse(poolSpec.autoscaling ?? {}),
        template: {
          flavor: poolSpec.flavor,
          az,
          os: poolSpec.os,
          login: { sshKey: `KeyPair-${spec.name}` },
          rootVolume: { volumetype: "SAS", size: 40 },
          dataVolumes: [{ volumetype: "SAS", size: 100 }],
          billingMode: poolSpec.billingMode,
          maxPods: 110,
          k8sTags: { ...poolSpec.k8sTags },
          taints: poolSpec.taints.map((t) => ({ ...t })),
          userTags: poolSpec.userTags.map((t) => ({ ...t })),
        },
        malformed: [...poolSpec.malformed],
      };
      cluster.pools.push(pool);
      for (let i = 0; i < poolSpec.size; i++) {
        const node: NodeRecord = {
          uid: uuid(random),
          name: `${poolSpec.name}-${suffix(random)}`,
          poolId: uid,
          phase: "Active",
          createdAt: pool.createdAt + i * 60_000,
          updatedAt: pool.createdAt + i * 60_000,
          serverId: uuid(random),
          privateIP: privateIp(random),
        };
        cluster.nodes.push(node);
      }
    }
    state.clusters.push(cluster);
  });
  return state;
}
