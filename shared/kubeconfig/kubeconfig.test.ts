// The one kubeconfig reader, on what every sandbox cloud issues (real X.509 from the sandbox CA)
// and on broken inputs: each refusal names its problem and field, and none quotes key material.
import "reflect-metadata";
import { ECParameters, ECPrivateKey } from "@peculiar/asn1-ecc";
import { PrivateKeyInfo } from "@peculiar/asn1-pkcs8";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as x509 from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import { type VendorKubeconfig, vendorKubeconfigs } from "../../test/fixtures/kubeconfigs.ts";
import { kubeconfigYaml } from "../sandbox/baidu/kubeconfig.ts";
import { createSandboxCa, type SandboxCa } from "../sandbox/ca.ts";
import { seededRandom } from "../sandbox/clock.ts";
import { clusterCert } from "../sandbox/huawei/kubeconfig.ts";
import type { ClusterRecord } from "../sandbox/huawei/model.ts";
import {
  KubeconfigError,
  type KubeconfigProblem,
  keyMatchesCertificate,
  parseKubeconfig,
  readKubeconfig,
  readUsableKubeconfig,
} from "./kubeconfig.ts";

const NOW = new Date("2026-03-02T09:00:00Z");
let ca: SandboxCa;
let issued: VendorKubeconfig[];
let certPem: string;
let keyPem: string;
let otherKeyPem: string;

const b64 = (text: string) => btoa(text);
const pem = (der: ArrayBuffer, label: string) => x509.PemConverter.encode(der, label);

beforeAll(async () => {
  ca = await createSandboxCa({ now: NOW, random: seededRandom(3) });
  issued = await vendorKubeconfigs(ca, NOW);
  ({ certPem, keyPem } = await ca.issue({
    commonName: "tester",
    notBefore: NOW,
    notAfter: new Date(NOW.getTime() + 86_400_000),
  }));
  otherKeyPem = (
    await ca.issue({ commonName: "other", notBefore: NOW, notAfter: new Date(NOW.getTime() + 1000) })
  ).keyPem;
});

const yamlWith = (parts: { cert?: string; key?: string; server?: string } = {}) =>
  kubeconfigYaml({
    clusterName: "c",
    userName: "u",
    server: parts.server ?? "https://s:6443",
    caPem: ca.caPem,
    certPem: parts.cert ?? certPem,
    keyPem: parts.key ?? keyPem,
  });

function refusal(fn: () => unknown): KubeconfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KubeconfigError) return error;
    throw error;
  }
  throw new Error("expected a KubeconfigError");
}

async function asyncRefusal(promise: Promise<unknown>): Promise<KubeconfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KubeconfigError) return error;
    throw error;
  }
  throw new Error("expected a KubeconfigError");
}

