// (Re)writes test/fixtures/signing/alibaba/*.json from the vendor SDK (@alicloud/pop-core ROAClient,
// driven through test/oracle/alibaba.ts). Run from the repository root:
//   npx node test/oracle/alibaba.generate.node.ts
// Independent of our signer on purpose: every expected value comes from pop-core's request path
// and its own canonicalisation helpers, so the fixtures can catch our signer's mistakes.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SDK_NAME, type SdkSignOptions, type SignRequestInput, sdkSign } from "./alibaba.ts";

const OUT = fileURLToPath(new URL("../fixtures/signing/alibaba/", import.meta.url));
const VIA = `${SDK_NAME}.request (transport stubbed), via test/oracle/alibaba.generate.node.ts`;
const NOW = "2024-01-02T03:04:05Z";
const DIGEST_NONCE = "3f1c1f0e-0000-4000-8000-00000000000";

interface Case {
  name: string;
  description: string;
  input: SignRequestInput;
  /** Extra words for the provenance (what else the values were checked against). */
  provenance?: string;
  /** A signature published elsewhere (the digest) that pop-core must reproduce, or the run fails. */
  mustSign?: string;
  sdk?: SdkSignOptions;
}

const base = { vendor: "alibaba" as const, accessKeyId: "testak", secretAccessKey: "test-secret", now: NOW };

