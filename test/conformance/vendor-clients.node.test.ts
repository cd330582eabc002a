// Conformance: the vendors' own client libraries, UNMODIFIED and with their default settings (no
// `signatureAlgorithm: "v2"`, no custom signer), against the sandbox clouds started in-process,
// exactly as a user points existing tooling at `nightshift sandbox`. Every call nightshift's
// providers make, asserting what really happened (the pool's size changed, the phase moved, the
// kubeconfig's certificate parses and expires when the API said).
//
// The SDKs sign with the real clock, so the sandbox judges signatures by real time
// (`signaturesBy: "real"`) while the test moves the simulated clock to let operations finish.
// The Huawei SDK's dependency injection (tsyringe) needs the Reflect polyfill loaded first, as its
// README asks of every program using it.
import "reflect-metadata";
import csModule, * as cs from "@alicloud/cs20151215";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import * as cce from "@huaweicloud/huaweicloud-sdk-cce/v3/public-api.js";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core";
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

let running: RunningSandbox;

beforeAll(async () => {
  running = await startSandbox({ speed: 0, seed: 14, signaturesBy: "real" });
});
afterAll(async () => {
  await running?.stop();
});

const advance = (seconds: number) => running.sandbox.clock.advance(seconds * 1000);
const accountsOf = (cloud: "huawei" | "alibaba" | "baidu") =>
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
