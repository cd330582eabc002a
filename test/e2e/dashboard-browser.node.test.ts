// The dashboard in a real browser: Debian's Chromium (driven by playwright-core, test/e2e/browser.ts)
// against `nightshift start` on the embedded sandbox clouds, in its own process, as a person uses
// it: sign in with the admin token (a wrong one first), read the fleet, open a target's page,
// snooze it from its form (once, however often the form is sent), read the ledger, sign out. Every
// page is checked by axe-core and walked with the keyboard; a full-page screenshot of the fleet is
// kept at test-results/dashboard.png (git-ignored).
//
// The sandbox clock stands still (speed 0): the fleet does not change while the test compares the
// page with the API and the clouds, and nothing the test does races a tick.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../shared/store/open.node.ts";
import { ARTEFACTS, axeViolations, launchBrowser, newPage } from "./browser.ts";
import {
  type ApiTarget,
  cell,
  DASHBOARD,
  expectFleet,
  expectSnoozedOnce,
  expectTargetPage,
  ledgerTable,
  type PageTable,
  sandboxClusters,
  snoozedEntries,
  targetToSnooze,
  WRONG_TOKEN_MESSAGE,
} from "./dashboard-expectations.ts";
import { type DashboardHost, startDashboardHost } from "./dashboard-host.ts";
import { cleanUpProcesses, getJson, tempDir } from "./processes.ts";

const TOKEN = "browser-e2e-admin-token-0123456789abcdef";
/** The screenshot the test keeps. */
const SCREENSHOT = join(ARTEFACTS, "dashboard.png");
const START_BUDGET_MS = 30_000;

let host: DashboardHost;
let browser: Browser;
let page: Page;
let context: BrowserContext;

beforeAll(async () => {
  const deadline = Date.now() + START_BUDGET_MS;
  const [started, launched] = await Promise.allSettled([
    startDashboardHost({ token: TOKEN, dir: tempDir("nightshift-dashboard-browser-"), speed: 0, deadline }),
    launchBrowser(),
  ]);
  // Whichever started is kept for afterAll to stop, even when the other failed.
  if (launched.status === "fulfilled") browser = launched.value;
  if (started.status === "rejected") throw started.reason;
  if (launched.status === "rejected") throw launched.reason;
  host = started.value;
  page = await newPage(browser, { baseURL: host.url });
  context = page.context();
}, START_BUDGET_MS + 5_000);

afterAll(async () => {
  await browser?.close();
  await cleanUpProcesses();
}, 20_000);

const api = <T>(path: string) => getJson<T>(`${host.url}${path}`, { Authorization: `Bearer ${TOKEN}` });

/** Every table on the page as the shared expectations read them (textContent, whitespace collapsed). */
function tablesOf(p: Page): Promise<PageTable[]> {
  return p.$$eval("table", (tables) =>
    tables.map((table) => {
      const text = (el: Element | null) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
      return {
        caption: text(table.caption),
        headers: [...table.querySelectorAll("thead th")].map(text),
        rows: [...table.querySelectorAll("tbody tr")].map((tr) => {
          const link = tr.querySelector('a[href^="/targets/"]');
          return {
            ...(link ? { targetLink: link.getAttribute("href") ?? "" } : {}),
            cells: [...tr.children].map(text),
          };
        }),
      };
    }),
  );
}

/** What has the keyboard focus: its tag, its accessible name (as far as a test needs), whether focus shows. */
interface Focused {
  what: string;
  /** :focus-visible matches and the page draws an outline (or the element moved into view, the skip link). */
  visible: boolean;
}
const focused = (p: Page) =>
  p.evaluate((): Focused => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { what: "body", visible: false };
    const labelled = (el as HTMLInputElement).labels?.[0]?.textContent;
    const name = (el.getAttribute("aria-label") ?? labelled ?? el.textContent ?? "")
      .replace(/\s+/g, " ")
      .trim();
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const onScreen = box.right > 0 && box.bottom > 0 && box.width > 0 && box.height > 0;
    const outlined = style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) >= 2;
    return {
      what: `${el.tagName.toLowerCase()} ${name}`,
      visible: el.matches(":focus-visible") && onScreen && outlined,
    };
  });