const CASES: Case[] = [
  {
    name: "digest-a1-scale-nodepool",
    description:
      "ScaleClusterNodePool: POST with a JSON body and an explicit Content-Type, x-acs-region-id (digest §2.6 A1)",
    input: {
      ...base,
      method: "POST",
      url: "https://cs.aliyuncs.com/clusters/c0123456789abcdef/nodepools/np0123456789abcdef",
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "x-acs-region-id": "cn-hangzhou",
        "x-acs-signature-nonce": `${DIGEST_NONCE}1`,
      },
      body: '{"count":2}',
    },
    provenance: "digest §2.6 A1 (python3 and node), recomputed: pop-core gives the same signature",
    mustSign: "lDxcE7ioEderGD+BiVcHbBPNW2s=",
  },
  {
    name: "digest-a2-user-config-sts",
    description:
      "DescribeClusterUserKubeconfig with STS credentials and an unsorted query (digest §2.6 A2's request). The digest's vector has an empty Content-MD5 line; pop-core and our signer always send Content-MD5 (MD5 of the empty body), so the expected values differ from the digest's",
    input: {
      ...base,
      accessKeyId: "STS.testak",
      securityToken: "test-token",
      method: "GET",
      url: "https://cs.aliyuncs.com/k8s/c0123456789abcdef/user_config?TemporaryDurationMinutes=60&PrivateIpAddress=true",
      headers: { "x-acs-signature-nonce": `${DIGEST_NONCE}2` },
    },
    provenance: "request from digest §2.6 A2; values recomputed with Content-MD5 of the empty body",
  },
  {
    name: "describe-clusters-mixed-case-header",
    description:
      "GET /clusters without query; region header in the vendor document's mixed case (X-Acs-Region-Id)",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters",
      headers: {
        "X-Acs-Region-Id": "cn-beijing",
        "x-acs-signature-nonce": "f63659d4-10ac-483b-99da-ea8fde61eae3",
      },
    },
  },
  {
    name: "query-tricky-values",
    description:
      "query values with space (%20), plus (%2B), tilde, star (raw and %2A), slash (%2F), equals (%3D), ampersand (%26) and Chinese: signed DECODED, sorted by key",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.cn-hangzhou.aliyuncs.com/clusters?name=my%20cluster&plus=1%2B1&tilde=~x&star=a*b&star2=a%2Ab&slash=a%2Fb&eq=k%3Dv&amp=a%26b&zh=%E6%B5%8B%E8%AF%95%E9%9B%86%E7%BE%A4",
      headers: { "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-000000000003" },
    },
  },
  {
    name: "query-empty-values",
    description:
      "a bare key (?flag), an explicit empty value (empty=) and a normal one: both empty forms sign as `key=`",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters/c0123456789abcdef/nodes?flag&empty=&pageSize=10",
      headers: { "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-000000000004" },
    },
  },
  {
    name: "query-repeated-keys",
    description:
      "repeated query key: our decision signs every pair, sorted by key, values in the order given (tag=b before tag=a)",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters?name=x&tag=b&tag=a",
      headers: { "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-000000000005" },
    },
    provenance:
      "pop-core's query map cannot hold a repeated key, so the query was given to pop-core inside the path (as a pop-core user must); its text is already in our canonical order, so pop-core's verbatim signing equals our rule",
    sdk: { queryInPath: true },
  },
  {
    name: "query-unicode-keys",
    description: "Chinese query key and an emoji value (4-byte UTF-8), sorted in UTF-16 code-unit order",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters?%E5%90%8D%E7%A7%B0=%E5%80%BC&emoji=%F0%9F%98%80&Zeta=1&alpha=2",
      headers: { "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-000000000006" },
    },
  },
  {
    name: "path-encoded-characters",
    description:
      "path with %2F, %20 and raw Chinese (the URL encodes it): the path is signed as sent, percent-encoded, not decoded",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters/a%2Fb/nodes/my%20node/测试",
      headers: { "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-000000000007" },
    },
  },
  {
    name: "body-json-chinese-default-content-type",
    description:
      "POST with a JSON body containing Chinese and no Content-Type: Content-Type: application/json is added (our decision; ACK takes JSON only) and Content-MD5 is over the UTF-8 bytes",
    input: {
      ...base,
      method: "POST",
      url: "https://cs.aliyuncs.com/clusters",
      headers: {
        "x-acs-region-id": "cn-beijing",
        "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-000000000008",
      },
      body: '{"name":"测试集群","description":"扩容 ✓","size":1}',
    },
  },
  {
    name: "put-empty-body",
    description: "PUT with an empty string body: Content-MD5 of zero bytes, no Content-Type added",
    input: {
      ...base,
      method: "PUT",
      url: "https://cs.aliyuncs.com/clusters/c0123456789abcdef",
      headers: { "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-000000000009" },
      body: "",
    },
  },
  {
    name: "header-whitespace",
    description:
      "x-acs-* values with surrounding whitespace (trimmed), repeated internal spaces (kept) and a tab (becomes a space); an unsigned header with spaces is passed through",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters",
      headers: {
        "X-ACS-Region-Id": "  cn-shanghai  ",
        "x-acs-meta-name": " TaoBao,   Alipay\t ",
        "X-Request-Id": "  keep   me  ",
        "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-00000000000a",
      },
    },
  },
  {
    name: "asapi-roa-nodepools",
    description:
      "Apsara Stack through ASAPI: /roa path prefix, x-acs-regionid / x-acs-organizationid / x-acs-resourceGroupId / x-acs-roleid signed, x-ascm-* not signed",
    input: {
      ...base,
      method: "GET",
      url: "https://public.asapi.cn-qingdao-env17-d01.example.com/roa/clusters/c0123456789abcdef/nodepools",
      headers: {
        "x-ascm-product-name": "cs",
        "x-ascm-product-version": "2015-12-15",
        "x-ascm-product-ak": "console-ak-1",
        "x-acs-regionid": "cn-qingdao-env17-d01",
        "x-acs-organizationid": "27",
        "x-acs-resourceGroupId": "58",
        "x-acs-roleid": "3",
        "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-00000000000b",
      },
    },
  },
  {
    name: "delete-nodepool-sts",
    description: "DELETE with STS credentials (x-acs-security-token and x-acs-accesskey-id added and signed)",
    input: {
      ...base,
      accessKeyId: "STS.L4aBSCSJVMuKg5U1test",
      secretAccessKey: "wyLTSmsyPGP1ohvvw8xYgB29dlGl8KMiH2pKtest",
      securityToken:
        "CAIS8gF1q6Ft5B2yfSjIr5fWDc3e3+tS1aWNYRfkg0w+aeN0u/T+mDz2IHhMfXVsBuEbsv8+nW9T6fkblqJ4T55IQ1Dza8J1Ytest",
      method: "DELETE",
      url: "https://cs.cn-hangzhou.aliyuncs.com/clusters/c0123456789abcdef/nodepools/np0123456789abcdef?force=true",
      headers: { "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-00000000000c" },
    },
  },
  {
    name: "accept-xml-and-version",
    description:
      "caller-given Accept: application/xml and x-acs-version are kept (defaults apply only when absent)",
    input: {
      ...base,
      method: "GET",
      url: "https://cs.aliyuncs.com/clusters",
      headers: {
        Accept: "application/xml",
        "x-acs-version": "2015-12-15",
        "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-00000000000d",
      },
    },
  },
  {
    name: "http-port-remove-nodes",
    description: "plain HTTP endpoint with a port (historical ASAPI / simulator), POST with a JSON body",
    input: {
      ...base,
      method: "POST",
      url: "http://127.0.0.1:8787/clusters/c0123456789abcdef/nodes/remove",
      headers: {
        "Content-Type": "application/json",
        "x-acs-signature-nonce": "0d9f6c1e-1111-4000-8000-00000000000e",
      },
      body: '{"release_node":false,"nodes":["cn-shenzhen.192.168.0.70"],"drain_node":false}',
    },
  },
];

