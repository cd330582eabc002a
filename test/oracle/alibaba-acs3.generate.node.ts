// (Re)writes test/fixtures/signing/alibaba-acs3/*.json from the vendor's own V3 implementation
// (@alicloud/openapi-core, driven through test/oracle/alibaba-acs3.ts). Run from the repository root:
//   npx node test/oracle/alibaba-acs3.generate.node.ts
// Independent of our signer on purpose: the headers sent are built here the way openapi-core's
// Client.doRequest builds them, and every expected stage comes from openapi-core's own helpers.
import { createHash, createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Acs3RequestInput, SDK_NAME, sdkSign } from "./alibaba-acs3.ts";

const OUT = fileURLToPath(new URL("../fixtures/signing/alibaba-acs3/", import.meta.url));
const VIA = `${SDK_NAME} Utils.getAuthorization and its canonicalisation helpers, via test/oracle/alibaba-acs3.generate.node.ts`;
const NOW = "2024-01-02T03:04:05Z";

interface Case {
  name: string;
  description: string;
  input: Acs3RequestInput;
}

const base = {
  vendor: "alibaba" as const,
  signature: "acs3" as const,
  accessKeyId: "testak",
  secretAccessKey: "test-secret",
  now: NOW,
};

const CASES: Case[] = [
  {
    name: "describe-clusters-v1-query",
    description: "DescribeClustersV1: GET with a query, no body (payload hash of zero bytes)",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.cn-hangzhou.aliyuncs.com/api/v1/clusters?page_size=10&page_number=1",
      headers: { "x-acs-action": "DescribeClustersV1", "x-acs-signature-nonce": "acs3-nonce-0001" },
    },
  },
  {
    name: "modify-nodepool-desired-size",
    description:
      "ModifyClusterNodePool: PUT with a JSON body (scaling_group.desired_size) and the SDK's Content-Type, signed",
    input: {
      ...base,
      method: "PUT",
      url: "https://cs.cn-hangzhou.aliyuncs.com/clusters/c0123456789abcdef/nodepools/np0123456789abcdef",
      headers: {
        "x-acs-action": "ModifyClusterNodePool",
        "Content-Type": "application/json; charset=utf-8",
        "x-acs-signature-nonce": "acs3-nonce-0002",
      },
      body: '{"scaling_group":{"desired_size":3}}',
    },
  },
  {
    name: "user-config-sts",
    description:
      "DescribeClusterUserKubeconfig with STS credentials: x-acs-security-token and x-acs-accesskey-id signed; query sorted",
    input: {
      ...base,
      accessKeyId: "STS.testak",
      securityToken: "CAIStest-token",
      method: "GET",
      url: "https://cs.aliyuncs.com/k8s/c0123456789abcdef/user_config?TemporaryDurationMinutes=60&PrivateIpAddress=true",
      headers: {
        "x-acs-action": "DescribeClusterUserKubeconfig",
        "x-acs-signature-nonce": "acs3-nonce-0003",
      },
    },
  },
  {
    name: "query-tricky-values",
    description:
      "query values with space, plus, star, tilde, slash, equals, ampersand, quote, brackets and Chinese: decoded, RFC 3986-encoded (%20, %2B, %2A, ~ kept), sorted by key; empty value as key=",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters?name=my%20cluster&plus=1%2B1&star=a*b&tilde=~x&slash=a%2Fb&eq=k%3Dv&amp=a%26b&quote=it's%20(x)!&zh=%E6%B5%8B%E8%AF%95&empty=",
      headers: { "x-acs-action": "DescribeClustersV1", "x-acs-signature-nonce": "acs3-nonce-0004" },
    },
  },
  {
    name: "path-encoded-segments",
    description:
      "a path parameter the SDK percent-encodes (space, slash, Chinese): the canonical URI is the encoded path",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters/a%20b%2Fc%E6%B5%8B/nodepools",
      headers: { "x-acs-action": "DescribeClusterNodePools", "x-acs-signature-nonce": "acs3-nonce-0005" },
    },
  },
  {
    name: "extra-acs-headers-mixed-case",
    description:
      "x-acs-region-id in the vendor's mixed case and an x-acs-meta value with inner tab and padding: names lower-cased, values trimmed only; X-Request-Id not signed",
    input: {
      ...base,
      method: "POST",
      url: "http://127.0.0.1:18082/clusters/c0123456789abcdef/nodepools/np0123456789abcdef",
      headers: {
        "x-acs-action": "ScaleClusterNodePool",
        "X-Acs-Region-Id": "cn-beijing",
        "x-acs-meta-name": "  TaoBao,\tAlipay  ",
        "X-Request-Id": "unsigned",
        "Content-Type": "application/json",
        "x-acs-signature-nonce": "acs3-nonce-0006",
      },
      body: '{"count":2}',
    },
  },
  {
    name: "delete-nodepool-nodes",
    description: "RemoveNodePoolNodes: DELETE with JSON-array query values (the Tea SDKs' json style)",
    input: {
      ...base,
      method: "DELETE",
      url: `https://cs.aliyuncs.com/clusters/c0123456789abcdef/nodepools/np0123456789abcdef/nodes?nodes=${encodeURIComponent('["cn-hangzhou.10.0.0.1"]')}&release_node=true&drain_node=false`,
      headers: { "x-acs-action": "RemoveNodePoolNodes", "x-acs-signature-nonce": "acs3-nonce-0007" },
    },
  },
];

