// The Huawei client's quirk handling, against canned answers (no sandbox): error shapes, Go
// timestamps, omitempty / nil slices, the whole-spec PUT, hibernate's "already there", idempotency
// flags and signing. The contract suite (test/contract/huawei.test.ts) runs it against the sandbox.
import { describe, expect, it } from "vitest";
import {
  type HttpClient,
  HttpFailure,
  type OutboundRequest,
  type ReceivedResponse,
  type SendOptions,
} from "../http/client.ts";
import { createSandboxCa } from "../sandbox/ca.ts";
import { seededRandom } from "../sandbox/clock.ts";
import { verifyHuawei } from "../signer/huawei.ts";
import { readVendorError } from "./huawei.schemas.ts";
import { clusterPhase, createHuaweiProvider, huaweiError, parseHuaweiTime } from "./huawei.ts";
import { ProviderError } from "./port.ts";

const NOW = new Date("2026-03-02T09:00:00Z");
const PROJECT = "0123456789abcdef0123456789abcdef";
const ACCOUNT = {
  id: "prod-hw",
  accessKeyId: "AKAKAKAKAKAKAKAKAKAK",
  secretAccessKey: "secret-key",
  region: "cn-north-4",
  projectId: PROJECT,
};

interface Sent {
  request: OutboundRequest;
  options: SendOptions;
  headers: Record<string, string>;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | HttpFailure;

/** An HttpClient that signs like the real one and answers from a script, recording what was sent. */
function scripted(answers: Answer[]): { http: HttpClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const http: HttpClient = {
    async send(request, options): Promise<ReceivedResponse> {
      const headers = options.sign ? await options.sign(request) : { ...request.headers };
      sent.push({ request, options, headers });
      const answer = answers.shift();
      if (!answer) throw new Error(`unexpected request ${request.method} ${request.url}`);
      if (answer instanceof HttpFailure) throw answer;
      const text =
        answer.body === undefined
          ? ""
          : typeof answer.body === "string"
            ? answer.body
            : JSON.stringify(answer.body);
      return { status: answer.status, headers: new Headers(answer.headers), text };
    },
  };
  return { http, sent };
}

function provider(answers: Answer[]) {
  const { http, sent } = scripted(answers);
  return { p: createHuaweiProvider({ account: ACCOUNT, http, now: () => NOW }), sent };
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("expected a ProviderError");
}

const cluster = (phase: string, extra: Record<string, unknown> = {}) => ({
  kind: "Cluster",
  apiVersion: "v3",
  metadata: {
    uid: "c-1",
    name: "dev",
    creationTimestamp: "2018-08-02 03:48:58.968214406 +0000 UTC",
    updateTimestamp: "2018-08-02T12:05:29+08:00",
  },
  spec: { version: "v1.28", clusterTags: [{ key: "env", value: "dev" }] },
  status: { phase, ...extra },
});

const pool = {
  kind: "NodePool",
  apiVersion: "v3",
  metadata: { name: "web", uid: "p-1" },
  spec: {
    type: "vm",
    initialNodeCount: 3,
    nodeTemplate: {
      flavor: "s6.large.2",
      az: "cn-north-4a",
      os: "EulerOS 2.9",
      login: { sshKey: "KeyPair-001" },
      rootVolume: { volumetype: "SAS", size: 40 },
      k8sTags: { workload: "web", "cce.cloud.com/cce-nodepool": "web" },
      taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }],
      userTags: [{ key: "owner", value: "platform" }],
      extendParam: { maxPods: 110 },
    },
    autoscaling: { enable: true, minNodeCount: 1, maxNodeCount: 6, priority: 2 },
    nodeManagement: {},
  },
  status: { currentNode: 3, phase: "" },
};

