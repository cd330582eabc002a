// Runs inside workerd for `npm run bench`: the signing suites' two sides, ours and the vendor SDK's,
// each over its suite's 200 requests `rounds` times. These are the very suite modules the Node
// columns time (test/bench/signing.*.ts, same requests, same functions), bundled with
// nodejs_compat, so every column differs from another by one thing only: the host or the signer.
// workerd freezes clocks during CPU work, so the Node side times the whole call from outside.
import { signingBench as alibaba } from "./signing.alibaba.ts";
import { signingBench as baidu } from "./signing.baidu.ts";
import { signingBench as huawei } from "./signing.huawei.ts";

// wrangler.toml binds this Durable Object; wrangler refuses to start a worker that does not export it.
export { AccountRateLimiter } from "../../functions/account-rate.workers.ts";

interface Suite {
  requests: unknown[];
  ours: (input: unknown) => unknown;
  sdk: (input: unknown) => unknown;
}

const SUITES = { huawei, alibaba, baidu } as unknown as Record<string, Suite>;

export default {
  async fetch(request: Request): Promise<Response> {
    const params = new URL(request.url).searchParams;
    const suite = SUITES[params.get("vendor") ?? ""];
    const side = params.get("side");
    if (!suite || (side !== "ours" && side !== "sdk")) {
      return Response.json(
        {
          error: { code: "bad_request", message: "give ?vendor=huawei|alibaba|baidu&side=ours|sdk&rounds=N" },
        },
        { status: 400 },
      );
    }
    const rounds = Number(params.get("rounds") ?? "1");
    const sign = suite[side];
    let signed = 0;
    for (let round = 0; round < rounds; round++) {
      for (const input of suite.requests) await sign(input);
      signed += suite.requests.length;
    }
    return Response.json({ signed });
  },
};
