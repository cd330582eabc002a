// The Autopilot fleet: the JSON shape `POST /_sandbox/seed` takes, the seeded default fleet, and
// how either becomes the cloud's state. Times in the fleet are relative to the simulated clock at
// the moment it is loaded, so one fleet file means the same thing whenever it is seeded.
//
// Seed shape (every field not marked required has the default shown):
//
//   {
//     "accounts": [                                   required, 1+
//       { "name": "dev",                              required, unique
//         "accessKeyId": "…", "secretAccessKey": "…", required; the AK is unique
//         "projects": [ { "region": "cn-north-4", "projectId": "<32 hex>",            required, 1+
//                         "clusterQuota": 5 } ] }                       what GET …/quotas reports
//     ],
//     "clusters": [
//       { "project": "<projectId>",                   required: one of the accounts' projects
//         "name": "ap-dev-web",                       required: ^[a-z][a-z0-9-]{2,126}[a-z0-9]$, unique per project
//         "uid": "…",                                 minted (v1 UUID) when absent
//         "version": "v1.29",
//         "phase": "Available",                       Available | Creating | Upgrading | Deleting | Unavailable | Error | Frozen
//         "secondsLeft": <full duration>,             Creating / Upgrading / Deleting: until the transition ends
//         "upgradeTo": <next minor>,                  Upgrading only
//         "createFails": false,                       Creating only: ends in Error, its job Failed
//         "ageDays": 30,                              creationTimestamp is this long before now
//         "description": "",
//         "tags": { "env": "dev" },                   at most 20, keys not starting with _sys_
//         "omitFields": [],                           dotted paths left out of every API answer about
//                                                     this cluster, e.g. ["status.phase"]: the way to
//                                                     get a malformed response without /_sandbox faults
//         "workloads": [ { "namespace": "shop", "kind": "Deployment", "name": "web", "replicas": 3 } ] }
//     ]
//   }
import * as z from "zod";
import { seededRandom } from "../clock.ts";
import { randomHex, v1Uuid } from "./format.ts";
import { defaultWorkloadSpec } from "./kube/workloads.ts";
import {
  type AccountRecord,
  type AutopilotState,
  CLUSTER_PHASES,
  type ClusterRecord,
  CREATE_DURATION_MS,
  DELETE_DURATION_MS,
  JOB_INITIALIZING_MS,
  type JobRecord,
  UPGRADE_DURATION_MS,
  type WorkloadRecord,
} from "./state.ts";

/** Minted v1 ids carry a time from this year, not the load time: a reset mints the same ids. */
const ID_EPOCH = Date.UTC(2024, 0, 1);
const mintId = (random: () => number) => v1Uuid(random, ID_EPOCH + Math.floor(random() * 365 * 86_400_000));

const CLUSTER_NAME = /^[a-z][a-z0-9-]{2,126}[a-z0-9]$/;
const KUBE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const SUPPORTED_VERSIONS = ["v1.28", "v1.29", "v1.30", "v1.31"] as const;

const WorkloadSpec = z.strictObject({
  namespace: z.string().regex(KUBE_NAME, "must be a DNS label (lower case, digits, -)").max(63),
  kind: z.enum(["Deployment", "StatefulSet"]),
  name: z.string().regex(KUBE_NAME, "must be a DNS label (lower case, digits, -)").max(63),
  replicas: z.number().int().min(0).max(1000),
});

const ClusterSpec = z.strictObject({
  project: z.string().min(1),
  name: z.string().regex(CLUSTER_NAME, "must match ^[a-z][a-z0-9-]{2,126}[a-z0-9]$"),
  uid: z.string().min(1).optional(),
  version: z
    .string()
    .regex(/^v1\.\d+$/, 'must look like "v1.29"')
    .default("v1.29"),
  phase: z.enum(CLUSTER_PHASES).default("Available"),
  secondsLeft: z.number().positive().optional(),
  upgradeTo: z
    .string()
    .regex(/^v1\.\d+$/, 'must look like "v1.30"')
    .optional(),
  createFails: z.boolean().default(false),
  ageDays: z.number().min(0).default(30),
  description: z.string().max(200).default(""),
  tags: z
    .record(z.string().min(1).max(128), z.string().max(255))
    .default({})
    .refine((tags) => Object.keys(tags).length <= 20, "at most 20 tags per cluster")
    .refine(
      (tags) => Object.keys(tags).every((k) => !k.startsWith("_sys_")),
      "tag keys must not start with _sys_",
    ),
  omitFields: z.array(z.string().min(1)).default([]),
  workloads: z.array(WorkloadSpec).default([]),
});

