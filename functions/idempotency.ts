// HTTP idempotency for the admin and webhook routes, after the IETF `Idempotency-Key` draft
// (draft-ietf-httpapi-idempotency-key-header): a client that retries a POST/PUT/PATCH/DELETE with
// the same key gets the first response back instead of a second execution.
//
// The key: `Idempotency-Key` is an sf-string (`"8e03978e-40d5-43e8-bc93-6894a57f9324"`); a bare
// token (`8e03978e-…`) is accepted too because many clients send one. Either way the key is 1..255
// visible ASCII characters (0x21-0x7E); the quoted form may escape `"` and `\`. A bare key may not
// contain `"`, `\`, `,` or `;` (a comma means two header fields were sent, which the draft forbids;
// a semicolon would be an sf parameter). Anything else is a 400 before anything runs.
//
// The fingerprint: SHA-256 over method, path with query, and the exact body bytes. The same key
// with another fingerprint is a 422, so a key can never replay the answer to a different request.
//
// Outcomes, in the product's error shape `{ "error": { "code", "message", "details" } }`:
//   first request          claim → handler → store status, selected headers and body → complete
//   retry after completion the stored response, byte for byte, plus `Idempotent-Replayed: true`
//   retry while running    409 `idempotency_key_in_use` with `Retry-After` (seconds to lease end)
//   key reused, new body   422 `idempotency_key_reused`
//   key required, missing  400 `idempotency_key_missing`; malformed: 400 `idempotency_key_invalid`
//   handler throws / 5xx   the claim is released (a retry runs again) and the error passes on
//   408, 425, 429          released too: they say "not processed, try later", so replaying them
//                          for a day would be wrong
//   any other 4xx          stored and replayed: the request was processed and refused
//
// EXPIRY POLICY (the draft asks for it to be published):
// - Keys live per scope: `scope(c)` (e.g. route + caller) so two callers' keys never collide.
//   Without it, every caller of the routes guarded by one middleware shares one key space.
// - A running request holds its key for `leaseMs` (default 60 s) from the claim. If it has not
//   finished by then (the process died, or the handler is slower than the lease) the next retry
//   takes the key over and runs the handler again; the slow original's result is then discarded
//   (its fencing token is refused). So `leaseMs` must exceed the slowest handler.
// - A completed response is replayed for `ttlMs` (default 24 h) after it completed. After that
//   the key is forgotten: the same key is a new request and runs again. Expired records are
//   removed by the store's sweep.
// - A released key (failure) is forgotten at once. Requests the middleware itself refuses
//   (400, 409, 422) leave no record. GET, HEAD, OPTIONS and TRACE are never recorded.
//
// Mount it AFTER authentication (so a 401 is never stored, and `scope` can name the caller) and
// before the handlers. It reads the whole request body to fingerprint it; handlers can still read
// it through `c.req` (Hono caches the body).
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../shared/log/logger.ts";
import { base64, fromBase64, hex } from "../shared/signer/encoding.ts";
import { fingerprint, type Idempotency } from "../shared/store/store.ts";
import { errorResponse } from "./errors.ts";

export interface IdempotencyOptions {
  store: Idempotency;
  now: () => Date;
  /** true: a guarded request without `Idempotency-Key` is refused with 400. */
  required: boolean;
  /** Namespaces the keys, e.g. route + caller; default: one key space for this middleware. */
  scope?: (c: Context) => string;
  /** How long a running request holds its key before a retry may take over. Default 60 s. */
  leaseMs?: number;
  /** How long a completed response is replayed. Default 24 h. */
  ttlMs?: number;
  /** Response headers stored and replayed with the body (lower case). Default: REPLAYED_HEADERS. */
  replayHeaders?: readonly string[];
  /** Told when the store could not record an outcome (the response still goes out). */
  log?: Logger;
}

export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_TTL_MS = 24 * 3600 * 1000;
export const MAX_KEY_LENGTH = 255;

/** Headers describing the representation; never Set-Cookie or per-response ones (Date, request ids). */
export const REPLAYED_HEADERS: readonly string[] = [
  "content-type",
  "content-language",
  "content-location",
  "location",
  "link",
  "etag",
  "last-modified",
];

const GUARDED_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Handler answers that mean "not processed, try again later": released, never replayed. */
const TRANSIENT_CLIENT_ERRORS = new Set([408, 425, 429]);
/** Statuses whose Response may not carry a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

const VISIBLE_KEY = new RegExp(`^[\\x21-\\x7E]{1,${MAX_KEY_LENGTH}}$`);
// Visible ASCII without `"` (0x22), `,` (0x2C), `;` (0x3B) and `\` (0x5C).
const BARE_KEY = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;

/** The key inside an `Idempotency-Key` value, or undefined when the value is not a valid key. */
export function parseIdempotencyKey(value: string): string | undefined {
  const text = value.trim();
  let key: string;
  if (text.startsWith('"')) {
    // RFC 8941 sf-string: only `\"` and `\\` are escapes; nothing may follow the closing quote.
    key = "";
    let closed = false;
    let i = 1;
    while (i < text.length) {
      const ch = text[i] as string;
      i++;
      if (ch === '"') {
        closed = true;
        break;
      }
      if (ch === "\\") {
        const escaped = text[i];
        if (escaped !== '"' && escaped !== "\\") return undefined;
        key += escaped;
        i++;
        continue;
      }
      key += ch;
    }
    if (!closed || i !== text.length) return undefined;
  } else {
    if (!BARE_KEY.test(text)) return undefined;
    key = text;
  }
  return VISIBLE_KEY.test(key) ? key : undefined;
}