describe("Go timestamps", () => {
  it("reads Go's time.Time.String(), RFC 3339 and bare forms", () => {
    expect(parseHuaweiTime("2018-08-02 03:48:58.968214406 +0000 UTC")?.toISOString()).toBe(
      "2018-08-02T03:48:58.968Z",
    );
    expect(parseHuaweiTime("2018-08-02 03:48:58 +0000 UTC")?.toISOString()).toBe("2018-08-02T03:48:58.000Z");
    expect(parseHuaweiTime("2018-08-02 11:48:58.5 +0800 CST")?.toISOString()).toBe(
      "2018-08-02T03:48:58.500Z",
    );
    expect(parseHuaweiTime("2018-08-02 03:48:58.1 +0000 UTC m=+0.000000001")?.toISOString()).toBe(
      "2018-08-02T03:48:58.100Z",
    );
    expect(parseHuaweiTime("2018-08-02T03:48:58Z")?.toISOString()).toBe("2018-08-02T03:48:58.000Z");
    expect(parseHuaweiTime("2018-08-02T01:48:58.25-02:00")?.toISOString()).toBe("2018-08-02T03:48:58.250Z");
    expect(parseHuaweiTime("2018-08-02 03:48:58")?.toISOString()).toBe("2018-08-02T03:48:58.000Z");
    expect(parseHuaweiTime(" 2018-08-02 03:48:58 UTC ")?.toISOString()).toBe("2018-08-02T03:48:58.000Z");
  });

  it("refuses what it cannot place in time", () => {
    for (const text of [
      "",
      "yesterday",
      "2018-02-30 00:00:00 +0000 UTC",
      "2018-08-02 03:48:58 CST",
      "2018-13-01T00:00:00Z",
    ]) {
      expect(parseHuaweiTime(text)).toBeUndefined();
    }
  });
});

describe("error bodies", () => {
  it("reads CCE's combined shape, APIG's shape, the doc's camelCase-only shape, and a bare Status", () => {
    expect(
      readVendorError(
        JSON.stringify({
          kind: "Status",
          code: 400,
          errorCode: "CCE.01400001",
          errorMessage: "Invalid request.",
          error_code: "CCE_CM.0004",
          error_msg: "Request is invalid",
          message: "Eni subnetId and subnetCidr not matched",
        }),
      ),
    ).toEqual({
      code: "CCE.01400001",
      message: "Invalid request.",
      detail: "Eni subnetId and subnetCidr not matched",
    });
    expect(
      readVendorError('{"error_code":"APIG.0308","error_msg":"over ratelimit","request_id":"r1"}'),
    ).toEqual({
      code: "APIG.0308",
      message: "over ratelimit",
      requestId: "r1",
    });
    expect(
      readVendorError('{"errorMessage":"The format of message is error","errorCode":"CCE.01400001"}'),
    ).toEqual({
      code: "CCE.01400001",
      message: "The format of message is error",
    });
    expect(readVendorError('{"kind":"Status","message":"forbidden"}')).toEqual({ message: "forbidden" });
    expect(readVendorError("<html>502 Bad Gateway</html>")).toEqual({});
  });

  it("maps status and code to the error kind: a 429 lock is a conflict, other 429s throttling", () => {
    const map = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      huaweiError("huawei.x", { status, headers: new Headers(headers), text: JSON.stringify(body) }, NOW);
    expect(
      map(429, { errorCode: "CCE.01429002", errorMessage: "Resource locked by other requests." }),
    ).toMatchObject({
      kind: "conflict",
      code: "CCE.01429002",
      transient: true,
    });
    expect(
      map(429, { error_code: "APIG.0308" }, { "Retry-After": "3", "X-Request-Id": "req-9" }),
    ).toMatchObject({
      kind: "throttled",
      retryAfterSeconds: 3,
      requestId: "req-9",
    });
    expect(map(401, { error_code: "APIG.0301" }).kind).toBe("auth");
    expect(map(403, { errorCode: "CCE.01403001" }).kind).toBe("auth");
    expect(map(404, { errorCode: "CCE.01404001" }).kind).toBe("not-found");
    expect(map(409, { errorCode: "CCE.01409002" }).kind).toBe("conflict");
    expect(map(400, { errorCode: "CCE.01400001" }).kind).toBe("invalid");
    expect(map(503, {}).kind).toBe("server");
    const error = map(400, {
      errorCode: "CCE.01400001",
      errorMessage: "Invalid request.",
      message: "bad duration",
    });
    expect(error.message).toBe("huawei.x: 400 CCE.01400001: Invalid request. (bad duration)");
  });

  it("maps the HTTP layer's failures to timeout and network", async () => {
    const timeout = new HttpFailure("timeout", "huawei.listClusters", "no response within 100 ms");
    expect(await rejection(provider([timeout]).p.listClusters())).toMatchObject({
      kind: "timeout",
      message: "huawei.listClusters: no response within 100 ms",
    });
    const reset = new HttpFailure("network", "huawei.listClusters", "socket hang up");
    expect((await rejection(provider([reset]).p.listClusters())).kind).toBe("network");
  });
});

