// Does a kubeconfig's private key belong to its client certificate? The public key is derived from
// the private key (Web Crypto imports it and exports its public members) and compared with the
// certificate's SubjectPublicKeyInfo, for RSA and EC (P-256, P-384, P-521) keys in any of the PEM
// forms kubeconfigs carry: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY", what kubeadm and
// most clouds write) and SEC1 ("EC PRIVATE KEY"). Web Crypto reads only PKCS#8, so the other two
// are wrapped into it first (with the @peculiar/asn1-* schemas).
//
// Nothing here puts key material into an error message: a failure names the form, never the bytes.

import { ECParameters, ECPrivateKey, id_ecPublicKey } from "@peculiar/asn1-ecc";
import { PrivateKey, PrivateKeyInfo } from "@peculiar/asn1-pkcs8";
import { id_rsaEncryption } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";

/** Why a private key cannot be compared; the message never quotes the key. */
export class PrivateKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrivateKeyError";
  }
}

const CURVES: Record<string, "P-256" | "P-384" | "P-521"> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

type KeyAlgorithm = RsaHashedImportParams | EcKeyImportParams;

/** The public members that identify a key, in a canonical order, e.g. `RSA n e` or `EC P-256 x y`. */
type PublicIdentity = string;

const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([A-Za-z0-9+/=\s]*)-----END \1-----/;

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
}

/** The first PEM block whose label ends in PRIVATE KEY: its label and DER bytes. */
function privateKeyBlock(pem: string): { label: string; der: Uint8Array<ArrayBuffer> } {
  const match = PRIVATE_KEY_BLOCK.exec(pem);
  if (!match) throw new PrivateKeyError("is not a PEM private key (no -----BEGIN … PRIVATE KEY----- block)");
  try {
    return { label: match[1]!, der: base64Bytes(match[2]!) };
  } catch {
    throw new PrivateKeyError("is a PEM block whose body is not base64");
  }
}

function curveOf(parameters: ArrayBuffer | null | undefined, where: string): "P-256" | "P-384" | "P-521" {
  let oid: string | undefined;
  try {
    oid = parameters ? AsnConvert.parse(parameters, ECParameters).namedCurve : undefined;
  } catch {
    throw new PrivateKeyError(`is an EC key whose curve parameters (${where}) cannot be read`);
  }
  const curve = oid ? CURVES[oid] : undefined;
  if (!curve)
    throw new PrivateKeyError(
      `is an EC key on ${oid ? `curve ${oid}` : "an unnamed curve"}; supported curves are P-256, P-384 and P-521`,
    );
  return curve;
}

