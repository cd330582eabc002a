// The Baidu sandbox cloud in process (no sockets): routes, parameters and their errors, the
// framework hooks (faults, throttle, request log), reset / seed / state / describe.
import { beforeEach, describe, expect, it } from "vitest";
import { signBaidu } from "../../signer/baidu.ts";
import { createSandboxCa } from "../ca.ts";
import { createSimClock, seededRandom } from "../clock.ts";
import {
  cloudApp,
  createRequestLog,
  type RequestLog,
  type SandboxCloud,
  type SandboxContext,
} from "../cloud.ts";
import { createFaultControl } from "../faults.ts";
import { createThrottle } from "../throttle.ts";
import { createBaiduCloud } from "./cloud.ts";

const START = new Date("2026-03-02T09:00:00Z");
let ctx: SandboxContext;
let cloud: SandboxCloud;
let log: RequestLog;
let app: ReturnType<typeof cloudApp>;

/** The parts of the answers these tests read. */
interface ClusterJson {
  spec: { clusterID: string; clusterName: string };
}
interface GroupJson {
  spec: { cceInstanceGroupID: string; instanceGroupName: string; replicas: number };
  status: unknown;
  createdAt: string;
}
interface Body {
  clusterPage: { clusterList: ClusterJson[]; [key: string]: unknown };
  page: { list: GroupJson[] };
  kubeConfigType: string;
  kubeConfig: string;
  code: string;
  message: string;
  requestId: string;
}
interface StateJson {
  clusters: Array<{ clusterName: string; region: string; phase: string }>;
}

beforeEach(async () => {
  let real = 0;
  const realNow = () => real++;
  ctx = {
    clock: createSimClock({ start: START, speed: 0, realNow }),
    signatureNow: () => ctx.clock.now(),
    random: seededRandom(5),
    ca: await createSandboxCa({ now: START, random: seededRandom(1) }),
    throttle: createThrottle({ ratePerSecond: Number.POSITIVE_INFINITY, realNow }),
    faults: createFaultControl(),
    realNow,
    urlOf: () => "http://127.0.0.1:1",
  };
  cloud = await createBaiduCloud(ctx);
  log = createRequestLog();
  app = cloudApp(cloud, ctx, log);
});

async function call(method: string, path: string, options: { body?: string; account?: string } = {}) {
  const account = cloud.accounts().find((a) => a.name === (options.account ?? "acme-bj"))!;
  const url = `http://cce.sandbox.test${path}`;
  const headers: Record<string, string> = options.body
    ? { "Content-Type": "application/json;charset=utf-8" }
    : {};
  const signed = await signBaidu({ method, url, headers, body: options.body }, account, {
    now: ctx.clock.now(),
  });
  const response = await app.fetch(
    new Request(url, { method, headers: signed.headers, ...(options.body ? { body: options.body } : {}) }),
  );
  return { status: response.status, headers: response.headers, json: (await response.json()) as Body };
}

