// Contract (Node host only): the workloads mode of CCE Autopilot. A kubeconfig from clustercert
// opens the cluster's Kubernetes API over mutual TLS; the client lists Deployments and
// StatefulSets and scales them through the `scale` subresource. Certificates for another cluster,
// expired by the sandbox clock, from another CA, or missing, are refused.
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient } from "../../shared/http/client.ts";
import { parseKubeconfig } from "../../shared/kubeconfig/kubeconfig.ts";
import { createAutopilotProvider } from "../../shared/providers/autopilot.ts";
import {
  createKubernetesClient,
  getScale,
  listWorkloads,
  setScale,
  type WorkloadRef,
} from "../../shared/providers/kubernetes.node.ts";
import { type Kubeconfig, type Provider, ProviderError } from "../../shared/providers/port.ts";
import { createSandboxCa } from "../../shared/sandbox/ca.ts";
import { seededRandom } from "../../shared/sandbox/clock.ts";
import { newSandbox, type TestSandbox } from "../setup/sandbox.ts";

let sb: TestSandbox;
let simNow: Date;
let provider: Provider;
let web: StateCluster;
let data: StateCluster;
let kubeconfig: Kubeconfig;
let dataKubeconfig: Kubeconfig;
let shortLived: Kubeconfig;

interface StateWorkload {
  kind: "Deployment" | "StatefulSet";
  namespace: string;
  name: string;
  replicas: number;
  running: number;
}

interface StateCluster {
  projectId: string;
  cluster: { metadata: { uid: string; name: string } };
  workloads: StateWorkload[];
}

async function clusters(): Promise<StateCluster[]> {
  return (await sb.inspect("autopilot", "GET", "state")).state.clusters;
}

async function workloadsOf(uid: string): Promise<StateWorkload[]> {
  return (await clusters()).find((c) => c.cluster.metadata.uid === uid)!.workloads;
}

async function advance(seconds: number): Promise<void> {
  simNow = new Date((await sb.inspect("autopilot", "POST", "clock", { advanceSeconds: seconds })).now);
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

const fastRetries = { http: { retry: { attempts: 1 } } };

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 11 });
  simNow = new Date((await sb.inspect("autopilot", "GET", "clock")).now);
  const account = sb.autopilot.accounts.find((a) => a.name === "dev-cn-north-4")!;
  provider = createAutopilotProvider({
    account: {
      id: account.name,
      accessKeyId: account.accessKeyId,
      secretAccessKey: account.secretAccessKey,
      region: account.region,
      projectId: account.projectId!,
      endpoint: sb.autopilot.endpoint,
    },
    http: createHttpClient({ fetch: (input, init) => globalThis.fetch(input, init) }),
    now: () => simNow,
  });
  const all = await clusters();
  web = all.find((c) => c.cluster.metadata.name === "ap-dev-web")!;
  data = all.find((c) => c.cluster.metadata.name === "ap-dev-data")!;
  // Issued before any test moves the sandbox clock: the TLS handshake checks validity against the
  // REAL clock (the listener rejects unauthorized clients), so a certificate whose notBefore is in
  // the real future would not get through it (see the report on rejectUnauthorized).
  kubeconfig = await provider.issueKubeconfig(web.cluster.metadata.uid, 7);
  dataKubeconfig = await provider.issueKubeconfig(data.cluster.metadata.uid, 7);
  shortLived = await provider.issueKubeconfig(web.cluster.metadata.uid, 1);
});

afterAll(async () => {
  await sb.stop();
});

