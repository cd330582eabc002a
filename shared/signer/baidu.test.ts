// Baidu bce-auth-v1: every named step against the per-stage vectors in
// test/fixtures/signing/baidu (Baidu's published example, the digest's CCE vectors, and vectors
// produced by @baiducloud/sdk), then the signer's input rules, then verification.
import { describe, expect, it } from "vitest";
import type { JsonSignInput, SigningVector } from "../../test/fixtures/signing/vector.ts";
import {
  authorization,
  bceTimestamp,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  headersToSign,
  parseAuthorization,
  signature,
  signBaidu,
  signingKey,
  uriEncode,
  uriEncodeRaw,
  verifyBaidu,
} from "./baidu.ts";
import { md5Bytes } from "./digest.ts";
import { base64, utf8 } from "./encoding.ts";
import { type Credentials, type RequestToSign, SignerInputError } from "./request.ts";

type Fixture = SigningVector<
  JsonSignInput & { vendor: "baidu"; expirationSeconds?: number },
  {
    canonicalUri: string;
    canonicalQuery: string;
    canonicalHeaders: string;
    signedHeaders: string;
    canonicalRequest: string;
    stringToSign: string;
    signingKey: string;
    signature: string;
    authorization: string;
    headers: Record<string, string>;
  }
>;

const fixtures = import.meta.glob<Fixture>("../../test/fixtures/signing/baidu/*.json", {
  eager: true,
  import: "default",
});

function credentialsOf(input: Fixture["input"]): Credentials {
  const credentials: Credentials = { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey };
  if (input.securityToken !== undefined) credentials.securityToken = input.securityToken;
  return credentials;
}

describe("Baidu fixtures", () => {
  it("are all loaded", () => {
    expect(Object.keys(fixtures).length).toBeGreaterThanOrEqual(13);
  });

  for (const [file, { description, input, expected }] of Object.entries(fixtures)) {
    describe(`${file.split("/").pop()}: ${description}`, () => {
      const url = new URL(input.url);
      const sign = () =>
        signBaidu(
          { method: input.method, url: input.url, headers: input.headers, body: input.body },
          credentialsOf(input),
          { now: new Date(input.now), expirationSeconds: input.expirationSeconds },
        );

      it("canonical URI, query and headers", () => {
        expect(canonicalUri(url)).toBe(expected.canonicalUri);
        expect(canonicalQuery(url)).toBe(expected.canonicalQuery);
        const sent = expected.headers;
        expect(canonicalHeaders(sent, headersToSign(sent))).toEqual({
          canonicalHeaders: expected.canonicalHeaders,
          signedHeaders: expected.signedHeaders,
        });
      });

      it("canonical request, signing key, signature, Authorization", async () => {
        const method = input.method;
        expect(
          canonicalRequest(method, expected.canonicalUri, expected.canonicalQuery, expected.canonicalHeaders),
        ).toBe(expected.canonicalRequest);
        const key = await signingKey(input.secretAccessKey, expected.stringToSign);
        expect(key).toBe(expected.signingKey);
        expect(await signature(key, expected.canonicalRequest)).toBe(expected.signature);
        expect(authorization(expected.stringToSign, expected.signedHeaders, expected.signature)).toBe(
          expected.authorization,
        );
      });

      it("signBaidu gives the headers, canonical request and auth-string prefix", async () => {
        const signed = await sign();
        expect(signed.headers).toEqual(expected.headers);
        expect(signed.canonicalRequest).toBe(expected.canonicalRequest);
        expect(signed.stringToSign).toBe(expected.stringToSign);
      });

      it("verifyBaidu accepts the signed request", async () => {
        const signed = await sign();
        const received: RequestToSign = { method: input.method, url: input.url, headers: signed.headers };
        if (input.body !== undefined) received.body = input.body;
        const lookup = (ak: string) => (ak === input.accessKeyId ? input.secretAccessKey : undefined);
        expect(await verifyBaidu(received, lookup, { now: new Date(input.now) })).toEqual({
          ok: true,
          accessKeyId: input.accessKeyId,
        });
      });
    });
  }
});

