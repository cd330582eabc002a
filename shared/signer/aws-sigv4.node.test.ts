// Our SigV4 against the AWS SDK's own signer (@smithy/signature-v4) on the same requests.
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { signAwsV4 } from "./aws-sigv4.ts";

const credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const now = new Date("2026-03-02T22:00:07.123Z");

const cases = [
  {
    method: "POST",
    url: "https://events.eu-central-1.amazonaws.com/",
    body: '{"Entries":[{"Source":"nightshift"}]}',
  },
  { method: "POST", url: "http://127.0.0.1:43400/", body: "ü and  spaces" },
  { method: "GET", url: "https://events.cn-north-1.amazonaws.com.cn/some path/x?b=2&a=%2F&a=1", body: "" },
];

describe("signAwsV4 matches @smithy/signature-v4", () => {
  for (const c of cases) {
    it(`${c.method} ${c.url}`, async () => {
      const url = new URL(c.url);
      const headers = { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.PutEvents" };
      const ours = await signAwsV4({ ...c, headers }, credentials, {
        now,
        region: "eu-central-1",
        service: "events",
      });
      const sdk = await new SignatureV4({
        applyChecksum: false,
        credentials,
        region: "eu-central-1",
        service: "events",
        sha256: Sha256,
      }).sign(
        {
          method: c.method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query: Object.fromEntries(
            [...url.searchParams.keys()].map((k) => {
              const all = url.searchParams.getAll(k);
              return [k, all.length === 1 ? all[0]! : all];
            }),
          ),
          headers: { ...headers, host: url.host },
          body: c.body,
        },
        { signingDate: now },
      );
      expect(ours.headers.Authorization).toBe(sdk.headers.authorization);
    });
  }
});