/** Any supported PEM private key → PKCS#8 DER and the Web Crypto algorithm to import it with. */
function toPkcs8(pem: string): { pkcs8: ArrayBuffer; algorithm: KeyAlgorithm } {
  const { label, der } = privateKeyBlock(pem);
  const rsa: KeyAlgorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  try {
    if (label === "RSA PRIVATE KEY") {
      const info = new PrivateKeyInfo({
        privateKeyAlgorithm: new AlgorithmIdentifier({ algorithm: id_rsaEncryption, parameters: null }),
        privateKey: new PrivateKey(der),
      });
      return { pkcs8: AsnConvert.serialize(info), algorithm: rsa };
    }
    if (label === "EC PRIVATE KEY") {
      const sec1 = AsnConvert.parse(der, ECPrivateKey);
      const curve = curveOf(
        sec1.parameters ? AsnConvert.serialize(sec1.parameters) : undefined,
        "EC PRIVATE KEY",
      );
      const curveOid = Object.entries(CURVES).find(([, name]) => name === curve)![0];
      const info = new PrivateKeyInfo({
        privateKeyAlgorithm: new AlgorithmIdentifier({
          algorithm: id_ecPublicKey,
          parameters: AsnConvert.serialize(new ECParameters({ namedCurve: curveOid })),
        }),
        privateKey: new PrivateKey(der),
      });
      return { pkcs8: AsnConvert.serialize(info), algorithm: { name: "ECDSA", namedCurve: curve } };
    }
    if (label === "PRIVATE KEY") {
      const info = AsnConvert.parse(der, PrivateKeyInfo);
      const oid = info.privateKeyAlgorithm.algorithm;
      if (oid === id_rsaEncryption) return { pkcs8: der.buffer, algorithm: rsa };
      if (oid === id_ecPublicKey)
        return {
          pkcs8: der.buffer,
          algorithm: {
            name: "ECDSA",
            namedCurve: curveOf(info.privateKeyAlgorithm.parameters, "PRIVATE KEY"),
          },
        };
      throw new PrivateKeyError(`is a ${oid} key; supported are RSA and EC (P-256, P-384, P-521)`);
    }
  } catch (error) {
    if (error instanceof PrivateKeyError) throw error;
    throw new PrivateKeyError(`is a "${label}" PEM block whose ASN.1 cannot be read`);
  }
  throw new PrivateKeyError(
    label === "ENCRYPTED PRIVATE KEY"
      ? "is encrypted (ENCRYPTED PRIVATE KEY); a kubeconfig's key must be usable without a passphrase"
      : `is a "${label}" PEM block; supported are PRIVATE KEY, RSA PRIVATE KEY and EC PRIVATE KEY`,
  );
}

function identity(jwk: JsonWebKey): PublicIdentity {
  if (jwk.kty === "RSA") return `RSA ${jwk.n} ${jwk.e}`;
  if (jwk.kty === "EC") return `EC ${jwk.crv} ${jwk.x} ${jwk.y}`;
  return `${jwk.kty}`;
}

/** The public key derived from a PEM private key, as canonical public members. */
export async function publicIdentityOfPrivateKey(pem: string): Promise<PublicIdentity> {
  const { pkcs8, algorithm } = toPkcs8(pem);
  let jwk: JsonWebKey;
  try {
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, algorithm, true, ["sign"]);
    jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  } catch {
    throw new PrivateKeyError(`is not a valid ${algorithm.name === "ECDSA" ? "EC" : "RSA"} private key`);
  }
  return identity(jwk);
}

/** The algorithm to import a certificate's SubjectPublicKeyInfo with; undefined for other key types. */
function spkiAlgorithm(spki: ArrayBuffer): KeyAlgorithm | undefined {
  try {
    const { algorithm } = AsnConvert.parse(spki, SubjectPublicKeyInfo);
    if (algorithm.algorithm === id_rsaEncryption) return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    if (algorithm.algorithm === id_ecPublicKey)
      return { name: "ECDSA", namedCurve: curveOf(algorithm.parameters, "certificate") };
  } catch {
    // Unreadable, or a curve this module does not support: it cannot match.
  }
  return undefined;
}

/** The certificate's public key (its SubjectPublicKeyInfo, DER) as canonical public members. */
export async function publicIdentityOfSpki(spki: ArrayBuffer): Promise<PublicIdentity | undefined> {
  const algorithm = spkiAlgorithm(spki);
  if (!algorithm) return undefined;
  const key = await crypto.subtle.importKey("spki", spki, algorithm, true, ["verify"]);
  return identity((await crypto.subtle.exportKey("jwk", key)) as JsonWebKey);
}

/**
 * Whether the PEM private key is the one whose public half the certificate (SPKI DER) carries.
 * Throws PrivateKeyError when the key cannot be read; a certificate with a key type this module
 * does not read (e.g. Ed25519) never matches.
 */
export async function privateKeyMatches(privateKeyPem: string, spki: ArrayBuffer): Promise<boolean> {
  const derived = await publicIdentityOfPrivateKey(privateKeyPem);
  const certified = await publicIdentityOfSpki(spki);
  return certified !== undefined && derived === certified;
}
