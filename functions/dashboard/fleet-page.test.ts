import { describe, expect, it } from "vitest";
import { dashboardApp, FLEET, getPage, NOW, officeHours, signIn } from "../../test/fixtures/dashboard.ts";
import { testSchedule } from "../../test/fixtures/schedule.ts";
import { testTarget } from "../../test/fixtures/target.ts";

/** The text of the table row whose header cell names `targetId`. */
function rowOf(page: string, targetId: string): string {
  const rows = page.split("<tr>").filter((row) => row.includes(`<code>${targetId}</code>`));
  if (rows.length !== 1) throw new Error(`${rows.length} rows for ${targetId}`);
  return rows[0] as string;
}

describe("GET / (the fleet)", () => {
  it("shows each target's provider, account, region, state and next transition in the schedule's time", async () => {
    const { app } = dashboardApp();
    const page = await getPage(app, "/", await signIn(app));
    expect(page.status).toBe(200);
    expect(page.text).toContain("<h1>Fleet</h1>");
    expect(page.text).toContain("3 of 3 targets shown");
    const qa = rowOf(page.text, "hw/c1");
    expect(qa).toContain('<a href="/targets/hw/c1">qa-1</a>');
    expect(qa).toContain("<td>huawei</td>");
    expect(qa).toContain('hw<br><span class="muted">cn-north-4</span>');
    expect(qa).toContain("running");
    // Sunday 20:00 in Shanghai: the next transition is Monday's wake at 08:00 Shanghai time.
    expect(qa).toContain("wake mon 2026-11-23 08:00");
    expect(qa).toContain("Asia/Shanghai");
    expect(rowOf(page.text, "hw/c2")).toContain("hibernated");
    expect(rowOf(page.text, "ali/c-berlin")).toContain("no schedule");
    // An account that could not be listed is reported beside the others.
    expect(page.text).toContain("auth: baidu.listClusters: signature refused");
  });

  it("shows the last action and its outcome (under way, from the ledger, or decided), snoozes, and failures", async () => {
    const fixture = dashboardApp();
    const { store } = fixture;
    const earlier = new Date(NOW.getTime() - 3 * 3600_000);
    await store.ledger.append({
      at: new Date(earlier.getTime() - 86_400_000),
      operationId: "sleep-old",
      target: "hw/c1",
      kind: "sleep.succeeded",
      detail: {},
    });
    await store.ledger.append({
      at: earlier,
      operationId: "wake-1",
      target: "hw/c1",
      kind: "wake.failed",
      detail: { error: { kind: "cloud", message: "huawei: quota exceeded" } },
    });
    await store.operations.create(
      { id: "resize-1", target: "ali/c-berlin", kind: "resize", step: "await", data: {}, status: "waiting" },
      { now: earlier },
    );
    await store.targets.put(
      "hw/c2",
      {
        snoozeUntil: new Date(NOW.getTime() + 90 * 60_000).toISOString(),
        lastTransition: { to: "asleep", at: "2026-11-20T12:00:00.000Z", by: "schedule" },
      },
      null,
      NOW,
    );
    const page = await getPage(fixture.app, "/", await signIn(fixture.app));
    const qa = rowOf(page.text, "hw/c1");
    expect(qa).toContain('wake · <span class="bad">failed</span>');
    expect(qa).toContain("huawei: quota exceeded");
    expect(qa).not.toContain("sleep ·");
    const staging = rowOf(page.text, "hw/c2");
    expect(staging).toContain('snoozed until <time datetime="2026-11-22T13:30:00.000Z">');
    expect(staging).toContain('sleep · <span class="">decided (schedule)</span>');
    expect(rowOf(page.text, "ali/c-berlin")).toContain('resize · <span class="">waiting</span>');
    expect(page.text).toContain("1 with problems");
  });

  it("reports a target several schedules match as a conflict", async () => {
    const { app } = dashboardApp({
      schedules: [officeHours(), testSchedule({ name: "weekends", targets: [{ names: ["qa-*"] }] })],
    });
    const page = await getPage(app, "/", await signIn(app));
    const qa = rowOf(page.text, "hw/c1");
    expect(qa).toContain("schedules: matched by office-hours, weekends");
    expect(qa).toContain("none: no schedule owns it");
  });

  it("filters by provider, state and text with a GET form", async () => {
    const { app } = dashboardApp();
    const cookie = await signIn(app);
    const huawei = await getPage(app, "/?provider=huawei", cookie);
    expect(huawei.text).toContain("2 of 3 targets shown");
    expect(huawei.text).toContain('<option value="huawei" selected>');
    expect(huawei.text).not.toContain("<code>ali/c-berlin</code>");
    const asleep = await getPage(app, "/?state=hibernated", cookie);
    expect(asleep.text).toContain("1 of 3 targets shown");
    expect(asleep.text).toContain("<code>hw/c2</code>");
    const team = await getPage(app, "/?q=team%3Dpayments", cookie);
    expect(team.text).toContain("1 of 3 targets shown");
    expect(team.text).toContain("<code>ali/c-berlin</code>");
    expect(team.text).toContain('value="team=payments"');
  });

  it("escapes hostile names and search text", async () => {
    const hostile = testTarget({
      targetId: "hw/<script>",
      id: "<script>",
      name: '<script>alert("x")</script>',
      tags: { team: '"><img src=x onerror=alert(1)>' },
    });
    const { app } = dashboardApp({ inventory: { ...FLEET, targets: [hostile] } });
    const cookie = await signIn(app);
    const page = await getPage(app, "/?q=%22%3E%3Cscript%3E", cookie);
    expect(page.text).not.toContain("<script>");
    expect(page.text).not.toContain("<img");
    expect(page.text).toContain('value="&quot;&gt;&lt;script&gt;"');
    const all = await getPage(app, "/", cookie);
    expect(all.text).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(all.text).toContain('href="/targets/hw/%3Cscript%3E"');
    expect(all.text).not.toContain("<script>");
  });
});
