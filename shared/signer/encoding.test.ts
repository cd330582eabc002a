import { describe, expect, it } from "vitest";
import { base64, fromBase64, hex, percentDecode, percentEncode, utf8 } from "./encoding.ts";

describe("percentEncode", () => {
  it("keeps only RFC 3986 unreserved characters and encodes UTF-8 bytes in upper-case hex", () => {
    expect(percentEncode("a b+c~d*e/f=g")).toBe("a%20b%2Bc~d%2Ae%2Ff%3Dg");
    expect(percentEncode("测试")).toBe("%E6%B5%8B%E8%AF%95");
    expect(percentEncode("a/b c", "/")).toBe("a/b%20c");
    expect(percentEncode("(x)!'*")).toBe("%28x%29%21%27%2A");
  });
  it("encodes a lone surrogate as U+FFFD, as TextEncoder does", () => {
    expect(percentEncode("a\uD800b")).toBe("a%EF%BF%BDb");
    expect(percentEncode("\uDC00/", "/")).toBe("%EF%BF%BD/");
  });
  it("round-trips through percentDecode, and keeps malformed escapes literally", () => {
    const text = "x y+z/é😀%";
    expect(percentDecode(percentEncode(text))).toBe(text);
    expect(percentDecode("a%ZZb%41")).toBe("a%ZZbA");
  });
});

describe("bytes", () => {
  it("hex and base64 agree with known values", () => {
    expect(hex(utf8("abc"))).toBe("616263");
    expect(base64(utf8("abc"))).toBe("YWJj");
    expect(Array.from(fromBase64("YWJj"))).toEqual([97, 98, 99]);
  });
});
