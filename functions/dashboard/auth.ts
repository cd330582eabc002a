// Signing in and out, and the guards in front of every page and form:
//   GET  /login    the form (the admin token, NIGHTSHIFT_ADMIN_TOKEN)
//   POST /login    checks the token in constant time, starts a session (session.ts), 303 onwards
//   POST /logout   ends it
// A page asked for without a session is a 303 to /login (never a JSON 401: a browser asked). A
// POST needs the session, its CSRF token and a same-origin request; a refusal is a page saying
// which check failed. With no admin token configured, every page says the dashboard is off.
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { html } from "hono/html";
import { matchesAny } from "../../shared/signer/credentials.ts";
import type { DashboardDeps, DashboardEnv } from "./deps.ts";
import { page, withQuery } from "./layout.ts";
import {
  crossOriginReason,
  csrfMatches,
  endSession,
  randomSessionId,
  readSession,
  startSession,
} from "./session.ts";

/** Where to go after signing in: a path of ours, never another site ("//evil" or "https:…"). */
export function safeNext(value: string | undefined): string {
  const ours = value?.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\");
  return ours ? (value as string) : "/";
}

export function disabledPage(c: Context): Response | Promise<Response> {
  return page(
    c,
    { title: "Dashboard off", section: "login", status: 503 },
    html`<h1>The dashboard is off</h1>
<p>No admin token is configured, so nobody can sign in. Set <code>NIGHTSHIFT_ADMIN_TOKEN</code> to a
secret of at least 24 characters (for example the output of <code>openssl rand -hex 24</code>), then
sign in here with it:</p>
<ul>
<li>Node: put it in the service's environment and restart it (<code>npm start</code> without one
prints a token for that run on stderr).</li>
<li>Cloudflare Workers: <code>wrangler secret put NIGHTSHIFT_ADMIN_TOKEN</code>.</li>
</ul>`,
  );
}

export function refusalPage(c: Context, status: 400 | 403 | 409 | 422, reason: string, back?: string) {
  return page(
    c,
    { title: "Not done", section: "login", status },
    html`<h1>Nothing was changed</h1>
<p>${reason}</p>
<p><a href="${back ?? "/"}">Back to the dashboard</a></p>`,
  );
}

export function unknownTargetPage(c: Context<DashboardEnv>, id: string) {
  return page(
    c,
    { title: "Unknown target", section: "target", session: c.get("session"), status: 404 },
    html`<h1>No target “${id}”</h1>
<p>nightshift does not manage a cluster with this id (ids are <code>account/clusterId</code>), or its
account could not be listed just now. <a href="/">The fleet</a> lists every target.</p>`,
  );
}

function loginForm(
  c: Context,
  options: { next: string; error?: string; notice?: string; status?: 200 | 401 },
) {
  return page(
    c,
    {
      title: "Sign in",
      section: "login",
      ...(options.status ? { status: options.status } : {}),
      ...(options.error ? { error: html`${options.error}` } : {}),
      ...(options.notice ? { notice: html`${options.notice}` } : {}),
    },
    html`<h1>Sign in to nightshift</h1>
<form method="post" action="/login">
<input type="hidden" name="next" value="${options.next}">
<p><label for="token">Admin token (<code>NIGHTSHIFT_ADMIN_TOKEN</code>)</label><br>
<input id="token" name="token" type="password" autocomplete="current-password" required size="40"></p>
<p><button type="submit">Sign in</button></p>
</form>
<p class="muted">The sign-in lasts 12 hours. The token is checked once and never stored in the browser.</p>`,
  );
}

/**
 * Reads a urlencoded or multipart form: string fields only (a file is not a field we take).
 * Undefined when the body does not parse as the type it claims (a multipart body without its
 * boundary): the caller's fault, answered with unreadableFormPage, never a 500.
 */
