// The simulated API gateway in front of ACK: every request's signature is checked against the
// fleet's accounts, nonces are not accepted twice, ASAPI requests must carry the ASAPI headers, and
// each account is throttled. The public form takes both schemes the public cloud accepts, signature
// V3 (`ACS3-HMAC-SHA256`, verifyAlibabaAcs3: what the current SDKs send by default) and ROA
// (`acs <id>:<sig>`, verifyAlibaba); the ASAPI form (`/roa/...`) takes ROA only, the one scheme its
// document (002) describes. The same refusals for both schemes:
//
//   problem                              status  code                          (digest)
//   no / malformed Authorization, Date    400    IncompleteSignature           (DOC SILENT, POP code)
//     (V3: x-acs-date, x-acs-content-sha256, a header sent unsigned; ACS3 on the ASAPI form)
//   unknown AccessKey ID                  404    InvalidAccessKeyId.NotFound   (POP public behaviour)
//   Date more than 15 min off             400    InvalidTimeStamp.Expired      (§1.6: 400)
//   signature, Content-MD5 or             403    SignatureDoesNotMatch         (§1.6: 403)
//     x-acs-content-sha256 mismatch
//   nonce seen in the last 15 min         400    SignatureNonceUsed            (§6: anti-replay)
//   throttled                      429/400/503   Throttling.User + Retry-After (§1.6; status per fleet)
//
// Through ASAPI (`/roa/...`) the same refusals, and missing/mismatched ASAPI headers, come back as
// HTTP 200 with `X-Acs-Response-Success: false` and `X-Acs-Response-Errorhint`, as that gateway does.
import type { Context, MiddlewareHandler } from "hono";
import { ACK_API_VERSION, MAX_CLOCK_SKEW_MS, verifyAlibaba } from "../../signer/alibaba.ts";
import { isAcs3Authorization, verifyAlibabaAcs3 } from "../../signer/alibaba-acs3.ts";
import type { VerifyResult } from "../../signer/request.ts";
import { ACCESS_KEY_VAR, type SandboxContext } from "../cloud.ts";
import { receivedText } from "../received-body.ts";
import { ids } from "./ids.ts";
import { type Exchange, gatewayError, wantsJson } from "./render.ts";
import type { AccountRecord, AckState } from "./state.ts";

/** Nonces remembered at most (oldest forgotten first), so a long benchmark cannot exhaust memory. */
const NONCE_MEMORY = 200_000;

export interface Caller {
  exchange: Exchange;
  account: AccountRecord;
  body: string;
}

const callers = new WeakMap<Request, Caller>();
const exchanges = new WeakMap<Request, Exchange>();

export function isAsapiPath(pathname: string): boolean {
  return pathname === "/roa" || pathname.startsWith("/roa/");
}

/** The exchange of this request (made on first use: error pages may run before the gateway). */
export function exchangeOf(c: Context, random: () => number): Exchange {
  let exchange = exchanges.get(c.req.raw);
  if (!exchange) {
    const url = new URL(c.req.url);
    exchange = {
      requestId: ids.requestId(random),
      json: wantsJson(c.req.header("accept")),
      asapi: isAsapiPath(url.pathname),
      traceId: ids.trace(random),
      host: url.host,
    };
    exchanges.set(c.req.raw, exchange);
  }
  return exchange;
}

/** The authenticated caller; only routes behind the gateway call this. */
export function callerOf(c: Context): Caller {
  const caller = callers.get(c.req.raw);
  if (!caller) throw new Error("alibaba sandbox: route reached without passing the gateway");
  return caller;
}

function rememberNonce(state: AckState, key: string, now: number): boolean {
  for (const [seen, at] of state.nonces) {
    if (now - at <= MAX_CLOCK_SKEW_MS && state.nonces.size < NONCE_MEMORY) break;
    state.nonces.delete(seen);
  }
  if (state.nonces.has(key)) return false;
  state.nonces.set(key, now);
  return true;
}

