// The two error bodies a Huawei CCE caller meets (digest §4.3):
// - CCE itself: the combined shape, `errorCode`/`errorMessage` plus `error_code`/`error_msg` inside a
//   Kubernetes `Status` envelope, as seen in the wild;
// - the API gateway (APIG) in front of it: only `error_code`/`error_msg` (+ `request_id`), e.g.
//   APIG.0301 for a bad signature or token, APIG.0308 for throttling (../apig.ts), APIG.0101 for
//   an unknown API.
import type { ApigRefusal } from "../apig.ts";

/** CCE codes with the doc's exact English message (digest §4.2). */
export const CCE_ERRORS = {
  "CCE.01400001": { status: 400, message: "Invalid request." },
  "CCE.01400006": { status: 400, message: "Content type not supported." },
  "CCE.01400014": { status: 400, message: "Excessive nodes in the cluster." },
  "CCE.01403001": { status: 403, message: "Forbidden." },
  "CCE.01404001": { status: 404, message: "Resource not found." },
  "CCE.01409001": { status: 409, message: "The resource already exists." },
  "CCE.01429002": { status: 429, message: "Resource locked by other requests." },
  "CCE.02429001": { status: 429, message: "The throttling threshold has been reached." },
  "CCE.01500001": { status: 500, message: "Internal error." },
} as const;
export type CceErrorCode = keyof typeof CCE_ERRORS;

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalError",
};

/** A refusal decided by the state machine or the routes, rendered by `cceErrorResponse`. */
export interface CceError {
  code: CceErrorCode;
  /** The specific explanation (`message` of the Status envelope). */
  detail: string;
}

export function cceError(code: CceErrorCode, detail: string): CceError {
  return { code, detail };
}

export function cceErrorBody(error: CceError): Record<string, unknown> {
  const { status, message } = CCE_ERRORS[error.code];
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    code: status,
    errorCode: error.code,
    errorMessage: message,
    error_code: error.code,
    error_msg: message,
    message: error.detail,
    reason: REASONS[status] ?? "Unknown",
  };
}

export function cceErrorResponse(
  error: CceError,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(cceErrorBody(error), {
    status: CCE_ERRORS[error.code].status,
    headers: { "X-Request-Id": requestId, ...headers },
  });
}

/** The gateway's answer to an API it does not have (the other APIG refusals: ../apig.ts). */
export const APIG_NO_SUCH_API: ApigRefusal = {
  status: 404,
  code: "APIG.0101",
  message: "The API does not exist or has not been published in the environment",
};
