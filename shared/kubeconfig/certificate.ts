// What nightshift reads of an X.509 certificate: subject, issuer, serial, validity and the public
// key (SubjectPublicKeyInfo, for the key-match check), straight from the ASN.1 structure (asn1js,
// checked against the RFC 5280 schema below). @peculiar/x509 would also do it, but brings a
// dependency-injection container, reflect-metadata and the CMS schemas (~28 KiB gzip) into the
// Worker for these fields. The names are written as @peculiar/x509 writes them (the form stored
// and shown so far).
import * as asn1js from "asn1js";
import { algorithmIdentifier, encodedBytes, oidOf, readStructure } from "./asn1.ts";

/** The client certificate's metadata: what events, logs and the API may show (renewal's facts). */
export interface CertificateFacts {
  /** RFC 4514-style, in the certificate's order, e.g. `CN=alice, O=system:masters`. */
  subject: string;
  issuer: string;
  /** Lower-case hex of the serial number's bytes. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export interface ReadCertificate {
  facts: CertificateFacts;
  /** The SubjectPublicKeyInfo, DER. */
  spki: ArrayBuffer;
}

// The short names @peculiar/x509 uses; any other attribute is written by its OID.
const ATTRIBUTE_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/** RFC 4514 escaping of an attribute value (control characters as \\XX). */
function escapeValue(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/[\r\n\t]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`);
}

// The string types an attribute value is read as text from (X.520 DirectoryString and IA5String),
// by universal tag: TeletexString, PrintableString, UniversalString, UTF8String, BMPString, IA5String.
const STRING_TAGS = new Set([20, 19, 28, 12, 30, 22]);

/** An attribute value as text: a string type's characters, anything else `#` and its DER in hex. */
function attributeValue(value: asn1js.AsnType): string {
  const { tagClass, tagNumber, isConstructed } = value.idBlock;
  if (tagClass === 1 && !isConstructed && STRING_TAGS.has(tagNumber))
    return escapeValue((value as asn1js.Utf8String).valueBlock.value);
  // A NULL is no value at all (as @peculiar/x509 reads it).
  if (tagClass === 1 && tagNumber === 5) return "";
  return `#${hex(encodedBytes(value))}`;
}

const children = (block: asn1js.AsnType, what: string): asn1js.AsnType[] => {
  const value = (block.valueBlock as { value?: unknown }).value;
  if (!block.idBlock.isConstructed || !Array.isArray(value))
    throw new Error(`the certificate's ${what} is malformed`);
  return value as asn1js.AsnType[];
};

/** A Name (RDNSequence), `CN=alice, O=system:masters`: RDNs joined by ", ", multi-valued ones by "+". */
function formatName(name: asn1js.AsnType, field: string): string {
  return children(name, field)
    .map((rdn) => {
      if (!(rdn instanceof asn1js.Set)) throw new Error(`the certificate's ${field} is malformed`);
      return children(rdn, field)
        .map((attribute) => {
          const [type, value] = attribute instanceof asn1js.Sequence ? children(attribute, field) : [];
          const oid = oidOf(type);
          if (!oid || !value) throw new Error(`the certificate's ${field} is malformed`);
          return `${ATTRIBUTE_NAMES[oid] ?? oid}=${attributeValue(value)}`;
        })
        .join("+");
    })
    .join(", ");
}

function serialOf(serial: asn1js.Integer): string {
  let bytes = serial.valueBlock.valueHexView;
  // The sign byte DER adds before a high first byte is not part of the number.
  if (bytes.length > 1 && bytes[0] === 0 && bytes[1]! > 0x7f) bytes = bytes.subarray(1);
  return hex(bytes);
}

/**
 * A validity time as RFC 5280 §4.1.2.5 writes it: UTCTime YYMMDDHHMMSSZ (1950–2049) or
 * GeneralizedTime YYYYMMDDHHMMSSZ, every field in range (a 31 April is refused, not rolled over).
 */
function validityTime(time: asn1js.UTCTime, field: string): Date {
  const at = time.toDate();
  const digits = Number.isNaN(at.getTime()) ? "" : at.toISOString().replace(/\D/g, "").slice(0, 14);
  const written = time instanceof asn1js.GeneralizedTime ? `${digits}Z` : `${digits.slice(2)}Z`;
  if (String.fromCharCode(...time.valueBlock.valueHexView) !== written || digits.length !== 14)
    throw new Error(`the certificate's ${field} is not an RFC 5280 time`);
  return at;
}

const time = (name: string) =>
  new asn1js.Choice({ value: [new asn1js.UTCTime({ name }), new asn1js.GeneralizedTime({ name })] });

// Certificate (RFC 5280 §4.1), as far as it is read; issuerUniqueID, subjectUniqueID and the
// extensions after subjectPublicKeyInfo are not.
const CERTIFICATE = new asn1js.Sequence({
  value: [
    new asn1js.Sequence({
      value: [
        new asn1js.Constructed({
          optional: true,
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.Integer()],
        }),
        new asn1js.Integer({ name: "serial" }),
        algorithmIdentifier("signature"),
        new asn1js.Sequence({ name: "issuer" }),
        new asn1js.Sequence({ value: [time("notBefore"), time("notAfter")] }),
        new asn1js.Sequence({ name: "subject" }),
        new asn1js.Sequence({
          name: "spki",
          value: [algorithmIdentifier("spki.algorithm"), new asn1js.BitString()],
        }),
      ],
    }),
    algorithmIdentifier("signatureAlgorithm"),
    new asn1js.BitString(),
  ],
});

/** Reads a DER certificate. Throws when it is not one. */
export function readCertificate(der: Uint8Array): ReadCertificate {
  const parts = readStructure(der, CERTIFICATE);
  if (!parts) throw new Error("is not a DER X.509 certificate");
  return {
    facts: {
      subject: formatName(parts.subject!, "subject"),
      issuer: formatName(parts.issuer!, "issuer"),
      serial: serialOf(parts.serial as asn1js.Integer),
      notBefore: validityTime(parts.notBefore as asn1js.UTCTime, "notBefore"),
      notAfter: validityTime(parts.notAfter as asn1js.UTCTime, "notAfter"),
    },
    spki: encodedBytes(parts.spki!).buffer,
  };
}

/** DER as PEM: base64 in lines of 64, the label's armour around it. */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const body = btoa(binary).match(/.{1,64}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...body, `-----END ${label}-----`].join("\n");
}

/** The DER of the first PEM block of a text. Throws when there is none or its body is not base64. */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const match = /-----BEGIN [A-Z0-9 ]+-----([A-Za-z0-9+/=\s]*?)-----END [A-Z0-9 ]+-----/.exec(pem);
  if (!match) throw new Error("no PEM block");
  return Uint8Array.from(atob(match[1]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
}
