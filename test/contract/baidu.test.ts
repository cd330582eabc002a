// The Baidu CCE client against the sandbox cloud, through the real HTTP layer: every client
// operation, the vendor quirks, and the unhappy paths (bad signature, unknown key, expired
// request, 404, 409 locks, throttling with Retry-After, timeout, malformed response, 5xx then
// success). Runs on Node and inside workerd. The sandbox clock runs at speed 0 and is moved by
// hand, so every convergence step is exact.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpClient } from "../../shared/http/client.ts";
import { type BaiduProvider, createBaiduProvider } from "../../shared/providers/baidu.ts";
import { ProviderError } from "../../shared/providers/port.ts";
import {
  CLUSTER_CREATE_SECONDS,
  NODE_CREATE_SECONDS,
  NODE_DELETE_SECONDS,
  NODE_STAGGER_SECONDS,
  TASK_PENDING_SECONDS,
} from "../../shared/sandbox/baidu/lifecycle.ts";
import { signBaidu } from "../../shared/signer/baidu.ts";
import { newSandbox, type TestSandbox } from "../setup/sandbox.ts";

let sb: TestSandbox;
let simNow = new Date(0);
let sleeps: number[] = [];
/** Runs inside the HTTP layer's back-off wait (instant): lets a test change faults between attempts. */
let onSleep: (() => Promise<void>) | undefined;
/** The request log is not cleared by reset: each test reads what came after this entry. */
let logMark = 0;

const DAY = 86_400_000;

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 7, start: "2026-03-02T09:00:00Z" });
});
afterAll(async () => {
  await sb.stop();
});
beforeEach(async () => {
  await sb.inspect("baidu", "POST", "reset");
  await sb.inspect("baidu", "PUT", "throttle", { ratePerSecond: 0 });
  simNow = new Date((await sb.inspect("baidu", "GET", "clock")).now);
  sleeps = [];
  onSleep = undefined;
  const log = (await sb.inspect("baidu", "GET", "requests")).requests as Array<{ seq: number }>;
  logMark = log.at(-1)?.seq ?? logMark;
});

async function advance(seconds: number) {
  simNow = new Date((await sb.inspect("baidu", "POST", "clock", { advanceSeconds: seconds })).now);
}

function account(name: string) {
  const found = sb.baidu.accounts.find((a) => a.name === name);
  if (!found) throw new Error(`no sandbox account ${name}`);
  return found;
}

