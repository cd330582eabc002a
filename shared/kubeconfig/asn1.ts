// What certificate.ts and private-key.ts share to read DER with asn1js (the ASN.1 library pkijs is
// built on): a structure checked against its schema, whose named parts come back as asn1js blocks.
// The @peculiar/asn1-* schema layers over asn1js did the same with decorators and cost the Worker
// ~15 KiB gzip more.
import * as asn1js from "asn1js";

/**
 * The named parts of DER that matches the schema; undefined when it does not. asn1js decodes some
 * malformed contents by throwing (a BMPString of odd length: RangeError; a bad GeneralizedTime:
 * Error) rather than failing the match: those are a mismatch too.
 */
export function readStructure(
  der: ArrayBuffer | Uint8Array,
  schema: asn1js.AsnSchemaType,
): Record<string, asn1js.AsnType> | undefined {
  try {
    const { verified, result } = asn1js.verifySchema(der as BufferSource, schema);
    return verified ? (result as unknown as Record<string, asn1js.AsnType>) : undefined;
  } catch {
    return undefined;
  }
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2): its OID and parameters named `<name>` and `<name>.parameters`. */
export function algorithmIdentifier(name: string): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ name }),
      new asn1js.Any({ name: `${name}.parameters`, optional: true }),
    ],
  });
}

/** The dotted form of an OBJECT IDENTIFIER block. */
export const oidOf = (block: asn1js.AsnType | undefined): string | undefined =>
  block instanceof asn1js.ObjectIdentifier ? block.valueBlock.toString() : undefined;

/** The bytes of a block as they were in the input: tag, length and contents. */
export const encodedBytes = (block: asn1js.AsnType): Uint8Array<ArrayBuffer> =>
  block.valueBeforeDecodeView.slice();
