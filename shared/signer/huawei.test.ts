import { describe, expect, it } from "vitest";
import type { JsonSignInput, SigningVector } from "../../test/fixtures/signing/vector.ts";
import {
  authorizationHeader,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  EMPTY_BODY_SHA256,
  formatSdkDate,
  parseAuthorization,
  parseSdkDate,
  payloadHash,
  signature,
  signedHeaders,
  signHuawei,
  stringToSign,
  verifyHuawei,
} from "./huawei.ts";
import { type Credentials, type RequestToSign, SignerInputError } from "./request.ts";

type Fixture = SigningVector<
  JsonSignInput & { vendor: "huawei" },
  {
    canonicalUri: string;
    canonicalQuery: string;
    canonicalHeaders: string;
    signedHeaders: string;
    payloadHash: string;
    canonicalRequest: string;
    stringToSign: string;
    signature: string;
    headers: Record<string, string>;
  }
>;

const fixtures = Object.entries(
  import.meta.glob<Fixture>("../../test/fixtures/signing/huawei/*.json", { eager: true, import: "default" }),
).map(([path, fixture]) => ({ name: path.split("/").pop()!, fixture }));

function parts(input: Fixture["input"]): { request: RequestToSign; credentials: Credentials; now: Date } {
  const request: RequestToSign = { method: input.method, url: input.url };
  if (input.headers) request.headers = input.headers;
  if (input.body !== undefined) request.body = input.body;
  const credentials: Credentials = { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey };
  if (input.securityToken !== undefined) credentials.securityToken = input.securityToken;
  return { request, credentials, now: new Date(input.now) };
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const { Authorization: _, ...rest } = headers;
  return rest;
}

describe("Huawei SDK-HMAC-SHA256 vectors", () => {
  it("has the vectors (at least 20 files, each with its provenance)", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
    for (const { fixture } of fixtures)
      expect(fixture.provenance).toMatch(/huaweicloud-sdk-core \d+\.\d+\.\d+/);
  });

  for (const { name, fixture } of fixtures) {
    describe(name, () => {
      const { input, expected } = fixture;
      const url = new URL(input.url);
      const sent = withoutAuthorization(expected.headers);

      it("computes each stage", async () => {
        expect(canonicalUri(url)).toBe(expected.canonicalUri);
        expect(canonicalQuery(url)).toBe(expected.canonicalQuery);
        const names = signedHeaders(sent);
        expect(names.join(";")).toBe(expected.signedHeaders);
        expect(canonicalHeaders(sent, names)).toBe(expected.canonicalHeaders);
        expect(await payloadHash(input.body, sent)).toBe(expected.payloadHash);
        const canonical = canonicalRequest({
          method: input.method,
          canonicalUri: expected.canonicalUri,
          canonicalQuery: expected.canonicalQuery,
          canonicalHeaders: expected.canonicalHeaders,
          signedHeaders: names,
          payloadHash: expected.payloadHash,
        });
        expect(canonical).toBe(expected.canonicalRequest);
        const date = expected.stringToSign.split("\n")[1]!;
        expect(await stringToSign(date, canonical)).toBe(expected.stringToSign);
        expect(await signature(input.secretAccessKey, expected.stringToSign)).toBe(expected.signature);
        expect(authorizationHeader(input.accessKeyId, names, expected.signature)).toBe(
          expected.headers.Authorization,
        );
      });

      it("signs the whole request to the expected headers", async () => {
        const { request, credentials, now } = parts(input);
        const signed = await signHuawei(request, credentials, { now });
        expect(signed.headers).toEqual(expected.headers);
        expect(signed.canonicalRequest).toBe(expected.canonicalRequest);
        expect(signed.stringToSign).toBe(expected.stringToSign);
        expect(signed.signature).toBe(expected.signature);
      });

      it("verifies what it signed", async () => {
        const { request } = parts(input);
        const signedAt = parseSdkDate(expected.stringToSign.split("\n")[1]!)!;
        const verdict = await verifyHuawei(
          { ...request, headers: expected.headers },
          (ak) => (ak === input.accessKeyId ? input.secretAccessKey : undefined),
          { now: signedAt },
        );
        expect(verdict).toEqual({ ok: true, accessKeyId: input.accessKeyId });
      });
    });
  }
});

describe("X-Sdk-Date", () => {
  it("formats UTC as YYYYMMDDTHHMMSSZ, dropping milliseconds", () => {
    expect(formatSdkDate(new Date("2024-03-12T08:15:30.999Z"))).toBe("20240312T081530Z");
    expect(formatSdkDate(new Date("2024-03-12T23:15:30+08:00"))).toBe("20240312T151530Z");
  });
  it("parses only real times", () => {
    expect(parseSdkDate("20240312T081530Z")?.toISOString()).toBe("2024-03-12T08:15:30.000Z");
    expect(parseSdkDate("20240230T081530Z")).toBeUndefined();
    expect(parseSdkDate("2024-03-12T08:15:30Z")).toBeUndefined();
    expect(parseSdkDate("20240312T081530")).toBeUndefined();
  });
  it("refuses an invalid now", () => {
    expect(() => formatSdkDate(new Date("nope"))).toThrow(SignerInputError);
  });
});

