import { describe, expect, it } from "vitest";
import type { Rates } from "../../shared/savings/rates-schema.ts";
import { pauseSchedule } from "../../shared/schedule/pause.ts";
import type { Store } from "../../shared/store/store.ts";
import { dashboardApp, FLEET, getPage, NOW, officeHours, signIn } from "../../test/fixtures/dashboard.ts";
import { testTarget } from "../../test/fixtures/target.ts";

const RATES: Rates[] = [
  {
    kind: "rates",
    name: "hw-rates",
    source: "schedules/rates.yaml",
    currency: "CNY",
    teamTag: "team",
    targets: [{ providers: ["huawei"] }],
    cluster: 0.5,
    pools: [{ match: { name: "*" }, rate: { perNode: 1 } }],
  },
];

const INVENTORY = {
  ...FLEET,
  targets: [testTarget({ tags: { env: "qa", team: "platform" } }), ...FLEET.targets.slice(1)],
};

/** Friday 20 November, 20:00 in Shanghai: qa-1's pool of 3 nodes went to 0; still asleep at NOW. */
const SLEPT_AT = new Date("2026-11-20T12:00:00Z");

async function sleptOnFriday(store: Store): Promise<void> {
  const entry = (at: Date, kind: string, detail: Record<string, unknown>, key: string) =>
    store.ledger.append({ at, operationId: "sleep-fri", target: "hw/c1", kind, detail, key });
  await entry(
    new Date("2026-11-20T11:59:00Z"),
    "sleep.scale-pool",
    { pool: "p1", name: "workers", before: { desired: 3 } },
    "a",
  );
  await entry(SLEPT_AT, "sleep.succeeded", {}, "b");
  await store.ledger.append({
    at: new Date("2026-11-18T03:00:00Z"),
    operationId: "resize-1",
    target: "hw/c1",
    kind: "resize.applied",
    detail: { action: "resize workers 2→3" },
  });
}

/** How many times `fragment` occurs in the page. */
const count = (page: string, fragment: string) => page.split(fragment).length - 1;

describe("a target's page: the week timeline and its savings", () => {
  it("draws this week in the schedule's zone, with what the ledger recorded, and prices the month", async () => {
    const { app, store } = dashboardApp({ inventory: INVENTORY, rates: RATES });
    await sleptOnFriday(store);
    const page = await getPage(app, "/targets/hw/c1", await signIn(app));
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h2 id="timeline">Week of 2026-11-16</h2>');
    expect(page.text).toContain('role="img" aria-labelledby="timeline-title timeline-desc"');
    expect(page.text).toContain("Week of 2026-11-16 for qa-1 (Asia/Shanghai)");
    // office-hours: Monday's early hours, 4 weeknights across midnight (2 rows each), and Friday
    // night through the weekend (3 rows): 12 segments.
    expect(count(page.text, 'data-kind="planned-sleep"')).toBe(12);
    // The sleep from Friday 20:00 to now (Sunday 20:00): three day rows.
    expect(count(page.text, 'data-kind="actual-sleep"')).toBe(3);
    expect(count(page.text, 'data-marker="resize"')).toBe(1);
    expect(page.text).toContain(`data-now="${NOW.toISOString()}"`);
    // 48 hours at 0.5 + 3 × 1 an hour, split at Shanghai's midnights.
    expect(page.text).toContain(
      "Priced by rates <code>hw-rates</code>, team <strong>platform</strong>: CN¥168.00 for 48 h asleep this month.",
    );
    for (const [day, hours, amount] of [
      ["2026-11-20", "4 h", "CN¥14.00"],
      ["2026-11-21", "24 h", "CN¥84.00"],
      ["2026-11-22", "20 h", "CN¥70.00"],
      ["2026-11 in all", "48 h", "CN¥168.00"],
    ])
      expect(page.text).toContain(
        `<tr><th scope="row">${day}</th><td class="num">${hours}</td><td class="num">${amount}</td></tr>`,
      );
  });

  it("goes to another week, and back to this one", async () => {
    const { app } = dashboardApp({ inventory: INVENTORY, rates: RATES });
    const cookie = await signIn(app);
    const page = await getPage(app, "/targets/hw/c1?week=2026-11-11", cookie);
    expect(page.text).toContain('<h2 id="timeline">Week of 2026-11-09</h2>');
    expect(page.text).toContain('<a href="/targets/hw/c1?week=2026-11-02#timeline">Previous week</a>');
    expect(page.text).toContain('<a href="/targets/hw/c1#timeline">This week</a>');
    expect(page.text).not.toContain("data-now=");
    const bad = await getPage(app, "/targets/hw/c1?week=%3Cscript%3E", cookie);
    expect(bad.status).toBe(200);
    expect(bad.text).toContain('<h2 id="timeline">Week of 2026-11-16</h2>');
    expect(bad.text).not.toContain("<script>");
  });

  it("draws the schedule's pause", async () => {
    const { app, store } = dashboardApp({ inventory: INVENTORY, rates: RATES });
    await pauseSchedule({ store, schedules: [officeHours()] }, "office-hours", {
      until: new Date("2026-11-23T04:00:00Z"),
      reason: "<b>migration</b>",
      by: "dashboard",
      now: new Date("2026-11-22T02:00:00Z"),
    });
    const page = await getPage(app, "/targets/hw/c1", await signIn(app));
    // Sunday 10:00 in Shanghai to the week's end: one segment, in the bottom lane of Sunday's row.
    expect(page.text).toMatch(/<rect data-kind="pause" x="418" y="244" width="420" height="8"/);
    expect(page.text).toContain(
      "Paused: Sun 2026-11-22 10:00 to Sun 2026-11-22 24:00 and after (&lt;b&gt;migration&lt;/b&gt;)",
    );
  });

  it("says how to configure rates when none price the target", async () => {
    const { app, store } = dashboardApp({ inventory: INVENTORY });
    await sleptOnFriday(store);
    const page = await getPage(app, "/targets/hw/c1", await signIn(app));
    expect(page.text).toContain("Asleep 48 h this month, but no rates document prices this target");
    expect(page.text).toContain("docs/reference/savings.md");
  });
});

