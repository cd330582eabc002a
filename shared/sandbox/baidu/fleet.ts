// The simulated Baidu CCE fleet: the seed format (`POST /_sandbox/seed`) and the default fleet.
//
// Seed JSON (validated; unknown fields are refused so typos do not pass silently):
//
//   {
//     "accounts": [{ "name": "acme-bj", "accessKeyId": "...", "secretAccessKey": "...", "region": "bj" }],
//     "options": { "rejectReplicasWhileAutoscaling": true },          // optional, default true
//     "clusters": [{
//       "account": "acme-bj",                    // name of an account above; the cluster is in its region
//       "clusterName": "web-prod",
//       "clusterID": "cce-ab12cd34",             // optional, generated when absent
//       "k8sVersion": "1.28.8",                  // optional
//       "tags": { "env": "prod" },               // optional, served as spec.tags [{tagKey, tagValue}]
//       "phase": "running",                      // running | creating | create_failed (default running)
//       "createdAt": "2026-01-05T08:00:00Z",     // optional; a creating cluster's steps run from here
//       "publicAccess": true,                    // optional; false = no EIP (public kubeconfig refused)
//       "malformed": false,                      // optional test hook: served without status.clusterPhase
//       "instanceGroups": [{
//         "instanceGroupName": "default",
//         "instanceGroupID": "cce-ig-ab12cd34",  // optional
//         "replicas": 3,                         // all running (from the cluster's readiness when creating)
//         "autoscaler": { "enabled": true, "minReplicas": 1, "maxReplicas": 6, "scalingGroupPriority": 0 },
//         "paused": "reason",                    // optional: status.pause, replica changes refused
//         "failNewMachines": false,              // optional: nodes added later end create_failed
//         "malformed": false                     // optional test hook: served without status.readyReplicas
//       }]
//     }]
//   }
//
// Access keys are bound to one account and one region: the sandbox serves every region on one
// endpoint, so the key (not the host name) says which region a request is for.
import * as z from "zod";
import { clusterReadyAt, type IdSource, plannedInstances } from "./lifecycle.ts";
import type { BaiduState, ClusterRecord, InstanceGroupRecord } from "./state.ts";

const DAY = 86_400_000;

const accountSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and dashes"),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  region: z.string().regex(/^[a-z][a-z0-9-]*$/, "must be a Baidu region id such as bj, gz or su"),
});

const autoscalerSchema = z
  .strictObject({
    enabled: z.boolean(),
    minReplicas: z.int().min(0),
    maxReplicas: z.int().min(0),
    scalingGroupPriority: z.int().min(0).default(0),
  })
  .refine((a) => a.minReplicas <= a.maxReplicas, { message: "minReplicas must not exceed maxReplicas" });

const groupSchema = z.strictObject({
  instanceGroupName: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "must be lower-case letters, digits, dashes"),
  instanceGroupID: z
    .string()
    .regex(/^cce-ig-[a-z0-9]{8}$/, "must look like cce-ig-xxxxxxxx")
    .optional(),
  replicas: z.int().min(0).max(200),
  autoscaler: autoscalerSchema.optional(),
  paused: z.string().min(1).optional(),
  failNewMachines: z.boolean().default(false),
  malformed: z.boolean().default(false),
});

const clusterSchema = z.strictObject({
  account: z.string(),
  clusterName: z.string().min(1).max(64),
  clusterID: z
    .string()
    .regex(/^cce-[a-z0-9]{8}$/, "must look like cce-xxxxxxxx")
    .optional(),
  k8sVersion: z.string().min(1).default("1.28.8"),
  description: z.string().default(""),
  tags: z.record(z.string(), z.string()).default({}),
  phase: z.enum(["running", "creating", "create_failed"]).default("running"),
  createdAt: z.iso.datetime().optional(),
  publicAccess: z.boolean().default(true),
  malformed: z.boolean().default(false),
  instanceGroups: z.array(groupSchema).default([]),
});

