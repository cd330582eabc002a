import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  dashboardApp,
  getPage,
  hiddenField,
  NOW,
  ORIGIN,
  postForm,
  signIn,
} from "../../test/fixtures/dashboard.ts";
import { SESSION_TTL_MS } from "./session.ts";

describe("dashboard sign-in", () => {
  it("sends a browser without a session to the sign-in form, and back afterwards", async () => {
    const { app } = dashboardApp();
    const page = await app.request("/?provider=huawei");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login?next=%2F%3Fprovider%3Dhuawei");
    const form = await getPage(app, "/login?next=%2F%3Fprovider%3Dhuawei");
    expect(form.status).toBe(200);
    expect(form.text).toContain('<label for="token">');
    expect(form.text).toContain('name="next" value="/?provider=huawei"');

    const signedIn = await postForm(app, "/login", { token: ADMIN_TOKEN, next: "/?provider=huawei" });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("location")).toBe("/?provider=huawei");
  });

  it("sets an HttpOnly, SameSite=Strict session cookie that is not the token; Secure over HTTPS", async () => {
    const { app } = dashboardApp();
    const plain = await postForm(app, "/login", { token: ADMIN_TOKEN });
    const cookie = plain.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^nightshift_session=[0-9a-f]{32}\.\d+\./);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain(`Max-Age=${SESSION_TTL_MS / 1000}`);
    expect(cookie).not.toContain("Secure");

    const proxied = await postForm(
      app,
      "/login",
      { token: ADMIN_TOKEN },
      { headers: { "x-forwarded-proto": "https", origin: "https://localhost" } },
    );
    expect(proxied.headers.get("set-cookie")).toContain("Secure");
    const direct = await app.request("https://nightshift.example/login", {
      method: "POST",
      headers: { origin: "https://nightshift.example", "content-type": "application/x-www-form-urlencoded" },
      body: `token=${ADMIN_TOKEN}`,
    });
    expect(direct.status).toBe(303);
    expect(direct.headers.get("set-cookie")).toContain("Secure");
  });

  it("answers a wrong token with the form again, a clear message and 401", async () => {
    const { app } = dashboardApp();
    const response = await postForm(app, "/login", { token: `${ADMIN_TOKEN}x` });
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
    const text = await response.text();
    expect(text).toContain("That is not the admin token");
    expect(text).toContain('<input id="token"');
  });

  it("refuses a sign-in posted from another site", async () => {
    const { app } = dashboardApp();
    const response = await postForm(
      app,
      "/login",
      { token: ADMIN_TOKEN },
      { headers: { origin: "https://evil.example" } },
    );
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(await response.text()).toContain("the form was sent from https://evil.example");
  });

  it("never redirects off-site after signing in", async () => {
    const { app } = dashboardApp();
    for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
      const response = await postForm(app, "/login", { token: ADMIN_TOKEN, next });
      expect(response.headers.get("location")).toBe("/");
    }
  });

  it("ends the session at expiry and when the admin token is rotated", async () => {
    const fixture = dashboardApp();
    const cookie = await signIn(fixture.app);
    expect((await getPage(fixture.app, "/", cookie)).status).toBe(200);
    fixture.setNow(new Date(NOW.getTime() + SESSION_TTL_MS));
    expect((await getPage(fixture.app, "/", cookie)).status).toBe(303);

    const rotated = dashboardApp({ adminToken: `${ADMIN_TOKEN}-rotated` });
    expect((await getPage(rotated.app, "/", cookie)).status).toBe(303);
  });

  it("refuses a forged or tampered cookie", async () => {
    const { app } = dashboardApp();
    const cookie = await signIn(app);
    const [name, value] = cookie.split("=") as [string, string];
    const later = value.replace(/\.(\d+)\./, (_, ms: string) => `.${Number(ms) + 3600_000}.`);
    expect((await getPage(app, "/", `${name}=${later}`)).status).toBe(303);
    expect((await getPage(app, "/", `${name}=${ADMIN_TOKEN}`)).status).toBe(303);
  });

  it("signs out with the session's CSRF token, clearing the cookie", async () => {
    const { app } = dashboardApp();
    const cookie = await signIn(app);
    const page = await getPage(app, "/", cookie);
    const csrf = hiddenField(page.text, "csrf");

    const forged = await postForm(app, "/logout", { csrf: "0".repeat(64) }, { cookie });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("CSRF token does not belong to this session");

    const out = await postForm(app, "/logout", { csrf }, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/login?signed_out");
    expect(out.headers.get("set-cookie")).toMatch(/^nightshift_session=;.*Max-Age=0/);
    expect((await getPage(app, "/login?signed_out")).text).toContain("You are signed out.");
  });

  it("says the dashboard is off, and how to turn it on, without an admin token", async () => {
    const { app } = dashboardApp({ adminToken: null });
    for (const path of ["/", "/login"]) {
      const page = await getPage(app, path);
      expect(page.status).toBe(503);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(page.text).toContain("The dashboard is off");
      expect(page.text).toContain("NIGHTSHIFT_ADMIN_TOKEN");
      expect(page.text).toContain("wrangler secret put NIGHTSHIFT_ADMIN_TOKEN");
    }
    const posted = await postForm(app, "/login", { token: ADMIN_TOKEN });
    expect(posted.status).toBe(503);
  });

  it("serves pages with a strict Content-Security-Policy and no caching", async () => {
    const { app } = dashboardApp();
    const cookie = await signIn(app);
    for (const path of ["/login", "/"]) {
      const page = await getPage(app, path, path === "/" ? cookie : undefined);
      const csp = page.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/);
      expect(csp).not.toContain("script-src");
      expect(csp).not.toContain("unsafe-inline");
      expect(page.headers.get("cache-control")).toBe("no-store");
      expect(page.text).not.toContain("<script");
    }
  });

  it("leaves the JSON API, health and unknown routes as they were", async () => {
    const { app } = dashboardApp();
    const api = await app.request("/api/targets");
    expect(api.status).toBe(401);
    expect(api.headers.get("content-security-policy")).toBeNull();
    expect((await app.request("/healthz")).status).toBe(200);
    const unknown = await app.request("/nothing-here");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
    expect(ORIGIN).toBe("http://localhost");
  });
});

describe("a form body that does not parse as its Content-Type", () => {
  // Found by the chaos fuzz: a multipart Content-Type over a urlencoded body made parseBody throw,
  // and every form route answered 500.
  it("is refused with a page naming the Content-Type, on every form route, never a 500", async () => {
    const { app } = dashboardApp();
    const cookie = await signIn(app);
    const page = await getPage(app, "/targets/hw/c1", cookie);
    const csrf = hiddenField(page.text, "csrf");
    for (const path of ["/login", "/logout", "/targets/hw/c1/snooze", "/schedules/office-hours/pause"]) {
      const response = await postForm(
        app,
        path,
        { csrf, minutes: "30" },
        { cookie, headers: { "content-type": "multipart/form-data; boundary=x" } },
      );
      expect(response.status, path).toBe(400);
      const text = await response.text();
      expect(text, path).toContain(
        "the form could not be read as its Content-Type (multipart/form-data; boundary=x) says",
      );
    }
  });
});
