// (Re)writes test/fixtures/signing/huawei/*.json from the official Node SDK.
//   npx node test/oracle/huawei.generate.node.ts
// Every expected value comes from @huaweicloud/huaweicloud-sdk-core (AKSKSigner's step functions
// for the stages, AKSKSigner.sign for the Authorization where sign() can express the request);
// nothing here calls the signer under test.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expectedSentHeaders, SDK_NAME, type SignRequestInput, sdkSignature, sdkStages } from "./huawei.ts";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/signing/huawei");

const HOST = "https://cce.cn-north-4.myhuaweicloud.com";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const CLUSTER = "6e2c1d9f-4a3b-11ef-9c1e-0255ac100b0a";
const POOL = "nodepool-7f3a-4c1b";
const BASE = `${HOST}/api/v3/projects/${PROJECT}/clusters`;
const AK = "QTWAOYTTINDUT2QVKYUC";
const SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
const JSON_HEADERS = { "Content-Type": "application/json", "X-Project-Id": PROJECT };

interface Case {
  file: string;
  description: string;
  /** Why this vector exists / which decision it pins, appended to the provenance. */
  note?: string;
  input: Omit<SignRequestInput, "vendor" | "accessKeyId" | "secretAccessKey"> &
    Partial<Pick<SignRequestInput, "accessKeyId" | "secretAccessKey">>;
}

