// Signing benchmark for Alibaba ROA: our signer vs @alicloud/pop-core's ROAClient request path
// (its transport captures the request instead of sending it, see test/oracle/alibaba.ts) on the same 200 requests. The lead's runner times them.
import fc from "fast-check";
import { signAlibaba } from "../../shared/signer/alibaba.ts";
import { randomRequest, type SignRequestInput, sdkAuthorization } from "../oracle/alibaba.ts";

// Fixed seed: the same 200 requests on every run (for a given fast-check version).
const requests: SignRequestInput[] = fc.sample(randomRequest, { seed: 20240102, numRuns: 200 });

let nonces = 0;

export const signingBench = {
  vendor: "alibaba" as const,
  requests,
  ours: (input: SignRequestInput): Promise<unknown> =>
    signAlibaba(
      { method: input.method, url: input.url, headers: input.headers ?? {}, body: input.body },
      {
        accessKeyId: input.accessKeyId,
        secretAccessKey: input.secretAccessKey,
        ...(input.securityToken !== undefined ? { securityToken: input.securityToken } : {}),
      },
      { now: new Date(input.now!), nonce: () => `bench-${++nonces}` },
    ),
  sdk: (input: SignRequestInput): Promise<unknown> => sdkAuthorization(input),
};
