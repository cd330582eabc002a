// Done-means for the Huawei sandbox: a request signed by the vendor's own SDK signer
// (@huaweicloud/huaweicloud-sdk-core AKSKSigner, driven as in test/oracle/huawei.ts) is accepted;
// the same request with one byte of the signature, body, query or date changed is refused the way
// APIG documents it: 401 {"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication
// information: verify aksk signature fail"}.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedSentHeaders, type SignRequestInput, sdkDateOf, sdkSignature } from "../oracle/huawei.ts";
import { newSandbox, type SandboxAccountInfo, type TestSandbox } from "../setup/sandbox.ts";

const START = "2026-03-02T09:00:00.000Z";
const REFUSED = {
  error_code: "APIG.0301",
  error_msg: "Incorrect IAM authentication information: verify aksk signature fail",
};

let sb: TestSandbox;
let account: SandboxAccountInfo;
let clusterId: string;

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 3, start: START });
  account = sb.huawei.accounts.find((a) => a.name === "platform-dev-cn-north-4")!;
  const state = (await sb.inspect("huawei", "GET", "state")).state as {
    clusters: Array<{ uid: string; name: string }>;
  };
  clusterId = state.clusters.find((c) => c.name === "dev-core")!.uid;
});
afterAll(async () => {
  await sb.stop();
});

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** The request with the SDK's Authorization, as it goes on the wire (Host set by fetch itself). */
function sdkSigned(method: string, path: string, options: { body?: string; now?: string } = {}): Sent {
  const url = `${sb.huawei.endpoint}/api/v3/projects/${account.projectId}${path}`;
  const input: SignRequestInput = {
    vendor: "huawei",
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
    method,
    url,
    headers: { "Content-Type": "application/json", "X-Project-Id": account.projectId! },
    now: options.now ?? START,
    ...(options.body !== undefined ? { body: options.body } : {}),
  };
  const headers = expectedSentHeaders(input);
  const authorization = sdkSignature(input, headers);
  const { Host: _host, ...wire } = headers;
  return {
    url,
    method,
    headers: { ...wire, Authorization: authorization },
    ...(options.body !== undefined ? { body: options.body } : {}),
  };
}

async function send(request: Sent): Promise<{ status: number; body: unknown }> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Changes one character at `index` to another of the same kind (hex stays hex). */
function flip(text: string, index: number): string {
  const ch = text[index]!;
  const next = /[0-9]/.test(ch) ? String((Number(ch) + 1) % 10) : ch === "a" ? "b" : ch === "A" ? "B" : "a";
  return text.slice(0, index) + next + text.slice(index + 1);
}

async function expectRefused(request: Sent): Promise<void> {
  const answer = await send(request);
  expect(answer.status).toBe(401);
  expect(answer.body).toMatchObject(REFUSED);
  expect(Object.keys(answer.body as object).sort()).toEqual(["error_code", "error_msg", "request_id"]);
}

describe("the Huawei sandbox verifies the SDK's SDK-HMAC-SHA256 signatures", () => {
  it("accepts a GET with a query, signed by AKSKSigner", async () => {
    const answer = await send(sdkSigned("GET", "/clusters?status=Available&detail=true"));
    expect(answer.status).toBe(200);
    expect(
      (answer.body as { items: Array<{ metadata: { name: string } }> }).items.map((c) => c.metadata.name),
    ).toEqual(["dev-core"]);
  });

  it("accepts a camelCase query key (showDefaultNodePool) and a POST with a JSON body", async () => {
    expect(
      (await send(sdkSigned("GET", `/clusters/${clusterId}/nodepools?showDefaultNodePool=true`))).status,
    ).toBe(200);
    const body = JSON.stringify({ tags: [{ key: "signed-by", value: "sdk" }] });
    expect((await send(sdkSigned("POST", `/clusters/${clusterId}/tags/create`, { body }))).status).toBe(204);
  });

  it("refuses one changed byte of the signature", async () => {
    const request = sdkSigned("GET", "/clusters?status=Available");
    const auth = request.headers.Authorization!;
    await expectRefused({
      ...request,
      headers: { ...request.headers, Authorization: flip(auth, auth.length - 1) },
    });
    await expectRefused({
      ...request,
      headers: { ...request.headers, Authorization: flip(auth, auth.length - 40) },
    });
  });

  it("refuses one changed byte of the body", async () => {
    const body = JSON.stringify({ tags: [{ key: "signed-by", value: "sdk" }] });
    const request = sdkSigned("POST", `/clusters/${clusterId}/tags/create`, { body });
    await expectRefused({ ...request, body: body.replace("sdk", "sdl") });
  });

  it("refuses one changed byte of the query", async () => {
    const request = sdkSigned("GET", "/clusters?status=Available");
    await expectRefused({ ...request, url: request.url.replace("Available", "Availablf") });
    await expectRefused({ ...request, url: request.url.replace("status=", "statuS=") });
  });

  it("refuses one changed byte of the date", async () => {
    const request = sdkSigned("GET", "/clusters");
    const date = request.headers["X-Sdk-Date"]!;
    expect(date).toBe(sdkDateOf(START));
    await expectRefused({
      ...request,
      headers: { ...request.headers, "X-Sdk-Date": flip(date, date.length - 2) },
    });
  });

  it("refuses an expired signature, an unknown key and a missing one the same way", async () => {
    const stale = new Date(Date.parse(START) - 16 * 60_000).toISOString();
    await expectRefused(sdkSigned("GET", "/clusters", { now: stale }));
    // Within the 15-minute tolerance it is still good.
    const recent = new Date(Date.parse(START) - 14 * 60_000).toISOString();
    expect((await send(sdkSigned("GET", "/clusters", { now: recent }))).status).toBe(200);

    const request = sdkSigned("GET", "/clusters");
    const unknown = request.headers.Authorization!.replace(account.accessKeyId, "UNKNOWNACCESSKEY0000");
    await expectRefused({ ...request, headers: { ...request.headers, Authorization: unknown } });
    const { Authorization: _auth, ...unsigned } = request.headers;
    await expectRefused({ ...request, headers: unsigned });
  });
});
