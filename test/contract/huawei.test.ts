// Contract: the Huawei CCE client against the simulated CCE, on Node and inside workerd, through
// the real HTTP layer. The sandbox clock stands still (speed 0) and is advanced by hand; the
// client signs with the sandbox's time so its signatures are never "expired".
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpClient, type Fetch, type RetryPolicy } from "../../shared/http/client.ts";
import {
  createHuaweiProvider,
  type HuaweiCluster,
  type HuaweiProvider,
} from "../../shared/providers/huawei.ts";
import { ProviderError } from "../../shared/providers/port.ts";
import {
  AWAKE_SECONDS,
  HIBERNATE_SECONDS,
  JOB_INITIALIZING_SECONDS,
  NODE_CREATE_SECONDS,
  NODE_DELETE_SECONDS,
  NODE_STAGGER_SECONDS,
  POOL_DELETE_SECONDS,
} from "../../shared/sandbox/huawei/machine.ts";
import { signHuawei } from "../../shared/signer/huawei.ts";
import { newSandbox, type SandboxAccountInfo, type TestSandbox } from "../setup/sandbox.ts";

const DAY = 86_400_000;
// biome-ignore lint/suspicious/noExplicitAny: JSON answers and state views are inspected ad hoc here
type Json = any;
let sb: TestSandbox;
let simNow: Date;
/** The request log's last entry before the test: the test reads only its own requests. */
let logMark = 0;

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 7, start: "2026-03-02T09:00:00Z" });
});
afterAll(async () => {
  await sb.stop();
});
beforeEach(async () => {
  await sb.inspect("huawei", "POST", "reset");
  await sb.inspect("huawei", "PUT", "throttle", { ratePerSecond: 0 });
  simNow = new Date((await sb.inspect("huawei", "GET", "clock")).now);
  logMark = (await sb.inspect("huawei", "GET", "requests")).requests.at(-1)?.seq ?? 0;
});

async function advance(seconds: number): Promise<void> {
  simNow = new Date((await sb.inspect("huawei", "POST", "clock", { advanceSeconds: seconds })).now);
}

function accountNamed(name: string): SandboxAccountInfo {
  const account = sb.huawei.accounts.find((a) => a.name === name);
  if (!account) throw new Error(`no sandbox account ${name}`);
  return account;
}

const DEV = "platform-dev-cn-north-4";
const DEV_SG = "platform-dev-ap-southeast-1";
const QA = "qa-team-cn-north-4";