describe("the fleet page: schedules this week and savings by team", () => {
  it("draws each schedule's week once and totals the ledger's sleeps by team", async () => {
    const { app, store } = dashboardApp({ inventory: INVENTORY, rates: RATES });
    await sleptOnFriday(store);
    const page = await getPage(app, "/", await signIn(app));
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h2 id="schedules-week">Schedules this week</h2>');
    expect(page.text).toMatch(
      /<th scope="row">office-hours<\/th><td>Asia\/Shanghai<\/td><td class="num">2<\/td><td><svg [^>]*role="img" aria-label="Planned asleep 108 of 168 hours this week \(Asia\/Shanghai\)"/,
    );
    const savings = page.text.slice(page.text.indexOf('<h2 id="savings">'));
    expect(savings).toContain('<th scope="col">2026-11-22</th>');
    expect(savings).toContain('<th scope="col">2026-11</th>');
    // Per day in Shanghai (20, 21, 22 November), then the month, then the hours.
    expect(savings).toContain(
      '<tr><th scope="row">platform</th><td class="num">1</td><td class="num">CN¥14.00</td><td class="num">CN¥84.00</td><td class="num">CN¥70.00</td><td class="num">CN¥168.00</td><td class="num">48 h</td></tr>',
    );
  });

  it("keeps the fleet's estimate for ten minutes, then computes it again", async () => {
    const fixture = dashboardApp({ inventory: INVENTORY, rates: RATES });
    await sleptOnFriday(fixture.store);
    const cookie = await signIn(fixture.app);
    const total = async () =>
      /CN¥168\.00<\/td><td class="num">(\d+) h<\/td><\/tr>\s*<tr><th scope="row">All teams/.exec(
        (await getPage(fixture.app, "/", cookie)).text,
      );
    expect((await total())?.[1]).toBe("48");
    // A wake in between: the stored estimate stands for ten minutes.
    await fixture.store.ledger.append({
      at: new Date(NOW.getTime() - 3600_000),
      operationId: "w",
      target: "hw/c1",
      kind: "wake.succeeded",
      detail: {},
    });
    fixture.setNow(new Date(NOW.getTime() + 9 * 60_000));
    expect((await total())?.[1]).toBe("48");
    fixture.setNow(new Date(NOW.getTime() + 11 * 60_000));
    const page = (await getPage(fixture.app, "/", cookie)).text;
    expect(page).toContain('CN¥164.50</td><td class="num">47 h</td></tr>');
  });

  it("shows the hours but no amounts without rates", async () => {
    const { app } = dashboardApp({ inventory: INVENTORY });
    const page = await getPage(app, "/", await signIn(app));
    expect(page.text).toContain("No rates are configured, so no amounts");
  });
});