describe("reading answers", () => {
  it("maps phases, tags and timestamps; tolerates Go nil slices and unknown fields", async () => {
    const { p } = provider([
      {
        status: 200,
        body: { kind: "Cluster", items: [cluster("Available", { extra: 1 }), cluster("Resizing")] },
      },
      { status: 200, body: { kind: "Cluster", items: null } },
    ]);
    const [first, second] = await p.listClusters();
    expect(first).toMatchObject({
      provider: "huawei",
      account: "prod-hw",
      region: "cn-north-4",
      id: "c-1",
      phase: "running",
      vendorPhase: "Available",
      version: "v1.28",
      tags: { env: "dev" },
    });
    expect(first?.createdAt?.toISOString()).toBe("2018-08-02T03:48:58.968Z");
    expect(first?.updatedAt?.toISOString()).toBe("2018-08-02T04:05:29.000Z");
    expect(second?.phase).toBe("busy");
    expect(await p.listClusters()).toEqual([]);
    expect(
      ["Hibernating", "Hibernation", "Awaking", "RollbackFailed", "Upgrading", "SomethingNew"].map(
        clusterPhase,
      ),
    ).toEqual(["hibernating", "hibernated", "waking", "failed", "busy", "busy"]);
  });

  it("reads omitempty pool JSON: missing counters are 0, a missing autoscaler is off", async () => {
    const { p } = provider([
      {
        status: 200,
        body: {
          items: [
            {
              metadata: { name: "a", uid: "a" },
              spec: { initialNodeCount: 2, autoscaling: {} },
              status: { phase: "" },
            },
            {
              metadata: { name: "b", uid: "b" },
              spec: { initialNodeCount: 1 },
              status: { currentNode: 1, conditions: [{ type: "Scalable", status: "False" }] },
            },
          ],
        },
      },
    ]);
    const [a, b] = await p.listNodePools("c-1");
    expect(a).toEqual({
      id: "a",
      name: "a",
      desired: 2,
      ready: 0,
      phase: "scaling",
      vendorPhase: "",
      autoscaling: { enabled: false, min: 0, max: 0 },
    });
    expect(b).toMatchObject({ phase: "failed", ready: 1 });
  });

  it("names the API and field of a malformed answer", async () => {
    const bad = cluster("Available");
    (bad.metadata as Record<string, unknown>).uid = 42;
    expect((await rejection(provider([{ status: 200, body: bad }]).p.getCluster("c-1"))).message).toMatch(
      /^huawei\.getCluster: response field metadata\.uid: /,
    );
    expect(await rejection(provider([{ status: 200, body: "<html>" }]).p.getCluster("c-1"))).toMatchObject({
      kind: "malformed-response",
      message: "huawei.getCluster: response is not JSON (status 200)",
    });
    const noJob = { metadata: { name: "n", uid: "n" }, status: { phase: "Active", jobId: "wrong-spelling" } };
    expect(
      (await rejection(provider([{ status: 200, body: noJob }]).p.deleteNode("c-1", "n"))).message,
    ).toMatch(/^huawei\.deleteNode: response field status\.jobID: /);
  });

  it("reads the job id as `jobID` on a node and `jobId` on a node pool", async () => {
    const { p } = provider([
      {
        status: 200,
        body: { metadata: { name: "n", uid: "n" }, status: { phase: "Active", jobID: "job-node" } },
      },
      { status: 200, body: { ...pool, status: { phase: "Deleting", jobId: "job-pool" } } },
    ]);
    expect(await p.deleteNode("c-1", "n")).toEqual({ kind: "job", jobId: "job-node" });
    expect(await p.deleteNodePool("c-1", "p-1")).toEqual({ kind: "job", jobId: "job-pool" });
  });

  it("reads nested jobs", async () => {
    const job = (uid: string, phase: string, subJobs?: unknown[]) => ({
      metadata: { uid, creationTimestamp: "2018-08-02 08:12:40.672772389 +0000 UTC" },
      spec: { type: "DeleteNodePool", ...(subJobs ? { subJobs } : {}) },
      status: { phase, reason: phase === "Failed" ? "quota" : "" },
    });
    const { p } = provider([
      { status: 200, body: job("j", "Running", [job("s1", "Success"), job("s2", "Failed")]) },
    ]);
    const result = await p.getJob("j");
    expect(result).toMatchObject({
      id: "j",
      phase: "running",
      vendorPhase: "Running",
      type: "DeleteNodePool",
    });
    expect(result.subJobs.map((s) => [s.phase, s.reason])).toEqual([
      ["succeeded", undefined],
      ["failed", "quota"],
    ]);
    expect(result.createdAt?.toISOString()).toBe("2018-08-02T08:12:40.672Z");
  });

  it("reads the kubeconfig's real certificate, even after a textual dump", async () => {
    const ca = await createSandboxCa({ now: NOW, random: seededRandom(1) });
    const notAfter = new Date(NOW.getTime() + 30 * 86_400_000);
    const cert = await ca.issue({ commonName: "user", notBefore: NOW, notAfter });
    const config = {
      kind: "Config",
      apiVersion: "v1",
      preferences: {},
      clusters: [{ name: "internalCluster", cluster: { server: "https://192.168.0.7:5443" } }],
      users: [
        {
          name: "user",
          user: {
            "client-certificate-data": btoa(
              `Certificate:\n    Data:\n        Version: 3 (0x2)\n${cert.certPem}`,
            ),
            "client-key-data": btoa(cert.keyPem),
          },
        },
      ],
      contexts: [{ name: "internal", context: { cluster: "internalCluster", user: "user" } }],
      "current-context": "internal",
    };
    const { p, sent } = provider([{ status: 200, body: config, headers: { "Port-ID": "port" } }]);
    const result = await p.issueKubeconfig("c-1", 30);
    expect(result.notBefore.toISOString()).toBe(NOW.toISOString());
    expect(result.notAfter.toISOString()).toBe(notAfter.toISOString());
    expect(result.server).toBe("https://192.168.0.7:5443");
    expect(JSON.parse(sent[0]!.request.body!)).toEqual({ duration: 30 });

    const broken = {
      ...config,
      users: [
        { name: "user", user: { "client-certificate-data": "bm90IGEgY2VydA==", "client-key-data": "eA==" } },
      ],
    };
    expect(
      (await rejection(provider([{ status: 200, body: broken }]).p.issueKubeconfig("c-1", 30))).message,
    ).toMatch(
      /^huawei\.issueKubeconfig: response field users\[0\]\.user\.client-certificate-data: is not a base64 PEM/,
    );
  });
});

