// Contract: the CCE Autopilot client against the simulated Autopilot cloud, on Node and inside
// workerd. Every Provider method, the happy paths and the unhappy ones (bad signature, unknown
// key, foreign project, 404, the CCE.01429002 lock, gateway and CCE throttling with Retry-After,
// timeout, injected 5xx then success, malformed response).
//
// The sandbox clock runs at speed 0 and is moved by hand; the client signs with that clock.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpClient, type Fetch } from "../../shared/http/client.ts";
import {
  AUTOPILOT_CAPABILITIES,
  clusterPhase,
  createAutopilotProvider,
  errorFromResponse,
} from "../../shared/providers/autopilot.ts";
import { type Provider, ProviderError } from "../../shared/providers/port.ts";
import { newSandbox, type SandboxAccountInfo, type TestSandbox } from "../setup/sandbox.ts";

const DAY = 86_400_000;

let sb: TestSandbox;
let simNow: Date;

async function syncClock(): Promise<void> {
  simNow = new Date((await sb.inspect("autopilot", "GET", "clock")).now);
}

async function advance(seconds: number): Promise<void> {
  simNow = new Date((await sb.inspect("autopilot", "POST", "clock", { advanceSeconds: seconds })).now);
}

function account(name: string): SandboxAccountInfo {
  const found = sb.autopilot.accounts.find((a) => a.name === name);
  if (!found) throw new Error(`no sandbox account ${name}: ${sb.autopilot.accounts.map((a) => a.name)}`);
  return found;
}

const platformFetch: Fetch = (input, init) => globalThis.fetch(input, init);

function provider(
  name: string,
  options: {
    attempts?: number;
    realSleep?: boolean;
    secret?: string;
    accessKeyId?: string;
    projectId?: string;
    timeoutMs?: number;
    fetch?: Fetch;
    sleeps?: number[];
  } = {},
): Provider {
  const info = account(name);
  const http = createHttpClient({
    fetch: options.fetch ?? platformFetch,
    retry: { attempts: options.attempts ?? 3, baseDelayMs: 1, maxDelayMs: 4 },
    random: () => 0.5,
    ...(options.realSleep
      ? {}
      : {
          sleep: async (ms: number) => {
            options.sleeps?.push(ms);
          },
        }),
  });
  return createAutopilotProvider({
    account: {
      id: info.name,
      accessKeyId: options.accessKeyId ?? info.accessKeyId,
      secretAccessKey: options.secret ?? info.secretAccessKey,
      region: info.region,
      projectId: options.projectId ?? info.projectId!,
      endpoint: sb.autopilot.endpoint,
    },
    http,
    now: () => simNow,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
}

interface StateCluster {
  projectId: string;
  region: string;
  cluster: {
    metadata: { uid: string; name: string };
    spec: { version: string; clusterTags: Array<{ key: string; value: string }> };
    status: { phase: string; jobID?: string };
  };
  workloads: unknown[];
}

async function stateClusters(): Promise<StateCluster[]> {
  return (await sb.inspect("autopilot", "GET", "state")).state.clusters;
}

async function clusterNamed(name: string): Promise<StateCluster> {
  const found = (await stateClusters()).find((c) => c.cluster.metadata.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
}

async function requestCount(): Promise<number> {
  return (await sb.inspect("autopilot", "GET", "requests")).requests.length;
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("expected a ProviderError, the call succeeded");
}

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 7 });
});

afterAll(async () => {
  await sb.stop();
});

beforeEach(async () => {
  await sb.inspect("autopilot", "POST", "reset");
  await sb.inspect("autopilot", "PUT", "throttle", { ratePerSecond: 0 });
  await syncClock();
});

