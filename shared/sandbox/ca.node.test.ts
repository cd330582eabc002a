import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSandboxCa } from "./ca.ts";
import { seededRandom } from "./clock.ts";

describe("sandbox CA", () => {
  it("issues client certificates with exactly the validity asked for, signed by the CA", async () => {
    const now = new Date("2026-11-22T08:00:00Z");
    const ca = await createSandboxCa({ now, random: seededRandom(1) });
    const notAfter = new Date("2026-12-22T08:00:00Z");
    const issued = await ca.issue({
      commonName: "user",
      organization: "system:masters",
      notBefore: now,
      notAfter,
    });
    const cert = new X509Certificate(issued.certPem);
    expect(new Date(cert.validTo).toISOString()).toBe(notAfter.toISOString());
    expect(new Date(cert.validFrom).toISOString()).toBe(now.toISOString());
    expect(cert.subject).toContain("CN=user");
    expect(cert.verify(new X509Certificate(ca.caPem).publicKey)).toBe(true);
    expect(issued.keyPem).toContain("BEGIN PRIVATE KEY");
    const other = await createSandboxCa({ now, random: seededRandom(3) });
    expect(cert.verify(new X509Certificate(other.caPem).publicKey)).toBe(false);
  });

  it("issues server certificates for IP addresses and names", async () => {
    const now = new Date("2026-11-22T08:00:00Z");
    const ca = await createSandboxCa({ now, random: seededRandom(1) });
    const issued = await ca.issue({
      commonName: "kube-apiserver",
      notBefore: now,
      notAfter: new Date("2027-11-22T08:00:00Z"),
      serverHosts: ["127.0.0.1", "localhost"],
    });
    const cert = new X509Certificate(issued.certPem);
    expect(cert.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(cert.subjectAltName).toContain("DNS:localhost");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });
});
