// (Re)writes test/fixtures/signing/baidu/*.json from @baiducloud/sdk, without our signer:
//   npx node test/oracle/baidu.generate.node.ts
// The three documented vectors (digest §5.5) are written with the values the digest gives, after
// checking that the SDK computes the same ones.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  SDK_NAME,
  SDK_VERSION,
  type SdkStages,
  type SignRequestInput,
  sdkHeaders,
  sdkQueryEntry,
  sdkStages,
} from "./baidu.ts";

const outDir = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/signing/baidu");
const sdk = `${SDK_NAME} ${SDK_VERSION}`;
const viaOracle = `${sdk} Auth.generateAuthorization and its canonicalisation functions, via test/oracle/baidu.generate.node.ts`;

interface Case {
  file: string;
  description: string;
  provenance: string;
  input: SignRequestInput;
  /** Documented values the SDK must reproduce; written instead of the SDK's when given. */
  documented?: Partial<SdkStages>;
  /** For inputs the SDK's params map cannot hold: the query canonicalised pair by pair. */
  queryPairs?: Array<[string, string]>;
  /** Headers sent but withheld from the SDK because it would sign them and the service does not. */
  unsignedByService?: string[];
}

const CCE = "https://cce.bj.baidubce.com";
const base = {
  vendor: "baidu" as const,
  accessKeyId: "ak-test",
  secretAccessKey: "sk-test",
  now: "2024-01-02T03:04:05.000Z",
};

