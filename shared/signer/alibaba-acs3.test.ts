/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import type { JsonSignInput, SigningVector } from "../../test/fixtures/signing/vector.ts";
import {
  acsDate,
  authorizationHeader,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  hashedPayload,
  isAcs3Authorization,
  signAlibabaAcs3,
  signature,
  signedHeaderNames,
  stringToSign,
  verifyAlibabaAcs3,
} from "./alibaba-acs3.ts";
import { SignerInputError } from "./request.ts";

type Fixture = SigningVector<
  JsonSignInput,
  {
    hashedPayload: string;
    canonicalUri: string;
    canonicalQuery: string;
    canonicalHeaders: string;
    signedHeaders: string;
    canonicalRequest: string;
    stringToSign: string;
    signature: string;
    authorization: string;
    headers: Record<string, string>;
  }
>;

const fixtures = Object.entries(
  import.meta.glob<Fixture>("../../test/fixtures/signing/alibaba-acs3/*.json", {
    eager: true,
    import: "default",
  }),
);

const lowerCased = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

function signFixture(input: Fixture["input"]) {
  return signAlibabaAcs3(
    { method: input.method, url: input.url, headers: input.headers ?? {}, body: input.body },
    {
      accessKeyId: input.accessKeyId,
      secretAccessKey: input.secretAccessKey,
      ...(input.securityToken !== undefined ? { securityToken: input.securityToken } : {}),
    },
    {
      now: new Date(input.now),
      nonce: () => {
        throw new Error("the fixture gives its nonce; options.nonce must not be called");
      },
    },
  );
}

describe("Alibaba ACS3-HMAC-SHA256 fixtures (per stage)", () => {
  it("has the fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(7);
  });

  for (const [file, fixture] of fixtures) {
    describe(file.split("/").pop()!, () => {
      const { input, expected } = fixture;
      const url = new URL(input.url);
      it("names where its values came from", () => {
        expect(fixture.provenance).toMatch(/@alicloud\/openapi-core/);
      });
      it("hashed payload", async () => {
        expect(await hashedPayload(input.body)).toBe(expected.hashedPayload);
      });
      it("canonical URI and canonical query", () => {
        expect(canonicalUri(url)).toBe(expected.canonicalUri);
        expect(canonicalQuery(url)).toBe(expected.canonicalQuery);
      });
      it("signed headers and canonical headers over the headers sent", () => {
        const names = signedHeaderNames(expected.headers).filter((n) => n !== "authorization");
        expect(names.join(";")).toBe(expected.signedHeaders);
        expect(canonicalHeaders(expected.headers, names)).toBe(expected.canonicalHeaders);
      });
      it("canonical request, string to sign, signature and Authorization", async () => {
        expect(
          canonicalRequest({
            method: input.method,
            uri: expected.canonicalUri,
            query: expected.canonicalQuery,
            headers: expected.canonicalHeaders,
            signedHeaders: expected.signedHeaders,
            hashedPayload: expected.hashedPayload,
          }),
        ).toBe(expected.canonicalRequest);
        expect(await stringToSign(expected.canonicalRequest)).toBe(expected.stringToSign);
        expect(await signature(expected.stringToSign, input.secretAccessKey)).toBe(expected.signature);
        expect(authorizationHeader(input.accessKeyId, expected.signedHeaders, expected.signature)).toBe(
          expected.authorization,
        );
      });
      it("signAlibabaAcs3 end to end: every stage and the header values sent", async () => {
        const signed = await signFixture(input);
        expect(signed.canonicalRequest).toBe(expected.canonicalRequest);
        expect(signed.stringToSign).toBe(expected.stringToSign);
        expect(signed.authorization).toBe(expected.authorization);
        expect(lowerCased(signed.headers)).toEqual(expected.headers);
      });
      it("verifies as received", async () => {
        const result = await verifyAlibabaAcs3(
          { method: input.method, url: input.url, headers: expected.headers, body: input.body },
          (id) => (id === input.accessKeyId ? input.secretAccessKey : undefined),
          { now: new Date(input.now) },
        );
        expect(result).toEqual({ ok: true, accessKeyId: input.accessKeyId });
      });
    });
  }
});

const CREDENTIALS = { accessKeyId: "testak", secretAccessKey: "test-secret" };
const NOW = new Date("2024-01-02T03:04:05.678Z");
const URL_A = "https://cs.aliyuncs.com/clusters/c1/nodepools?page_size=10";
const ACTION = { "x-acs-action": "DescribeClusterNodePools" };