describe("autopilot workloads through the cluster's Kubernetes API", () => {
  it("lists every namespace's Deployments and StatefulSets as the cluster holds them", async () => {
    const seeded = web.workloads;
    const namespaces = [...new Set(seeded.map((w) => w.namespace))];
    expect(namespaces.length).toBeGreaterThanOrEqual(3); // 2-3 application namespaces and kube-system
    const client = createKubernetesClient(kubeconfig);
    try {
      for (const namespace of namespaces) {
        const listed = await client.listWorkloads(namespace);
        const expected = seeded
          .filter((w) => w.namespace === namespace)
          .map((w) => ({
            kind: w.kind,
            namespace,
            name: w.name,
            replicas: w.replicas,
            readyReplicas: w.running,
          }));
        expect(listed.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
          expected.sort((a, b) => a.name.localeCompare(b.name)),
        );
      }
      expect(await client.listWorkloads("no-such-namespace")).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it("scales a workload to 0 and back; its pods follow one every 15 s", async () => {
    const target = [...web.workloads]
      .filter((w) => w.namespace !== "kube-system")
      .sort((a, b) => b.replicas - a.replicas)[0]!;
    const ref: WorkloadRef = { kind: target.kind, namespace: target.namespace, name: target.name };
    const start = target.replicas === 0 ? 3 : target.replicas;
    if (target.replicas === 0) {
      await setScale(kubeconfig, ref, start);
      await advance(15 * start);
    }
    expect(await getScale(kubeconfig, ref)).toEqual({ ...ref, replicas: start, currentReplicas: start });

    const patched = await setScale(kubeconfig, ref, 0);
    expect(patched).toEqual({ ...ref, replicas: 0, currentReplicas: start });
    await advance(15);
    expect((await getScale(kubeconfig, ref)).currentReplicas).toBe(start - 1);
    await advance(15 * start);
    expect(await getScale(kubeconfig, ref)).toEqual({ ...ref, replicas: 0, currentReplicas: 0 });
    const listed = (await listWorkloads(kubeconfig, ref.namespace)).find((w) => w.name === ref.name);
    expect(listed).toMatchObject({ replicas: 0, readyReplicas: 0 });
    expect((await workloadsOf(web.cluster.metadata.uid)).find((w) => w.name === ref.name)).toMatchObject({
      replicas: 0,
      running: 0,
    });

    await setScale(kubeconfig, ref, start);
    await advance(15 * start);
    expect(await getScale(kubeconfig, ref)).toEqual({ ...ref, replicas: start, currentReplicas: start });
  });

  it("answers 404 NotFound for a workload that does not exist", async () => {
    const error = await rejection(
      getScale(kubeconfig, { kind: "Deployment", namespace: "default", name: "nope" }, fastRetries),
    );
    expect(error).toMatchObject({ kind: "not-found", status: 404, code: "NotFound" });
    expect(error.message).toContain('deployments.apps "nope" not found');
  });

  it("reads kube-system but refuses to scale it (403 Forbidden)", async () => {
    const coredns: WorkloadRef = { kind: "Deployment", namespace: "kube-system", name: "coredns" };
    expect((await getScale(kubeconfig, coredns)).replicas).toBe(2);
    const error = await rejection(setScale(kubeconfig, coredns, 0, fastRetries));
    expect(error).toMatchObject({ kind: "auth", status: 403, code: "Forbidden" });
    expect(error.message).toContain('cannot patch resource "deployments/scale"');
  });

  it("refuses a certificate issued for another cluster (401 Unauthorized)", async () => {
    const other = dataKubeconfig;
    const config = JSON.parse(other.text);
    config.clusters[0].cluster.server = kubeconfig.server; // ap-dev-data's certificate, ap-dev-web's API
    const error = await rejection(listWorkloads(JSON.stringify(config), "default", fastRetries));
    expect(error).toMatchObject({ kind: "auth", status: 401, code: "Unauthorized" });
    // The same certificate opens its own cluster.
    expect(Array.isArray(await listWorkloads(other, "kube-system"))).toBe(true);
  });

  it("answers 422 Invalid for negative replicas, 415 for a patch type it does not take", async () => {
    const parsed = parseKubeconfig(kubeconfig.text);
    const agent = new Agent({
      connect: { ca: parsed.caPem!, cert: parsed.certificatePem, key: parsed.privateKey },
    });
    const target = web.workloads.find((w) => w.namespace !== "kube-system")!;
    const url = `${kubeconfig.server}/apis/apps/v1/namespaces/${target.namespace}/${target.kind === "Deployment" ? "deployments" : "statefulsets"}/${target.name}/scale`;
    try {
      const invalid = await undiciFetch(url, {
        method: "PATCH",
        dispatcher: agent,
        headers: { "content-type": "application/merge-patch+json" },
        body: JSON.stringify({ spec: { replicas: -1 } }),
      });
      expect(invalid.status).toBe(422);
      expect(await invalid.json()).toMatchObject({
        kind: "Status",
        status: "Failure",
        reason: "Invalid",
        code: 422,
        details: { kind: "Scale", causes: [{ field: "spec.replicas", reason: "FieldValueInvalid" }] },
      });
      const jsonPatch = await undiciFetch(url, {
        method: "PATCH",
        dispatcher: agent,
        headers: { "content-type": "application/apply-patch+yaml" },
        body: "spec:\n  replicas: 1\n",
      });
      expect(jsonPatch.status).toBe(415);
    } finally {
      await agent.close();
    }
  });

  it("does not let a connection without a client certificate, or with a foreign CA's, through", async () => {
    const parsed = parseKubeconfig(kubeconfig.text);
    const url = `${kubeconfig.server}/apis/apps/v1/namespaces/default/deployments`;
    const anonymous = new Agent({ connect: { ca: parsed.caPem! } });
    const foreignCa = await createSandboxCa({ now: new Date(), random: seededRandom(99) });
    const foreign = await foreignCa.issue({
      commonName: "intruder",
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
    });
    const forged = new Agent({ connect: { ca: parsed.caPem!, cert: foreign.certPem, key: foreign.keyPem } });
    try {
      for (const dispatcher of [anonymous, forged]) {
        const outcome = await undiciFetch(url, { dispatcher }).then(
          (response) => response.status,
          () => "refused",
        );
        // Refused in the TLS handshake (the framework's listener rejects unauthorized clients),
        // or with 401 when the listener leaves the decision to the app.
        expect([401, "refused"]).toContain(outcome);
      }
    } finally {
      await anonymous.close();
      await forged.close();
    }
  });

  // Last: it moves the sandbox clock two days ahead of the real clock.
  it("refuses a certificate that expired by the sandbox clock (401), though TLS still accepts it", async () => {
    expect((await listWorkloads(shortLived, "kube-system")).map((w) => w.name)).toEqual(["coredns"]);
    await advance(2 * 86_400);
    const error = await rejection(listWorkloads(shortLived, "kube-system", fastRetries));
    expect(error).toMatchObject({ kind: "auth", status: 401, code: "Unauthorized" });
    // The 7-day certificate issued earlier is still good.
    expect((await listWorkloads(kubeconfig, "kube-system")).map((w) => w.name)).toEqual(["coredns"]);
  });
});
