// Conformance: the vendors' own client libraries, UNMODIFIED and with their default settings (no
// `signatureAlgorithm: "v2"`, no custom signer), against the sandbox clouds started in-process,
// exactly as a user points existing tooling at `nightshift sandbox`. Every call nightshift's
// providers make, asserting what really happened (the pool's size changed, the phase moved, the
// kubeconfig's certificate parses and expires when the API said). Huawei IAM tokens last: no
// Node SDK sends one to a service, so those calls are plain fetch, as a script would make them.
//
// The SDKs sign with the real clock, so the sandbox judges signatures by real time
// (`signaturesBy: "real"`) while the test moves the simulated clock to let operations finish.
// The Huawei SDK's dependency injection (tsyringe) needs the Reflect polyfill loaded first, as its
// README asks of every program using it.
import "reflect-metadata";
import { createRequire } from "node:module";
import csModule, * as cs from "@alicloud/cs20151215";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import * as cce from "@huaweicloud/huaweicloud-sdk-cce/v3/public-api.js";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core";
import { ClientBuilder } from "@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js";
import type { HcClient } from "@huaweicloud/huaweicloud-sdk-core/HcClient.js";
import { X509Certificate } from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { SandboxAccount } from "../../shared/sandbox/cloud.ts";
import { type RunningSandbox, startSandbox } from "../../shared/sandbox/server.node.ts";

// A CommonJS module whose `exports.default` is the client class: Node's ESM import gives the
// exports object (class at `.default`), a bundler's interop the class itself.
const CsClient = ((csModule as unknown as { default?: typeof csModule.default }).default ??
  csModule) as typeof csModule.default;
type CsClient = InstanceType<typeof CsClient>;

// @baiducloud/sdk ships no types for BceBaseClient; this is the part of it the suite calls.
interface BceResponse<T> {
  http_headers: Record<string, string>;
  body: T;
}
interface BceBaseClient {
  sendRequest<T>(
    method: string,
    resource: string,
    args?: { params?: Record<string, string | number>; body?: string; headers?: Record<string, string> },
  ): Promise<BceResponse<T>>;
}
const { BceBaseClient } = createRequire(import.meta.url)("@baiducloud/sdk") as {
  BceBaseClient: new (
    config: { endpoint: string; credentials: { ak: string; sk: string } },
    serviceId: string,
    regionSupported?: boolean,
  ) => BceBaseClient;
};

let running: RunningSandbox;

beforeAll(async () => {
  running = await startSandbox({ speed: 0, seed: 14, signaturesBy: "real" });
});
afterAll(async () => {
  await running?.stop();
});

const advance = (seconds: number) => running.sandbox.clock.advance(seconds * 1000);
const accountsOf = (cloud: "huawei" | "autopilot" | "alibaba" | "baidu") =>
  running.description[cloud].accounts as SandboxAccount[];

/** The client certificate of a kubeconfig, parsed (and so proven to be a real X.509 certificate). */
function clientCertificate(kubeconfigYaml: string): X509Certificate {
  const config = parseYaml(kubeconfigYaml) as {
    users: Array<{ user: { "client-certificate-data": string } }>;
  };
  const data = config.users[0]!.user["client-certificate-data"];
  return new X509Certificate(Buffer.from(data, "base64").toString("utf8"));
}

