// Fault injection by rate: each request rolls the dice once per fault kind, in a fixed order.
// The vendor decides what its 5xx and 429 bodies look like; the framework decides when.
import type { Context, MiddlewareHandler } from "hono";

export interface FaultRates {
  /** Probability (0..1) of answering with the vendor's 500-class error. */
  serverError: number;
  /** Probability of a 429 with Retry-After, in the vendor's throttling shape. */
  throttle: number;
  /** Probability of a slow answer (delay `slowMs`, then the real answer). */
  slow: number;
  /** Probability of never answering in time (hold `timeoutMs`, then drop the connection). */
  timeout: number;
  /** Probability of resetting the connection without an answer. */
  reset: number;
  slowMs: number;
  timeoutMs: number;
  retryAfterSeconds: number;
}

export const NO_FAULTS: FaultRates = {
  serverError: 0,
  throttle: 0,
  slow: 0,
  timeout: 0,
  reset: 0,
  slowMs: 2_000,
  timeoutMs: 60_000,
  retryAfterSeconds: 1,
};

export interface VendorErrorPages {
  serverError(c: Context): Response | Promise<Response>;
  throttled(c: Context, retryAfterSeconds: number): Response | Promise<Response>;
}

export type FaultKind = "server-error" | "throttle" | "slow" | "timeout" | "reset";

export interface FaultControl {
  rates(): FaultRates;
  set(rates: Partial<FaultRates>): FaultRates;
  clear(): void;
}

export function createFaultControl(): FaultControl {
  let current = { ...NO_FAULTS };
  return {
    rates: () => current,
    set(rates) {
      for (const [name, value] of Object.entries(rates)) {
        if (!(name in NO_FAULTS))
          throw new Error(`unknown fault "${name}"; known: ${Object.keys(NO_FAULTS).join(", ")}`);
        if (typeof value !== "number" || !(value >= 0))
          throw new Error(`fault "${name}" must be a number >= 0`);
        if (!name.endsWith("Ms") && name !== "retryAfterSeconds" && value > 1) {
          throw new Error(`fault "${name}" is a probability between 0 and 1`);
        }
      }
      current = { ...current, ...rates };
      return current;
    },
    clear() {
      current = { ...NO_FAULTS };
    },
  };
}

/** Node's socket, when the app is served by @hono/node-server; used to drop connections. */
function socketOf(c: Context): { destroy(): void } | undefined {
  const env = c.env as { incoming?: { socket?: { destroy(): void } } } | undefined;
  return env?.incoming?.socket;
}

export function faultMiddleware(
  control: FaultControl,
  random: () => number,
  pages: VendorErrorPages,
  onFault?: (c: Context, kind: FaultKind) => void,
): MiddlewareHandler {
  return async (c, next) => {
    const rates = control.rates();
    const hit = (rate: number) => rate > 0 && random() < rate;
    if (hit(rates.reset)) {
      onFault?.(c, "reset");
      socketOf(c)?.destroy();
      return new Response(null, { status: 502 });
    }
    if (hit(rates.timeout)) {
      onFault?.(c, "timeout");
      await new Promise((resolve) => setTimeout(resolve, rates.timeoutMs));
      socketOf(c)?.destroy();
      return new Response(null, { status: 504 });
    }
    if (hit(rates.serverError)) {
      onFault?.(c, "server-error");
      return pages.serverError(c);
    }
    if (hit(rates.throttle)) {
      onFault?.(c, "throttle");
      return pages.throttled(c, rates.retryAfterSeconds);
    }
    if (hit(rates.slow)) {
      onFault?.(c, "slow");
      await new Promise((resolve) => setTimeout(resolve, rates.slowMs));
    }
    await next();
  };
}
