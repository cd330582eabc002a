// Contract: every Alibaba ACK client operation against the sandbox cloud, public form and ASAPI
// form, happy and unhappy paths. Runs on Node and inside workerd.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpClient, type HttpClient } from "../../shared/http/client.ts";
import {
  type AlibabaProvider,
  type AlibabaProviderOptions,
  clusterPhase,
  createAlibabaProvider,
  errorKind,
  readVendorError,
  removalOrder,
} from "../../shared/providers/alibaba.ts";
import { ProviderError } from "../../shared/providers/port.ts";
import { signAlibaba } from "../../shared/signer/alibaba.ts";
import { newSandbox, type SandboxAccountInfo, type TestSandbox } from "../setup/sandbox.ts";

const START = Date.parse("2025-03-03T01:00:00Z");
// The durations the sandbox documents (shared/sandbox/alibaba/state.ts).
const NODE_JOIN_SECONDS = 150;
const NODE_REMOVE_SECONDS = 60;
const NODE_DRAIN_SECONDS = 90;
const POOL_UPDATE_SECONDS = 120;

let sb: TestSandbox;
let simMs = START;
let nonceCounter = 0;
let sleeps: number[] = [];
/** Runs between attempts instead of waiting (tests use it to end a fault after the first try). */
let onSleep: () => Promise<void> = async () => {};

async function advance(seconds: number): Promise<void> {
  await sb.inspect("alibaba", "POST", "clock", { advanceSeconds: seconds });
  simMs += seconds * 1000;
}

function httpClient(): HttpClient {
  return createHttpClient({
    fetch: (url, init) => fetch(url, init),
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      await onSleep();
    },
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
  });
}

function account(name: string): SandboxAccountInfo {
  const found = sb.alibaba.accounts.find((a) => a.name === name);
  if (!found) throw new Error(`no sandbox account ${name}`);
  return found;
}

function provider(
  name = "ack-dev",
  extra: Partial<AlibabaProviderOptions> & { secret?: string } = {},
): AlibabaProvider {
  const a = account(name);
  const { secret, ...rest } = extra;
  return createAlibabaProvider({
    account: {
      id: a.name,
      accessKeyId: a.accessKeyId,
      secretAccessKey: secret ?? a.secretAccessKey,
      region: a.region,
      endpoint: sb.alibaba.endpoint,
    },
    http: httpClient(),
    now: () => new Date(simMs),
    nonce: () => `contract-nonce-${++nonceCounter}`,
    ...rest,
  });
}

function asapiProvider(extra: Partial<AlibabaProviderOptions> = {}): AlibabaProvider {
  const a = account("apsara-ops");
  return provider("apsara-ops", {
    asapi: { organizationId: a.organizationId!, resourceGroupId: "112" },
    ...extra,
  });
}

interface StateCluster {
  cluster_id: string;
  name: string;
  account: string;
  nodepools: Array<{
    nodepool_info: { nodepool_id: string; name: string };
    status: Record<string, number | string>;
  }>;
  nodes: Array<{ node_name: string; nodepool_id: string; state: string; instance_role: string }>;
}

async function fleetState(): Promise<{ clusters: StateCluster[]; tasks: Array<Record<string, unknown>> }> {
  return (await sb.inspect("alibaba", "GET", "state")).state;
}

async function cluster(name: string): Promise<StateCluster> {
  const found = (await fleetState()).clusters.find((c) => c.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
}

async function ids(clusterName: string, poolName: string): Promise<[string, string]> {
  const c = await cluster(clusterName);
  const pool = c.nodepools.find((p) => p.nodepool_info.name === poolName);
  if (!pool) throw new Error(`no pool ${poolName} in ${clusterName}`);
  return [c.cluster_id, pool.nodepool_info.nodepool_id];
}

async function requestsSince(
  seq: number,
): Promise<
  Array<{ seq: number; method: string; path: string; status: number; query: string; fault?: string }>
> {
  return (await sb.inspect("alibaba", "GET", `requests?since=${seq}`)).requests;
}

async function lastSeq(): Promise<number> {
  const all = await requestsSince(0);
  return all.length === 0 ? 0 : all[all.length - 1]!.seq;
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("expected a ProviderError, the call succeeded");
}

/** A request signed with our signer, sent raw (for what the client never sends). */
async function rawRequest(
  method: string,
  path: string,
  options: { accept?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const a = account("ack-dev");
  const signed = await signAlibaba(
    {
      method,
      url: `${sb.alibaba.endpoint}${path}`,
      headers: { Accept: options.accept ?? "application/json", ...options.headers },
      ...(options.body !== undefined ? { body: options.body } : {}),
    },
    { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey },
    { now: new Date(simMs), nonce: () => `raw-nonce-${++nonceCounter}` },
  );
  return fetch(`${sb.alibaba.endpoint}${path}`, {
    method,
    headers: signed.headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
}

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, start: new Date(START).toISOString() });
});

