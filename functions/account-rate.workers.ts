// One account's API rate limit shared by every Worker invocation: a Durable Object per account (named
// by the account id) keeps the token bucket (shared/http/limiter.ts `rateSchedule`) and hands out
// send times; an invocation books one slot per request (one subrequest, counted in its budget) and
// waits for it itself. Without it each invocation paced only itself, and 250 consumers at once
// overran the account's limit together (429s and their back-offs).
//
// The bucket lives in the object's memory: a Durable Object is single-threaded and one instance
// serves the account, so bookings are in order. Should it be evicted, the bucket starts full again:
// at most `burst` requests early, which the HTTP client's 429 handling absorbs.
import type { DurableObjectNamespace } from "@cloudflare/workers-types";
import { ConfigError } from "../shared/config/config.ts";
import { type RateSchedule, rateSchedule } from "../shared/http/limiter.ts";
import type { SubrequestBudget } from "../shared/jobs/budget.ts";

/** The binding (wrangler.toml [[durable_objects.bindings]]) and the variable that sets the rate. */
export const ACCOUNT_RATE_BINDING = "ACCOUNT_RATE";
export const ACCOUNT_RATE_VARIABLE = "ACCOUNT_RATE_PER_SECOND";

/** Where a booking goes: `POST /reserve?rate=<requests per second>&burst=<n>`, answered `{"at": <epoch ms>}`. */
const RESERVE_URL = "https://account-rate/reserve";

export class AccountRateLimiter {
  private bucket?: { key: string; schedule: RateSchedule };

  /** Books the next request's slot; answers when it is. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const rate = Number(url.searchParams.get("rate"));
    const burst = Number(url.searchParams.get("burst") ?? "1");
    if (
      url.pathname !== "/reserve" ||
      !(rate > 0 && Number.isFinite(rate)) ||
      !Number.isInteger(burst) ||
      burst < 1
    )
      return Response.json(
        { error: "expected POST /reserve?rate=<requests per second > 0>&burst=<integer >= 1>" },
        { status: 400 },
      );
    const key = `${rate}/${burst}`;
    // A changed setting (a new deploy) starts a new bucket.
    if (this.bucket?.key !== key) this.bucket = { key, schedule: rateSchedule(rate, burst) };
    return Response.json({ at: this.bucket.schedule.reserve(Date.now()) });
  }
}

/** The requests per second `ACCOUNT_RATE_PER_SECOND` sets, or why it is not one. */
export function accountRateOf(value: unknown): number | { invalid: string } {
  const rate = typeof value === "string" ? Number(value) : Number.NaN;
  if (Number.isFinite(rate) && rate > 0) return rate;
  return {
    invalid: `${ACCOUNT_RATE_VARIABLE} must be a positive number of requests per second per cloud account (e.g. "10"), got ${JSON.stringify(value)}`,
  };
}

/**
 * The Worker's shared rate limit from its bindings: undefined without the ACCOUNT_RATE binding (each
 * client then sends unpaced, as before); a ConfigError when the rate variable is not a rate.
 */
export function accountRateFromEnv(
  env: Record<string, unknown>,
): ((budget?: SubrequestBudget) => (account: string) => Promise<number>) | undefined {
  const namespace = env[ACCOUNT_RATE_BINDING] as DurableObjectNamespace | undefined;
  if (typeof namespace?.idFromName !== "function") return undefined;
  const rate = accountRateOf(env[ACCOUNT_RATE_VARIABLE]);
  if (typeof rate !== "number")
    throw new ConfigError([{ variable: ACCOUNT_RATE_VARIABLE, message: rate.invalid }]);
  return (budget) => accountRate(namespace, rate, budget);
}

/** The HTTP client's `sharedRate` over the Durable Objects: one booking per request, counted. */
export function accountRate(
  namespace: DurableObjectNamespace,
  ratePerSecond: number,
  budget?: SubrequestBudget,
): (account: string) => Promise<number> {
  return async (account) => {
    budget?.spend("rate limiter");
    const stub = namespace.get(namespace.idFromName(account));
    const response = await stub.fetch(`${RESERVE_URL}?rate=${ratePerSecond}&burst=1`, { method: "POST" });
    const body = (await response.json()) as { at?: unknown; error?: unknown };
    if (!response.ok || typeof body.at !== "number")
      throw new Error(`the rate limiter of account "${account}" refused a booking: ${JSON.stringify(body)}`);
    return body.at;
  };
}