export const fleetSchema = z
  .strictObject({
    accounts: z.array(accountSchema).min(1, "at least one account is needed"),
    options: z.strictObject({ rejectReplicasWhileAutoscaling: z.boolean().default(true) }).default({
      rejectReplicasWhileAutoscaling: true,
    }),
    clusters: z.array(clusterSchema).default([]),
  })
  .superRefine((fleet, ctx) => {
    const names = new Set<string>();
    const keys = new Set<string>();
    for (const [index, account] of fleet.accounts.entries()) {
      if (names.has(account.name))
        ctx.addIssue({ code: "custom", path: ["accounts", index, "name"], message: "is used twice" });
      if (keys.has(account.accessKeyId))
        ctx.addIssue({ code: "custom", path: ["accounts", index, "accessKeyId"], message: "is used twice" });
      names.add(account.name);
      keys.add(account.accessKeyId);
    }
    const ids = new Set<string>();
    for (const [index, cluster] of fleet.clusters.entries()) {
      if (!names.has(cluster.account)) {
        ctx.addIssue({
          code: "custom",
          path: ["clusters", index, "account"],
          message: `names no account (known: ${[...names].join(", ")})`,
        });
      }
      for (const id of [cluster.clusterID, ...cluster.instanceGroups.map((g) => g.instanceGroupID)]) {
        if (id === undefined) continue;
        if (ids.has(id))
          ctx.addIssue({ code: "custom", path: ["clusters", index], message: `id ${id} is used twice` });
        ids.add(id);
      }
    }
  });

export type FleetSeed = z.input<typeof fleetSchema>;

/** Parses a seed; the error names every field that is wrong. */
export function parseFleet(input: unknown): z.output<typeof fleetSchema> {
  const parsed = fleetSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    return `${path === "" ? "(fleet)" : path.slice(path.startsWith(".") ? 1 : 0)}: ${issue.message}`;
  });
  throw new Error(`invalid Baidu fleet: ${lines.join("; ")}`);
}

/** Ids and addresses drawn from the seeded random source. */
export function idSource(random: () => number): IdSource {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return {
    token: (length) =>
      Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""),
    privateIp: () => `192.168.${Math.floor(random() * 256)}.${2 + Math.floor(random() * 250)}`,
  };
}

