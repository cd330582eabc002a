// The Autopilot clusters' Kubernetes API in-process: the TLS socket is a stand-in that reports the
// peer certificate as Node's would, so authentication and every answer are checked exactly.
import { beforeEach, describe, expect, it } from "vitest";
import { parseKubeconfig } from "../../kubeconfig/kubeconfig.ts";
import { certificateFingerprint } from "./format.ts";
import { type InProcessAutopilot, inProcessAutopilot, TEST_ORIGIN } from "./testing.ts";

let ap: InProcessAutopilot;
let fingerprints: Record<string, string>;

const DAY = 86_400;

/** Node shows fingerprint256 as upper-case hex pairs joined by colons. */
function nodeStyle(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(":");
}

function socket(
  fingerprint: string | undefined,
  tls: { authorized: boolean; error?: string } = { authorized: true },
) {
  return {
    incoming: {
      socket: {
        authorized: tls.authorized,
        authorizationError: tls.error ?? null,
        getPeerCertificate: () => (fingerprint ? { fingerprint256: fingerprint } : {}),
      },
    },
  };
}

async function issue(uid: string, days: number): Promise<string> {
  const account = ap.cloud.accounts()[0]!;
  const response = await ap.request(
    "POST",
    `/autopilot/v3/projects/${account.projectId}/clusters/${uid}/clustercert`,
    {
      body: JSON.stringify({ duration: days }),
    },
  );
  expect(response.status).toBe(200);
  return nodeStyle(await certificateFingerprint(parseKubeconfig(await response.text()).certificatePem));
}

function kube(path: string, env: unknown, init: RequestInit = {}): Promise<Response> {
  const app = ap.cloud.listeners![0]!.app;
  return Promise.resolve(app.request(`https://127.0.0.1:6443/clusters${path}`, init, env));
}

beforeEach(async () => {
  ap = await inProcessAutopilot(3);
  const account = ap.cloud.accounts()[0]!;
  await ap.cloud.seed({
    accounts: [
      {
        name: "t",
        accessKeyId: account.accessKeyId,
        secretAccessKey: account.secretAccessKey,
        projects: [{ region: account.region, projectId: account.projectId }],
      },
    ],
    clusters: [
      {
        project: account.projectId,
        name: "ap-one",
        uid: "one",
        workloads: [
          { namespace: "shop", kind: "Deployment", name: "web", replicas: 3 },
          { namespace: "shop", kind: "Deployment", name: "idle", replicas: 0 },
          { namespace: "shop", kind: "StatefulSet", name: "db", replicas: 0 },
          { namespace: "kube-system", kind: "Deployment", name: "coredns", replicas: 2 },
        ],
      },
      { project: account.projectId, name: "ap-two", uid: "two" },
    ],
  });
  fingerprints = { one: await issue("one", 1), two: await issue("two", 30) };
});

describe("autopilot Kubernetes API: who gets in", () => {
  const path = "/one/apis/apps/v1/namespaces/shop/deployments";

  it("lets in only a certificate clustercert issued for this cluster, while the sandbox clock says it is valid", async () => {
    expect((await kube(path, socket(fingerprints.one))).status).toBe(200);
    const refusals = [
      socket(fingerprints.two), // issued for cluster "two"
      socket(nodeStyle("ab".repeat(32))), // never issued
      socket(undefined), // no certificate
      undefined, // not over TLS at all
      socket(fingerprints.one, { authorized: false, error: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }),
    ];
    for (const env of refusals) {
      const response = await kube(path, env);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "Unauthorized",
        reason: "Unauthorized",
        code: 401,
      });
    }
  });

  it("judges validity by the sandbox clock, not by what TLS concluded from the real one", async () => {
    // TLS (real clock) calls it expired, the sandbox clock says it is valid: in.
    expect(
      (await kube(path, socket(fingerprints.one, { authorized: false, error: "CERT_HAS_EXPIRED" }))).status,
    ).toBe(200);
    ap.advance(DAY - 1);
    expect((await kube(path, socket(fingerprints.one))).status).toBe(200);
    ap.advance(2);
    expect((await kube(path, socket(fingerprints.one))).status).toBe(401);
    expect(
      (await kube("/two/apis/apps/v1/namespaces/shop/deployments", socket(fingerprints.two))).status,
    ).toBe(200);
  });
});

