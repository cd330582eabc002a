import { describe, expect, it } from "vitest";
import { createLogger } from "../log/logger.ts";
import { assertNoKeyMaterial, findKeyMaterial } from "./key-material.ts";
import { planRenewal } from "./policy.ts";
import { deliveryRecord, failedRecord, issuedRecord, plannedRecord, WITHHELD } from "./records.ts";
import { sinkStateForNewCredential } from "./sinks/sink.ts";
import { sampleCredential } from "./testing.ts";

const now = new Date("2026-01-01T00:00:00Z");
const credential = await sampleCredential({ now, lifetimeMs: 3 * 86_400_000 });

describe("findKeyMaterial", () => {
  it("finds a kubeconfig's key material in every form it travels in", () => {
    const kinds = (value: unknown) => new Set(findKeyMaterial(value).map((f) => f.kind));
    expect(kinds(credential.kubeconfig)).toEqual(
      new Set(["base64-pem", "kubeconfig-credential", "base64-blob"]),
    );
    expect(kinds(credential.keyPem)).toContain("pem");
    expect(kinds({ error: new Error(`could not parse ${credential.keyPem}`) })).toContain("pem");
    // A raw key without PEM armour: base64 of DER.
    const der = credential.keyPem
      .split("\n")
      .filter((l) => !l.startsWith("-----"))
      .join("");
    expect(kinds([der])).toEqual(new Set(["base64-blob"]));
    expect(findKeyMaterial({ data: { kubeconfig: credential.kubeconfig } })[0]?.path).toBe(
      "$.data.kubeconfig",
    );
  });

  it("leaves metadata, digests, ids and redacted lines alone", () => {
    expect(findKeyMaterial(credential.facts)).toEqual([]);
    expect(
      findKeyMaterial({
        digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        id: "msg_0f3a",
      }),
    ).toEqual([]);
    const lines: string[] = [];
    const keyLine = credential.kubeconfig.split("\n").find((l) => l.includes("client-key-data"));
    expect(findKeyMaterial(keyLine)).not.toEqual([]);
    // The logger's redaction takes the key out; what remains passes the scan.
    createLogger({ write: (l) => lines.push(l), now: () => now }).warn("issue failed", { body: keyLine });
    expect(lines).toHaveLength(1);
    expect(findKeyMaterial(lines)).toEqual([]);
  });

  it("assertNoKeyMaterial names where, never what", () => {
    expect(() => assertNoKeyMaterial({ lines: ["fine"], payloads: [{ ok: 1 }] })).not.toThrow();
    let message = "";
    try {
      assertNoKeyMaterial({ lines: ["fine", `oops ${credential.kubeconfig}`] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^key material found in \d+ place\(s\): line 2 \(/);
    expect(message).not.toMatch(/LS0tLS1CRUdJT|BEGIN/);
  });
});

describe("renewal records carry metadata only", () => {
  it("builds every record from the five certificate fields, target, reason and sink", async () => {
    const plan = planRenewal({ now, stored: { kind: "none" }, spec: {} });
    const state = sinkStateForNewCredential(
      "ci",
      { id: "msg_1", serial: credential.facts.serial },
      undefined,
      now,
    );
    // Hand the builders more than they need: the kubeconfig must not come along.
    const loaded = { ...credential.facts, kubeconfig: credential.kubeconfig } as typeof credential.facts;
    const records = [
      plannedRecord("huawei:acct:region:c1", plan, loaded, now),
      issuedRecord("huawei:acct:region:c1", loaded, "none-stored", now),
      failedRecord(
        "huawei:acct:region:c1",
        { message: "CCE.01400001 bad duration", failedAttempts: 1, nextAttemptAt: now },
        now,
      ),
      deliveryRecord(
        "huawei:acct:region:c1",
        loaded,
        { ok: false, reason: "refused", message: "HTTP 500", retryable: true },
        state,
        now,
      ),
    ];
    assertNoKeyMaterial({ payloads: records, lines: records.map((r) => JSON.stringify(r)) });
    expect(records[1]?.certificate).toEqual({
      subject: credential.facts.subject,
      issuer: credential.facts.issuer,
      serial: credential.facts.serial,
      notBefore: credential.facts.notBefore.toISOString(),
      notAfter: credential.facts.notAfter.toISOString(),
    });
    expect(Object.keys(records[3] ?? {})).toEqual([
      "event",
      "target",
      "at",
      "sink",
      "certificate",
      "message",
      "nextAttemptAt",
    ]);
  });

  it("withholds free text that looks like key material", () => {
    const record = failedRecord(
      "t",
      { message: `provider said: ${credential.keyPem}`, failedAttempts: 2, nextAttemptAt: now },
      now,
    );
    expect(record.message).toBe(WITHHELD);
  });
});
