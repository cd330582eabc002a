// Byte and text encodings shared by every signer. Web-standard APIs only (TextEncoder, btoa),
// so the same code runs on Workers and on Node.

const utf8Encoder = new TextEncoder();

export type Bytes = Uint8Array<ArrayBuffer>;

export function utf8(text: string): Bytes {
  return utf8Encoder.encode(text) as Bytes;
}

export function toBytes(body: string | Uint8Array | undefined): Bytes {
  if (body === undefined) return new Uint8Array(0);
  if (typeof body === "string") return utf8(body);
  return new Uint8Array(body);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function fromBase64(text: string): Bytes {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;
const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;
const HEX_UPPER = HEX.map((pair) => pair.toUpperCase());

/**
 * RFC 3986 percent-encoding over UTF-8 bytes: keeps `A-Z a-z 0-9 - _ . ~`, encodes every other
 * byte as `%XX` with upper-case hex (space is `%20`, never `+`). `keep` lists extra characters
 * to leave as they are (e.g. "/" when encoding a whole path).
 */
export function percentEncode(text: string, keep = ""): string {
  if (UNRESERVED_ONLY.test(text)) return text; // most path segments, keys and values
  if (keep === "") {
    let encoded: string | undefined;
    try {
      // encodeURIComponent writes upper-case UTF-8 escapes and keeps A-Z a-z 0-9 - _ . ~ ! ' ( ) *;
      // the last five are not unreserved in RFC 3986. Far faster than a TextEncoder per character.
      encoded = encodeURIComponent(text);
    } catch {
      // A lone surrogate: encoded below as TextEncoder does, as U+FFFD.
    }
    if (encoded !== undefined) return encoded.replace(/[!'()*]/g, (c) => `%${HEX_UPPER[c.charCodeAt(0)]}`);
  }
  let out = "";
  for (const ch of text) {
    if (UNRESERVED.test(ch) || keep.includes(ch)) {
      out += ch;
      continue;
    }
    for (const b of utf8(ch)) out += `%${HEX_UPPER[b]}`;
  }
  return out;
}

/**
 * Decodes `%XX` escapes (and nothing else: `+` stays `+`). Malformed escapes are kept literally,
 * as the gateways do, instead of throwing.
 */
export function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}