describe("every cloud's kubeconfig, as the sandbox issues it", () => {
  it("reads server, CA, the client certificate's metadata, and that the key matches", async () => {
    expect(issued.map((k) => k.provider)).toEqual(["huawei", "autopilot", "alibaba", "baidu"]);
    for (const vendor of issued) {
      const read = await readKubeconfig(vendor.text);
      expect(read.format, vendor.provider).toBe(
        vendor.provider === "huawei" || vendor.provider === "autopilot" ? "json" : "yaml",
      );
      expect(read.server, vendor.provider).toBe(vendor.server);
      expect(read.caPem, vendor.provider).toBe(ca.caPem);
      expect(read.insecureSkipTlsVerify).toBe(false);
      expect(read.certificate, vendor.provider).toEqual({
        subject: vendor.subject,
        issuer: "CN=nightshift sandbox CA, O=nightshift",
        serial: expect.stringMatching(/^[0-7][0-9a-f]{31}$/),
        notBefore: vendor.notBefore,
        notAfter: vendor.notAfter,
      });
      expect(read.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(read.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(read.keyMatches, vendor.provider).toBe(true);
    }
  });

  it("names the cluster entry and context as each cloud writes them", () => {
    const [huawei, autopilot, alibaba, baidu] = issued.map((k) => parseKubeconfig(k.text));
    expect([huawei!.context, huawei!.clusterName, huawei!.userName]).toEqual([
      "internal",
      "internalCluster",
      "user",
    ]);
    expect(autopilot!.clusterName).toBe("internalCluster");
    expect(alibaba!.context).toBe(`1234567890123456-${issued[2]!.clusterId}`);
    expect(alibaba!.clusterName).toBe("kubernetes");
    expect(baidu!.clusterName).toBe("cce-abcd1234");
    expect(baidu!.context).toBe("acme-bj@cce-abcd1234");
  });

  it("follows Huawei's current-context to the external cluster when the cluster has an EIP", async () => {
    const cluster = { internalIp: "192.168.0.9", eip: "121.36.1.2" } as ClusterRecord;
    const text = JSON.stringify(
      await clusterCert(ca, cluster, { now: NOW.getTime(), duration: 3, userName: "u" }),
    );
    const read = parseKubeconfig(text);
    expect(read.context).toBe("external");
    expect(read.server).toBe("https://121.36.1.2:5443");
    expect(read.servers).toEqual(["https://192.168.0.9:5443", "https://121.36.1.2:5443"]);
    expect(read.insecureSkipTlsVerify).toBe(true);
    expect(read.caPem).toBeUndefined();
  });

  it("finds a key that is not the certificate's, and refuses it when asked for a usable one", async () => {
    const swapped = yamlWith({ key: otherKeyPem });
    expect((await readKubeconfig(swapped)).keyMatches).toBe(false);
    const error = await asyncRefusal(readUsableKubeconfig(swapped));
    expect(error.problem).toBe("key-mismatch");
    expect(error.field).toBe("users[0].user.client-key-data");
    expect(error.message).toBe(
      "users[0].user.client-key-data: the private key does not belong to the client certificate (their public keys differ)",
    );
    expect((await readUsableKubeconfig(yamlWith())).certificate.subject).toBe("CN=tester");
  });
});

describe("key forms and types", () => {
  async function selfSigned(algorithm: RsaHashedKeyGenParams | EcKeyGenParams) {
    const keys = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: "CN=key-forms",
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + 86_400_000),
      keys,
      signingAlgorithm: algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : algorithm,
    });
    const pkcs8 = (await crypto.subtle.exportKey("pkcs8", keys.privateKey)) as ArrayBuffer;
    return { certPem: cert.toString("pem"), pkcs8 };
  }
  const rsa: RsaHashedKeyGenParams = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };

  it("matches RSA keys in PKCS#8 and PKCS#1 form, and tells another RSA key apart", async () => {
    const one = await selfSigned(rsa);
    const two = await selfSigned(rsa);
    // PKCS#8's privateKey octets are the PKCS#1 RSAPrivateKey ("RSA PRIVATE KEY", as kubeadm writes it).
    const pkcs1 = AsnConvert.parse(one.pkcs8, PrivateKeyInfo).privateKey.buffer;
    const match = async (cert: string, key: string) =>
      (await readKubeconfig(yamlWith({ cert, key }))).keyMatches;
    expect(await match(one.certPem, pem(one.pkcs8, "PRIVATE KEY"))).toBe(true);
    expect(await match(one.certPem, pem(pkcs1, "RSA PRIVATE KEY"))).toBe(true);
    expect(await match(one.certPem, pem(two.pkcs8, "PRIVATE KEY"))).toBe(false);
    // An EC key for an RSA certificate, and the other way round.
    expect(await match(one.certPem, keyPem)).toBe(false);
    expect(await match(certPem, pem(one.pkcs8, "PRIVATE KEY"))).toBe(false);
  });

  it("matches EC keys in SEC1 form (with the curve named inside) on P-256 and P-384", async () => {
    for (const namedCurve of ["P-256", "P-384"] as const) {
      const { certPem: cert, pkcs8 } = await selfSigned({ name: "ECDSA", namedCurve });
      const inner = AsnConvert.parse(AsnConvert.parse(pkcs8, PrivateKeyInfo).privateKey.buffer, ECPrivateKey);
      inner.parameters = new ECParameters({
        namedCurve: namedCurve === "P-256" ? "1.2.840.10045.3.1.7" : "1.3.132.0.34",
      });
      const sec1 = pem(AsnConvert.serialize(inner), "EC PRIVATE KEY");
      expect((await readKubeconfig(yamlWith({ cert, key: sec1 }))).keyMatches, namedCurve).toBe(true);
      // Without the public point (it is OPTIONAL): derived from the private scalar.
      inner.publicKey = undefined;
      const bare = pem(AsnConvert.serialize(inner), "EC PRIVATE KEY");
      expect((await readKubeconfig(yamlWith({ cert, key: bare }))).keyMatches, namedCurve).toBe(true);
    }
  });

  it("refuses keys it cannot read, naming the form and never the bytes", async () => {
    const cases: Array<[string, RegExp]> = [
      ["-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n", /is encrypted/],
      [
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        /is not a valid RSA private key/,
      ],
      [
        "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n",
        /supported are PRIVATE KEY, RSA PRIVATE KEY and EC PRIVATE KEY/,
      ],
    ];
    for (const [key, message] of cases) {
      const error = await asyncRefusal(readKubeconfig(yamlWith({ key })));
      expect(error.problem).toBe("key-unparsable");
      expect(error.field).toBe("users[0].user.client-key-data");
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain("MIIB");
    }
  });
});