describe("named steps", () => {
  it("bceTimestamp drops milliseconds and refuses dates it cannot write", () => {
    expect(bceTimestamp(new Date("2024-01-02T03:04:05.999Z"))).toBe("2024-01-02T03:04:05Z");
    expect(() => bceTimestamp(new Date("nonsense"))).toThrow(SignerInputError);
    expect(() => bceTimestamp(new Date(Date.UTC(10000, 0, 1)))).toThrow(/between the years/);
    expect(() => bceTimestamp(new Date("-000001-12-31T23:59:59Z"))).toThrow(/between the years/);
    expect(bceTimestamp(new Date("0999-06-01T00:00:00Z"))).toBe("0999-06-01T00:00:00Z");
  });

  it("uriEncodeRaw reads escapes as bytes and writes upper-case escapes", () => {
    expect(uriEncodeRaw("%e6%b5%8b")).toBe("%E6%B5%8B");
    expect(uriEncodeRaw("测")).toBe("%E6%B5%8B");
    expect(uriEncodeRaw("%41~-_.*")).toBe("A~-_.%2A");
    expect(uriEncodeRaw("%FF")).toBe("%FF"); // not UTF-8, kept as the byte it is
    expect(uriEncodeRaw("100%")).toBe("100%25");
    expect(uriEncodeRaw("%zz")).toBe("%25zz");
    expect(uriEncodeRaw("😀 ")).toBe("%F0%9F%98%80%20");
    expect(uriEncode("a b/c:d")).toBe("a%20b%2Fc%3Ad");
  });

  it("canonicalUri keeps separators, %2F inside a segment, and a trailing slash", () => {
    expect(canonicalUri(new URL("https://h"))).toBe("/");
    expect(canonicalUri(new URL("https://h/a%2Fb//c/"))).toBe("/a%2Fb//c/");
    expect(canonicalUri(new URL("https://h/v2/é x"))).toBe("/v2/%C3%A9%20x");
  });

  it("canonicalQuery signs each repeated pair, sorted, and never the authorization parameter", () => {
    expect(canonicalQuery(new URL("https://h/?b=2&a=2&a=1&a&Authorization=x&%61uthorization=y"))).toBe(
      "a=&a=1&a=2&b=2",
    );
    expect(canonicalQuery(new URL("https://h/p"))).toBe("");
    expect(canonicalQuery(new URL("https://h/p?k=a+b"))).toBe("k=a%2Bb"); // a received raw '+' is a plus
  });

  it("headersToSign: the default set plus x-bce-*, except x-bce-request-id and empty values", () => {
    const headers = {
      Host: "h",
      "Content-Type": "text/plain",
      "X-Bce-Meta-A": "1",
      "x-bce-request-id": "r",
      "x-bce-empty": "  ",
      Accept: "*/*",
      Authorization: "bce-auth-v1/…",
    };
    expect(headersToSign(headers)).toEqual(["content-type", "host", "x-bce-meta-a"]);
    expect(headersToSign(headers, [])).toEqual(["content-type", "host", "x-bce-meta-a"]);
    expect(headersToSign(headers, ["Host", "accept", "x-bce-request-id"])).toEqual([
      "accept",
      "host",
      "x-bce-meta-a",
      "x-bce-request-id",
    ]);
  });

  it("canonicalHeaders sorts the lines and, separately, the names", () => {
    const headers = { "x-bce-meta-a-b": "2", "X-Bce-Meta-A": "  one   two ", host: "h" };
    expect(canonicalHeaders(headers, ["x-bce-meta-a", "x-bce-meta-a-b", "host"])).toEqual({
      // '-' sorts before ':', so the lines and the names order differently here.
      canonicalHeaders: "host:h\nx-bce-meta-a-b:2\nx-bce-meta-a:one%20%20%20two",
      signedHeaders: "host;x-bce-meta-a;x-bce-meta-a-b",
    });
    expect(canonicalHeaders(headers, ["x-bce-absent"]).canonicalHeaders).toBe("x-bce-absent:");
  });

  it("canonicalRequest upper-cases the method and ends without a newline", () => {
    expect(canonicalRequest("get", "/", "", "host:h")).toBe("GET\n/\n\nhost:h");
  });
});

const credentials: Credentials = { accessKeyId: "ak-test", secretAccessKey: "sk-test" };
const now = new Date("2024-01-02T03:04:05.250Z");
const opts = (extra: Partial<{ expirationSeconds: number; headersToSign: string[] }> = {}) => ({
  now,
  ...extra,
});

async function fieldOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignerInputError) return error.field;
    throw error;
  }
  throw new Error("expected a SignerInputError");
}