describe("list clusters", () => {
  it("echoes the documented defaults", async () => {
    const { status, json } = await call("GET", "/v2/clusters");
    expect(status).toBe(200);
    const { clusterList, ...page } = json.clusterPage;
    expect(page).toEqual({
      keywordType: "clusterName",
      keyword: "",
      orderBy: "clusterName",
      order: "ASC",
      pageNo: 1,
      pageSize: 10,
      totalCount: 2,
    });
    expect(clusterList.map((c) => c.spec.clusterName)).toEqual(["web-prod", "web-staging"]);
  });

  it("fuzzy-matches the keyword on the chosen field, orders and pages", async () => {
    const byName = await call("GET", "/v2/clusters?keywordType=clusterName&keyword=STAG");
    expect(byName.json.clusterPage.clusterList.map((c) => c.spec.clusterName)).toEqual(["web-staging"]);
    const id: string = byName.json.clusterPage.clusterList[0]!.spec.clusterID;
    const byId = await call("GET", `/v2/clusters?keywordType=clusterID&keyword=${id.slice(4, 8)}`);
    expect(byId.json.clusterPage.clusterList.map((c) => c.spec.clusterID)).toContain(id);
    const desc = await call("GET", "/v2/clusters?orderBy=clusterName&order=DESC");
    expect(desc.json.clusterPage.clusterList.map((c) => c.spec.clusterName)).toEqual([
      "web-staging",
      "web-prod",
    ]);
    const page2 = await call("GET", "/v2/clusters?pageNo=2&pageSize=1&orderBy=clusterName");
    expect(page2.json.clusterPage).toMatchObject({ pageNo: 2, pageSize: 1, totalCount: 2 });
    expect(page2.json.clusterPage.clusterList.map((c) => c.spec.clusterName)).toEqual(["web-staging"]);
    const beyond = await call("GET", "/v2/clusters?pageNo=9");
    expect(beyond.json.clusterPage).toMatchObject({ totalCount: 2, clusterList: [] });
  });

  it("refuses values outside the documented ones with 400 InvalidParameter", async () => {
    for (const query of ["keywordType=vpcID", "orderBy=phase", "order=SIDEWAYS", "pageSize=0", "pageNo=x"]) {
      const { status, json, headers } = await call("GET", `/v2/clusters?${query}`);
      expect([query, status, json.code]).toEqual([query, 400, "InvalidParameter"]);
      expect(headers.get("x-bce-request-id")).toBe(json.requestId);
    }
  });
});

