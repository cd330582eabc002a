// What a request body may be: its size, per route group, checked before anything reads it
// (authentication, the idempotency fingerprint, the handlers), and JSON with a JSON Content-Type.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { errorResponse } from "./errors.ts";

const KIB = 1024;
/** The admin API takes small JSON documents (a snooze is ~30 bytes). */
export const API_BODY_LIMIT = 64 * KIB;
/** Alertmanager groups alerts into one POST with all their labels and annotations: room for hundreds. */
export const WEBHOOK_BODY_LIMIT = 1024 * KIB;
/** Every other route (health, action links) takes no body at all. */
export const DEFAULT_BODY_LIMIT = 8 * KIB;

export function bodyLimitFor(path: string): number {
  if (path.startsWith("/webhooks/")) return WEBHOOK_BODY_LIMIT;
  if (path.startsWith("/api/")) return API_BODY_LIMIT;
  return DEFAULT_BODY_LIMIT;
}

const limiters = new Map(
  [API_BODY_LIMIT, WEBHOOK_BODY_LIMIT, DEFAULT_BODY_LIMIT].map((maxSize) => [
    maxSize,
    bodyLimit({
      maxSize,
      // Also when the body comes chunked, without Content-Length: counted as it streams in, and the
      // read stops at the limit. `Connection: close` so Node does not read the rest to reuse the socket.
      onError: (c) => {
        c.header("Connection", "close");
        return errorResponse(
          c,
          413,
          "body_too_large",
          `the request body is larger than this route accepts (${describeBytes(maxSize)})`,
          { limitBytes: maxSize },
        );
      },
    }),
  ]),
);

/** The body-size limit of every route; mount it first. */
export function bodyLimits(): MiddlewareHandler {
  return (c, next) => limiters.get(bodyLimitFor(c.req.path))!(c, next);
}

function describeBytes(bytes: number): string {
  return bytes >= 1024 * KIB ? `${bytes / (1024 * KIB)} MiB` : `${bytes / KIB} KiB`;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The request's JSON body, or the 4xx that says what is wrong with it. */
export async function readJson(
  c: Context,
  example: string,
): Promise<{ body: unknown } | { refused: Response }> {
  const type = c.req.header("content-type");
  if (type === undefined || !JSON_TYPE.test(type)) {
    return {
      refused: errorResponse(
        c,
        415,
        "unsupported_media_type",
        `the body must be JSON sent with Content-Type: application/json${type ? ` (got ${JSON.stringify(type)})` : " (none was sent)"}`,
        { header: "Content-Type" },
      ),
    };
  }
  // JSON is UTF-8 (RFC 8259) and bodies are read as sent: say so rather than "not valid JSON"
  // over the bytes of a compressed or UTF-16 body.
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return {
      refused: errorResponse(
        c,
        415,
        "unsupported_media_type",
        `the body must be JSON in UTF-8 (got charset=${charset.slice(0, 40)}); send it as UTF-8, or leave the charset out`,
        { header: "Content-Type" },
      ),
    };
  }
  const encoding = c.req.header("content-encoding")?.trim();
  if (encoding && encoding.toLowerCase() !== "identity") {
    return {
      refused: errorResponse(
        c,
        415,
        "unsupported_media_type",
        `the body must be sent uncompressed (got Content-Encoding: ${encoding.slice(0, 40)}); send it without Content-Encoding`,
        { header: "Content-Encoding" },
      ),
    };
  }
  const text = await c.req.text();
  try {
    return { body: JSON.parse(text) };
  } catch (error) {
    return {
      refused: errorResponse(
        c,
        400,
        "invalid_json",
        text.trim() === ""
          ? `the body is empty; send JSON, e.g. ${example}`
          : `the body is not valid JSON (${(error as Error).message}); send e.g. ${example}`,
      ),
    };
  }
}