describe("autopilot Kubernetes API through the API gateway (AK/SK)", () => {
  const uri = "/apis/apps/v1/namespaces/shop/deployments";

  it("answers the documented host form {clusterid}.{Endpoint} and the single-host path form, signed", async () => {
    const app = ap.cloud.routes;
    const account = ap.cloud.accounts()[0]!;
    const { signHuawei } = await import("../../signer/huawei.ts");
    for (const url of [
      `https://one.cce.cn-north-4.myhuaweicloud.com${uri}`,
      `${TEST_ORIGIN}/clusters/one${uri}`,
    ]) {
      const signed = await signHuawei({ method: "GET", url, headers: {} }, account, {
        now: ap.ctx.clock.now(),
      });
      const response = await app.request(url, { headers: signed.headers });
      expect(response.status).toBe(200);
      const list = (await response.json()) as { items: Array<{ metadata: { name: string } }> };
      expect(list.items.map((d) => d.metadata.name)).toEqual(["idle", "web"]);
      expect((await app.request(url)).status).toBe(401);
    }
  });

  it("counts against the account's gateway throttle", async () => {
    ap.ctx.throttle.configure(1, 1);
    const account = ap.cloud.accounts()[0]!;
    const { signHuawei } = await import("../../signer/huawei.ts");
    const url = `${TEST_ORIGIN}/clusters/one${uri}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const signed = await signHuawei({ method: "GET", url, headers: {} }, account, {
        now: ap.ctx.clock.now(),
      });
      statuses.push((await ap.cloud.routes.request(url, { headers: signed.headers })).status);
    }
    expect(statuses).toEqual([200, 429, 429]);
  });
});

describe("autopilot Kubernetes API: workloads", () => {
  const as = () => socket(fingerprints.one);

  it("lists Deployments and StatefulSets like the API server, leaving zero counts out of status", async () => {
    const deployments = (await (
      await kube("/one/apis/apps/v1/namespaces/shop/deployments", as())
    ).json()) as {
      kind: string;
      items: Array<{
        metadata: { name: string };
        spec: { replicas: number };
        status: Record<string, number>;
      }>;
    };
    expect(deployments.kind).toBe("DeploymentList");
    expect(deployments.items.map((d) => [d.metadata.name, d.spec.replicas])).toEqual([
      ["idle", 0],
      ["web", 3],
    ]);
    expect(deployments.items[0]!.status).toEqual({ observedGeneration: expect.any(Number) });
    expect(deployments.items[1]!.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    const statefulsets = (await (
      await kube("/one/apis/apps/v1/namespaces/shop/statefulsets", as())
    ).json()) as {
      items: Array<{ status: Record<string, number> }>;
    };
    expect(statefulsets.items[0]!.status).toEqual({ observedGeneration: expect.any(Number), replicas: 0 });
    const empty = (await (await kube("/one/apis/apps/v1/namespaces/nowhere/deployments", as())).json()) as {
      items: unknown[];
    };
    expect(empty.items).toEqual([]);
  });

  it("reads and merge-patches the scale subresource", async () => {
    const url = "/one/apis/apps/v1/namespaces/shop/deployments/web/scale";
    expect(await (await kube(url, as())).json()).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: "web", namespace: "shop" },
      spec: { replicas: 3 },
      status: { replicas: 3, selector: "app=web" },
    });
    const patched = await kube(url, as(), {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { replicas: 1 } }),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ spec: { replicas: 1 }, status: { replicas: 3 } });
    ap.advance(30);
    expect(await (await kube(url, as())).json()).toMatchObject({
      spec: { replicas: 1 },
      status: { replicas: 1 },
    });
  });

  it("answers Kubernetes Status errors: 404, 403, 415, 400, 422, 405", async () => {
    const scale = "/one/apis/apps/v1/namespaces/shop/deployments/web/scale";
    const patch = (url: string, body: string, type = "application/merge-patch+json") =>
      kube(url, as(), { method: "PATCH", headers: { "content-type": type }, body });

    const missing = await kube("/one/apis/apps/v1/namespaces/shop/deployments/nope/scale", as());
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      reason: "NotFound",
      message: 'deployments.apps "nope" not found',
      details: { name: "nope", group: "apps", kind: "deployments" },
    });
    expect((await kube("/one/api/v1/pods", as())).status).toBe(404);

    const forbidden = await patch(
      "/one/apis/apps/v1/namespaces/kube-system/deployments/coredns/scale",
      '{"spec":{"replicas":0}}',
    );
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ reason: "Forbidden", code: 403 });

    const yaml = await patch(scale, "spec:\n  replicas: 1\n", "application/apply-patch+yaml");
    expect(yaml.status).toBe(415);
    expect(await yaml.json()).toMatchObject({ reason: "UnsupportedMediaType" });
    expect((await patch(scale, "{not json")).status).toBe(400);
    const wrongType = await patch(scale, '{"spec":{"replicas":"2"}}');
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({ reason: "BadRequest" });

    const negative = await patch(scale, '{"spec":{"replicas":-1}}');
    expect(negative.status).toBe(422);
    expect(await negative.json()).toMatchObject({
      reason: "Invalid",
      message:
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      details: { causes: [{ reason: "FieldValueInvalid", field: "spec.replicas" }] },
    });
    expect((await kube(scale, as(), { method: "POST", body: "{}" })).status).toBe(405);

    // Nothing above changed the workload.
    expect(await (await kube(scale, as())).json()).toMatchObject({ spec: { replicas: 3 } });
  });
});