describe("signBaidu", () => {
  it("adds Host (no default port), x-bce-date and Authorization, and keeps the caller's headers and casing", async () => {
    const signed = await signBaidu(
      { method: "GET", url: "https://cce.bj.baidubce.com:443/v2/clusters", headers: { "X-Custom": "a" } },
      credentials,
      opts(),
    );
    expect(Object.keys(signed.headers)).toEqual(["X-Custom", "Host", "x-bce-date", "Authorization"]);
    expect(signed.headers.Host).toBe("cce.bj.baidubce.com");
    expect(signed.headers["x-bce-date"]).toBe("2024-01-02T03:04:05Z");
    expect(signed.headers.Authorization).toMatch(
      /^bce-auth-v1\/ak-test\/2024-01-02T03:04:05Z\/1800\/host;x-bce-date\/[0-9a-f]{64}$/,
    );
    expect(signed.stringToSign).toBe("bce-auth-v1/ak-test/2024-01-02T03:04:05Z/1800");
    const other = await signBaidu(
      { method: "GET", url: "http://localhost:8787/v2/clusters" },
      credentials,
      opts(),
    );
    expect(other.headers.Host).toBe("localhost:8787");
  });

  it("derives the signing key per secret and prefix, also when a request repeats them", async () => {
    const request = { method: "GET", url: "https://cce.bj.baidubce.com/v2/clusters" };
    const expected = async (secret: string) => {
      const prefix = "bce-auth-v1/ak-test/2024-01-02T03:04:05Z/1800";
      const canonical = "GET\n/v2/clusters\n\nhost:cce.bj.baidubce.com\nx-bce-date:2024-01-02T03%3A04%3A05Z";
      return `${prefix}/host;x-bce-date/${await signature(await signingKey(secret, prefix), canonical)}`;
    };
    for (const secret of ["sk-one", "sk-two", "sk-one"]) {
      const signed = await signBaidu(request, { ...credentials, secretAccessKey: secret }, opts());
      expect(signed.headers.Authorization).toBe(await expected(secret));
    }
  });

  it("does not add Content-Length or Content-Type, and replaces a caller's Authorization", async () => {
    const signed = await signBaidu(
      { method: "POST", url: "https://h/v2/cluster", headers: { authorization: "old" }, body: "{}" },
      credentials,
      opts(),
    );
    expect(Object.keys(signed.headers).sort()).toEqual(["Authorization", "Host", "x-bce-date"]);
  });

  it("sends and signs the security token, unless it is already in the query", async () => {
    const sts = { ...credentials, securityToken: "tok/EN+=" };
    const signed = await signBaidu({ method: "GET", url: "https://h/v2/clusters" }, sts, opts());
    expect(signed.headers["x-bce-security-token"]).toBe("tok/EN+=");
    expect(signed.canonicalRequest).toContain("x-bce-security-token:tok%2FEN%2B%3D");
    const inQuery = await signBaidu(
      { method: "GET", url: "https://h/v2/clusters?x-bce-security-token=tok%2FEN%2B%3D" },
      sts,
      opts(),
    );
    expect(inQuery.headers["x-bce-security-token"]).toBeUndefined();
  });

  it("headersToSign replaces the default set, x-bce-* headers stay signed", async () => {
    const signed = await signBaidu(
      {
        method: "PUT",
        url: "https://h/p",
        headers: { "Content-Type": "application/json", "x-bce-acl": "private" },
      },
      credentials,
      opts({ headersToSign: ["Host"] }),
    );
    expect(signed.headers.Authorization).toContain("/1800/host;x-bce-acl;x-bce-date/");
  });

  it("honours expirationSeconds and accepts a matching x-bce-date", async () => {
    const signed = await signBaidu(
      { method: "GET", url: "https://h/p", headers: { "X-BCE-DATE": " 2024-01-02T03:04:05Z " } },
      credentials,
      opts({ expirationSeconds: 60 }),
    );
    expect(signed.stringToSign).toBe("bce-auth-v1/ak-test/2024-01-02T03:04:05Z/60");
    expect(signed.headers["X-BCE-DATE"]).toBe(" 2024-01-02T03:04:05Z ");
  });

  it("refuses bad input, naming the field", async () => {
    const sign = (request: Partial<RequestToSign>, creds: Credentials = credentials, o = opts()) =>
      fieldOf(signBaidu({ method: "GET", url: "https://h/p", ...request }, creds, o));
    expect(await sign({ method: "GE T" })).toBe("method");
    expect(await sign({ headers: { host: " " } })).toBe("headers.host");
    expect(await sign({ url: "/relative" })).toBe("url");
    expect(await sign({ url: "ftp://h/p" })).toBe("url");
    expect(await sign({ url: "https://h/p?q=a+b" })).toBe("url");
    expect(await sign({ url: "https://h/100%/x" })).toBe("url");
    expect(await sign({ headers: { "Bad Name": "x" } })).toBe("headers.Bad Name");
    expect(await sign({ headers: { "X-Note": "测试" } })).toBe("headers.X-Note");
    expect(await sign({ headers: { "X-Note": "a\r\nInjected: 1" } })).toBe("headers.X-Note");
    expect(await sign({ headers: { "x-a": "1", "X-A": "2" } })).toBe("headers.X-A");
    expect(await sign({ headers: { "X-Bce-Date": "2024-01-02T03:04:06Z" } })).toBe("headers.X-Bce-Date");
    expect(await sign({ headers: { "Content-Length": "3" }, body: "测试" })).toBe("headers.Content-Length");
    expect(await sign({}, { accessKeyId: "ak/1", secretAccessKey: "s" })).toBe("accessKeyId");
    expect(await sign({}, { accessKeyId: "ak", secretAccessKey: "" })).toBe("secretAccessKey");
    expect(await sign({}, { ...credentials, securityToken: "" })).toBe("securityToken");
    expect(await sign({}, credentials, opts({ expirationSeconds: 0 }))).toBe("expirationSeconds");
    expect(await sign({}, credentials, opts({ expirationSeconds: 1.5 }))).toBe("expirationSeconds");
    expect(await sign({}, credentials, opts({ headersToSign: ["Authorization"] }))).toBe("headersToSign");
    expect(await sign({}, credentials, { now: new Date(Number.NaN) })).toBe("now");
  });

  it("never puts a secret or token in an error message", async () => {
    const token = "SECRET-TOKEN-VALUE";
    const error = await signBaidu(
      { method: "GET", url: "https://h/p", headers: { "x-bce-security-token": "other" } },
      { accessKeyId: "ak", secretAccessKey: "SECRET-SK", securityToken: token },
      opts(),
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(SignerInputError);
    expect(String((error as Error).message)).not.toMatch(/SECRET|other/);
  });
});

describe("verifyBaidu", () => {
  const body = JSON.stringify({ replicas: 0, note: "夜间缩容" });
  const url =
    "https://cce.bj.baidubce.com/v2/cluster/cce-abc123/instancegroup/cce-ig-xyz/replicas?dryRun=false";
  const lookup = (ak: string) => (ak === "ak-test" ? "sk-test" : undefined);
  const at = (seconds: number) => new Date(Date.parse("2024-01-02T03:04:05Z") + seconds * 1000);

  async function signed(
    extra: Record<string, string> = {},
  ): Promise<RequestToSign & { headers: Record<string, string> }> {
    const headers = {
      "Content-Type": "application/json;charset=utf-8",
      "Content-MD5": base64(md5Bytes(utf8(body))),
      ...extra,
    };
    const result = await signBaidu({ method: "PUT", url, headers, body }, credentials, opts());
    return { method: "PUT", url, headers: result.headers, body };
  }
  const withAuth = (request: RequestToSign & { headers: Record<string, string> }, auth: string) => ({
    ...request,
    headers: { ...request.headers, Authorization: auth },
  });

  it("accepts a valid request, also with lower-cased names and trimmed values as a server sees them", async () => {
    const request = await signed({ "X-Bce-Meta-Note": "  a  b " });
    expect(await verifyBaidu(request, lookup, { now })).toEqual({ ok: true, accessKeyId: "ak-test" });
    const asReceived = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v.trim()]),
    );
    expect((await verifyBaidu({ ...request, headers: asReceived }, lookup, { now })).ok).toBe(true);
  });

  it("reports a missing or malformed Authorization", async () => {
    const request = await signed();
    const auth = request.headers.Authorization!;
    const { Authorization: _, ...none } = request.headers;
    expect(await verifyBaidu({ ...request, headers: none }, lookup, { now })).toMatchObject({
      reason: "missing",
    });
    for (const bad of [
      "Bearer abc",
      auth.replace("bce-auth-v1", "bce-auth-v2"),
      auth.replace("/1800/", "/0/"),
      auth.replace("2024-01-02T03:04:05Z", "2024-02-30T03:04:05Z"),
      auth.slice(0, -1),
      auth.slice(0, -64) + auth.slice(-64).toUpperCase(),
      auth.replace("host;", "host;host;"),
      `${auth}/extra`,
    ]) {
      expect(await verifyBaidu(withAuth(request, bad), lookup, { now })).toMatchObject({
        ok: false,
        reason: "malformed",
      });
    }
  });

  it("reports an unknown access key", async () => {
    const request = await signed();
    expect(await verifyBaidu(request, () => undefined, { now })).toMatchObject({ reason: "unknown-key" });
  });

  it("refuses one changed byte in the signature, query, date header or body", async () => {
    const request = await signed();
    const auth = request.headers.Authorization!;
    const last = auth.at(-1) === "0" ? "1" : "0";
    const cases: RequestToSign[] = [
      withAuth(request, auth.slice(0, -1) + last),
      { ...request, url: url.replace("dryRun=false", "dryRun=falsf") },
      { ...request, url: `${url}&extra=1` },
      { ...request, headers: { ...request.headers, "x-bce-date": "2024-01-02T03:04:06Z" } },
      { ...request, body: body.replace("0", "1") }, // same length: caught by the signed Content-MD5
      { ...request, body: `${body} ` },
      { ...request, method: "POST" },
    ];
    for (const changed of cases) {
      expect(await verifyBaidu(changed, lookup, { now })).toMatchObject({ ok: false, reason: "mismatch" });
    }
  });

  it("refuses a changed auth timestamp and a signed header that was not received", async () => {
    const request = await signed();
    const auth = request.headers.Authorization!;
    const moved = withAuth(request, auth.replace("03:04:05Z", "03:04:06Z"));
    expect(await verifyBaidu(moved, lookup, { now })).toMatchObject({ reason: "mismatch" });
    const { "Content-Type": _, ...rest } = request.headers;
    expect(await verifyBaidu({ ...request, headers: rest }, lookup, { now })).toMatchObject({
      reason: "mismatch",
      detail: 'signed header "content-type" was not received',
    });
  });

  it("without a digest header a body change is not detected: bce-auth-v1 does not sign the body", async () => {
    const result = await signBaidu(
      { method: "PUT", url, headers: { "Content-Length": String(utf8(body).length) }, body },
      credentials,
      opts(),
    );
    const changed = { method: "PUT", url, headers: result.headers, body: body.replace("0", "1") };
    expect((await verifyBaidu(changed, lookup, { now })).ok).toBe(true);
  });

  it("applies expiration and clock skew at their boundaries", async () => {
    const request = await signed();
    expect((await verifyBaidu(request, lookup, { now: at(1800) })).ok).toBe(true);
    expect(await verifyBaidu(request, lookup, { now: at(1801) })).toMatchObject({ reason: "expired" });
    expect((await verifyBaidu(request, lookup, { now: at(-1800) })).ok).toBe(true);
    expect(await verifyBaidu(request, lookup, { now: at(-1801) })).toMatchObject({ reason: "expired" });
    expect(await verifyBaidu(request, lookup, { now: at(-61), maxSkewSeconds: 60 })).toMatchObject({
      reason: "expired",
    });
  });

  it("recomputes over the default set when the signed-headers field is empty", async () => {
    const headers = {
      Host: "h",
      "Content-Type": "text/plain",
      "x-bce-date": "2024-01-02T03:04:05Z",
      Accept: "x",
    };
    const prefix = "bce-auth-v1/ak-test/2024-01-02T03:04:05Z/1800";
    const lines = canonicalHeaders(headers, ["content-type", "host", "x-bce-date"]).canonicalHeaders;
    const sig = await signature(
      await signingKey("sk-test", prefix),
      canonicalRequest("GET", "/p", "", lines),
    );
    const request = {
      method: "GET",
      url: "https://h/p",
      headers: { ...headers, Authorization: `${prefix}//${sig}` },
    };
    expect(await verifyBaidu(request, lookup, { now })).toEqual({ ok: true, accessKeyId: "ak-test" });
    const extra = { ...request, headers: { ...request.headers, "x-bce-acl": "private" } };
    expect(await verifyBaidu(extra, lookup, { now })).toMatchObject({ reason: "mismatch" });
  });

  it("parseAuthorization splits the six fields", () => {
    expect(
      parseAuthorization(`bce-auth-v1/ak/2024-01-02T03:04:05Z/60/host;X-Bce-Date/${"a".repeat(64)}`),
    ).toEqual({
      accessKeyId: "ak",
      timestamp: "2024-01-02T03:04:05Z",
      expirationSeconds: 60,
      signedHeaders: ["host", "x-bce-date"],
      signature: "a".repeat(64),
    });
    expect(parseAuthorization(`bce-auth-v1//2024-01-02T03:04:05Z/60/host/${"a".repeat(64)}`)).toMatch(
      /empty/,
    );
  });
});
