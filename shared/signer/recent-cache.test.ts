import { describe, expect, it } from "vitest";
import { recentlyUsed } from "./recent-cache.ts";

describe("recentlyUsed", () => {
  it("makes a value once per key and returns it until it is evicted", () => {
    const cache = new Map<string, number>();
    let made = 0;
    const make = () => ++made;
    expect(recentlyUsed(cache, 2, "a", make)).toBe(1);
    expect(recentlyUsed(cache, 2, "a", make)).toBe(1);
    expect(made).toBe(1);
  });

  it("evicts the least recently used entry, not the oldest made, when full", () => {
    const cache = new Map<string, string>();
    const make = (key: string) => () => key.toUpperCase();
    recentlyUsed(cache, 2, "secret", make("secret"));
    recentlyUsed(cache, 2, "one-off-1", make("one-off-1"));
    recentlyUsed(cache, 2, "secret", make("secret")); // used again: now the most recent
    recentlyUsed(cache, 2, "one-off-2", make("one-off-2"));
    expect([...cache.keys()]).toEqual(["secret", "one-off-2"]);
    expect(cache.size).toBe(2);
  });
});