async function readForm(c: Context): Promise<Record<string, string> | undefined> {
  let body: Awaited<ReturnType<typeof c.req.parseBody>>;
  try {
    body = await c.req.parseBody();
  } catch {
    return undefined;
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") fields[name] = value;
  return fields;
}

function unreadableFormPage(c: Context, what: string, back?: string) {
  const type = c.req.header("content-type") ?? "none";
  return refusalPage(
    c,
    400,
    `${what}: the form could not be read as its Content-Type (${type}) says; send it as the page's form does (application/x-www-form-urlencoded).`,
    back,
  );
}

export function authRoutes(deps: DashboardDeps): Hono<DashboardEnv> {
  const routes = new Hono<DashboardEnv>();
  const clock = deps.realNow ?? deps.now;

  routes.get("/login", async (c) => {
    if (!deps.adminToken) return disabledPage(c);
    const next = safeNext(c.req.query("next"));
    if (await readSession(c, deps.adminToken, clock())) return c.redirect(next, 303);
    return loginForm(c, {
      next,
      ...(c.req.query("signed_out") !== undefined ? { notice: "You are signed out." } : {}),
    });
  });

  routes.post("/login", async (c) => {
    if (!deps.adminToken) return disabledPage(c);
    const crossOrigin = crossOriginReason(c);
    if (crossOrigin) return refusalPage(c, 403, `Sign-in refused: ${crossOrigin}.`, "/login");
    const form = await readForm(c);
    if (!form) return unreadableFormPage(c, "Sign-in refused", "/login");
    const next = safeNext(form.next);
    if (!matchesAny(form.token ?? "", [deps.adminToken])) {
      deps.log.warn("dashboard sign-in refused: wrong admin token", {});
      return loginForm(c, {
        next,
        status: 401,
        error: "That is not the admin token. Check NIGHTSHIFT_ADMIN_TOKEN and try again.",
      });
    }
    await startSession(c, deps.adminToken, clock(), deps.randomId ?? randomSessionId);
    return c.redirect(next, 303);
  });

  routes.post("/logout", async (c) => {
    const crossOrigin = crossOriginReason(c);
    if (crossOrigin) return refusalPage(c, 403, `Sign-out refused: ${crossOrigin}.`);
    const session = deps.adminToken ? await readSession(c, deps.adminToken, clock()) : undefined;
    const form = session ? await readForm(c) : {};
    if (!form) return unreadableFormPage(c, "Sign-out refused");
    if (session && !csrfMatches(session, form.csrf)) {
      return refusalPage(
        c,
        403,
        "Sign-out refused: the form's CSRF token does not belong to this session. Reload the page and try again.",
      );
    }
    endSession(c);
    return c.redirect("/login?signed_out", 303);
  });

  return routes;
}

/** Pages: a signed-in session, else a 303 to /login that comes back here afterwards. */
export function signedIn(deps: DashboardDeps): MiddlewareHandler<DashboardEnv> {
  const clock = deps.realNow ?? deps.now;
  return async (c, next) => {
    if (!deps.adminToken) return disabledPage(c);
    const session = await readSession(c, deps.adminToken, clock());
    if (!session) {
      const url = new URL(c.req.url);
      const back = c.req.method === "GET" ? url.pathname + url.search : "/";
      return c.redirect(withQuery("/login", { next: back === "/" ? undefined : back }), 303);
    }
    c.set("session", session);
    await next();
  };
}

/**
 * Forms (after `signedIn`): the request must come from our own pages (Origin / Sec-Fetch-Site) and
 * carry the session's CSRF token; the checked fields are left in `form`.
 */
export function checkedForm(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const crossOrigin = crossOriginReason(c);
    if (crossOrigin) return refusalPage(c, 403, `Refused: ${crossOrigin}.`);
    const form = await readForm(c);
    if (!form) return unreadableFormPage(c, "Refused");
    if (!csrfMatches(c.get("session"), form.csrf)) {
      return refusalPage(
        c,
        403,
        "Refused: the form's CSRF token is missing or belongs to another session (did you sign in again since the page was shown?). Reload the page and try again.",
      );
    }
    c.set("form", form);
    await next();
  };
}
