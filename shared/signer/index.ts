// The one entry to the cloud signers: pick the vendor's algorithm, pass time and randomness in.
import { signAlibaba } from "./alibaba.ts";
import { signAlibabaAcs3 } from "./alibaba-acs3.ts";
import { signBaidu } from "./baidu.ts";
import { signHuawei } from "./huawei.ts";
import type { Credentials, RequestToSign, SignedRequest, Vendor } from "./request.ts";

export type { Credentials, RequestToSign, SignedRequest, Vendor } from "./request.ts";
export { SignerInputError } from "./request.ts";

export interface SignInput {
  vendor: Vendor;
  request: RequestToSign;
  credentials: Credentials;
  now: Date;
  /** Baidu only: how long the signature stays valid (default 1800 s). */
  expirationSeconds?: number;
  /** Alibaba only: signature V3 (`acs3`, the default, as for a public-cloud account) or ROA. */
  alibabaSignature?: "acs3" | "roa";
}

export async function signRequest(input: SignInput, random: { nonce: () => string }): Promise<SignedRequest> {
  const { request, credentials, now } = input;
  let signed: SignedRequest;
  switch (input.vendor) {
    case "huawei":
      signed = await signHuawei(request, credentials, { now });
      break;
    case "alibaba":
      signed =
        input.alibabaSignature === "roa"
          ? await signAlibaba(request, credentials, { now, nonce: random.nonce })
          : await signAlibabaAcs3(request, credentials, { now, nonce: random.nonce });
      break;
    case "baidu":
      signed = await signBaidu(request, credentials, {
        now,
        ...(input.expirationSeconds !== undefined ? { expirationSeconds: input.expirationSeconds } : {}),
      });
      break;
  }
  // Vendor results may carry extra diagnostic fields; the contract is these three.
  return {
    headers: signed.headers,
    canonicalRequest: signed.canonicalRequest,
    stringToSign: signed.stringToSign,
  };
}
