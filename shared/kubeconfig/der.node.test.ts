// certificate.ts and private-key.ts against two readers nobody here wrote, on every certificate and
// key shape the clouds issue: node:crypto (X509Certificate, createPrivateKey/createPublicKey) and
// @peculiar/x509 (the names, as it writes them). Certificates with UTCTime and GeneralizedTime,
// multi-valued RDNs, non-ASCII names in every string type a name may use; RSA keys in PKCS#1 and
// PKCS#8, EC keys in SEC1 and PKCS#8 on P-256/P-384/P-521; and malformed input, which gets the same
// clear refusals whatever the bytes (no stack trace, never the key).
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey as NodeJwk,
  X509Certificate,
} from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../sandbox/clock.ts";
import { derToPem, pemToDer, readCertificate } from "./certificate.ts";
import { KubeconfigError, parseKubeconfig } from "./kubeconfig.ts";
import {
  PrivateKeyError,
  privateKeyMatches,
  publicIdentityOfPrivateKey,
  publicIdentityOfSpki,
} from "./private-key.ts";

const OPENSSL = "/usr/bin/openssl";
const openssl = (args: string[], input?: string) =>
  execFileSync(OPENSSL, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });

const bytes = (der: ArrayBuffer | Uint8Array) => Uint8Array.from(new Uint8Array(der));

/** What node:crypto and @peculiar/x509 read of a certificate, in certificate.ts's shapes. */
function oracleFacts(der: Uint8Array) {
  const node = new X509Certificate(der);
  const peculiar = new x509.X509Certificate(bytes(der));
  return {
    facts: {
      subject: peculiar.subject,
      issuer: peculiar.issuer,
      serial: node.serialNumber.toLowerCase(),
      notBefore: node.validFromDate,
      notAfter: node.validToDate,
    },
    spki: bytes(node.publicKey.export({ type: "spki", format: "der" })),
  };
}

function expectReadAsOracle(der: Uint8Array, label: string) {
  const read = readCertificate(der);
  const oracle = oracleFacts(der);
  expect(read.facts, label).toEqual(oracle.facts);
  expect(bytes(read.spki), label).toEqual(oracle.spki);
  expect(pemToDer(derToPem(der)), label).toEqual(der);
}

const P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

async function issue(subject: string | x509.Name, notBefore: string, notAfter: string, serial = "0a1b2c") {
  const keys = (await crypto.subtle.generateKey(P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject,
    issuer: "CN=nightshift test CA, O=nightshift",
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: P256,
  });
  return bytes(cert.rawData);
}

