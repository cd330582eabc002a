// Runs inside workerd for `npm run bench`: signs the posted requests `rounds` times with the same
// shared signer the Worker uses. workerd freezes clocks during CPU work, so the Node side times
// the whole call from outside. The Alibaba suite is ROA (its SDK column is pop-core's ROAClient),
// so that is what is signed here too.
import { signRequest } from "../../shared/signer/index.ts";
import type { Vendor } from "../../shared/signer/request.ts";
import type { JsonSignInput } from "../fixtures/signing/vector.ts";

// wrangler.toml binds this Durable Object; wrangler refuses to start a worker that does not export it.
export { AccountRateLimiter } from "../../functions/account-rate.workers.ts";

interface BenchInput extends JsonSignInput {
  vendor: Vendor;
  expirationSeconds?: number;
  now: string;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const rounds = Number(new URL(request.url).searchParams.get("rounds") ?? "1");
    const inputs = (await request.json()) as BenchInput[];
    let signed = 0;
    for (let round = 0; round < rounds; round++) {
      for (const input of inputs) {
        await signRequest(
          {
            vendor: input.vendor,
            request: {
              method: input.method,
              url: input.url,
              headers: { ...input.headers },
              body: input.body,
            },
            credentials: {
              accessKeyId: input.accessKeyId,
              secretAccessKey: input.secretAccessKey,
              ...(input.securityToken ? { securityToken: input.securityToken } : {}),
            },
            now: new Date(input.now),
            ...(input.vendor === "alibaba" ? { alibabaSignature: "roa" as const } : {}),
            ...(input.expirationSeconds ? { expirationSeconds: input.expirationSeconds } : {}),
          },
          { nonce: () => "5f0c9a4e-0000-4000-8000-000000000000" },
        );
        signed++;
      }
    }
    return Response.json({ signed });
  },
};