describe("requests", () => {
  it("signs every attempt with X-Project-Id and X-Sdk-Date, leaves Host to the transport", async () => {
    const { p, sent } = provider([{ status: 200, body: { items: [] } }]);
    await p.listClusters({ status: "Hibernation" });
    const { request, headers, options } = sent[0]!;
    expect(request.url).toBe(
      `https://cce.cn-north-4.myhuaweicloud.com/api/v3/projects/${PROJECT}/clusters?status=Hibernation`,
    );
    expect(headers["X-Project-Id"]).toBe(PROJECT);
    expect(headers["X-Sdk-Date"]).toBe("20260302T090000Z");
    expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain("host");
    expect(options).toMatchObject({ account: "prod-hw", api: "huawei.listClusters", idempotent: true });
    const verdict = await verifyHuawei({ ...request, headers }, () => ACCOUNT.secretAccessKey, { now: NOW });
    expect(verdict).toEqual({ ok: true, accessKeyId: ACCOUNT.accessKeyId });
  });

  it("declares idempotency truthfully: node deletes are not retried blindly", async () => {
    const { p, sent } = provider([
      { status: 200, body: { metadata: { name: "n", uid: "n" }, status: { phase: "Active", jobID: "j" } } },
      { status: 204 },
    ]);
    await p.deleteNode("c-1", "n", { scaleDownPool: false });
    await p.addClusterTags("c-1", { env: "qa" });
    expect(sent[0]!.request.url).toMatch(/\/nodes\/n\?nodepoolScaleDown=NoScaleDown$/);
    expect(sent.map((s) => s.options.idempotent)).toEqual([false, true]);
    expect(JSON.parse(sent[1]!.request.body!)).toEqual({ tags: [{ key: "env", value: "qa" }] });
  });

  it("PUTs the whole spec back on resize: template, labels, taints, tags and the full autoscaling block", async () => {
    const { p, sent } = provider([
      { status: 200, body: pool },
      { status: 200, body: { ...pool, spec: { ...pool.spec, initialNodeCount: 5 } } },
    ]);
    expect(await p.resizeNodePool("c-1", "p-1", { desired: 5 })).toEqual({
      kind: "pool-size",
      clusterId: "c-1",
      poolId: "p-1",
      desired: 5,
    });
    const put = sent[1]!;
    expect(put.request.method).toBe("PUT");
    expect(put.options.idempotent).toBe(true);
    expect(JSON.parse(put.request.body!)).toEqual({
      metadata: { name: "web" },
      spec: {
        ...pool.spec,
        initialNodeCount: 5,
        autoscaling: {
          enable: true,
          minNodeCount: 1,
          maxNodeCount: 6,
          scaleDownCooldownTime: 0,
          priority: 2,
        },
      },
    });
  });

  it("PUTs back the pool as it was read when given that read (listed): no GET before the PUT", async () => {
    const { p, sent } = provider([
      { status: 200, body: { items: [pool] } },
      { status: 200, body: { ...pool, spec: { ...pool.spec, initialNodeCount: 5 } } },
    ]);
    const [read] = await p.listNodePools("c-1");
    await p.resizeNodePool("c-1", "p-1", { desired: 5 }, read);
    expect(sent.map((s) => s.request.method)).toEqual(["GET", "PUT"]);
    expect(JSON.parse(sent[1]!.request.body!).spec.nodeTemplate).toEqual(pool.spec.nodeTemplate);
    expect(JSON.parse(sent[1]!.request.body!).spec.initialNodeCount).toBe(5);
  });

  it("leaves out a password login it cannot send back, and fills lists the PUT would otherwise clear", async () => {
    const bare = {
      metadata: { name: "bare", uid: "p-2" },
      spec: {
        initialNodeCount: 1,
        nodeTemplate: { flavor: "s6", login: { userPassword: { username: "root" } } },
      },
      status: { currentNode: 1 },
    };
    const { p, sent } = provider([
      { status: 200, body: bare },
      { status: 200, body: bare },
    ]);
    await p.setNodePoolAutoscaling("c-1", "p-2", { enabled: true, min: 2, max: 4 });
    expect(JSON.parse(sent[1]!.request.body!)).toEqual({
      metadata: { name: "bare" },
      spec: {
        initialNodeCount: 2,
        nodeTemplate: { flavor: "s6", taints: [], k8sTags: {}, userTags: [] },
        autoscaling: {
          enable: true,
          minNodeCount: 2,
          maxNodeCount: 4,
          scaleDownCooldownTime: 0,
          priority: 0,
        },
      },
    });
  });

  it("treats a refused hibernate as done when the cluster is already asleep, else as a conflict", async () => {
    const refused = {
      status: 400,
      body: {
        errorCode: "CCE.01400001",
        errorMessage: "Invalid request.",
        message: "cluster status Hibernation does not support hibernate",
      },
    };
    const asleep = provider([refused, { status: 200, body: cluster("Hibernation") }]);
    expect(await asleep.p.hibernate("c-1")).toEqual({
      kind: "cluster-phase",
      clusterId: "c-1",
      until: "hibernated",
    });
    expect(asleep.sent.map((s) => s.request.method)).toEqual(["POST", "GET"]);
    expect(asleep.sent[0]!.request.body).toBeUndefined();

    const creating = provider([refused, { status: 200, body: cluster("Creating") }]);
    const error = await rejection(creating.p.hibernate("c-1"));
    expect(error).toMatchObject({ kind: "conflict", status: 400, code: "CCE.01400001" });
    expect(error.message).toContain("the cluster is Creating");

    const awake = provider([{ status: 200 }]);
    expect(await awake.p.awake("c-1")).toEqual({ kind: "cluster-phase", clusterId: "c-1", until: "running" });
  });

  it("refuses to build without a project id", () => {
    const { http } = scripted([]);
    expect(() =>
      createHuaweiProvider({ account: { ...ACCOUNT, projectId: undefined }, http, now: () => NOW }),
    ).toThrow("projectId is required");
  });
});
