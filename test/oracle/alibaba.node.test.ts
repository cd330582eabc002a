// Property test: for random realistic ROA requests our signer and the vendor SDK (@alicloud/pop-core
// ROAClient, driven through test/oracle/alibaba.ts) produce the same string to sign, the same
// signed header values and the same Authorization, byte for byte.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signAlibaba, verifyAlibaba } from "../../shared/signer/alibaba.ts";
import {
  randomRequest,
  SDK_NAME,
  type SignRequestInput,
  sdkQuery,
  sdkSign,
  sdkSignature,
} from "./alibaba.ts";

const SEED = 20240102;
const RUNS = 2000;

function signOurs(input: SignRequestInput, nonce: () => string) {
  return signAlibaba(
    { method: input.method, url: input.url, headers: input.headers ?? {}, body: input.body },
    {
      accessKeyId: input.accessKeyId,
      secretAccessKey: input.secretAccessKey,
      ...(input.securityToken !== undefined ? { securityToken: input.securityToken } : {}),
    },
    { now: new Date(input.now!), nonce },
  );
}

function lowerCased(headers: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
}

describe(`Alibaba ROA signer against ${SDK_NAME}`, () => {
  it(`agrees on Authorization, string to sign and signed headers for ${RUNS} random requests`, async () => {
    let counter = 0;
    const seen = { sts: 0, query: 0, body: 0, asapi: 0, generatedNonce: 0 };
    await fc.assert(
      fc.asyncProperty(randomRequest, async (input) => {
        const ours = await signOurs(input, () => `nonce-${++counter}`);
        const sdk = await sdkSign(input, ours.headers);
        expect(ours.stringToSign).toBe(sdk.stringToSign);
        expect(ours.canonicalizedHeaders).toBe(sdk.canonicalizedHeaders);
        expect(ours.canonicalizedResource).toBe(sdk.canonicalizedResource);
        expect(ours.headers.Authorization).toBe(sdk.authorization);
        // Every header either side signs carries the same value on both sides.
        const mine = lowerCased(ours.headers);
        const theirs = lowerCased(sdk.headers);
        for (const name of Object.keys(theirs)) {
          if (name === "accept" || name === "content-md5" || name === "content-type" || name === "date") {
            expect(mine[name], name).toBe(theirs[name]);
          }
          if (name.startsWith("x-acs-")) expect(mine[name]?.trim(), name).toBe(theirs[name]?.trim());
        }
        for (const name of Object.keys(mine))
          if (name.startsWith("x-acs-")) expect(theirs[name], name).toBeDefined();
        if (input.securityToken) seen.sts++;
        if (new URL(input.url).search.length > 1) seen.query++;
        if (input.body) seen.body++;
        if (input.url.includes("/roa/")) seen.asapi++;
        if (!Object.keys(input.headers ?? {}).some((n) => n.toLowerCase() === "x-acs-signature-nonce")) {
          seen.generatedNonce++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The generator really covers the classes it claims to (guards against a silently narrowed arbitrary).
    for (const [kind, count] of Object.entries(seen)) expect(count, kind).toBeGreaterThan(RUNS / 10);
  });

  it("the signed requests verify, and verification rejects what the SDK would sign differently", async () => {
    await fc.assert(
      fc.asyncProperty(randomRequest, async (input) => {
        const ours = await signOurs(input, () => "nonce-verify");
        const received = { method: input.method, url: input.url, headers: ours.headers, body: input.body };
        const lookup = (id: string) => (id === input.accessKeyId ? input.secretAccessKey : undefined);
        const now = new Date(input.now!);
        expect(await verifyAlibaba(received, lookup, { now })).toEqual({
          ok: true,
          accessKeyId: input.accessKeyId,
        });
        // Signing with another date gives pop-core's Authorization for that date, which must not verify.
        const other = new Date(now.getTime() + 1000).toUTCString();
        const stale = await sdkSignature(input, { ...ours.headers, Date: other });
        const result = await verifyAlibaba(
          { ...received, headers: { ...ours.headers, Authorization: stale } },
          lookup,
          { now },
        );
        expect(result.ok).toBe(false);
      }),
      { seed: SEED + 1, numRuns: 200 },
    );
  });

  it("the oracle refuses query shapes pop-core cannot express, rather than signing them wrongly", () => {
    expect(() => sdkQuery(new URL("https://cs.aliyuncs.com/clusters?tag=a&tag=b"))).toThrow(/repeated/);
    expect(() => sdkQuery(new URL("https://cs.aliyuncs.com/clusters?name=a+b"))).toThrow(/\+/);
    expect(sdkQuery(new URL("https://cs.aliyuncs.com/clusters?flag&empty=&v=%E6%B5%8B"))).toEqual({
      flag: "",
      empty: "",
      v: "测",
    });
  });
});
