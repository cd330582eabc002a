// Validation of an issued credential on every cloud's sandbox output, and on the ways it goes wrong:
// another cluster's, not later than the one it replaces, expired, unparsable, a foreign key.
import { beforeAll, describe, expect, it } from "vitest";
import { type VendorKubeconfig, vendorKubeconfigs } from "../../test/fixtures/kubeconfigs.ts";
import { kubeconfigYaml } from "../sandbox/baidu/kubeconfig.ts";
import { createSandboxCa, type SandboxCa } from "../sandbox/ca.ts";
import { seededRandom } from "../sandbox/clock.ts";
import { type CredentialExpectation, validateIssuedCredential } from "./validate.ts";

const NOW = new Date("2026-03-02T09:00:00Z");
const LATER = new Date(NOW.getTime() + 60_000);
let ca: SandboxCa;
let issued: Record<string, VendorKubeconfig>;

beforeAll(async () => {
  ca = await createSandboxCa({ now: NOW, random: seededRandom(11) });
  issued = Object.fromEntries((await vendorKubeconfigs(ca, NOW)).map((k) => [k.provider, k]));
});

const expectation = (vendor: VendorKubeconfig, extra: Partial<CredentialExpectation> = {}) => ({
  provider: vendor.provider,
  clusterId: vendor.clusterId,
  now: LATER,
  ...extra,
});

describe("validateIssuedCredential", () => {
  it("accepts each cloud's fresh credential, saying how it recognised the cluster", async () => {
    const evidence: Record<string, string> = {};
    for (const vendor of Object.values(issued)) {
      const result = await validateIssuedCredential(
        vendor.text,
        expectation(vendor, {
          previous: {
            notAfter: new Date(vendor.notAfter.getTime() - 1000),
            servers: vendor.provider === "huawei" ? [vendor.server] : [],
          },
        }),
      );
      if (!result.ok) throw new Error(`${vendor.provider}: ${JSON.stringify(result.problems)}`);
      expect(result.kubeconfig.certificate.notAfter).toEqual(vendor.notAfter);
      evidence[vendor.provider] = result.clusterEvidence;
    }
    expect(evidence).toEqual({
      huawei: "known server https://192.168.0.12:5443",
      autopilot: `server ${issued.autopilot!.server}`,
      alibaba: `context "1234567890123456-${issued.alibaba!.clusterId}"`,
      baidu: 'cluster entry "cce-abcd1234"',
    });
  });

  it("says when Huawei's first credential cannot be tied to the cluster", async () => {
    const result = await validateIssuedCredential(issued.huawei!.text, expectation(issued.huawei!));
    expect(result.ok && result.clusterEvidence).toMatch(
      /^unverifiable: a Huawei CCE kubeconfig names no cluster id/,
    );
  });

  it("refuses another cluster's credential, per cloud", async () => {
    const messages: Record<string, string> = {};
    for (const vendor of Object.values(issued)) {
      const result = await validateIssuedCredential(
        vendor.text,
        expectation(vendor, { clusterId: "c-other", servers: ["https://10.9.9.9:5443"] }),
      );
      expect(result.ok, vendor.provider).toBe(false);
      if (result.ok) continue;
      expect(
        result.problems.map((p) => p.check),
        vendor.provider,
      ).toEqual(["right-cluster"]);
      messages[vendor.provider] = result.problems[0]!.message;
    }
    expect(messages.alibaba).toBe(
      `the context "1234567890123456-${issued.alibaba!.clusterId}" is not "<uid>-c-other": the kubeconfig is for another cluster`,
    );
    expect(messages.baidu).toBe(
      'the cluster entry is "cce-abcd1234", not "c-other": the kubeconfig is for another cluster',
    );
    expect(messages.huawei).toBe(
      "the kubeconfig's servers (https://192.168.0.12:5443) are none of the servers known for cluster c-other (https://10.9.9.9:5443)",
    );
    expect(messages.autopilot).toContain("do not carry the cluster id c-other");
  });

  it("refuses a certificate that does not end later than the one it replaces, or has ended", async () => {
    const vendor = issued.alibaba!;
    const same = await validateIssuedCredential(
      vendor.text,
      expectation(vendor, { previous: { notAfter: vendor.notAfter } }),
    );
    expect(same).toEqual({
      ok: false,
      problems: [
        {
          check: "later-than-previous",
          message: `the new certificate ends ${vendor.notAfter.toISOString()}, not later than the one it replaces (${vendor.notAfter.toISOString()})`,
        },
      ],
    });
    const expired = await validateIssuedCredential(
      vendor.text,
      expectation(vendor, { now: vendor.notAfter }),
    );
    expect(expired.ok === false && expired.problems.map((p) => p.check)).toEqual(["not-expired"]);
  });

  it("refuses what does not parse, and a key that is not the certificate's, reporting every problem", async () => {
    const garbage = await validateIssuedCredential(
      "<html>502 Bad Gateway</html>",
      expectation(issued.baidu!),
    );
    expect(garbage).toEqual({
      ok: false,
      problems: [
        {
          check: "parses",
          message: "(document): is not a kubeconfig: expected a mapping with clusters, users and contexts",
        },
      ],
    });
    const a = await ca.issue({
      commonName: "a",
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + 3_600_000),
    });
    const b = await ca.issue({
      commonName: "b",
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + 3_600_000),
    });
    const foreignKey = kubeconfigYaml({
      clusterName: "cce-other",
      userName: "u",
      server: "https://1.2.3.4:6443",
      caPem: ca.caPem,
      certPem: a.certPem,
      keyPem: b.keyPem,
    });
    const result = await validateIssuedCredential(foreignKey, expectation(issued.baidu!));
    expect(result.ok === false && result.problems.map((p) => p.check)).toEqual([
      "right-cluster",
      "key-matches",
    ]);
    expect(JSON.stringify(result)).not.toMatch(/PRIVATE KEY|client-key-data:/);
  });
});