describe("@huaweicloud/huaweicloud-sdk-cce CceClient (AK/SK, as shipped)", () => {
  let client: cce.CceClient;
  let clusterId: string;

  beforeAll(() => {
    const account = accountsOf("huawei")[0]!;
    const credentials = new BasicCredentials()
      .withAk(account.accessKeyId)
      .withSk(account.secretAccessKey)
      .withProjectId(account.projectId!);
    client = cce.CceClient.newBuilder()
      .withCredential(credentials)
      .withEndpoint(running.description.huawei.endpoint as string)
      .build();
  });

  it("lists and reads clusters (GETs, which the SDK sends with a signed `{}` body)", async () => {
    const list = await client.listClusters(new cce.ListClustersRequest());
    expect(list.items?.length).toBeGreaterThan(0);
    const available = list.items!.find((c) => c.status?.phase === "Available")!;
    clusterId = available.metadata!.uid!;
    const shown = await client.showCluster(new cce.ShowClusterRequest(clusterId));
    expect(shown.metadata?.name).toBe(available.metadata?.name);
  });

  it("resizes a node pool with UpdateNodePool (GET, change, PUT the whole spec): the pool really grows", async () => {
    const pools = await client.listNodePools(new cce.ListNodePoolsRequest(clusterId));
    const pool = pools.items!.find(
      (p) => !p.spec?.autoscaling?.enable && p.metadata?.name !== "DefaultPool",
    )!;
    const poolId = pool.metadata!.uid!;
    const before = pool.spec!.initialNodeCount!;
    const update = new cce.NodePoolUpdate()
      .withMetadata(new cce.NodePoolMetadataUpdate().withName(pool.metadata!.name!))
      .withSpec(
        new cce.NodePoolSpecUpdate()
          .withInitialNodeCount(before + 1)
          .withAutoscaling(pool.spec!.autoscaling ?? new cce.NodePoolNodeAutoscaling())
          .withNodeTemplate(new cce.NodeSpecUpdate()),
      );
    await client.updateNodePool(new cce.UpdateNodePoolRequest(clusterId, poolId).withBody(update));
    advance(3600);
    const after = await client.showNodePool(new cce.ShowNodePoolRequest(clusterId, poolId));
    expect(after.spec?.initialNodeCount).toBe(before + 1);
    expect(after.status?.currentNode).toBe(before + 1);
  });

  it("hibernates and awakes the cluster, and follows the jobs to the phases", async () => {
    await client.hibernateCluster(new cce.HibernateClusterRequest(clusterId));
    advance(3600);
    expect((await client.showCluster(new cce.ShowClusterRequest(clusterId))).status?.phase).toBe(
      "Hibernation",
    );
    await client.awakeCluster(new cce.AwakeClusterRequest(clusterId));
    advance(3600);
    expect((await client.showCluster(new cce.ShowClusterRequest(clusterId))).status?.phase).toBe("Available");
  });

  it("issues a clustercert whose client certificate parses and lasts the days asked for", async () => {
    const answer = await client.createKubernetesClusterCert(
      new cce.CreateKubernetesClusterCertRequest(clusterId).withBody(new cce.CertDuration().withDuration(30)),
    );
    const raw = answer as unknown as { users: Array<{ user: { "client-certificate-data": string } }> };
    const certificate = new X509Certificate(
      Buffer.from(raw.users[0]!.user["client-certificate-data"], "base64").toString("utf8"),
    );
    const days = (certificate.notAfter.getTime() - certificate.notBefore.getTime()) / 86_400_000;
    expect(Math.round(days)).toBeGreaterThanOrEqual(30);
  });

  it("a wrong secret gets APIG.0301, which the SDK reports as the error code", async () => {
    const account = accountsOf("huawei")[0]!;
    const wrong = cce.CceClient.newBuilder()
      .withCredential(
        new BasicCredentials()
          .withAk(account.accessKeyId)
          .withSk("not-the-secret")
          .withProjectId(account.projectId!),
      )
      .withEndpoint(running.description.huawei.endpoint as string)
      .build();
    const error = (await wrong.listClusters(new cce.ListClustersRequest()).catch((e: unknown) => e)) as {
      httpStatusCode: number;
      errorCode: string;
    };
    expect(error.httpStatusCode).toBe(401);
    expect(error.errorCode).toBe("APIG.0301");
  });
});

