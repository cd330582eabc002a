// The two error bodies a Huawei CCE caller meets (digest §4.3):
// - CCE itself: the combined shape, `errorCode`/`errorMessage` plus `error_code`/`error_msg` inside a
//   Kubernetes `Status` envelope, as seen in the wild;
// - the API gateway (APIG) in front of it: only `error_code`/`error_msg` (+ `request_id`), e.g.
//   APIG.0301 for a bad signature, APIG.0308 for throttling, APIG.0101 for an unknown API.

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

/** Gateway errors (public knowledge: APIG bodies carry `request_id` too). */
export const APIG_ERRORS = {
  "APIG.0101": {
    status: 404,
    message: "The API does not exist or has not been published in the environment",
  },
  "APIG.0301": {
    status: 401,
    message: "Incorrect IAM authentication information: verify aksk signature fail",
  },
  "APIG.0308": {
    status: 429,
    message:
      "The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:1 minute",
  },
} as const;
export type ApigErrorCode = keyof typeof APIG_ERRORS;

export function apigErrorResponse(
  code: ApigErrorCode,
  requestId: string,
  options: { retryAfterSeconds?: number; limitPerMinute?: number } = {},
): Response {
  const { status, message } = APIG_ERRORS[code];
  const headers: Record<string, string> = { "X-Request-Id": requestId };
  if (options.retryAfterSeconds !== undefined) headers["Retry-After"] = String(options.retryAfterSeconds);
  return Response.json(
    {
      error_code: code,
      error_msg: message.replace("{limit}", String(options.limitPerMinute ?? 0)),
      request_id: requestId,
    },
    { status, headers },
  );
}