/** The headers openapi-core's doRequest sends for this input, names lower-cased as it sets them. */
function sdkHeaders(input: Acs3RequestInput): Record<string, string> {
  const url = new URL(input.url);
  const body = input.body ?? "";
  const headers: Record<string, string> = {
    host: url.host,
    "x-acs-version": "2015-12-15",
    "x-acs-date": `${new Date(input.now!).toISOString().slice(0, 19)}Z`,
    accept: "application/json",
  };
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  if (body !== "" && headers["content-type"] === undefined) headers["content-type"] = "application/json";
  headers["x-acs-content-sha256"] = createHash("sha256").update(body, "utf8").digest("hex");
  if (input.securityToken !== undefined) {
    headers["x-acs-accesskey-id"] = input.accessKeyId;
    headers["x-acs-security-token"] = input.securityToken;
  }
  return headers;
}

function generate(testCase: Case) {
  const headers = sdkHeaders(testCase.input);
  const sdk = sdkSign(testCase.input, headers);
  const signature = /Signature=([0-9a-f]{64})$/.exec(sdk.authorization)![1]!;
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash("sha256").update(sdk.canonicalRequest).digest("hex")}`;
  // The canonical request is assembled as getAuthorization does: it must sign to its Authorization.
  if (createHmac("sha256", testCase.input.secretAccessKey).update(stringToSign).digest("hex") !== signature) {
    throw new Error(
      `${testCase.name}: the assembled canonical request does not sign to openapi-core's Authorization`,
    );
  }
  const lines = sdk.canonicalRequest.split("\n");
  return {
    description: testCase.description,
    provenance: VIA,
    input: testCase.input,
    expected: {
      hashedPayload: sdk.hashedPayload,
      canonicalUri: lines[1],
      canonicalQuery: sdk.canonicalQuery,
      canonicalHeaders: sdk.canonicalHeaders,
      signedHeaders: sdk.signedHeaders,
      canonicalRequest: sdk.canonicalRequest,
      stringToSign,
      signature,
      authorization: sdk.authorization,
      headers: { ...headers, authorization: sdk.authorization },
    },
  };
}

mkdirSync(OUT, { recursive: true });
for (const testCase of CASES) {
  const fixture = generate(testCase);
  writeFileSync(`${OUT}${testCase.name}.json`, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`wrote ${testCase.name}.json  ${fixture.expected.signature}`);
}
