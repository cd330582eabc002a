// Does a kubeconfig's private key belong to its client certificate? The public key is derived from
// the private key (Web Crypto imports it and exports its public members) and compared with the
// certificate's SubjectPublicKeyInfo, for RSA and EC (P-256, P-384, P-521) keys in any of the PEM
// forms kubeconfigs carry: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY", what kubeadm and
// most clouds write) and SEC1 ("EC PRIVATE KEY"). Web Crypto reads only PKCS#8, so the other two
// are wrapped into it first (ASN.1 read and written with asn1js).
//
// Nothing here puts key material into an error message: a failure names the form, never the bytes.

import * as asn1js from "asn1js";
import { algorithmIdentifier, oidOf, readStructure } from "./asn1.ts";

const id_rsaEncryption = "1.2.840.113549.1.1.1";
const id_ecPublicKey = "1.2.840.10045.2.1";

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

/**
 * The named curve of ECParameters (RFC 5480 §2.1.1: namedCurve OID, implicitCurve NULL or a
 * specifiedCurve SEQUENCE); only named curves are supported.
 */
function curveOf(parameters: asn1js.AsnType | undefined, where: string): "P-256" | "P-384" | "P-521" {
  const oid = oidOf(parameters);
  if (parameters && !oid && !(parameters instanceof asn1js.Null) && !(parameters instanceof asn1js.Sequence))
    throw new PrivateKeyError(`is an EC key whose curve parameters (${where}) cannot be read`);
  const curve = oid ? CURVES[oid] : undefined;
  if (!curve)
    throw new PrivateKeyError(
      `is an EC key on ${oid ? `curve ${oid}` : "an unnamed curve"}; supported curves are P-256, P-384 and P-521`,
    );
  return curve;
}

// PrivateKeyInfo (RFC 5208 §5; attributes and a OneAsymmetricKey's public key are not read).
const PRIVATE_KEY_INFO = new asn1js.Sequence({
  value: [new asn1js.Integer(), algorithmIdentifier("algorithm"), new asn1js.OctetString()],
});

// ECPrivateKey (RFC 5915 §3): the curve is the [0] parameters, when present.
const EC_PRIVATE_KEY = new asn1js.Sequence({
  value: [
    new asn1js.Integer(),
    new asn1js.OctetString(),
    new asn1js.Constructed({
      optional: true,
      idBlock: { tagClass: 3, tagNumber: 0 },
      value: [new asn1js.Any({ name: "parameters" })],
    }),
    new asn1js.Constructed({
      optional: true,
      idBlock: { tagClass: 3, tagNumber: 1 },
      value: [new asn1js.BitString()],
    }),
  ],
});

// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
const SUBJECT_PUBLIC_KEY_INFO = new asn1js.Sequence({
  value: [algorithmIdentifier("algorithm"), new asn1js.BitString()],
});

/** A PrivateKeyInfo, DER: version 0, the algorithm and its parameters, the key's own encoding. */
function privateKeyInfo(algorithm: string, parameters: asn1js.AsnType, privateKey: Uint8Array): ArrayBuffer {
  return new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: algorithm }), parameters] }),
      new asn1js.OctetString({ valueHex: privateKey }),
    ],
  }).toBER();
}

/** Any supported PEM private key → PKCS#8 DER and the Web Crypto algorithm to import it with. */
function toPkcs8(pem: string): { pkcs8: ArrayBuffer; algorithm: KeyAlgorithm } {
  const { label, der } = privateKeyBlock(pem);
  const rsa: KeyAlgorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const unreadable = () => new PrivateKeyError(`is a "${label}" PEM block whose ASN.1 cannot be read`);
  if (label === "RSA PRIVATE KEY")
    // The RSAPrivateKey itself is checked by Web Crypto's import.
    return { pkcs8: privateKeyInfo(id_rsaEncryption, new asn1js.Null(), der), algorithm: rsa };
  if (label === "EC PRIVATE KEY") {
    const sec1 = readStructure(der, EC_PRIVATE_KEY);
    if (!sec1) throw unreadable();
    const curve = curveOf(sec1.parameters, "EC PRIVATE KEY");
    const curveOid = Object.entries(CURVES).find(([, name]) => name === curve)![0];
    return {
      pkcs8: privateKeyInfo(id_ecPublicKey, new asn1js.ObjectIdentifier({ value: curveOid }), der),
      algorithm: { name: "ECDSA", namedCurve: curve },
    };
  }
  if (label === "PRIVATE KEY") {
    const info = readStructure(der, PRIVATE_KEY_INFO);
    if (!info) throw unreadable();
    const oid = oidOf(info.algorithm);
    if (oid === id_rsaEncryption) return { pkcs8: der.buffer, algorithm: rsa };
    if (oid === id_ecPublicKey)
      return {
        pkcs8: der.buffer,
        algorithm: { name: "ECDSA", namedCurve: curveOf(info["algorithm.parameters"], "PRIVATE KEY") },
      };
    throw new PrivateKeyError(`is a ${oid} key; supported are RSA and EC (P-256, P-384, P-521)`);
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
  const info = readStructure(spki, SUBJECT_PUBLIC_KEY_INFO);
  const oid = oidOf(info?.algorithm);
  if (oid === id_rsaEncryption) return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  if (oid === id_ecPublicKey) {
    try {
      return { name: "ECDSA", namedCurve: curveOf(info!["algorithm.parameters"], "certificate") };
    } catch {
      // A curve this module does not support: it cannot match.
    }
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
