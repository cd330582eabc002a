// Signature acceptance: requests signed by the vendor's own SDK signer (@alicloud/pop-core
// ROAClient, driven through test/oracle/alibaba.ts) are accepted by the Alibaba sandbox, in the
// public and the ASAPI form; the same requests with one byte of the signature, body, query or date
// changed are refused with the documented error (403 SignatureDoesNotMatch; 400
// InvalidTimeStamp.Expired when the date moves more than 15 minutes; ASAPI: HTTP 200 with
// X-Acs-Response-Success: false).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SignRequestInput, sdkSign } from "../oracle/alibaba.ts";
import { newSandbox, type SandboxAccountInfo, type TestSandbox } from "../setup/sandbox.ts";

const START = "2025-03-04T02:03:04.000Z";

let sb: TestSandbox;
let dev: SandboxAccountInfo;
let apsara: SandboxAccountInfo;
let nonce = 0;
let devCluster: { id: string; poolId: string };
let opsCluster: string;

interface Wire {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

async function sdkRequest(
  who: SandboxAccountInfo,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<Wire> {
  const input: SignRequestInput = {
    vendor: "alibaba",
    accessKeyId: who.accessKeyId,
    secretAccessKey: who.secretAccessKey,
    method,
    url: `${sb.alibaba.endpoint}${path}`,
    headers: {
      "x-acs-signature-nonce": `sdk-nonce-${++nonce}`,
      "x-acs-region-id": who.region,
      ...options.headers,
    },
    now: START,
    ...(options.body !== undefined ? { body: options.body } : {}),
  };
  const signed = await sdkSign(input);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    // fetch sets these itself from the URL and the body.
    if (name !== "host" && name !== "content-length") headers[name] = String(value);
  }
  return { url: signed.url, method, headers, ...(options.body !== undefined ? { body: options.body } : {}) };
}

function send(wire: Wire): Promise<Response> {
  return fetch(wire.url, {
    method: wire.method,
    headers: wire.headers,
    ...(wire.body !== undefined ? { body: wire.body } : {}),
  });
}

/** Replaces the character at `index` by a different one from the same alphabet. */
function flip(text: string, index: number, alphabet: string): string {
  const current = text[index]!;
  const replacement = alphabet[(alphabet.indexOf(current) + 1) % alphabet.length]!;
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function withSignatureFlipped(wire: Wire): Wire {
  const authorization = wire.headers.authorization!;
  const at = authorization.indexOf(":") + 1;
  return { ...wire, headers: { ...wire.headers, authorization: flip(authorization, at, BASE64) } };
}

function withDate(wire: Wire, date: string): Wire {
  return { ...wire, headers: { ...wire.headers, date } };
}

async function expectPopError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ Code: code, RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/) });
  expect(Object.keys(body).sort()).toEqual(["Code", "HostId", "Message", "Recommend", "RequestId"]);
}

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, start: START });
  dev = sb.alibaba.accounts.find((a) => a.name === "ack-dev")!;
  apsara = sb.alibaba.accounts.find((a) => a.name === "apsara-ops")!;
  const state = (await sb.inspect("alibaba", "GET", "state")).state as {
    clusters: Array<{
      cluster_id: string;
      name: string;
      nodepools: Array<{ nodepool_info: { nodepool_id: string } }>;
    }>;
  };
  const web = state.clusters.find((c) => c.name === "dev-web")!;
  devCluster = { id: web.cluster_id, poolId: web.nodepools[0]!.nodepool_info.nodepool_id };
  opsCluster = state.clusters.find((c) => c.name === "ops-tools")!.cluster_id;
});

afterAll(async () => {
  await sb.stop();
});

