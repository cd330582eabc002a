// Conformance: `@kubernetes/client-node` (unmodified, default settings) and `kubectl` against the
// Autopilot sandbox's Kubernetes API, with the kubeconfig clustercert issues (mutual TLS). Every
// call nightshift makes (list, scale read, scale merge-patch) and every call issue 14 listed:
// discovery and /version, the generic KubernetesObjectApi, the three patch types, the scale
// verbs, label and field selectors, limit + continue, and watch refused as a real API server
// refuses a verb it does not serve.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ApiException,
  AppsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1StatefulSet,
  VersionApi,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient } from "../../shared/http/client.ts";
import { createAutopilotProvider } from "../../shared/providers/autopilot.ts";
import { newSandbox, type TestSandbox } from "../setup/sandbox.ts";

let sb: TestSandbox;
let kc: KubeConfig;
let apps: AppsV1Api;
let objects: KubernetesObjectApi;
let dir: string;
let kubeconfigPath: string;

const NS = "shop";

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 5 });
  const simNow = new Date((await sb.inspect("autopilot", "GET", "clock")).now);
  const account = sb.autopilot.accounts[0]!;
  await sb.inspect("autopilot", "POST", "seed", {
    accounts: [
      {
        name: "conf",
        accessKeyId: account.accessKeyId,
        secretAccessKey: account.secretAccessKey,
        projects: [{ region: account.region, projectId: account.projectId }],
      },
    ],
    clusters: [
      {
        project: account.projectId,
        name: "ap-conformance",
        uid: "conformance-cluster",
        version: "v1.30",
        workloads: [
          { namespace: NS, kind: "Deployment", name: "api", replicas: 2 },
          { namespace: NS, kind: "Deployment", name: "web", replicas: 3 },
          { namespace: NS, kind: "Deployment", name: "worker", replicas: 1 },
          { namespace: NS, kind: "StatefulSet", name: "db", replicas: 1 },
          { namespace: "batch", kind: "Deployment", name: "cron", replicas: 0 },
          { namespace: "kube-system", kind: "Deployment", name: "coredns", replicas: 2 },
        ],
      },
    ],
  });
  const provider = createAutopilotProvider({
    account: { ...account, id: "conf", projectId: account.projectId!, endpoint: sb.autopilot.endpoint },
    http: createHttpClient({ fetch: (input, init) => globalThis.fetch(input, init) }),
    now: () => simNow,
  });
  const kubeconfig = await provider.issueKubeconfig("conformance-cluster", 1);
  kc = new KubeConfig();
  kc.loadFromString(kubeconfig.text);
  apps = kc.makeApiClient(AppsV1Api);
  objects = KubernetesObjectApi.makeApiClient(kc);
  dir = mkdtempSync(join(tmpdir(), "nightshift-kubectl-"));
  kubeconfigPath = join(dir, "kubeconfig.json");
  writeFileSync(kubeconfigPath, kubeconfig.text);
});

afterAll(async () => {
  await sb?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) {
      const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
      return { code: error.code, body };
    }
    throw error;
  }
  throw new Error("expected the call to fail");
}

const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const strategic = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

