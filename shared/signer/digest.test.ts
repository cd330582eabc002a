// The digest functions the signers import as `#digest` (node:crypto on Node; in workerd plain-JS
// SHA-256 and node:crypto for SHA-1 and MD5) and the Web Crypto module they replace on those hosts (digest.ts, the fallback for any other runtime) give
// the same, published results; runs on Node and inside workerd.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as chosen from "#digest";
import * as webCrypto from "./digest.ts";
import { base64, hex, utf8 } from "./encoding.ts";

const RFC_DATA = "what do ya want for nothing?"; // RFC 4231 test case 2 / RFC 2202 test case 2, key "Jefe"

describe.each([
  ["#digest", chosen],
  ["digest.ts (Web Crypto)", webCrypto],
])("%s", (_name, digest) => {
  it("hashes SHA-256 and MD5 to the published values, strings as UTF-8", async () => {
    expect(await digest.sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(await digest.sha256Hex(new Uint8Array(0))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(hex(await digest.sha256(utf8("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(hex(digest.md5Bytes(utf8("abc")))).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(digest.md5Base64(new Uint8Array(0))).toBe("1B2M2Y8AsgTpgAmY7PhCfg==");
  });

  it("computes HMAC-SHA256 (RFC 4231) and HMAC-SHA1 (RFC 2202) in bytes, hex and base64", async () => {
    const sha256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    expect(hex(await digest.hmac("SHA-256", "Jefe", RFC_DATA))).toBe(sha256);
    expect(await digest.hmacHex("SHA-256", utf8("Jefe"), utf8(RFC_DATA))).toBe(sha256);
    expect(await digest.hmacHex("SHA-1", "Jefe", RFC_DATA)).toBe("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    expect(await digest.hmacBase64("SHA-1", "Jefe", RFC_DATA)).toBe("7/zfauXrL6LSdBbV8YTfnCWafHk=");
  });

  it("returns plain Uint8Arrays (not a host's Buffer, whose slice shares memory)", async () => {
    expect(Object.getPrototypeOf(await digest.hmac("SHA-256", "k", "v"))).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(await digest.sha256(utf8("v")))).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(digest.md5Bytes(utf8("v")))).toBe(Uint8Array.prototype);
  });

  it("encodes a lone surrogate as U+FFFD, as TextEncoder does", async () => {
    expect(await digest.sha256Hex("a\uD800b")).toBe(await digest.sha256Hex(utf8("a\uFFFDb")));
    expect(await digest.hmacHex("SHA-256", "k\uDC00", "v")).toBe(
      await digest.hmacHex("SHA-256", "k\uFFFD", "v"),
    );
  });
});

describe("#digest against the Web Crypto module", () => {
  // Keys are non-empty: Web Crypto refuses an empty HMAC key (every caller refuses one first).
  it("agrees on every function for random keys and texts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "grapheme", minLength: 1 }),
        fc.string(),
        fc.uint8Array({ minLength: 1 }),
        async (key, text, bytes) => {
          const data = bytes as Uint8Array<ArrayBuffer>;
          expect(await chosen.sha256Hex(text)).toBe(await webCrypto.sha256Hex(text));
          expect(hex(await chosen.sha256(data))).toBe(hex(await webCrypto.sha256(data)));
          expect(chosen.md5Base64(data)).toBe(webCrypto.md5Base64(data));
          for (const algorithm of ["SHA-1", "SHA-256"] as const) {
            expect(await chosen.hmacHex(algorithm, key, text)).toBe(
              await webCrypto.hmacHex(algorithm, key, text),
            );
            expect(await chosen.hmacBase64(algorithm, data, data)).toBe(
              base64(await webCrypto.hmac(algorithm, data, data)),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
