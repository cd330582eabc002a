// The shared per-account rate limit inside workerd: the ACCOUNT_RATE Durable Object declared in
// wrangler.toml hands out send times for every invocation together, one counted subrequest each.
import { env } from "cloudflare:test";
import type { DurableObjectNamespace } from "@cloudflare/workers-types";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../shared/config/config.ts";
import { subrequestBudget } from "../shared/jobs/budget.ts";
import { ACCOUNT_RATE_VARIABLE, accountRate, accountRateFromEnv } from "./account-rate.workers.ts";

const bindings = env as unknown as Record<string, unknown>;
const ACCOUNT_RATE = bindings.ACCOUNT_RATE as DurableObjectNamespace;

describe("the per-account rate limit shared by invocations (Durable Object)", () => {
  it("spaces the bookings of two invocations of one account at the rate; other accounts are apart", async () => {
    const first = subrequestBudget();
    const second = subrequestBudget();
    const one = accountRate(ACCOUNT_RATE, 2, first);
    const two = accountRate(ACCOUNT_RATE, 2, second);
    const account = `acct-${crypto.randomUUID()}`;
    const a = await one(account);
    const b = await two(account);
    const c = await one(account);
    expect([b - a, c - a]).toEqual([500, 1000]);
    // Another account's bucket is full: its first slot is now, not after this account's.
    const other = await two(`other-${crypto.randomUUID()}`);
    expect(other).toBeLessThan(a + 500);
    // Each booking is a subrequest of the invocation that made it.
    expect([first.spent, second.spent]).toEqual([2, 2]);
  });

  it("is what the Worker's env gives, with the rate from ACCOUNT_RATE_PER_SECOND (wrangler.toml)", async () => {
    const shared = accountRateFromEnv(bindings);
    expect(shared).toBeTypeOf("function");
    const book = shared!();
    const account = `env-${crypto.randomUUID()}`;
    const a = await book(account);
    const b = await book(account);
    expect(b - a).toBe(1000 / Number(bindings[ACCOUNT_RATE_VARIABLE]));
    expect(accountRateFromEnv({ ...bindings, ACCOUNT_RATE: undefined })).toBeUndefined();
  });

  it("refuses a rate that is not a positive number, naming the variable", () => {
    expect(() => accountRateFromEnv({ ...bindings, [ACCOUNT_RATE_VARIABLE]: "fast" })).toThrow(ConfigError);
    let refused: unknown;
    try {
      accountRateFromEnv({ ...bindings, [ACCOUNT_RATE_VARIABLE]: "0" });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).issues).toEqual([
      expect.objectContaining({
        variable: ACCOUNT_RATE_VARIABLE,
        message: expect.stringContaining("positive number"),
      }),
    ]);
  });

  it("answers a malformed booking 400, and the caller says which account's limiter refused", async () => {
    const stub = ACCOUNT_RATE.get(ACCOUNT_RATE.idFromName("malformed"));
    const response = await stub.fetch("https://account-rate/reserve?rate=-1", { method: "POST" });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringContaining("rate=") });
    await expect(accountRate(ACCOUNT_RATE, -1)("malformed")).rejects.toThrow(/account "malformed"/);
  });
});
