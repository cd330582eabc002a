// What nightshift reads of an X.509 certificate: subject, issuer, serial, validity and the public
// key (SubjectPublicKeyInfo, for the key-match check), straight from the ASN.1 structure
// (@peculiar/asn1-x509). @peculiar/x509 would also do it, but brings a dependency-injection
// container, reflect-metadata and the CMS schemas (~28 KiB gzip) into the Worker for these fields.
// The names are written as @peculiar/x509 writes them (the form stored and shown so far).
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, type Name } from "@peculiar/asn1-x509";

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

/** RFC 4514 escaping of an attribute value (control characters as \XX). */
function escapeValue(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/[\r\n\t]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`);
}

/** `CN=alice, O=system:masters`: RDNs joined by ", ", multi-valued ones by "+". */
export function formatName(name: Name): string {
  return name
    .map((rdn) =>
      rdn
        .map(({ type, value }) => {
          const text = value.anyValue ? `#${hex(value.anyValue)}` : escapeValue(value.toString());
          return `${ATTRIBUTE_NAMES[type] ?? type}=${text}`;
        })
        .join("+"),
    )
    .join(", ");
}

function serialOf(raw: ArrayBuffer): string {
  let bytes = new Uint8Array(raw);
  // The sign byte DER adds before a high first byte is not part of the number.
  if (bytes.length > 1 && bytes[0] === 0 && bytes[1]! > 0x7f) bytes = bytes.slice(1);
  return hex(bytes);
}

/** Reads a DER certificate. Throws when it is not one. */
export function readCertificate(der: Uint8Array): ReadCertificate {
  const { tbsCertificate: tbs } = AsnConvert.parse(der, Certificate);
  const time = (t: { utcTime?: Date; generalTime?: Date }, field: string) => {
    const at = t.utcTime ?? t.generalTime;
    if (!at) throw new Error(`the certificate has no ${field}`);
    return at;
  };
  return {
    facts: {
      subject: formatName(tbs.subject),
      issuer: formatName(tbs.issuer),
      serial: serialOf(tbs.serialNumber),
      notBefore: time(tbs.validity.notBefore, "notBefore"),
      notAfter: time(tbs.validity.notAfter, "notAfter"),
    },
    spki: AsnConvert.serialize(tbs.subjectPublicKeyInfo),
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
