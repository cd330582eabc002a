// The server-rendered dashboard, mounted at `/` by functions/app.ts:
//   GET  /login, POST /login, POST /logout     auth.ts
//   GET  /                                     the fleet (fleet-page.ts)
//   GET  /targets/{id}                         one target (target-page.ts)
//   POST /targets/{id}/snooze, /renew          actions (actions.ts)
//   GET  /operations                           operations and ledger entries (activity-page.ts)
// Every route is registered with its own path (never "*"): mounted at "/", a wildcard would also
// run in front of /api, /webhooks and /healthz.
import { Hono } from "hono";
import { actionRoutes } from "./actions.ts";
import { activityPage } from "./activity-page.ts";
import { authRoutes, signedIn } from "./auth.ts";
import type { DashboardDeps, DashboardEnv } from "./deps.ts";
import { fleetPage } from "./fleet-page.ts";
import { pageHeaders } from "./layout.ts";
import { targetPage } from "./target-page.ts";

export type { DashboardDeps } from "./deps.ts";

export function dashboard(deps: DashboardDeps): Hono<DashboardEnv> {
  const routes = new Hono<DashboardEnv>();
  const headers = pageHeaders();
  for (const path of ["/", "/login", "/logout", "/operations", "/targets/*"]) routes.use(path, headers);
  routes.route("/", authRoutes(deps));
  routes.get("/", signedIn(deps), fleetPage(deps));
  routes.get("/operations", signedIn(deps), activityPage(deps));
  routes.route("/", actionRoutes(deps));
  routes.get("/targets/:id{.+}", signedIn(deps), targetPage(deps));
  return routes;
}