const cases: Case[] = [
  {
    file: "doc-bos-put-object-part",
    description:
      "Baidu's published example: PUT with Content-MD5, Content-Length and a query, all headers given",
    provenance: `Baidu auth documentation example, digest §5.5 (values as published); ${sdk} computes the same`,
    input: {
      vendor: "baidu",
      accessKeyId: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      secretAccessKey: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
      method: "PUT",
      url: "https://bj.bcebos.com/v1/test/myfolder/readme.txt?partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851",
      headers: {
        Host: "bj.bcebos.com",
        "Content-Type": "text/plain",
        "Content-Length": "8",
        "Content-Md5": "NFzcPqhviddjRNnSOGo4rw==",
        "x-bce-date": "2015-04-27T08:23:49Z",
      },
      now: "2015-04-27T08:23:49Z",
      expirationSeconds: 1800,
    },
    documented: {
      signingKey: "1d5ce5f464064cbee060330d973218821825ac6952368a482a592e6615aef479",
      canonicalRequest: [
        "PUT",
        "/v1/test/myfolder/readme.txt",
        "partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851",
        "content-length:8",
        "content-md5:NFzcPqhviddjRNnSOGo4rw%3D%3D",
        "content-type:text%2Fplain",
        "host:bj.bcebos.com",
        "x-bce-date:2015-04-27T08%3A23%3A49Z",
      ].join("\n"),
      signature: "d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e",
      authorization:
        "bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2015-04-27T08:23:49Z/1800/content-length;content-md5;content-type;host;x-bce-date/d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e",
    },
  },
  {
    file: "cce-b1-set-replicas",
    description:
      "CCE set instance-group replicas: PUT with a JSON body, Content-Type and Content-Length given",
    provenance: `digest §5.5 vector B1 (self-computed by the digest author with python3 and node, not from a Baidu doc); ${sdk} computes the same`,
    input: {
      ...base,
      method: "PUT",
      url: `${CCE}/v2/cluster/cce-abc123/instancegroup/cce-ig-xyz/replicas`,
      headers: { "Content-Type": "application/json;charset=utf-8", "Content-Length": "14" },
      body: '{"replicas":0}',
      expirationSeconds: 1800,
    },
    documented: {
      signingKey: "6ce8fab13333b77d6bb456de670a8a84c4c22a909c8936642ab1cbd62a1949f8",
      canonicalRequest: [
        "PUT",
        "/v2/cluster/cce-abc123/instancegroup/cce-ig-xyz/replicas",
        "",
        "content-length:14",
        "content-type:application%2Fjson%3Bcharset%3Dutf-8",
        "host:cce.bj.baidubce.com",
        "x-bce-date:2024-01-02T03%3A04%3A05Z",
      ].join("\n"),
      authorization:
        "bce-auth-v1/ak-test/2024-01-02T03:04:05Z/1800/content-length;content-type;host;x-bce-date/cb379b788efb6d530e7f345033f908a5cb6d5068d93204d39d624391ec48b5bb",
    },
  },
  {
    file: "cce-b2-list-clusters",
    description: "CCE list clusters (the seed's request, 003: L350) with an empty keyword= value",
    provenance: `digest §5.5 vector B2 (self-computed by the digest author with python3 and node, not from a Baidu doc); ${sdk} computes the same`,
    input: {
      ...base,
      method: "GET",
      url: `${CCE}/v2/clusters?keywordType=clusterName&keyword=&orderBy=clusterID&order=ASC&pageNo=1&pageSize=10`,
    },
    documented: {
      signingKey: "6ce8fab13333b77d6bb456de670a8a84c4c22a909c8936642ab1cbd62a1949f8",
      canonicalRequest: [
        "GET",
        "/v2/clusters",
        "keyword=&keywordType=clusterName&order=ASC&orderBy=clusterID&pageNo=1&pageSize=10",
        "host:cce.bj.baidubce.com",
        "x-bce-date:2024-01-02T03%3A04%3A05Z",
      ].join("\n"),
      authorization:
        "bce-auth-v1/ak-test/2024-01-02T03:04:05Z/1800/host;x-bce-date/f6189336dec8f144a19a565838420c4ea902606eec7306187adbe7a48eecbf51",
    },
  },
  {
    file: "query-tricky-values",
    description:
      "query values with space, +, ~, *, /, =, unicode, an empty value, a bare key, lower-case escapes, and an authorization parameter (never signed)",
    provenance: viaOracle,
    input: {
      ...base,
      method: "GET",
      url: `${CCE}/v2/clusters?keyword=a%20b&plus=1%2B2&tilde=~x&star=*&slash=a/b&eq=k=v&name=%E6%B5%8B%E8%AF%95&raw=集群&lower=%e9%9b%86&empty=&flag&authorization=ignored`,
    },
  },
  {
    file: "query-repeated-keys",
    description: "a repeated query key: each pair is signed, sorted after encoding",
    provenance: `${sdk} strings.normalize for each pair (key and value) and Auth.hash, assembled per digest §5.3 in test/oracle/baidu.generate.node.ts: the SDK's params map cannot hold a repeated key`,
    input: {
      ...base,
      method: "GET",
      url: `${CCE}/v2/tasks/InstanceGroupReplicas?targetID=cce-ig-2&targetID=cce-ig-1&targetID=&pageNo=1`,
    },
    queryPairs: [
      ["targetID", "cce-ig-2"],
      ["targetID", "cce-ig-1"],
      ["targetID", ""],
      ["pageNo", "1"],
    ],
  },
  {
    file: "path-encoded-characters",
    description:
      "a path with %2F inside a segment, %20, a raw space, unicode (raw and escaped), sub-delimiters and a trailing slash",
    provenance: `${viaOracle}; the resource is the SDK's strings.normalize of each decoded segment (as its BOS client encodes keys)`,
    input: {
      ...base,
      method: "GET",
      url: `${CCE}/v2/cluster/cce-abc123/a%2Fb/x%20y/with space/测试/%E9%9B%86%E7%BE%A4/it's(1)*!/`,
    },
  },
  {
    file: "post-json-chinese-body",
    description: "POST with a JSON body in Chinese; Content-Type signed, the body itself is not",
    provenance: viaOracle,
    input: {
      ...base,
      method: "POST",
      url: `${CCE}/v2/cluster/cce-abc123/instancegroup`,
      headers: { "Content-Type": "application/json;charset=utf-8" },
      body: JSON.stringify({ instanceGroupName: "夜间节点组", replicas: 3, note: "扩容 ✓" }),
    },
  },
  {
    file: "get-empty-body",
    description: "GET with an empty body and no extra headers: only host and x-bce-date are signed",
    provenance: viaOracle,
    input: { ...base, method: "get", url: `${CCE}/v2/kubeconfig/cce-abc123/vpc`, body: "" },
  },
  {
    file: "header-case-and-whitespace",
    description:
      "mixed-case header names; values with surrounding and repeated internal whitespace (trimmed, internal runs kept); an unsigned header",
    provenance: viaOracle,
    input: {
      ...base,
      method: "PUT",
      url: `${CCE}/v2/cluster/cce-abc123/instancegroup/cce-ig-xyz/autoscaler`,
      headers: {
        "CONTENT-type": "  application/json;  charset=utf-8\t",
        "X-Bce-Meta-Owner": "\t platform   team ",
        "x-BCE-client-token": "tok-123",
        "X-Request-Source": "  nightshift  ",
      },
      body: '{"enabled":false}',
    },
  },
  {
    file: "empty-header-value-skipped",
    description: "headers whose value is empty or only whitespace are sent but not signed (as the SDK does)",
    provenance: viaOracle,
    input: {
      ...base,
      method: "DELETE",
      url: `${CCE}/v2/cluster/cce-uqc4lju1?deleteResource=true&deleteCDSSnapshot=true`,
      headers: { "x-bce-meta-empty": "", "Content-Type": "   ", "x-bce-acl": "private" },
    },
  },
  {
    file: "security-token",
    description: "temporary (STS) credentials: x-bce-security-token is sent and signed",
    provenance: `${viaOracle}; the token header is added as the SDK's BceBaseClient adds it`,
    input: {
      ...base,
      securityToken: "ZjkyZDAwYmMtMmU5Ny00Y2Q0LWI2ZmMtYzYxMjdmNDExOTg0fEFRQUFBQUFB",
      method: "PUT",
      url: `${CCE}/v2/cluster/cce-abc123/instancegroup/cce-ig-xyz/replicas`,
      headers: { "Content-Type": "application/json;charset=utf-8" },
      body: '{"replicas":3}',
    },
  },
  {
    file: "expiration-3600-port-and-millis",
    description:
      "expiration 3600, a non-default port kept in Host, and milliseconds in now dropped from the timestamp",
    provenance: viaOracle,
    input: {
      ...base,
      method: "GET",
      url: "https://cce.gz.baidubce.com:8443/v2/cluster/cce-abc123/instancegroups?pageNo=2&pageSize=50",
      now: "2029-12-31T23:59:59.999Z",
      expirationSeconds: 3600,
    },
  },
  {
    file: "request-id-not-signed",
    description: "x-bce-request-id is sent but not signed (the default set excludes it)",
    provenance: `${viaOracle}, with x-bce-request-id withheld from the SDK: @baiducloud/sdk would sign it, bce-sdk-go and the doc (digest §5.3) do not`,
    input: {
      ...base,
      method: "GET",
      url: `${CCE}/v2/event/cluster/cce-j8pb3dm0`,
      headers: { "x-bce-request-id": "08eb305a-87fb-4360-8a27-42b9561edf4a" },
    },
    unsignedByService: ["x-bce-request-id"],
  },
];

function expectedFor(c: Case) {
  const headers = sdkHeaders(c.input);
  const forSdk = Object.fromEntries(
    Object.entries(headers).filter(([name]) => !c.unsignedByService?.includes(name.toLowerCase())),
  );
  const query = c.queryPairs
    ?.map(([k, v]) => sdkQueryEntry(k, v))
    .sort()
    .join("&");
  const stages = sdkStages(c.input, forSdk, query);
  for (const [field, value] of Object.entries(c.documented ?? {})) {
    const computed = stages[field as keyof SdkStages];
    if (computed !== value)
      throw new Error(`${c.file}: the SDK gives ${field} = ${computed}, documented ${value}`);
  }
  return { ...stages, ...c.documented, headers: { ...headers, Authorization: stages.authorization } };
}

mkdirSync(outDir, { recursive: true });
for (const c of cases) {
  const fixture = {
    description: c.description,
    provenance: c.provenance,
    input: c.input,
    expected: expectedFor(c),
  };
  writeFileSync(join(outDir, `${c.file}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
}
console.log(`wrote ${cases.length} fixtures to ${outDir}`);
