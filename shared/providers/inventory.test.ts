import { describe, expect, it } from "vitest";
import { cachedInventory, type Inventory } from "./inventory.ts";

describe("cachedInventory", () => {
  it("lists again only when the cached listing is older than maxAge, and never caches a failure", async () => {
    let now = 0;
    let calls = 0;
    let fail = false;
    const inventory = cachedInventory(
      async (): Promise<Inventory> => {
        calls++;
        if (fail) throw new Error("throttled");
        return { targets: [], errors: [] };
      },
      { maxAgeMs: 1000, now: () => new Date(now) },
    );
    await inventory.get();
    now = 999;
    await inventory.get();
    expect(calls).toBe(1);
    now = 1000;
    fail = true;
    await expect(inventory.get()).rejects.toThrow("throttled");
    fail = false;
    await inventory.get();
    expect(calls).toBe(3);
    inventory.invalidate();
    await inventory.get();
    expect(calls).toBe(4);
  });
});
