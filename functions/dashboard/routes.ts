// The server-rendered dashboard, mounted at `/` by functions/app.ts:
//   GET  /login, POST /login, POST /logout     auth.ts
//   GET  /                                     the fleet (fleet-page.ts)
// Every route is registered with its own path (never "*"): mounted at "/", a wildcard would also
// run in front of /api, /webhooks and /healthz.
import { Hono } from "hono";
import { authRoutes, signedIn } from "./auth.ts";
import type { DashboardDeps, DashboardEnv } from "./deps.ts";
import { fleetPage } from "./fleet-page.ts";
import { pageHeaders } from "./layout.ts";

export type { DashboardDeps } from "./deps.ts";

export function dashboard(deps: DashboardDeps): Hono<DashboardEnv> {
  const routes = new Hono<DashboardEnv>();
  const headers = pageHeaders();
  for (const path of ["/", "/login", "/logout"]) routes.use(path, headers);
  routes.route("/", authRoutes(deps));
  routes.get("/", signedIn(deps), fleetPage(deps));
  return routes;
}