afterAll(async () => {
  await sb.stop();
});

beforeEach(async () => {
  await sb.inspect("alibaba", "POST", "reset");
  await sb.inspect("alibaba", "PUT", "throttle", { ratePerSecond: 0 });
  sleeps = [];
  onSleep = async () => {};
});

describe("clusters", () => {
  it("lists the account's clusters in every region with normalised phases and tags", async () => {
    const clusters = await provider().listClusters();
    const byName = Object.fromEntries(clusters.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(["dev-web", "perf-lab", "qa-api", "staging-data"]);
    expect(new Set(clusters.map((c) => c.region))).toEqual(new Set(["cn-hangzhou", "cn-beijing"]));
    expect(byName["dev-web"]).toMatchObject({
      provider: "alibaba",
      account: "ack-dev",
      region: "cn-hangzhou",
      phase: "running",
      vendorPhase: "running",
      tags: { env: "dev", team: "web", "nightshift/sleep": "weeknights" },
    });
    expect(byName["dev-web"]!.id).toMatch(/^c[0-9a-f]{32}$/);
    expect(byName["perf-lab"]).toMatchObject({ phase: "busy", vendorPhase: "updating" });
  });

  it("pages through DescribeClustersV1", async () => {
    const a = account("ack-dev");
    await sb.inspect("alibaba", "POST", "seed", {
      accounts: [
        {
          name: "many",
          accessKeyId: a.accessKeyId,
          secretAccessKey: a.secretAccessKey,
          region: "cn-hangzhou",
        },
      ],
      clusters: Array.from({ length: 105 }, (_, i) => ({
        account: "many",
        region: "cn-hangzhou",
        name: `c-${i}`,
      })),
    });
    const since = await lastSeq();
    const clusters = await provider().listClusters();
    expect(clusters).toHaveLength(105);
    expect(new Set(clusters.map((c) => c.id)).size).toBe(105);
    const pages = (await requestsSince(since)).filter((r) => r.path === "/api/v1/clusters");
    expect(pages.map((r) => new URLSearchParams(r.query).get("page_number"))).toEqual(["1", "2"]);
  });

  it("describes one cluster; an unknown id and another account's cluster are not found", async () => {
    const devWeb = await cluster("dev-web");
    const got = await provider().getCluster(devWeb.cluster_id);
    expect(got).toMatchObject({ id: devWeb.cluster_id, name: "dev-web", phase: "running" });
    expect(got.version).toMatch(/aliyun/);

    const missing = await providerError(provider().getCluster("c0000000000000000000000000000dead"));
    expect(missing).toMatchObject({ kind: "not-found", status: 404, code: "ErrorClusterNotFound" });
    expect(missing.requestId).toMatch(/^[0-9A-F-]{36}$/);

    const foreign = await cluster("ops-tools");
    expect(await providerError(provider().getCluster(foreign.cluster_id))).toMatchObject({
      kind: "not-found",
    });
  });

  it("the upgrading cluster settles to running after its upgrade", async () => {
    const perf = await cluster("perf-lab");
    expect((await provider().getCluster(perf.cluster_id)).vendorPhase).toBe("updating");
    await advance(45 * 60);
    expect((await provider().getCluster(perf.cluster_id)).phase).toBe("running");
  });

  it("has no hibernate: unsupported", async () => {
    const devWeb = await cluster("dev-web");
    expect(await providerError(provider().hibernate(devWeb.cluster_id))).toMatchObject({
      kind: "unsupported",
    });
    expect(await providerError(provider().awake(devWeb.cluster_id))).toMatchObject({ kind: "unsupported" });
    expect(provider().capabilities).toEqual({
      hibernate: false,
      nodePools: true,
      shrinkRemovesNodes: true,
      shrinkReleasesInstances: true,
      workloads: false,
      kubeconfigValidity: "minutes",
    });
  });
});

describe("node pools", () => {
  it("lists and describes pools with sizes and autoscaling", async () => {
    const [clusterId, batchId] = await ids("dev-web", "batch");
    const pools = await provider().listNodePools(clusterId);
    expect(pools.map((p) => [p.name, p.desired, p.ready, p.phase])).toEqual([
      ["default-nodepool", 3, 3, "stable"],
      ["batch", 2, 2, "stable"],
    ]);
    expect(await provider().getNodePool(clusterId, batchId)).toMatchObject({
      id: batchId,
      autoscaling: { enabled: true, min: 1, max: 6 },
      vendorPhase: "active",
    });
    const missing = await providerError(
      provider().getNodePool(clusterId, "np000000000000000000000000000dead"),
    );
    expect(missing).toMatchObject({ kind: "not-found", code: "ErrorNodePoolNotFound" });
  });

  it("grows a pool by sending the INCREMENT as count, node by node", async () => {
    const [clusterId, poolId] = await ids("dev-web", "default-nodepool");
    const p = provider();
    const completion = await p.resizeNodePool(clusterId, poolId, { desired: 5 });
    expect(completion).toEqual({ kind: "pool-size", clusterId, poolId, desired: 5 });
    const task = (await fleetState()).tasks.find((t) => t.task_type === "nodepool_scaleout");
    expect(task?.parameters).toEqual({ count: 2 });

    expect(await p.getNodePool(clusterId, poolId)).toMatchObject({
      desired: 5,
      ready: 3,
      phase: "scaling",
      vendorPhase: "scaling",
    });
    expect((await p.getCluster(clusterId)).vendorPhase).toBe("scaling");
    await advance(NODE_JOIN_SECONDS);
    expect(await p.getNodePool(clusterId, poolId)).toMatchObject({ desired: 5, ready: 4 });
    await advance(NODE_JOIN_SECONDS);
    expect(await p.getNodePool(clusterId, poolId)).toMatchObject({ desired: 5, ready: 5, phase: "stable" });
    // Resizing to the size it has is a no-op.
    const since = await lastSeq();
    expect(await p.resizeNodePool(clusterId, poolId, { desired: 5 })).toEqual({ kind: "immediate" });
    expect((await requestsSince(since)).filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("never resends a scale-out after an unknown outcome (count is an increment)", async () => {
    const [clusterId, poolId] = await ids("dev-web", "default-nodepool");
    await sb.inspect("alibaba", "PUT", "faults", { serverError: 1 });
    const since = await lastSeq();
    const error = await providerError(provider().scaleOutNodePool(clusterId, poolId, 1));
    expect(error).toMatchObject({ kind: "server", status: 500, code: "InternalError" });
    expect(await requestsSince(since)).toHaveLength(1);
  });

  it("retries an idempotent read through an injected 5xx, then succeeds", async () => {
    const [clusterId] = await ids("dev-web", "default-nodepool");
    await sb.inspect("alibaba", "PUT", "faults", { serverError: 1 });
    onSleep = async () => {
      await sb.inspect("alibaba", "PUT", "faults", { serverError: 0 });
    };
    const since = await lastSeq();
    expect((await provider().listNodePools(clusterId)).length).toBe(2);
    const log = await requestsSince(since);
    expect(log.map((r) => [r.status, r.fault ?? null])).toEqual([
      [500, "server-error"],
      [200, null],
    ]);
  });

  it("refuses to shrink unless node release is allowed", async () => {
    const [clusterId, poolId] = await ids("dev-web", "default-nodepool");
    const since = await lastSeq();
    const error = await providerError(provider().resizeNodePool(clusterId, poolId, { desired: 1 }));
    expect(error.kind).toBe("invalid");
    expect(error.message).toMatch(/node release/);
    expect((await requestsSince(since)).filter((r) => r.method !== "GET")).toHaveLength(0);
  });

  it("shrinks by removing (and releasing) named nodes, then scales out again to wake", async () => {
    const [clusterId, poolId] = await ids("qa-api", "spot-workers");
    const p = provider();
    const completion = await p.resizeNodePool(clusterId, poolId, { desired: 0, allowNodeRelease: true });
    expect(completion).toEqual({ kind: "pool-size", clusterId, poolId, desired: 0 });
    const removal = (await fleetState()).tasks.find((t) => t.task_type === "remove_nodes");
    expect(removal?.parameters).toMatchObject({ release_node: true, drain_node: true });
    expect((removal!.parameters as { nodes: string[] }).nodes).toHaveLength(4);
    expect(await p.getNodePool(clusterId, poolId)).toMatchObject({
      desired: 0,
      phase: "scaling",
      vendorPhase: "removing",
    });
    const nodes = await p.listNodes(clusterId, poolId);
    expect(nodes.map((n) => n.vendorPhase)).toEqual(["removing", "removing", "removing", "removing"]);

    await advance(4 * (NODE_REMOVE_SECONDS + NODE_DRAIN_SECONDS));
    expect(await p.getNodePool(clusterId, poolId)).toMatchObject({ desired: 0, ready: 0, phase: "stable" });
    expect(await p.listNodes(clusterId, poolId)).toEqual([]);

    await p.resizeNodePool(clusterId, poolId, { desired: 4 });
    const scaleOut = (await fleetState()).tasks.find((t) => t.task_type === "nodepool_scaleout");
    expect(scaleOut?.parameters).toEqual({ count: 4 });
    await advance(4 * NODE_JOIN_SECONDS);
    expect(await p.getNodePool(clusterId, poolId)).toMatchObject({ desired: 4, ready: 4, phase: "stable" });
  });

  it("removes PrePaid nodes without releasing them, and can use RemoveNodePoolNodes", async () => {
    const [clusterId, poolId] = await ids("staging-data", "default-nodepool");
    const p = provider("ack-dev", { nodeRemoval: "nodepool" });
    const since = await lastSeq();
    await p.resizeNodePool(clusterId, poolId, { desired: 2, allowNodeRelease: true });
    const removal = (await fleetState()).tasks.find((t) => t.task_type === "remove_nodes");
    expect(removal?.parameters).toMatchObject({ release_node: false, drain_node: true });
    const call = (await requestsSince(since)).find((r) => r.method === "DELETE");
    expect(call?.path).toBe(`/clusters/${clusterId}/nodepools/${poolId}/nodes`);
    expect(JSON.parse(new URLSearchParams(call!.query).get("nodes")!)).toHaveLength(1);
  });

  it("removes a pool's named nodes with RemoveNodePoolNodes and completes as a task", async () => {
    const c = await cluster("qa-api");
    const pool = c.nodepools.find((x) => x.nodepool_info.name === "default-nodepool")!.nodepool_info
      .nodepool_id;
    const victim = c.nodes.find((n) => n.nodepool_id === pool)!.node_name;
    const p = provider();
    const job = await p.removeNodePoolNodes(c.cluster_id, pool, [victim], { release: true, drain: true });
    if (job.kind !== "job") throw new Error("expected a task");
    expect(await p.getJob(job.jobId)).toMatchObject({ phase: "running" });
    await advance(NODE_REMOVE_SECONDS + NODE_DRAIN_SECONDS);
    expect(await p.getJob(job.jobId)).toMatchObject({ phase: "succeeded" });
    expect((await p.listNodes(c.cluster_id, pool)).map((n) => n.name)).not.toContain(victim);
    const other = (await cluster("dev-web")).nodes[0]!.node_name;
    expect(
      await providerError(p.removeNodePoolNodes(c.cluster_id, pool, [other], { release: true, drain: true })),
    ).toMatchObject({
      kind: "invalid",
      code: "ErrorNodeNotFound",
    });
  });

  it("a pool that is changing is locked (409 conflict)", async () => {
    const [clusterId, poolId] = await ids("dev-web", "default-nodepool");
    const p = provider();
    const job = await p.scaleOutNodePool(clusterId, poolId, 1);
    expect(job.kind).toBe("job");
    const locked = await providerError(p.scaleOutNodePool(clusterId, poolId, 1));
    expect(locked).toMatchObject({ kind: "conflict", status: 409, code: "ErrorNodePoolNotActive" });
    expect(locked.transient).toBe(true);
    await advance(NODE_JOIN_SECONDS);
    expect((await p.scaleOutNodePool(clusterId, poolId, 1)).kind).toBe("job");
  });

  it("a cluster in an upgrade refuses pool changes (409 conflict)", async () => {
    const [clusterId, poolId] = await ids("perf-lab", "default-nodepool");
    const error = await providerError(provider().resizeNodePool(clusterId, poolId, { desired: 6 }));
    expect(error).toMatchObject({ kind: "conflict", code: "ErrorClusterNotRunning" });
  });

  it("changes autoscaler bounds instead of a fixed size, and the pool moves into them", async () => {
    const [clusterId, poolId] = await ids("dev-web", "batch");
    const p = provider();
    const refused = await providerError(p.resizeNodePool(clusterId, poolId, { desired: 4 }));
    expect(refused.kind).toBe("invalid");
    expect(refused.message).toMatch(/autoscaler/);

    const completion = await p.setNodePoolAutoscaling(clusterId, poolId, { enabled: true, min: 3, max: 5 });
    expect(completion).toEqual({ kind: "pool-size", clusterId, poolId, desired: 3 });
    expect(await p.getNodePool(clusterId, poolId)).toMatchObject({
      vendorPhase: "updating",
      autoscaling: { enabled: true, min: 3, max: 5 },
    });
    await advance(POOL_UPDATE_SECONDS + NODE_JOIN_SECONDS);
    expect(await p.getNodePool(clusterId, poolId)).toMatchObject({ desired: 3, ready: 3, phase: "stable" });

    expect(
      await providerError(p.setNodePoolAutoscaling(clusterId, poolId, { enabled: true, min: 4, max: 2 })),
    ).toMatchObject({ kind: "invalid" });
  });

  it("modifies labels (merge) and completes as a task", async () => {
    const [clusterId, poolId] = await ids("dev-web", "default-nodepool");
    const p = provider();
    const job = await p.modifyNodePool(clusterId, poolId, {
      kubernetes_config: { labels: [{ key: "nightshift", value: "asleep" }] },
    });
    if (job.kind !== "job") throw new Error("expected a task");
    expect(await p.getJob(job.jobId)).toMatchObject({ id: job.jobId, phase: "running" });
    await advance(POOL_UPDATE_SECONDS);
    expect(await p.getJob(job.jobId)).toMatchObject({ phase: "succeeded", vendorPhase: "success" });
    const pool = (await cluster("dev-web")).nodepools.find(
      (x) => x.nodepool_info.nodepool_id === poolId,
    ) as unknown as {
      kubernetes_config: { labels: unknown };
      auto_scaling: { enable: boolean };
    };
    expect(pool.kubernetes_config.labels).toEqual([{ key: "nightshift", value: "asleep" }]);
  });

  it("deletes a pool: refused while nodes remain, done with force", async () => {
    const [clusterId, poolId] = await ids("qa-api", "spot-workers");
    const p = provider();
    expect(await providerError(p.deleteNodePool(clusterId, poolId))).toMatchObject({
      kind: "invalid",
      code: "ErrorNodePoolHasNodes",
    });
    await p.deleteNodePool(clusterId, poolId, { force: true });
    expect((await p.getNodePool(clusterId, poolId)).vendorPhase).toBe("deleting");
    await advance(4 * NODE_REMOVE_SECONDS + 180);
    expect((await p.listNodePools(clusterId)).map((x) => x.name)).toEqual(["default-nodepool"]);
  });
});

describe("nodes, tasks and kubeconfig", () => {
  it("lists nodes, masters included, with their pools", async () => {
    const c = await cluster("staging-data");
    const nodes = await provider().listNodes(c.cluster_id);
    expect(nodes).toHaveLength(3 + 3 + 1);
    expect(nodes.filter((n) => n.poolId === undefined)).toHaveLength(3);
    expect(nodes.every((n) => n.ready && /^i-/.test(n.id) && n.name.startsWith("cn-beijing.192.168."))).toBe(
      true,
    );
  });

  it("removes named nodes (RemoveClusterNodes answers a bare 200)", async () => {
    const c = await cluster("dev-web");
    const victim = c.nodes[0]!.node_name;
    await provider().removeNodes(c.cluster_id, [victim], { release: true, drain: false });
    const nodes = await provider().listNodes(c.cluster_id);
    expect(nodes.find((n) => n.name === victim)?.vendorPhase).toBe("removing");
    await advance(NODE_REMOVE_SECONDS);
    expect((await provider().listNodes(c.cluster_id)).some((n) => n.name === victim)).toBe(false);
  });

  it("issues a kubeconfig whose client certificate is valid exactly the minutes asked", async () => {
    const c = await cluster("dev-web");
    const kubeconfig = await provider().issueKubeconfig(c.cluster_id, 60);
    expect(kubeconfig.notAfter.getTime() - kubeconfig.notBefore.getTime()).toBe(60 * 60_000);
    expect(kubeconfig.notBefore.getTime()).toBe(simMs - (simMs % 1000));
    expect(kubeconfig.server).toMatch(/^https:\/\/47\.\d+\.\d+\.\d+:6443$/);
    expect(kubeconfig.text).toContain("client-key-data:");

    const intranet = await provider("ack-dev", { privateIpAddress: true }).issueKubeconfig(
      c.cluster_id,
      4320,
    );
    expect(intranet.server).toMatch(/^https:\/\/192\.168\./);
    expect(intranet.notAfter.getTime() - intranet.notBefore.getTime()).toBe(4320 * 60_000);

    expect(await providerError(provider().issueKubeconfig(c.cluster_id, 10))).toMatchObject({
      kind: "invalid",
    });
    const raw = await rawRequest("GET", `/k8s/${c.cluster_id}/user_config?TemporaryDurationMinutes=10`);
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ code: "InvalidParameter", status: 400 });
  });

  it("reads tasks; with the task API missing (Apsara v3.16.2) it is not found", async () => {
    const [clusterId, poolId] = await ids("dev-web", "default-nodepool");
    const p = provider();
    const job = await p.scaleOutNodePool(clusterId, poolId, 2);
    if (job.kind !== "job") throw new Error("expected a task");
    expect(job.jobId).toMatch(/^T-[0-9a-f]{24}$/);
    expect(await p.getJob(job.jobId)).toMatchObject({ phase: "running", vendorPhase: "running" });
    await advance(2 * NODE_JOIN_SECONDS);
    expect(await p.getJob(job.jobId)).toMatchObject({ phase: "succeeded" });

    const a = account("ack-dev");
    await sb.inspect("alibaba", "POST", "seed", {
      taskApi: false,
      accounts: [
        { name: "ack-dev", accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey, region: a.region },
      ],
    });
    expect(await providerError(p.getJob(job.jobId))).toMatchObject({
      kind: "not-found",
      code: "InvalidApi.NotFound",
    });
  });
});

describe("ASAPI gateway form", () => {
  it("reaches the same APIs under /roa with the ASAPI headers", async () => {
    const p = asapiProvider();
    const since = await lastSeq();
    const clusters = await p.listClusters();
    expect(clusters.map((c) => [c.name, c.phase, c.region]).sort()).toEqual([
      ["legacy-erp", "failed", "cn-wulan-env212-d01"],
      ["ops-tools", "running", "cn-qingdao-env17-d01"],
    ]);
    const ops = clusters.find((c) => c.name === "ops-tools")!;
    const pools = await p.listNodePools(ops.id);
    expect(pools.map((x) => [x.name, x.desired])).toEqual([
      ["default-nodepool", 2],
      ["ci-runners", 6],
    ]);
    const kubeconfig = await p.issueKubeconfig(ops.id, 15);
    expect(kubeconfig.server).toMatch(/^https:\/\/192\.168\./);
    const log = await requestsSince(since);
    expect(log.every((r) => r.path.startsWith("/roa/"))).toBe(true);
  });

  it("reports an ASAPI refusal answered with HTTP 200 and X-Acs-Response-Success: false", async () => {
    const wrongOrg = asapiProvider({ asapi: { organizationId: "999" } });
    const error = await providerError(wrongOrg.listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 200, code: "NoPermission" });
    expect(error.requestId).toMatch(/^[0-9A-F-]{36}$/);

    const publicAccount = provider("ack-dev", { asapi: { organizationId: "27" } });
    expect(await providerError(publicAccount.listClusters())).toMatchObject({
      kind: "auth",
      code: "NoPermission",
    });

    const a = account("apsara-ops");
    const badSecret = provider("apsara-ops", {
      asapi: { organizationId: a.organizationId! },
      secret: "wrong-secret",
    });
    expect(await providerError(badSecret.listClusters())).toMatchObject({
      kind: "auth",
      status: 200,
      code: "SignatureDoesNotMatch",
    });
  });

  it("needs an endpoint for ASAPI and refuses a malformed path prefix", () => {
    const a = account("apsara-ops");
    const base = {
      account: { id: "x", accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey, region: a.region },
      http: httpClient(),
      now: () => new Date(simMs),
    };
    expect(() => createAlibabaProvider({ ...base, asapi: { organizationId: "38" } })).toThrow(/endpoint/);
    expect(() => createAlibabaProvider({ ...base, pathPrefix: "roa/" })).toThrow(/pathPrefix/);
    expect(() =>
      createAlibabaProvider({
        ...base,
        account: { ...base.account, endpoint: sb.alibaba.endpoint },
        asapi: { organizationId: "38" },
        signature: "acs3",
      }),
    ).toThrow(/ROA signatures only/);
  });

  it("signs with either scheme on the public form: V3 by default, ROA when the account says so", async () => {
    const signedWith: string[] = [];
    const recording = (scheme: "acs3" | "roa" | undefined) =>
      provider("ack-dev", {
        ...(scheme ? { signature: scheme } : {}),
        http: {
          ...httpClient(),
          send: (request, options) =>
            httpClient().send(request, {
              ...options,
              sign: async (attempt) => {
                const headers = await options.sign!(attempt);
                signedWith.push((headers.Authorization ?? "").split(" ")[0]!);
                return headers;
              },
            }),
        },
      });
    const byDefault = await recording(undefined).listClusters();
    const byRoa = await recording("roa").listClusters();
    expect(byRoa.map((c) => c.id)).toEqual(byDefault.map((c) => c.id));
    expect(byDefault.length).toBeGreaterThan(0);
    expect(signedWith).toEqual(["ACS3-HMAC-SHA256", "acs"]);
  });
});

describe("gateway refusals", () => {
  it("a wrong secret is a 403 SignatureDoesNotMatch (POP error shape)", async () => {
    const error = await providerError(provider("ack-dev", { secret: "not-the-secret" }).listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 403, code: "SignatureDoesNotMatch" });
    expect(error.message).not.toContain("not-the-secret");
  });

  it("an unknown AccessKey ID is refused", async () => {
    const p = createAlibabaProvider({
      account: {
        id: "ghost",
        accessKeyId: "LTAIghost",
        secretAccessKey: "x",
        region: "cn-hangzhou",
        endpoint: sb.alibaba.endpoint,
      },
      http: httpClient(),
      now: () => new Date(simMs),
    });
    expect(await providerError(p.listClusters())).toMatchObject({
      kind: "auth",
      code: "InvalidAccessKeyId.NotFound",
    });
  });

  it("a skewed clock is re-signed and sent once more, then reported as auth naming the clock", async () => {
    let calls = 0;
    const skewedOnce = provider("ack-dev", {
      now: () => new Date(simMs - (calls++ === 0 ? 20 * 60_000 : 0)),
    });
    const since = await lastSeq();
    expect((await skewedOnce.listClusters()).length).toBe(4);
    expect((await requestsSince(since)).map((r) => r.status)).toEqual([400, 200]);

    const skewed = provider("ack-dev", { now: () => new Date(simMs + 16 * 60_000) });
    const error = await providerError(skewed.listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 400, code: "InvalidTimeStamp.Expired" });
    expect(error.message).toMatch(/clock/);
  });

  it("throttling: 429 with Retry-After is honoured, then reported as throttled", async () => {
    await sb.inspect("alibaba", "PUT", "faults", { throttle: 1, retryAfterSeconds: 7 });
    const since = await lastSeq();
    const error = await providerError(provider().listClusters());
    expect(error).toMatchObject({
      kind: "throttled",
      status: 429,
      code: "Throttling.User",
      retryAfterSeconds: 7,
    });
    expect(error.transient).toBe(true);
    expect(sleeps.length).toBeGreaterThan(0);
    expect(sleeps.every((ms) => ms >= 7000)).toBe(true);
    expect((await requestsSince(since)).length).toBe(4);
  });

  it("throttling with HTTP 400 and a Throttling code is retried like a 429, even for a scale-out", async () => {
    const a = account("ack-dev");
    await sb.inspect("alibaba", "POST", "seed", {
      throttleStatus: 400,
      accounts: [
        { name: "ack-dev", accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey, region: a.region },
      ],
      clusters: [
        { account: "ack-dev", region: "cn-hangzhou", name: "t", nodePools: [{ name: "p", size: 1 }] },
      ],
    });
    const [clusterId, poolId] = await ids("t", "p");
    await sb.inspect("alibaba", "PUT", "throttle", { ratePerSecond: 0.5 });
    const p = provider();
    await p.listClusters(); // takes the one token
    onSleep = async () => {
      await sb.inspect("alibaba", "PUT", "throttle", { ratePerSecond: 0 });
    };
    const since = await lastSeq();
    expect((await p.scaleOutNodePool(clusterId, poolId, 1)).kind).toBe("job");
    expect((await requestsSince(since)).map((r) => r.status)).toEqual([400, 200]);
    expect(sleeps).toEqual([2000]); // the Retry-After of a 0.5/s bucket
  });

  it("the per-account throttle answers 429 with Retry-After", async () => {
    await sb.inspect("alibaba", "PUT", "throttle", { ratePerSecond: 0.001 });
    const p = provider();
    await p.listClusters();
    const error = await providerError(p.listClusters());
    expect(error).toMatchObject({ kind: "throttled", status: 429 });
    expect(error.retryAfterSeconds).toBeGreaterThan(300);
  });

  it("a timeout is reported as timeout", async () => {
    await sb.inspect("alibaba", "PUT", "faults", { timeout: 1, timeoutMs: 400 });
    const error = await providerError(provider("ack-dev", { timeoutMs: 100 }).listClusters());
    expect(error.kind).toBe("timeout");
  });

  it("a missing required field is a malformed response naming the API and the field", async () => {
    const a = account("ack-dev");
    await sb.inspect("alibaba", "POST", "seed", {
      accounts: [
        { name: "ack-dev", accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey, region: a.region },
      ],
      clusters: [
        {
          account: "ack-dev",
          region: "cn-hangzhou",
          name: "broken",
          malformed: true,
          nodePools: [{ name: "p", size: 1, malformed: true }],
        },
      ],
    });
    const [clusterId, poolId] = await ids("broken", "p");
    const clusterError = await providerError(provider().getCluster(clusterId));
    expect(clusterError.kind).toBe("malformed-response");
    expect(clusterError.message).toMatch(/^alibaba\.getCluster: .*`state`/);
    const listError = await providerError(provider().listClusters());
    expect(listError.message).toMatch(/^alibaba\.listClusters: .*`clusters\[0\]\.state`/);
    const poolError = await providerError(provider().getNodePool(clusterId, poolId));
    expect(poolError.message).toMatch(/^alibaba\.getNodePool: .*`status`/);
  });
});

