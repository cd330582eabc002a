import { describe, expect, it } from "vitest";
import { amzDate, canonicalQuery, canonicalUri, signAwsV4 } from "./aws-sigv4.ts";
import { SignerInputError } from "./request.ts";

// AWS's published SigV4 test suite, "get-vanilla" (aws-sig-v4-test-suite).
const EXAMPLE = {
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  now: new Date("2015-08-30T12:36:00Z"),
};

describe("signAwsV4", () => {
  it("signs AWS's get-vanilla example to its published signature", async () => {
    const signed = await signAwsV4(
      { method: "GET", url: "https://example.amazonaws.com/" },
      EXAMPLE.credentials,
      { now: EXAMPLE.now, region: "us-east-1", service: "service" },
    );
    expect(signed.canonicalRequest).toBe(
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(signed.headers).toEqual({
      "X-Amz-Date": "20150830T123600Z",
      Authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    });
  });

  it("signs the security token of temporary credentials and sends it", async () => {
    const signed = await signAwsV4(
      { method: "POST", url: "https://events.eu-central-1.amazonaws.com/", body: "{}" },
      { ...EXAMPLE.credentials, securityToken: "token-1" },
      { now: EXAMPLE.now, region: "eu-central-1", service: "events" },
    );
    expect(signed.headers["X-Amz-Security-Token"]).toBe("token-1");
    expect(signed.headers.Authorization).toContain("SignedHeaders=host;x-amz-date;x-amz-security-token,");
  });

  it("encodes path segments again and sorts the query by encoded key", () => {
    expect(canonicalUri(new URL("https://h/a b/%2F"))).toBe("/a%2520b/%252F");
    expect(canonicalQuery(new URL("https://h/?b=2&a=x y&a=1&c"))).toBe("a=1&a=x%20y&b=2&c=");
  });

  it("names the field to fix for a bad time or region", async () => {
    expect(() => amzDate(new Date(Number.NaN))).toThrow(SignerInputError);
    await expect(
      signAwsV4({ method: "GET", url: "https://h/" }, EXAMPLE.credentials, {
        now: EXAMPLE.now,
        region: "EU Central",
        service: "events",
      }),
    ).rejects.toThrow(/region/);
  });
});
