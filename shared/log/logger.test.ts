import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { isSecretName } from "./redact.ts";

const now = () => new Date("2026-11-22T08:00:00Z");

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const log = createLogger({ now, write: (line) => lines.push(line), ...options });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const pem = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
  "-----END RSA PRIVATE KEY-----",
].join("\n");

// Every secret below must be absent from the output, whatever shape carries it.
const secrets = {
  sk: "hw-SECRET-KEY-0123456789abcdef",
  sts: "STS-TOKEN-abcdefghijklmnopqrstuvwxyz",
  huaweiSig: "2f5d4d1e3b9a8c7d6e5f40312a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
  aliSig: "lDxcE7ioEderGD+BiVcHbBPNW2s=",
  baiduSig: "cb379b788efb6d530e7f345033f908a5cb6d5068d93204d39d624391ec48b5bb",
  keyData: "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVB",
  bearer: "adm-7f3a9c1e5b2d4f6a8c0e",
  webhook: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
};

describe("logger redaction", () => {
  it("never writes credentials, tokens, signatures, private keys or kubeconfig key data", () => {
    const { log, lines } = capture({ secrets: [secrets.sk] });
    log.info("calling cloud", {
      credentials: { accessKeyId: "AKIDPUBLIC", secretAccessKey: secrets.sk, securityToken: secrets.sts },
      headers: {
        Authorization: `SDK-HMAC-SHA256 Access=AKIDPUBLIC, SignedHeaders=host;x-sdk-date, Signature=${secrets.huaweiSig}`,
        "X-Security-Token": secrets.sts,
        "x-acs-signature-nonce": "n-1",
      },
      request: { authorization: `acs AKIDPUBLIC:${secrets.aliSig}` },
      note: `signed bce-auth-v1/ak/2024-01-02T03:04:05Z/1800/host;x-bce-date/${secrets.baiduSig}`,
      kubeconfig: `users:\n- user:\n    client-key-data: ${secrets.keyData}`,
      pasted: `client-key-data: ${secrets.keyData}`,
      error: new Error(`boom with ${pem} and Bearer ${secrets.bearer}`),
      webhookSecret: secrets.webhook,
      quoted: `the secret was ${secrets.sk} in text`,
      webhook: `webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= and ${secrets.webhook}`,
    });
    const line = lines.join("\n");
    for (const [name, secret] of Object.entries(secrets)) expect(line, name).not.toContain(secret);
    expect(line).not.toContain("PRIVATE KEY-----\nMII");
    expect(line).not.toContain("g0hM9SsE");
    // What is not secret is still useful.
    expect(line).toContain("AKIDPUBLIC");
    expect(line).toContain("x-acs-signature-nonce");
    expect(line).toContain("n-1");
  });

  it("redacts the message text too, and headers given as a Headers object", () => {
    const { log, lines } = capture();
    log.warn(`retrying with Authorization: Bearer ${secrets.bearer}`, {
      headers: new Headers({ "x-bce-security-token": secrets.sts, "content-type": "application/json" }),
    });
    expect(lines[0]).not.toContain(secrets.bearer);
    expect(lines[0]).not.toContain(secrets.sts);
    expect(lines[0]).toContain("application/json");
  });

  it("masks the token of an action link wherever its /actions/ path appears", () => {
    const { log, lines } = capture();
    const token = "eyJ2IjoxLCJhIjoic25vb3plIn0.Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG0";
    log.error(`fetch https://ns.example.com/actions/${token} failed`, { path: `/actions/${token}?x=1` });
    expect(lines[0]).not.toContain(token.split(".")[0]);
    expect(lines[0]).not.toContain(token.split(".")[1]);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: "fetch https://ns.example.com/actions/[REDACTED] failed",
      path: "/actions/[REDACTED]?x=1",
    });
  });

  it("writes one JSON object per line with time, level and message, and honours the level", () => {
    const { log, records } = capture({ level: "info", fields: { host: "node" } });
    log.debug("hidden");
    log.child({ target: "huawei/prod/c1" }).info("tick", { at: new Date("2026-11-22T07:59:00Z"), n: 3 });
    expect(records()).toEqual([
      {
        time: "2026-11-22T08:00:00.000Z",
        level: "info",
        msg: "tick",
        host: "node",
        target: "huawei/prod/c1",
        at: "2026-11-22T07:59:00.000Z",
        n: 3,
      },
    ]);
  });

  it("writes short text lines for a terminal, redacted the same way", () => {
    const lines: string[] = [];
    const log = createLogger({
      format: "text",
      write: (line) => lines.push(line),
      now: () => new Date(2026, 2, 16, 22, 0, 5),
      secrets: ["hunter2-secret"],
    });
    log.child({ target: "huawei:qa:cn-north-4:c1" }).info("sleep succeeded", {
      changed: "scale-pool batch 3→0, hibernate",
      before: { batch: 3 },
    });
    log.warn("token hunter2-secret refused");
    expect(lines).toEqual([
      '22:00:05  sleep succeeded  target=huawei:qa:cn-north-4:c1  changed=scale-pool batch 3→0, hibernate  before={"batch":3}',
      "22:00:05  WARN  token [REDACTED] refused",
    ]);
  });

  it("keeps routine lines (every tick, every step) for machines and out of a person's terminal", () => {
    const json: string[] = [];
    const text: string[] = [];
    createLogger({ write: (line) => json.push(line) }).routine("tick", { acted: 0 });
    createLogger({ format: "text", write: (line) => text.push(line) }).routine("tick", { acted: 0 });
    createLogger({ format: "text", level: "debug", write: (line) => text.push(line) }).routine("tick");
    expect(json.map((line) => JSON.parse(line))).toMatchObject([{ level: "info", msg: "tick", acted: 0 }]);
    expect(text).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d {2}DEBUG {2}tick$/)]);
  });

  it("survives cycles, bytes and bigints", () => {
    const { log, records } = capture();
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    log.error("odd values", { loop, bytes: new Uint8Array(4), big: 10n });
    expect(records()[0]).toMatchObject({
      loop: { name: "loop", self: "[Circular]" },
      bytes: "[4 bytes]",
      big: "10",
    });
  });
});

describe("isSecretName", () => {
  it.each([
    "secretAccessKey",
    "X-Security-Token",
    "x-acs-security-token",
    "password",
    "client-key-data",
    "Authorization",
    "webhook-signature",
    "tokens",
    "privateKey",
  ])("%s is secret", (name) => expect(isSecretName(name)).toBe(true));
  it.each(["accessKeyId", "signedHeaders", "region", "clusterId", "tokenExpiresAt"])("%s is not", (name) =>
    expect(isSecretName(name)).toBe(false),
  );
});
