// Signature acceptance (Node only: it drives the vendor's SDK): a request signed by Huawei's own
// SDK signer (@huaweicloud/huaweicloud-sdk-core AKSKSigner, driven as test/oracle/huawei.ts
// describes) is accepted by the simulated Autopilot cloud; the same request with one byte of the
// signature, body, query or date changed is refused with the gateway's 401 APIG.0301, as is an expired one.
import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSandbox, type SandboxAccountInfo, type TestSandbox } from "../setup/sandbox.ts";

let sb: TestSandbox;
let qa: SandboxAccountInfo;
let clusterUid: string;
let simNow: Date;

/** `YYYYMMDDTHHMMSSZ`, written here so the SDK is handed the sandbox's time. */
function sdkDate(at: Date): string {
  return `${at.toISOString().slice(0, 19).replaceAll("-", "").replaceAll(":", "")}Z`;
}

interface Sendable {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Signs with the SDK (its own entry point, `AKSKSigner.sign`) and returns what goes on the wire. */
function sdkSigned(
  method: "GET" | "POST",
  path: string,
  options: { query?: Record<string, string>; data?: object; at?: Date; contentType?: boolean } = {},
): Sendable {
  const endpoint = `${sb.autopilot.endpoint}${path}`;
  const headers: Record<string, string> = { "X-Sdk-Date": sdkDate(options.at ?? simNow) };
  if (options.contentType !== false) headers["Content-Type"] = "application/json";
  const signed = AKSKSigner.sign(
    { endpoint, method, headers, queryParams: options.query ?? {}, data: options.data } as never,
    new BasicCredentials().withAk(qa.accessKeyId).withSk(qa.secretAccessKey),
  ) as Record<string, string>;
  const { host: _host, ...wire } = signed; // fetch sends Host itself, the same value
  const query = new URLSearchParams(options.query ?? {}).toString();
  return {
    method,
    url: query ? `${endpoint}?${query}` : endpoint,
    headers: wire,
    ...(options.data ? { body: JSON.stringify(options.data) } : {}),
  };
}

async function send(request: Sendable): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

const REFUSED = {
  status: 401,
  body: {
    error_code: "APIG.0301",
    error_msg: "Incorrect IAM authentication information: verify aksk signature fail",
  },
};

async function expectRefused(request: Sendable): Promise<void> {
  const answer = await send(request);
  expect(answer).toMatchObject(REFUSED);
}

/** Changes the character at `index` of `text` to another of the same class. */
function flip(text: string, index: number): string {
  const ch = text[index]!;
  const other = /[0-9]/.test(ch) ? String((Number(ch) + 1) % 10) : ch === "a" ? "b" : "a";
  return `${text.slice(0, index)}${other}${text.slice(index + 1)}`;
}

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 3 });
  simNow = new Date((await sb.inspect("autopilot", "GET", "clock")).now);
  qa = sb.autopilot.accounts.find((a) => a.name === "qa")!;
  const state = (await sb.inspect("autopilot", "GET", "state")).state;
  clusterUid = state.clusters.find(
    (c: { projectId: string; cluster: { status: { phase: string } } }) =>
      c.projectId === qa.projectId && c.cluster.status.phase === "Available",
  ).cluster.metadata.uid;
});

afterAll(async () => {
  await sb.stop();
});

describe("autopilot sandbox accepts Huawei's SDK signature and nothing else", () => {
  const listPath = () => `/autopilot/v3/projects/${qa.projectId}/clusters`;
  const certPath = () => `/autopilot/v3/projects/${qa.projectId}/clusters/${clusterUid}/clustercert`;

  it("accepts a GET with a query and a POST with a body, both signed by the SDK", async () => {
    const list = await send(
      sdkSigned("GET", listPath(), { query: { status: "Available", type: "VirtualMachine" } }),
    );
    expect(list.status).toBe(200);
    expect((list.body.items as unknown[]).length).toBeGreaterThan(0);
    const cert = await send(sdkSigned("POST", certPath(), { data: { duration: 30 } }));
    expect(cert.status).toBe(200);
    expect(cert.body).toMatchObject({ kind: "Config", "current-context": "internal" });
  });

  it("refuses the request with one byte of the signature changed", async () => {
    const request = sdkSigned("GET", listPath(), { query: { status: "Available" } });
    const authorization = request.headers.Authorization!;
    await expectRefused({
      ...request,
      headers: { ...request.headers, Authorization: flip(authorization, authorization.length - 1) },
    });
  });

  it("refuses the request with one byte of the body changed", async () => {
    const request = sdkSigned("POST", certPath(), { data: { duration: 30 } });
    expect(request.body).toBe('{"duration":30}');
    await expectRefused({ ...request, body: '{"duration":31}' });
  });

  it("refuses the request with one byte of the query changed", async () => {
    const request = sdkSigned("GET", listPath(), { query: { status: "Available" } });
    await expectRefused({ ...request, url: request.url.replace("status=Available", "status=Availablf") });
  });

  it("refuses the request with one byte of the date changed", async () => {
    const request = sdkSigned("GET", listPath());
    const date = request.headers["X-Sdk-Date"]!;
    await expectRefused({
      ...request,
      headers: { ...request.headers, "X-Sdk-Date": flip(date, date.length - 2) },
    });
  });

  it("refuses a correctly signed request dated 20 minutes before the cloud's clock", async () => {
    await expectRefused(sdkSigned("GET", listPath(), { at: new Date(simNow.getTime() - 20 * 60_000) }));
  });

  it("refuses an unsigned request, and one with a token IAM never issued", async () => {
    const signed = sdkSigned("GET", listPath());
    const { Authorization: _a, ...unsigned } = signed.headers;
    await expectRefused({ ...signed, headers: unsigned });
    expect(await send({ ...signed, headers: { ...unsigned, "X-Auth-Token": "MIIE..." } })).toMatchObject({
      status: 401,
      body: {
        error_code: "APIG.0301",
        error_msg: "Incorrect IAM authentication information: decrypt token fail",
      },
    });
  });

  it("checks the signature before the Content-Type (400 CCE.01400006 only for a good signature)", async () => {
    const noType = sdkSigned("GET", listPath(), { contentType: false });
    expect(await send(noType)).toMatchObject({ status: 400, body: { errorCode: "CCE.01400006" } });
    const tampered = { ...noType, url: `${noType.url}?status=Available` };
    await expectRefused(tampered);
  });

  it("answers an API Autopilot does not have with the gateway's 404 APIGW.0101", async () => {
    const hibernate = sdkSigned(
      "POST",
      `/autopilot/v3/projects/${qa.projectId}/clusters/${clusterUid}/operation/hibernate`,
      {
        data: {},
      },
    );
    expect(await send(hibernate)).toMatchObject({ status: 404, body: { error_code: "APIGW.0101" } });
  });
});
