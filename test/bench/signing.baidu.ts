// Signing benchmark for Baidu bce-auth-v1: our signer vs @baiducloud/sdk on the same 200 realistic
// CCE requests. Both sides do the whole job from the request object: add Host / x-bce-date / the
// token header, read the path and query from the URL, and compute the Authorization (the SDK side
// is test/oracle/baidu.ts sdkSign, which calls Auth.generateAuthorization). The lead's runner
// times them.
import { signBaidu } from "../../shared/signer/baidu.ts";
import type { Credentials } from "../../shared/signer/request.ts";
import { type SignRequestInput, sdkSign } from "../oracle/baidu.ts";

const HOST = "https://cce.bj.baidubce.com";
const KEYS = [
  { accessKeyId: "f81d3b34e48048fbb2634dc7882d7e21", secretAccessKey: "2f6d1c8e4b0a49f7a3c5e9d1b7f0a6c4" },
  { accessKeyId: "0c9e7a5b3d1f48e6a2c4b6d8f0e1a3c5", secretAccessKey: "9a8b7c6d5e4f40312a3b4c5d6e7f8091" },
  {
    accessKeyId: "d3a1f5c7e9b24d6f8a0c2e4b6d8f0a1c",
    secretAccessKey: "5b4a39281706f5e4d3c2b1a098f7e6d5",
    securityToken: "ZjkyZDAwYmMtMmU5Ny00Y2Q0LWI2ZmMtYzYxMjdmNDExOTg0fEFRQUFBQUFBQUFB",
  },
];
const JSON_TYPE = { "Content-Type": "application/json;charset=utf-8" };

// Deterministic: request i is built from i alone.
function request(i: number): SignRequestInput {
  const cluster = `cce-${(1_000_000 + i * 7919).toString(36).slice(-8)}`;
  const group = `cce-ig-${(2_000_000 + i * 104_729).toString(36).slice(-6)}`;
  const now = new Date(Date.UTC(2026, 0, 5, 22, 0, 0) + i * 37_123).toISOString();
  const base = { vendor: "baidu" as const, ...KEYS[i % KEYS.length]!, now };
  switch (i % 8) {
    case 0:
      return {
        ...base,
        method: "GET",
        url: `${HOST}/v2/clusters?keywordType=clusterName&keyword=&orderBy=clusterID&order=ASC&pageNo=1&pageSize=10`,
      };
    case 1:
      return { ...base, method: "GET", url: `${HOST}/v2/cluster/${cluster}` };
    case 2:
      return {
        ...base,
        method: "GET",
        url: `${HOST}/v2/cluster/${cluster}/instancegroups?pageNo=1&pageSize=100`,
      };
    case 3: {
      const body = JSON.stringify({ replicas: i % 5 === 0 ? 0 : i % 7 });
      return {
        ...base,
        method: "PUT",
        url: `${HOST}/v2/cluster/${cluster}/instancegroup/${group}/replicas`,
        headers: JSON_TYPE,
        body,
      };
    }
    case 4:
      return { ...base, method: "GET", url: `${HOST}/v2/kubeconfig/${cluster}/vpc` };
    case 5:
      return {
        ...base,
        method: "GET",
        url: `${HOST}/v2/tasks/InstanceGroupReplicas?targetID=${group}&pageNo=1&pageSize=20`,
      };
    case 6: {
      const body = JSON.stringify({
        enabled: false,
        minReplicas: 0,
        maxReplicas: 10,
        scalingGroupPriority: 1,
      });
      return {
        ...base,
        method: "PUT",
        url: `${HOST}/v2/cluster/${cluster}/instancegroup/${group}/autoscaler`,
        headers: JSON_TYPE,
        body,
      };
    }
    default:
      return {
        ...base,
        method: "POST",
        url: `${HOST}/v2/cluster/${cluster}/instancegroup`,
        headers: JSON_TYPE,
        body: JSON.stringify({ instanceGroupName: `夜间节点组-${i}`, replicas: 2, clusterRole: "node" }),
      };
  }
}

const requests: SignRequestInput[] = Array.from({ length: 200 }, (_, i) => request(i));

function credentialsOf(input: SignRequestInput): Credentials {
  const credentials: Credentials = { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey };
  if (input.securityToken !== undefined) credentials.securityToken = input.securityToken;
  return credentials;
}

export const signingBench = {
  vendor: "baidu" as const,
  requests,
  ours: (input: SignRequestInput): Promise<unknown> =>
    signBaidu(
      { method: input.method, url: input.url, headers: input.headers, body: input.body },
      credentialsOf(input),
      {
        now: new Date(input.now!),
        expirationSeconds: input.expirationSeconds,
      },
    ),
  sdk: (input: SignRequestInput): unknown => sdkSign(input),
};
