// The sandbox's certificate authority: kubeconfigs from `clustercert`, `user_config` and the Baidu
// kubeconfig API carry real X.509 client certificates with the validity asked for, so renewal is
// tested against real notAfter dates, and the Autopilot Kubernetes API checks them (mutual TLS).
import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe, which needs it
import * as x509 from "@peculiar/x509";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export interface SandboxCa {
  readonly caPem: string;
  issue(options: {
    commonName: string;
    organization?: string;
    notBefore: Date;
    notAfter: Date;
    /** DNS names and IP addresses for a server certificate; a client certificate when absent. */
    serverHosts?: string[];
  }): Promise<IssuedCertificate>;
}

function serial(random: () => number): string {
  // Positive 16-byte serial: the top bit clear.
  return Array.from({ length: 16 }, (_, i) => {
    const byte = Math.floor(random() * 256);
    return (i === 0 ? byte & 0x7f : byte).toString(16).padStart(2, "0");
  }).join("");
}

async function keyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  return x509.PemConverter.encode(pkcs8.buffer, "PRIVATE KEY");
}

export async function createSandboxCa(options: { now: Date; random: () => number }): Promise<SandboxCa> {
  const caKeys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const caName = "CN=nightshift sandbox CA, O=nightshift";
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(options.random),
    name: caName,
    notBefore: new Date(options.now.getTime() - 86_400_000),
    notAfter: new Date(options.now.getTime() + 20 * 365 * 86_400_000),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });

  return {
    caPem: caCert.toString("pem"),
    async issue({ commonName, organization, notBefore, notAfter, serverHosts }) {
      const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
      const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([
          serverHosts ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ]),
      ];
      if (serverHosts) {
        extensions.push(
          new x509.SubjectAlternativeNameExtension(
            serverHosts.map((host) =>
              /^[\d.]+$/.test(host) || host.includes(":")
                ? { type: "ip" as const, value: host }
                : { type: "dns" as const, value: host },
            ),
          ),
        );
      }
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(options.random),
        subject: `CN=${commonName}${organization ? `, O=${organization}` : ""}`,
        issuer: caCert.subject,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALGORITHM,
        extensions,
      });
      return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
    },
  };
}
