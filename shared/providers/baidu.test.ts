// The Baidu client's mapping of what comes back, with a scripted HTTP client: answers the sandbox
// never gives (a gateway's HTML 502, a throttle code on a 400, no Retry-After, a body that is not
// JSON) and what each request looks like when it leaves (signed headers, no Host, the body).
import { describe, expect, it } from "vitest";
import { type HttpClient, HttpFailure, type OutboundRequest, type SendOptions } from "../http/client.ts";
import { createBaiduProvider } from "./baidu.ts";
import { ProviderError } from "./port.ts";

const NOW = new Date("2026-03-02T09:00:00Z");

interface Scripted {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

function scripted(answers: Array<Scripted | HttpFailure>) {
  const sent: Array<{ request: OutboundRequest; options: SendOptions; headers: Record<string, string> }> = [];
  const http: HttpClient = {
    async send(request, options) {
      const headers = options.sign ? await options.sign(request) : (request.headers ?? {});
      sent.push({ request, options, headers });
      const answer = answers.shift();
      if (!answer) throw new Error("no scripted answer left");
      if (answer instanceof HttpFailure) throw answer;
      return { status: answer.status, headers: new Headers(answer.headers), text: answer.body };
    },
  };
  const provider = createBaiduProvider({
    account: { id: "acme", accessKeyId: "ak-test", secretAccessKey: "sk-test", region: "bj" },
    http,
    now: () => NOW,
  });
  return { provider, sent };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("expected a ProviderError");
}

describe("Baidu client requests", () => {
  it("signs host, x-bce-date and content-type, sends no Host, and marks idempotency truthfully", async () => {
    const { provider, sent } = scripted([
      { status: 200, body: '{"requestID":"r1"}' },
      { status: 200, body: '{"taskID":"task-1","requestID":"r2"}' },
    ]);
    await provider.resizeNodePool("cce-abc12345", "cce-ig-xyz12345", { desired: 0 });
    await provider.scaleUpNodePool("cce-abc12345", "cce-ig-xyz12345", 3);
    const [resize, scaleUp] = sent;
    expect(resize!.request).toMatchObject({
      method: "PUT",
      url: "https://cce.bj.baidubce.com/v2/cluster/cce-abc12345/instancegroup/cce-ig-xyz12345/replicas",
    });
    expect(JSON.parse(resize!.request.body!)).toEqual({
      replicas: 0,
      deleteInstance: true,
      deleteOption: { drainNode: true, deleteResource: true, deleteCDSSnapshot: false, moveOut: false },
    });
    expect(Object.keys(resize!.headers).map((k) => k.toLowerCase())).not.toContain("host");
    expect(resize!.headers["x-bce-date"]).toBe("2026-03-02T09:00:00Z");
    expect(resize!.headers.Authorization).toMatch(
      /^bce-auth-v1\/ak-test\/2026-03-02T09:00:00Z\/1800\/content-type;host;x-bce-date\/[0-9a-f]{64}$/,
    );
    expect(resize!.options).toMatchObject({ account: "acme", api: "baidu.resizeNodePool", idempotent: true });
    expect(scaleUp!.request.url).toBe(
      "https://cce.bj.baidubce.com/v2/cluster/cce-abc12345/instancegroup/cce-ig-xyz12345/scaleup?upToReplicas=3",
    );
    expect(scaleUp!.options.idempotent).toBe(false);
  });

  it("tells the HTTP layer that a throttle code is a throttle whatever the status", async () => {
    const { provider, sent } = scripted([{ status: 200, body: '{"requestID":"r"}' }]);
    await provider.resizeNodePool("cce-abc12345", "cce-ig-xyz12345", { desired: 1 });
    const isTransient = sent[0]!.options.isTransient!;
    const answer = (status: number, body: unknown) => ({
      status,
      headers: new Headers(),
      text: JSON.stringify(body),
    });
    expect(isTransient(answer(400, { code: "RequestLimitExceeded", message: "", requestId: "x" }))).toBe(
      "throttled",
    );
    expect(isTransient(answer(403, { code: "SignatureDoesNotMatch" }))).toBe(false);
    expect(isTransient(answer(400, { code: "QuotaLimitExceeded" }))).toBe(false);
  });
});

describe("Baidu client error mapping", () => {
  it("a throttle code on a 400 is throttled; no Retry-After means no retryAfterSeconds", async () => {
    const { provider } = scripted([
      { status: 400, body: '{"code":"RequestLimitExceeded","message":"slow down","requestId":"rid-1"}' },
    ]);
    const error = await failure(provider.getCluster("cce-abc12345"));
    expect(error).toMatchObject({
      kind: "throttled",
      status: 400,
      code: "RequestLimitExceeded",
      requestId: "rid-1",
    });
    expect(error.retryAfterSeconds).toBeUndefined();
  });

  it("reads Retry-After as an HTTP date too", async () => {
    const { provider } = scripted([
      { status: 429, body: "", headers: { "retry-after": new Date(NOW.getTime() + 7_000).toUTCString() } },
    ]);
    expect(await failure(provider.getCluster("cce-abc12345"))).toMatchObject({
      kind: "throttled",
      retryAfterSeconds: 7,
    });
  });

  it("maps by code before status: SignatureDoesNotMatch is auth as a 400 too", async () => {
    const { provider } = scripted([
      { status: 400, body: '{"code":"SignatureDoesNotMatch","message":"m","requestId":"r"}' },
    ]);
    expect(await failure(provider.listClusters())).toMatchObject({ kind: "auth", status: 400 });
  });

  it("a gateway's HTML 502 is a server error with the header's request id", async () => {
    const { provider } = scripted([
      { status: 502, body: "<html>Bad Gateway</html>", headers: { "x-bce-request-id": "hdr-1" } },
    ]);
    const error = await failure(provider.listNodePools("cce-abc12345"));
    expect(error).toMatchObject({ kind: "server", status: 502, requestId: "hdr-1" });
    expect(error.code).toBeUndefined();
    expect(error.message).toContain("Bad Gateway");
  });

  it("a success body that is not JSON, or lacks a field, is malformed-response naming the API and field", async () => {
    const { provider } = scripted([
      { status: 200, body: "OK" },
      {
        status: 200,
        body: '{"clusterPage":{"pageNo":1,"pageSize":100,"totalCount":1,"clusterList":[{"spec":{}}]}}',
      },
    ]);
    expect(await failure(provider.getCluster("cce-abc12345"))).toMatchObject({
      kind: "malformed-response",
      message: "baidu.getCluster: the 200 body is not JSON",
    });
    const missing = await failure(provider.listClusters());
    expect(missing.kind).toBe("malformed-response");
    expect(missing.message).toMatch(
      /^baidu\.listClusters: response field clusterPage\.clusterList\[0\]\.spec\.clusterID: /,
    );
  });

  it("tolerates unknown fields and an absent tags list", async () => {
    const cluster = {
      spec: { clusterID: "cce-abc12345", clusterName: "x", future: { a: 1 } },
      status: { clusterPhase: "upgrading", somethingNew: true },
    };
    const { provider } = scripted([{ status: 200, body: JSON.stringify({ cluster, requestID: "r" }) }]);
    expect(await provider.getCluster("cce-abc12345")).toEqual({
      provider: "baidu",
      account: "acme",
      region: "bj",
      id: "cce-abc12345",
      name: "x",
      phase: "busy", // an unknown phase is busy, never running
      vendorPhase: "upgrading",
      tags: {},
    });
  });

  it("timeouts and network failures keep their kind", async () => {
    const { provider } = scripted([
      new HttpFailure("timeout", "baidu.getCluster", "no response within 10 ms"),
      new HttpFailure("network", "baidu.getCluster", "ECONNRESET"),
    ]);
    expect(await failure(provider.getCluster("cce-abc12345"))).toMatchObject({
      kind: "timeout",
      message: "baidu.getCluster: no response within 10 ms",
    });
    expect((await failure(provider.getCluster("cce-abc12345"))).kind).toBe("network");
  });

  it("a kubeconfig that cannot be read is malformed-response naming the YAML field", async () => {
    const { provider } = scripted([
      {
        status: 200,
        body: JSON.stringify({ kubeConfigType: "public", kubeConfig: "apiVersion: v1\nclusters: []\n" }),
      },
    ]);
    const error = await failure(provider.issueKubeconfig("cce-abc12345", 1));
    expect(error.kind).toBe("malformed-response");
    expect(error.message).toBe("baidu.issueKubeconfig: response field kubeConfig clusters: missing or empty");
  });
});
