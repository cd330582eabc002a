// GET /metrics: the Prometheus text exposition (0.0.4) of what the store holds, the same from
// every host and replica (shared/metrics/collect.ts). Protected by a token of its own,
// NIGHTSHIFT_METRICS_TOKEN, sent as a bearer token (Prometheus' `authorization: { credentials }`);
// unset, the route answers 503 metrics_disabled naming the variable, so a scrape shows the target
// down with the reason rather than a page that looks like no metrics. The admin token is not
// accepted: a scraper reads metrics and nothing else.
import { Hono } from "hono";
import type { Logger } from "../shared/log/logger.ts";
import { collectMetrics, type MetricsContext } from "../shared/metrics/collect.ts";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "../shared/metrics/exposition.ts";
import type { MetricsRecorder } from "../shared/metrics/recorder.ts";
import { checkAuthorization } from "../shared/signer/credentials.ts";
import type { Store } from "../shared/store/store.ts";
import { errorResponse } from "./errors.ts";

export const METRICS_TOKEN_VARIABLE = "NIGHTSHIFT_METRICS_TOKEN";

export interface MetricsRouteDeps {
  /** Unset: the route answers 503 until NIGHTSHIFT_METRICS_TOKEN is configured. */
  token?: string;
  store: Store;
  context: MetricsContext;
  /** This process's counts, flushed first so the answer includes them. */
  recorder?: MetricsRecorder;
  /** The clouds' time: certificate validity and calendar coverage are judged by it. */
  now: () => Date;
  log: Logger;
}

export function metricsRoutes(deps: MetricsRouteDeps): Hono {
  const routes = new Hono();
  routes.get("/", async (c) => {
    if (!deps.token) {
      return errorResponse(
        c,
        503,
        "metrics_disabled",
        `the metrics are disabled: set ${METRICS_TOKEN_VARIABLE} to enable them`,
      );
    }
    if (!checkAuthorization(c.req.header("authorization"), { kind: "bearer", tokens: [deps.token] })) {
      c.header("WWW-Authenticate", 'Bearer realm="nightshift metrics"');
      return errorResponse(
        c,
        401,
        "unauthorized",
        `send the metrics token as \`Authorization: Bearer <${METRICS_TOKEN_VARIABLE}>\``,
      );
    }
    if (deps.recorder) {
      await deps.recorder.flush(deps.store).catch((error: unknown) =>
        deps.log.warn(
          "metrics: this process's counts could not be stored; they are kept for the next flush",
          {
            error,
          },
        ),
      );
    }
    let text: string;
    try {
      text = renderExposition(await collectMetrics(deps.store, deps.context, deps.now()));
    } catch (error) {
      deps.log.error("metrics: the store did not answer", { error });
      c.header("Retry-After", "15");
      return errorResponse(
        c,
        503,
        "metrics_unavailable",
        "the store did not answer; the next scrape tries again",
      );
    }
    return c.body(text, 200, { "Content-Type": EXPOSITION_CONTENT_TYPE, "Cache-Control": "no-store" });
  });
  return routes;
}