// The headers our signer adds, in the vendor's usual casing (pop-core builds them lower-cased).
const ADDED_CASING: Record<string, string> = {
  accept: "Accept",
  "content-md5": "Content-MD5",
  "content-type": "Content-Type",
  date: "Date",
  "x-acs-version": "x-acs-version",
  "x-acs-signature-nonce": "x-acs-signature-nonce",
  "x-acs-signature-method": "x-acs-signature-method",
  "x-acs-signature-version": "x-acs-signature-version",
  "x-acs-security-token": "x-acs-security-token",
  "x-acs-accesskey-id": "x-acs-accesskey-id",
  authorization: "Authorization",
};

async function generate(testCase: Case) {
  const sdk = await sdkSign(testCase.input, undefined, testCase.sdk);
  const signature = sdk.authorization.slice(sdk.authorization.indexOf(":") + 1);
  if (testCase.mustSign !== undefined && signature !== testCase.mustSign) {
    throw new Error(
      `${testCase.name}: pop-core signs ${signature}, the published value is ${testCase.mustSign}`,
    );
  }
  const given = testCase.input.headers ?? {};
  const givenLower = new Set(Object.keys(given).map((name) => name.toLowerCase()));
  const headers: Record<string, string> = { ...given };
  for (const [name, casing] of Object.entries(ADDED_CASING)) {
    const value = sdk.headers[name];
    if (value !== undefined && !givenLower.has(name)) headers[casing] = String(value);
  }
  const resource = sdk.canonicalizedResource;
  const queryAt = resource.indexOf("?");
  return {
    description: testCase.description,
    provenance: [testCase.provenance, VIA].filter(Boolean).join("; "),
    input: testCase.input,
    expected: {
      contentMd5: String(sdk.headers["content-md5"]),
      canonicalUri: queryAt === -1 ? resource : resource.slice(0, queryAt),
      canonicalQuery: queryAt === -1 ? "" : resource.slice(queryAt + 1),
      canonicalizedHeaders: sdk.canonicalizedHeaders,
      canonicalizedResource: resource,
      canonicalRequest: sdk.stringToSign,
      stringToSign: sdk.stringToSign,
      signature,
      authorization: sdk.authorization,
      headers,
    },
  };
}

mkdirSync(OUT, { recursive: true });
for (const testCase of CASES) {
  const fixture = await generate(testCase);
  writeFileSync(`${OUT}${testCase.name}.json`, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`wrote ${testCase.name}.json  ${fixture.expected.signature}`);
}
