/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import type { JsonSignInput, SigningVector } from "../../test/fixtures/signing/vector.ts";
import {
  asapiHeaders,
  authorizationHeader,
  canonicalizedHeaders,
  canonicalizedResource,
  canonicalQuery,
  canonicalUri,
  contentMd5,
  signAlibaba,
  signature,
  stringToSign,
  verifyAlibaba,
} from "./alibaba.ts";
import { utf8 } from "./encoding.ts";
import { SignerInputError } from "./request.ts";

type Fixture = SigningVector<
  JsonSignInput & { vendor: "alibaba" },
  {
    contentMd5: string;
    canonicalUri: string;
    canonicalQuery: string;
    canonicalizedHeaders: string;
    canonicalizedResource: string;
    canonicalRequest: string;
    stringToSign: string;
    signature: string;
    authorization: string;
    headers: Record<string, string>;
  }
>;

const fixtures = Object.entries(
  import.meta.glob<Fixture>("../../test/fixtures/signing/alibaba/*.json", { eager: true, import: "default" }),
);

const noNonce = () => {
  throw new Error("the fixture gives its nonce; options.nonce must not be called");
};

function credentialsOf(input: Fixture["input"]) {
  return {
    accessKeyId: input.accessKeyId,
    secretAccessKey: input.secretAccessKey,
    ...(input.securityToken !== undefined ? { securityToken: input.securityToken } : {}),
  };
}

function signFixture(input: Fixture["input"]) {
  return signAlibaba(
    { method: input.method, url: input.url, headers: input.headers ?? {}, body: input.body },
    credentialsOf(input),
    { now: new Date(input.now), nonce: noNonce },
  );
}