/** Builds the state a seed describes, at simulated time `now`. */
export function buildFleet(input: unknown, now: number, random: () => number): BaiduState {
  const fleet = parseFleet(input);
  const ids = idSource(random);
  const regionOf = new Map(fleet.accounts.map((a) => [a.name, a.region]));
  const used = new Set<string>(
    fleet.clusters
      .flatMap((c) => [c.clusterID, ...c.instanceGroups.map((g) => g.instanceGroupID)])
      .filter((id): id is string => id !== undefined),
  );
  const fresh = (prefix: string) => {
    for (;;) {
      const id = `${prefix}${ids.token(8)}`;
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };

  const clusters = fleet.clusters.map((seed): ClusterRecord => {
    // A running cluster was created days ago; a creating one two minutes ago, unless given.
    const createdAt =
      seed.createdAt !== undefined
        ? Date.parse(seed.createdAt)
        : seed.phase === "creating"
          ? now - 120_000
          : now - (3 + Math.floor(random() * 200)) * DAY;
    const third = () => Math.floor(random() * 256);
    const cluster: ClusterRecord = {
      account: seed.account,
      region: regionOf.get(seed.account)!,
      clusterID: seed.clusterID ?? fresh("cce-"),
      clusterName: seed.clusterName,
      description: seed.description,
      k8sVersion: seed.k8sVersion,
      vpcID: `vpc-${ids.token(12)}`,
      vpcCIDR: "192.168.0.0/16",
      tags: seed.tags,
      createdAt,
      blb: {
        id: `lb-${ids.token(8)}`,
        vpcIP: `192.168.${third()}.${2 + Math.floor(random() * 250)}`,
        eip: seed.publicAccess ? `106.12.${third()}.${2 + Math.floor(random() * 250)}` : "",
        floatingIP: `100.64.${third()}.${2 + Math.floor(random() * 250)}`,
      },
      malformed: seed.malformed,
      instanceGroups: [],
    };
    if (seed.phase === "create_failed") {
      cluster.failAtStep = 4; // connecting to the API server
      if (seed.createdAt === undefined) cluster.createdAt = now - (1 + Math.floor(random() * 5)) * DAY;
    }
    const readyAt = clusterReadyAt(cluster);
    for (const groupSeed of seed.instanceGroups) {
      const group: InstanceGroupRecord = {
        cceInstanceGroupID: groupSeed.instanceGroupID ?? fresh("cce-ig-"),
        instanceGroupName: groupSeed.instanceGroupName,
        replicas: seed.phase === "create_failed" ? 0 : groupSeed.replicas,
        createdAt: cluster.createdAt,
        instanceType: "N5",
        cpu: 4,
        mem: 8,
        failNewMachines: groupSeed.failNewMachines,
        malformed: groupSeed.malformed,
        instances: [],
      };
      if (groupSeed.autoscaler) group.autoscaler = groupSeed.autoscaler;
      if (groupSeed.paused !== undefined) group.pausedReason = groupSeed.paused;
      if (seed.phase !== "create_failed") {
        // Seeded nodes are healthy; only nodes added later follow failNewMachines.
        const from = seed.phase === "creating" ? readyAt : cluster.createdAt;
        const instances = plannedInstances(
          cluster,
          { ...group, failNewMachines: false },
          group.replicas,
          cluster.createdAt,
          from,
          ids,
        );
        if (seed.phase === "running") {
          // Long running: the nodes joined right after creation, whatever the stagger says.
          for (const instance of instances) {
            instance.startAt = cluster.createdAt;
            instance.readyAt = cluster.createdAt;
          }
        }
        group.instances = instances;
      }
      cluster.instanceGroups.push(group);
    }
    return cluster;
  });

  return { accounts: fleet.accounts, clusters, tasks: [], options: fleet.options };
}

/**
 * The default fleet, drawn from the seeded random source: three accounts in three regions (bj,
 * gz, su), six clusters (four running, one being created, one create_failed), 1 to 6 nodes per
 * group, some groups with the cluster autoscaler on, tags for target selection.
 */
export function defaultFleet(random: () => number): FleetSeed {
  const hex = (length: number) =>
    Array.from({ length }, () => "0123456789abcdef"[Math.floor(random() * 16)]).join("");
  const size = () => 1 + Math.floor(random() * 6);
  const autoscaled = (replicas: number) => ({
    enabled: true,
    minReplicas: Math.max(1, replicas - 1),
    maxReplicas: Math.min(10, replicas + 3),
    scalingGroupPriority: 0,
  });
  const account = (name: string, region: string) => ({
    name,
    accessKeyId: hex(32),
    secretAccessKey: hex(32),
    region,
  });
  const webSize = size();
  const workersSize = size();
  return {
    accounts: [account("acme-bj", "bj"), account("acme-gz", "gz"), account("globex-su", "su")],
    options: { rejectReplicasWhileAutoscaling: true },
    clusters: [
      {
        account: "acme-bj",
        clusterName: "web-prod",
        tags: { env: "prod", team: "web" },
        instanceGroups: [
          { instanceGroupName: "default", replicas: webSize, autoscaler: autoscaled(webSize) },
          { instanceGroupName: "batch", replicas: size() },
        ],
      },
      {
        account: "acme-bj",
        clusterName: "web-staging",
        tags: { env: "staging", team: "web", nightshift: "sleep" },
        instanceGroups: [
          { instanceGroupName: "default", replicas: size() },
          { instanceGroupName: "gpu", replicas: 1 },
        ],
      },
      {
        account: "acme-gz",
        clusterName: "data-dev",
        k8sVersion: "1.26.9",
        tags: { env: "dev", team: "data", nightshift: "sleep" },
        instanceGroups: [
          { instanceGroupName: "workers", replicas: workersSize, autoscaler: autoscaled(workersSize) },
        ],
      },
      {
        account: "acme-gz",
        clusterName: "ml-sandbox",
        phase: "creating",
        tags: { env: "dev", team: "ml" },
        instanceGroups: [{ instanceGroupName: "default", replicas: size() }],
      },
      {
        account: "globex-su",
        clusterName: "analytics",
        tags: { env: "prod", team: "analytics" },
        instanceGroups: [
          { instanceGroupName: "default", replicas: size() },
          { instanceGroupName: "spot", replicas: size() },
        ],
      },
      {
        account: "globex-su",
        clusterName: "legacy-migration",
        phase: "create_failed",
        tags: { env: "test" },
      },
    ],
  };
}