describe("@alicloud/cs20151215 (ACK), default signing ACS3-HMAC-SHA256", () => {
  let client: CsClient;
  let clusterId: string;
  let poolId: string;

  function ack(secret?: string): CsClient {
    const account = accountsOf("alibaba").find((a) => !a.organizationId)!;
    const endpoint = new URL(running.description.alibaba.endpoint as string);
    return new CsClient(
      new $OpenApiUtil.Config({
        accessKeyId: account.accessKeyId,
        accessKeySecret: secret ?? account.secretAccessKey,
        endpoint: endpoint.host,
        protocol: "http",
        regionId: account.region,
      }),
    );
  }

  beforeAll(() => {
    client = ack();
  });

  it("lists clusters (DescribeClustersV1) and reads one (DescribeClusterDetail)", async () => {
    const list = await client.describeClustersV1(new cs.DescribeClustersV1Request({ pageSize: 50 }));
    const running_ = list.body!.clusters!.find(
      (c: cs.DescribeClustersV1ResponseBodyClusters) => c.state === "running",
    )!;
    expect(running_).toBeDefined();
    clusterId = running_.clusterId!;
    const detail = await client.describeClusterDetail(clusterId);
    expect(detail.body?.name).toBe(running_.name);
  });

  it("lists node pools and reads one", async () => {
    const pools = await client.describeClusterNodePools(
      clusterId,
      new cs.DescribeClusterNodePoolsRequest({}),
    );
    const pool = pools.body!.nodepools!.find(
      (p: cs.DescribeClusterNodePoolsResponseBodyNodepools) => !p.autoScaling?.enable,
    )!;
    poolId = pool.nodepoolInfo!.nodepoolId!;
    const detail = await client.describeClusterNodePoolDetail(clusterId, poolId);
    expect(detail.body?.nodepoolInfo?.name).toBe(pool.nodepoolInfo?.name);
  });

  it("ModifyClusterNodePool with scaling_group.desired_size really resizes; DescribeTaskInfo follows it", async () => {
    const modified = await client.modifyClusterNodePool(
      clusterId,
      poolId,
      new cs.ModifyClusterNodePoolRequest({
        scalingGroup: new cs.ModifyClusterNodePoolRequestScalingGroup({ desiredSize: 4 }),
      }),
    );
    const taskId = modified.body!.taskId!;
    advance(3600);
    const task = await client.describeTaskInfo(taskId);
    expect(task.body?.state).toBe("success");
    const pool = await client.describeClusterNodePoolDetail(clusterId, poolId);
    expect(pool.body?.status?.totalNodes).toBe(4);
  });

  it("ScaleClusterNodePool adds nodes and RemoveNodePoolNodes takes them away", async () => {
    const scaled = await client.scaleClusterNodePool(
      clusterId,
      poolId,
      new cs.ScaleClusterNodePoolRequest({ count: 2 }),
    );
    expect(scaled.body?.taskId).toMatch(/^T-/);
    advance(3600);
    const nodes = await client.describeClusterNodes(
      clusterId,
      new cs.DescribeClusterNodesRequest({ nodepoolId: poolId, pageSize: "100" }),
    );
    expect(nodes.body?.nodes).toHaveLength(6);
    const names = nodes
      .body!.nodes!.slice(0, 3)
      .map((n: cs.DescribeClusterNodesResponseBodyNodes) => n.nodeName!);
    await client.removeNodePoolNodes(
      clusterId,
      poolId,
      new cs.RemoveNodePoolNodesRequest({ nodes: names, releaseNode: true, drainNode: false }),
    );
    advance(3600);
    const pool = await client.describeClusterNodePoolDetail(clusterId, poolId);
    expect(pool.body?.status?.totalNodes).toBe(3);
  });

  it("DescribeClusterUserKubeconfig: the certificate parses and expires when the API says", async () => {
    const answer = await client.describeClusterUserKubeconfig(
      clusterId,
      new cs.DescribeClusterUserKubeconfigRequest({ temporaryDurationMinutes: 60 }),
    );
    const certificate = clientCertificate(answer.body!.config!);
    expect(Math.abs(certificate.notAfter.getTime() - Date.parse(answer.body!.expiration!))).toBeLessThan(
      1000,
    );
  });

  it("a wrong secret is refused with SignatureDoesNotMatch, which the SDK reports as the code", async () => {
    const error = (await ack("not-the-secret")
      .describeClustersV1(new cs.DescribeClustersV1Request({}))
      .catch((e: unknown) => e)) as { statusCode: number; code: string };
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe("SignatureDoesNotMatch");
  });
});

