// The admin API (`/api/*`): bearer-token protected, JSON in and out, the shared error shape.
import { Hono } from "hono";
import type { Logger } from "../shared/log/logger.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import { checkAuthorization } from "../shared/signer/credentials.ts";
import type { Idempotency } from "../shared/store/store.ts";
import { errorResponse } from "./errors.ts";
import { idempotency } from "./idempotency.ts";

export interface AdminApiDeps {
  /** Unset: the admin API answers 503 until NIGHTSHIFT_ADMIN_TOKEN is configured. */
  adminToken?: string;
  inventory: () => Promise<Inventory>;
  idempotency: Idempotency;
  now: () => Date;
  log: Logger;
}

export function adminApi(deps: AdminApiDeps): Hono {
  const api = new Hono();

  api.use("*", async (c, next) => {
    if (!deps.adminToken) {
      return errorResponse(
        c,
        503,
        "admin_disabled",
        "the admin API is disabled: set NIGHTSHIFT_ADMIN_TOKEN to enable it",
      );
    }
    if (!checkAuthorization(c.req.header("authorization"), { kind: "bearer", tokens: [deps.adminToken] })) {
      c.header("WWW-Authenticate", 'Bearer realm="nightshift"');
      return errorResponse(c, 401, "unauthorized", "send the admin token as `Authorization: Bearer <token>`");
    }
    await next();
  });

  // After authentication, so a refused request is never stored. One admin token, one caller:
  // the key space is the admin API's own.
  api.use(
    "*",
    idempotency({
      store: deps.idempotency,
      now: deps.now,
      required: false,
      scope: () => "admin",
      log: deps.log,
    }),
  );

  api.get("/targets", async (c) => c.json(await deps.inventory()));

  return api;
}
