import { beforeEach, describe, expect, it } from "vitest";
import { parseKubeconfig } from "../../kubeconfig/kubeconfig.ts";
import { type InProcessAutopilot, inProcessAutopilot, TEST_KUBERNETES_URL, TEST_START } from "./testing.ts";

let ap: InProcessAutopilot;

interface ClusterJson {
  metadata: { uid: string; name: string; creationTimestamp: string; annotations: Record<string, string> };
  spec: { version: string; flavor: string; clusterTags: Array<{ key: string; value: string }> };
  status: { phase: string; jobID?: string; reason?: string; endpoints: Array<{ url: string; type: string }> };
}

const account = () => ap.cloud.accounts()[0]!;
const base = () => `/autopilot/v3/projects/${account().projectId}`;

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function seed(clusters: unknown[]): Promise<void> {
  const a = account();
  await ap.cloud.seed({
    accounts: [
      {
        name: "t",
        accessKeyId: a.accessKeyId,
        secretAccessKey: a.secretAccessKey,
        projects: [{ region: a.region, projectId: a.projectId }],
      },
    ],
    clusters,
  });
}

beforeEach(async () => {
  ap = await inProcessAutopilot();
});

describe("autopilot API: gateway checks", () => {
  it("answers an unknown API 404 APIGW.0101 in the gateway shape, before any signature check", async () => {
    for (const path of [
      `${base()}/clusters/x/operation/hibernate`,
      `${base()}/clusters/x/nodepools`,
      "/api/v3/x",
    ]) {
      const response = await ap.request("POST", path, { unsigned: true });
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual({
        error_code: "APIGW.0101",
        error_msg: "The API does not exist or has not been published in the environment",
        request_id: response.headers.get("x-request-id"),
      });
    }
  });

  it("logs the access key of a signed request, and answers an X-Request-Id", async () => {
    const response = await ap.request("GET", `${base()}/clusters`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    expect(ap.log.since(0).at(-1)).toMatchObject({ status: 200, accessKeyId: account().accessKeyId });
  });

  it("refuses a missing Content-Type with 400 CCE.01400006", async () => {
    const response = await ap.request("GET", `${base()}/clusters`, {
      headers: { "Content-Type": "text/plain" },
    });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({
      errorCode: "CCE.01400006",
      errorMessage: "Content type not supported.",
    });
  });

  it("throttles per access key with 429 APIG.0308 and Retry-After", async () => {
    ap.ctx.throttle.configure(1, 1);
    expect((await ap.request("GET", `${base()}/clusters`)).status).toBe(200);
    const throttled = await ap.request("GET", `${base()}/clusters`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("1");
    expect(await json(throttled)).toMatchObject({ error_code: "APIG.0308" });
    // Another account has its own bucket.
    const other = ap.cloud.accounts().find((a) => a.accessKeyId !== account().accessKeyId)!;
    const response = await ap.request("GET", `/autopilot/v3/projects/${other.projectId}/clusters`, {
      account: other,
    });
    expect(response.status).toBe(200);
  });

  it("renders injected faults as CCE's 500 and 429 bodies", async () => {
    ap.ctx.faults.set({ serverError: 1 });
    const failed = await ap.request("GET", `${base()}/clusters`);
    expect(failed.status).toBe(500);
    expect(await json(failed)).toEqual({ errorCode: "CCE.01500001", errorMessage: "Internal error." });
    ap.ctx.faults.set({ serverError: 0, throttle: 1, retryAfterSeconds: 3 });
    const throttled = await ap.request("GET", `${base()}/clusters`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("3");
    expect(await json(throttled)).toEqual({
      errorCode: "CCE.02429001",
      errorMessage: "The throttling threshold has been reached.",
    });
  });
});

describe("autopilot API: clusters", () => {
  it("shows a cluster in the documented shape, with Go timestamps and the Kubernetes endpoint", async () => {
    await seed([
      { project: account().projectId, name: "ap-shape", uid: "uid-1", version: "v1.30", tags: { env: "qa" } },
    ]);
    const response = await ap.request("GET", `${base()}/clusters/uid-1`);
    const cluster = await json<ClusterJson>(response);
    expect(cluster).toMatchObject({
      kind: "Cluster",
      apiVersion: "v3",
      metadata: { name: "ap-shape", uid: "uid-1", annotations: { enableAutopilot: "true" } },
      spec: {
        category: "Turbo",
        type: "VirtualMachine",
        flavor: "cce.autopilot.cluster",
        version: "v1.30",
        containerNetwork: { mode: "eni" },
        kubeProxyMode: "iptables",
        clusterTags: [{ key: "env", value: "qa" }],
      },
      status: {
        phase: "Available",
        endpoints: [{ url: `${TEST_KUBERNETES_URL}/clusters/uid-1`, type: "Internal" }],
      },
    });
    expect(cluster.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
    expect(cluster.status.reason).toBeUndefined();
  });

  it("filters the list by status, version and type", async () => {
    const p = account().projectId;
    await seed([
      { project: p, name: "ap-one", version: "v1.29" },
      { project: p, name: "ap-two", version: "v1.30", phase: "Upgrading" },
      { project: p, name: "ap-three", uid: "frozen-1", version: "v1.30", phase: "Frozen" },
    ]);
    const names = async (query: string) =>
      (await json<{ items: ClusterJson[] }>(await ap.request("GET", `${base()}/clusters${query}`))).items.map(
        (c) => c.metadata.name,
      );
    expect((await names("")).sort()).toEqual(["ap-one", "ap-three", "ap-two"]);
    expect(await names("?status=Upgrading")).toEqual(["ap-two"]);
    expect((await names("?version=v1.30")).sort()).toEqual(["ap-three", "ap-two"]);
    expect(await names("?type=ARM64")).toEqual([]);
    const frozen = await json<ClusterJson & { status: { isLocked: boolean } }>(
      await ap.request("GET", `${base()}/clusters/frozen-1`),
    );
    expect(frozen.status).toMatchObject({ phase: "Frozen", isLocked: true });
  });

  it("answers 404 CCE.01404001 for another project's cluster id used in this project", async () => {
    const other = ap.cloud
      .accounts()
      .find((a) => a.projectId !== account().projectId && a.accessKeyId === account().accessKeyId)!;
    const state = ap.cloud.state() as { clusters: Array<{ projectId: string; cluster: ClusterJson }> };
    const foreign = state.clusters.find((c) => c.projectId === other.projectId)!;
    const response = await ap.request("GET", `${base()}/clusters/${foreign.cluster.metadata.uid}`);
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({
      errorCode: "CCE.01404001",
      errorMessage: "Resource not found.",
    });
  });
});

describe("autopilot API: clustercert", () => {
  const cert = (uid: string, body: unknown) =>
    ap.request("POST", `${base()}/clusters/${uid}/clustercert`, { body: JSON.stringify(body) });

  it("issues a kubeconfig with a real certificate for `duration` days and the Port-ID header", async () => {
    await seed([{ project: account().projectId, name: "ap-cert", uid: "uid-c" }]);
    const response = await cert("uid-c", { duration: 30 });
    expect(response.status).toBe(200);
    expect(response.headers.get("port-id")).toMatch(/^[0-9a-f-]{36}$/);
    const config = await json<{
      clusters: Array<{ name: string; cluster: { server: string; "certificate-authority-data": string } }>;
      users: Array<{ name: string; user: { "client-certificate-data": string } }>;
      contexts: unknown[];
    }>(response);
    expect(config).toMatchObject({
      kind: "Config",
      apiVersion: "v1",
      preferences: {},
      "current-context": "internal",
    });
    expect(config.clusters).toEqual([
      {
        name: "internalCluster",
        cluster: {
          server: `${TEST_KUBERNETES_URL}/clusters/uid-c`,
          "certificate-authority-data": btoa(ap.ctx.ca.caPem),
        },
      },
    ]);
    expect(config.contexts).toEqual([
      { name: "internal", context: { cluster: "internalCluster", user: "user" } },
    ]);
    const x509 = parseKubeconfig(JSON.stringify(config)).certificate;
    expect(x509.notBefore.toISOString()).toBe(TEST_START.toISOString());
    expect(x509.notAfter.getTime() - x509.notBefore.getTime()).toBe(30 * 86_400_000);
  });

  it("validates duration: 1-1827 or -1", async () => {
    await seed([{ project: account().projectId, name: "ap-cert", uid: "uid-c" }]);
    for (const body of [{ duration: 0 }, { duration: 1828 }, { duration: 1.5 }, { duration: "30" }, {}]) {
      const response = await cert("uid-c", body);
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ errorCode: "CCE.01400001" });
    }
    expect((await cert("uid-c", { duration: 1827 })).status).toBe(200);
  });

  it("is locked (429 CCE.01429002) while Creating or Deleting, refused while Unavailable, allowed while Upgrading", async () => {
    const p = account().projectId;
    await seed([
      { project: p, name: "ap-new", uid: "creating", phase: "Creating" },
      { project: p, name: "ap-old", uid: "deleting", phase: "Deleting" },
      { project: p, name: "ap-bad", uid: "broken", phase: "Unavailable" },
      { project: p, name: "ap-up", uid: "upgrading", phase: "Upgrading" },
    ]);
    for (const uid of ["creating", "deleting"]) {
      const response = await cert(uid, { duration: 1 });
      expect(response.status).toBe(429);
      expect(await json(response)).toMatchObject({
        errorCode: "CCE.01429002",
        errorMessage: "Resource locked by other requests.",
      });
    }
    expect((await cert("broken", { duration: 1 })).status).toBe(400);
    expect((await cert("upgrading", { duration: 1 })).status).toBe(200);
  });
});

describe("autopilot API: jobs", () => {
  it("reports a CreateCluster job with its sub-jobs, phase by phase", async () => {
    await seed([
      { project: account().projectId, name: "ap-new", uid: "creating", phase: "Creating", secondsLeft: 600 },
    ]);
    const cluster = await json<ClusterJson>(await ap.request("GET", `${base()}/clusters/creating`));
    const jobId = cluster.status.jobID!;
    expect(cluster.metadata.annotations.jobid).toBe(jobId);
    const job = async () =>
      json<{
        spec: {
          type: string;
          resourceName: string;
          subJobs: Array<{ spec: { type: string }; status: { phase: string } }>;
        };
        status: { phase: string };
      }>(await ap.request("GET", `${base()}/jobs/${jobId}`));
    const first = await job();
    expect(first).toMatchObject({
      kind: "Job",
      spec: { type: "CreateCluster", resourceName: "ap-new", clusterUID: "creating" },
    });
    expect(first.status.phase).toBe("Running"); // 2 of 12 minutes gone
    expect(first.spec.subJobs.map((s) => [s.spec.type, s.status.phase])).toEqual([
      ["InstallMaster", "Running"],
      ["CreatePSMCert", "Initializing"],
    ]);
    ap.advance(600);
    const done = await job();
    expect(done.status.phase).toBe("Success");
    expect(done.spec.subJobs.map((s) => s.status.phase)).toEqual(["Success", "Success"]);
    expect(
      (await json<ClusterJson>(await ap.request("GET", `${base()}/clusters/creating`))).status.phase,
    ).toBe("Available");
  });
});

describe("autopilot API: access addresses and quotas", () => {
  it("answers openapi in the document's shape: the Internal endpoint as privateEndpoint, none while Creating", async () => {
    await seed([
      { project: account().projectId, name: "ap-up", uid: "up-1" },
      { project: account().projectId, name: "ap-new", uid: "new-1", phase: "Creating" },
    ]);
    const up = await json(await ap.request("GET", `${base()}/clusters/up-1/openapi`));
    expect(up).toEqual({
      metadata: {},
      spec: { spec: { eip: { bandwidth: {} }, isDynamic: false } },
      status: { privateEndpoint: `${TEST_KUBERNETES_URL}/clusters/up-1`, publicEndpoint: "" },
    });
    const shown = await json<ClusterJson>(await ap.request("GET", `${base()}/clusters/up-1`));
    expect(shown.status.endpoints[0]!.url).toBe((up.status as { privateEndpoint: string }).privateEndpoint);
    const creating = await json(await ap.request("GET", `${base()}/clusters/new-1/openapi`));
    expect(creating.status).toEqual({ privateEndpoint: "", publicEndpoint: "" });
    const missing = await ap.request("GET", `${base()}/clusters/nope/openapi`);
    expect([missing.status, (await json(missing)).errorCode]).toEqual([404, "CCE.01404001"]);
  });

  it("reports the autopilot_cluster quota: the project's limit (default 5) and every cluster it holds", async () => {
    const a = account();
    const fleet = (quota?: number) => ({
      accounts: [
        {
          name: "t",
          accessKeyId: a.accessKeyId,
          secretAccessKey: a.secretAccessKey,
          projects: [
            {
              region: a.region,
              projectId: a.projectId,
              ...(quota === undefined ? {} : { clusterQuota: quota }),
            },
          ],
        },
      ],
      clusters: [
        { project: a.projectId, name: "ap-one" },
        { project: a.projectId, name: "ap-two", phase: "Deleting" },
        { project: a.projectId, name: "ap-three", phase: "Creating" },
      ],
    });
    await ap.cloud.seed(fleet());
    expect(await json(await ap.request("GET", `${base()}/quotas`))).toEqual({
      quotas: [{ quotaKey: "autopilot_cluster", quotaLimit: 5, used: 3, unit: "count", regionId: a.region }],
    });
    await ap.cloud.seed(fleet(20));
    ap.advance(3600); // the deletion ends, so that cluster no longer counts; the created one does

    expect(await json(await ap.request("GET", `${base()}/quotas`))).toMatchObject({
      quotas: [{ quotaLimit: 20, used: 2 }],
    });
  });
});
