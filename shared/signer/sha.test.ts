// The plain-JavaScript SHA-256 / SHA-1 and their HMACs (sha.ts, workerd's `#digest`) against the
// published vectors (FIPS 180-4 examples, RFC 4231, RFC 2202) and against Web Crypto on random
// input, around every block and padding boundary; runs on Node and inside workerd.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex, utf8 } from "./encoding.ts";
import { hmacBase64, hmacBytes, hmacHex, hmacKey, type ShaAlgorithm, shaBytes, shaHex } from "./sha.ts";

const sha256Hex = (data: Uint8Array | string) => shaHex("SHA-256", data);
const sha256Bytes = (data: Uint8Array | string) => shaBytes("SHA-256", data);
const hmacSha256Key = (secret: Uint8Array | string) => hmacKey("SHA-256", secret);

const bytesOf = (length: number, value: number) => new Uint8Array(length).fill(value);

async function webSha(algorithm: ShaAlgorithm, data: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest(algorithm, data)));
}
const webSha256 = (data: Uint8Array<ArrayBuffer>) => webSha("SHA-256", data);

async function webHmac(
  key: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
  algorithm: ShaAlgorithm = "SHA-256",
): Promise<string> {
  // Web Crypto refuses an empty HMAC key; a zero byte pads to the same block.
  const usable = key.length === 0 ? new Uint8Array(1) : key;
  const imported = await crypto.subtle.importKey("raw", usable, { name: "HMAC", hash: algorithm }, false, [
    "sign",
  ]);
  return hex(new Uint8Array(await crypto.subtle.sign("HMAC", imported, data)));
}

describe("SHA-256", () => {
  it("gives the FIPS 180-4 example digests", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(sha256Hex("a".repeat(1_000_000))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
    expect(hex(sha256Bytes(utf8("abc")))).toBe(sha256Hex("abc"));
  });

  it("agrees with Web Crypto at every length around the block and padding boundaries", async () => {
    for (let length = 0; length <= 200; length++) {
      const ascii = "x".repeat(length);
      const expected = await webSha256(utf8(ascii));
      expect(sha256Hex(ascii), `length ${length}`).toBe(expected);
      expect(sha256Hex(utf8(ascii)), `bytes, length ${length}`).toBe(expected);
      // A multi-byte character at the end makes the string path switch to bytes mid-block.
      const mixed = `${"y".repeat(length)}测`;
      expect(sha256Hex(mixed), `mixed, length ${length}`).toBe(await webSha256(utf8(mixed)));
    }
  });

  it("hashes a view into a larger buffer by its own bytes only", async () => {
    const backing = bytesOf(300, 7);
    const view = backing.subarray(13, 213);
    expect(sha256Hex(view)).toBe(await webSha256(view.slice()));
  });

  it("hashes strings as UTF-8, a lone surrogate as U+FFFD, like TextEncoder", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({
          unit: fc.constantFrom("a", "~", "é", "测", "😀", "\uD800", "\uDC00", "\n"),
          maxLength: 300,
        }),
        async (text) => {
          expect(sha256Hex(text)).toBe(await webSha256(utf8(text)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("HMAC-SHA-256", () => {
  it("gives the RFC 4231 results, a key longer than a block hashed first", () => {
    expect(hmacHex(hmacSha256Key(bytesOf(20, 0x0b)), "Hi There")).toBe(
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    );
    expect(hmacHex(hmacSha256Key("Jefe"), "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
    expect(hmacHex(hmacSha256Key(bytesOf(20, 0xaa)), bytesOf(50, 0xdd))).toBe(
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    );
    const longKey = hmacSha256Key(bytesOf(131, 0xaa));
    expect(hmacHex(longKey, "Test Using Larger Than Block-Size Key - Hash Key First")).toBe(
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    );
    expect(
      hmacHex(
        longKey,
        "This is a test using a larger than block-size key and a larger than block-size data. " +
          "The key needs to be hashed before being used by the HMAC algorithm.",
      ),
    ).toBe("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  });

  it("gives the same result from a prepared key however often it is used, in hex, bytes and base64", () => {
    const key = hmacSha256Key("Jefe");
    const expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    for (let i = 0; i < 3; i++) {
      expect(hmacHex(key, "what do ya want for nothing?")).toBe(expected);
      sha256Hex("something else in between");
    }
    expect(hex(hmacBytes(key, utf8("what do ya want for nothing?")))).toBe(expected);
    expect(hmacBase64(key, "what do ya want for nothing?")).toBe(
      "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=",
    );
  });

  it("agrees with Web Crypto for random keys (up to three blocks) and texts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ unit: "grapheme", maxLength: 300 }),
        async (key, text) => {
          const rawKey = key as Uint8Array<ArrayBuffer>;
          const expected = await webHmac(rawKey, utf8(text));
          expect(hmacHex(hmacSha256Key(rawKey), text)).toBe(expected);
          expect(hex(hmacBytes(hmacSha256Key(rawKey), utf8(text)))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("SHA-1 and HMAC-SHA1", () => {
  it("gives the FIPS 180-4 example digests and the RFC 2202 HMACs", () => {
    expect(shaHex("SHA-1", "abc")).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(shaHex("SHA-1", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    );
    expect(shaHex("SHA-1", "")).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(hmacHex(hmacKey("SHA-1", "Jefe"), "what do ya want for nothing?")).toBe(
      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
    );
    expect(hmacBase64(hmacKey("SHA-1", "Jefe"), "what do ya want for nothing?")).toBe(
      "7/zfauXrL6LSdBbV8YTfnCWafHk=",
    );
    expect(
      hmacHex(hmacKey("SHA-1", bytesOf(80, 0xaa)), "Test Using Larger Than Block-Size Key - Hash Key First"),
    ).toBe("aa4ae5e15272d00e95705637ce8a3b55ed402112");
  });

  it("agrees with Web Crypto at every length and for random keys and texts", async () => {
    for (let length = 0; length <= 140; length++) {
      const text = `${"z".repeat(length)}é`;
      expect(shaHex("SHA-1", text), `length ${length}`).toBe(await webSha("SHA-1", utf8(text)));
    }
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ unit: "grapheme", maxLength: 300 }),
        async (key, text) => {
          const rawKey = key as Uint8Array<ArrayBuffer>;
          const expected = await webHmac(rawKey, utf8(text), "SHA-1");
          expect(hmacHex(hmacKey("SHA-1", rawKey), text)).toBe(expected);
          // Interleaved with SHA-256 on the shared scratch state.
          expect(hmacHex(hmacSha256Key(rawKey), text)).toBe(await webHmac(rawKey, utf8(text)));
          expect(hex(hmacBytes(hmacKey("SHA-1", rawKey), utf8(text)))).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