describe("answer format", () => {
  it("answers XML unless JSON is asked for; the client always asks for JSON", async () => {
    const c = await cluster("dev-web");
    const xml = await rawRequest("GET", `/clusters/${c.cluster_id}`, { accept: "application/xml" });
    expect(xml.status).toBe(200);
    expect(xml.headers.get("content-type")).toMatch(/application\/xml/);
    const text = await xml.text();
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><DescribeClusterDetailResponse>/);
    expect(text).toContain(`<cluster_id>${c.cluster_id}</cluster_id>`);

    const xmlError = await rawRequest("GET", "/clusters/c404", { accept: "application/xml" });
    expect(xmlError.status).toBe(404);
    expect(await xmlError.text()).toContain("<code>ErrorClusterNotFound</code>");

    const json = await rawRequest("GET", `/clusters/${c.cluster_id}`);
    expect(json.headers.get("content-type")).toMatch(/application\/json/);
    expect(((await json.json()) as { cluster_id: string }).cluster_id).toBe(c.cluster_id);
  });

  it("an XML answer where JSON was asked for is a malformed response", async () => {
    const xmlHttp: HttpClient = {
      async send(request) {
        expect(request.headers?.Accept).toBe("application/json");
        return {
          status: 200,
          headers: new Headers({ "content-type": "application/xml" }),
          text: '<?xml version="1.0"?><DescribeClusterDetailResponse/>',
        };
      },
    };
    const p = createAlibabaProvider({
      account: {
        id: "x",
        accessKeyId: "LTAIx",
        secretAccessKey: "s",
        region: "cn-hangzhou",
        endpoint: "http://127.0.0.1:1",
      },
      http: xmlHttp,
      now: () => new Date(simMs),
    });
    const error = await providerError(p.getCluster("c1"));
    expect(error.kind).toBe("malformed-response");
    expect(error.message).toMatch(/expected a JSON body.*application\/xml/);
  });

  it("unknown paths are a gateway 404 InvalidApi.NotFound", async () => {
    const response = await rawRequest("GET", "/no/such/api");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ Code: "InvalidApi.NotFound" });
  });
});