describe("broken kubeconfigs", () => {
  const good = () => yamlWith();
  const cases: Array<[string, () => string, KubeconfigProblem, string, RegExp?]> = [
    ["empty", () => "  \n", "not-a-kubeconfig", "(document)"],
    ["not YAML", () => "clusters: [\n  - {", "not-a-kubeconfig", "(document)", /not valid YAML/],
    ["not JSON", () => '{"clusters": [}', "not-a-kubeconfig", "(document)", /not valid JSON/],
    ["a list", () => "- a\n- b\n", "not-a-kubeconfig", "(document)"],
    ["a scalar", () => "hello", "not-a-kubeconfig", "(document)"],
    ["another kind", () => good().replace("kind: Config", "kind: Pod"), "not-a-kubeconfig", "kind"],
    [
      "duplicate key",
      () => good().replace("kind: Config", "kind: Config\nkind: Config"),
      "not-a-kubeconfig",
      "(document)",
      /not valid YAML \(duplicated mapping key at line \d+, column \d+\)/,
    ],
    [
      "an alias",
      () => good().replace("kind: Config", "kind: &k Config\nkindAgain: *k"),
      "not-a-kubeconfig",
      "(document)",
      /uses YAML aliases/,
    ],
    [
      // The parser's reason would quote the tag: only the position is given.
      "an unknown tag",
      () => good().replace("kind: Config", "kind: !secret-looking-tag Config"),
      "not-a-kubeconfig",
      "(document)",
      /^\(document\): is not valid YAML \(at line \d+, column \d+\)$/,
    ],
    [
      "two documents",
      () => `${good()}---\n${good()}`,
      "not-a-kubeconfig",
      "(document)",
      /several YAML documents/,
    ],
    [
      "unknown context",
      () => good().replace("current-context: u@c", "current-context: other"),
      "not-a-kubeconfig",
      "contexts",
      /no entry named "other"/,
    ],
    ["no users", () => good().replace(/users:[\s\S]*$/, "users: []\n"), "not-a-kubeconfig", "users"],
    [
      "no server",
      () => good().replace(/ {4}server: .*\n/, ""),
      "not-a-kubeconfig",
      "clusters[0].cluster.server",
    ],
    [
      "a token user",
      () => good().replace(/ {4}client-certificate-data: .*\n/, "    token: abc\n"),
      "no-client-certificate",
      "users[0].user.client-certificate-data",
      /authenticates with token/,
    ],
    [
      "a certificate file",
      () => good().replace(/client-certificate-data: .*\n/, "client-certificate: /tmp/c.pem\n"),
      "no-client-certificate",
      "users[0].user.client-certificate-data",
      /points to a certificate file/,
    ],
    [
      "not a certificate",
      () => good().replace(/client-certificate-data: .*\n/, `client-certificate-data: ${b64("hello")}\n`),
      "certificate-unparsable",
      "users[0].user.client-certificate-data",
    ],
    [
      "not base64",
      () => good().replace(/client-certificate-data: .*\n/, "client-certificate-data: '%%%'\n"),
      "certificate-unparsable",
      "users[0].user.client-certificate-data",
    ],
    [
      "a broken CA",
      () => good().replace(/certificate-authority-data: .*\n/, `certificate-authority-data: ${b64("x")}\n`),
      "certificate-unparsable",
      "clusters[0].cluster.certificate-authority-data",
    ],
    [
      "no key",
      () => good().replace(/ {4}client-key-data: .*\n/, ""),
      "no-client-key",
      "users[0].user.client-key-data",
    ],
    [
      "a key file",
      () => good().replace(/client-key-data: .*\n/, "client-key: /tmp/k.pem\n"),
      "no-client-key",
      "users[0].user.client-key-data",
      /key file/,
    ],
    [
      "a key that is not PEM",
      () => good().replace(/client-key-data: .*\n/, `client-key-data: ${b64("not a key")}\n`),
      "key-unparsable",
      "users[0].user.client-key-data",
    ],
  ];

  for (const [name, make, problem, field, message] of cases) {
    it(`${name}: ${problem} at ${field}`, () => {
      const error = refusal(() => parseKubeconfig(make()));
      expect(error.problem).toBe(problem);
      expect(error.field).toBe(field);
      if (message) expect(error.message).toMatch(message);
      // Never key material: neither the PEM nor its base64.
      expect(error.message).not.toContain("PRIVATE KEY");
      expect(error.message).not.toContain(b64(keyPem).slice(0, 24));
    });
  }

  it("reads a DER certificate, a certificate chain (the first is the client's) and CA data with a text dump", () => {
    const der = certPem.replace(/-----[A-Z ]+-----|\s/g, "");
    expect(parseKubeconfig(yamlWith().replace(b64(certPem), der)).certificate.subject).toBe("CN=tester");
    const chain = yamlWith({ cert: `${certPem}${ca.caPem}` });
    expect(parseKubeconfig(chain).certificate.subject).toBe("CN=tester");
    // Huawei's example CA data decodes to openssl's "Certificate:" text, then the PEM.
    const dumped = yamlWith().replace(b64(ca.caPem), b64(`Certificate:\n    Data: ...\n${ca.caPem}`));
    expect(parseKubeconfig(dumped).caPem).toBe(ca.caPem);
  });

  it("takes the only context when current-context is missing, and refuses to guess among several", () => {
    expect(parseKubeconfig(yamlWith().replace("current-context: u@c\n", "")).server).toBe("https://s:6443");
    const two = yamlWith()
      .replace("current-context: u@c\n", "")
      .replace("contexts:\n", "contexts:\n- context:\n    cluster: c\n    user: u\n  name: second\n");
    expect(refusal(() => parseKubeconfig(two)).message).toBe(
      "contexts: several entries and no current-context to choose one",
    );
  });

  it("checks the key asynchronously only when asked", async () => {
    const parsed = parseKubeconfig(yamlWith({ key: otherKeyPem }));
    expect(await keyMatchesCertificate(parsed)).toBe(false);
  });
});
