// The simulated CCE answered in-process (no sockets): the gateway checks, the documented paths,
// status codes and bodies, with the framework around it (faults, request log).
import { beforeEach, describe, expect, it } from "vitest";
import { signHuawei } from "../../signer/huawei.ts";
import { createSandboxCa } from "../ca.ts";
import { createSimClock, seededRandom } from "../clock.ts";
import {
  cloudApp,
  createRequestLog,
  type SandboxAccount,
  type SandboxCloud,
  type SandboxContext,
} from "../cloud.ts";
import { createFaultControl } from "../faults.ts";
import { createThrottle } from "../throttle.ts";
import { createHuaweiCloud } from "./cloud.ts";

const START = new Date("2026-03-02T09:00:00Z");
// biome-ignore lint/suspicious/noExplicitAny: JSON answers and state views are inspected ad hoc here
type Json = any;
const HOST = "http://cce.sandbox.test";
const GO_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})? \+0000 UTC$/;

let ctx: SandboxContext;
let cloud: SandboxCloud;
let app: ReturnType<typeof cloudApp>;
let dev: SandboxAccount;
let log: ReturnType<typeof createRequestLog>;

beforeEach(async () => {
  const real = 0;
  const realNow = () => real;
  ctx = {
    clock: createSimClock({ start: START, speed: 0, realNow }),
    signatureNow: () => ctx.clock.now(),
    random: seededRandom(11),
    ca: await createSandboxCa({ now: START, random: seededRandom(12) }),
    throttle: createThrottle({ ratePerSecond: Number.POSITIVE_INFINITY, realNow }),
    faults: createFaultControl(),
    realNow,
    urlOf: () => HOST,
  };
  cloud = await createHuaweiCloud(ctx);
  log = createRequestLog();
  app = cloudApp(cloud, ctx, log);
  dev = cloud.accounts().find((a) => a.name === "platform-dev-cn-north-4")!;
});

async function call(
  method: string,
  path: string,
  options: {
    body?: string;
    headers?: Record<string, string>;
    account?: SandboxAccount;
    unsigned?: boolean;
  } = {},
): Promise<{ status: number; headers: Headers; json: Json }> {
  const account = options.account ?? dev;
  const url = `${HOST}/api/v3/projects/${account.projectId}${path}`;
  const headers = { "Content-Type": "application/json", ...options.headers };
  const signed = options.unsigned
    ? { headers }
    : await signHuawei(
        { method, url, headers, ...(options.body !== undefined ? { body: options.body } : {}) },
        account,
        { now: ctx.clock.now() },
      );
  const response = await app.request(url, {
    method,
    headers: signed.headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

async function clusterId(name: string, account = dev): Promise<string> {
  const list = await call("GET", "/clusters", { account });
  return list.json.items.find((c: Json) => c.metadata.name === name).metadata.uid;
}

describe("the gateway", () => {
  it("refuses an unsigned request with 401 APIG.0301 and a request id", async () => {
    const answer = await call("GET", "/clusters", { unsigned: true });
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      error_code: "APIG.0301",
      error_msg: "Incorrect IAM authentication information: verify aksk signature fail",
      request_id: answer.headers.get("x-request-id"),
    });
  });

  it("throttles per access key with 429 APIG.0308 and Retry-After", async () => {
    ctx.throttle.configure(1);
    expect((await call("GET", "/clusters")).status).toBe(200);
    const throttled = await call("GET", "/clusters");
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("1");
    expect(throttled.json.error_code).toBe("APIG.0308");
    expect(throttled.json.error_msg).toContain("limit:60,time:1 minute");
    // Another account has its own bucket.
    const qa = cloud.accounts().find((a) => a.name === "qa-team-cn-north-4")!;
    expect((await call("GET", "/clusters", { account: qa })).status).toBe(200);
  });

  it("answers an unknown API with 404 APIG.0101, a foreign project with 403, an unknown one with 404", async () => {
    expect((await call("GET", "/clusterz")).json.error_code).toBe("APIG.0101");
    const qa = cloud.accounts().find((a) => a.name === "qa-team-cn-north-4")!;
    const foreign = await app.request(`${HOST}/api/v3/projects/${qa.projectId}/clusters`, {
      headers: (
        await signHuawei({ method: "GET", url: `${HOST}/api/v3/projects/${qa.projectId}/clusters` }, dev, {
          now: START,
        })
      ).headers,
    });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ errorCode: "CCE.01403001", kind: "Status", code: 403 });
    const unknownUrl = `${HOST}/api/v3/projects/ffffffffffffffffffffffffffffffff/clusters`;
    const unknown = await app.request(unknownUrl, {
      headers: (await signHuawei({ method: "GET", url: unknownUrl }, dev, { now: START })).headers,
    });
    expect(unknown.status).toBe(404);
  });

  it("refuses a body that is not JSON with 400 CCE.01400006", async () => {
    const id = await clusterId("dev-core");
    const answer = await call("POST", `/clusters/${id}/tags/create`, {
      body: "tags=a",
      headers: { "Content-Type": "text/plain" },
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      errorCode: "CCE.01400006",
      errorMessage: "Content type not supported.",
      error_code: "CCE.01400006",
      error_msg: "Content type not supported.",
      status: "Failure",
      reason: "BadRequest",
    });
  });

  it("renders injected faults in CCE's shapes", async () => {
    ctx.faults.set({ serverError: 1 });
    const failed = await call("GET", "/clusters");
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({ errorCode: "CCE.01500001", errorMessage: "Internal error." });
    ctx.faults.set({ serverError: 0, throttle: 1, retryAfterSeconds: 4 });
    const throttled = await call("GET", "/clusters");
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("4");
    expect(throttled.json.errorCode).toBe("CCE.02429001");
  });
});