describe("requests signed by @alicloud/pop-core", () => {
  it("a GET with a query is accepted; one byte changed in signature, query or date is refused", async () => {
    const wire = await sdkRequest(dev, "GET", "/api/v1/clusters?page_size=10&page_number=1");

    await expectPopError(await send(withSignatureFlipped(wire)), 403, "SignatureDoesNotMatch");
    await expectPopError(
      await send({ ...wire, url: wire.url.replace("page_size=10", "page_size=11") }),
      403,
      "SignatureDoesNotMatch",
    );
    const date = wire.headers.date!;
    // One digit of the seconds: still within 15 minutes, so the signature no longer matches.
    await expectPopError(
      await send(withDate(wire, flip(date, date.length - 5, "0123456789"))),
      403,
      "SignatureDoesNotMatch",
    );
    // One digit of the year: the date is now far off.
    await expectPopError(
      await send(withDate(wire, flip(date, 15, "0123456789"))),
      400,
      "InvalidTimeStamp.Expired",
    );

    const accepted = await send(wire);
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { clusters: unknown[] }).clusters).toHaveLength(4);
    // The very same request again: its nonce was used.
    await expectPopError(await send(wire), 400, "SignatureNonceUsed");
  });

  it("a POST with a body is accepted; one byte of the body changed is refused", async () => {
    const path = `/clusters/${devCluster.id}/nodepools/${devCluster.poolId}`;
    const wire = await sdkRequest(dev, "POST", path, {
      body: '{"count":1}',
      headers: { "content-type": "application/json" },
    });
    await expectPopError(await send({ ...wire, body: '{"count":2}' }), 403, "SignatureDoesNotMatch");
    const accepted = await send(wire);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ task_id: expect.stringMatching(/^T-[0-9a-f]{24}$/) });
  });

  it("the kubeconfig GET (query with capitals) is accepted", async () => {
    const wire = await sdkRequest(
      dev,
      "GET",
      `/k8s/${devCluster.id}/user_config?TemporaryDurationMinutes=30&PrivateIpAddress=true`,
    );
    const response = await send(wire);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { config: string; expiration: string };
    expect(body.expiration).toBe("2025-03-04T02:33:04Z");
    expect(body.config).toContain("client-certificate-data:");
  });

  it("through ASAPI (/roa + x-ascm-*/x-acs-* headers) it is accepted; a bad one answers 200 + X-Acs-Response-Success: false", async () => {
    const asapi = {
      "x-ascm-product-name": "cs",
      "x-ascm-product-version": "2015-12-15",
      "x-acs-regionid": apsara.region,
      "x-acs-organizationid": apsara.organizationId!,
      "x-acs-resourcegroupid": "112",
    };
    const wire = await sdkRequest(apsara, "GET", `/roa/clusters/${opsCluster}/nodepools`, { headers: asapi });

    const refused = await send(withSignatureFlipped(wire));
    expect(refused.status).toBe(200);
    expect(refused.headers.get("x-acs-response-success")).toBe("false");
    expect(refused.headers.get("x-acs-response-errorhint")).toMatch(/^SignatureDoesNotMatch: /);
    expect(await refused.json()).toMatchObject({
      asapiSuccess: false,
      asapiErrorCode: "SignatureDoesNotMatch",
    });

    // The signed organization header changed by one byte: the signature no longer matches either.
    const otherOrg = {
      ...wire,
      headers: { ...wire.headers, "x-acs-organizationid": flip(apsara.organizationId!, 0, "0123456789") },
    };
    expect((await send(otherOrg)).headers.get("x-acs-response-success")).toBe("false");

    const accepted = await send(wire);
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get("x-acs-response-success")).toBe("true");
    const body = (await accepted.json()) as { nodepools: unknown[]; asapiSuccess: boolean };
    expect(body.nodepools).toHaveLength(2);
    expect(body.asapiSuccess).toBe(true);
  });

  it("a request without Authorization is refused as an incomplete signature", async () => {
    const wire = await sdkRequest(dev, "GET", "/api/v1/clusters");
    const { authorization: _dropped, ...headers } = wire.headers;
    await expectPopError(await send({ ...wire, headers }), 400, "IncompleteSignature");
  });
});