describe("@kubernetes/client-node, typed APIs", () => {
  it("reads the version", async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version).toMatchObject({ major: "1", minor: "30", gitVersion: "v1.30.0" });
  });

  it("lists with labelSelector (equality and set-based), fieldSelector, and limit + continue", async () => {
    const names = (list: { items: Array<{ metadata?: { name?: string } }> }) =>
      list.items.map((d) => d.metadata?.name);
    expect(names(await apps.listNamespacedDeployment({ namespace: NS }))).toEqual(["api", "web", "worker"]);
    expect(names(await apps.listNamespacedDeployment({ namespace: NS, labelSelector: "app=web" }))).toEqual([
      "web",
    ]);
    expect(
      names(await apps.listNamespacedDeployment({ namespace: NS, labelSelector: "app in (api,worker)" })),
    ).toEqual(["api", "worker"]);
    expect(
      names(
        await apps.listNamespacedDeployment({ namespace: NS, labelSelector: "app notin (api),app!=web" }),
      ),
    ).toEqual(["worker"]);
    expect(names(await apps.listNamespacedDeployment({ namespace: NS, labelSelector: "!app" }))).toEqual([]);
    expect(
      names(await apps.listNamespacedDeployment({ namespace: NS, fieldSelector: "metadata.name=api" })),
    ).toEqual(["api"]);
    expect(
      names(await apps.listDeploymentForAllNamespaces({ fieldSelector: "metadata.namespace!=shop" })),
    ).toEqual(["cron", "coredns"]);

    const first = await apps.listNamespacedDeployment({ namespace: NS, limit: 2 });
    expect(names(first)).toEqual(["api", "web"]);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const second = await apps.listNamespacedDeployment({
      namespace: NS,
      limit: 2,
      _continue: first.metadata!._continue!,
    });
    expect(names(second)).toEqual(["worker"]);
    expect(second.metadata?._continue).toBeUndefined();

    const bad = await failure(
      apps.listNamespacedDeployment({ namespace: NS, fieldSelector: "spec.replicas=1" }),
    );
    expect(bad).toMatchObject({ code: 400, body: { kind: "Status", reason: "BadRequest" } });
  });

  it("reads, patches (merge, strategic, JSON) and replaces Deployments and StatefulSets", async () => {
    const web = await apps.readNamespacedDeployment({ name: "web", namespace: NS });
    expect(web).toMatchObject({
      kind: "Deployment",
      spec: { replicas: 3 },
      metadata: { labels: { app: "web" } },
    });

    const merged = await apps.patchNamespacedDeployment(
      { name: "web", namespace: NS, body: { metadata: { labels: { tier: "front" } } } },
      merge,
    );
    expect(merged.metadata?.labels).toEqual({ app: "web", tier: "front" });

    const image = "registry.example/web:2.0";
    const patched = await apps.patchNamespacedDeployment(
      {
        name: "web",
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: "web", image }] } } } },
      },
      strategic,
    );
    // Strategic merge: the container merged by name, its other fields (resources) kept.
    expect(patched.spec?.template.spec?.containers).toEqual([
      expect.objectContaining({ name: "web", image, resources: expect.any(Object) }),
    ]);
    expect(patched.metadata?.generation).toBe((web.metadata?.generation ?? 0) + 1);

    const json = await apps.patchNamespacedStatefulSet(
      {
        name: "db",
        namespace: NS,
        body: [
          { op: "test", path: "/spec/replicas", value: 1 },
          { op: "replace", path: "/spec/replicas", value: 2 },
          { op: "add", path: "/metadata/annotations", value: { owner: "data-team" } },
        ],
      },
      jsonPatch,
    );
    expect(json).toMatchObject({ spec: { replicas: 2 }, metadata: { annotations: { owner: "data-team" } } });
    const failedTest = await failure(
      apps.patchNamespacedStatefulSet(
        { name: "db", namespace: NS, body: [{ op: "test", path: "/spec/replicas", value: 7 }] },
        jsonPatch,
      ),
    );
    expect(failedTest).toMatchObject({ code: 422, body: { reason: "Invalid" } });

    const current: V1StatefulSet = await apps.readNamespacedStatefulSet({ name: "db", namespace: NS });
    current.spec!.replicas = 0;
    const replaced = await apps.replaceNamespacedStatefulSet({ name: "db", namespace: NS, body: current });
    expect(replaced.spec?.replicas).toBe(0);
    // The same body again carries a resourceVersion that is no longer current: 409 Conflict.
    current.spec!.replicas = 1;
    const stale = await failure(
      apps.replaceNamespacedStatefulSet({ name: "db", namespace: NS, body: current }),
    );
    expect(stale).toMatchObject({ code: 409, body: { reason: "Conflict" } });

    const missing = await failure(apps.readNamespacedDeployment({ name: "nope", namespace: NS }));
    expect(missing).toMatchObject({
      code: 404,
      body: { reason: "NotFound", message: 'deployments.apps "nope" not found' },
    });
  });

  it("reads, replaces and patches the scale subresource", async () => {
    const scale = await apps.readNamespacedDeploymentScale({ name: "api", namespace: NS });
    expect(scale).toMatchObject({
      kind: "Scale",
      spec: { replicas: 2 },
      status: { replicas: 2, selector: "app=api" },
    });
    const replaced = await apps.replaceNamespacedDeploymentScale({
      name: "api",
      namespace: NS,
      body: { ...scale, spec: { replicas: 4 } },
    });
    expect(replaced.spec?.replicas).toBe(4);
    const patched = await apps.patchNamespacedStatefulSetScale(
      { name: "db", namespace: NS, body: { spec: { replicas: 3 } } },
      merge,
    );
    expect(patched.spec?.replicas).toBe(3);
    const forbidden = await failure(
      apps.replaceNamespacedDeploymentScale({
        name: "coredns",
        namespace: "kube-system",
        body: {
          apiVersion: "autoscaling/v1",
          kind: "Scale",
          metadata: { name: "coredns" },
          spec: { replicas: 0 },
        },
      }),
    );
    expect(forbidden).toMatchObject({ code: 403, body: { reason: "Forbidden" } });
  });

  it("refuses a watch with 405 MethodNotAllowed, never a list", async () => {
    const response = await fetchWithClientCertificate(
      `/apis/apps/v1/namespaces/${NS}/deployments?watch=true`,
    );
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ kind: "Status", reason: "MethodNotAllowed", code: 405 });
  });
});