const AccountSpec = z.strictObject({
  name: z.string().min(1),
  accessKeyId: z.string().regex(/^[\x21-\x2b\x2d-\x7e]+$/, "printable ASCII without spaces or commas"),
  secretAccessKey: z.string().min(1),
  projects: z
    .array(
      z.strictObject({
        region: z.string().min(1),
        projectId: z.string().regex(/^[0-9a-zA-Z-]+$/),
        clusterQuota: z.number().int().min(0).optional(),
      }),
    )
    .min(1),
});

export const FleetSchema = z.strictObject({
  accounts: z.array(AccountSpec).min(1),
  clusters: z.array(ClusterSpec).default([]),
});

export type FleetInput = z.input<typeof FleetSchema>;
export type Fleet = z.output<typeof FleetSchema>;

function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  return out || "(root)";
}

/** Validates a fleet; the error names every wrong field (`clusters[2].phase: …`). */
export function parseFleet(input: unknown): Fleet {
  const parsed = FleetSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
    throw new Error(`autopilot fleet is invalid: ${issues.join("; ")}`);
  }
  const fleet = parsed.data;
  const problems: string[] = [];
  const unique = (what: string, values: string[]) => {
    const seen = new Set<string>();
    for (const value of values) {
      if (seen.has(value)) problems.push(`${what} "${value}" appears twice`);
      seen.add(value);
    }
  };
  unique(
    "account name",
    fleet.accounts.map((a) => a.name),
  );
  unique(
    "accessKeyId",
    fleet.accounts.map((a) => a.accessKeyId),
  );
  const projects = fleet.accounts.flatMap((a) => a.projects.map((p) => p.projectId));
  unique("projectId", projects);
  unique(
    "cluster name in a project",
    fleet.clusters.map((c) => `${c.project}/${c.name}`),
  );
  unique(
    "cluster uid",
    fleet.clusters.flatMap((c) => (c.uid ? [c.uid] : [])),
  );
  fleet.clusters.forEach((cluster, i) => {
    if (!projects.includes(cluster.project)) {
      problems.push(`clusters[${i}].project: "${cluster.project}" is none of the accounts' projectIds`);
    }
    if (cluster.upgradeTo !== undefined && cluster.phase !== "Upgrading") {
      problems.push(`clusters[${i}].upgradeTo: only an Upgrading cluster has an upgrade target`);
    }
    if (cluster.createFails && cluster.phase !== "Creating") {
      problems.push(`clusters[${i}].createFails: only a Creating cluster can fail to create`);
    }
    if (cluster.secondsLeft !== undefined && !["Creating", "Upgrading", "Deleting"].includes(cluster.phase)) {
      problems.push(
        `clusters[${i}].secondsLeft: only Creating, Upgrading and Deleting clusters have a transition`,
      );
    }
    unique(
      `clusters[${i}] workload`,
      cluster.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}`),
    );
  });
  if (problems.length > 0) throw new Error(`autopilot fleet is invalid: ${problems.join("; ")}`);
  return fleet;
}

function nextMinor(version: string): string {
  const minor = Number(version.split(".")[1]);
  return `v1.${minor + 1}`;
}

/** Builds the cloud's state from a valid fleet, as of `now`. Ids not given come from `random`. */
export function buildState(fleet: Fleet, now: number, random: () => number): AutopilotState {
  const accounts: AccountRecord[] = fleet.accounts.map((a) => ({
    name: a.name,
    accessKeyId: a.accessKeyId,
    secretAccessKey: a.secretAccessKey,
    userId: randomHex(random, 32),
    projects: a.projects.map((p) => ({ ...p })),
  }));
  const regionOf = new Map(accounts.flatMap((a) => a.projects.map((p) => [p.projectId, p.region] as const)));
  const jobs: JobRecord[] = [];

  const clusters = fleet.clusters.map((spec): ClusterRecord => {
    const region = regionOf.get(spec.project) ?? "";
    const transitionFor = (full: number) => {
      const left = spec.secondsLeft === undefined ? full : spec.secondsLeft * 1000;
      return { startedAt: now - Math.max(0, full - left), endsAt: now + left };
    };
    // A cluster being created was created when its creation started.
    const createdAt =
      spec.phase === "Creating"
        ? transitionFor(CREATE_DURATION_MS).startedAt
        : now - Math.round(spec.ageDays * 86_400_000);
    const uid = spec.uid ?? mintId(random);
    let resourceVersion = 1000 + Math.floor(random() * 9000);
    const workloads = spec.workloads.map((w): WorkloadRecord => {
      resourceVersion += 1 + Math.floor(random() * 50);
      const born = createdAt + Math.floor(random() * Math.max(1, now - createdAt));
      return {
        ...w,
        uid: uuid4(random),
        createdAt: born,
        from: w.replicas,
        changedAt: born,
        generation: 1 + Math.floor(random() * 4),
        resourceVersion,
        labels: { app: w.name },
        annotations: {},
        spec: defaultWorkloadSpec(w.kind, w.name),
      };
    });
    const cluster: ClusterRecord = {
      uid,
      name: spec.name,
      projectId: spec.project,
      region,
      az: `${region}${"abc"[Math.floor(random() * 3)]}`,
      version: spec.version,
      platformVersion: `cce.${3 + Math.floor(random() * 5)}.0`,
      description: spec.description,
      vpcId: uuid4(random),
      subnetId: uuid4(random),
      eniSubnetId: uuid4(random),
      portId: uuid4(random),
      createdAt,
      updatedAt: createdAt,
      phase: spec.phase,
      tags: Object.entries(spec.tags).map(([key, value]) => ({ key, value })),
      omitFields: [...spec.omitFields],
      workloads,
      resourceVersion,
    };
    if (spec.phase === "Creating") {
      const t = { kind: "create" as const, ...transitionFor(CREATE_DURATION_MS) };
      const job = newJob(random, "CreateCluster", cluster, t.startedAt, t.endsAt, !spec.createFails);
      jobs.push(job);
      cluster.transition = { ...t, outcome: spec.createFails ? "Error" : "Available", jobId: job.uid };
      cluster.reason = "Creating";
      cluster.message = "The cluster is being created";
    } else if (spec.phase === "Upgrading") {
      const t = { kind: "upgrade" as const, ...transitionFor(UPGRADE_DURATION_MS) };
      cluster.transition = {
        ...t,
        outcome: "Available",
        targetVersion: spec.upgradeTo ?? nextMinor(spec.version),
      };
      cluster.updatedAt = t.startedAt;
      cluster.reason = "Upgrading";
      cluster.message = `Upgrading to ${cluster.transition.targetVersion}`;
    } else if (spec.phase === "Deleting") {
      const t = { kind: "delete" as const, ...transitionFor(DELETE_DURATION_MS) };
      const job = newJob(random, "DeleteCluster", cluster, t.startedAt, t.endsAt, true);
      jobs.push(job);
      cluster.transition = { ...t, outcome: "removed", jobId: job.uid };
      cluster.updatedAt = t.startedAt;
      cluster.reason = "Deleting";
      cluster.message = "The cluster is being deleted";
    } else if (spec.phase !== "Available") {
      cluster.reason = spec.phase;
      cluster.message =
        spec.phase === "Frozen"
          ? "The cluster is frozen because the account is in arrears"
          : "The control plane is not reachable; delete the cluster and create it again";
    }
    return cluster;
  });

  return { accounts, clusters, jobs, certificates: new Map() };
}

function uuid4(random: () => number): string {
  const h = randomHex(random, 32);
  const variant = "89ab"[Math.floor(random() * 4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function newJob(
  random: () => number,
  type: JobRecord["type"],
  cluster: ClusterRecord,
  createdAt: number,
  endsAt: number,
  succeeds: boolean,
): JobRecord {
  const span = endsAt - createdAt;
  const masterEnds = createdAt + Math.round(span * 0.7);
  const subJobs =
    type === "CreateCluster"
      ? [
          {
            uid: mintId(random),
            type: "InstallMaster",
            startsAt: createdAt + JOB_INITIALIZING_MS,
            endsAt: masterEnds,
          },
          { uid: mintId(random), type: "CreatePSMCert", startsAt: masterEnds, endsAt },
        ]
      : [];
  return {
    uid: mintId(random),
    projectId: cluster.projectId,
    type,
    clusterUid: cluster.uid,
    clusterName: cluster.name,
    createdAt,
    endsAt,
    outcome: succeeds ? "Success" : "Failed",
    reason: succeeds ? "" : "InstallMaster failed: no ENI could be allocated in the container subnet",
    subJobs,
  };
}

// ---------------------------------------------------------------------------------------------
// The default fleet

const AK_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SK_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const APP_NAMESPACES = ["shop", "payments", "search", "batch", "analytics", "frontend", "ci"];
const DEPLOYMENTS = ["web", "api", "worker", "gateway", "scheduler", "notifier", "auth", "frontend"];
const STATEFULSETS = ["postgres", "redis", "kafka", "elasticsearch", "zookeeper"];

function chars(random: () => number, alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

function pickDistinct<T>(random: () => number, from: readonly T[], count: number): T[] {
  const pool = [...from];
  const out: T[] = [];
  while (out.length < count && pool.length > 0)
    out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return out;
}

function defaultWorkloads(random: () => number): Array<z.input<typeof WorkloadSpec>> {
  const workloads: Array<z.input<typeof WorkloadSpec>> = [
    { namespace: "kube-system", kind: "Deployment", name: "coredns", replicas: 2 },
  ];
  for (const namespace of pickDistinct(random, APP_NAMESPACES, 2 + Math.floor(random() * 2))) {
    const count = 1 + Math.floor(random() * 3);
    const deployments = pickDistinct(random, DEPLOYMENTS, count);
    const statefulsets = pickDistinct(random, STATEFULSETS, count);
    for (let i = 0; i < count; i++) {
      const stateful = random() < 0.3;
      workloads.push({
        namespace,
        kind: stateful ? "StatefulSet" : "Deployment",
        name: stateful ? statefulsets[i]! : deployments[i]!,
        replicas: Math.floor(random() * 6),
      });
    }
  }
  return workloads;
}

/**
 * The seeded default fleet: two IAM users (dev with projects in cn-north-4 and cn-east-3, qa in
 * cn-south-1) and six clusters: four Available, one Upgrading (about 10 minutes left), one Creating
 * (its CreateCluster job running). Every cluster has workloads in 2-3 namespaces plus kube-system.
 */
export function defaultFleet(random: () => number): FleetInput {
  const project = (region: string) => ({ region, projectId: randomHex(random, 32) });
  const dev = {
    name: "dev",
    accessKeyId: chars(random, AK_ALPHABET, 20),
    secretAccessKey: chars(random, SK_ALPHABET, 40),
    projects: [project("cn-north-4"), project("cn-east-3")],
  };
  const qa = {
    name: "qa",
    accessKeyId: chars(random, AK_ALPHABET, 20),
    secretAccessKey: chars(random, SK_ALPHABET, 40),
    projects: [project("cn-south-1")],
  };
  const north = dev.projects[0]!;
  const east = dev.projects[1]!;
  const south = qa.projects[0]!;
  const version = () => SUPPORTED_VERSIONS[Math.floor(random() * 3)]!; // leaves room for an upgrade
  const age = () => 5 + Math.floor(random() * 200);
  const cluster = (
    projectId: string,
    name: string,
    tags: Record<string, string>,
    extra: Partial<z.input<typeof ClusterSpec>> = {},
  ): z.input<typeof ClusterSpec> => ({
    project: projectId,
    name,
    version: version(),
    ageDays: age(),
    tags,
    workloads: defaultWorkloads(random),
    ...extra,
  });
  return {
    accounts: [dev, qa],
    clusters: [
      cluster(north.projectId, "ap-dev-web", { env: "dev", team: "web", "nightshift/sleep": "weeknights" }),
      cluster(north.projectId, "ap-dev-data", { env: "dev", team: "data", "nightshift/sleep": "weeknights" }),
      cluster(
        east.projectId,
        "ap-staging",
        { env: "staging", team: "platform" },
        {
          phase: "Upgrading",
          secondsLeft: 540 + Math.floor(random() * 120),
        },
      ),
      cluster(
        east.projectId,
        "ap-preview",
        { env: "preview", team: "web" },
        {
          phase: "Creating",
          ageDays: 0,
          secondsLeft: 600,
          workloads: [{ namespace: "kube-system", kind: "Deployment", name: "coredns", replicas: 2 }],
        },
      ),
      cluster(south.projectId, "ap-qa-main", {
        env: "qa",
        team: "qa",
        "nightshift/sleep": "nights-and-weekends",
      }),
      cluster(south.projectId, "ap-qa-perf", { env: "qa", team: "perf" }),
    ],
  };
}

/** The default fleet for a cloud whose fleet seed is `seed`: the same every time. */
export function defaultFleetFor(seed: number): FleetInput {
  return defaultFleet(seededRandom(seed));
}