describe("client helpers", () => {
  const response = (status: number, text: string, headers: Record<string, string> = {}) => ({
    status,
    text,
    headers: new Headers(headers),
  });

  it("reads both error casings, the ASAPI relay fields, XML and bare answers", () => {
    expect(
      readVendorError(
        response(404, '{"code":"ErrorClusterNotFound","message":"m","requestId":"R1","status":404}'),
      ),
    ).toEqual({
      code: "ErrorClusterNotFound",
      message: "m",
      requestId: "R1",
    });
    expect(
      readVendorError(response(403, '{"Code":"SignatureDoesNotMatch","Message":"M","RequestId":"R2"}')),
    ).toEqual({
      code: "SignatureDoesNotMatch",
      message: "M",
      requestId: "R2",
    });
    expect(readVendorError(response(400, '{"code":400,"message":"bad","request_id":"R3"}'))).toEqual({
      code: "400",
      message: "bad",
      requestId: "R3",
    });
    expect(
      readVendorError(
        response(
          400,
          "<Error><Code>Throttling.Api</Code><Message>slow down</Message><RequestId>R4</RequestId></Error>",
        ),
      ),
    ).toEqual({ code: "Throttling.Api", message: "slow down", requestId: "R4" });
    expect(
      readVendorError(
        response(200, "", {
          "x-acs-response-success": "false",
          "x-acs-response-errorhint": "NoPermission: denied",
          "x-acs-request-id": "R5",
        }),
      ),
    ).toEqual({ code: "NoPermission", message: "NoPermission: denied", requestId: "R5" });
    expect(readVendorError(response(502, ""))).toEqual({ code: "HTTP502", message: "HTTP 502" });
  });

  it("maps codes before statuses", () => {
    expect(errorKind(400, "Throttling.User")).toBe("throttled");
    expect(errorKind(503, "Throttling")).toBe("throttled");
    expect(errorKind(404, "InvalidAccessKeyId.NotFound")).toBe("auth");
    expect(errorKind(400, "InvalidTimeStamp.Expired")).toBe("auth");
    expect(errorKind(404, "ErrorClusterNotFound")).toBe("not-found");
    expect(errorKind(409, "ErrorNodePoolNotActive")).toBe("conflict");
    expect(errorKind(500, "InternalError")).toBe("server");
    expect(errorKind(400, "InvalidParameter")).toBe("invalid");
  });

  it("normalises cluster states, unknown ones as busy", () => {
    expect(
      ["running", "stopped", "updating_failed", "initial", "scaling", "waiting", "brand_new"].map(
        clusterPhase,
      ),
    ).toEqual(["running", "failed", "failed", "busy", "busy", "busy", "busy"]);
  });

  it("gives up broken nodes first, then joining ones, then the newest", () => {
    const node = (node_name: string, state: string, creation_time: string) => ({
      instance_id: `i-${node_name}`,
      node_name,
      state,
      creation_time,
    });
    const order = removalOrder([
      node("old", "running", "2025-01-01T10:00:00+08:00"),
      node("new", "running", "2025-02-01T10:00:00+08:00"),
      node("joining", "initial", "2025-01-15T10:00:00+08:00"),
      node("gone", "removing", "2025-03-01T10:00:00+08:00"),
      node("broken", "failed", "2024-12-01T10:00:00+08:00"),
    ]);
    expect(order.map((n) => n.node_name)).toEqual(["broken", "joining", "new", "old"]);
  });
});