const ASAPI_REQUIRED = [
  "x-ascm-product-name",
  "x-ascm-product-version",
  "x-acs-regionid",
  "x-acs-organizationid",
];

/** What the ASAPI gateway objects to in the ASAPI headers, if anything. */
function asapiProblem(c: Context, account: AccountRecord): { code: string; message: string } | undefined {
  for (const name of ASAPI_REQUIRED) {
    if (!c.req.header(name)?.trim()) {
      return { code: "MissingParameter", message: `the ASAPI header ${name} is required` };
    }
  }
  if (c.req.header("x-ascm-product-name")!.trim().toLowerCase() !== "cs") {
    return { code: "InvalidProduct", message: "x-ascm-product-name must be cs for Container Service" };
  }
  if (c.req.header("x-ascm-product-version")!.trim() !== ACK_API_VERSION) {
    return { code: "InvalidVersion", message: `x-ascm-product-version must be ${ACK_API_VERSION}` };
  }
  const organization = c.req.header("x-acs-organizationid")!.trim();
  if (!account.apsara) {
    return { code: "NoPermission", message: "the AccessKey belongs to no Apsara Stack organization" };
  }
  if (organization !== account.apsara.organizationId) {
    return {
      code: "NoPermission",
      message: `the AccessKey is not authorized in organization ${organization}`,
    };
  }
  return undefined;
}

export function gateway(ctx: SandboxContext, current: () => AckState): MiddlewareHandler {
  return async (c, next) => {
    const state = current();
    const exchange = exchangeOf(c, ctx.random);
    const body = await receivedText(c.req.raw);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const now = ctx.signatureNow();
    const received = { method: c.req.method, url: c.req.url, headers, body };
    const lookup = (id: string) => state.accounts.find((a) => a.accessKeyId === id)?.secretAccessKey;
    let verdict: VerifyResult;
    if (!isAcs3Authorization(headers.authorization)) verdict = await verifyAlibaba(received, lookup, { now });
    else if (exchange.asapi) {
      verdict = {
        ok: false,
        reason: "malformed",
        detail:
          "the ASAPI gateway accepts ROA signatures only (Authorization: acs <AccessKeyId>:<Signature>), not ACS3-HMAC-SHA256",
      };
    } else verdict = await verifyAlibabaAcs3(received, lookup, { now });
    const refuse = (status: number, code: string, message: string) =>
      gatewayError(exchange, status, code, message, { asapiStyle: true });
    if (!verdict.ok) {
      switch (verdict.reason) {
        case "unknown-key":
          return refuse(
            404,
            "InvalidAccessKeyId.NotFound",
            `Specified access key is not found. ${verdict.detail}`,
          );
        case "expired":
          return refuse(
            400,
            "InvalidTimeStamp.Expired",
            `Specified time stamp or date value is expired. ${verdict.detail}`,
          );
        case "mismatch":
          return refuse(
            403,
            "SignatureDoesNotMatch",
            `Specified signature is not matched with our calculation. ${verdict.detail}`,
          );
        default:
          return refuse(
            400,
            "IncompleteSignature",
            `The request signature does not conform to Aliyun standards. ${verdict.detail}`,
          );
      }
    }
    const account = state.accounts.find((a) => a.accessKeyId === verdict.accessKeyId)!;
    c.set(ACCESS_KEY_VAR as never, account.accessKeyId as never);

    const nonce = headers["x-acs-signature-nonce"]!.trim();
    if (!rememberNonce(state, `${account.accessKeyId}\u0000${nonce}`, now.getTime())) {
      return refuse(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
    }
    if (exchange.asapi) {
      const problem = asapiProblem(c, account);
      if (problem) return refuse(403, problem.code, problem.message);
    }
    const token = ctx.throttle.take(account.accessKeyId);
    if (!token.ok) {
      return gatewayError(
        exchange,
        state.options.throttleStatus,
        "Throttling.User",
        "Request was denied due to user flow control.",
        { retryAfterSeconds: token.retryAfterSeconds },
      );
    }
    callers.set(c.req.raw, { exchange, account, body });
    await next();
  };
}