describe("@baiducloud/sdk BceBaseClient (bce-auth-v1, as shipped)", () => {
  interface Group {
    spec: { cceInstanceGroupID: string; replicas: number; clusterAutoscalerSpec?: { enabled: boolean } };
    status: { readyReplicas: number };
  }
  interface Task {
    id: string;
    type: string;
    phase: string;
  }
  let client: BceBaseClient;
  let clusterId: string;
  let groupPath: string;
  let groupId: string;

  function cce(secret?: string): BceBaseClient {
    const account = accountsOf("baidu")[0]!;
    return new BceBaseClient(
      {
        endpoint: running.description.baidu.endpoint as string,
        credentials: { ak: account.accessKeyId, sk: secret ?? account.secretAccessKey },
      },
      "cce",
      true,
    );
  }
  const get = async <T>(path: string, params?: Record<string, string | number>) =>
    (await client.sendRequest<T>("GET", path, params ? { params } : {})).body;
  const put = async <T>(path: string, body?: unknown, params?: Record<string, string | number>) =>
    (
      await client.sendRequest<T>("PUT", path, {
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(params ? { params } : {}),
      })
    ).body;
  const group = async () => (await get<{ instanceGroup: Group }>(groupPath)).instanceGroup;
  const instanceIds = async () =>
    (
      await get<{ page: { list: Array<{ spec: { cceInstanceID: string } }> } }>(`${groupPath}/instances`, {
        pageNo: 1,
        pageSize: 100,
      })
    ).page.list.map((i) => i.spec.cceInstanceID);

  beforeAll(() => {
    client = cce();
  });

  it("lists clusters with the documented query (empty keyword included) and reads one, with its events", async () => {
    const list = await get<{
      clusterPage: {
        totalCount: number;
        clusterList: Array<{ spec: { clusterID: string }; status: { clusterPhase: string } }>;
      };
    }>("/v2/clusters", {
      keywordType: "clusterName",
      keyword: "",
      orderBy: "clusterID",
      order: "ASC",
      pageNo: 1,
      pageSize: 10,
    });
    const cluster = list.clusterPage.clusterList.find((c) => c.status.clusterPhase === "running")!;
    expect(cluster).toBeDefined();
    clusterId = cluster.spec.clusterID;
    const shown = await get<{ cluster: { spec: { clusterID: string } } }>(`/v2/cluster/${clusterId}`);
    expect(shown.cluster.spec.clusterID).toBe(clusterId);
    const events = await get<{ status: string; steps: Array<{ stepStatus: string }> }>(
      `/v2/event/cluster/${clusterId}`,
    );
    expect(events.steps.length).toBeGreaterThan(0);
    expect(events.steps.every((step) => step.stepStatus === "done")).toBe(true);
  });

  it("lists instance groups, sets replicas, and the group really reaches the new size", async () => {
    const groups = await get<{ page: { list: Group[] } }>(`/v2/cluster/${clusterId}/instancegroups`, {
      pageNo: 1,
      pageSize: 100,
    });
    const manual = groups.page.list.find((g) => !g.spec.clusterAutoscalerSpec?.enabled)!;
    groupId = manual.spec.cceInstanceGroupID;
    groupPath = `/v2/cluster/${clusterId}/instancegroup/${groupId}`;
    const before = manual.spec.replicas;
    await put(`${groupPath}/replicas`, { replicas: before + 2 });
    advance(3600);
    const after = await group();
    expect([after.spec.replicas, after.status.readyReplicas]).toEqual([before + 2, before + 2]);
    expect(await instanceIds()).toHaveLength(before + 2);
  });

  it("turns the autoscaler on and off (PUT autoscaler)", async () => {
    const size = (await group()).spec.replicas;
    await put(`${groupPath}/autoscaler`, { enabled: true, minReplicas: 1, maxReplicas: size + 1 });
    expect((await group()).spec.clusterAutoscalerSpec?.enabled).toBe(true);
    await put(`${groupPath}/autoscaler`, { enabled: false, minReplicas: 1, maxReplicas: size + 1 });
    expect((await group()).spec.clusterAutoscalerSpec?.enabled).toBe(false);
  });

  it("scales up and down by task; GetTask and ListTasks (GET /v2/tasks/InstanceGroupReplicas) follow both", async () => {
    const size = (await group()).spec.replicas;
    const up = await put<{ taskID: string }>(`${groupPath}/scaleup`, undefined, { upToReplicas: size + 1 });
    advance(3600);
    expect((await get<{ task: Task }>(`/v2/task/InstanceGroupReplicas/${up.taskID}`)).task.phase).toBe(
      "Done",
    );
    expect(await instanceIds()).toHaveLength(size + 1);
    const victim = (await instanceIds())[0]!;
    const down = await put<{ taskID: string }>(`${groupPath}/scaledown`, { instancesToBeRemoved: [victim] });
    advance(3600);
    expect(await instanceIds()).not.toContain(victim);
    expect((await group()).status.readyReplicas).toBe(size);
    const tasks = await get<{ page: { totalCount: number; items: Task[] } }>(
      "/v2/tasks/InstanceGroupReplicas",
      {
        targetID: groupId,
        pageNo: 1,
        pageSize: 10,
      },
    );
    expect(tasks.page.items.map((t) => [t.id, t.type, t.phase])).toEqual([
      [down.taskID, "InstanceGroupReplicas", "Done"],
      [up.taskID, "InstanceGroupReplicas", "Done"],
    ]);
  });

  it("issues a kubeconfig whose client certificate parses and is valid now", async () => {
    const answer = await get<{ kubeConfigType: string; kubeConfig: string }>(
      `/v2/kubeconfig/${clusterId}/vpc`,
    );
    expect(answer.kubeConfigType).toBe("vpc");
    const certificate = clientCertificate(answer.kubeConfig);
    const now = running.sandbox.clock.now().getTime();
    expect(certificate.notBefore.getTime()).toBeLessThanOrEqual(now);
    expect(certificate.notAfter.getTime()).toBeGreaterThan(now);
  });

  it("a wrong secret is refused with SignatureDoesNotMatch, which the SDK reports as the code", async () => {
    const error = (await cce("0".repeat(32))
      .sendRequest("GET", "/v2/clusters")
      .catch((e: unknown) => e)) as { status_code: number; code: string; request_id: string };
    expect([error.status_code, error.code]).toEqual([403, "SignatureDoesNotMatch"]);
    expect(error.request_id).toMatch(/^[0-9a-f-]{36}$/);
    // The SDK set its signing clock from that error's Date: still in step with the gateway's.
    expect((await get<{ clusterPage: unknown }>("/v2/clusters")).clusterPage).toBeDefined();
  });
});

