// certificate.ts against @peculiar/x509 (the reader it replaces in the Worker), on certificates
// with awkward names, serials and dates.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { derToPem, pemToDer, readCertificate } from "./certificate.ts";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

async function certificate(options: {
  name: string;
  issuer?: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}) {
  const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: options.serial,
    subject: options.name,
    issuer: options.issuer ?? "CN=nightshift test CA, O=nightshift",
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: ALGORITHM,
  });
  return { cert, keys };
}

const CASES = [
  {
    name: "CN=alice, O=system:masters",
    serial: "01",
    notBefore: "2026-01-01T00:00:00Z",
    notAfter: "2026-04-01T00:00:00Z",
  },
  // Escaped characters, several RDNs, a multi-valued RDN, e-mail and DC, a UTF-8 value.
  {
    name: 'CN=Smith\\, John "JS"+OU=ops, O=acme\\; east, DC=example, DC=com, E=ops@example.com, L=北京, C=CN',
    serial: "8f0011223344556677889900aabbccdd",
    notBefore: "2025-12-31T23:59:59Z",
    notAfter: "2061-06-30T12:00:00Z", // after 2049: GeneralizedTime
  },
  {
    name: "CN=\\ leading space, OU=trailing\\ ",
    serial: "7fffffff",
    notBefore: "1999-01-01T00:00:00Z",
    notAfter: "2000-01-01T00:00:00Z",
  },
  {
    name: "2.5.4.5=SN-42, CN=node",
    serial: "00ff",
    notBefore: "2026-06-01T00:00:00Z",
    notAfter: "2026-06-02T00:00:00Z",
  },
];

describe("readCertificate", () => {
  for (const c of CASES) {
    it(`reads ${c.name} as @peculiar/x509 does`, async () => {
      const { cert, keys } = await certificate({
        ...c,
        notBefore: new Date(c.notBefore),
        notAfter: new Date(c.notAfter),
      });
      const read = readCertificate(new Uint8Array(cert.rawData));
      expect(read.facts).toEqual({
        subject: cert.subject,
        issuer: cert.issuer,
        serial: cert.serialNumber.toLowerCase(),
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
      });
      expect(read.facts.notAfter.toISOString()).toBe(new Date(c.notAfter).toISOString());
      expect(new Uint8Array(read.spki)).toEqual(
        new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey)),
      );
      // PEM both ways, as @peculiar/x509 writes it.
      expect(derToPem(new Uint8Array(cert.rawData))).toBe(cert.toString("pem"));
      expect(pemToDer(cert.toString("pem"))).toEqual(new Uint8Array(cert.rawData));
    });
  }

  it("throws on bytes that are not a certificate", () => {
    expect(() => readCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toThrow();
    expect(() => pemToDer("no armour here")).toThrow("no PEM block");
  });
});