describe("canonical URI", () => {
  const uri = (text: string) => canonicalUri(new URL(text));
  it("always ends in one slash, which exists only in the canonical form", () => {
    expect(uri("https://h")).toBe("/");
    expect(uri("https://h/a")).toBe("/a/");
    expect(uri("https://h/a/")).toBe("/a/");
    expect(uri("https://h/a//b")).toBe("/a//b/");
  });
  it("decodes then re-encodes each segment (%2F is a separator, escapes get upper-case hex)", () => {
    expect(uri("https://h/a%2fb/c%20d/%e6%b5%8b")).toBe("/a/b/c%20d/%E6%B5%8B/");
    expect(uri("https://h/测试/a b")).toBe("/%E6%B5%8B%E8%AF%95/a%20b/");
    expect(uri("https://h/%25/~-_./!*()")).toBe("/%25/~-_./%21%2A%28%29/");
  });
  it("signs the path that is sent: dot segments are resolved first", () => {
    expect(uri("https://h/a/./b/../c")).toBe("/a/c/");
  });
  it("refuses escapes it cannot decode, naming the url field", () => {
    for (const bad of ["https://h/a%zz", "https://h/a%", "https://h/%FF"]) {
      try {
        uri(bad);
        expect.unreachable(`${bad} was accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(SignerInputError);
        expect((error as SignerInputError).field).toBe("url");
        expect((error as Error).message).toContain("%25");
      }
    }
  });
});

describe("canonical query", () => {
  const query = (text: string) => canonicalQuery(new URL(`https://h/${text}`));
  it("is empty without a query", () => {
    expect(query("")).toBe("");
    expect(query("?")).toBe("");
  });
  it("sorts by decoded key, then by value; keys without '=' sign as key=", () => {
    expect(query("?b=2&a&b=1&&A=x")).toBe("A=x&a=&b=1&b=2");
  });
  it("reads '+' as a space and signs spaces as %20", () => {
    expect(query("?q=a+b&r=a%2Bb&s=a%20b")).toBe("q=a%20b&r=a%2Bb&s=a%20b");
  });
  it("treats differently-escaped spellings of one key as the same key", () => {
    expect(query("?%61=2&a=1")).toBe("a=1&a=2");
  });
  it("refuses malformed escapes", () => {
    expect(() => query("?a=%E6%B5")).toThrow(SignerInputError);
  });
});

describe("canonical headers", () => {
  it("lower-cases and sorts names, trims values, keeps inner whitespace", () => {
    const headers = { "X-B": "  two  words ", "x-a": "\tone\t", Host: "h" };
    const names = signedHeaders(headers);
    expect(names).toEqual(["host", "x-a", "x-b"]);
    expect(canonicalHeaders(headers, names)).toBe("host:h\nx-a:one\nx-b:two  words\n");
  });
  it("uses X-Sdk-Content-Sha256 in place of the body hash when present", async () => {
    expect(await payloadHash("{}", { "x-sdk-content-sha256": "UNSIGNED-PAYLOAD" })).toBe("UNSIGNED-PAYLOAD");
    expect(await payloadHash(undefined, {})).toBe(EMPTY_BODY_SHA256);
    expect(await payloadHash(new TextEncoder().encode("测试"), {})).toBe(await payloadHash("测试", {}));
  });
});

const AK = "HPUAEXAMPLEAK0000001";
const SK = "exampleSecretKey/With+Symbols=";
const NOW = new Date("2024-03-12T08:15:30Z");
const URL_ = "https://cce.cn-north-4.myhuaweicloud.com/api/v3/projects/p1/clusters?limit=10&marker=a%20b";

async function signed(overrides: Partial<RequestToSign> = {}, credentials: Partial<Credentials> = {}) {
  return signHuawei(
    {
      method: "PUT",
      url: URL_,
      headers: { "Content-Type": "application/json", "X-Project-Id": "p1" },
      body: '{"name":"节点池"}',
      ...overrides,
    },
    { accessKeyId: AK, secretAccessKey: SK, ...credentials },
    { now: NOW },
  );
}

function inputError(run: () => Promise<unknown>): Promise<SignerInputError> {
  return run().then(
    () => {
      throw new Error("expected a SignerInputError");
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(SignerInputError);
      expect((error as Error).message).not.toContain(SK);
      return error as SignerInputError;
    },
  );
}

describe("signHuawei", () => {
  it("adds Host (default port omitted), X-Sdk-Date and the Authorization, keeping the caller's headers", async () => {
    const result = await signed({ url: "https://cce.cn-north-4.myhuaweicloud.com:443/v3" });
    expect(result.headers).toMatchObject({
      "Content-Type": "application/json",
      "X-Project-Id": "p1",
      Host: "cce.cn-north-4.myhuaweicloud.com",
      "X-Sdk-Date": "20240312T081530Z",
    });
    expect(result.headers.Authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
    expect(result.canonicalRequest.split("\n")[1]).toBe("/v3/");
  });

  it("adds and signs X-Security-Token for temporary credentials", async () => {
    const result = await signed({}, { securityToken: "sts-token" });
    expect(result.headers["X-Security-Token"]).toBe("sts-token");
    expect(result.canonicalRequest).toContain("\nx-security-token:sts-token\n");
    expect(result.headers.Authorization).toContain("x-sdk-date;x-security-token,");
  });

  it("refuses a token header that contradicts the credentials", async () => {
    const error = await inputError(() =>
      signed({ headers: { "x-security-token": "other" } }, { securityToken: "sts-token" }),
    );
    expect(error.field).toBe("headers.X-Security-Token");
  });

  it("replaces a given Authorization and never signs it", async () => {
    const result = await signed({ headers: { authorization: "SDK-HMAC-SHA256 stale" } });
    expect(result.headers.authorization).toBeUndefined();
    expect(result.headers.Authorization).toMatch(/SignedHeaders=host;x-sdk-date,/);
  });

  it("upper-cases the methods fetch upper-cases", async () => {
    expect((await signed({ method: "put" })).canonicalRequest.startsWith("PUT\n")).toBe(true);
  });

  it("hashes a byte body like the same text", async () => {
    const text = await signed();
    const bytes = await signed({ body: new TextEncoder().encode('{"name":"节点池"}') });
    expect(bytes.headers.Authorization).toBe(text.headers.Authorization);
  });

  it("uses a given X-Sdk-Date as it is, and refuses a malformed one", async () => {
    const result = await signed({ headers: { "x-sdk-date": "20200101T000000Z" } });
    expect(result.stringToSign.split("\n")[1]).toBe("20200101T000000Z");
    expect(result.headers["X-Sdk-Date"]).toBeUndefined();
    const error = await inputError(() => signed({ headers: { "X-Sdk-Date": "2020-01-01" } }));
    expect(error.field).toBe("headers.X-Sdk-Date");
  });

  it("names the field and the fix for bad input, without echoing the secret", async () => {
    const cases: Array<[string, () => Promise<unknown>]> = [
      ["method", () => signed({ method: "GE T" })],
      ["url", () => signed({ url: "/relative/path" })],
      ["url", () => signed({ url: "ftp://h/x" })],
      ["url", () => signed({ url: "https://h/a%zz" })],
      ["headers.Bad Name", () => signed({ headers: { "Bad Name": "x" } })],
      ["headers.x-a", () => signed({ headers: { "X-A": "1", "x-a": "2" } })],
      ["headers.X-A", () => signed({ headers: { "X-A": "line\r\nbreak" } })],
      ["headers.X-A", () => signed({ headers: { "X-A": "节点" } })],
      ["accessKeyId", () => signed({}, { accessKeyId: "" })],
      ["accessKeyId", () => signed({}, { accessKeyId: "AK, Signature=x" })],
      ["secretAccessKey", () => signed({}, { secretAccessKey: "" })],
      ["securityToken", () => signed({}, { securityToken: "" })],
      [
        "now",
        () =>
          signHuawei(
            { method: "GET", url: URL_ },
            { accessKeyId: AK, secretAccessKey: SK },
            { now: new Date(Number.NaN) },
          ),
      ],
    ];
    for (const [field, run] of cases) expect((await inputError(run)).field).toBe(field);
  });
});

describe("verifyHuawei", () => {
  const lookup = (ak: string) => (ak === AK ? SK : undefined);
  const received = async (change: (request: RequestToSign) => RequestToSign = (r) => r) => {
    const result = await signed();
    const request: RequestToSign = {
      method: "PUT",
      url: URL_,
      headers: { ...result.headers },
      body: '{"name":"节点池"}',
    };
    return change(request);
  };
  const verdict = async (request: RequestToSign, now = NOW, maxSkewSeconds?: number) =>
    verifyHuawei(request, lookup, maxSkewSeconds === undefined ? { now } : { now, maxSkewSeconds });
  const reason = async (request: RequestToSign, now = NOW, maxSkewSeconds?: number) => {
    const result = await verdict(request, now, maxSkewSeconds);
    return result.ok ? "ok" : result.reason;
  };
  const setHeader = (request: RequestToSign, name: string, value: string): RequestToSign => ({
    ...request,
    headers: { ...request.headers, [name]: value },
  });
  const flipLastHex = (text: string) => text.slice(0, -1) + (text.endsWith("0") ? "1" : "0");

  it("accepts a request as signed, whatever the header-name case and unsigned extras", async () => {
    expect(await verdict(await received())).toEqual({ ok: true, accessKeyId: AK });
    const relabelled = await received((r) => ({
      ...r,
      headers: Object.fromEntries(Object.entries(r.headers!).map(([k, v]) => [k.toUpperCase(), v])),
    }));
    expect(await reason(setHeader(relabelled, "User-Agent", "curl/8"))).toBe("ok");
  });

  it("takes a signed host from the URL when the Host header is not in the received headers", async () => {
    const withoutHost = await received((r) => {
      const { Host: _, ...headers } = r.headers!;
      return { ...r, headers };
    });
    expect(await reason(withoutHost)).toBe("ok");
  });

  it("refuses one changed byte in the signature, body, query, path, a signed header or the date", async () => {
    const request = await received();
    const auth = request.headers!.Authorization!;
    expect(await reason(setHeader(request, "Authorization", flipLastHex(auth)))).toBe("mismatch");
    expect(await reason({ ...request, body: '{"name":"节点泡"}' })).toBe("mismatch");
    expect(await reason({ ...request, url: URL_.replace("limit=10", "limit=11") })).toBe("mismatch");
    expect(await reason({ ...request, url: URL_.replace("clusters", "clusterz") })).toBe("mismatch");
    expect(await reason({ ...request, method: "POST" })).toBe("mismatch");
    expect(await reason(setHeader(request, "X-Project-Id", "p2"))).toBe("mismatch");
    expect(await reason(setHeader(request, "X-Sdk-Date", "20240312T081531Z"))).toBe("mismatch");
    const result = await verdict(setHeader(request, "Authorization", flipLastHex(auth)));
    expect(result.ok ? "" : result.detail).toContain("canonical request");
  });

  it("refuses an unknown access key", async () => {
    const request = await received();
    const other = request.headers!.Authorization!.replace(`Access=${AK}`, "Access=SOMEONEELSE");
    const result = await verdict(setHeader(request, "Authorization", other));
    expect(result).toEqual({
      ok: false,
      reason: "unknown-key",
      detail: expect.stringContaining("SOMEONEELSE"),
    });
  });

  it("accepts up to 15 minutes of skew either way by default, and refuses more", async () => {
    const request = await received();
    const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
    expect(await reason(request, minutes(15))).toBe("ok");
    expect(await reason(request, minutes(-15))).toBe("ok");
    expect(await reason(request, minutes(15.02))).toBe("expired");
    expect(await reason(request, minutes(-16))).toBe("expired");
  });

  it("honours maxSkewSeconds", async () => {
    const request = await received();
    expect(await reason(request, new Date(NOW.getTime() + 61_000), 60)).toBe("expired");
    expect(await reason(request, new Date(NOW.getTime() + 59_000), 60)).toBe("ok");
  });

  it("reports a missing or malformed Authorization", async () => {
    const request = await received();
    const { Authorization: auth, ...unsigned } = request.headers!;
    expect(await reason({ ...request, headers: unsigned })).toBe("missing");
    const malformed = [
      auth!.replace("SDK-HMAC-SHA256", "AWS4-HMAC-SHA256"),
      auth!.replace(", SignedHeaders", ",SignedHeaders"),
      auth!.replace(/Signature=[0-9a-f]+/, "Signature=xyz"),
      auth!.replace("content-type;host", "host;content-type"),
      auth!.replace("content-type;", "Content-Type;"),
      auth!.replace(";x-sdk-date", ""),
      auth!.replace("x-project-id;", "x-project-id;x-absent;"),
    ];
    for (const value of malformed)
      expect(await reason(setHeader(request, "Authorization", value))).toBe("malformed");
    const absent = await verdict(
      setHeader(request, "Authorization", auth!.replace(";x-sdk-date", ";x-sdk-date;x-zzz")),
    );
    expect(absent.ok ? "" : absent.detail).toBe('signed header "x-zzz" is not in the request');
    expect(await reason(setHeader(request, "X-Sdk-Date", "2024-03-12T08:15:30Z"))).toBe("malformed");
    expect(await reason({ ...request, url: `${URL_}&bad=%zz` })).toBe("malformed");
  });

  it("parses the Authorization parts", () => {
    expect(
      parseAuthorization(
        `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=${"a".repeat(64)}`,
      ),
    ).toEqual({
      accessKeyId: "AK",
      signedHeaders: ["host", "x-sdk-date"],
      signature: "a".repeat(64),
    });
  });
});
