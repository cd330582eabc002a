import { describe, expect, it } from "vitest";
import { timingSafeEqual } from "./compare.ts";
import { checkAuthorization } from "./credentials.ts";

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

describe("checkAuthorization", () => {
  it("accepts any of the configured bearer tokens (rotation) and nothing else", () => {
    const expected = { kind: "bearer", tokens: ["old-token", "new-token"] } as const;
    expect(checkAuthorization("Bearer new-token", expected)).toBe(true);
    expect(checkAuthorization("bearer old-token", expected)).toBe(true);
    expect(checkAuthorization("Bearer new-toke", expected)).toBe(false);
    expect(checkAuthorization("Bearer new-tokenX", expected)).toBe(false);
    expect(checkAuthorization("Basic new-token", expected)).toBe(false);
    expect(checkAuthorization("Bearer ", { kind: "bearer", tokens: [""] })).toBe(false);
    expect(checkAuthorization(undefined, expected)).toBe(false);
  });

  it("checks basic credentials, including passwords containing colons", () => {
    const expected = { kind: "basic", username: "alertmanager", passwords: ["p:a:ss"] } as const;
    expect(checkAuthorization(basic("alertmanager", "p:a:ss"), expected)).toBe(true);
    expect(checkAuthorization(basic("alertmanager", "p:a:sS"), expected)).toBe(false);
    expect(checkAuthorization(basic("other", "p:a:ss"), expected)).toBe(false);
    expect(checkAuthorization("Basic !!!not-base64", expected)).toBe(false);
    expect(checkAuthorization(`Basic ${btoa("no-colon")}`, expected)).toBe(false);
  });
});

describe("timingSafeEqual", () => {
  it("is plain equality, including for different lengths and unicode", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("签名", "签名")).toBe(true);
    expect(timingSafeEqual("签名", "签者")).toBe(false);
  });
});
