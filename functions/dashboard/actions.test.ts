import { describe, expect, it } from "vitest";
import type { Renewal } from "../../shared/renewal/renewal-schema.ts";
import { createRenewalServices } from "../../shared/renewal/services.ts";
import { dashboardApp, getPage, hiddenField, NOW, postForm, signIn } from "../../test/fixtures/dashboard.ts";

/** Signs in, opens a target's page and returns what its forms carry. */
async function openTarget(fixture: ReturnType<typeof dashboardApp>, path = "/targets/hw/c1") {
  const cookie = await signIn(fixture.app);
  const page = await getPage(fixture.app, path, cookie);
  expect(page.status).toBe(200);
  const keys = [...page.text.matchAll(/name="formKey" value="([0-9a-f]{32})"/g)].map((m) => m[1] as string);
  return { cookie, page: page.text, csrf: hiddenField(page.text, "csrf"), keys };
}

const renewal: Renewal = {
  kind: "renewal",
  name: "hw-kubeconfigs",
  source: "schedules/renewal.yaml",
  enabled: true,
  targets: [{ accounts: ["hw"] }],
  durationMinutes: 7 * 24 * 60,
  renewBefore: { percentage: 100 / 3 },
  sinks: [{ type: "store" }],
};

describe("POST /targets/{id}/snooze", () => {
  it("snoozes the target, lands in the ledger, and redirects to a confirmation", async () => {
    const fixture = dashboardApp();
    const { cookie, csrf, keys } = await openTarget(fixture);
    expect(new Set(keys).size).toBe(keys.length);
    const response = await postForm(
      fixture.app,
      "/targets/hw/c1/snooze",
      { csrf, formKey: keys[0]!, minutes: "90" },
      { cookie },
    );
    expect(response.status).toBe(303);
    const location = response.headers.get("location")!;
    expect(location).toBe("/targets/hw/c1?done=snoozed&entry=1");
    const until = new Date(NOW.getTime() + 90 * 60_000).toISOString();
    expect((await fixture.store.targets.get("hw/c1", NOW))?.value.snoozeUntil).toBe(until);
    const entries = await fixture.store.ledger.query({ target: "hw/c1" });
    expect(entries.map((e) => [e.kind, e.detail])).toEqual([["target.snoozed", { until, via: "dashboard" }]]);

    const confirmation = await getPage(fixture.app, location, cookie);
    expect(confirmation.text).toMatch(
      /<div class="notice" role="status">Snoozed: sleeps wait until <time datetime="2026-11-22T13:30:00.000Z">/,
    );
    expect(confirmation.text).toContain("<td>target.snoozed</td>");
  });

  it("does nothing twice when the same form is sent again", async () => {
    const fixture = dashboardApp();
    const { cookie, csrf, keys } = await openTarget(fixture);
    const send = () =>
      postForm(fixture.app, "/targets/hw/c1/snooze", { csrf, formKey: keys[0]!, minutes: "90" }, { cookie });
    const first = await send();
    fixture.setNow(new Date(NOW.getTime() + 60_000));
    const again = await send();
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(await fixture.store.ledger.query({ target: "hw/c1" })).toHaveLength(1);
    expect((await fixture.store.targets.get("hw/c1", NOW))?.value.snoozeUntil).toBe(
      new Date(NOW.getTime() + 90 * 60_000).toISOString(),
    );
    // The same form with other values is refused; a fresh form (new key) runs.
    const changed = await postForm(
      fixture.app,
      "/targets/hw/c1/snooze",
      { csrf, formKey: keys[0]!, minutes: "30" },
      { cookie },
    );
    expect(changed.status).toBe(422);
    expect(await changed.text()).toContain("already sent with other values");
    const fresh = await postForm(
      fixture.app,
      "/targets/hw/c1/snooze",
      { csrf, formKey: keys[1]!, minutes: "30" },
      { cookie },
    );
    expect(fresh.status).toBe(303);
    expect(await fixture.store.ledger.query({ target: "hw/c1" })).toHaveLength(2);
  });

  it("refuses bad minutes without using up the form", async () => {
    const fixture = dashboardApp();
    const { cookie, csrf, keys } = await openTarget(fixture);
    for (const [minutes, message] of [
      ["0", "Minutes must be from 1 to 10080 (7 days); got 0."],
      ["10081", "Minutes must be from 1 to 10080 (7 days); got 10081."],
      ["1.5", "Minutes must be a whole number from 1 to 10080 (7 days); got &quot;1.5&quot;."],
    ] as const) {
      const response = await postForm(
        fixture.app,
        "/targets/hw/c1/snooze",
        { csrf, formKey: keys[0]!, minutes },
        { cookie },
      );
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(message);
    }
    const corrected = await postForm(
      fixture.app,
      "/targets/hw/c1/snooze",
      { csrf, formKey: keys[0]!, minutes: "15" },
      { cookie },
    );
    expect(corrected.status).toBe(303);
    expect(await fixture.store.ledger.query({ target: "hw/c1" })).toHaveLength(1);
  });

  it("refuses a form without the session, its CSRF token, or from another origin", async () => {
    const fixture = dashboardApp();
    const { cookie, csrf, keys } = await openTarget(fixture);
    const fields = { csrf, formKey: keys[0]!, minutes: "60" };
    const noSession = await postForm(fixture.app, "/targets/hw/c1/snooze", fields);
    expect(noSession.status).toBe(303);
    expect(noSession.headers.get("location")).toBe("/login");
    const noCsrf = await postForm(fixture.app, "/targets/hw/c1/snooze", { ...fields, csrf: "" }, { cookie });
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.text()).toContain("CSRF token is missing or belongs to another session");
    const otherSession = await signIn(fixture.app);
    const stolen = await postForm(fixture.app, "/targets/hw/c1/snooze", fields, { cookie: otherSession });
    expect(stolen.status).toBe(403);
    const crossSite = await postForm(fixture.app, "/targets/hw/c1/snooze", fields, {
      cookie,
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toContain("Sec-Fetch-Site: cross-site");
    const otherOrigin = await postForm(fixture.app, "/targets/hw/c1/snooze", fields, {
      cookie,
      headers: { origin: "https://evil.example" },
    });
    expect(otherOrigin.status).toBe(403);
    const noForm = await postForm(fixture.app, "/targets/hw/c1/snooze", { csrf, minutes: "60" }, { cookie });
    expect(noForm.status).toBe(400);
    expect(await noForm.text()).toContain("no valid form key");
    expect(await fixture.store.ledger.query({})).toEqual([]);
  });

  it("answers an unknown target with a 404 page", async () => {
    const fixture = dashboardApp();
    const { cookie, csrf, keys } = await openTarget(fixture);
    const response = await postForm(
      fixture.app,
      "/targets/hw/nope/snooze",
      { csrf, formKey: keys[0]!, minutes: "60" },
      { cookie },
    );
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("No target “hw/nope”");
  });
});

describe("POST /targets/{id}/renew", () => {
  const services = createRenewalServices({ vaultKeys: [], namedSecrets: {}, fetch, now: () => NOW });

  it("forces a renewal: an operation, a ledger entry, once per form", async () => {
    const fixture = dashboardApp({ renewals: [renewal], renewal: services });
    const { cookie, csrf, keys } = await openTarget(fixture);
    const renewKey = keys[keys.length - 1]!;
    const send = () => postForm(fixture.app, "/targets/hw/c1/renew", { csrf, formKey: renewKey }, { cookie });
    const response = await send();
    expect(response.status).toBe(303);
    const location = response.headers.get("location")!;
    expect(location).toMatch(/^\/targets\/hw\/c1\?done=renewal&operation=/);
    const entries = await fixture.store.ledger.query({ target: "hw/c1" });
    expect(entries.find((e) => e.kind === "renew.forced")?.detail).toEqual({
      declaration: "hw-kubeconfigs",
      requestedBy: "dashboard",
    });
    expect((await send()).headers.get("location")).toBe(location);
    expect(await fixture.store.ledger.query({ target: "hw/c1" })).toEqual(entries);
    expect(await fixture.store.operations.list({ target: "hw/c1" }, NOW)).toHaveLength(1);
    expect((await getPage(fixture.app, location, cookie)).text).toContain(
      "Renewal requested: operation <code>",
    );
  });

  it("says why nothing was renewed", async () => {
    const unconfigured = dashboardApp();
    let form = await openTarget(unconfigured);
    let response = await postForm(
      unconfigured.app,
      "/targets/hw/c1/renew",
      { csrf: form.csrf, formKey: form.keys.at(-1)! },
      { cookie: form.cookie },
    );
    expect(response.status).toBe(409);
    expect(await response.text()).toContain("Certificate renewal is not configured on this host");

    const unowned = dashboardApp({ renewals: [], renewal: services });
    form = await openTarget(unowned);
    response = await postForm(
      unowned.app,
      "/targets/hw/c1/renew",
      { csrf: form.csrf, formKey: form.keys.at(-1)! },
      { cookie: form.cookie },
    );
    expect(response.status).toBe(409);
    expect(await response.text()).toContain("no enabled renewal declaration");
    expect(await unowned.store.ledger.query({})).toEqual([]);
  });
});

describe("POST /schedules/{name}/pause and /resume", () => {
  it("pauses the target's schedule, shows it, and resumes it; each once per form, in the ledger", async () => {
    const fixture = dashboardApp();
    const { cookie, csrf, page } = await openTarget(fixture);
    expect(page).toContain('action="/schedules/office-hours/pause"');
    const pauseKey =
      /action="\/schedules\/office-hours\/pause"[\s\S]*?name="formKey" value="([0-9a-f]{32})"/.exec(
        page,
      )![1]!;
    const fields = {
      csrf,
      formKey: pauseKey,
      duration: "1d",
      reason: "<b>release</b> freeze",
      back: "/targets/hw/c1",
    };
    const paused = await postForm(fixture.app, "/schedules/office-hours/pause", fields, { cookie });
    expect(paused.status).toBe(303);
    expect(paused.headers.get("location")).toBe("/targets/hw/c1?done=paused&schedule=office-hours");
    expect((await postForm(fixture.app, "/schedules/office-hours/pause", fields, { cookie })).status).toBe(
      303,
    );
    const entries = await fixture.store.ledger.query({});
    expect(entries.map((e) => e.kind)).toEqual(["schedule.paused"]);

    const shown = await getPage(fixture.app, paused.headers.get("location")!, cookie);
    expect(shown.text).toContain("Schedule office-hours paused until");
    expect(shown.text).toContain("&lt;b&gt;release&lt;/b&gt; freeze");
    expect(shown.text).toContain('action="/schedules/office-hours/resume"');
    const resumeKey =
      /action="\/schedules\/office-hours\/resume"[\s\S]*?name="formKey" value="([0-9a-f]{32})"/.exec(
        shown.text,
      )![1]!;
    const resumed = await postForm(
      fixture.app,
      "/schedules/office-hours/resume",
      { csrf, formKey: resumeKey, back: "//evil.example" },
      { cookie },
    );
    expect(resumed.headers.get("location")).toBe("/?done=resumed&schedule=office-hours");
    expect((await fixture.store.ledger.query({})).map((e) => e.kind)).toEqual([
      "schedule.paused",
      "schedule.resumed",
    ]);
  });

  it("refuses a duration the form does not offer", async () => {
    const fixture = dashboardApp();
    const { cookie, csrf, keys } = await openTarget(fixture);
    const response = await postForm(
      fixture.app,
      "/schedules/office-hours/pause",
      { csrf, formKey: keys[0]!, duration: "100y", back: "/targets/hw/c1" },
      { cookie },
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Duration &quot;100y&quot; is not one the form offers");
    expect(await fixture.store.ledger.query({})).toEqual([]);
  });
});