describe("CCE answers", () => {
  it("lists clusters as {kind: Cluster, items} with clusterTags and Go timestamps", async () => {
    const list = await call("GET", "/clusters?detail=true");
    expect(list.json.kind).toBe("Cluster");
    const core = list.json.items[0];
    expect(core.spec.clusterTags).toContainEqual({ key: "env", value: "dev" });
    expect(core.metadata.creationTimestamp).toMatch(GO_TIME);
    expect(core.metadata.annotations.totalNodesNumber).toBe(
      String(Number(core.metadata.annotations.activeNodesNumber)),
    );
    expect(core.status).not.toHaveProperty("reason");
    expect(list.json.items[1].status).toMatchObject({ phase: "Hibernation", reason: "Hibernation" });
    expect(log.since(0).at(-1)).toMatchObject({
      status: 200,
      accessKeyId: dev.accessKeyId,
      query: "?detail=true",
    });
  });

  it("answers hibernate with 200 and no body", async () => {
    const id = await clusterId("dev-core");
    const response = await app.request(
      `${HOST}/api/v3/projects/${dev.projectId}/clusters/${id}/operation/hibernate`,
      {
        method: "POST",
        headers: (
          await signHuawei(
            {
              method: "POST",
              url: `${HOST}/api/v3/projects/${dev.projectId}/clusters/${id}/operation/hibernate`,
            },
            dev,
            { now: START },
          )
        ).headers,
      },
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("validates the node-pool PUT body and names the field", async () => {
    const id = await clusterId("dev-core");
    const pools = await call("GET", `/clusters/${id}/nodepools`);
    expect(pools.json.kind).toBe("List");
    const pool = pools.json.items[1];
    expect(pool.spec.autoscaling).toEqual({});
    expect(pool.spec.nodeTemplate.k8sTags["cce.cloud.com/cce-nodepool"]).toBe("batch");
    const put = (body: unknown) =>
      call("PUT", `/clusters/${id}/nodepools/${pool.metadata.uid}`, { body: JSON.stringify(body) });
    const missing = await put({
      metadata: { name: "batch" },
      spec: { initialNodeCount: 1, nodeTemplate: {} },
    });
    expect(missing.status).toBe(400);
    expect(missing.json.message).toContain("spec.autoscaling");
    expect(
      (await call("PUT", `/clusters/${id}/nodepools/${pool.metadata.uid}`, { body: "{" })).json.message,
    ).toBe("the request body is not a JSON document");
    const userTag = await put({
      metadata: { name: "batch" },
      spec: {
        initialNodeCount: 1,
        autoscaling: {},
        nodeTemplate: { userTags: [{ key: "CCE-x", value: "" }] },
      },
    });
    expect(userTag.json.message).toContain("spec.nodeTemplate.userTags.0.key");
  });

  it("deletes a node: the answer is the node as it was, with status.jobID", async () => {
    const id = await clusterId("qa-perf", cloud.accounts().find((a) => a.name === "qa-team-cn-north-4")!);
    const qa = cloud.accounts().find((a) => a.name === "qa-team-cn-north-4")!;
    const nodes = await call("GET", `/clusters/${id}/nodes`, { account: qa });
    const node = nodes.json.items[0];
    expect(node.metadata.annotations["kubernetes.io/node-pool.id"]).toBeTruthy();
    const deleted = await call("DELETE", `/clusters/${id}/nodes/${node.metadata.uid}`, { account: qa });
    expect(deleted.status).toBe(200);
    expect(deleted.json.status.phase).toBe("Active");
    expect(deleted.json.status.jobID).toMatch(/-11ee-/);
    expect(deleted.json.status).not.toHaveProperty("jobId");
    const after = await call("GET", `/clusters/${id}/nodes/${node.metadata.uid}`, { account: qa });
    expect(after.json.status.phase).toBe("Deleting");
    const job = await call("GET", `/jobs/${deleted.json.status.jobID}`, { account: qa });
    expect(job.json).toMatchObject({
      kind: "Job",
      spec: { type: "DeleteNode" },
      status: { phase: "Initializing" },
    });
  });

  it("issues a clustercert with Port-ID, and can refuse it while hibernated (fleet option)", async () => {
    const id = await clusterId("dev-batch");
    const cert = await call("POST", `/clusters/${id}/clustercert`, { body: JSON.stringify({ duration: 7 }) });
    expect(cert.status).toBe(200);
    expect(cert.headers.get("port-id")).toMatch(/-11ee-/);
    expect(cert.json).toMatchObject({ kind: "Config", apiVersion: "v1", preferences: {} });
    expect(atob(cert.json.users[0].user["client-certificate-data"])).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(atob(cert.json.clusters[0].cluster["certificate-authority-data"])).toBe(ctx.ca.caPem);

    const fleet = { ...(cloud.state() as Json) };
    await cloud.seed({
      options: { clustercertWhileHibernated: false },
      accounts: [
        {
          name: "dev",
          accessKeyId: dev.accessKeyId,
          secretAccessKey: dev.secretAccessKey,
          projects: [{ region: "cn-north-4", projectId: dev.projectId }],
        },
      ],
      clusters: [{ projectId: dev.projectId, id, name: "dev-batch", phase: "Hibernation" }],
    });
    expect(fleet.accounts[0]).not.toHaveProperty("secretAccessKey");
    const refused = await call("POST", `/clusters/${id}/clustercert`, {
      body: JSON.stringify({ duration: 7 }),
    });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toBe("cluster status Hibernation does not support getting a certificate");
  });

  it("describes its endpoint extras, and reset brings the default fleet back", async () => {
    expect(cloud.describe()).toMatchObject({
      pathPrefix: "/api/v3/projects/{project_id}",
      regions: ["cn-north-4", "ap-southeast-1"],
    });
    const before = JSON.stringify(cloud.state());
    await call("POST", `/clusters/${await clusterId("dev-core")}/operation/hibernate`);
    expect(JSON.stringify(cloud.state())).not.toBe(before);
    await cloud.reset();
    expect(JSON.stringify(cloud.state())).toBe(before);
  });
});