describe("Alibaba ROA fixtures (per stage)", () => {
  it("has the fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });

  for (const [file, fixture] of fixtures) {
    const name = file.split("/").pop();
    describe(name!, () => {
      const { input, expected } = fixture;
      const url = new URL(input.url);

      it("names where its values came from", () => {
        expect(fixture.provenance).toMatch(/pop-core|digest/);
      });
      it("Content-MD5", () => {
        expect(contentMd5(input.body)).toBe(expected.contentMd5);
      });
      it("canonical URI, canonical query and CanonicalizedResource", () => {
        expect(canonicalUri(url)).toBe(expected.canonicalUri);
        expect(canonicalQuery(url)).toBe(expected.canonicalQuery);
        expect(canonicalizedResource(url)).toBe(expected.canonicalizedResource);
      });
      it("CanonicalizedHeaders over the headers sent", () => {
        expect(canonicalizedHeaders(expected.headers)).toBe(expected.canonicalizedHeaders);
      });
      it("string to sign over the headers sent", () => {
        expect(stringToSign(input.method, expected.headers, url)).toBe(expected.stringToSign);
      });
      it("signature and Authorization from the string to sign", async () => {
        expect(await signature(expected.stringToSign, input.secretAccessKey)).toBe(expected.signature);
        expect(authorizationHeader(input.accessKeyId, expected.signature)).toBe(expected.authorization);
      });
      it("signAlibaba end to end: every stage and the full header set", async () => {
        const signed = await signFixture(input);
        expect(signed.contentMd5).toBe(expected.contentMd5);
        expect(signed.canonicalizedHeaders).toBe(expected.canonicalizedHeaders);
        expect(signed.canonicalizedResource).toBe(expected.canonicalizedResource);
        expect(signed.stringToSign).toBe(expected.stringToSign);
        expect(signed.canonicalRequest).toBe(expected.canonicalRequest);
        expect(signed.signature).toBe(expected.signature);
        expect(signed.authorization).toBe(expected.authorization);
        expect(signed.headers).toEqual(expected.headers);
      });
      it("verifies as received", async () => {
        const result = await verifyAlibaba(
          { method: input.method, url: input.url, headers: expected.headers, body: input.body },
          (id) => (id === input.accessKeyId ? input.secretAccessKey : undefined),
          { now: new Date(input.now) },
        );
        expect(result).toEqual({ ok: true, accessKeyId: input.accessKeyId });
      });
    });
  }
});

// Vectors that exist only as a string to sign (no request the SDK could reproduce byte for byte).
describe("signature stage against the digest's vectors", () => {
  const DATE = "Tue, 02 Jan 2024 03:04:05 GMT";
  it("digest §2.6 A1 (python3 and node)", async () => {
    const toSign = [
      "POST",
      "application/json",
      "oYt2nnIdJGK00wV//nrAwA==",
      "application/json; charset=utf-8",
      DATE,
      "x-acs-region-id:cn-hangzhou",
      "x-acs-signature-method:HMAC-SHA1",
      "x-acs-signature-nonce:3f1c1f0e-0000-4000-8000-000000000001",
      "x-acs-signature-version:1.0",
      "x-acs-version:2015-12-15",
      "/clusters/c0123456789abcdef/nodepools/np0123456789abcdef",
    ].join("\n");
    expect(contentMd5('{"count":2}')).toBe("oYt2nnIdJGK00wV//nrAwA==");
    expect(await signature(toSign, "test-secret")).toBe("lDxcE7ioEderGD+BiVcHbBPNW2s=");
  });
  it("digest §2.6 A2 (empty Content-MD5 line, as a client that sends no Content-MD5 would sign)", async () => {
    const toSign = [
      "GET",
      "application/json",
      "",
      "",
      DATE,
      "x-acs-accesskey-id:STS.testak",
      "x-acs-security-token:test-token",
      "x-acs-signature-method:HMAC-SHA1",
      "x-acs-signature-nonce:3f1c1f0e-0000-4000-8000-000000000002",
      "x-acs-signature-version:1.0",
      "x-acs-version:2015-12-15",
      "/k8s/c0123456789abcdef/user_config?PrivateIpAddress=true&TemporaryDurationMinutes=60",
    ].join("\n");
    expect(await signature(toSign, "test-secret")).toBe("DGexueQAJQfWx/u2cYp25lRGBNA=");
  });
  it("the vendor document's worked example: base64 of the RAW digest, not of its hex text (digest §2.3-2.4)", async () => {
    const toSign = [
      "POST",
      "application/json",
      "6U4ALMkKSj0PYbeQSHqgmA==",
      "application/json; charset=utf-8",
      "Wed, 16 Dec 2015 12:20:18 GMT",
      "x-acs-region-id:cn-beijing",
      "x-acs-signature-method:HMAC-SHA1",
      "x-acs-signature-nonce:fbf6909a-93a5-45d3-8b1c-3e03a7916799",
      "x-acs-signature-version:1.0",
      "x-acs-version:2015-12-15",
      "/clusters?param1=value1&param2=value2",
    ].join("\n");
    expect(utf8(toSign).length).toBe(318);
    const value = await signature(toSign, "access_key_secret");
    expect(value).toBe("w2eh/3sbZDwDP1HeNy0+/Rx+bG4=");
    expect(value).not.toBe("YzM2N2ExZmY3YjFiNjQzYzAzM2Y1MWRlMzcyZDNlZmQxYzdlNmM2ZQ==");
  });
});

const CREDENTIALS = { accessKeyId: "testak", secretAccessKey: "test-secret" };
const NOW = new Date("2024-01-02T03:04:05Z");
const URL_A = "https://cs.aliyuncs.com/clusters/c1/nodepools?page_size=10";

describe("signAlibaba decisions", () => {
  it("always sends Content-MD5 (MD5 of zero bytes without a body) and the same for string and bytes", async () => {
    const none = await signAlibaba({ method: "GET", url: URL_A }, CREDENTIALS, {
      now: NOW,
      nonce: () => "n",
    });
    expect(none.headers["Content-MD5"]).toBe("1B2M2Y8AsgTpgAmY7PhCfg==");
    expect(none.headers["Content-Type"]).toBeUndefined();
    const text = '{"name":"测试"}';
    const asString = await signAlibaba({ method: "POST", url: URL_A, body: text }, CREDENTIALS, {
      now: NOW,
      nonce: () => "n",
    });
    const asBytes = await signAlibaba({ method: "POST", url: URL_A, body: utf8(text) }, CREDENTIALS, {
      now: NOW,
      nonce: () => "n",
    });
    expect(asBytes.headers).toEqual(asString.headers);
    expect(asString.headers["Content-Type"]).toBe("application/json");
  });

  it("keeps a caller's Content-Type and header casing, and lets only Date/Content-MD5/Authorization be replaced", async () => {
    const signed = await signAlibaba(
      {
        method: "post",
        url: URL_A,
        headers: {
          "content-type": "application/json; charset=utf-8",
          date: "Mon, 01 Jan 2024 00:00:00 GMT",
          "content-md5": "stale",
          authorization: "acs old:old",
          "X-Acs-Region-Id": "cn-beijing",
        },
        body: "{}",
      },
      CREDENTIALS,
      { now: NOW, nonce: () => "n" },
    );
    expect(signed.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(signed.headers["X-Acs-Region-Id"]).toBe("cn-beijing");
    expect(signed.headers.Date).toBe("Tue, 02 Jan 2024 03:04:05 GMT");
    expect(signed.headers.date).toBeUndefined();
    expect(signed.headers["Content-MD5"]).toBe(contentMd5("{}"));
    expect(signed.headers.authorization).toBeUndefined();
    expect(signed.stringToSign.startsWith("POST\n")).toBe(true);
    expect(signed.canonicalizedHeaders).toContain("x-acs-region-id:cn-beijing\n");
  });

  it("uses a given nonce as it is, and calls options.nonce exactly once otherwise", async () => {
    let calls = 0;
    const nonce = () => `generated-${++calls}`;
    const given = await signAlibaba(
      { method: "GET", url: URL_A, headers: { "X-Acs-Signature-Nonce": "fixed" } },
      CREDENTIALS,
      { now: NOW, nonce },
    );
    expect(calls).toBe(0);
    expect(given.canonicalizedHeaders).toContain("x-acs-signature-nonce:fixed\n");
    const generated = await signAlibaba({ method: "GET", url: URL_A }, CREDENTIALS, { now: NOW, nonce });
    expect(calls).toBe(1);
    expect(generated.headers["x-acs-signature-nonce"]).toBe("generated-1");
  });

  it("adds both STS headers before signing, replacing stale copies", async () => {
    const signed = await signAlibaba(
      { method: "GET", url: URL_A, headers: { "X-Acs-Security-Token": "old" } },
      { ...CREDENTIALS, securityToken: "token-1" },
      { now: NOW, nonce: () => "n" },
    );
    expect(signed.headers["x-acs-security-token"]).toBe("token-1");
    expect(signed.headers["X-Acs-Security-Token"]).toBeUndefined();
    expect(signed.canonicalizedHeaders).toContain(
      "x-acs-accesskey-id:testak\nx-acs-security-token:token-1\n",
    );
  });

  it("signs repeated query keys pair by pair in the given order, empty values as `key=`", () => {
    expect(canonicalQuery(new URL("https://h/p?b=2&a=z&a=y&flag&e="))).toBe("a=z&a=y&b=2&e=&flag=");
    expect(canonicalQuery(new URL("https://h/p?bad=%ZZ%41"))).toBe("bad=%ZZA");
    expect(canonicalizedResource(new URL("https://h/p?"))).toBe("/p");
  });

  it("canonicalises x-acs-* headers only: lower-cased, sorted, tab to space, trimmed", () => {
    expect(
      canonicalizedHeaders({
        "X-ACS-B": "  two\t words  ",
        "x-acs-a": "1",
        "x-ascm-product-name": "cs",
        Accept: "application/json",
        "X-Acs-C": "",
      }),
    ).toBe("x-acs-a:1\nx-acs-b:two  words\nx-acs-c:\n");
  });

  const refused: Array<[string, Parameters<typeof signAlibaba>[0], Partial<typeof CREDENTIALS>?]> = [
    ["url", { method: "GET", url: "https://cs.aliyuncs.com/clusters?name=a+b" }],
    ["url", { method: "GET", url: "/clusters" }],
    ["method", { method: "FETCH", url: URL_A }],
    ["headers.X-Acs-Meta", { method: "GET", url: URL_A, headers: { "X-Acs-Meta": "a\nb" } }],
    ["headers.x-acs-name", { method: "GET", url: URL_A, headers: { "x-acs-name": "测试" } }],
    ["headers.x-acs-a", { method: "GET", url: URL_A, headers: { "X-Acs-A": "1", "x-acs-a": "2" } }],
    [
      "headers.x-acs-signature-method",
      { method: "GET", url: URL_A, headers: { "x-acs-signature-method": "HMAC-SHA256" } },
    ],
    ["accessKeyId", { method: "GET", url: URL_A }, { accessKeyId: "a:b" }],
    ["secretAccessKey", { method: "GET", url: URL_A }, { secretAccessKey: "" }],
  ];
  for (const [field, request, credentials] of refused) {
    it(`refuses bad input naming the field: ${field}`, async () => {
      const error = await signAlibaba(
        request,
        { ...CREDENTIALS, ...credentials },
        {
          now: NOW,
          nonce: () => "n",
        },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignerInputError);
      expect((error as SignerInputError).field).toBe(field);
      expect((error as Error).message).not.toContain("test-secret");
    });
  }

  it("refuses an invalid time and a missing nonce source", async () => {
    await expect(
      signAlibaba({ method: "GET", url: URL_A }, CREDENTIALS, { now: new Date("nope"), nonce: () => "n" }),
    ).rejects.toMatchObject({ field: "now" });
    await expect(
      signAlibaba({ method: "GET", url: URL_A }, CREDENTIALS, { now: NOW, nonce: () => "" }),
    ).rejects.toMatchObject({ field: "headers.x-acs-signature-nonce" });
  });
});

describe("asapiHeaders", () => {
  it("defaults product cs / 2015-12-15 and adds only what is given", () => {
    expect(asapiHeaders({ regionId: "cn-qingdao-env17-d01", organizationId: "27" })).toEqual({
      "x-ascm-product-name": "cs",
      "x-ascm-product-version": "2015-12-15",
      "x-acs-regionid": "cn-qingdao-env17-d01",
      "x-acs-organizationid": "27",
    });
    expect(
      asapiHeaders({
        regionId: "r",
        organizationId: "o",
        resourceGroupId: "g",
        roleId: "3",
        productAk: "ak",
        productName: "ecs",
        productVersion: "2014-05-26",
      }),
    ).toEqual({
      "x-ascm-product-name": "ecs",
      "x-ascm-product-version": "2014-05-26",
      "x-ascm-product-ak": "ak",
      "x-acs-regionid": "r",
      "x-acs-organizationid": "o",
      "x-acs-resourcegroupid": "g",
      "x-acs-roleid": "3",
    });
  });
  it("signs the x-acs-* ones and not the x-ascm-* ones", async () => {
    const headers = asapiHeaders({ regionId: "r", organizationId: "o", productAk: "ak" });
    const signed = await signAlibaba(
      { method: "GET", url: "https://asapi.example/roa/clusters", headers },
      CREDENTIALS,
      {
        now: NOW,
        nonce: () => "n",
      },
    );
    expect(signed.canonicalizedHeaders).toContain("x-acs-organizationid:o\nx-acs-regionid:r\n");
    expect(signed.stringToSign).not.toContain("x-ascm");
    expect(signed.headers["x-ascm-product-ak"]).toBe("ak");
    expect(signed.canonicalizedResource).toBe("/roa/clusters");
  });
  it("refuses a missing organization", () => {
    expect(() => asapiHeaders({ regionId: "r", organizationId: "" })).toThrow(SignerInputError);
  });
});

describe("verifyAlibaba", () => {
  const body = '{"count":2}';
  const lookup = (id: string) => (id === "testak" ? "test-secret" : undefined);
  async function signed(extra: Record<string, string> = {}) {
    const result = await signAlibaba(
      { method: "POST", url: URL_A, headers: { "x-acs-region-id": "cn-hangzhou", ...extra }, body },
      CREDENTIALS,
      { now: NOW, nonce: () => "nonce-1" },
    );
    return { method: "POST", url: URL_A, headers: result.headers, body };
  }
  const flip = (text: string, at: number) =>
    text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);

  it("accepts a signed request (also received with lower-cased names and a bytes body)", async () => {
    const request = await signed();
    expect(await verifyAlibaba(request, lookup, { now: NOW })).toEqual({ ok: true, accessKeyId: "testak" });
    const lowered = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(
      await verifyAlibaba({ ...request, headers: lowered, body: utf8(body) }, lookup, { now: NOW }),
    ).toMatchObject({ ok: true });
  });

  it("refuses one changed byte in the signature, body, query, date or a signed header as a mismatch", async () => {
    const request = await signed();
    const auth = request.headers.Authorization!;
    const cases = [
      { ...request, headers: { ...request.headers, Authorization: flip(auth, auth.length - 5) } },
      { ...request, body: '{"count":3}' },
      { ...request, url: URL_A.replace("page_size=10", "page_size=11") },
      { ...request, headers: { ...request.headers, Date: "Tue, 02 Jan 2024 03:04:06 GMT" } },
      { ...request, headers: { ...request.headers, "x-acs-region-id": "cn-beijing" } },
      { ...request, headers: { ...request.headers, "x-acs-extra": "1" } },
      { ...request, method: "PUT" },
    ];
    for (const received of cases) {
      const result = await verifyAlibaba(received, lookup, { now: NOW });
      expect(result).toMatchObject({ ok: false, reason: "mismatch" });
    }
  });

  it("ignores unsigned headers the gateway or a proxy may add (x-ascm-*, User-Agent)", async () => {
    const request = await signed();
    const received = {
      ...request,
      headers: { ...request.headers, "x-ascm-product-ak": "ak", "User-Agent": "x" },
    };
    expect(await verifyAlibaba(received, lookup, { now: NOW })).toMatchObject({ ok: true });
  });

  it("accepts a request without Content-MD5 (the Tea SDKs send none) and checks it when present", async () => {
    const request = await signed();
    const { "Content-MD5": _omitted, Authorization: _old, ...rest } = request.headers;
    const toSign = stringToSign("POST", rest, new URL(URL_A));
    const headers = {
      ...rest,
      Authorization: authorizationHeader("testak", await signature(toSign, "test-secret")),
    };
    expect(await verifyAlibaba({ ...request, headers }, lookup, { now: NOW })).toMatchObject({ ok: true });
  });

  it("refuses a Date more than 15 minutes away either way as expired, and accepts exactly 15", async () => {
    const request = await signed();
    const at = (ms: number) => ({ now: new Date(NOW.getTime() + ms) });
    expect(await verifyAlibaba(request, lookup, at(15 * 60_000))).toMatchObject({ ok: true });
    expect(await verifyAlibaba(request, lookup, at(15 * 60_000 + 1000))).toMatchObject({ reason: "expired" });
    expect(await verifyAlibaba(request, lookup, at(-16 * 60_000))).toMatchObject({ reason: "expired" });
  });

  it("refuses an unknown key, missing and malformed parts with their reasons", async () => {
    const request = await signed();
    const without = (name: string) => {
      const headers = { ...request.headers };
      delete headers[name];
      return { ...request, headers };
    };
    const withHeader = (name: string, value: string) => ({
      ...request,
      headers: { ...request.headers, [name]: value },
    });
    const check = async (received: typeof request, reason: string) =>
      expect(await verifyAlibaba(received, lookup, { now: NOW })).toMatchObject({ ok: false, reason });

    await check(
      withHeader("Authorization", request.headers.Authorization!.replace("testak", "otherak")),
      "unknown-key",
    );
    await check(without("Authorization"), "missing");
    await check(without("Date"), "missing");
    await check(without("x-acs-signature-nonce"), "missing");
    await check(withHeader("Authorization", "Bearer abc"), "malformed");
    await check(withHeader("Authorization", "acs testak:not-base64"), "malformed");
    await check(withHeader("Date", "2024-01-02T03:04:05Z"), "malformed");
    await check(withHeader("x-acs-signature-method", "HMAC-SHA256"), "malformed");
    await check({ ...request, url: "https://cs.aliyuncs.com/clusters?x=a+b" }, "malformed");
  });

  it("never puts the secret in a refusal", async () => {
    const request = await signed();
    const result = await verifyAlibaba({ ...request, body: "changed" }, lookup, { now: NOW });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain("test-secret");
  });
});