describe("@kubernetes/client-node, KubernetesObjectApi (discovery-driven)", () => {
  it("lists, reads, patches and replaces by apiVersion and kind", async () => {
    const listed = await objects.list<V1Deployment>(
      "apps/v1",
      "Deployment",
      NS,
      undefined,
      undefined,
      undefined,
      undefined,
      "app=worker",
    );
    expect(listed.items.map((d) => d.metadata?.name)).toEqual(["worker"]);
    const header = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "worker", namespace: NS } };
    const read = await objects.read<V1Deployment>(header);
    expect(read.spec?.replicas).toBe(1);
    const patched = await objects.patch<V1Deployment>({ ...header, spec: { replicas: 5 } } as V1Deployment);
    expect(patched.spec?.replicas).toBe(5);
    const replaced = await objects.replace<V1Deployment>({
      ...patched,
      metadata: { ...patched.metadata, annotations: { note: "replaced" } },
    });
    expect(replaced.metadata?.annotations).toMatchObject({ note: "replaced" });
    const statefulset = await objects.read<V1StatefulSet>({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: NS },
    });
    expect(statefulset.kind).toBe("StatefulSet");
  });
});

async function fetchWithClientCertificate(path: string): Promise<Response> {
  const { Agent, fetch } = await import("undici");
  const cluster = kc.getCurrentCluster()!;
  const user = kc.getCurrentUser()!;
  const agent = new Agent({
    connect: {
      ca: Buffer.from(cluster.caData!, "base64").toString(),
      cert: Buffer.from(user.certData!, "base64").toString(),
      key: Buffer.from(user.keyData!, "base64").toString(),
    },
  });
  try {
    const response = await fetch(`${cluster.server}${path}`, { dispatcher: agent });
    const text = await response.text();
    return new Response(text, { status: response.status });
  } finally {
    await agent.close();
  }
}

describe("kubectl", () => {
  const kubectl = (...args: string[]) => {
    const run = spawnSync(
      "kubectl",
      ["--kubeconfig", kubeconfigPath, "--cache-dir", join(dir, "cache"), ...args],
      {
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  it("version, get, scale, patch", () => {
    const version = kubectl("version", "-o", "json");
    expect(version.stderr).toBe("");
    expect(JSON.parse(version.stdout).serverVersion).toMatchObject({ gitVersion: "v1.30.0" });

    const get = kubectl("get", "deploy", "-n", NS, "-o", "name");
    expect(get).toMatchObject({ status: 0 });
    expect(get.stdout.trim().split("\n")).toEqual([
      "deployment.apps/api",
      "deployment.apps/web",
      "deployment.apps/worker",
    ]);
    const table = kubectl("get", "sts", "db", "-n", NS);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+.*\ndb\s/);

    expect(kubectl("scale", "deployment/web", "-n", NS, "--replicas=6")).toMatchObject({
      status: 0,
      stdout: "deployment.apps/web scaled\n",
    });
    expect(
      kubectl("scale", "statefulset/db", "-n", NS, "--current-replicas=99", "--replicas=1").status,
    ).not.toBe(0);
    expect(
      kubectl("patch", "deployment", "web", "-n", NS, "-p", '{"metadata":{"labels":{"team":"shop"}}}'),
    ).toMatchObject({
      status: 0,
      stdout: "deployment.apps/web patched\n",
    });
    expect(
      kubectl(
        "patch",
        "deployment",
        "web",
        "-n",
        NS,
        "--type",
        "json",
        "-p",
        '[{"op":"replace","path":"/spec/replicas","value":2}]',
      ),
    ).toMatchObject({ status: 0 });
    const after = JSON.parse(kubectl("get", "deployment", "web", "-n", NS, "-o", "json").stdout);
    expect(after).toMatchObject({
      spec: { replicas: 2 },
      metadata: { labels: { app: "web", team: "shop" } },
    });

    // apply (client-side, kubectl's default) patches with a strategic merge patch. Its validation
    // reads the OpenAPI v2 document in protobuf, which the sandbox does not serve (406): hence
    // --validate=false.
    const manifest = join(dir, "worker.json");
    const worker = JSON.parse(kubectl("get", "deployment", "worker", "-n", NS, "-o", "json").stdout);
    worker.metadata = { name: "worker", namespace: NS, labels: { app: "worker", applied: "yes" } };
    delete worker.status;
    writeFileSync(manifest, JSON.stringify(worker));
    const applied = kubectl("apply", "--validate=false", "-f", manifest);
    expect(applied).toMatchObject({ status: 0, stdout: "deployment.apps/worker configured\n" });
    expect(
      JSON.parse(kubectl("get", "deployment", "worker", "-n", NS, "-o", "json").stdout).metadata.labels,
    ).toEqual({
      app: "worker",
      applied: "yes",
    });

    const watch = kubectl("get", "deploy", "-n", NS, "--watch-only", "--request-timeout=5s");
    expect(watch.status).not.toBe(0);
    expect(watch.stderr).toContain("does not allow this method");
  });
});
