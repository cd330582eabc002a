// Autopilot's two error-body shapes (digest §1.4, §7): CCE itself answers `errorCode` /
// `errorMessage` (the §7.2 form); the API gateway in front of it answers `error_code` /
// `error_msg` / `request_id` (APIG codes, ../apig.ts). Both carry an `X-Request-Id` header, as
// Huawei's gateways do.
import type { Context } from "hono";
import type { ApigRefusal } from "../apig.ts";
import type { VendorErrorPages } from "../faults.ts";
import { randomHex } from "./format.ts";

export const CCE = {
  invalid: { status: 400, code: "CCE.01400001", message: "Invalid request." },
  contentType: { status: 400, code: "CCE.01400006", message: "Content type not supported." },
  forbidden: { status: 403, code: "CCE.01403001", message: "Forbidden." },
  notFound: { status: 404, code: "CCE.01404001", message: "Resource not found." },
  locked: { status: 429, code: "CCE.01429002", message: "Resource locked by other requests." },
  throttled: { status: 429, code: "CCE.02429001", message: "The throttling threshold has been reached." },
  internal: { status: 500, code: "CCE.01500001", message: "Internal error." },
} as const;

export type CceError = (typeof CCE)[keyof typeof CCE];

type Status = 400 | 403 | 404 | 429 | 500;

export function requestIdHeader(random: () => number): Record<string, string> {
  return { "X-Request-Id": randomHex(random, 32) };
}

/**
 * A CCE error. `detail`, when given, rides in `message` (as the Status-envelope `message` of real
 * CCE answers does): the code and errorMessage stay exactly the documented pair.
 */
export function cceError(
  c: Context,
  random: () => number,
  error: CceError,
  detail?: string,
  headers: Record<string, string> = {},
): Response {
  const body: Record<string, string> = { errorCode: error.code, errorMessage: error.message };
  if (detail) body.message = detail;
  return c.json(body, error.status as Status, { ...requestIdHeader(random), ...headers });
}

/** The request id a gateway refusal carries (apig.ts renders it in the header and the body). */
export function gatewayRequestId(random: () => number): string {
  return randomHex(random, 32);
}

/** The digest's choice for an API the gateway does not have (APIGW prefix; CCE's gateway uses APIG.0101). */
export const GATEWAY_NO_SUCH_API: ApigRefusal = {
  status: 404,
  code: "APIGW.0101",
  message: "The API does not exist or has not been published in the environment",
};

/** Injected faults: CCE's own 500 and its service throttling 429 (the gateway's 429 is the per-account throttle). */
export function autopilotErrorPages(random: () => number): VendorErrorPages {
  return {
    serverError: (c) => cceError(c, random, CCE.internal),
    throttled: (c, retryAfterSeconds) =>
      cceError(c, random, CCE.throttled, undefined, { "Retry-After": String(retryAfterSeconds) }),
  };
}