function provider(
  name = DEV,
  options: { secret?: string; retry?: Partial<RetryPolicy>; timeoutMs?: number; fetch?: Fetch } = {},
): HuaweiProvider {
  const account = accountNamed(name);
  const http = createHttpClient({
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    retry: { baseDelayMs: 5, maxDelayMs: 20, ...options.retry },
  });
  return createHuaweiProvider({
    account: {
      id: account.name,
      accessKeyId: account.accessKeyId,
      secretAccessKey: options.secret ?? account.secretAccessKey,
      region: account.region,
      projectId: account.projectId!,
      endpoint: sb.huawei.endpoint,
    },
    http,
    now: () => simNow,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}

/** A signed request outside the client, for what the client would never send. */
async function rawRequest(
  method: string,
  path: string,
  options: { body?: unknown; name?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Json }> {
  const account = accountNamed(options.name ?? DEV);
  const url = `${sb.huawei.endpoint}/api/v3/projects/${account.projectId}${path}`;
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const signed = await signHuawei(
    {
      method,
      url,
      headers: { "Content-Type": "application/json", ...options.headers },
      ...(body !== undefined ? { body } : {}),
    },
    { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
    { now: simNow },
  );
  const { Host: _host, ...headers } = signed.headers;
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function clusterNamed(p: HuaweiProvider, name: string): Promise<HuaweiCluster> {
  const cluster = (await p.listClusters()).find((c) => c.name === name);
  if (!cluster) throw new Error(`no cluster ${name}`);
  return cluster;
}

async function poolNamed(p: HuaweiProvider, clusterId: string, name: string) {
  const pool = (await p.listNodePools(clusterId)).find((x) => x.name === name);
  if (!pool) throw new Error(`no pool ${name}`);
  return pool;
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

async function sandboxState(): Promise<Json> {
  return (await sb.inspect("huawei", "GET", "state")).state;
}

async function requestLog(): Promise<
  Array<{ method: string; path: string; status: number; fault?: string }>
> {
  return (await sb.inspect("huawei", "GET", `requests?since=${logMark}`)).requests;
}

describe("clusters", () => {
  it("lists each project's clusters with phase, tags, version and Go timestamps read", async () => {
    const clusters = await provider(DEV).listClusters();
    expect(clusters.map((c) => [c.name, c.phase, c.vendorPhase])).toEqual([
      ["dev-core", "running", "Available"],
      ["dev-batch", "hibernated", "Hibernation"],
      ["staging-web", "busy", "Upgrading"],
    ]);
    const core = clusters[0]!;
    expect(core).toMatchObject({
      provider: "huawei",
      account: DEV,
      region: "cn-north-4",
      version: "v1.28",
      tags: { env: "dev", team: "platform", "nightshift/schedule": "office-hours" },
    });
    const recorded = (await sandboxState()).clusters.find((c: Json) => c.uid === core.id);
    expect(core.createdAt?.toISOString()).toBe(recorded.createdAt);
    expect(core.updatedAt?.toISOString()).toBe(recorded.updatedAt);
    expect(core.endpoints.map((e) => e.type)).toEqual(["Internal", "External"]);
    // The upgrading cluster names its job (`jobID`) and the job answers.
    const upgrading = clusters[2]!;
    expect(upgrading.jobId).toBeTruthy();
    const job = await provider(DEV).getJob(upgrading.jobId!);
    expect(job).toMatchObject({ type: "UpgradeCluster", phase: "running", vendorPhase: "Running" });

    expect((await provider(DEV_SG).listClusters()).map((c) => c.name)).toEqual(["sg-dev"]);
    expect((await provider(QA).listClusters()).map((c) => c.name)).toEqual(["qa-e2e", "qa-perf"]);
  });

  it("filters by status on the server side", async () => {
    const asleep = await provider(DEV).listClusters({ status: "Hibernation" });
    expect(asleep.map((c) => c.name)).toEqual(["dev-batch"]);
    expect(await provider(DEV).listClusters({ status: "Awaking" })).toEqual([]);
    expect((await requestLog()).at(-1)).toMatchObject({
      path: expect.stringMatching(/\/clusters$/),
      status: 200,
    });
  });

  it("shows one cluster, and answers an unknown one with 404 CCE.01404001 (CCE error shape)", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    expect(await p.getCluster(core.id)).toMatchObject({ id: core.id, name: "dev-core", phase: "running" });
    const error = await rejection(p.getCluster("00000000-0000-11ee-0000-0255ac000000"));
    expect(error).toMatchObject({
      kind: "not-found",
      status: 404,
      code: "CCE.01404001",
      api: "huawei.getCluster",
    });
    expect(error.message).toContain("Resource not found.");
    expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
    // Another account's cluster is not visible through this project.
    const qa = await clusterNamed(provider(QA), "qa-e2e");
    expect((await rejection(p.getCluster(qa.id))).kind).toBe("not-found");
  });

  it("refuses a wrong secret with 401 APIG.0301 (gateway error shape)", async () => {
    const error = await rejection(provider(DEV, { secret: "not-the-secret-key" }).listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 401, code: "APIG.0301" });
    expect(error.message).toContain("verify aksk signature fail");
    expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("sends X-Project-Id (signed), and the cloud refuses one that contradicts the path", async () => {
    const seen: Array<Record<string, string>> = [];
    const p = provider(DEV, {
      fetch: (input, init) => {
        seen.push(Object.fromEntries(new Headers(init.headers).entries()));
        return globalThis.fetch(input, init);
      },
    });
    await p.listClusters();
    const projectId = accountNamed(DEV).projectId!;
    expect(seen[0]?.["x-project-id"]).toBe(projectId);
    expect(seen[0]?.authorization).toMatch(/SignedHeaders=content-type;host;x-project-id;x-sdk-date,/);
    const mismatch = await rawRequest("GET", "/clusters", {
      headers: { "X-Project-Id": accountNamed(QA).projectId! },
    });
    expect(mismatch.status).toBe(403);
    expect(mismatch.json).toMatchObject({ errorCode: "CCE.01403001", error_code: "CCE.01403001" });
  });
});

describe("hibernate and awake", () => {
  it("goes Available → Hibernating → Hibernation → Awaking → Available, polled on status.phase", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    expect(await p.hibernate(core.id)).toEqual({
      kind: "cluster-phase",
      clusterId: core.id,
      until: "hibernated",
    });
    expect((await p.getCluster(core.id)).vendorPhase).toBe("Hibernating");
    // Asking again while it is on its way is success, not an error.
    expect(await p.hibernate(core.id)).toMatchObject({ until: "hibernated" });
    // Waking is refused while the hibernation is in flight: a locked resource (429 CCE.01429002).
    expect(await rejection(p.awake(core.id))).toMatchObject({
      kind: "conflict",
      status: 429,
      code: "CCE.01429002",
    });
    await advance(HIBERNATE_SECONDS - 1);
    expect((await p.getCluster(core.id)).vendorPhase).toBe("Hibernating");
    await advance(1);
    expect(await p.getCluster(core.id)).toMatchObject({ phase: "hibernated", vendorPhase: "Hibernation" });
    expect(await p.hibernate(core.id)).toMatchObject({ until: "hibernated" });

    expect(await p.awake(core.id)).toEqual({ kind: "cluster-phase", clusterId: core.id, until: "running" });
    expect((await p.getCluster(core.id)).phase).toBe("waking");
    expect(await rejection(p.hibernate(core.id))).toMatchObject({ kind: "conflict", code: "CCE.01429002" });
    await advance(AWAKE_SECONDS);
    expect(await p.getCluster(core.id)).toMatchObject({ phase: "running", vendorPhase: "Available" });
    expect(await p.awake(core.id)).toMatchObject({ until: "running" });
  });

  it("is locked while the cluster upgrades, and invalid on a broken cluster", async () => {
    const p = provider(DEV);
    const staging = await clusterNamed(p, "staging-web");
    expect(await rejection(p.hibernate(staging.id))).toMatchObject({
      kind: "conflict",
      status: 429,
      code: "CCE.01429002",
    });
    await sb.inspect("huawei", "POST", "seed", {
      accounts: [
        {
          ...accountNamed(DEV),
          name: "dev",
          projects: [{ region: "cn-north-4", projectId: accountNamed(DEV).projectId }],
        },
      ],
      clusters: [{ projectId: accountNamed(DEV).projectId, name: "broken", phase: "Unavailable" }],
    });
    const broken = await clusterNamed(p, "broken");
    expect(broken.phase).toBe("failed");
    const error = await rejection(p.hibernate(broken.id));
    expect(error).toMatchObject({ kind: "invalid", status: 400, code: "CCE.01400001" });
    expect(error.message).toContain("does not support hibernate");
  });

  it("refuses hibernate while a node pool is still scaling", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    const batch = await poolNamed(p, core.id, "batch");
    await p.resizeNodePool(core.id, batch.id, { desired: 0 });
    expect(await rejection(p.hibernate(core.id))).toMatchObject({ kind: "conflict", code: "CCE.01429002" });
    await advance(NODE_DELETE_SECONDS + 3 * NODE_STAGGER_SECONDS);
    expect((await p.getNodePool(core.id, batch.id)).phase).toBe("stable");
    expect(await p.hibernate(core.id)).toMatchObject({ kind: "cluster-phase" });
  });
});

describe("node pools", () => {
  it("lists custom pools only (the default pool stays hidden) with autoscaling read from omitempty JSON", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    const pools = await p.listNodePools(core.id);
    expect(pools.map((x) => x.name)).toEqual(["general", "batch"]);
    expect(pools[0]).toMatchObject({ autoscaling: { enabled: true, min: 1, max: 6 }, phase: "stable" });
    // A disabled autoscaler comes back as `{}`: read as off with zero bounds.
    expect(pools[1]).toMatchObject({ autoscaling: { enabled: false, min: 0, max: 0 }, phase: "stable" });
    expect(pools[1]!.ready).toBe(pools[1]!.desired);
    const raw = await rawRequest("GET", `/clusters/${core.id}/nodepools?showDefaultNodePool=true`);
    expect(raw.json.items.map((x: Json) => x.metadata.uid)).toContain("cn-north-4a#s6.large.2#EulerOS 2.9");
  });

  it("resizes by GET-modify-PUT: the pool converges node by node and keeps labels, taints and tags", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    const batch = await poolNamed(p, core.id, "batch");
    const from = batch.desired;
    const completion = await p.resizeNodePool(core.id, batch.id, { desired: from + 2 });
    expect(completion).toEqual({
      kind: "pool-size",
      clusterId: core.id,
      poolId: batch.id,
      desired: from + 2,
    });
    expect(await p.getNodePool(core.id, batch.id)).toMatchObject({
      desired: from + 2,
      ready: from,
      phase: "scaling",
    });
    const building = (await p.listNodes(core.id, batch.id)).filter((n) => !n.ready);
    expect(building.map((n) => n.vendorPhase)).toEqual(["Build", "Build"]);

    // A second resize while it converges: the pool is locked.
    expect(await rejection(p.resizeNodePool(core.id, batch.id, { desired: 1 }))).toMatchObject({
      kind: "conflict",
      status: 429,
      code: "CCE.01429002",
    });

    await advance(NODE_CREATE_SECONDS);
    expect((await p.getNodePool(core.id, batch.id)).ready).toBe(from + 1);
    await advance(NODE_STAGGER_SECONDS);
    expect(await p.getNodePool(core.id, batch.id)).toMatchObject({ ready: from + 2, phase: "stable" });

    const pool = (await sandboxState()).clusters
      .find((c: Json) => c.uid === core.id)
      .pools.find((x: Json) => x.uid === batch.id);
    expect(pool.template.taints).toEqual([{ key: "dedicated", value: "batch", effect: "NoSchedule" }]);
    expect(pool.template.k8sTags).toEqual({ workload: "batch" });
    expect(pool.template.login).toEqual({ sshKey: "KeyPair-dev-core" });
  });

  it("a naive PUT (only the count) would reset autoscaling and labels; the client's resize keeps them", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    const general = await poolNamed(p, core.id, "general");
    const target = general.desired === 1 ? 2 : general.desired - 1;
    await p.resizeNodePool(core.id, general.id, { desired: target });
    const kept = await p.getNodePool(core.id, general.id);
    expect(kept).toMatchObject({ desired: target, autoscaling: { enabled: true, min: 1, max: 6 } });
    const stateAfterClient = (await sandboxState()).clusters
      .find((c: Json) => c.uid === core.id)
      .pools.find((x: Json) => x.uid === general.id);
    expect(stateAfterClient.autoscaling).toEqual({
      enable: true,
      minNodeCount: 1,
      maxNodeCount: 6,
      scaleDownCooldownTime: 10,
      priority: 1,
    });
    expect(stateAfterClient.template.userTags).toEqual([{ key: "owner", value: "platform" }]);
    await advance(NODE_CREATE_SECONDS + 6 * NODE_STAGGER_SECONDS);

    const naive = await rawRequest("PUT", `/clusters/${core.id}/nodepools/${general.id}`, {
      body: {
        metadata: { name: "general" },
        spec: { initialNodeCount: 3, autoscaling: {}, nodeTemplate: {} },
      },
    });
    expect(naive.status).toBe(200);
    expect(naive.json.status.jobId).toBeUndefined();
    const lost = await p.getNodePool(core.id, general.id);
    expect(lost.autoscaling).toEqual({ enabled: false, min: 0, max: 0 });
    const stateAfterNaive = (await sandboxState()).clusters
      .find((c: Json) => c.uid === core.id)
      .pools.find((x: Json) => x.uid === general.id);
    expect(stateAfterNaive.template.k8sTags).toEqual({});
    expect(stateAfterNaive.template.userTags).toEqual([]);
  });

  it("refuses a size outside the autoscaler's bounds without sending a PUT", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    const general = await poolNamed(p, core.id, "general");
    const error = await rejection(p.resizeNodePool(core.id, general.id, { desired: 9 }));
    expect(error).toMatchObject({ kind: "invalid", api: "huawei.resizeNodePool" });
    expect(error.message).toContain("[1, 6]");
    expect((await requestLog()).filter((r) => r.method === "PUT")).toEqual([]);
    expect((await rejection(p.resizeNodePool(core.id, general.id, { desired: -1 }))).kind).toBe("invalid");
  });

  it("changes autoscaler bounds, bringing the target inside them and keeping cooldown and priority", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    const general = await poolNamed(p, core.id, "general");
    const completion = await p.setNodePoolAutoscaling(core.id, general.id, { enabled: true, min: 1, max: 1 });
    expect(completion).toEqual({ kind: "pool-size", clusterId: core.id, poolId: general.id, desired: 1 });
    expect(await p.getNodePool(core.id, general.id)).toMatchObject({
      desired: 1,
      autoscaling: { enabled: true, min: 1, max: 1 },
      phase: general.desired > 1 ? "scaling" : "stable",
    });
    await advance(NODE_DELETE_SECONDS + 6 * NODE_STAGGER_SECONDS);
    expect(await p.getNodePool(core.id, general.id)).toMatchObject({ ready: 1, phase: "stable" });
    const pool = (await sandboxState()).clusters
      .find((c: Json) => c.uid === core.id)
      .pools.find((x: Json) => x.uid === general.id);
    expect(pool.autoscaling).toMatchObject({ scaleDownCooldownTime: 10, priority: 1 });
    // Turning the autoscaler off keeps the size.
    expect(
      await p.setNodePoolAutoscaling(core.id, general.id, { enabled: false, min: 0, max: 0 }),
    ).toMatchObject({
      desired: 1,
    });
    expect((await p.getNodePool(core.id, general.id)).autoscaling?.enabled).toBe(false);
  });

  it("accepts pool updates only while the cluster is Available (hibernated: invalid; upgrading: locked)", async () => {
    const p = provider(DEV);
    const asleep = await clusterNamed(p, "dev-batch");
    const workers = await poolNamed(p, asleep.id, "workers");
    const refused = await rejection(p.resizeNodePool(asleep.id, workers.id, { desired: 2 }));
    expect(refused).toMatchObject({ kind: "invalid", status: 400, code: "CCE.01400001" });
    expect(refused.message).toContain("Hibernation");
    const staging = await clusterNamed(p, "staging-web");
    const web = await poolNamed(p, staging.id, "web");
    expect(await rejection(p.resizeNodePool(staging.id, web.id, { desired: web.desired }))).toMatchObject({
      kind: "conflict",
      code: "CCE.01429002",
    });
    // Once the upgrade is over (25 minutes in the default fleet) the pool may change.
    await advance(25 * 60);
    expect((await clusterNamed(p, "staging-web")).phase).toBe("running");
    expect(await p.resizeNodePool(staging.id, web.id, { desired: web.desired })).toMatchObject({
      kind: "pool-size",
    });
  });

  it("deletes a pool: the answer names its job as `jobId`, and the pool disappears", async () => {
    const p = provider(QA);
    const e2e = await clusterNamed(p, "qa-e2e");
    const browsers = await poolNamed(p, e2e.id, "browsers");
    const completion = await p.deleteNodePool(e2e.id, browsers.id);
    expect(completion.kind).toBe("job");
    const jobId = (completion as { jobId: string }).jobId;
    expect(await p.getNodePool(e2e.id, browsers.id)).toMatchObject({
      phase: "busy",
      vendorPhase: "Deleting",
    });
    const job = await p.getJob(jobId);
    expect(job).toMatchObject({ type: "DeleteNodePool", phase: "running", vendorPhase: "Initializing" });
    expect(job.subJobs.map((j) => j.type)).toEqual(Array(browsers.desired).fill("DeleteNode"));
    await advance(NODE_DELETE_SECONDS + 2 * NODE_STAGGER_SECONDS + POOL_DELETE_SECONDS);
    expect(await p.getJob(jobId)).toMatchObject({ phase: "succeeded", vendorPhase: "Success" });
    expect(await rejection(p.getNodePool(e2e.id, browsers.id))).toMatchObject({ kind: "not-found" });
  });
});

