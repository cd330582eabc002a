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

  it("with refreshInBackground, answers the stale listing while the new one runs, then the new one", async () => {
    let now = 0;
    let listing = 0;
    let release: (() => void) | undefined;
    const inventory = cachedInventory(
      async (): Promise<Inventory> => {
        const n = ++listing;
        if (n === 3) throw new Error("throttled");
        if (n > 1) await new Promise<void>((resolve) => (release = resolve));
        return {
          targets: [],
          errors: [{ provider: "huawei", kind: "note", account: `listing ${n}`, message: "" }],
        };
      },
      { maxAgeMs: 1000, now: () => new Date(now), refreshInBackground: true },
    );
    const account = async () => (await inventory.get()).errors[0]!.account;
    expect(await account()).toBe("listing 1"); // nothing cached yet: waits for the first
    now = 1500;
    expect(await account()).toBe("listing 1"); // stale, answered at once; listing 2 starts
    expect(await account()).toBe("listing 1"); // listing 2 still running: not started twice
    expect(listing).toBe(2);
    release!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await account()).toBe("listing 2");
    now = 3000;
    expect(await account()).toBe("listing 2"); // listing 3 fails in the background...
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await account()).toBe("listing 2"); // ...the stale one stays, and listing 4 starts
    expect(listing).toBe(4);
  });
});