describe("autopilot provider: clusters", () => {
  it("declares no hibernate and no node pools", () => {
    expect(provider("dev-cn-north-4").capabilities).toEqual({
      hibernate: false,
      nodePools: false,
      shrinkRemovesNodes: false,
      shrinkReleasesInstances: false,
      workloads: true,
      kubeconfigValidity: "days",
    });
    expect(AUTOPILOT_CAPABILITIES.hibernate).toBe(false);
  });

  it("lists exactly the clusters of the account's project, with phase, version and tags", async () => {
    const info = account("dev-cn-north-4");
    const expected = (await stateClusters()).filter((c) => c.projectId === info.projectId);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const clusters = await provider("dev-cn-north-4").listClusters();
    expect(clusters.map((c) => c.id).sort()).toEqual(expected.map((c) => c.cluster.metadata.uid).sort());
    for (const cluster of clusters) {
      const seen = expected.find((c) => c.cluster.metadata.uid === cluster.id)!;
      expect(cluster).toMatchObject({
        provider: "autopilot",
        account: "dev-cn-north-4",
        region: "cn-north-4",
        name: seen.cluster.metadata.name,
        vendorPhase: seen.cluster.status.phase,
        phase: clusterPhase(seen.cluster.status.phase),
        version: seen.cluster.spec.version,
        tags: Object.fromEntries(seen.cluster.spec.clusterTags.map((t) => [t.key, t.value])),
      });
    }
    expect(clusters.find((c) => c.name === "ap-dev-web")?.tags.env).toBe("dev");
  });

  it("follows a Creating cluster to Available, and an Upgrading one to its new version", async () => {
    const east = provider("dev-cn-east-3");
    const creating = await clusterNamed("ap-preview");
    const upgrading = await clusterNamed("ap-staging");
    expect(await east.getCluster(creating.cluster.metadata.uid)).toMatchObject({
      phase: "busy",
      vendorPhase: "Creating",
    });
    const before = await east.getCluster(upgrading.cluster.metadata.uid);
    expect(before).toMatchObject({ phase: "busy", vendorPhase: "Upgrading" });

    await advance(13 * 60);
    expect(await east.getCluster(creating.cluster.metadata.uid)).toMatchObject({
      phase: "running",
      vendorPhase: "Available",
    });
    const after = await east.getCluster(upgrading.cluster.metadata.uid);
    expect(after).toMatchObject({ phase: "running", vendorPhase: "Available" });
    expect(after.version).toBe(`v1.${Number(before.version!.split(".")[1]) + 1}`);
  });

  it("polls the CreateCluster job to Success, and answers 404 once the job data expired", async () => {
    const east = provider("dev-cn-east-3");
    const jobId = (await clusterNamed("ap-preview")).cluster.status.jobID!;
    expect(jobId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-/);
    expect(await east.getJob(jobId)).toMatchObject({ id: jobId, phase: "running", vendorPhase: "Running" });
    await advance(10 * 60);
    expect(await east.getJob(jobId)).toEqual({ id: jobId, phase: "succeeded", vendorPhase: "Success" });
    await advance(61 * 60);
    const gone = await rejection(east.getJob(jobId));
    expect(gone).toMatchObject({
      kind: "not-found",
      status: 404,
      code: "CCE.01404001",
      api: "autopilot.getJob",
    });
  });

  it("answers not-found for an unknown cluster, with the request id", async () => {
    const error = await rejection(provider("qa").getCluster("00000000-0000-1000-8000-000000000000"));
    expect(error).toMatchObject({ kind: "not-found", status: 404, code: "CCE.01404001" });
    expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(error.message).toContain("Resource not found.");
  });
});

describe("autopilot provider: kubeconfig", () => {
  it("issues a real client certificate with exactly the validity asked for", async () => {
    const web = await clusterNamed("ap-dev-web");
    const kubeconfig = await provider("dev-cn-north-4").issueKubeconfig(web.cluster.metadata.uid, 30);
    expect(kubeconfig.notBefore.toISOString()).toBe(
      new Date(Math.floor(simNow.getTime() / 1000) * 1000).toISOString(),
    );
    expect(kubeconfig.notAfter.getTime() - kubeconfig.notBefore.getTime()).toBe(30 * DAY);
    expect(kubeconfig.server).toBe(
      `${String(sb.autopilot.kubernetes).replace("{clusterId}", web.cluster.metadata.uid)}`,
    );
    const config = JSON.parse(kubeconfig.text);
    expect(config).toMatchObject({ kind: "Config", apiVersion: "v1", "current-context": "internal" });
    expect(config.users[0].name).toBe("user");
    expect(atob(config.users[0].user["client-certificate-data"])).toContain("BEGIN CERTIFICATE");
    const certificates = (await sb.inspect("autopilot", "GET", "state")).state.certificates;
    expect(certificates).toHaveLength(1);
    expect(certificates[0]).toMatchObject({
      clusterUid: web.cluster.metadata.uid,
      notAfter: kubeconfig.notAfter.toISOString(),
    });
  });

  it("gives five calendar years for -1", async () => {
    const web = await clusterNamed("ap-dev-web");
    const kubeconfig = await provider("dev-cn-north-4").issueKubeconfig(web.cluster.metadata.uid, -1);
    const fiveYears = new Date(kubeconfig.notBefore);
    fiveYears.setUTCFullYear(fiveYears.getUTCFullYear() + 5);
    expect(kubeconfig.notAfter.toISOString()).toBe(fiveYears.toISOString());
  });

  it("refuses a validity outside 1-1827 days (or -1) without calling the cloud", async () => {
    const web = await clusterNamed("ap-dev-web");
    const before = await requestCount();
    for (const validity of [0, 1828, 2.5, -2]) {
      const error = await rejection(
        provider("dev-cn-north-4").issueKubeconfig(web.cluster.metadata.uid, validity),
      );
      expect(error.kind).toBe("invalid");
    }
    expect(await requestCount()).toBe(before);
  });

  it("reports the CCE.01429002 lock of a cluster being created as a conflict, after retrying it", async () => {
    const creating = await clusterNamed("ap-preview");
    const before = await requestCount();
    const error = await rejection(
      provider("dev-cn-east-3", { attempts: 3 }).issueKubeconfig(creating.cluster.metadata.uid, 1),
    );
    expect(error).toMatchObject({ kind: "conflict", status: 429, code: "CCE.01429002" });
    expect(error.transient).toBe(true);
    expect((await requestCount()) - before).toBe(3);
    await advance(11 * 60);
    const issued = await provider("dev-cn-east-3").issueKubeconfig(creating.cluster.metadata.uid, 1);
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(DAY);
  });
});