describe("nodes and jobs", () => {
  it("deletes a node: `jobID`, the pool shrinks; NoScaleDown keeps the size and replaces it", async () => {
    const p = provider(QA);
    const perf = await clusterNamed(p, "qa-perf");
    const load = await poolNamed(p, perf.id, "load");
    const nodes = await p.listNodes(perf.id, load.id);
    expect(nodes).toHaveLength(load.desired);
    expect(nodes.every((n) => n.ready && n.poolId === load.id && n.vendorPhase === "Active")).toBe(true);

    const first = await p.deleteNode(perf.id, nodes[0]!.id);
    expect(first.kind).toBe("job");
    const jobId = (first as { jobId: string }).jobId;
    expect(await p.getJob(jobId)).toMatchObject({
      phase: "running",
      vendorPhase: "Initializing",
      type: "DeleteNode",
    });
    await advance(JOB_INITIALIZING_SECONDS);
    expect((await p.getJob(jobId)).vendorPhase).toBe("Running");
    expect((await p.getNodePool(perf.id, load.id)).desired).toBe(load.desired - 1);

    await p.deleteNode(perf.id, nodes[1]!.id, { scaleDownPool: false });
    expect((await p.getNodePool(perf.id, load.id)).desired).toBe(load.desired - 1);
    const phases = (await p.listNodes(perf.id, load.id)).map((n) => n.vendorPhase).sort();
    expect(phases.filter((x) => x === "Deleting")).toHaveLength(2);
    expect(phases.filter((x) => x === "Build")).toHaveLength(1);

    await advance(NODE_CREATE_SECONDS);
    expect(await p.getJob(jobId)).toMatchObject({ phase: "succeeded" });
    expect(await p.getNodePool(perf.id, load.id)).toMatchObject({
      desired: load.desired - 1,
      ready: load.desired - 1,
      phase: "stable",
    });
    expect((await p.listNodes(perf.id)).map((n) => n.id)).not.toContain(nodes[0]!.id);
    expect(await rejection(p.getJob("00000000-0000-11ee-0000-0255ac000000"))).toMatchObject({
      kind: "not-found",
    });
  });
});