const cases: Case[] = [
  {
    file: "list-clusters",
    description: "GET list clusters, JSON content type and X-Project-Id, no query, no body",
    input: { method: "GET", url: BASE, headers: JSON_HEADERS, now: "2024-03-12T08:15:30Z" },
  },
  {
    file: "list-clusters-query",
    description: "GET list clusters with a realistic filter query, given out of order",
    input: {
      method: "GET",
      url: `${BASE}?type=VirtualMachine&status=Available&detail=true&version=v1.29`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "query-tricky-values",
    description:
      "query values with space (%20), plus (%2B), ~, *, /, =, unicode, an empty value, a key without '=', and a repeated key",
    input: {
      method: "GET",
      url: `${BASE}?q=a%20b&plus=a%2Bb&tilde=~x&star=*&slash=a/b&eq=a=b&cn=%E6%B5%8B%E8%AF%95&empty=&flag&rep=2&rep=1&rep=10`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "query-plus-is-space",
    description: "a raw '+' in the query is a space (form encoding); a literal plus is written %2B",
    note: "Decision: '+' decodes to a space, as APIG's Go verifier (url.ParseQuery) reads it; both SDKs always send %2B or %20 themselves.",
    input: {
      method: "GET",
      url: `${BASE}?name=node+pool&name=node%2Bpool&name=node%20pool`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "query-key-case",
    description: "camelCase and upper-case query keys keep their case; upper case sorts first",
    note: "Decision: keys are not lower-cased, as in the Node SDK (the Go SDK v3 lower-cases them).",
    input: {
      method: "GET",
      url: `${BASE}/${CLUSTER}/nodepools?showDefaultNodePool=true&Limit=5&limit=6&nodepoolScaleDown=NoScaleDown`,
      headers: JSON_HEADERS,
      now: "2025-01-01T00:00:00Z",
    },
  },
  {
    file: "query-unicode-raw-and-lowercase-escapes",
    description: "raw unicode query text and lower-case hex escapes canonicalise to upper-case UTF-8 escapes",
    input: {
      method: "GET",
      url: `${BASE}?名称=集群&x=%e6%b5%8b&emoji=%F0%9F%98%80`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "put-nodepool-json-chinese",
    description: "PUT node pool with a JSON body containing Chinese text, charset in the content type",
    input: {
      method: "PUT",
      url: `${BASE}/${CLUSTER}/nodepools/${POOL}`,
      headers: { "Content-Type": "application/json;charset=utf-8", "X-Project-Id": PROJECT },
      body: JSON.stringify({
        kind: "NodePool",
        apiVersion: "v3",
        metadata: { name: "测试节点池", description: "夜间缩容到0" },
        spec: { initialNodeCount: 0, autoscaling: { enable: false } },
      }),
      now: "2024-03-12T22:00:05Z",
    },
  },
  {
    file: "post-hibernate-empty-body",
    description: "POST hibernate with an empty body (hash of the empty string)",
    input: {
      method: "POST",
      url: `${BASE}/${CLUSTER}/operation/hibernate`,
      headers: JSON_HEADERS,
      body: "",
      now: "2024-03-12T22:00:00Z",
    },
  },
  {
    file: "post-clustercert",
    description: "POST cluster certificate with a small JSON body",
    input: {
      method: "POST",
      url: `${BASE}/${CLUSTER}/clustercert`,
      headers: JSON_HEADERS,
      body: JSON.stringify({ duration: 30 }),
      now: "2026-06-30T12:34:56Z",
    },
  },
  {
    file: "delete-nodepool",
    description: "DELETE node pool, no content type",
    input: {
      method: "DELETE",
      url: `${BASE}/${CLUSTER}/nodepools/${POOL}`,
      headers: { "X-Project-Id": PROJECT },
      now: "2023-11-05T03:04:05Z",
    },
  },
  {
    file: "path-encoded-slash",
    description: "a path segment with %2F: decoded before canonicalisation, so it acts as a separator",
    note: "Decision: the path is decoded, split on '/', each segment re-encoded (APIG's Go verifier). AKSKSigner.sign, given the URL text, would sign %252F while sending %2F.",
    input: {
      method: "GET",
      url: `${BASE}/${CLUSTER}/nodepools/pool%2Fone`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "path-encoded-space",
    description: "a path segment with %20 signs as %20",
    note: "AKSKSigner.sign itself would sign %2520 here (its url.parse escapes the decoded space before encoding it again) while sending %20; the stages are the SDK's step functions on the decoded path.",
    input: {
      method: "GET",
      url: `${BASE}/${CLUSTER}/nodepools/pool%20one`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "path-unicode",
    description:
      "raw unicode, upper- and lower-case escaped unicode and reserved characters in path segments",
    note: "AKSKSigner.sign itself would sign the apostrophe as %2527 (its url.parse escapes ' before encoding it again) while sending it raw; the stages are the SDK's step functions on the decoded path.",
    input: {
      method: "GET",
      url: `${HOST}/v3/集群/%E6%B5%8B%E8%AF%95/%e8%8a%82%e7%82%b9/a:b@c!$&'()*+,;=/%7Euser`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "path-root",
    description: "a URL without a path signs the canonical URI '/'",
    input: { method: "GET", url: HOST, now: "2024-03-12T08:15:30Z" },
  },
  {
    file: "path-trailing-slash",
    description: "a trailing slash in the sent path: the canonical URI still ends in exactly one '/'",
    input: { method: "GET", url: `${BASE}/`, headers: JSON_HEADERS, now: "2024-03-12T08:15:30Z" },
  },
  {
    file: "headers-mixed-case-whitespace",
    description:
      "header names in mixed case, values with surrounding and repeated inner whitespace: names lower-cased, values trimmed, inner runs kept",
    note: "Header values are handed to the SDK as the cloud receives them (surrounding whitespace stripped, RFC 9110 §5.5); the Node SDK does not trim by itself, the Go SDK and APIG's verifier do.",
    input: {
      method: "GET",
      url: `${BASE}/${CLUSTER}`,
      headers: {
        "content-TYPE": "  application/json  ",
        "X-Project-Id": PROJECT,
        "X-Custom-Header": "a   b\t c",
        "x-Request-Id": "\tabc-123 ",
      },
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "temporary-credentials",
    description: "STS temporary credentials: X-Security-Token is sent and signed",
    input: {
      method: "POST",
      url: `${BASE}/${CLUSTER}/operation/awake`,
      headers: JSON_HEADERS,
      body: "",
      securityToken: "gQpjbi1ub3J0aC00jU6bu1zV0pHSnNjSPSVbGpsMWw6E2OJmAkCD4d0eWVCPp6ZY9Qmh1YQ==",
      now: "2024-03-13T06:30:00Z",
    },
  },
  {
    file: "default-port-omitted",
    description: "https with an explicit :443: the Host header and canonical host omit the default port",
    input: {
      method: "GET",
      url: `https://cce.cn-north-4.myhuaweicloud.com:443/api/v3/projects/${PROJECT}/jobs/j-1`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "non-default-port-http",
    description: "http to a local sandbox on port 8787: the port is part of Host",
    input: {
      method: "GET",
      url: `http://127.0.0.1:8787/api/v3/projects/${PROJECT}/clusters`,
      headers: JSON_HEADERS,
      now: "2024-03-12T08:15:30Z",
    },
  },
  {
    file: "given-date-and-host",
    description: "a request that already carries X-Sdk-Date (any case) and Host: both are used as given",
    input: {
      method: "GET",
      url: BASE,
      headers: {
        host: "cce.cn-north-4.myhuaweicloud.com",
        "x-sdk-date": "20240312T081530Z",
        "X-Project-Id": PROJECT,
      },
      now: "2030-01-01T00:00:00Z",
    },
  },
  {
    file: "unsigned-payload",
    description: "X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD replaces the body hash and is itself signed",
    input: {
      method: "PUT",
      url: `${BASE}/${CLUSTER}/nodepools/${POOL}`,
      headers: { ...JSON_HEADERS, "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD" },
      body: JSON.stringify({ spec: { initialNodeCount: 3 } }),
      now: "2024-03-12T08:15:30Z",
    },
  },
];

mkdirSync(OUT, { recursive: true });
for (const name of readdirSync(OUT)) if (name.endsWith(".json")) rmSync(join(OUT, name));

for (const c of cases) {
  const input: SignRequestInput = { vendor: "huawei", accessKeyId: AK, secretAccessKey: SK, ...c.input };
  const sent = expectedSentHeaders(input);
  const stages = sdkStages(input, sent);
  let viaSign: string;
  try {
    viaSign = sdkSignature(input, sent);
  } catch (error) {
    viaSign = `(sign() failed: ${(error as Error).message})`;
  }
  const signAgrees = viaSign === stages.authorization;
  const provenance =
    `${SDK_NAME}: stages from AKSKSigner's step functions (CanonicalURI, CanonicalQueryString, ` +
    `buildCanonicalHeaders, buildPayloadHash, buildCanonicalRequest, getStringToSign, hmacSHA256) ` +
    (signAgrees
      ? "and the Authorization confirmed by AKSKSigner.sign"
      : "; AKSKSigner.sign disagrees on this input (see note)") +
    `, via test/oracle/huawei.ts, written by test/oracle/huawei.generate.node.ts. ` +
    "The request is handed to the SDK as the cloud receives it: path and query decoded from the sent URL, header values trimmed." +
    (c.note ? ` ${c.note}` : "");
  if (!signAgrees && !c.note)
    throw new Error(`${c.file}: AKSKSigner.sign disagrees with its own steps; explain why`);
  const fixture = {
    description: c.description,
    provenance,
    input,
    expected: {
      canonicalUri: stages.canonicalUri,
      canonicalQuery: stages.canonicalQuery,
      canonicalHeaders: stages.canonicalHeaders,
      signedHeaders: stages.signedHeaders,
      payloadHash: stages.payloadHash,
      canonicalRequest: stages.canonicalRequest,
      stringToSign: stages.stringToSign,
      signature: stages.signature,
      headers: { ...sent, Authorization: stages.authorization },
    },
  };
  writeFileSync(join(OUT, `${c.file}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`${c.file}.json${signAgrees ? "" : "  (AKSKSigner.sign differs: documented)"}`);
}