describe("signAlibabaAcs3 decisions", () => {
  it("dates to the second, hashes an absent body as zero bytes, adds Content-Type only for a body", async () => {
    expect(acsDate(NOW)).toBe("2024-01-02T03:04:05Z");
    const get = await signAlibabaAcs3({ method: "GET", url: URL_A, headers: ACTION }, CREDENTIALS, {
      now: NOW,
      nonce: () => "n",
    });
    expect(get.headers["x-acs-content-sha256"]).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(get.headers["Content-Type"]).toBeUndefined();
    expect(get.signedHeaders).toBe(
      "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
    );
    const put = await signAlibabaAcs3(
      { method: "PUT", url: URL_A, headers: ACTION, body: '{"a":1}' },
      CREDENTIALS,
      { now: NOW, nonce: () => "n" },
    );
    expect(put.headers["Content-Type"]).toBe("application/json");
    expect(put.signedHeaders.startsWith("content-type;host;")).toBe(true);
  });

  it("sorts repeated query keys by value and refuses a literal +", () => {
    expect(canonicalQuery(new URL("https://h/p?b=2&a=z&a=y&flag"))).toBe("a=y&a=z&b=2&flag=");
    expect(() => canonicalQuery(new URL("https://h/p?a=1+1"))).toThrow(SignerInputError);
    expect(canonicalUri(new URL("https://h/a%2Fb/c*d/e(f)"))).toBe("/a%2Fb/c%2Ad/e%28f%29");
  });

  it("needs x-acs-action and a nonce, and names the field", async () => {
    await expect(
      signAlibabaAcs3({ method: "GET", url: URL_A }, CREDENTIALS, { now: NOW, nonce: () => "n" }),
    ).rejects.toMatchObject({
      field: "headers.x-acs-action",
    });
    await expect(
      signAlibabaAcs3({ method: "GET", url: URL_A, headers: ACTION }, CREDENTIALS, {
        now: NOW,
        nonce: () => "",
      }),
    ).rejects.toMatchObject({ field: "headers.x-acs-signature-nonce" });
    await expect(
      signAlibabaAcs3(
        { method: "GET", url: URL_A, headers: ACTION },
        { ...CREDENTIALS, accessKeyId: "a,b" },
        {
          now: NOW,
          nonce: () => "n",
        },
      ),
    ).rejects.toMatchObject({ field: "accessKeyId" });
  });
});

describe("verifyAlibabaAcs3", () => {
  const lookup = (id: string) => (id === "testak" ? "test-secret" : undefined);
  const body = '{"count":2}';
  async function signed(extra: Record<string, string> = {}) {
    const result = await signAlibabaAcs3(
      {
        method: "POST",
        url: URL_A,
        headers: { ...ACTION, "x-acs-region-id": "cn-hangzhou", ...extra },
        body,
      },
      CREDENTIALS,
      { now: NOW, nonce: () => "nonce-1" },
    );
    return { method: "POST", url: URL_A, headers: result.headers, body };
  }
  const check = async (received: Awaited<ReturnType<typeof signed>>, reason: string, at = NOW) =>
    expect(await verifyAlibabaAcs3(received, lookup, { now: at })).toMatchObject({ ok: false, reason });
  const without = (request: Awaited<ReturnType<typeof signed>>, name: string) => {
    const headers = { ...request.headers };
    delete headers[name];
    return { ...request, headers };
  };

  it("accepts a signed request, also with lower-cased names, and recognises its Authorization", async () => {
    const request = await signed();
    expect(isAcs3Authorization(request.headers.Authorization)).toBe(true);
    expect(isAcs3Authorization("acs testak:abc=")).toBe(false);
    expect(
      await verifyAlibabaAcs3({ ...request, headers: lowerCased(request.headers) }, lookup, { now: NOW }),
    ).toEqual({
      ok: true,
      accessKeyId: "testak",
    });
  });

  it("refuses a changed body, query, method or signed header as a mismatch", async () => {
    const request = await signed();
    await check({ ...request, body: '{"count":3}' }, "mismatch");
    await check({ ...request, url: URL_A.replace("10", "11") }, "mismatch");
    await check({ ...request, method: "PUT" }, "mismatch");
    await check({ ...request, headers: { ...request.headers, "x-acs-region-id": "cn-beijing" } }, "mismatch");
  });

  it("refuses unsigned x-acs-* headers, missing required ones, a bad date, and an unknown key", async () => {
    const request = await signed();
    await check({ ...request, headers: { ...request.headers, "x-acs-extra": "1" } }, "malformed");
    await check(without(request, "x-acs-date"), "missing");
    await check(without(request, "x-acs-content-sha256"), "missing");
    await check(without(request, "Authorization"), "missing");
    await check(
      { ...request, headers: { ...request.headers, "x-acs-date": "2024-01-02 03:04:05" } },
      "malformed",
    );
    await check(
      {
        ...request,
        headers: {
          ...request.headers,
          Authorization: request.headers.Authorization!.replace("testak", "other"),
        },
      },
      "unknown-key",
    );
    await check(request, "expired", new Date(NOW.getTime() + 16 * 60_000));
    expect(
      await verifyAlibabaAcs3(request, lookup, {
        now: new Date(Date.parse("2024-01-02T03:04:05Z") + 15 * 60_000),
      }),
    ).toMatchObject({
      ok: true,
    });
  });

  it("never puts the secret in a refusal", async () => {
    const request = await signed();
    const result = await verifyAlibabaAcs3({ ...request, body: "x" }, lookup, { now: NOW });
    expect(JSON.stringify(result)).not.toContain("test-secret");
  });
});