describe("cluster tags", () => {
  it("adds (upsert, idempotent) and removes tags (missing keys are fine), at most 20", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    await p.addClusterTags(core.id, { owner: "alice", env: "dev-2" });
    await p.addClusterTags(core.id, { owner: "alice" });
    expect((await p.getCluster(core.id)).tags).toMatchObject({
      owner: "alice",
      env: "dev-2",
      team: "platform",
    });
    await p.removeClusterTags(core.id, ["owner", "no-such-key"]);
    expect((await p.getCluster(core.id)).tags.owner).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: 18 }, (_, i) => [`k${i}`, "v"]));
    const error = await rejection(p.addClusterTags(core.id, many));
    expect(error).toMatchObject({ kind: "invalid", status: 400, code: "CCE.01400001" });
    expect(error.message).toContain("at most 20");
    expect(await rejection(p.addClusterTags(core.id, { _sys_x: "v" }))).toMatchObject({ kind: "invalid" });
  });
});

describe("clustercert", () => {
  it("issues a kubeconfig whose client certificate is valid exactly `duration` days", async () => {
    const p = provider(DEV);
    const core = await clusterNamed(p, "dev-core");
    const config = await p.issueKubeconfig(core.id, 30);
    expect(config.notBefore.toISOString()).toBe(
      new Date(Math.floor(simNow.getTime() / 1000) * 1000).toISOString(),
    );
    expect(config.notAfter.getTime() - config.notBefore.getTime()).toBe(30 * DAY);
    const json = JSON.parse(config.text);
    // With a public IP: externalCluster, insecure, and the external context current.
    expect(json["current-context"]).toBe("external");
    expect(config.server).toBe(core.endpoints.find((e) => e.type === "External")!.url);
    expect(json.clusters.map((c: Json) => c.name)).toEqual(["internalCluster", "externalCluster"]);
    expect(atob(json.users[0].user["client-key-data"])).toContain("BEGIN PRIVATE KEY");

    const max = await p.issueKubeconfig(core.id, -1);
    const fiveYears = new Date(max.notBefore);
    fiveYears.setUTCFullYear(fiveYears.getUTCFullYear() + 5);
    expect(max.notAfter.toISOString()).toBe(fiveYears.toISOString());

    const internalOnly = await p.issueKubeconfig((await clusterNamed(p, "staging-web")).id, 1);
    expect(JSON.parse(internalOnly.text)["current-context"]).toBe("internal");

    for (const bad of [0, 1828, -2, 1.5]) {
      expect(await rejection(p.issueKubeconfig(core.id, bad))).toMatchObject({
        kind: "invalid",
        status: 400,
        code: "CCE.01400001",
      });
    }
  });
});

