import { describe, expect, it } from "vitest";
import { memoryBackend } from "../store/memory.ts";
import { createStore } from "../store/store.ts";
import { cachedInventory, type Inventory, sharedListing } from "./inventory.ts";

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

describe("sharedListing (several replicas on one store)", () => {
  const T0 = Date.parse("2026-03-02T20:00:00Z");
  const MAX_AGE = 5 * 60_000;
  const fleet = (name: string): Inventory => ({
    targets: [
      {
        provider: "huawei",
        account: "hw",
        region: "cn-north-4",
        id: name,
        name,
        phase: "running",
        vendorPhase: "Available",
        tags: {},
        targetId: `hw/${name}`,
        nodePools: [],
      },
    ],
    errors: [],
  });

  it("lists once between replicas while the stored copy is fresh, then once more", async () => {
    const store = createStore(memoryBackend());
    let now = T0;
    const listings: string[] = [];
    const replica = (name: string) =>
      cachedInventory(
        sharedListing(
          async () => {
            listings.push(name);
            return fleet(`listed-by-${name}`);
          },
          { shared: store.shared, maxAgeMs: MAX_AGE, now: () => new Date(now) },
        ),
        { maxAgeMs: MAX_AGE, now: () => new Date(now) },
      );
    const [a, b, c] = [replica("a"), replica("b"), replica("c")];
    expect((await a.get()).targets[0]?.id).toBe("listed-by-a");
    now += 60_000;
    // b and c take a's copy, aged from when a listed it.
    const copy = await b.get();
    expect(copy.targets[0]?.id).toBe("listed-by-a");
    expect(copy.listedAt).toBe(new Date(T0).toISOString());
    expect((await c.get()).targets[0]?.id).toBe("listed-by-a");
    expect(listings).toEqual(["a"]);
    // Past maxAge from a's listing (not from b's read), the first to ask lists; the others take that.
    now = T0 + MAX_AGE;
    expect((await b.get()).targets[0]?.id).toBe("listed-by-b");
    expect((await a.get()).targets[0]?.id).toBe("listed-by-b");
    expect((await c.get()).targets[0]?.id).toBe("listed-by-b");
    expect(listings).toEqual(["a", "b"]);
  });

  it("lists when the store cannot give the copy, and still answers when it cannot keep one", async () => {
    const store = createStore(memoryBackend());
    const broken = {
      ...store.shared,
      get: async () => Promise.reject(new Error("store down")),
      put: async () => Promise.reject(new Error("store down")),
    };
    let listings = 0;
    const listing = sharedListing(
      async () => {
        listings++;
        return fleet("x");
      },
      { shared: broken, maxAgeMs: MAX_AGE, now: () => new Date(T0) },
    );
    expect((await listing()).targets[0]?.id).toBe("x");
    expect((await listing()).listedAt).toBe(new Date(T0).toISOString());
    expect(listings).toBe(2);
  });
});
