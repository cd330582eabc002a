// The one error shape every endpoint answers with: { "error": { "code", "message", "details" } }.
// Never a stack trace, never a secret.
import type { Context } from "hono";
import type { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

/** Typed by its status and code, so a described route (functions/openapi.ts) answers only documented ones. */
export function errorResponse<S extends ContentfulStatusCode, C extends string>(
  c: Context,
  status: S,
  code: C,
  message: string,
  details: Record<string, unknown> = {},
) {
  return c.json({ error: { code, message, details } }, status);
}

/**
 * A 4xx a library threw (Hono's validators and media-type gate): the shared shape, a code for its
 * status, and for a media type, what to send instead.
 */
export function clientErrorResponse(c: Context, error: HTTPException) {
  if (error.status === 415) {
    const type = c.req.header("content-type");
    return errorResponse(
      c,
      415,
      "unsupported_media_type",
      `the body must be JSON sent with Content-Type: application/json${type ? ` (got ${JSON.stringify(type)})` : " (none was sent)"}`,
      { header: "Content-Type" },
    );
  }
  return errorResponse(c, error.status as ContentfulStatusCode, "invalid_request", error.message);
}