describe("certificates, read as node:crypto and @peculiar/x509 read them", () => {
  it("UTCTime and GeneralizedTime validity, on both sides of 2050 and of 1950", async () => {
    const cases: Array<[string, string]> = [
      ["2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z"], // both UTCTime
      ["2049-12-31T23:59:59Z", "2050-01-01T00:00:00Z"], // UTCTime, then GeneralizedTime
      ["1950-01-01T00:00:00Z", "2099-12-31T23:59:59Z"],
      ["1949-12-31T23:59:59Z", "1999-01-01T00:00:00Z"], // GeneralizedTime before 1950
    ];
    for (const [from, to] of cases) {
      const der = await issue("CN=dates, O=system:masters", from, to);
      expectReadAsOracle(der, `${from} .. ${to}`);
      expect(readCertificate(der).facts.notAfter.toISOString()).toBe(new Date(to).toISOString());
    }
  });

  it("names in every string type, multi-valued RDNs, escapes, non-ASCII and values written as #hex", async () => {
    const names: Array<string | x509.Name> = [
      "CN=alice+O=system:masters+OU=ops, L=Zürich",
      'CN=Smith\\, John "JS"+OU=ops, O=acme\\; east, DC=example, DC=com, E=ops@example.com, L=北京, C=CN',
      "CN=\\#not hex, OU=trailing\\ , 2.5.4.5=SN-42, 1.2.3.4.5=other",
      new x509.Name([
        { CN: [{ bmpString: "Ålesund ØST" }] },
        { O: [{ universalString: "東京 Tokyo" }] },
        { OU: [{ printableString: "Printable (ops)" }] },
        { L: [{ utf8String: "Київ" }, { ia5String: "kyiv" }] },
        { E: [{ ia5String: "root@example.com" }] },
      ]),
      // A TeletexString (0x14, read as Latin-1) and a NumericString (0x12, not a DirectoryString: #hex).
      "CN=#14086162632064c3a966, 2.5.4.5=#120431323334",
    ];
    for (const name of names) {
      const der = await issue(name, "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z");
      expectReadAsOracle(der, String(name));
    }
    // An OCTET STRING and a NULL as values: openssl refuses the certificate; @peculiar/x509 writes
    // the first as #hex and the second as nothing.
    const odd = new x509.X509Certificate(
      await issue(
        "CN=odd, 1.2.3.4=#0403010203, 1.2.3.5=#0500",
        "2026-03-01T00:00:00Z",
        "2026-06-01T00:00:00Z",
      ),
    );
    expect(odd.subject).toBe("CN=odd, 1.2.3.4=#0403010203, 1.2.3.5=");
    expect(readCertificate(bytes(odd.rawData)).facts.subject).toBe(odd.subject);
  });

  it("serials with a sign byte, a leading zero nibble and twenty bytes", async () => {
    for (const serial of ["01", "00ff", "7f", "0a1b2c3d", "00" + "8f".repeat(19), "4e".repeat(20)]) {
      const der = await issue("CN=serial", "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z", serial);
      expectReadAsOracle(der, serial);
    }
  });

  it("what openssl writes: RSA, EC P-384 and Ed25519 keys, every string mask, multi-valued RDNs", () => {
    const made: Array<[readonly string[], string, string]> = [
      [["-newkey", "rsa:2048"], "utf8only", "/O=system:masters/CN=alice+UID=1000"],
      [["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], "default", "/O=Zürich AG/CN=müller 節點"],
      [["-newkey", "ed25519"], "nombstr", "/O=system:nodes/CN=system:node:worker-1+OU=Zürich"],
      [["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "pkix", "/C=CN/O=北京/CN=节点"],
    ];
    const dir = mkdtempSync(join(tmpdir(), "nightshift-der-"));
    try {
      for (const [keyArgs, mask, subject] of made) {
        // string_mask picks the types: default → BMPString/T61String, nombstr → T61String, pkix/utf8only → UTF8String.
        const config = join(dir, "req.cnf");
        writeFileSync(config, `[req]\ndistinguished_name=dn\nstring_mask=${mask}\n[dn]\n`);
        const pem = openssl([
          "req",
          "-x509",
          ...keyArgs,
          "-nodes",
          "-keyout",
          join(dir, "key.pem"),
          "-days",
          "10000", // past 2050: GeneralizedTime
          "-utf8",
          "-multivalue-rdn",
          "-subj",
          subject,
          "-set_serial",
          "0x80aa01",
          "-config",
          config,
        ]);
        expectReadAsOracle(pemToDer(pem), `${mask} ${subject}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses what is not a certificate, and the kubeconfig names the field, not the bytes", async () => {
    const good = await issue("CN=good", "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z");
    const ecKey = bytes(
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "der" }),
    );
    const notCertificates: Array<[string, Uint8Array]> = [
      ["empty", new Uint8Array()],
      ["one byte", new Uint8Array([0x30])],
      ["a SEQUENCE of one INTEGER", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])],
      ["truncated", good.slice(0, good.length - 20)],
      ["a private key", ecKey],
      ["no signature", tbsOnly(good)],
    ];
    for (const [label, der] of notCertificates) {
      expect(() => readCertificate(der), label).toThrow(Error);
      const text = kubeconfigWithCert(derToPem(der));
      let refusal: unknown;
      try {
        parseKubeconfig(text);
      } catch (error) {
        refusal = error;
      }
      expect(refusal, label).toBeInstanceOf(KubeconfigError);
      expect((refusal as KubeconfigError).message, label).toBe(
        "users[0].user.client-certificate-data: is not a base64 PEM (or DER) X.509 certificate that can be read",
      );
    }
  });

  it("mutated certificates: refused with an Error, or read exactly as node:crypto and @peculiar/x509 read them", async () => {
    const good = await issue(
      "CN=mutant+OU=ops, O=system:masters, L=北京",
      "2026-03-01T00:00:00Z",
      "2051-06-01T00:00:00Z",
    );
    const random = seededRandom(15);
    let read = 0;
    for (let i = 0; i < 400; i++) {
      const der = good.slice();
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--)
        der[Math.floor(random() * der.length)] = Math.floor(random() * 256);
      let ours: ReturnType<typeof readCertificate> | undefined;
      try {
        ours = readCertificate(der);
      } catch (error) {
        expect(error, `mutation ${i}`).toBeInstanceOf(Error);
      }
      let oracle: ReturnType<typeof oracleFacts> | undefined;
      try {
        oracle = oracleFacts(der);
      } catch {
        // Neither reader is bound to accept a mutant.
      }
      if (ours && oracle) {
        read++;
        expect(ours.facts, `mutation ${i}`).toEqual(oracle.facts);
        expect(bytes(ours.spki), `mutation ${i}`).toEqual(oracle.spki);
      }
    }
    expect(read).toBeGreaterThan(50);
  });
});

function tbsOnly(der: Uint8Array): Uint8Array {
  // The certificate's first element (TBSCertificate) wrapped alone: no signatureAlgorithm, no signature.
  const header = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  const tbs = der.slice(header);
  const tbsLength = tbs[1]! & 0x80 ? 2 + (tbs[1]! & 0x7f) : 2;
  let length = 0;
  for (let i = 2; i < tbsLength; i++) length = length * 256 + tbs[i]!;
  const inner = tbs.slice(0, tbsLength + length);
  return new Uint8Array([0x30, 0x82, inner.length >> 8, inner.length & 0xff, ...inner]);
}

function kubeconfigWithCert(certPem: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: c",
    "  cluster: { server: 'https://s:6443' }",
    "users:",
    "- name: u",
    `  user: { client-certificate-data: ${btoa(certPem)}, client-key-data: ${btoa("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")} }`,
    "contexts:",
    "- name: u@c",
    "  context: { cluster: c, user: u }",
    "current-context: u@c",
    "",
  ].join("\n");
}

/** The public members node:crypto derives, in private-key.ts's canonical form. */
function nodeIdentity(key: Parameters<typeof createPublicKey>[0]): string {
  const jwk = createPublicKey(key).export({ format: "jwk" }) as NodeJwk;
  return jwk.kty === "RSA" ? `RSA ${jwk.n} ${jwk.e}` : `EC ${jwk.crv} ${jwk.x} ${jwk.y}`;
}

async function refusalOf(pem: string): Promise<string> {
  try {
    await publicIdentityOfPrivateKey(pem);
  } catch (error) {
    expect(error).toBeInstanceOf(PrivateKeyError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/\n\s+at |\.ts:\d+/);
    return message;
  }
  throw new Error("the key was read");
}

describe("private keys, read as node:crypto reads them", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = (["P-256", "P-384", "P-521"] as const).map(
    (curve) => [curve, generateKeyPairSync("ec", { namedCurve: curve })] as const,
  );

  it("RSA in PKCS#1 and PKCS#8; EC in SEC1 and PKCS#8 on P-256, P-384 and P-521", async () => {
    const shapes: Array<[string, string, ArrayBuffer]> = [
      [
        "RSA PKCS#1",
        rsa.privateKey.export({ type: "pkcs1", format: "pem" }) as string,
        bytes(rsa.publicKey.export({ type: "spki", format: "der" })).buffer,
      ],
      [
        "RSA PKCS#8",
        rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
        bytes(rsa.publicKey.export({ type: "spki", format: "der" })).buffer,
      ],
    ];
    for (const [curve, pair] of ec) {
      const spki = bytes(pair.publicKey.export({ type: "spki", format: "der" })).buffer;
      shapes.push([
        `EC ${curve} SEC1`,
        pair.privateKey.export({ type: "sec1", format: "pem" }) as string,
        spki,
      ]);
      shapes.push([
        `EC ${curve} PKCS#8`,
        pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
        spki,
      ]);
    }
    for (const [label, pem, spki] of shapes) {
      const expected = nodeIdentity(createPrivateKey(pem));
      expect(await publicIdentityOfPrivateKey(pem), label).toBe(expected);
      expect(await publicIdentityOfSpki(spki), label).toBe(expected);
      expect(await privateKeyMatches(pem, spki), label).toBe(true);
    }
    // Each key against the certificate half of every other key: no match.
    const keyOf = (label: string) => label.replace(/ (PKCS#1|PKCS#8|SEC1)$/, "");
    for (const [label, pem] of shapes)
      for (const [other, , spki] of shapes)
        if (keyOf(label) !== keyOf(other))
          expect(await privateKeyMatches(pem, spki), `${label} key, ${other} certificate`).toBe(false);
  });

  it("SEC1 as openssl writes it: with the curve and no public point, and the public point derived", async () => {
    for (const curve of ["prime256v1", "secp384r1"]) {
      const full = openssl(["ecparam", "-name", curve, "-genkey", "-noout"]);
      const bare = openssl(["ec", "-no_public"], full);
      expect(bare).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
      const expected = nodeIdentity(createPrivateKey(full));
      expect(await publicIdentityOfPrivateKey(full), curve).toBe(expected);
      expect(await publicIdentityOfPrivateKey(bare), curve).toBe(expected);
    }
  });

  it("an Ed25519 certificate never matches, and its key is refused by name", async () => {
    const ed = generateKeyPairSync("ed25519");
    const spki = bytes(ed.publicKey.export({ type: "spki", format: "der" })).buffer;
    expect(await publicIdentityOfSpki(spki)).toBeUndefined();
    expect(
      await privateKeyMatches(rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string, spki),
    ).toBe(false);
    expect(await refusalOf(ed.privateKey.export({ type: "pkcs8", format: "pem" }) as string)).toBe(
      "is a 1.3.101.112 key; supported are RSA and EC (P-256, P-384, P-521)",
    );
  });

  it("mutated keys: refused with a PrivateKeyError, or read as node:crypto reads them", async () => {
    const random = seededRandom(16);
    const originals: Array<readonly [Uint8Array, string]> = [
      [bytes(rsa.privateKey.export({ type: "pkcs8", format: "der" })), "PRIVATE KEY"],
      ...ec.flatMap(([, pair]) => [
        [bytes(pair.privateKey.export({ type: "pkcs8", format: "der" })), "PRIVATE KEY"] as const,
        [bytes(pair.privateKey.export({ type: "sec1", format: "der" })), "EC PRIVATE KEY"] as const,
      ]),
    ];
    let read = 0;
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const [original, label] = originals[i % originals.length]!;
      const der = original.slice();
      // Early bytes: the structure, the algorithm and the curve rather than the key's own bits.
      for (let flips = 1 + Math.floor(random() * 2); flips > 0; flips--)
        der[Math.floor(random() * Math.min(der.length, 40))] = Math.floor(random() * 256);
      const pem = derToPem(der, label);
      let ours: string | undefined;
      try {
        ours = await publicIdentityOfPrivateKey(pem);
      } catch (error) {
        expect(error, `mutation ${i}`).toBeInstanceOf(PrivateKeyError);
        refused++;
      }
      let oracle: string | undefined;
      try {
        oracle = nodeIdentity(createPrivateKey(pem));
      } catch {
        // Neither reader is bound to accept a mutant.
      }
      if (ours !== undefined && oracle !== undefined) {
        read++;
        expect(ours, `mutation ${i}`).toBe(oracle);
      }
    }
    expect(read).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(100);
  });

  it("contents asn1js cannot decode (an odd-length BMPString, a bad GeneralizedTime) are refused, not thrown", async () => {
    // SEQUENCE { BMPString of one byte }: asn1js decodes it with a RangeError from a DataView.
    const oddBmp = Uint8Array.of(0x30, 0x03, 0x1e, 0x01, 0x41);
    // SEQUENCE { GeneralizedTime "2" }: asn1js throws "Wrong input string for conversion".
    const badTime = Uint8Array.of(0x30, 0x03, 0x18, 0x01, 0x32);
    for (const der of [oddBmp, badTime]) {
      expect(await refusalOf(derToPem(der, "PRIVATE KEY"))).toMatch(/PKCS#8|PKCS #8|private key/i);
      expect(() => readCertificate(der)).toThrow("is not a DER X.509 certificate");
    }
  });

  it("malformed keys get the same clear refusals", async () => {
    const armour = (label: string, der: Uint8Array | string) =>
      typeof der === "string"
        ? `-----BEGIN ${label}-----\n${der}\n-----END ${label}-----\n`
        : derToPem(der, label);
    const pkcs8Ec = bytes(ec[0]![1].privateKey.export({ type: "pkcs8", format: "der" }));
    const sec1 = bytes(ec[0]![1].privateKey.export({ type: "sec1", format: "der" }));
    const k1 = openssl(["ecparam", "-name", "secp256k1", "-genkey", "-noout"]);
    const explicit = openssl([
      "ecparam",
      "-name",
      "prime256v1",
      "-genkey",
      "-noout",
      "-param_enc",
      "explicit",
    ]);
    // SEC1 without its [0] parameters (withoutParameters): the curve is named nowhere.
    const cases: Array<[string, string, string]> = [
      ["no PEM", "just text", "is not a PEM private key (no -----BEGIN … PRIVATE KEY----- block)"],
      ["bad base64", armour("PRIVATE KEY", "AAAAA"), "is a PEM block whose body is not base64"],
      [
        "encrypted",
        armour("ENCRYPTED PRIVATE KEY", "MIIB"),
        "is encrypted (ENCRYPTED PRIVATE KEY); a kubeconfig's key must be usable without a passphrase",
      ],
      [
        "DSA",
        armour("DSA PRIVATE KEY", "AAAA"),
        'is a "DSA PRIVATE KEY" PEM block; supported are PRIVATE KEY, RSA PRIVATE KEY and EC PRIVATE KEY',
      ],
      [
        "PKCS#8 garbage",
        armour("PRIVATE KEY", "AAAA"),
        'is a "PRIVATE KEY" PEM block whose ASN.1 cannot be read',
      ],
      [
        "PKCS#8 truncated",
        armour("PRIVATE KEY", pkcs8Ec.slice(0, 40)),
        'is a "PRIVATE KEY" PEM block whose ASN.1 cannot be read',
      ],
      [
        "SEC1 garbage",
        armour("EC PRIVATE KEY", "AAAA"),
        'is a "EC PRIVATE KEY" PEM block whose ASN.1 cannot be read',
      ],
      [
        "SEC1 truncated",
        armour("EC PRIVATE KEY", sec1.slice(0, 30)),
        'is a "EC PRIVATE KEY" PEM block whose ASN.1 cannot be read',
      ],
      ["RSA garbage", armour("RSA PRIVATE KEY", "AAAA"), "is not a valid RSA private key"],
      [
        "RSA PKCS#8 holding no RSA key",
        armour("PRIVATE KEY", rsaWrapped(sec1.slice(0, 40))),
        "is not a valid RSA private key",
      ],
      ["secp256k1", k1, "is an EC key on curve 1.3.132.0.10; supported curves are P-256, P-384 and P-521"],
      [
        "explicit curve",
        explicit,
        "is an EC key on an unnamed curve; supported curves are P-256, P-384 and P-521",
      ],
      [
        "unnamed SEC1",
        withoutParameters(sec1),
        "is an EC key on an unnamed curve; supported curves are P-256, P-384 and P-521",
      ],
    ];
    for (const [label, pem, message] of cases) expect(await refusalOf(pem), label).toBe(message);
  });
});

/** A PKCS#8 PrivateKeyInfo saying rsaEncryption around other bytes (DER, lengths under 128 each). */
function rsaWrapped(inner: Uint8Array): Uint8Array {
  const algorithm = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
  ];
  const octets = [0x04, inner.length, ...inner];
  const body = [0x02, 0x01, 0x00, ...algorithm, ...octets];
  return new Uint8Array([0x30, body.length, ...body]);
}

/** SEC1 with its [0] parameters and [1] public key left out: version and private key only. */
function withoutParameters(sec1: Uint8Array): string {
  // 30 LL 02 01 01 04 20 <32 bytes> ... (P-256)
  const body = sec1.slice(2, 2 + 3 + 2 + 32);
  return derToPem(new Uint8Array([0x30, body.length, ...body]), "EC PRIVATE KEY");
}
