// How the simulated Baidu CCE answers: every response carries `x-bce-request-id` (equal to the
// body's `requestID` on success and `requestId` on errors, digest §7-8), a RFC 1123 `Date` (the
// gateway's clock, which judges signatures: clients correct their signing clock from it) and
// `Content-Type: application/json;charset=UTF-8`. Errors use the BCE-wide body
// `{"code", "message", "requestId"}`.
//
// Status and code choices (the CCE docs are silent; BCE-wide codes where they exist):
//   missing Authorization                 403 AccessDenied
//   unparsable Authorization              400 InvalidHTTPAuthHeader
//   unknown access key                    403 InvalidAccessKeyId
//   outside the signature's time window   400 RequestExpired
//   signature mismatch                    403 SignatureDoesNotMatch   (digest: 400 or 403; 403 chosen,
//                                             as BOS, the S3-lineage BCE service, answers it)
//   throttled                             429 TooManyRequests + Retry-After
//   bad parameter / body                  400 InvalidParameter / MalformedJSON
//   unknown cluster / group / task        404 ClusterNotFound / InstanceGroupNotFound / TaskNotFound
//   locked (see routes.ts)                409 ClusterNotRunning / InstanceGroupPaused /
//                                             InstanceGroupReplicasChanging / InstanceGroupAutoscalerEnabled /
//                                             ClusterEIPNotBound
//   injected faults                       500 InternalError
import type { Context } from "hono";
import type { VendorErrorPages } from "../faults.ts";

/** The Hono context variable holding the request id of the request being answered. */
export const REQUEST_ID_VAR = "baiduRequestId";

export function requestIdOf(c: Context, random: () => number): string {
  const known = c.get(REQUEST_ID_VAR as never) as string | undefined;
  if (known) return known;
  const id = uuid(random);
  c.set(REQUEST_ID_VAR as never, id as never);
  return id;
}

/** A version-4 UUID from the seeded random source, as the service's request ids look. */
export function uuid(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function headers(requestId: string, date: Date, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "Content-Type": "application/json;charset=UTF-8",
    "x-bce-request-id": requestId,
    Date: date.toUTCString(),
    ...extra,
  };
}

/** A success body: `requestID` (capital ID) added last, as in the documented examples. */
export function ok(requestId: string, date: Date, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify({ ...body, requestID: requestId }), {
    status: 200,
    headers: headers(requestId, date),
  });
}

export function bceError(
  requestId: string,
  date: Date,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ code, message, requestId }), {
    status,
    headers: headers(requestId, date, extra),
  });
}

/** The framework renders injected faults with these. */
export function errorPages(random: () => number, date: () => Date): VendorErrorPages {
  return {
    serverError: (c) =>
      bceError(
        requestIdOf(c, random),
        date(),
        500,
        "InternalError",
        "We encountered an internal error. Please try again.",
      ),
    throttled: (c, retryAfterSeconds) =>
      bceError(
        requestIdOf(c, random),
        date(),
        429,
        "TooManyRequests",
        "Request rate exceeded the limit for this access key; retry later.",
        { "Retry-After": String(retryAfterSeconds) },
      ),
  };
}
