// Huawei's API gateway (APIG), in front of CCE and Autopilot alike: its refusals come before the
// service sees a request, in the gateway's own body `{error_code, error_msg, request_id}`, which
// the Huawei SDK reads into `errorCode` / `errorMsg`.
//
// The CCE documents only say that codes starting APIG/APIGW are the gateway's (000 L57953, 001
// L18674); codes and messages below follow Huawei's public APIG error table and FAQ pages:
//   APIG.0301 401  the AK/SK signature is refused ("verify aksk signature fail"), or a token is not
//                  one IAM issued ("decrypt token fail")
//   APIG.0307 401  the token expired: "The token must be updated." (the IAM token API page says a
//                  caller gets exactly this once its token has expired; one FAQ also shows APIG.0301
//                  "token expires" from some gateways: a client treats both as "get a new token")
//   APIG.0308 429  the per-account throttle

export interface ApigRefusal {
  status: 401 | 404 | 429;
  code: string;
  message: string;
}

export const APIG = {
  badSignature: {
    status: 401,
    code: "APIG.0301",
    message: "Incorrect IAM authentication information: verify aksk signature fail",
  },
  badToken: {
    status: 401,
    code: "APIG.0301",
    message: "Incorrect IAM authentication information: decrypt token fail",
  },
  expiredToken: { status: 401, code: "APIG.0307", message: "The token must be updated." },
} as const satisfies Record<string, ApigRefusal>;

export function apigThrottled(limitPerMinute: number): ApigRefusal {
  return {
    status: 429,
    code: "APIG.0308",
    message: `The throttling threshold has been reached: policy user over ratelimit,limit:${limitPerMinute},time:1 minute`,
  };
}

export function apigResponse(
  refusal: ApigRefusal,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { error_code: refusal.code, error_msg: refusal.message, request_id: requestId },
    { status: refusal.status, headers: { "X-Request-Id": requestId, ...headers } },
  );
}
