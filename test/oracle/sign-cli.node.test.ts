// The `nightshift sign` contract end to end: thousands of random requests per vendor go through
// the real CLI process as JSON Lines, and the vendor's own SDK signer, given the same request and
// the date/nonce our headers carry, must compute exactly the Authorization we produced.
import { spawn } from "node:child_process";
import { once } from "node:events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as alibaba from "./alibaba.ts";
import * as alibabaAcs3 from "./alibaba-acs3.ts";
import * as baidu from "./baidu.ts";
import * as huawei from "./huawei.ts";

const CLI = new URL("../../functions/cli.node.ts", import.meta.url).pathname;
const REQUESTS_PER_VENDOR = 3000;

async function nightshiftSign(stdin: string, args: string[] = []) {
  const child = spawn(process.execPath, [CLI, "sign", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(stdin);
  const [code] = (await once(child, "exit")) as [number];
  return { code, stdout, stderr };
}

const authorization = (headers: Record<string, string>) =>
  Object.entries(headers).find(([name]) => name.toLowerCase() === "authorization")?.[1];

interface Oracle<T> {
  randomRequest: fc.Arbitrary<T>;
  sdkSignature: (input: T, headers: Record<string, string>) => string | Promise<string>;
}

const oracles: Array<[string, Oracle<unknown>]> = [
  ["huawei", huawei as unknown as Oracle<unknown>],
  // `signature` picks the scheme: ROA must be asked for, V3 is what an unmarked request gets.
  [
    "alibaba (roa)",
    {
      randomRequest: alibaba.randomRequest.map((r) => ({ ...r, signature: "roa" })),
      sdkSignature: alibaba.sdkSignature,
    } as unknown as Oracle<unknown>,
  ],
  [
    "alibaba (acs3, the default)",
    {
      randomRequest: alibabaAcs3.randomRequest.map(({ signature: _default, ...r }) => r),
      sdkSignature: alibabaAcs3.sdkSignature,
    } as unknown as Oracle<unknown>,
  ],
  ["baidu", baidu as unknown as Oracle<unknown>],
];

describe.each(oracles)("nightshift sign, %s", (vendor, oracle) => {
  it(`signs ${REQUESTS_PER_VENDOR} random requests exactly as the vendor SDK does`, {
    timeout: 120_000,
  }, async () => {
    const inputs = fc.sample(oracle.randomRequest, { numRuns: REQUESTS_PER_VENDOR, seed: 20261122 });
    const { code, stdout, stderr } = await nightshiftSign(inputs.map((i) => JSON.stringify(i)).join("\n"));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const outputs = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(outputs).toHaveLength(inputs.length);
    const mismatches: unknown[] = [];
    for (const [i, input] of inputs.entries()) {
      const ours = authorization(outputs[i].headers);
      const theirs = await oracle.sdkSignature(input, outputs[i].headers);
      if (ours !== theirs) mismatches.push({ vendor, input, ours, theirs });
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
  });
});

describe("nightshift sign, bad input", () => {
  const good = {
    vendor: "baidu",
    accessKeyId: "ak-test",
    secretAccessKey: "sk-test",
    method: "GET",
    url: "https://cce.bj.baidubce.com/v2/clusters",
    now: "2024-01-02T03:04:05Z",
  };

  it("answers the good lines, names the bad line and field on stderr, exits 2", async () => {
    const lines = [
      JSON.stringify(good),
      JSON.stringify({ ...good, method: "GET /" }),
      "{not json",
      JSON.stringify({ ...good, vendor: "aws" }),
      JSON.stringify({ ...good, secretAccesKey: "typo" }),
      JSON.stringify({ ...good, url: "/relative" }),
      JSON.stringify({ ...good, vendor: "huawei", expirationSeconds: 60 }),
      JSON.stringify({ ...good, now: "yesterday" }),
      "",
      JSON.stringify({ ...good, method: "post", body: '{"名称":"测试"}' }),
    ];
    const { code, stdout, stderr } = await nightshiftSign(lines.join("\n"));
    expect(code).toBe(2);
    const answered = stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(answered).toHaveLength(2);
    expect(answered[0].headers.Authorization).toMatch(/^bce-auth-v1\/ak-test\/2024-01-02T03:04:05Z\/1800\//);
    expect(answered[1].canonicalRequest.startsWith("POST\n")).toBe(true);
    const messages = stderr.trimEnd().split("\n");
    expect(messages).toEqual([
      expect.stringMatching(/^nightshift sign: line 2: field "method": must be an HTTP method/),
      expect.stringMatching(/^nightshift sign: line 3: is not valid JSON/),
      expect.stringMatching(
        /^nightshift sign: line 4: field "vendor": must be "huawei", "alibaba" or "baidu"/,
      ),
      expect.stringMatching(/^nightshift sign: line 5: field "secretAccesKey": is not a known field/),
      expect.stringMatching(/^nightshift sign: line 6: field "url": /),
      expect.stringMatching(
        /^nightshift sign: line 7: field "expirationSeconds": only applies to vendor "baidu"/,
      ),
      expect.stringMatching(/^nightshift sign: line 8: field "now": must be an ISO-8601 time/),
    ]);
    expect(stderr).not.toContain("sk-test");
  });

  it("refuses an option it does not take (naming it, with the usage) before reading stdin, exits 2", async () => {
    const { code, stdout, stderr } = await nightshiftSign(JSON.stringify(good), ["--format", "json"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^nightshift sign: unknown option --format\n\nUsage: nightshift sign/);
    const help = await nightshiftSign("", ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nightshift sign/);
  });

  it("accepts one pretty-printed request", async () => {
    const { code, stdout } = await nightshiftSign(JSON.stringify(good, null, 2));
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n")).toHaveLength(1);
  });
});