function provider(
  options: {
    account?: string;
    secret?: string;
    accessKeyId?: string;
    pathPrefix?: string;
    kubeconfigType?: "vpc" | "public" | "internal";
    attempts?: number;
    timeoutMs?: number;
    pageSize?: number;
    now?: () => Date;
  } = {},
): BaiduProvider {
  const a = account(options.account ?? "acme-bj");
  const http = createHttpClient({
    fetch: (url, init) => globalThis.fetch(url, init),
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      await onSleep?.();
    },
    retry: { attempts: options.attempts ?? 3 },
  });
  return createBaiduProvider({
    account: {
      id: a.name,
      accessKeyId: options.accessKeyId ?? a.accessKeyId,
      secretAccessKey: options.secret ?? a.secretAccessKey,
      region: a.region,
      endpoint: sb.baidu.endpoint,
    },
    http,
    now: options.now ?? (() => simNow),
    ...(options.pathPrefix ? { pathPrefix: options.pathPrefix } : {}),
    ...(options.kubeconfigType ? { kubeconfigType: options.kubeconfigType } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("expected a ProviderError, the call succeeded");
}

async function requests(): Promise<
  Array<{ method: string; path: string; query: string; status: number; fault?: string }>
> {
  return (await sb.inspect("baidu", "GET", `requests?since=${logMark}`)).requests;
}

/** A cluster by name and one of its pools by name, through the client. */
async function find(p: BaiduProvider, clusterName: string, poolName?: string) {
  const cluster = (await p.listClusters()).find((c) => c.name === clusterName);
  if (!cluster) throw new Error(`no cluster ${clusterName}`);
  if (poolName === undefined) return { cluster, pool: undefined };
  const pool = (await p.listNodePools(cluster.id)).find((x) => x.name === poolName);
  if (!pool) throw new Error(`no pool ${poolName} in ${clusterName}`);
  return { cluster, pool };
}

describe("Baidu CCE client: clusters", () => {
  it("lists the account's clusters in its region, with phase, version and tags", async () => {
    const clusters = await provider().listClusters();
    expect(clusters.map((c) => c.name).sort()).toEqual(["web-prod", "web-staging"]);
    for (const cluster of clusters) {
      expect(cluster).toMatchObject({
        provider: "baidu",
        account: "acme-bj",
        region: "bj",
        phase: "running",
      });
      expect(cluster.vendorPhase).toBe("running");
      expect(cluster.id).toMatch(/^cce-[a-z0-9]{8}$/);
    }
    expect(clusters.find((c) => c.name === "web-staging")!.tags).toEqual({
      env: "staging",
      team: "web",
      nightshift: "sleep",
    });
  });

  it("sends the documented list query, empty keyword included, and pages through every page", async () => {
    const clusters = await provider({ pageSize: 1 }).listClusters();
    expect(clusters).toHaveLength(2);
    const lists = (await requests()).filter((r) => r.path === "/v2/clusters");
    expect(lists.map((r) => r.query)).toEqual([
      "?keywordType=clusterName&keyword=&orderBy=clusterID&order=ASC&pageNo=1&pageSize=1",
      "?keywordType=clusterName&keyword=&orderBy=clusterID&order=ASC&pageNo=2&pageSize=1",
    ]);
    expect(lists.every((r) => r.status === 200)).toBe(true);
  });

  it("gets one cluster, and answers an unknown one with not-found carrying the BCE code and request id", async () => {
    const p = provider();
    const [first] = await p.listClusters();
    expect(await p.getCluster(first!.id)).toEqual(first);
    const error = await failure(p.getCluster("cce-zzzzzzzz"));
    expect(error).toMatchObject({
      kind: "not-found",
      status: 404,
      code: "ClusterNotFound",
      api: "baidu.getCluster",
    });
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("does not show another account's clusters", async () => {
    const other = (await provider({ account: "globex-su" }).listClusters()).map((c) => c.id);
    const error = await failure(provider().getCluster(other[0]!));
    expect(error.kind).toBe("not-found");
  });

  it("follows a cluster being created through its phases and event steps", async () => {
    const p = provider({ account: "acme-gz" });
    const { cluster } = await find(p, "ml-sandbox");
    expect(cluster).toMatchObject({ phase: "busy", vendorPhase: "provisioning" });
    const events = await p.getClusterEvents(cluster.id);
    expect(events.status).toBe("creating");
    expect(events.steps.map((s) => s.status)).toEqual([
      "done",
      "done",
      "done",
      "running",
      "pending",
      "pending",
    ]);
    expect(events.steps[0]).toMatchObject({ name: "创建基础证书", ready: true, costSeconds: 5 });

    await advance(CLUSTER_CREATE_SECONDS - 120);
    expect(await p.getCluster(cluster.id)).toMatchObject({ phase: "running", vendorPhase: "running" });
    const done = await p.getClusterEvents(cluster.id);
    expect(done.status).toBe("created");
    expect(done.steps.every((s) => s.status === "done" && s.ready)).toBe(true);
  });

  it("reports a failed creation as failed, with the step's error", async () => {
    const p = provider({ account: "globex-su" });
    const { cluster } = await find(p, "legacy-migration");
    expect(cluster).toMatchObject({ phase: "failed", vendorPhase: "create_failed" });
    const events = await p.getClusterEvents(cluster.id);
    expect(events.status).toBe("create_failed");
    expect(events.steps[4]).toMatchObject({ status: "failed", ready: false, error: { code: "StepFailed" } });
  });

  it("has no hibernate: hibernate and awake are unsupported", async () => {
    const p = provider();
    expect(p.capabilities).toEqual({
      hibernate: false,
      nodePools: true,
      shrinkRemovesNodes: false,
      shrinkReleasesInstances: false,
      workloads: false,
      kubeconfigValidity: "fixed",
    });
    expect((await failure(p.hibernate("cce-abcdefgh"))).kind).toBe("unsupported");
    expect((await failure(p.awake("cce-abcdefgh"))).kind).toBe("unsupported");
  });
});

describe("Baidu CCE client: path prefixes", () => {
  it("speaks the Go SDK's /api/cce/service/v2 prefix as well as /v2", async () => {
    const p = provider({ pathPrefix: "/api/cce/service/v2" });
    expect(p.pathPrefix).toBe("/api/cce/service/v2");
    const { cluster, pool } = await find(p, "web-prod", "batch");
    expect(pool!.desired).toBeGreaterThan(0);
    await p.getCluster(cluster.id);
    const paths = (await requests()).map((r) => r.path);
    expect(paths.length).toBeGreaterThanOrEqual(3);
    expect(paths.every((path) => path.startsWith("/api/cce/service/v2/"))).toBe(true);
  });

  it("refuses a prefix that is not a path", () => {
    expect(() => provider({ pathPrefix: "v2?x" })).toThrow(/pathPrefix/);
  });
});

describe("Baidu CCE client: instance groups", () => {
  it("lists a cluster's groups with size, readiness and the autoscaler", async () => {
    const p = provider();
    const { cluster } = await find(p, "web-prod");
    const pools = await p.listNodePools(cluster.id);
    expect(pools.map((x) => x.name)).toEqual(["batch", "default"]);
    for (const pool of pools) {
      expect(pool.id).toMatch(/^cce-ig-[a-z0-9]{8}$/);
      expect(pool.desired).toBeGreaterThanOrEqual(1);
      expect(pool.desired).toBeLessThanOrEqual(6);
      expect(pool).toMatchObject({ ready: pool.desired, phase: "stable" });
    }
    const autoscaled = pools.find((x) => x.name === "default")!;
    expect(autoscaled.autoscaling).toMatchObject({ enabled: true });
    expect(autoscaled.autoscaling!.min).toBeLessThanOrEqual(autoscaled.desired);
    expect(pools.find((x) => x.name === "batch")!.autoscaling).toBeUndefined();
    expect(await p.getNodePool(cluster.id, autoscaled.id)).toEqual(autoscaled);
  });

  it("shrinks a group to 0 node by node: readyReplicas drops every NODE_STAGGER_SECONDS", async () => {
    const p = provider();
    const { cluster, pool } = await find(p, "web-prod", "batch");
    const size = pool!.desired;
    expect(await p.resizeNodePool(cluster.id, pool!.id, { desired: 0 })).toEqual({
      kind: "pool-size",
      clusterId: cluster.id,
      poolId: pool!.id,
      desired: 0,
    });
    for (let removed = 1; removed <= size; removed++) {
      const now = await p.getNodePool(cluster.id, pool!.id);
      expect(now.desired).toBe(0);
      expect(now.ready).toBe(size - removed);
      // A node is deleting for NODE_DELETE_SECONDS, then gone: at most that many are deleting at once.
      const gone = Math.max(0, removed - NODE_DELETE_SECONDS / NODE_STAGGER_SECONDS);
      const nodes = await p.listNodes(cluster.id, pool!.id);
      expect(nodes).toHaveLength(size - gone);
      expect(nodes.filter((n) => n.vendorPhase === "deleting")).toHaveLength(removed - gone);
      if (removed < size) await advance(NODE_STAGGER_SECONDS);
    }
    await advance(NODE_DELETE_SECONDS);
    expect(await p.getNodePool(cluster.id, pool!.id)).toMatchObject({
      desired: 0,
      ready: 0,
      phase: "stable",
    });
    expect(await p.listNodes(cluster.id, pool!.id)).toEqual([]);
  });

  it("grows a group node by node: pending machines, then running ones NODE_STAGGER_SECONDS apart", async () => {
    const p = provider();
    const { cluster, pool } = await find(p, "web-staging", "gpu");
    expect(pool!.desired).toBe(1);
    await p.resizeNodePool(cluster.id, pool!.id, { desired: 3 });
    expect(await p.getNodePool(cluster.id, pool!.id)).toMatchObject({
      desired: 3,
      ready: 1,
      phase: "scaling",
    });
    const nodes = await p.listNodes(cluster.id, pool!.id);
    expect(nodes.map((n) => n.vendorPhase)).toEqual(["running", "pending", "pending"]);
    expect(nodes.every((n) => n.poolId === pool!.id)).toBe(true);

    await advance(NODE_CREATE_SECONDS);
    expect(await p.getNodePool(cluster.id, pool!.id)).toMatchObject({ ready: 2, phase: "scaling" });
    expect((await p.listNodes(cluster.id, pool!.id)).map((n) => n.vendorPhase)).toEqual([
      "running",
      "running",
      "provisioned",
    ]);
    await advance(NODE_STAGGER_SECONDS);
    expect(await p.getNodePool(cluster.id, pool!.id)).toMatchObject({
      desired: 3,
      ready: 3,
      phase: "stable",
    });
    expect((await p.listNodes(cluster.id)).filter((n) => n.poolId === pool!.id && n.ready)).toHaveLength(3);
  });

  it("lists all of a cluster's nodes across groups", async () => {
    const p = provider();
    const { cluster } = await find(p, "web-prod");
    const pools = await p.listNodePools(cluster.id);
    const nodes = await p.listNodes(cluster.id);
    expect(nodes).toHaveLength(pools.reduce((sum, x) => sum + x.desired, 0));
    expect(new Set(nodes.map((n) => n.poolId))).toEqual(new Set(pools.map((x) => x.id)));
    expect(nodes.every((n) => n.ready && n.vendorPhase === "running")).toBe(true);
  });

  it("409: a second size while the first is still converging is a conflict; the same size again is fine", async () => {
    const p = provider();
    const { cluster, pool } = await find(p, "web-staging", "gpu");
    await p.resizeNodePool(cluster.id, pool!.id, { desired: 3 });
    await p.resizeNodePool(cluster.id, pool!.id, { desired: 3 });
    const error = await failure(p.resizeNodePool(cluster.id, pool!.id, { desired: 1 }));
    expect(error).toMatchObject({ kind: "conflict", status: 409, code: "InstanceGroupReplicasChanging" });
    expect(error.transient).toBe(true);
    await advance(NODE_CREATE_SECONDS + 2 * NODE_STAGGER_SECONDS);
    await p.resizeNodePool(cluster.id, pool!.id, { desired: 1 });
    expect((await p.getNodePool(cluster.id, pool!.id)).desired).toBe(1);
  });

  it("409: a cluster that is not running refuses size changes", async () => {
    const p = provider({ account: "acme-gz" });
    const { cluster, pool } = await find(p, "ml-sandbox", "default");
    const error = await failure(p.resizeNodePool(cluster.id, pool!.id, { desired: 0 }));
    expect(error).toMatchObject({ kind: "conflict", status: 409, code: "ClusterNotRunning" });
  });

  it("refuses a fixed size on an autoscaled group; changing its bounds works and moves the size into them", async () => {
    const p = provider();
    const { cluster, pool } = await find(p, "web-prod", "default");
    const refused = await failure(p.resizeNodePool(cluster.id, pool!.id, { desired: 0 }));
    expect(refused).toMatchObject({ kind: "invalid", status: 409, code: "InstanceGroupAutoscalerEnabled" });

    const max = pool!.desired - 1;
    const completion = await p.setNodePoolAutoscaling(cluster.id, pool!.id, { enabled: true, min: 0, max });
    expect(completion).toEqual({ kind: "pool-size", clusterId: cluster.id, poolId: pool!.id, desired: max });
    expect(await p.getNodePool(cluster.id, pool!.id)).toMatchObject({
      desired: max,
      autoscaling: { enabled: true, min: 0, max },
    });
    await advance(NODE_DELETE_SECONDS);
    expect(await p.setNodePoolAutoscaling(cluster.id, pool!.id, { enabled: false, min: 0, max })).toEqual({
      kind: "immediate",
    });
    await p.resizeNodePool(cluster.id, pool!.id, { desired: 0 });
    expect(await p.getNodePool(cluster.id, pool!.id)).toMatchObject({
      desired: 0,
      autoscaling: { enabled: false, min: 0, max },
    });
  });

  it("checks sizes and bounds before sending anything", async () => {
    const p = provider();
    expect((await failure(p.resizeNodePool("cce-abcdefgh", "cce-ig-abcdefgh", { desired: -1 }))).kind).toBe(
      "invalid",
    );
    expect(
      (
        await failure(
          p.setNodePoolAutoscaling("cce-abcdefgh", "cce-ig-abcdefgh", { enabled: true, min: 3, max: 2 }),
        )
      ).kind,
    ).toBe("invalid");
    expect((await failure(p.getCluster("../clusters"))).kind).toBe("invalid");
    expect(await requests()).toEqual([]);
  });

  it("404 for an unknown group", async () => {
    const p = provider();
    const { cluster } = await find(p, "web-prod");
    const error = await failure(p.getNodePool(cluster.id, "cce-ig-zzzzzzzz"));
    expect(error).toMatchObject({ kind: "not-found", code: "InstanceGroupNotFound" });
  });

  it("tracks scale-up and scale-down tasks with getJob", async () => {
    const p = provider();
    const { cluster, pool } = await find(p, "web-staging", "gpu");
    const up = await p.scaleUpNodePool(cluster.id, pool!.id, 2);
    expect(up.kind).toBe("job");
    const jobId = (up as { jobId: string }).jobId;
    expect(await p.getJob(jobId)).toMatchObject({ id: jobId, phase: "running", vendorPhase: "Pending" });
    await advance(TASK_PENDING_SECONDS);
    expect(await p.getJob(jobId)).toMatchObject({ phase: "running", vendorPhase: "Processing" });
    await advance(NODE_CREATE_SECONDS);
    expect(await p.getJob(jobId)).toMatchObject({ phase: "succeeded", vendorPhase: "Done" });

    const victim = (await p.listNodes(cluster.id, pool!.id))[0]!;
    const down = (await p.scaleDownNodePool(cluster.id, pool!.id, [victim.id])) as { jobId: string };
    await advance(TASK_PENDING_SECONDS);
    expect(await p.getJob(down.jobId)).toMatchObject({ phase: "running", vendorPhase: "Processing" });
    await advance(NODE_DELETE_SECONDS);
    expect(await p.getJob(down.jobId)).toMatchObject({ phase: "succeeded" });
    expect((await p.listNodes(cluster.id, pool!.id)).map((n) => n.id)).not.toContain(victim.id);
    expect((await failure(p.getJob("task-zzzzzzzz"))).kind).toBe("not-found");
  });
});

describe("Baidu CCE client: kubeconfig", () => {
  it("returns YAML with a real client certificate of the sandbox's fixed validity (365 days)", async () => {
    const p = provider();
    const { cluster } = await find(p, "web-prod");
    const kubeconfig = await p.issueKubeconfig(cluster.id, 7);
    expect(kubeconfig.text).toMatch(/^apiVersion: v1\n/);
    expect(kubeconfig.text).toContain("client-certificate-data: ");
    expect(kubeconfig.server).toMatch(/^https:\/\/106\.12\.\d+\.\d+:6443$/);
    expect(kubeconfig.notBefore.getTime()).toBe(Math.floor(simNow.getTime() / 1000) * 1000);
    expect(kubeconfig.notAfter.getTime() - kubeconfig.notBefore.getTime()).toBe(365 * DAY);

    const again = await p.issueKubeconfig(cluster.id, 7);
    expect(again.text).not.toBe(kubeconfig.text); // a fresh certificate on every call
    const vpc = await provider({ kubeconfigType: "vpc" }).issueKubeconfig(cluster.id, 7);
    expect(vpc.server).toMatch(/^https:\/\/192\.168\.\d+\.\d+:6443$/);
    expect((await requests()).map((r) => r.path)).toContain(`/v2/kubeconfig/${cluster.id}/vpc`);
  });

  it("409 while the cluster is being created", async () => {
    const p = provider({ account: "acme-gz" });
    const { cluster } = await find(p, "ml-sandbox");
    expect(await failure(p.issueKubeconfig(cluster.id, 1))).toMatchObject({
      kind: "conflict",
      code: "ClusterNotRunning",
    });
  });
});

describe("Baidu CCE wire format", () => {
  async function signedFetch(path: string, secret?: string) {
    const a = account("acme-bj");
    const url = `${sb.baidu.endpoint}${path}`;
    const signed = await signBaidu(
      { method: "GET", url },
      { accessKeyId: a.accessKeyId, secretAccessKey: secret ?? a.secretAccessKey },
      { now: simNow },
    );
    const { Host: _host, ...headers } = signed.headers;
    const response = await fetch(url, { headers });
    return { response, body: (await response.json()) as Record<string, unknown> };
  }

  it("x-bce-request-id equals requestID on success and requestId on errors; BCE error body", async () => {
    const ok = await signedFetch("/v2/clusters");
    expect(ok.response.status).toBe(200);
    expect(ok.response.headers.get("content-type")).toBe("application/json;charset=UTF-8");
    expect(ok.response.headers.get("x-bce-request-id")).toBe(ok.body.requestID);
    expect(ok.response.headers.get("date")).toMatch(/ GMT$/);

    const clusterId = (ok.body.clusterPage as { clusterList: Array<{ spec: { clusterID: string } }> })
      .clusterList[0]!.spec.clusterID;
    const bad = await signedFetch(`/v2/kubeconfig/${clusterId}/external`);
    expect(bad.response.status).toBe(400);
    expect(Object.keys(bad.body).sort()).toEqual(["code", "message", "requestId"]);
    expect(bad.body.code).toBe("InvalidParameter");
    expect(bad.response.headers.get("x-bce-request-id")).toBe(bad.body.requestId);
  });

  it("serves timestamps as yyyy-mm-ddThh:mm:ssZ", async () => {
    const { body } = await signedFetch("/api/cce/service/v2/clusters");
    const cluster = (body.clusterPage as { clusterList: Array<{ createdAt: string; updatedAt: string }> })
      .clusterList[0]!;
    expect(cluster.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(cluster.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});

describe("Baidu CCE client: unhappy paths", () => {
  it("a wrong secret is an auth error: 403 SignatureDoesNotMatch", async () => {
    const error = await failure(provider({ secret: "0".repeat(32) }).listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 403, code: "SignatureDoesNotMatch" });
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sleeps).toEqual([]); // not retried
  });

  it("an unknown access key is an auth error: 403 InvalidAccessKeyId", async () => {
    const error = await failure(provider({ accessKeyId: "f".repeat(32) }).listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 403, code: "InvalidAccessKeyId" });
  });

  it("a request signed too long ago is an auth error: 400 RequestExpired", async () => {
    const stale = new Date(simNow.getTime() - 2 * 3_600_000);
    const error = await failure(provider({ now: () => stale }).listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 400, code: "RequestExpired" });
  });

  it("throttling: 429 with Retry-After from the per-key rate limit", async () => {
    await sb.inspect("baidu", "PUT", "throttle", { ratePerSecond: 1 });
    const p = provider({ attempts: 1 });
    await p.listClusters();
    const error = await failure(p.listClusters());
    expect(error).toMatchObject({
      kind: "throttled",
      status: 429,
      code: "TooManyRequests",
      retryAfterSeconds: 1,
    });
    expect(error.transient).toBe(true);
  });

  it("throttling: Retry-After is waited for before the retry", async () => {
    await sb.inspect("baidu", "PUT", "faults", { throttle: 1, retryAfterSeconds: 4 });
    const error = await failure(provider({ attempts: 2 }).listClusters());
    expect(error).toMatchObject({ kind: "throttled", status: 429, retryAfterSeconds: 4 });
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(4000);
    expect((await requests()).map((r) => r.fault)).toEqual(["throttle", "throttle"]);
  });

  it("a 5xx is retried and the call then succeeds", async () => {
    await sb.inspect("baidu", "PUT", "faults", { serverError: 1 });
    onSleep = async () => {
      await sb.inspect("baidu", "PUT", "faults", { serverError: 0 });
    };
    const clusters = await provider().listClusters();
    expect(clusters).toHaveLength(2);
    expect((await requests()).map((r) => r.status)).toEqual([500, 200]);
  });

  it("a 5xx on a non-idempotent call is not retried: server error", async () => {
    const p = provider();
    const { cluster, pool } = await find(p, "web-staging", "gpu");
    await sb.inspect("baidu", "PUT", "faults", { serverError: 1 });
    const error = await failure(p.scaleUpNodePool(cluster.id, pool!.id, 2));
    expect(error).toMatchObject({ kind: "server", status: 500, code: "InternalError" });
    expect(sleeps).toEqual([]);
  });

  it("no answer in time is a timeout", async () => {
    await sb.inspect("baidu", "PUT", "faults", { timeout: 1, timeoutMs: 1500 });
    const error = await failure(provider({ attempts: 1, timeoutMs: 200 }).listClusters());
    expect(error).toMatchObject({ kind: "timeout", api: "baidu.listClusters" });
    expect(error.transient).toBe(true);
  });

  describe("with a seeded fleet", () => {
    const keys = { accessKeyId: "a".repeat(32), secretAccessKey: "b".repeat(32) };
    const seed = (clusters: unknown[]) =>
      sb.inspect("baidu", "POST", "seed", {
        accounts: [{ name: "acme-bj", region: "bj", ...keys }],
        clusters,
      });
    const seeded = () => provider({ accessKeyId: keys.accessKeyId, secret: keys.secretAccessKey });

    it("a cluster without clusterPhase is a malformed response naming the API and the field", async () => {
      await seed([{ account: "acme-bj", clusterName: "broken", clusterID: "cce-broken01", malformed: true }]);
      const error = await failure(seeded().getCluster("cce-broken01"));
      expect(error.kind).toBe("malformed-response");
      expect(error.message).toContain("baidu.getCluster");
      expect(error.message).toContain("cluster.status.clusterPhase");
      const listed = await failure(seeded().listClusters());
      expect(listed.message).toContain("clusterPage.clusterList[0].status.clusterPhase");
    });

    it("a group without readyReplicas is a malformed response naming the field", async () => {
      await seed([
        {
          account: "acme-bj",
          clusterName: "ok",
          clusterID: "cce-okok0001",
          instanceGroups: [
            { instanceGroupName: "bad", instanceGroupID: "cce-ig-bad00001", replicas: 1, malformed: true },
          ],
        },
      ]);
      const error = await failure(seeded().getNodePool("cce-okok0001", "cce-ig-bad00001"));
      expect(error).toMatchObject({ kind: "malformed-response", api: "baidu.getNodePool" });
      expect(error.message).toContain("instanceGroup.status.readyReplicas");
      expect((await failure(seeded().listNodePools("cce-okok0001"))).message).toContain(
        "page.list[0].status.readyReplicas",
      );
    });

    it("a paused group refuses size changes; a group whose new machines fail reports failed", async () => {
      await seed([
        {
          account: "acme-bj",
          clusterName: "odd",
          clusterID: "cce-odd00001",
          publicAccess: false,
          instanceGroups: [
            {
              instanceGroupName: "paused",
              instanceGroupID: "cce-ig-paused01",
              replicas: 2,
              paused: "quota exceeded",
            },
            {
              instanceGroupName: "failing",
              instanceGroupID: "cce-ig-failing1",
              replicas: 1,
              failNewMachines: true,
            },
          ],
        },
      ]);
      const p = seeded();
      expect(await p.getNodePool("cce-odd00001", "cce-ig-paused01")).toMatchObject({
        phase: "busy",
        vendorPhase: "paused: quota exceeded",
      });
      const paused = await failure(p.resizeNodePool("cce-odd00001", "cce-ig-paused01", { desired: 0 }));
      expect(paused).toMatchObject({ kind: "conflict", code: "InstanceGroupPaused" });

      await p.resizeNodePool("cce-odd00001", "cce-ig-failing1", { desired: 2 });
      await advance(NODE_CREATE_SECONDS);
      expect(await p.getNodePool("cce-odd00001", "cce-ig-failing1")).toMatchObject({
        desired: 2,
        ready: 1,
        phase: "failed",
      });
      expect((await p.listNodes("cce-odd00001", "cce-ig-failing1")).map((n) => n.vendorPhase)).toEqual([
        "running",
        "create_failed",
      ]);

      const noEip = await failure(p.issueKubeconfig("cce-odd00001", 1));
      expect(noEip).toMatchObject({ kind: "invalid", status: 409, code: "ClusterEIPNotBound" });
      const vpc = await provider({
        ...{ accessKeyId: keys.accessKeyId, secret: keys.secretAccessKey },
        kubeconfigType: "vpc",
      }).issueKubeconfig("cce-odd00001", 1);
      expect(vpc.server).toMatch(/^https:\/\/192\.168\./);
    });
  });
});
