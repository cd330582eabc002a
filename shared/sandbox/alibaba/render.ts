// How the simulated ACK answers: JSON only when the caller's Accept names application/json,
// otherwise XML (the vendor's default, digest §1.6); a request id on every answer; the two error
// shapes (ACK's `{code,message,requestId,status}` and the POP gateway's
// `{Code,Message,RequestId,HostId,Recommend}`); and the ASAPI gateway's habit of answering HTTP 200
// with `X-Acs-Response-Success: false` when it refuses a request itself.

/** Per request: what the gateway learnt, for the routes and the error pages. */
export interface Exchange {
  requestId: string;
  json: boolean;
  /** Reached through the ASAPI gateway (`/roa` prefix). */
  asapi: boolean;
  traceId: string;
  host: string;
}

export function wantsJson(accept: string | null | undefined): boolean {
  return (accept ?? "")
    .split(",")
    .some((part) => part.split(";")[0]!.trim().toLowerCase() === "application/json");
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function xmlElement(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join("");
  if (value !== null && typeof value === "object") {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => xmlElement(key, child))
      .join("");
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${value === null || value === undefined ? "" : escapeXml(String(value))}</${name}>`;
}

/** JSON → XML as the gateway renders it: arrays as repeated elements, the API name as the root. */
export function toXml(root: string, value: unknown): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${xmlElement(root, value)}`;
}

/** ASCII only, no line breaks: what a header value can carry. */
function headerSafe(text: string, max = 240): string {
  const safe = text.replace(/[^\x20-\x7e]/g, "?");
  return safe.length > max ? `${safe.slice(0, max - 3)}...` : safe;
}

function baseHeaders(exchange: Exchange, extra: Record<string, string> = {}): Headers {
  const headers = new Headers(extra);
  headers.set("x-acs-request-id", exchange.requestId);
  if (exchange.asapi) headers.set("x-acs-trace-id", exchange.traceId);
  return headers;
}

/** A success answer. `body` undefined → an empty 200, as RemoveClusterNodes answers. */
export function answer(
  exchange: Exchange,
  api: string,
  body: Record<string, unknown> | undefined,
  status = 200,
): Response {
  const headers = baseHeaders(exchange);
  if (exchange.asapi) headers.set("X-Acs-Response-Success", "true");
  if (body === undefined) return new Response(null, { status, headers });
  const payload = exchange.asapi ? { ...body, asapiSuccess: true, eagleEyeTraceId: exchange.traceId } : body;
  return render(exchange, `${api}Response`, payload, status, headers);
}

function render(
  exchange: Exchange,
  root: string,
  payload: unknown,
  status: number,
  headers: Headers,
): Response {
  if (exchange.json) {
    headers.set("content-type", "application/json;charset=utf-8");
    return new Response(JSON.stringify(payload), { status, headers });
  }
  headers.set("content-type", "application/xml;charset=utf-8");
  return new Response(toXml(root, payload), { status, headers });
}

/** An ACK API refusal (resource and parameter errors): `{code, message, requestId, status}`. */
export function ackError(exchange: Exchange, status: number, code: string, message: string): Response {
  return render(
    exchange,
    "Error",
    { code, message, requestId: exchange.requestId, status },
    status,
    baseHeaders(exchange),
  );
}

/**
 * A gateway refusal (signature, credentials, throttling, server errors): POP style
 * `{Code, Message, RequestId, HostId, Recommend}`. Through ASAPI, `asapiStyle` refusals come back
 * as HTTP 200 with `X-Acs-Response-Success: false` and the hint header instead.
 */
export function gatewayError(
  exchange: Exchange,
  status: number,
  code: string,
  message: string,
  options: { retryAfterSeconds?: number; asapiStyle?: boolean } = {},
): Response {
  const extra: Record<string, string> = {};
  if (options.retryAfterSeconds !== undefined) extra["Retry-After"] = String(options.retryAfterSeconds);
  const headers = baseHeaders(exchange, extra);
  if (exchange.asapi && options.asapiStyle) {
    headers.set("X-Acs-Response-Success", "false");
    headers.set("X-Acs-Response-Errorhint", headerSafe(`${code}: ${message}`));
    return render(
      exchange,
      "Error",
      {
        asapiSuccess: false,
        asapiRequestId: exchange.requestId,
        asapiErrorCode: code,
        asapiErrorMessage: message,
        eagleEyeTraceId: exchange.traceId,
      },
      200,
      headers,
    );
  }
  return render(
    exchange,
    "Error",
    {
      Code: code,
      Message: message,
      RequestId: exchange.requestId,
      HostId: exchange.host,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=CS`,
    },
    status,
    headers,
  );
}
