// The kubeconfig reader: the YAML subset kubeconfigs use, the facts nightshift needs from it,
// and a clear refusal (with a line or a field) of anything else.
import { beforeAll, describe, expect, it } from "vitest";
import { issueKubeconfig, kubeconfigYaml } from "../sandbox/baidu/kubeconfig.ts";
import { createSandboxCa, type SandboxCa } from "../sandbox/ca.ts";
import { seededRandom } from "../sandbox/clock.ts";
import { KubeconfigError, parseYamlSubset, readKubeconfig } from "./baidu.kubeconfig.ts";

const NOW = new Date("2026-03-02T09:00:00Z");
let ca: SandboxCa;
let certPem: string;
let keyPem: string;

beforeAll(async () => {
  ca = await createSandboxCa({ now: NOW, random: seededRandom(3) });
  ({ certPem, keyPem } = await ca.issue({
    commonName: "tester",
    notBefore: NOW,
    notAfter: new Date(NOW.getTime() + 30 * 86_400_000),
  }));
});

function kubeconfigError(fn: () => unknown): KubeconfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KubeconfigError) return error;
    throw error;
  }
  throw new Error("expected a KubeconfigError");
}

describe("YAML subset", () => {
  it("reads block mappings, both sequence styles, quoted and plain scalars, comments", () => {
    const yaml = [
      "---",
      "# a comment",
      "a: plain text # trailing comment",
      "b: 'it''s'",
      'c: "line\\nbreak"',
      "d:",
      "e: ~",
      "f: {}",
      "list:",
      "- one",
      "- k: v",
      "  k2: v2",
      "nested:",
      "  items:",
      "    - x: 1",
      "      y: 'two'",
      "    -",
      "      z: 3",
      "url: https://10.0.0.1:6443",
    ].join("\n");
    expect(parseYamlSubset(yaml)).toEqual({
      a: "plain text",
      b: "it's",
      c: "line\nbreak",
      d: null,
      e: null,
      f: {},
      list: ["one", { k: "v", k2: "v2" }],
      nested: { items: [{ x: "1", y: "two" }, { z: "3" }] },
      url: "https://10.0.0.1:6443",
    });
  });

  it("refuses what it does not read, with the line", () => {
    expect(kubeconfigError(() => parseYamlSubset("a: 1\n\tb: 2")).field).toBe("line 2");
    expect(kubeconfigError(() => parseYamlSubset("a: {b: 1}")).message).toMatch(/^line 1: .*not support/);
    expect(kubeconfigError(() => parseYamlSubset("a: |\n  text")).message).toMatch(/^line 1: /);
    expect(kubeconfigError(() => parseYamlSubset("a: 1\na: 2")).message).toBe('line 2: duplicate key "a"');
    expect(kubeconfigError(() => parseYamlSubset("a: 1\n    b: 2")).message).toBe(
      "line 2: unexpected indentation",
    );
    expect(kubeconfigError(() => parseYamlSubset('a: "open')).message).toBe(
      "line 1: unterminated double-quoted string",
    );
  });
});

describe("readKubeconfig", () => {
  it("reads the server and the real certificate validity of what the sandbox issues", async () => {
    const yaml = await issueKubeconfig({
      ca,
      now: NOW,
      clusterID: "cce-abcd1234",
      userName: "acme-bj",
      server: "https://106.12.1.2:6443",
    });
    const facts = readKubeconfig(yaml);
    expect(facts.server).toBe("https://106.12.1.2:6443");
    expect(facts.notBefore).toEqual(NOW);
    expect(facts.notAfter).toEqual(new Date(NOW.getTime() + 365 * 86_400_000));
  });

  it("follows current-context among several contexts, in the indented sequence style", () => {
    const b64 = btoa(certPem);
    const yaml = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: a",
      "    cluster:",
      "      server: https://a.example:6443",
      "  - name: b",
      "    cluster:",
      '      server: "https://b.example:6443"',
      "contexts:",
      "  - name: ctx-a",
      "    context: {cluster: a, user: ua}",
      "  - name: ctx-b",
      "    context:",
      "      cluster: b",
      "      user: ub",
      "current-context: ctx-b",
      "users:",
      "  - name: ub",
      "    user:",
      `      client-certificate-data: ${b64}`,
    ].join("\n");
    // The flow mapping in ctx-a is outside the subset: refused even though ctx-b is chosen.
    expect(kubeconfigError(() => readKubeconfig(yaml)).field).toBe("line 12");
    const facts = readKubeconfig(
      yaml.replace("    context: {cluster: a, user: ua}", "    context:\n      cluster: a\n      user: ua"),
    );
    expect(facts.server).toBe("https://b.example:6443");
    expect(facts.notAfter).toEqual(new Date(NOW.getTime() + 30 * 86_400_000));
  });

  it("accepts a base64 DER certificate too", () => {
    const der = certPem.replace(/-----[A-Z ]+-----|\s/g, "");
    const yaml = kubeconfigYaml({
      clusterName: "c",
      userName: "u",
      server: "https://s:6443",
      caPem: ca.caPem,
      certPem,
      keyPem,
    }).replace(btoa(certPem), der);
    expect(readKubeconfig(yaml).notBefore).toEqual(NOW);
  });

  it("names the field that is missing or wrong", () => {
    const good = kubeconfigYaml({
      clusterName: "c",
      userName: "u",
      server: "https://s:6443",
      caPem: ca.caPem,
      certPem,
      keyPem,
    });
    const noCert = good.replace(/ {4}client-certificate-data: .*\n/, "");
    expect(kubeconfigError(() => readKubeconfig(noCert)).message).toBe(
      "users[0].user.client-certificate-data: missing",
    );
    const fileCert = good.replace(/client-certificate-data: .*\n/, "client-certificate: /tmp/cert.pem\n");
    expect(kubeconfigError(() => readKubeconfig(fileCert)).message).toMatch(/points to a certificate file/);
    const notCert = good.replace(
      /client-certificate-data: .*\n/,
      `client-certificate-data: ${btoa("hello")}\n`,
    );
    expect(kubeconfigError(() => readKubeconfig(notCert)).message).toMatch(/not an X.509 certificate/);
    const noServer = good.replace(/ {4}server: .*\n/, "");
    expect(kubeconfigError(() => readKubeconfig(noServer)).field).toBe("clusters[0].cluster.server");
    const wrongContext = good.replace("current-context: u@c", "current-context: other");
    expect(kubeconfigError(() => readKubeconfig(wrongContext)).message).toBe(
      'contexts: no entry named "other"',
    );
    expect(kubeconfigError(() => readKubeconfig("- a\n- b")).field).toBe("(document)");
  });
});
