import { describe, expect, it } from "vitest";
import { dashboardApp, FLEET, getPage, NOW, signIn } from "../../test/fixtures/dashboard.ts";
import { testTarget } from "../../test/fixtures/target.ts";
import { LEDGER_PAGE } from "./target-page.ts";

describe("GET /targets/{id}", () => {
  it("shows the target's details, operations and its ledger newest first, paged backwards", async () => {
    const fixture = dashboardApp();
    for (let i = 0; i < LEDGER_PAGE + 5; i++)
      await fixture.store.ledger.append({
        at: new Date(NOW.getTime() - (LEDGER_PAGE + 5 - i) * 60_000),
        operationId: `op-${i}`,
        target: "hw/c1",
        kind: i % 2 === 0 ? "sleep.succeeded" : "wake.succeeded",
        detail: { n: i },
      });
    await fixture.store.ledger.append({
      at: NOW,
      operationId: "x",
      target: "hw/c2",
      kind: "other",
      detail: {},
    });
    await fixture.store.operations.create(
      { id: "sleep@hw/c1", target: "hw/c1", kind: "sleep", step: "scale-pools", data: {}, status: "running" },
      { now: NOW },
    );
    const cookie = await signIn(fixture.app);
    const page = await getPage(fixture.app, "/targets/hw/c1", cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>qa-1 <span class="muted">(huawei)</span></h1>');
    expect(page.text).toContain("<dd>office-hours</dd>");
    expect(page.text).toContain('<th scope="row"><code>sleep@hw/c1</code></th>');
    const seqs = [...page.text.matchAll(/<tr><th scope="row">(\d+)<\/th>/g)].map((m) => Number(m[1]));
    expect(seqs).toEqual(Array.from({ length: LEDGER_PAGE }, (_, i) => LEDGER_PAGE + 5 - i));
    expect(page.text).not.toContain("<td>other</td>");
    const older = /href="(\/targets\/hw\/c1\?before=\d+)#ledger">Older entries/.exec(page.text)![1]!;
    const second = await getPage(fixture.app, older, cookie);
    expect([...second.text.matchAll(/<tr><th scope="row">(\d+)<\/th>/g)].map((m) => Number(m[1]))).toEqual([
      5, 4, 3, 2, 1,
    ]);
    expect(second.text).toContain("Newest entries");
    expect(second.text).not.toContain("Older entries");
  });

  it("answers an unknown target with a 404 page, not JSON", async () => {
    const { app } = dashboardApp();
    const page = await getPage(app, "/targets/hw/missing", await signIn(app));
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain("No target “hw/missing”");
    expect(page.text).toContain('<a href="/">The fleet</a>');
  });

  it("escapes a hostile cluster's name, id and tags, and the id in its form actions", async () => {
    const hostile = testTarget({
      targetId: "hw/<script>",
      id: "<script>",
      name: "<script>alert(1)</script>",
      tags: { "<b>": "</td><script>" },
    });
    const fixture = dashboardApp({ inventory: { ...FLEET, targets: [hostile] } });
    await fixture.store.ledger.append({
      at: NOW,
      operationId: "<img src=x>",
      target: "hw/<script>",
      kind: "<i>kind</i>",
      detail: { note: "</code><script>" },
    });
    const page = await getPage(fixture.app, "/targets/hw/%3Cscript%3E", await signIn(fixture.app));
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/<script|<img|<i>|<b>/);
    expect(page.text).toContain("<h1>&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page.text).toContain('action="/targets/hw/%3Cscript%3E/snooze"');
    expect(page.text).toContain("&lt;i&gt;kind&lt;/i&gt;");
  });
});

describe("GET /operations", () => {
  async function seeded() {
    const fixture = dashboardApp();
    const { store } = fixture;
    await store.operations.create(
      { id: "sleep-hw", target: "hw/c1", kind: "sleep", step: "done", data: {}, status: "succeeded" },
      { now: new Date(NOW.getTime() - 3600_000) },
    );
    await store.operations.create(
      { id: "renew-ali", target: "ali/c-berlin", kind: "renew", step: "issue", data: {}, status: "failed" },
      { now: new Date(NOW.getTime() - 600_000) },
    );
    await store.operations.create(
      { id: "wake-old", target: "hw/c2", kind: "wake", step: "done", data: {}, status: "succeeded" },
      { now: new Date(NOW.getTime() - 3 * 86_400_000) },
    );
    await store.ledger.append({
      at: new Date(NOW.getTime() - 3600_000),
      operationId: "sleep-hw",
      target: "hw/c1",
      kind: "sleep.succeeded",
      detail: {},
    });
    await store.ledger.append({
      at: new Date(NOW.getTime() - 600_000),
      operationId: "renew-ali",
      target: "ali/c-berlin",
      kind: "renew.failed",
      detail: {},
    });
    await store.ledger.append({
      at: new Date(NOW.getTime() - 3 * 86_400_000),
      operationId: "wake-old",
      target: "hw/c2",
      kind: "wake.succeeded",
      detail: {},
    });
    return { ...fixture, cookie: await signIn(fixture.app) };
  }

  const operationIds = (text: string) =>
    [...text.matchAll(/<tr><th scope="row"><code>([^<]+)<\/code><\/th>/g)].map((m) => m[1]);
  const ledgerKinds = (text: string) =>
    [...text.matchAll(/<\/a><\/td><td>([a-z.]+)<\/td><td><code>/g)].map((m) => m[1]);

  it("lists the last day's operations and ledger entries, newest first", async () => {
    const { app, cookie } = await seeded();
    const page = await getPage(app, "/operations", cookie);
    expect(page.status).toBe(200);
    expect(operationIds(page.text)).toEqual(["renew-ali", "sleep-hw"]);
    expect(ledgerKinds(page.text)).toEqual(["renew.failed", "sleep.succeeded"]);
  });

  it("filters by status, kind, target, provider and time", async () => {
    const { app, cookie } = await seeded();
    expect(operationIds((await getPage(app, "/operations?status=failed", cookie)).text)).toEqual([
      "renew-ali",
    ]);
    const renew = await getPage(app, "/operations?kind=renew", cookie);
    expect(operationIds(renew.text)).toEqual(["renew-ali"]);
    expect(ledgerKinds(renew.text)).toEqual(["renew.failed"]);
    const byTarget = await getPage(app, "/operations?target=hw%2Fc1", cookie);
    expect(operationIds(byTarget.text)).toEqual(["sleep-hw"]);
    expect(ledgerKinds(byTarget.text)).toEqual(["sleep.succeeded"]);
    const huawei = await getPage(app, "/operations?provider=huawei&since=7d", cookie);
    expect(operationIds(huawei.text)).toEqual(["sleep-hw", "wake-old"]);
    // Newest first is append order (seq): the old wake was recorded last.
    expect(ledgerKinds(huawei.text)).toEqual(["wake.succeeded", "sleep.succeeded"]);
    expect(huawei.text).toContain('<option value="7d" selected>');
  });

  it("refuses an unknown filter value, naming it", async () => {
    const { app, cookie } = await seeded();
    const page = await getPage(app, "/operations?status=done", cookie);
    expect(page.status).toBe(400);
    expect(page.text).toContain(
      "status &quot;done&quot; is not one of pending, running, waiting, succeeded, failed, cancelled",
    );
  });
});