describe("Autopilot through @huaweicloud/huaweicloud-sdk-core's signed HcClient (AK/SK, as shipped)", () => {
  // The Node CCE SDK (3.0.57, the only version published) has no Autopilot operations; the other
  // SDKs' ones (ListAutopilotClusters, ShowAutopilotQuotas, …) are these requests, sent by the same
  // core client CceClient is built on.
  interface Cluster {
    metadata: { uid: string; name: string };
    status: { phase: string; endpoints: Array<{ url: string; type: string }> };
  }
  let client: HcClient;
  let clusterId: string;

  function autopilot(secret?: string): HcClient {
    const account = accountsOf("autopilot")[0]!;
    return new ClientBuilder((hcClient: HcClient) => hcClient)
      .withCredential(
        new BasicCredentials()
          .withAk(account.accessKeyId)
          .withSk(secret ?? account.secretAccessKey)
          .withProjectId(account.projectId!),
      )
      .withEndpoint(running.description.autopilot.endpoint as string)
      .build();
  }
  const send = <T>(
    method: "GET" | "POST",
    url: string,
    options: { client?: HcClient; cluster?: string; data?: Record<string, unknown> } = {},
  ) =>
    (options.client ?? client).sendRequest<T & { httpStatusCode: number }>({
      method,
      url: `/autopilot/v3/projects/{project_id}${url}`,
      contentType: "application/json",
      queryParams: {},
      pathParams: options.cluster ? { cluster_id: options.cluster } : {},
      headers: {},
      data: options.data ?? {},
    });

  beforeAll(() => {
    client = autopilot();
  });

  it("ListAutopilotClusters and ShowAutopilotCluster", async () => {
    const list = await send<{ items: Cluster[] }>("GET", "/clusters");
    const available = list.items.find((c) => c.status.phase === "Available")!;
    clusterId = available.metadata.uid;
    const shown = await send<Cluster>("GET", "/clusters/{cluster_id}", { cluster: clusterId });
    expect([shown.httpStatusCode, shown.metadata.name]).toEqual([200, available.metadata.name]);
  });

  it("ShowAutopilotClusterEndpoints: the private endpoint is the cluster's Internal endpoint", async () => {
    const cluster = await send<Cluster>("GET", "/clusters/{cluster_id}", { cluster: clusterId });
    const endpoints = await send<{ status: { privateEndpoint: string; publicEndpoint: string } }>(
      "GET",
      "/clusters/{cluster_id}/openapi",
      { cluster: clusterId },
    );
    const internal = cluster.status.endpoints.find((e) => e.type === "Internal")!.url;
    expect(endpoints.status).toEqual({ privateEndpoint: internal, publicEndpoint: "" });
  });

  it("ShowAutopilotQuotas counts every cluster of the project", async () => {
    const list = await send<{ items: Cluster[] }>("GET", "/clusters");
    const quotas = await send<{ quotas: Array<{ quotaKey: string; quotaLimit: number; used: number }> }>(
      "GET",
      "/quotas",
    );
    expect(quotas.quotas).toEqual([
      expect.objectContaining({ quotaKey: "autopilot_cluster", used: list.items.length, unit: "count" }),
    ]);
    expect(quotas.quotas[0]!.quotaLimit).toBeGreaterThanOrEqual(list.items.length);
  });

  it("CreateAutopilotKubernetesClusterCert: the client certificate parses and lasts the days asked for", async () => {
    const kubeconfig = await send<{ users: Array<{ user: { "client-certificate-data": string } }> }>(
      "POST",
      "/clusters/{cluster_id}/clustercert",
      { cluster: clusterId, data: { duration: 7 } },
    );
    const certificate = new X509Certificate(
      Buffer.from(kubeconfig.users[0]!.user["client-certificate-data"], "base64").toString("utf8"),
    );
    const days = (certificate.notAfter.getTime() - certificate.notBefore.getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(7);
  });

  it("a wrong secret gets the gateway's APIG.0301, which the SDK reports as the error code", async () => {
    const error = (await send("GET", "/clusters", { client: autopilot("not-the-secret") }).catch(
      (e: unknown) => e,
    )) as { httpStatusCode: number; errorCode: string; errorMsg: string; requestId: string };
    expect([error.httpStatusCode, error.errorCode]).toEqual([401, "APIG.0301"]);
    expect(error.errorMsg).toBe("Incorrect IAM authentication information: verify aksk signature fail");
  });
});

describe("Huawei IAM tokens (X-Auth-Token) on the CCE and Autopilot gateways, by plain fetch", () => {
  const clouds = [
    { cloud: "huawei", list: "/api/v3/projects/{p}/clusters" },
    { cloud: "autopilot", list: "/autopilot/v3/projects/{p}/clusters" },
  ] as const;

  /** The project's account (IAM user and domain name) as `nightshift sandbox` describes it. */
  function userOf(cloud: "huawei" | "autopilot", projectId: string): string {
    const projects = running.description[cloud].projects as Array<{ account: string; projectId: string }>;
    return projects.find((p) => p.projectId === projectId)!.account;
  }

  async function token(cloud: "huawei" | "autopilot", account: SandboxAccount, password?: string) {
    const user = userOf(cloud, account.projectId!);
    const response = await fetch(`${running.description[cloud].endpoint}/v3/auth/tokens?nocatalog=true`, {
      method: "POST",
      headers: { "Content-Type": "application/json;charset=utf8" },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ["password"],
            password: {
              user: { name: user, password: password ?? account.secretAccessKey, domain: { name: user } },
            },
          },
          scope: { project: { name: account.region } },
        },
      }),
    });
    return {
      status: response.status,
      token: response.headers.get("x-subject-token") ?? "",
      body: (await response.json()) as { token: { expires_at: string; project: { id: string } } },
    };
  }
  const call = async (cloud: "huawei" | "autopilot", path: string, token: string) => {
    const response = await fetch(`${running.description[cloud].endpoint}${path}`, {
      headers: { "Content-Type": "application/json", "X-Auth-Token": token },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  for (const { cloud, list } of clouds) {
    it(`${cloud}: a password token lists the project's clusters, and no other project's`, async () => {
      const account = accountsOf(cloud)[0]!;
      const issued = await token(cloud, account);
      expect(issued.status).toBe(201);
      expect(issued.body.token.project.id).toBe(account.projectId);
      const answer = await call(cloud, list.replace("{p}", account.projectId!), issued.token);
      expect(answer.status).toBe(200);
      expect((answer.body.items as unknown[]).length).toBeGreaterThan(0);
      const other = accountsOf(cloud).find(
        (a) => a.accessKeyId === account.accessKeyId && a.projectId !== account.projectId,
      )!;
      const elsewhere = await call(cloud, list.replace("{p}", other.projectId!), issued.token);
      expect([elsewhere.status, elsewhere.body.errorCode]).toEqual([403, "CCE.01403001"]);
    });

    it(`${cloud}: a wrong password gets no token; a forged token gets APIG.0301`, async () => {
      const account = accountsOf(cloud)[0]!;
      const refused = await token(cloud, account, "guess");
      expect([refused.status, refused.token]).toEqual([401, ""]);
      const forged = await call(cloud, list.replace("{p}", account.projectId!), "MIIEforged");
      expect(forged).toEqual({
        status: 401,
        body: {
          error_code: "APIG.0301",
          error_msg: "Incorrect IAM authentication information: decrypt token fail",
          request_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
      });
    });
  }

  it("autopilot: a token reaches the cluster's Kubernetes API through the gateway", async () => {
    const account = accountsOf("autopilot")[0]!;
    const { token: value } = await token("autopilot", account);
    const clusters = await call("autopilot", `/autopilot/v3/projects/${account.projectId}/clusters`, value);
    const uid = (clusters.body.items as Array<{ metadata: { uid: string } }>)[0]!.metadata.uid;
    const version = await call("autopilot", `/clusters/${uid}/version`, value);
    expect(version.status).toBe(200);
    expect(version.body.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });

  it("a token expires 24 hours after it was issued: then APIG.0307", async () => {
    const tokens = await Promise.all(clouds.map(({ cloud }) => token(cloud, accountsOf(cloud)[0]!)));
    const issuedAt = running.sandbox.clock.now().getTime();
    for (const issued of tokens) {
      expect(Date.parse(issued.body.token.expires_at) - issuedAt).toBeLessThanOrEqual(86_400_000);
      expect(Date.parse(issued.body.token.expires_at) - issuedAt).toBeGreaterThan(86_399_000);
    }
    advance(86_400);
    for (const [i, { cloud, list }] of clouds.entries()) {
      const expired = await call(
        cloud,
        list.replace("{p}", accountsOf(cloud)[0]!.projectId!),
        tokens[i]!.token,
      );
      expect([expired.status, expired.body.error_code, expired.body.error_msg]).toEqual([
        401,
        "APIG.0307",
        "The token must be updated.",
      ]);
    }
  });
});
