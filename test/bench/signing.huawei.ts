// Signing benchmark for Huawei SDK-HMAC-SHA256: our signer vs the official Node SDK's
// AKSKSigner.sign on the same 200 realistic CCE requests. The lead's runner (run.ts) times them.
import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js";
import { signHuawei } from "../../shared/signer/huawei.ts";
import type { Credentials, RequestToSign } from "../../shared/signer/request.ts";
import { expectedSentHeaders, type SdkRequest, type SignRequestInput, sdkRequest } from "../oracle/huawei.ts";

// A small deterministic generator (LCG), so the 200 requests are the same on every run.
let state = 20240312;
const next = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state;
};
const choose = <T>(values: readonly T[]): T => values[next() % values.length]!;
const id = (length: number) => Array.from({ length }, () => "0123456789abcdef"[next() % 16]).join("");

const REGIONS = ["cn-north-4", "cn-east-3", "cn-south-1", "ap-southeast-1", "ap-southeast-3"];
const PHASES = ["Available", "Hibernation", "Creating"];

function realisticRequest(i: number): SignRequestInput {
  const project = id(32);
  const cluster = `${id(8)}-${id(4)}-11ef-${id(4)}-${id(12)}`;
  const base = `https://cce.${choose(REGIONS)}.myhuaweicloud.com/api/v3/projects/${project}/clusters`;
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-Project-Id": project };
  const now = new Date(Date.UTC(2024, 0, 1) + (next() % (3 * 365 * 86_400)) * 1000).toISOString();
  const ak = Array.from({ length: 20 }, () => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[next() % 36]).join("");
  const input = (method: string, url: string, body?: string): SignRequestInput => ({
    vendor: "huawei",
    accessKeyId: ak,
    secretAccessKey: `sk-${id(36)}`,
    ...(i % 5 === 0 ? { securityToken: `sts-${id(120)}` } : {}),
    method,
    url,
    headers,
    ...(body !== undefined ? { body } : {}),
    now,
  });
  const pool = `${id(8)}-${id(4)}`;
  switch (i % 8) {
    case 0:
      return input("GET", `${base}?status=${choose(PHASES)}&type=VirtualMachine`);
    case 1:
      return input("GET", `${base}/${cluster}`);
    case 2:
      return input("GET", `${base}/${cluster}/nodepools?showDefaultNodePool=true`);
    case 3:
      return input(
        "PUT",
        `${base}/${cluster}/nodepools/${pool}`,
        JSON.stringify({
          metadata: { name: `夜间节点池-${i}` },
          spec: { initialNodeCount: next() % 10, autoscaling: { enable: false } },
        }),
      );
    case 4:
      return input("POST", `${base}/${cluster}/operation/hibernate`, "");
    case 5:
      return input("POST", `${base}/${cluster}/operation/awake`, "");
    case 6:
      return input("POST", `${base}/${cluster}/clustercert`, JSON.stringify({ duration: 1 + (next() % 30) }));
    default:
      return input(
        "GET",
        `https://cce.${choose(REGIONS)}.myhuaweicloud.com/api/v3/projects/${project}/jobs/${id(32)}`,
      );
  }
}

const requests: SignRequestInput[] = Array.from({ length: 200 }, (_, i) => realisticRequest(i));

// The SDK takes its request already split (endpoint, queryParams object, headers with X-Sdk-Date),
// so that conversion is done once, outside the timed call; its signing work is what is measured.
const sdkForm = new Map<SignRequestInput, { request: SdkRequest; credentials: BasicCredentials }>(
  requests.map((input) => [
    input,
    {
      request: sdkRequest(input, expectedSentHeaders(input)),
      credentials: new BasicCredentials().withAk(input.accessKeyId).withSk(input.secretAccessKey),
    },
  ]),
);

function ourForm(input: SignRequestInput): [RequestToSign, Credentials, { now: Date }] {
  const request: RequestToSign = { method: input.method, url: input.url, headers: input.headers ?? {} };
  if (input.body !== undefined) request.body = input.body;
  const credentials: Credentials = { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey };
  if (input.securityToken !== undefined) credentials.securityToken = input.securityToken;
  return [request, credentials, { now: new Date(input.now!) }];
}

export const signingBench = {
  vendor: "huawei" as const,
  requests,
  ours: (input: SignRequestInput): Promise<unknown> => signHuawei(...ourForm(input)),
  sdk: (input: SignRequestInput): unknown => {
    const prepared = sdkForm.get(input);
    if (!prepared) throw new Error("not one of the benchmark's requests");
    return (AKSKSigner.sign(prepared.request, prepared.credentials) as Record<string, string>).Authorization;
  },
};
