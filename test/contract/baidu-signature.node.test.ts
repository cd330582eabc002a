// The Baidu sandbox accepts what @baiducloud/sdk's own bce-auth-v1 signer signs, and refuses the
// same request with one byte of the signature, body, query or date changed, answering as the
// sandbox documents (shared/sandbox/baidu/errors.ts): the BCE error body and status.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SignRequestInput, sdkSign } from "../oracle/baidu.ts";
import { newSandbox, type TestSandbox } from "../setup/sandbox.ts";

const START = "2026-03-02T09:00:00Z";
let sb: TestSandbox;
let clusterId: string;
let groupId: string;

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 11, start: START });
  const state = (await sb.inspect("baidu", "GET", "state")).state;
  const cluster = state.clusters.find((c: { clusterName: string }) => c.clusterName === "web-staging");
  clusterId = cluster.clusterID;
  groupId = cluster.instanceGroups.find(
    (g: { instanceGroupName: string }) => g.instanceGroupName === "gpu",
  ).instanceGroupID;
});
afterAll(async () => {
  await sb.stop();
});

function credentials() {
  const account = sb.baidu.accounts.find((a) => a.name === "acme-bj")!;
  return { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey };
}

/** Signs with the SDK; the SDK's Host is what fetch sends anyway. */
function sdkRequest(
  method: string,
  path: string,
  body?: string,
): { url: string; headers: Record<string, string> } {
  const url = `${sb.baidu.endpoint}${path}`;
  const headers: Record<string, string> = {};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json;charset=utf-8";
    // bce-auth-v1 does not sign the body itself: a signed Content-MD5 binds it.
    headers["Content-MD5"] = createHash("md5").update(body, "utf8").digest("base64");
  }
  const input: SignRequestInput = { vendor: "baidu", ...credentials(), method, url, headers, now: START };
  if (body !== undefined) input.body = body;
  const { Host: _host, ...signed } = sdkSign(input);
  return { url, headers: signed };
}

async function send(method: string, url: string, headers: Record<string, string>, body?: string) {
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const json = (await response.json()) as Record<string, unknown>;
  return { status: response.status, json, requestId: response.headers.get("x-bce-request-id") };
}

/** Changes one character of `text` at `index` to another of the same kind. */
function flip(text: string, index: number): string {
  const c = text[index]!;
  const replacement = /\d/.test(c) ? String((Number(c) + 1) % 10) : c === "a" ? "b" : "a";
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

const LIST = "/v2/clusters?keywordType=clusterName&keyword=&orderBy=clusterID&order=ASC&pageNo=1&pageSize=10";

describe("Baidu sandbox signature check against @baiducloud/sdk", () => {
  it("accepts the SDK-signed documented list request under both prefixes", async () => {
    for (const path of [LIST, LIST.replace("/v2/", "/api/cce/service/v2/")]) {
      const { url, headers } = sdkRequest("GET", path);
      const { status, json, requestId } = await send("GET", url, headers);
      expect(status).toBe(200);
      expect((json.clusterPage as { totalCount: number }).totalCount).toBe(2);
      expect(requestId).toBe(json.requestID);
    }
  });

  it("accepts an SDK-signed PUT replicas with a body", async () => {
    const body = JSON.stringify({ replicas: 2 });
    const { url, headers } = sdkRequest(
      "PUT",
      `/v2/cluster/${clusterId}/instancegroup/${groupId}/replicas`,
      body,
    );
    const { status } = await send("PUT", url, headers, body);
    expect(status).toBe(200);
  });

  it("refuses one changed byte of the signature: 403 SignatureDoesNotMatch", async () => {
    const { url, headers } = sdkRequest("GET", LIST);
    const authorization = headers.authorization ?? headers.Authorization!;
    const { status, json, requestId } = await send("GET", url, {
      ...headers,
      Authorization: flip(authorization, authorization.length - 1),
    });
    expect(status).toBe(403);
    expect(json).toMatchObject({ code: "SignatureDoesNotMatch", requestId });
    expect(Object.keys(json).sort()).toEqual(["code", "message", "requestId"]);
  });

  it("refuses one changed byte of the query: 403 SignatureDoesNotMatch", async () => {
    const { url, headers } = sdkRequest("GET", LIST);
    const { status, json } = await send("GET", flip(url, url.length - 1), headers);
    expect(status).toBe(403);
    expect(json.code).toBe("SignatureDoesNotMatch");
  });

  it("refuses one changed byte of the body: 403 SignatureDoesNotMatch", async () => {
    const body = JSON.stringify({ replicas: 2 });
    const { url, headers } = sdkRequest(
      "PUT",
      `/v2/cluster/${clusterId}/instancegroup/${groupId}/replicas`,
      body,
    );
    const changed = body.replace("2", "3");
    const { status, json } = await send("PUT", url, headers, changed);
    expect(status).toBe(403);
    expect(json.code).toBe("SignatureDoesNotMatch");
  });

  it("refuses one changed byte of x-bce-date: 403 SignatureDoesNotMatch", async () => {
    const { url, headers } = sdkRequest("GET", LIST);
    const name = Object.keys(headers).find((k) => k.toLowerCase() === "x-bce-date")!;
    const { status, json } = await send("GET", url, { ...headers, [name]: flip(headers[name]!, 18) });
    expect(status).toBe(403);
    expect(json.code).toBe("SignatureDoesNotMatch");
  });

  it("refuses a missing, malformed or unknown-key Authorization", async () => {
    const url = `${sb.baidu.endpoint}${LIST}`;
    const missing = await send("GET", url, {});
    expect([missing.status, missing.json.code]).toEqual([403, "AccessDenied"]);
    const malformed = await send("GET", url, { Authorization: "bce-auth-v1/oops" });
    expect([malformed.status, malformed.json.code]).toEqual([400, "InvalidHTTPAuthHeader"]);
    const { headers } = sdkRequest("GET", LIST);
    const authorization = headers.authorization ?? headers.Authorization!;
    const ak = credentials().accessKeyId;
    const unknown = await send("GET", url, {
      ...headers,
      Authorization: authorization.replace(ak, "f".repeat(32)),
    });
    expect([unknown.status, unknown.json.code]).toEqual([403, "InvalidAccessKeyId"]);
  });
  // Last: it moves the sandbox clock past every signature made at START.
  it("refuses a signature past its expiration: 400 RequestExpired", async () => {
    const { url, headers } = sdkRequest("GET", LIST);
    await sb.inspect("baidu", "POST", "clock", { advanceSeconds: 1801 });
    const { status, json } = await send("GET", url, headers);
    expect(status).toBe(400);
    expect(json.code).toBe("RequestExpired");
  });
});