describe("autopilot provider: what Autopilot does not have", () => {
  it("answers unsupported for hibernate, awake, node pools and nodes, without a request", async () => {
    const p = provider("dev-cn-north-4");
    const before = await requestCount();
    const calls: Array<[string, Promise<unknown>]> = [
      ["hibernate", p.hibernate("c")],
      ["awake", p.awake("c")],
      ["listNodePools", p.listNodePools("c")],
      ["getNodePool", p.getNodePool("c", "p")],
      ["resizeNodePool", p.resizeNodePool("c", "p", { desired: 0 })],
      ["setNodePoolAutoscaling", p.setNodePoolAutoscaling("c", "p", { enabled: true, min: 0, max: 1 })],
      ["listNodes", p.listNodes("c")],
    ];
    for (const [method, call] of calls) {
      expect(await rejection(call)).toMatchObject({ kind: "unsupported", api: `autopilot.${method}` });
    }
    expect(await requestCount()).toBe(before);
  });
});

describe("autopilot provider: unhappy paths", () => {
  it("is refused with the gateway's 401 APIG.0301 when signed with the wrong secret or an unknown key", async () => {
    const wrongSecret = await rejection(provider("qa", { secret: "not-the-secret" }).listClusters());
    expect(wrongSecret).toMatchObject({ kind: "auth", status: 401, code: "APIG.0301" });
    const unknownKey = await rejection(
      provider("qa", { accessKeyId: "UNKNOWNKEY0000000000" }).listClusters(),
    );
    expect(unknownKey).toMatchObject({ kind: "auth", status: 401, code: "APIG.0301" });
  });

  it("is refused with 401 when the signing clock is 20 minutes off", async () => {
    const p = provider("qa");
    simNow = new Date(simNow.getTime() - 20 * 60_000);
    const error = await rejection(p.listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 401, code: "APIG.0301" });
  });

  it("is refused with 403 CCE.01403001 in another account's project", async () => {
    const other = account("dev-cn-north-4").projectId!;
    const error = await rejection(provider("qa", { projectId: other }).listClusters());
    expect(error).toMatchObject({ kind: "auth", status: 403, code: "CCE.01403001" });
  });

  it("reads the gateway's APIG.0308 throttling (error_code shape) with its Retry-After", async () => {
    await sb.inspect("autopilot", "PUT", "throttle", { ratePerSecond: 0.2, burst: 1 });
    const p = provider("qa", { attempts: 1 });
    await p.listClusters();
    const error = await rejection(p.listClusters());
    expect(error).toMatchObject({ kind: "throttled", status: 429, code: "APIG.0308" });
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toContain("The throttling threshold has been reached");
  });

  it("waits out the gateway's Retry-After and then succeeds", async () => {
    await sb.inspect("autopilot", "PUT", "throttle", { ratePerSecond: 2, burst: 1 });
    const p = provider("qa", { attempts: 3, realSleep: true });
    await p.listClusters();
    const started = Date.now();
    const clusters = await p.listClusters();
    expect(clusters.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // Retry-After: 1
    const statuses = (await sb.inspect("autopilot", "GET", "requests")).requests.map(
      (r: { status: number }) => r.status,
    );
    expect(statuses.slice(-3)).toEqual([200, 429, 200]);
  });

  it("reads CCE's own CCE.02429001 throttling (errorCode shape) with Retry-After", async () => {
    await sb.inspect("autopilot", "PUT", "faults", { throttle: 1, retryAfterSeconds: 7 });
    const sleeps: number[] = [];
    const error = await rejection(provider("qa", { attempts: 2, sleeps }).listClusters());
    expect(error).toMatchObject({
      kind: "throttled",
      status: 429,
      code: "CCE.02429001",
      retryAfterSeconds: 7,
    });
    expect(sleeps).toEqual([7000]);
  });

  it("retries an injected 500 and then succeeds", async () => {
    await sb.inspect("autopilot", "PUT", "faults", { serverError: 1 });
    const statuses: number[] = [];
    const healing: Fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      statuses.push(response.status);
      if (response.status === 500) await sb.inspect("autopilot", "PUT", "faults", { serverError: 0 });
      return response;
    };
    const clusters = await provider("qa", { fetch: healing }).listClusters();
    expect(clusters.length).toBeGreaterThan(0);
    expect(statuses).toEqual([500, 200]);
    const faults = (await sb.inspect("autopilot", "GET", "requests")).requests.map(
      (r: { fault?: string }) => r.fault,
    );
    expect(faults.slice(-2)).toEqual(["server-error", undefined]);
  });

  it("reports a 500 that persists as a server error with CCE.01500001", async () => {
    await sb.inspect("autopilot", "PUT", "faults", { serverError: 1 });
    const error = await rejection(provider("qa", { attempts: 2 }).listClusters());
    expect(error).toMatchObject({ kind: "server", status: 500, code: "CCE.01500001" });
  });

  it("times out when the cloud does not answer", async () => {
    await sb.inspect("autopilot", "PUT", "faults", { timeout: 1, timeoutMs: 1500 });
    const error = await rejection(provider("qa", { attempts: 1, timeoutMs: 150 }).listClusters());
    expect(error).toMatchObject({ kind: "timeout", api: "autopilot.listClusters" });
  });

  it("names the API and the field when a required field is missing (fleet flag omitFields)", async () => {
    const info = account("qa");
    await sb.inspect("autopilot", "POST", "seed", {
      accounts: [
        {
          name: "qa",
          accessKeyId: info.accessKeyId,
          secretAccessKey: info.secretAccessKey,
          projects: [{ region: info.region, projectId: info.projectId }],
        },
      ],
      clusters: [
        { project: info.projectId, name: "ap-broken", uid: "broken-1", omitFields: ["status.phase"] },
        { project: info.projectId, name: "ap-fine", uid: "fine-1", ageDays: 1 },
      ],
    });
    const p = provider("qa");
    const one = await rejection(p.getCluster("broken-1"));
    expect(one.kind).toBe("malformed-response");
    expect(one.message).toMatch(/^autopilot\.getCluster: .*status\.phase/);
    const list = await rejection(p.listClusters());
    expect(list.kind).toBe("malformed-response");
    expect(list.message).toMatch(/^autopilot\.listClusters: .*items\[0\]\.status\.phase/);
    expect(await p.getCluster("fine-1")).toMatchObject({ id: "fine-1", phase: "running" });
  });

  it("maps a gateway 'API does not exist' (APIGW.0101) to unsupported", () => {
    const error = errorFromResponse("autopilot.probe", {
      status: 404,
      headers: new Headers({ "x-request-id": "abc" }),
      text: JSON.stringify({
        error_code: "APIGW.0101",
        error_msg: "The API does not exist or has not been published in the environment",
      }),
    });
    expect(error).toMatchObject({ kind: "unsupported", status: 404, code: "APIGW.0101", requestId: "abc" });
  });
});

