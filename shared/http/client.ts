// The one outbound HTTP layer every cloud client uses: timeouts, retries with exponential backoff
// and full jitter (only where retrying is safe), Retry-After honoured, and a per-account rate
// limit and concurrency cap. The transport is injected: global fetch on Workers, undici on Node.
//
// When a failed call is sent again:
//
//   outcome                                   idempotent   not idempotent
//   429, 503 (or isTransient → "throttled")   retry        retry          the cloud did not act
//   500, 502, 504, other 5xx but 501/505      retry        return it
//   isTransient → true (e.g. a 400 throttle)  retry        return it      like a 5xx, unless 429/503
//   other 1xx-4xx, 501, 505                   return it    return it
//   timeout, connection reset                 retry        throw          the effect is unknown
//   refused / DNS / connect timeout           retry        retry          nothing was sent
//
// Waits: full jitter, `random() * min(maxDelayMs, baseDelayMs * 2^retry)`, and at least the
// response's Retry-After (delta-seconds or HTTP-date, against the injected clock). A Retry-After
// longer than `maxRetryAfterMs` (5 minutes) is not slept through: the response is returned at once
// so the caller can reschedule (the jobs run on a tick). After the last attempt the last response
// is returned, or the last HttpFailure thrown.

import type { Logger } from "../log/logger.ts";
import { createLimiter, DEFAULT_CONCURRENCY, type Limiter } from "./limiter.ts";

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface SendOptions {
  /** Rate limits and concurrency caps are kept per account. */
  account: string;
  /** Names the call in errors and logs, e.g. "huawei.getCluster". */
  api: string;
  /**
   * Whether the call may be sent again after a failure whose effect is unknown (timeout, reset,
   * 5xx). GETs and idempotent PUTs are; a POST that creates something is not. A 429 or a
   * connection refused is retried either way: the cloud never acted on it.
   */
  idempotent: boolean;
  /** Signs each attempt afresh (new date, new nonce): returns the headers to send. */
  sign?: (request: OutboundRequest) => Promise<Record<string, string>>;
  /**
   * Vendor hook: a response that is a throttle or a transient failure despite its status (e.g.
   * Alibaba `Throttling` with 400). `true` is treated like a 5xx (retried only when idempotent)
   * unless the status is 429/503; `"throttled"` says the cloud did not act, so it is retried
   * like a 429 whatever the method.
   */
  isTransient?: (response: ReceivedResponse) => boolean | "throttled";
  timeoutMs?: number;
}

export interface ReceivedResponse {
  status: number;
  headers: Headers;
  text: string;
}

export type HttpFailureKind = "timeout" | "network";

export interface HttpFailureDetails {
  /** The transport's error, for logs (never shown to end users as is). */
  cause?: unknown;
  /** The connection was never made (refused, DNS, connect timeout): the request was not sent. */
  beforeSending?: boolean;
  /** Attempts made when this failure was the outcome. */
  attempts?: number;
}

