// The Node server's own refusals, in the product's JSON error shape: requests Node's HTTP parser
// rejects (`clientError`: malformed request line, NUL in the path, oversized headers) and those
// @hono/node-server cannot turn into a Request (bad Host header, backslash in the path). Without
// this they are a bare 400/431 with an empty body. Slow clients are cut off: a request whose
// headers or body trickle in (slowloris) is answered 408 and closed instead of holding a
// connection for Node's default five minutes.
import {
  createServer,
  type IncomingMessage,
  maxHeaderSize,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener, RequestError } from "@hono/node-server";
import { errorBody } from "./errors.ts";

type Fetch = (request: Request) => Response | Promise<Response>;

/**
 * How long a client may take to send its headers, and its whole request: the largest body any
 * route takes (1 MiB) arrives within seconds on any working link. Node checks every
 * `checkEveryMs`, so a slow request is cut off at most that much later.
 */
export const REQUEST_TIMEOUTS = { headersMs: 15_000, requestMs: 30_000, checkEveryMs: 2_000 };

/**
 * An HTTP server for `fetch` whose framework-level refusals are JSON errors. `hostname` stands in
 * for a missing Host header of an HTTP/1.0 request (HTTP/1.1 requires one).
 */
export function serveWithJsonErrors(
  options: { fetch: Fetch; port: number; hostname: string; timeouts?: typeof REQUEST_TIMEOUTS },
  listening?: () => void,
): Server {
  const timeouts = options.timeouts ?? REQUEST_TIMEOUTS;
  const listener = getRequestListener(options.fetch, {
    hostname: options.hostname,
    errorHandler: (error) => requestErrorResponse(error),
  });
  // Node's own Host check answers an empty 400; ours answers JSON.
  const server = createServer(
    {
      requireHostHeader: false,
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: timeouts.checkEveryMs,
    },
    (incoming, outgoing) => {
      outgoing.once("finish", () => discardUnreadBody(incoming));
      const host = incoming.headers.host;
      if (host === undefined && incoming.httpVersion === "1.1") {
        return answer(outgoing, 400, "missing_host", "HTTP/1.1 requests need a Host header");
      }
      if (host !== undefined && !URL.canParse(`http://${host}/`))
        return answer(outgoing, 400, ...INVALID_HOST);
      return listener(incoming, outgoing);
    },
  );
  server.on("clientError", answerClientError);
  // Without a listener Node drops a CONNECT (proxy tunnel) request without a word.
  server.on("connect", (_request: IncomingMessage, socket: Duplex) =>
    answerOnSocket(socket, 405, "method_not_allowed", "CONNECT is not served: nightshift is not a proxy", {
      Allow: "GET, HEAD, POST",
    }),
  );
  // An Expect other than 100-continue: Node's own 417 has an empty body.
  server.on("checkExpectation", (_request: IncomingMessage, outgoing: ServerResponse) =>
    answer(
      outgoing,
      417,
      "expectation_failed",
      "only Expect: 100-continue is supported; send the request without the Expect header",
    ),
  );
  server.listen(options.port, options.hostname, listening);
  return server;
}

/**
 * A body the app answered without reading to its end (a 415 decided on Content-Type, a 401 before
 * the body): read and drop the rest, so the keep-alive connection is ready for the request the
 * client sends right behind it. @hono/node-server means to do this (its drain: resume, close after
 * 500 ms), but the web stream it wrapped the body in pauses the request again whenever its own
 * queue is full, so the rest was never read and the connection was closed under the client's next
 * request ("other side closed"). Hono's drain still bounds how much and how long is read.
 */
function discardUnreadBody(incoming: IncomingMessage): void {
  if (incoming.complete || incoming.destroyed) return;
  // Nothing reads the body any more: detach the web stream, which would pause it again.
  incoming.removeAllListeners("data");
  incoming.resume();
}

const INVALID_HOST = [
  "invalid_host",
  "the Host header must be a host name or address with an optional :port, e.g. Host: nightshift.example.com",
] as const;

/** What @hono/node-server could not make a Request of. */
function requestErrorResponse(error: unknown): Response {
  const problem = error instanceof RequestError ? error.message : "";
  const [code, message] =
    problem === "Invalid host header"
      ? INVALID_HOST
      : problem === "Backslash in request path"
        ? ["invalid_path", "the request path contains a backslash; use / or percent-encode it as %5C"]
        : ["invalid_url", "the request target is not a valid URL path; percent-encode reserved characters"];
  return Response.json(errorBody(code, message), { status: 400, headers: { Connection: "close" } });
}

function answer(outgoing: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  outgoing
    .writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
      Connection: "close",
    })
    .end(body);
}

const PARSER_PROBLEMS: Record<string, [status: number, code: string, message: string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    "headers_too_large",
    `the request's URL and headers are larger than this server accepts (${maxHeaderSize / 1024} KiB in all)`,
  ],
  HPE_INVALID_METHOD: [
    400,
    "malformed_request",
    "the request line is not `METHOD /path HTTP/1.1` with a known method",
  ],
  HPE_INVALID_URL: [
    400,
    "invalid_path",
    "the request path contains a character HTTP does not allow (a control character such as NUL, or a space); percent-encode it",
  ],
  HPE_INVALID_HEADER_TOKEN: [
    400,
    "malformed_header",
    "a header name contains a character HTTP does not allow, or a header line has no colon",
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "request_timeout", "the request did not arrive in time; send it again"],
};
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/** Node's `clientError`: write a whole HTTP/1.1 response ourselves, then close the connection. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has no one left to answer; a socket already answered must not get a second one.
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] = PARSER_PROBLEMS[error.code ?? ""] ?? [
    400,
    "malformed_request",
    "the request is not valid HTTP/1.1",
  ];
  answerOnSocket(socket, status, code, message, {}, { parserError: error.code ?? "unknown" });
}

/** A whole HTTP/1.1 response written on a raw socket (no ServerResponse exists), then closed. */
function answerOnSocket(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  details: Record<string, unknown> = {},
): void {
  const body = JSON.stringify(errorBody(code, message, details));
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