describe("autopilot sandbox: fleet", () => {
  it("resets to the same default fleet after a seed", async () => {
    const before = (await stateClusters()).map((c) => c.cluster.metadata.uid);
    expect(before).toHaveLength(6);
    const info = account("qa");
    await sb.inspect("autopilot", "POST", "seed", {
      accounts: [
        {
          name: "x",
          accessKeyId: "AK1",
          secretAccessKey: "SK1",
          projects: [{ region: "r", projectId: info.projectId }],
        },
      ],
      clusters: [],
    });
    expect(await stateClusters()).toEqual([]);
    await sb.inspect("autopilot", "POST", "reset");
    expect((await stateClusters()).map((c) => c.cluster.metadata.uid)).toEqual(before);
  });

  it("refuses an invalid seed with a message naming the field", async () => {
    await expect(
      sb.inspect("autopilot", "POST", "seed", {
        accounts: [
          {
            name: "x",
            accessKeyId: "AK1",
            secretAccessKey: "SK1",
            projects: [{ region: "r", projectId: "p1" }],
          },
        ],
        clusters: [{ project: "p1", name: "ok-name", phase: "Sleeping" }],
      }),
    ).rejects.toThrow(/clusters\[0\]\.phase/);
    await expect(
      sb.inspect("autopilot", "POST", "seed", {
        accounts: [
          {
            name: "x",
            accessKeyId: "AK1",
            secretAccessKey: "SK1",
            projects: [{ region: "r", projectId: "p1" }],
          },
        ],
        clusters: [{ project: "p2", name: "ok-name" }],
      }),
    ).rejects.toThrow(/clusters\[0\]\.project: .*p2.* is none of the accounts' projectIds/);
  });
});