/** The focusable elements in document order, described as `focused` does, for comparing with Tab's order. */
const focusableInOrder = (p: Page) =>
  p.$$eval("a[href], button, input:not([type=hidden]), select, textarea", (elements) =>
    elements
      .filter((el) => !(el as HTMLButtonElement).disabled && el.getAttribute("tabindex") !== "-1")
      .map((el) => {
        const labelled = (el as HTMLInputElement).labels?.[0]?.textContent;
        const name = (el.getAttribute("aria-label") ?? labelled ?? el.textContent ?? "")
          .replace(/\s+/g, " ")
          .trim();
        return `${el.tagName.toLowerCase()} ${name}`;
      }),
  );

/** Presses Tab `count` times from the top of the page, recording what takes the focus each time. */
async function tabThrough(p: Page, count: number): Promise<Focused[]> {
  // From the top, as a freshly loaded page has it (blur alone keeps Chromium's starting point).
  await p.reload();
  const seen: Focused[] = [];
  for (let i = 0; i < count; i++) {
    await p.keyboard.press("Tab");
    seen.push(await focused(p));
  }
  return seen;
}

/**
 * Tab from the top of the page reaches the first `count` focusable elements in document order (no
 * tabindex reshuffling), starting with the skip link, and each shows its focus.
 */
async function expectKeyboardOrder(p: Page, count: number, first: string[]): Promise<void> {
  const expected = (await focusableInOrder(p)).slice(0, count);
  expect(expected.slice(0, first.length)).toEqual(first);
  const order = await tabThrough(p, count);
  expect(order.map((f) => f.what)).toEqual(expected);
  expect(
    order.filter((f) => !f.visible),
    "every focused element shows its focus",
  ).toEqual([]);
}

/** The elements signed-in pages start with, in Tab order. */
const FRAME = ["a Skip to main content", "a Fleet", "a Operations and events", "button Sign out"];

/** A target's page as the shared expectations read it: headings and the details' terms. */
const targetPageOf = (p: Page) =>
  p.evaluate(() => {
    const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
    const details: Record<string, string> = {};
    for (const term of document.querySelector("dl")?.querySelectorAll("dt") ?? [])
      details[text(term)] = text(term.nextElementSibling);
    return {
      h1: text(document.querySelector("h1")),
      h2: [...document.querySelectorAll("h2")].map(text),
      details,
    };
  });

/** Every form control a person can reach has an accessible name: a label, aria-label or aria-labelledby. */
const unlabelledControls = (p: Page) =>
  p.$$eval("input:not([type=hidden]), select, textarea", (controls) =>
    controls
      .filter((el) => {
        const byLabel = [...((el as HTMLInputElement).labels ?? [])].some((l) => l.textContent?.trim());
        const byAria = el.getAttribute("aria-label")?.trim();
        const byId = el
          .getAttribute("aria-labelledby")
          ?.split(/\s+/)
          .some((id) => document.getElementById(id)?.textContent?.trim());
        return !(byLabel || byAria || byId);
      })
      .map((el) => el.outerHTML),
  );

/** axe-core finds nothing on the page, named by page for the failure message. */
async function expectAccessible(p: Page, what: string): Promise<void> {
  expect(await axeViolations(p), `axe-core violations on ${what}`).toEqual([]);
  expect(await unlabelledControls(p), `form controls without an accessible name on ${what}`).toEqual([]);
}

const sessionCookie = async () =>
  (await context.cookies(host.url)).find((cookie) => cookie.name === DASHBOARD.sessionCookie);