describe("instance groups", () => {
  async function batch() {
    const { json } = await call("GET", "/v2/clusters?keyword=web-prod");
    const clusterId: string = json.clusterPage.clusterList[0]!.spec.clusterID;
    const groups = await call("GET", `/v2/cluster/${clusterId}/instancegroups`);
    const group = groups.json.page.list.find((g) => g.spec.instanceGroupName === "batch")!;
    return { clusterId, groupId: group.spec.cceInstanceGroupID, group };
  }

  it("serves the documented group shape", async () => {
    const { group } = await batch();
    expect(group.spec).toMatchObject({
      clusterRole: "node",
      shrinkPolicy: "Priority",
      cleanPolicy: "Remain",
    });
    expect(group.status).toEqual({ readyReplicas: group.spec.replicas, undeliveredMachines: {} });
    expect(group.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("refuses bad replica bodies: MalformedJSON, InvalidParameter", async () => {
    const { clusterId, groupId } = await batch();
    const path = `/v2/cluster/${clusterId}/instancegroup/${groupId}/replicas`;
    expect((await call("PUT", path, { body: "{" })).json.code).toBe("MalformedJSON");
    const negative = await call("PUT", path, { body: JSON.stringify({ replicas: -1 }) });
    expect([negative.status, negative.json.code]).toEqual([400, "InvalidParameter"]);
    expect(negative.json.message).toContain("replicas");
    const stranger = await call("PUT", path, {
      body: JSON.stringify({ replicas: 0, instanceIDs: ["cce-x-y"] }),
    });
    expect([stranger.status, stranger.json.code]).toEqual([400, "InvalidParameter"]);
    const nodes = await call("GET", `/v2/cluster/${clusterId}/instancegroup/${groupId}/instances`);
    const first = (nodes.json.page.list[0] as unknown as { spec: { cceInstanceID: string } }).spec
      .cceInstanceID;
    const twice = await call("PUT", `/v2/cluster/${clusterId}/instancegroup/${groupId}/scaledown`, {
      body: JSON.stringify({ instancesToBeRemoved: [first, first] }),
    });
    expect([twice.status, twice.json.message]).toEqual([400, "an instance is named twice"]);
    const ok = await call("PUT", path, { body: JSON.stringify({ replicas: 0 }) });
    expect(ok.json).toEqual({ requestID: ok.headers.get("x-bce-request-id") });
  });

  it("refuses a manual size on an autoscaled group unless the fleet allows it", async () => {
    const seed = (reject: boolean) =>
      cloud.seed({
        accounts: [{ name: "acme-bj", accessKeyId: "ak1", secretAccessKey: "sk1", region: "bj" }],
        options: { rejectReplicasWhileAutoscaling: reject },
        clusters: [
          {
            account: "acme-bj",
            clusterName: "c",
            clusterID: "cce-cccc0001",
            instanceGroups: [
              {
                instanceGroupName: "g",
                instanceGroupID: "cce-ig-gggg0001",
                replicas: 2,
                autoscaler: { enabled: true, minReplicas: 1, maxReplicas: 4 },
              },
            ],
          },
        ],
      });
    const path = "/v2/cluster/cce-cccc0001/instancegroup/cce-ig-gggg0001/replicas";
    await seed(true);
    expect((await call("PUT", path, { body: '{"replicas":3}' })).json.code).toBe(
      "InstanceGroupAutoscalerEnabled",
    );
    await seed(false);
    expect((await call("PUT", path, { body: '{"replicas":3}' })).status).toBe(200);
  });

  it("answers an unknown path with a BCE 404", async () => {
    const { status, json } = await call("GET", "/v2/cluster/cce-x/nodes");
    expect([status, json.code]).toEqual([404, "NotFound"]);
  });

  it("lists a group's tasks newest first (ListTasks), paged, 0 meaning the default as the Go SDK sends it", async () => {
    const { clusterId, groupId } = await batch();
    const group = `/v2/cluster/${clusterId}/instancegroup/${groupId}`;
    const up = await call("PUT", `${group}/scaleup?upToReplicas=5`);
    expect(up.status).toBe(200);
    ctx.clock.advance(3_600_000);
    const nodes = await call("GET", `${group}/instances?pageSize=100`);
    const first = (nodes.json.page.list[0] as unknown as { spec: { cceInstanceID: string } }).spec
      .cceInstanceID;
    const down = await call("PUT", `${group}/scaledown`, {
      body: JSON.stringify({ instancesToBeRemoved: [first] }),
    });
    expect(down.status).toBe(200);
    const ids = [
      (up.json as unknown as { taskID: string }).taskID,
      (down.json as unknown as { taskID: string }).taskID,
    ];

    type TaskPage = {
      page: {
        pageNo: number;
        pageSize: number;
        totalCount: number;
        items: Array<{ id: string; type: string; phase: string }>;
      };
    };
    const list = async (query: string) =>
      (await call("GET", `/v2/tasks/InstanceGroupReplicas?${query}`)).json as unknown as TaskPage;
    const all = await list(`targetID=${groupId}&pageNo=0&pageSize=0`);
    expect(all.page).toMatchObject({ pageNo: 1, pageSize: 10, totalCount: 2 });
    expect(all.page.items.map((t) => t.id)).toEqual([ids[1], ids[0]]);
    expect(all.page.items[1]).toMatchObject({ type: "InstanceGroupReplicas", phase: "Done" });
    const second = await list(`targetID=${groupId}&pageNo=2&pageSize=1`);
    expect(second.page.items.map((t) => t.id)).toEqual([ids[0]]);
    // Another account's view of the same group: nothing.
    const stranger = await call("GET", `/v2/tasks/InstanceGroupReplicas?targetID=${groupId}`, {
      account: "acme-gz",
    });
    expect((stranger.json as unknown as TaskPage).page.totalCount).toBe(0);
  });

  it("refuses ListTasks without a targetID or for an unknown task type", async () => {
    const missing = await call("GET", "/v2/tasks/InstanceGroupReplicas");
    expect([missing.status, missing.json.code]).toEqual([400, "InvalidParameter"]);
    expect(missing.json.message).toContain("targetID");
    const unknown = await call("GET", "/v2/tasks/ClusterUpgrade?targetID=x");
    expect([unknown.status, unknown.json.code]).toEqual([400, "InvalidParameter"]);
    expect(unknown.json.message).toContain("InstanceGroupReplicas");
  });

  it("serves kubeconfigs of every documented type", async () => {
    const { clusterId } = await batch();
    const internal = await call("GET", `/v2/kubeconfig/${clusterId}/internal`);
    expect(internal.json.kubeConfigType).toBe("internal");
    expect(internal.json.kubeConfig).toMatch(/server: https:\/\/100\.64\.\d+\.\d+:6443\n/);
    expect(internal.json.kubeConfig).toContain("current-context: acme-bj@");
  });
});

describe("framework hooks", () => {
  it("records the access key of each request, valid or not", async () => {
    await call("GET", "/v2/clusters");
    const entries = log.since(0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ cloud: "baidu", status: 200, path: "/v2/clusters" });
    expect(entries[0]!.accessKeyId).toBe(cloud.accounts()[0]!.accessKeyId);
  });

  it("throttles per access key with 429 TooManyRequests and Retry-After", async () => {
    ctx.throttle.configure(1, 1);
    expect((await call("GET", "/v2/clusters")).status).toBe(200);
    expect((await call("GET", "/v2/clusters", { account: "acme-gz" })).status).toBe(200);
    const refused = await call("GET", "/v2/clusters");
    expect([refused.status, refused.json.code, refused.headers.get("retry-after")]).toEqual([
      429,
      "TooManyRequests",
      "1",
    ]);
  });

  it("dates every answer by the gateway's clock, the one signatures are judged by", async () => {
    const gateway = new Date(START.getTime() + 90_000);
    ctx.signatureNow = () => gateway;
    ctx.clock.advance(7_200_000);
    // Signed by the simulated clock, two hours ahead of the gateway's: refused, and dated by the
    // gateway, so a client (BceBaseClient) corrects its signing clock from the Date it reads.
    const refused = await call("GET", "/v2/clusters");
    expect([refused.status, refused.json.code]).toEqual([400, "RequestExpired"]);
    expect(refused.headers.get("date")).toBe(gateway.toUTCString());
  });

  it("renders injected faults in the BCE shape", async () => {
    ctx.faults.set({ serverError: 1 });
    const failed = await call("GET", "/v2/clusters");
    expect([failed.status, failed.json.code]).toEqual([500, "InternalError"]);
    expect(failed.headers.get("x-bce-request-id")).toBe(failed.json.requestId);
    ctx.faults.set({ serverError: 0, throttle: 1, retryAfterSeconds: 3 });
    const throttled = await call("GET", "/v2/clusters");
    expect([throttled.status, throttled.json.code, throttled.headers.get("retry-after")]).toEqual([
      429,
      "TooManyRequests",
      "3",
    ]);
  });
});

describe("reset, seed, state, describe", () => {
  it("seed replaces the fleet, reset brings the same default fleet back", async () => {
    const before = cloud.state();
    const keys = cloud.accounts();
    await cloud.seed({
      accounts: [{ name: "solo", accessKeyId: "ak", secretAccessKey: "sk", region: "hkg" }],
      clusters: [{ account: "solo", clusterName: "only" }],
    });
    expect(cloud.accounts()).toEqual([
      { name: "solo", accessKeyId: "ak", secretAccessKey: "sk", region: "hkg" },
    ]);
    expect((cloud.state() as StateJson).clusters.map((c) => [c.clusterName, c.region, c.phase])).toEqual([
      ["only", "hkg", "running"],
    ]);
    await expect(cloud.seed({ accounts: "nope" })).rejects.toThrow(/^invalid Baidu fleet: accounts: /);
    await cloud.reset();
    expect(cloud.accounts()).toEqual(keys);
    expect(cloud.state()).toEqual(before);
  });

  it("state shows every cluster with phases, and never a secret", () => {
    const state = cloud.state() as StateJson;
    expect(state.clusters).toHaveLength(6);
    expect(JSON.stringify(state)).not.toContain(cloud.accounts()[0]!.secretAccessKey);
  });

  it("describes both path prefixes, the regions and the fixed kubeconfig validity", () => {
    expect(cloud.describe()).toMatchObject({
      pathPrefixes: ["/v2", "/api/cce/service/v2"],
      regions: ["bj", "gz", "su"],
      kubeconfigTypes: ["vpc", "public", "internal"],
      kubeconfigValidityDays: 365,
    });
  });
});
