// The HTTP surface, one Hono app for both hosts: Workers calls `app.fetch` from its `fetch`
// handler, Node serves it through @hono/node-server.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { TrieRouter } from "hono/router/trie-router";
import packageJson from "../package.json" with { type: "json" };
import {
  type ConfigIssue,
  DEFAULT_EVENTBRIDGE_API_KEY_HEADER,
  type WebhookCredentials,
} from "../shared/config/config.ts";
import type { AcceptEvents } from "../shared/events/inbound.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { MetricsRecorder } from "../shared/metrics/recorder.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import type { Renewal } from "../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../shared/renewal/services.ts";
import type { Rates } from "../shared/savings/rates-schema.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import type { Store } from "../shared/store/store.ts";
import { actionRoutes } from "./actions.ts";
import { adminApi } from "./api.ts";
import { dashboard } from "./dashboard/routes.ts";
import { clientErrorResponse, errorBody, errorResponse } from "./errors.ts";
import { metricsRoutes } from "./metrics.ts";
import { bodyLimits } from "./request-body.ts";
import { webhookRoutes } from "./webhooks/routes.ts";

export type HostName = "workers" | "node";

export interface AppDeps {
  host: HostName;
  log: Logger;
  /** The clouds' time (the sandbox clock in the embedded demo). */
  now: () => Date;
  /** Real time, for promises a caller meets in real time (Idempotency-Keys); default \`now\`. */
  realNow?: () => Date;
  adminToken?: string;
  inventory: () => Promise<Inventory>;
  store: Store;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  /** Signs the snooze/postpone links of pre-action notices; the route is off without it. */
  linkSecret?: string;
  /** Who may post to /webhooks/*; a source with none configured answers 503 (off). */
  webhooks?: WebhookCredentials;
  /**
   * Records, dedupes and routes the webhook routes' events, and starts the work they ask for
   * (functions/resize/accept.ts); call it with the clouds' time (`now()`) before answering.
   * Unset: /webhooks/* answer 503, never a pretended 2xx.
   */
  accept?: AcceptEvents;
  /** Certificate renewal: the declarations, the vault and the sinks. */
  renewals?: readonly Renewal[];
  renewal?: RenewalServices;
  /** The rates of the dashboard's savings estimate (`kind: rates`); default none. */
  rates?: readonly Rates[];
  /** GET /metrics (functions/metrics.ts): its token, this process's counts, what labels need. */
  metrics?: AppMetrics;
}

export interface AppMetrics {
  /** NIGHTSHIFT_METRICS_TOKEN; unset: /metrics answers 503. */
  token?: string;
  recorder?: MetricsRecorder;
  /** Each account's provider kind, by account id. */
  providers: ReadonlyMap<string, string>;
  /** Every operation kind the jobs run. */
  operationKinds: readonly string[];
}

const NO_WEBHOOK_CREDENTIALS: WebhookCredentials = {
  alertmanager: { tokens: [] },
  events: { secrets: [] },
  eventbridge: { header: DEFAULT_EVENTBRIDGE_API_KEY_HEADER, apiKeys: [] },
};

export const VERSION = packageJson.version;

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  // First: nothing below (authentication, the idempotency fingerprint) reads an oversized body.
  app.use("*", bodyLimits());

  app.get("/healthz", (c) =>
    c.json({
      status: "ok",
      service: "nightshift",
      version: VERSION,
      host: deps.host,
      store: deps.store.backend,
      time: deps.now().toISOString(),
    }),
  );

  app.route(
    "/api",
    adminApi({
      inventory: deps.inventory,
      store: deps.store,
      schedules: deps.schedules,
      calendars: deps.calendars,
      now: deps.now,
      ...(deps.realNow ? { realNow: deps.realNow } : {}),
      log: deps.log,
      ...(deps.adminToken ? { adminToken: deps.adminToken } : {}),
      ...(deps.renewals ? { renewals: deps.renewals } : {}),
      ...(deps.renewal ? { renewal: deps.renewal } : {}),
    }),
  );

  app.route(
    "/actions",
    actionRoutes({
      store: deps.store,
      inventory: deps.inventory,
      now: deps.now,
      ...(deps.linkSecret ? { linkSecret: deps.linkSecret } : {}),
    }),
  );

  app.route("/", dashboard(deps));

  app.route(
    "/webhooks",
    webhookRoutes({
      credentials: deps.webhooks ?? NO_WEBHOOK_CREDENTIALS,
      ...(deps.accept ? { accept: deps.accept } : {}),
      now: deps.now,
      realNow: deps.realNow ?? deps.now,
      log: deps.log,
    }),
  );

  app.route(
    "/metrics",
    metricsRoutes({
      ...(deps.metrics?.token ? { token: deps.metrics.token } : {}),
      ...(deps.metrics?.recorder ? { recorder: deps.metrics.recorder } : {}),
      store: deps.store,
      context: {
        host: deps.host,
        version: VERSION,
        store: deps.store.backend,
        providers: deps.metrics?.providers ?? new Map(),
        operationKinds: deps.metrics?.operationKinds ?? [],
        schedules: deps.schedules,
        calendars: deps.calendars,
      },
      now: deps.now,
      log: deps.log,
    }),
  );

  // A path that exists under another method is a 405 naming the methods it takes, not "no route".
  let methodsFor: ((path: string) => string[]) | undefined;
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    methodsFor ??= routeMethods(app);
    const methods = methodsFor(path);
    const asked = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (methods.length > 0 && !methods.includes(asked)) {
      const allow = methods.includes("GET") ? [...methods, "HEAD"] : methods;
      c.header("Allow", allow.join(", "));
      return errorResponse(
        c,
        405,
        "method_not_allowed",
        `the method ${c.req.method} is not allowed on ${path}; use ${methods.join(" or ")}`,
        { allow },
      );
    }
    return errorResponse(c, 404, "not_found", `no route for ${c.req.method} ${path}`);
  });
  app.onError((error, c) => {
    // A client error a library raised (a validator's media-type gate): the caller's fault, said so.
    if (error instanceof HTTPException && error.status < 500) return clientErrorResponse(c, error);
    // The client went away before its request was read (a slow body cut off by the request
    // timeout, a cancelled upload): nobody is left to answer and nothing of ours failed.
    if (c.req.raw.signal.aborted) {
      deps.log.info("the client went away before its request was read", {
        method: c.req.method,
        path: new URL(c.req.url).pathname,
      });
      return errorResponse(
        c,
        400,
        "request_aborted",
        "the request was cut off before its body arrived; send it again",
      );
    }
    // The caller gets a reference, the log gets the (redacted) detail; never a stack in a response.
    deps.log.error("unhandled error", { error, method: c.req.method, path: new URL(c.req.url).pathname });
    return errorResponse(c, 500, "internal", "internal error; see the service log");
  });
  return app;
}

const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** The methods the app's routes (not its middleware, registered for every method) take per path. */
function routeMethods(app: Hono): (path: string) => string[] {
  const router = new TrieRouter<true>();
  for (const route of app.routes) if (route.method !== "ALL") router.add(route.method, route.path, true);
  return (path) => ROUTE_METHODS.filter((method) => router.match(method, path)[0].length > 0);
}

/** What a host answers while its configuration is invalid: the variable names, never their values. */
export function misconfiguredApp(issues: ConfigIssue[]): Hono {
  const app = new Hono();
  app.all("*", (c) =>
    c.json(
      errorBody(
        "configuration_invalid",
        "nightshift is not configured correctly; fix these settings and redeploy",
        {
          issues,
        },
      ),
      503,
    ),
  );
  return app;
}