describe("the dashboard in Chromium, on the Node host", () => {
  it("sends a visitor to sign in, refuses a wrong token with a message, and lets the admin in", async () => {
    await page.goto(DASHBOARD.fleet);
    expect(new URL(page.url()).pathname).toBe(DASHBOARD.login);
    await expect.poll(() => page.title()).toContain("Sign in");
    await expectAccessible(page, "the sign-in page");

    // The keyboard: the skip link first, then the token, then the button; focus always shows.
    const order = await tabThrough(page, 3);
    expect(order.map((f) => f.what)).toEqual([
      "a Skip to main content",
      expect.stringMatching(/^input Admin token/),
      "button Sign in",
    ]);
    expect(order.filter((f) => !f.visible)).toEqual([]);

    // A wrong token, typed and sent with Enter: a message, no session.
    const token = page.getByLabel("Admin token");
    await token.fill("not-the-admin-token-at-all-0000");
    await token.press("Enter");
    const refusal = page.getByRole("alert");
    await expect.poll(() => refusal.textContent()).toMatch(WRONG_TOKEN_MESSAGE);
    expect(new URL(page.url()).pathname).toBe(DASHBOARD.login);
    expect(await sessionCookie()).toBeUndefined();
    await expectAccessible(page, "the sign-in page with its refusal");

    // The admin token: the fleet, and a session cookie scripts cannot read.
    await page.getByLabel("Admin token").fill(TOKEN);
    await Promise.all([
      page.waitForURL(`${host.url}${DASHBOARD.fleet}`),
      page.getByLabel("Admin token").press("Enter"),
    ]);
    await page.getByRole("heading", { level: 1, name: "Fleet" }).waitFor();
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false, path: "/" });
    expect(cookie?.value).not.toContain(TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe("");
  });

  it("shows the sandbox's fleet: every cluster with its provider, account, region and state", async () => {
    const [tables, clusters, { targets }] = await Promise.all([
      tablesOf(page),
      sandboxClusters(host.sandbox),
      api<{ targets: ApiTarget[] }>("/api/targets"),
    ]);
    expect(clusters.length).toBeGreaterThanOrEqual(12);
    expectFleet(tables, clusters, targets);
  });

  it("can be used with the keyboard alone, every control labelled, and axe finds nothing", async () => {
    await expectAccessible(page, "the fleet page");
    // Skip link, navigation, sign-out, then the filters, then the table.
    await expectKeyboardOrder(page, 10, [...FRAME, "select Provider", "select State"]);

    // The skip link moves the focus to the main content.
    await tabThrough(page, 1);
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");

    // The filter form submits with Enter: a search by a target's id finds that target alone.
    const { targets } = await api<{ targets: ApiTarget[] }>("/api/targets");
    const wanted = targetToSnooze(targets);
    const search = page.getByLabel("Name, id, account, region or tag");
    await search.fill(wanted.targetId);
    await Promise.all([
      page.waitForURL((url) => url.searchParams.get("q") === wanted.targetId),
      search.press("Enter"),
    ]);
    const table = (await tablesOf(page)).find((t) => t.rows.some((r) => r.targetLink));
    expect(table?.rows.map((r) => r.targetLink)).toEqual([DASHBOARD.target(wanted.targetId)]);
    await page.goto(DASHBOARD.fleet);
  });

  it("opens a target's page from the fleet: its details, its actions and its ledger", async () => {
    const { targets } = await api<{ targets: ApiTarget[] }>("/api/targets");
    const target = targetToSnooze(targets);
    const href = DASHBOARD.target(target.targetId);
    await page.goto(DASHBOARD.fleet);
    await Promise.all([
      page.waitForURL((url) => url.pathname === href),
      page.getByRole("link", { name: target.name, exact: true }).click(),
    ]);
    expectTargetPage(await targetPageOf(page), target);
    await page.getByRole("heading", { level: 2, name: "Ledger" }).waitFor();
    await expectAccessible(page, "a target's page");
    // The frame, then the action forms, the snooze first.
    await expectKeyboardOrder(page, 9, [...FRAME, "input Minutes from now (1 to 10080)", "button Snooze"]);
  });

  it("snoozes the target from its form, once however often the form is sent, into the ledger", async () => {
    const { targets } = await api<{ targets: ApiTarget[] }>("/api/targets");
    const target = targetToSnooze(targets);
    const store = await openStore({ kind: "sqlite", path: host.storePath });
    try {
      expect(await snoozedEntries(store, target.targetId)).toEqual([]);
      // Typed and sent with Enter, as a keyboard user does.
      const minutes = page.getByLabel("Minutes from now");
      await minutes.fill("90");
      const posted = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/snooze"));
      await Promise.all([
        page.waitForURL((url) => url.searchParams.get("done") === "snoozed"),
        minutes.press("Enter"),
      ]);
      const location = `${new URL(page.url()).pathname}${new URL(page.url()).search}`;
      const notice = await page.getByRole("status").textContent();
      const after = await api<{ targets: ApiTarget[] }>("/api/targets");
      const first = expectSnoozedOnce(
        {
          entries: await snoozedEntries(store, target.targetId),
          location,
          notice: (notice ?? "").replace(/\s+/g, " ").trim(),
          tables: await tablesOf(page),
          api: after.targets.find((t) => t.targetId === target.targetId)!,
        },
        90,
      );
      await expectAccessible(page, "a target's page with its confirmation");

      // The same form sent again, as a browser resubmits it: the same answer, no second entry.
      const request = await posted;
      const replay = await context.request.post(request.url(), {
        data: request.postData() ?? "",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: host.url },
        maxRedirects: 0,
      });
      expect(replay.status()).toBe(303);
      expect(replay.headers().location).toBe(location);
      expect(await snoozedEntries(store, target.targetId)).toHaveLength(1);

      // A fresh form sent twice at once by the page (a double submit racing itself; a double click
      // does not do it: Chromium replaces a pending form navigation): one more snooze, not two.
      await page.goto(DASHBOARD.target(target.targetId));
      await page.getByLabel("Minutes from now").fill("30");
      const answers = await page.evaluate(async () => {
        const form = document.querySelector<HTMLFormElement>('form[action$="/snooze"]')!;
        const body = new URLSearchParams(new FormData(form) as unknown as Record<string, string>);
        const send = () =>
          fetch(form.action, { method: "POST", body, credentials: "same-origin" }).then((r) => ({
            status: r.status,
            url: r.url,
          }));
        return await Promise.all([send(), send()]);
      });
      const entries = await snoozedEntries(store, target.targetId);
      expect(entries.map((e) => e.seq)).toEqual([first.seq, expect.any(Number)]);
      const done = `${host.url}${DASHBOARD.target(target.targetId)}?done=snoozed&entry=${entries[1]!.seq}`;
      // Each is the first's outcome, or (while the first was still being carried out) a refusal.
      for (const answer of answers)
        expect([`200 ${done}`, `409 ${answer.url}`]).toContain(`${answer.status} ${answer.url}`);
      expect(answers.map((a) => a.status)).toContain(200);
    } finally {
      await store.close();
    }
  });

  it("lists operations and ledger entries with filters that submit with Enter", async () => {
    const { targets } = await api<{ targets: ApiTarget[] }>("/api/targets");
    const target = targetToSnooze(targets);
    await Promise.all([
      page.waitForURL((url) => url.pathname === DASHBOARD.operations),
      page.getByRole("link", { name: "Operations and events" }).click(),
    ]);
    await page.getByRole("heading", { level: 1, name: "Operations and events" }).waitFor();
    await expectAccessible(page, "the operations page");
    await expectKeyboardOrder(page, 8, [...FRAME, "select Operation status"]);
    const kind = page.getByLabel(/^Kind/);
    await kind.fill("target.snoozed");
    await Promise.all([page.waitForURL(/[?&]kind=target\.snoozed/), kind.press("Enter")]);
    const ledger = ledgerTable(await tablesOf(page));
    // The two snoozes of the test before, and nothing else.
    expect(ledger.rows.map((r) => cell(ledger, r, "What"))).toEqual(["target.snoozed", "target.snoozed"]);
    expect(ledger.rows.map((r) => r.targetLink)).toEqual([
      DASHBOARD.target(target.targetId),
      DASHBOARD.target(target.targetId),
    ]);
    await expectAccessible(page, "the operations page, filtered");
  });

  it("keeps a full-page screenshot of the fleet as a test artefact", async () => {
    await page.goto(DASHBOARD.fleet);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    // Full page: taller than the 900-pixel viewport (two dozen rows).
    expect(png.readUInt32BE(20)).toBeGreaterThan(900);
  });

  it("signs out: the cookie is gone and the fleet sends to sign-in again", async () => {
    await Promise.all([
      page.waitForURL(new RegExp(`${DASHBOARD.login}\\?signed_out`)),
      page.getByRole("button", { name: "Sign out" }).click(),
    ]);
    await expect.poll(() => page.getByRole("status").textContent()).toContain("You are signed out");
    expect(await sessionCookie()).toBeUndefined();
    await page.goto(DASHBOARD.fleet);
    expect(new URL(page.url()).pathname).toBe(DASHBOARD.login);
  });
});