/** The request never produced an HTTP response. */
export class HttpFailure extends Error {
  readonly kind: HttpFailureKind;
  readonly api: string;
  readonly beforeSending: boolean;
  readonly attempts: number;
  constructor(kind: HttpFailureKind, api: string, message: string, details: HttpFailureDetails = {}) {
    super(`${api}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "HttpFailure";
    this.kind = kind;
    this.api = api;
    this.beforeSending = details.beforeSending ?? false;
    this.attempts = details.attempts ?? 1;
  }
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the response is returned. Default 5 min. */
  maxRetryAfterMs: number;
  /** Total time one `send` may spend (attempts and waits); no wait starts past it. Default none. */
  budgetMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 5 * 60_000,
  budgetMs: Number.POSITIVE_INFINITY,
};

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface HttpClientOptions {
  fetch: Fetch;
  /** Injected so tests are exact. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /**
   * Schedules the per-attempt timeout: runs `fire` after `ms`, returns a cancel. Defaults to
   * setTimeout. Kept apart from `sleep` so a test may skip back-offs with an instant `sleep`
   * without every request timing out.
   */
  setTimer?: (ms: number, fire: () => void) => () => void;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** Per-account request rate (requests per second) and in-flight cap. */
  ratePerSecond?: number;
  concurrency?: number;
  /** Requests that may go out back to back before the rate applies. Default 1. */
  burst?: number;
  /**
   * The account's rate limit kept in one place for every process acting for it (Workers: a Durable
   * Object per account): books the next request's slot and returns when it is (epoch ms). Replaces
   * `ratePerSecond` and `burst`; the in-flight cap stays this client's.
   */
  sharedRate?: (account: string) => Promise<number>;
  /** Retries are logged here (method, host and path only: queries may carry signatures). */
  logger?: Logger;
  /**
   * Told of every attempt's outcome, retries included (the cloud API metrics): the call's name and
   * account, and the status, or why no response came.
   */
  observe?: (exchange: HttpExchange) => void;
}

/** One attempt of a call, as `observe` is told it. */
export interface HttpExchange {
  /** e.g. "huawei.getCluster" (SendOptions.api). */
  api: string;
  account: string;
  /** The response's status; absent when no response came. */
  status?: number;
  /** Why no response came. */
  failure?: HttpFailureKind;
}

export interface HttpClient {
  send(request: OutboundRequest, options: SendOptions): Promise<ReceivedResponse>;
}

// ---------------------------------------------------------------------------------------------
// Helpers, exported for the vendor clients and for tests

/** Full jitter: a uniformly random wait below the exponential cap for retry number `retry` (0-based). */
export function backoffDelay(
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">,
  retry: number,
  random: () => number,
): number {
  return random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
}

/**
 * The wait a `Retry-After` header asks for, in ms from `now`: delta-seconds or an HTTP-date (a date
 * in the past means 0). Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now: Date): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms Date.parse also reads). A bare
  // number with a sign or a fraction is not a valid Retry-After and is ignored, not misread as a date.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** Error codes that mean the connection was never established, so the request was not sent. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Error codes along an error's `cause` chain and inside AggregateErrors (undici nests them). */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number) => {
    if (value === null || typeof value !== "object" || seen.has(value) || depth > 8) return;
    seen.add(value);
    const record = value as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof record.code === "string") codes.push(record.code);
    visit(record.cause, depth + 1);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return codes;
}

/**
 * Whether a transport error proves the request was never sent (under undici: a `TypeError: fetch
 * failed` whose cause, or an AggregateError inside it, has code ECONNREFUSED and the like). Global
 * fetch on Workers gives no codes, so there every network error counts as possibly sent.
 */
export function failedBeforeSending(error: unknown): boolean {
  const codes = errorCodes(error);
  return codes.length > 0 && codes.some((code) => NOT_SENT_CODES.has(code));
}

/** Method, host and path: never the query, which may carry a signature or a token. */
export function describeRequest(request: Pick<OutboundRequest, "method" | "url">): string {
  try {
    const url = new URL(request.url);
    return `${request.method.toUpperCase()} ${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return request.method.toUpperCase();
  }
}

function transportMessage(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    const text =
      typeof code === "string" && !current.message.includes(code)
        ? `${current.message} (${code})`
        : current.message;
    if (text && !parts.includes(text)) parts.push(text);
    current = current.cause;
  }
  if (parts.length === 0) parts.push(String(error));
  return parts.join(": ");
}

// ---------------------------------------------------------------------------------------------
// The client

type Outcome =
  | { response: ReceivedResponse; failure?: undefined }
  | { failure: HttpFailure; response?: undefined };

interface Decision {
  retry: boolean;
  /** Why, for the log. */
  reason: string;
  retryAfterMs?: number;
}

function decide(outcome: Outcome, options: SendOptions, now: Date): Decision {
  if (outcome.failure) {
    const failure = outcome.failure;
    if (failure.kind === "network" && failure.beforeSending) return { retry: true, reason: "not sent" };
    return { retry: options.idempotent, reason: failure.kind };
  }
  const response = outcome.response;
  const status = response.status;
  const retryAfter = retryAfterMs(response.headers, now);
  const withRetryAfter = (retry: boolean, reason: string): Decision =>
    retryAfter === undefined ? { retry, reason } : { retry, reason, retryAfterMs: retryAfter };
  if (status === 429 || status === 503) return withRetryAfter(true, `status ${status}`);
  const transient = options.isTransient?.(response) ?? false;
  if (transient === "throttled") return withRetryAfter(true, `throttled (status ${status})`);
  if (transient) return withRetryAfter(options.idempotent, `transient (status ${status})`);
  if (status >= 500 && status !== 501 && status !== 505)
    return withRetryAfter(options.idempotent, `status ${status}`);
  return { retry: false, reason: `status ${status}` };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const defaultSetTimer = (ms: number, fire: () => void) => {
  const id = setTimeout(fire, ms);
  return () => clearTimeout(id);
};

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const transport = options.fetch;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? (() => new Date());
  const setTimer = options.setTimer ?? defaultSetTimer;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  if (!(Number.isInteger(policy.attempts) && policy.attempts >= 1)) {
    throw new RangeError(`retry.attempts must be an integer >= 1, got ${policy.attempts}`);
  }
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limiters = new Map<string, Limiter>();

  const limiterFor = (account: string): Limiter => {
    let limiter = limiters.get(account);
    if (!limiter) {
      limiter = createLimiter({
        ratePerSecond: options.ratePerSecond ?? Number.POSITIVE_INFINITY,
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
        burst: options.burst ?? 1,
        ...(options.sharedRate ? { slots: () => options.sharedRate!(account) } : {}),
        now,
        sleep,
      });
      limiters.set(account, limiter);
    }
    return limiter;
  };

  async function attempt(request: OutboundRequest, send: SendOptions, attempts: number): Promise<Outcome> {
    const timeoutMs = send.timeoutMs ?? defaultTimeout;
    const release = await limiterFor(send.account).acquire();
    try {
      // Signed after the token is taken, so the signature's date is as fresh as it can be.
      const headers = send.sign
        ? await send.sign({ ...request, headers: { ...request.headers } })
        : { ...request.headers };
      const controller = new AbortController();
      let timedOut = false;
      let onTimeout: (() => void) | undefined;
      const timeout = new Promise<never>((_, reject) => {
        onTimeout = () => reject(new Error("timeout"));
      });
      timeout.catch(() => {});
      const cancel = setTimer(timeoutMs, () => {
        timedOut = true;
        controller.abort(new DOMException(`no response within ${timeoutMs} ms`, "TimeoutError"));
        onTimeout?.();
      });
      try {
        // The race also covers a transport that ignores the signal; the signal frees its socket.
        const exchange = (async (): Promise<ReceivedResponse> => {
          const init: RequestInit = {
            method: request.method,
            headers,
            signal: controller.signal,
            redirect: "manual",
          };
          if (request.body !== undefined) init.body = request.body;
          const received = await transport(request.url, init);
          const text = await received.text();
          return { status: received.status, headers: received.headers, text };
        })();
        // Settled late after a timeout: nobody awaits it any more.
        exchange.catch(() => {});
        const response = await Promise.race([exchange, timeout]);
        options.observe?.({ api: send.api, account: send.account, status: response.status });
        return { response };
      } catch (error) {
        options.observe?.({
          api: send.api,
          account: send.account,
          failure: timedOut ? "timeout" : "network",
        });
        if (timedOut) {
          return {
            failure: new HttpFailure(
              "timeout",
              send.api,
              `no response within ${timeoutMs} ms (${describeRequest(request)})`,
              {
                attempts,
              },
            ),
          };
        }
        return {
          failure: new HttpFailure(
            "network",
            send.api,
            `${transportMessage(error)} (${describeRequest(request)})`,
            {
              cause: error,
              beforeSending: failedBeforeSending(error),
              attempts,
            },
          ),
        };
      } finally {
        cancel();
      }
    } finally {
      release();
    }
  }

  return {
    async send(request, send) {
      // A malformed URL is a bug, not a network failure: fail at once, without retrying.
      if (!URL.canParse(request.url)) {
        throw new TypeError(
          `${send.api}: ${request.method} to a malformed URL; the client must build an absolute URL`,
        );
      }
      const started = now().getTime();
      for (let retry = 0; ; retry++) {
        const outcome = await attempt(request, send, retry + 1);
        const decision = decide(outcome, send, now());
        const done = (): ReceivedResponse => {
          if (outcome.failure) throw outcome.failure;
          return outcome.response;
        };
        if (!decision.retry || retry + 1 >= policy.attempts) return done();
        let delay = backoffDelay(policy, retry, random);
        if (decision.retryAfterMs !== undefined) {
          if (decision.retryAfterMs > policy.maxRetryAfterMs) return done();
          delay = Math.max(delay, decision.retryAfterMs);
        }
        if (now().getTime() + delay - started > policy.budgetMs) return done();
        options.logger?.warn("http retry", {
          api: send.api,
          account: send.account,
          request: describeRequest(request),
          attempt: retry + 1,
          reason: decision.reason,
          delayMs: Math.round(delay),
        });
        await sleep(delay);
      }
    },
  };
}