describe("faults, throttling, timeouts, malformed answers", () => {
  it("waits out a gateway throttle (429 APIG.0308 + Retry-After) and succeeds", async () => {
    await sb.inspect("huawei", "PUT", "throttle", { ratePerSecond: 1 });
    const p = provider(DEV);
    await p.listClusters();
    const started = Date.now();
    expect(await p.listClusters()).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await requestLog()).map((r) => r.status)).toEqual([200, 429, 200]);
  });

  it("reports a throttle it cannot wait for with the code and Retry-After", async () => {
    await sb.inspect("huawei", "PUT", "throttle", { ratePerSecond: 1 });
    const p = provider(DEV, { retry: { attempts: 1 } });
    await p.listClusters();
    const error = await rejection(p.listClusters());
    expect(error).toMatchObject({ kind: "throttled", status: 429, code: "APIG.0308", retryAfterSeconds: 1 });
    expect(error.transient).toBe(true);
  });

  it("maps CCE's own throttle (429 CCE.02429001, combined error shape) to throttled", async () => {
    await sb.inspect("huawei", "PUT", "faults", { throttle: 1, retryAfterSeconds: 30 });
    const error = await rejection(provider(DEV, { retry: { maxRetryAfterMs: 1000 } }).listClusters());
    expect(error).toMatchObject({ kind: "throttled", code: "CCE.02429001", retryAfterSeconds: 30 });
  });

  it("retries an injected 5xx on a read and succeeds; never retries a non-idempotent delete", async () => {
    await sb.inspect("huawei", "PUT", "faults", { serverError: 1 });
    let failures = 0;
    const p = provider(DEV, {
      fetch: async (input, init) => {
        const response = await globalThis.fetch(input, init);
        if (response.status === 500 && ++failures === 1)
          await sb.inspect("huawei", "PUT", "faults", { serverError: 0 });
        return response;
      },
    });
    expect(await p.listClusters()).toHaveLength(3);
    expect((await requestLog()).map((r) => [r.status, r.fault ?? ""])).toEqual([
      [500, "server-error"],
      [200, ""],
    ]);

    const core = await clusterNamed(p, "dev-core");
    const node = (await p.listNodes(core.id))[0]!;
    await sb.inspect("huawei", "PUT", "faults", { serverError: 1 });
    const before = (await requestLog()).length;
    const error = await rejection(provider(DEV).deleteNode(core.id, node.id));
    expect(error).toMatchObject({ kind: "server", status: 500, code: "CCE.01500001" });
    expect((await requestLog()).length - before).toBe(1);
  });

  it("times out when the cloud does not answer", async () => {
    await sb.inspect("huawei", "PUT", "faults", { timeout: 1, timeoutMs: 600 });
    const error = await rejection(provider(DEV, { timeoutMs: 150, retry: { attempts: 2 } }).listClusters());
    expect(error).toMatchObject({ kind: "timeout", api: "huawei.listClusters" });
  });

  it("names the API and the field of a malformed answer (seeded flag, or the sandbox/malformed tag)", async () => {
    const dev = accountNamed(DEV);
    await sb.inspect("huawei", "POST", "seed", {
      accounts: [
        {
          name: "dev",
          accessKeyId: dev.accessKeyId,
          secretAccessKey: dev.secretAccessKey,
          projects: [{ region: "cn-north-4", projectId: dev.projectId }],
        },
      ],
      clusters: [
        {
          projectId: dev.projectId,
          id: "11111111-2222-11ee-3333-0255ac444444",
          name: "broken-phase",
          malformed: ["status.phase"],
          nodePools: [{ id: "pool-1", name: "p1", size: 1, malformed: ["metadata.uid"] }],
        },
        { projectId: dev.projectId, id: "55555555-2222-11ee-3333-0255ac444444", name: "fine" },
      ],
    });
    const p = provider(DEV);
    const error = await rejection(p.getCluster("11111111-2222-11ee-3333-0255ac444444"));
    expect(error.kind).toBe("malformed-response");
    expect(error.message).toMatch(/^huawei\.getCluster: response field status\.phase: /);
    expect(
      (await rejection(p.getNodePool("11111111-2222-11ee-3333-0255ac444444", "pool-1"))).message,
    ).toMatch(/^huawei\.getNodePool: response field metadata\.uid: /);
    expect((await rejection(p.listClusters())).message).toMatch(/response field items\.0\.status\.phase/);

    // Without the inspection API: a client can break its own cluster through the tags API.
    await p.addClusterTags("55555555-2222-11ee-3333-0255ac444444", { "sandbox/malformed": "metadata.uid" });
    expect((await rejection(p.getCluster("55555555-2222-11ee-3333-0255ac444444"))).message).toMatch(
      /response field metadata\.uid/,
    );
  });
});