/** What complete() stores: the JSON text replayed later. */
interface StoredResponse {
  status: number;
  headers: Array<[string, string]>;
  /** base64 of the exact body bytes. */
  body: string;
}

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

function replay(stored: StoredResponse): Response {
  const headers = new Headers(stored.headers);
  headers.set("Idempotent-Replayed", "true");
  const body = fromBase64(stored.body);
  return new Response(body.length === 0 || NULL_BODY_STATUSES.has(stored.status) ? null : body, {
    status: stored.status,
    headers,
  });
}

/** The request's valid `Idempotency-Key`, if it sent one (for a handler that keys its own records by it). */
export function idempotencyKeyOf(c: Context): string | undefined {
  const header = c.req.header("idempotency-key");
  return header === undefined ? undefined : parseIdempotencyKey(header);
}

export function idempotency(options: IdempotencyOptions): MiddlewareHandler {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const replayHeaders = (options.replayHeaders ?? REPLAYED_HEADERS).map((h) => h.toLowerCase());
  const { store, now, log } = options;

  return async (c, next) => {
    if (!GUARDED_METHODS.has(c.req.method)) return next();

    const header = c.req.header("idempotency-key");
    if (header === undefined) {
      if (!options.required) return next();
      return errorResponse(
        c,
        400,
        "idempotency_key_missing",
        'this operation requires an Idempotency-Key header: a unique key per request, e.g. Idempotency-Key: "<uuid>"',
        { header: "Idempotency-Key" },
      );
    }
    const key = parseIdempotencyKey(header);
    if (key === undefined) {
      return errorResponse(
        c,
        400,
        "idempotency_key_invalid",
        `Idempotency-Key must be one quoted string or bare token of 1 to ${MAX_KEY_LENGTH} visible ASCII characters, e.g. Idempotency-Key: "<uuid>"`,
        { header: "Idempotency-Key" },
      );
    }

    const url = new URL(c.req.url);
    const print = await fingerprint([
      c.req.method,
      url.pathname + url.search,
      await sha256Hex(await c.req.arrayBuffer()),
    ]);
    // Scope is URI-encoded so it can hold no "/", keeping "scope/key" unambiguous for any key.
    const storeKey = `http/${encodeURIComponent(options.scope?.(c) ?? "")}/${key}`;

    const claim = await store.claim(storeKey, { fingerprint: print, leaseMs, ttlMs, now: now() });
    switch (claim.outcome) {
      case "completed":
        return replay(JSON.parse(claim.result) as StoredResponse);
      case "mismatch":
        return errorResponse(
          c,
          422,
          "idempotency_key_reused",
          "this Idempotency-Key was already used for a different request (method, path or body); use a new key for a new request",
          { header: "Idempotency-Key" },
        );
      case "in-progress": {
        const seconds = Math.max(1, Math.ceil((claim.leaseUntil.getTime() - now().getTime()) / 1000));
        c.header("Retry-After", String(seconds));
        return errorResponse(
          c,
          409,
          "idempotency_key_in_use",
          "a request with this Idempotency-Key is still being processed; retry later to get its response",
          { header: "Idempotency-Key", leaseUntil: claim.leaseUntil.toISOString() },
        );
      }
      case "claimed":
        break;
    }

    const { token } = claim;
    const release = async () => {
      try {
        if (!(await store.release(storeKey, { token, now: now() }))) {
          log?.warn("idempotency claim lost before release: the handler outlived leaseMs", { leaseMs });
        }
      } catch (error) {
        // The key stays claimed until its lease ends; the original failure matters more.
        log?.error("idempotency release failed", { error });
      }
    };

    let stored: StoredResponse;
    try {
      await next();
      const response = c.res;
      // Hono's onError turns a thrown error into a response and records it in c.error.
      if (c.error !== undefined || response.status >= 500 || TRANSIENT_CLIENT_ERRORS.has(response.status)) {
        await release();
        return;
      }
      const body = new Uint8Array(await response.arrayBuffer());
      c.res = new Response(
        body.length === 0 || NULL_BODY_STATUSES.has(response.status) ? null : body,
        response,
      );
      stored = {
        status: response.status,
        headers: [...response.headers].filter(([name]) => replayHeaders.includes(name)),
        body: base64(body),
      };
    } catch (error) {
      await release();
      throw error;
    }

    try {
      const completed = await store.complete(storeKey, {
        token,
        result: JSON.stringify(stored),
        ttlMs,
        now: now(),
      });
      if (!completed) {
        log?.warn("idempotency claim lost before completion: the handler outlived leaseMs", { leaseMs });
      }
    } catch (error) {
      // The work is done: answer it. The key stays claimed until its lease ends, then a retry reruns.
      log?.error("idempotency completion failed", { error });
    }
  };
}
