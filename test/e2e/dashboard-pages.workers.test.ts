// The dashboard's pages as the Worker renders them inside workerd, through its real `fetch` export
// over the real local D1, against a sandbox of its own (the four clouds' seeded fleet, every
// account configured as a user would: NIGHTSHIFT_ACCOUNT_* variables). No browser here: the pages
// are read with workerd's own HTMLRewriter into the same tables the browser test reads from the
// DOM, and held to the same expectations (dashboard-expectations.ts). The session cookie is carried
// by hand, as a browser would; forms are posted with the Origin a browser sends.
import { env } from "cloudflare:test";
import type { HTMLRewriter as HTMLRewriterClass } from "@cloudflare/workers-types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorker } from "../../functions/worker.workers.ts";
import { sandboxAccounts } from "../../shared/sandbox/accounts.ts";
import { d1Backend } from "../../shared/store/d1.workers.ts";
import { createStore } from "../../shared/store/store.ts";
import { DB, emptiedD1 } from "../setup/d1.workers.ts";
import { accountVariables, newSandbox, type TestSandbox } from "../setup/sandbox.ts";
import {
  type ApiTarget,
  cell,
  collapse,
  DASHBOARD,
  expectFleet,
  expectSnoozedOnce,
  expectTargetPage,
  ledgerTable,
  type PageTable,
  SNOOZE_MINUTES_FIELD,
  sandboxClusters,
  snoozedEntries,
  targetToSnooze,
  WRONG_TOKEN_MESSAGE,
} from "./dashboard-expectations.ts";

const TOKEN = "workers-dashboard-admin-token-0123456789";
const ORIGIN = "https://nightshift.test";

const Rewriter = (globalThis as unknown as { HTMLRewriter: typeof HTMLRewriterClass }).HTMLRewriter;

/** HTML text as a reader sees it: hono/html's escapes (and numeric references) decoded. */
const decode = (text: string) =>
  text.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(amp|lt|gt|quot|apos));/gi, (_, dec, hex, name: string) =>
    dec
      ? String.fromCodePoint(Number(dec))
      : hex
        ? String.fromCodePoint(Number.parseInt(hex, 16))
        : ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[
            name.toLowerCase()
          ]!,
  );

/** Adds a text chunk to the last of `list` (HTMLRewriter hands an element's text over in chunks). */
const append = (list: string[], text: string) => {
  list[list.length - 1] += text;
};

/** The page's text content of the elements `selector` matches, whitespace collapsed. */
async function textsOf(html: string, selector: string): Promise<string[]> {
  const found: string[] = [];
  await new Rewriter()
    .on(selector, {
      element: () => void found.push(""),
      text: (chunk) => append(found, chunk.text),
    })
    .transform(new Response(html) as never)
    .text();
  return found.map((text) => collapse(decode(text)));
}

/** Every table on the page, read as the browser test reads them from the DOM (textContent, collapsed). */
async function tablesOf(html: string): Promise<PageTable[]> {
  const tables: PageTable[] = [];
  const table = () => tables[tables.length - 1]!;
  const row = () => table().rows[table().rows.length - 1]!;
  await new Rewriter()
    .on("table", { element: () => void tables.push({ caption: "", headers: [], rows: [] }) })
    .on("table > caption", {
      text: (chunk) => {
        table().caption += chunk.text;
      },
    })
    .on("thead th", {
      element: () => void table().headers.push(""),
      text: (chunk) => append(table().headers, chunk.text),
    })
    .on("tbody > tr", { element: () => void table().rows.push({ cells: [] }) })
    .on("tbody > tr > th, tbody > tr > td", {
      element: () => void row().cells.push(""),
      text: (chunk) => append(row().cells, chunk.text),
    })
    .on('tbody > tr a[href^="/targets/"]', {
      element: (link) => {
        row().targetLink ??= decode(link.getAttribute("href") ?? "");
      },
    })
    .transform(new Response(html) as never)
    .text();
  const clean = (text: string) => collapse(decode(text));
  return tables.map((t) => ({
    caption: clean(t.caption),
    headers: t.headers.map(clean),
    rows: t.rows.map((r) => ({ ...r, cells: r.cells.map(clean) })),
  }));
}

/** A target's page as the shared expectations read it: headings and the first list's terms. */
async function targetPageOf(html: string) {
  const lists: Array<{ terms: string[]; descriptions: string[] }> = [];
  const list = () => lists[lists.length - 1]!;
  await new Rewriter()
    .on("dl", { element: () => void lists.push({ terms: [], descriptions: [] }) })
    .on("dl > dt", {
      element: () => void list().terms.push(""),
      text: (chunk) => append(list().terms, chunk.text),
    })
    .on("dl > dd", {
      element: () => void list().descriptions.push(""),
      text: (chunk) => append(list().descriptions, chunk.text),
    })
    .transform(new Response(html) as never)
    .text();
  const clean = (text: string) => collapse(decode(text));
  const first = lists[0] ?? { terms: [], descriptions: [] };
  return {
    h1: (await textsOf(html, "h1"))[0] ?? "",
    h2: await textsOf(html, "h2"),
    details: Object.fromEntries(
      first.terms.map((term, i) => [clean(term), clean(first.descriptions[i] ?? "")]),
    ),
  };
}

/** The fields of the form whose action ends with `action` (hidden ones included), as a browser would send them. */
async function formFieldsOf(html: string, action: string): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  await new Rewriter()
    .on(`form[action$="${action}"] input`, {
      element: (input) => {
        const name = input.getAttribute("name");
        if (name) fields[name] = decode(input.getAttribute("value") ?? "");
      },
    })
    .transform(new Response(html) as never)
    .text();
  return fields;
}

describe("the dashboard's pages rendered by the Worker inside workerd", () => {
  const worker = createWorker();
  let sb: TestSandbox;
  let workerEnv: Record<string, unknown>;
  /** The browser's cookie jar, for one site: name → value. */
  const cookies = new Map<string, string>();

  beforeAll(async () => {
    await emptiedD1();
    // Frozen (speed 0): the fleet holds still while the pages and the API are compared. The
    // Worker signs with the real clock.
    sb = await newSandbox({ speed: 0, seed: 1, signaturesBy: "real" });
    workerEnv = {
      ...env,
      NIGHTSHIFT_ADMIN_TOKEN: TOKEN,
      ...Object.assign({}, ...sandboxAccounts(sb).map(accountVariables)),
    };
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
  });

  /** One request as a browser sends it: the jar's cookies, Origin on a POST; the jar takes Set-Cookie. */
  async function browse(path: string, init: { form?: Record<string, string> } = {}) {
    const headers = new Headers();
    if (cookies.size > 0)
      headers.set("cookie", [...cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    if (init.form) {
      headers.set("origin", ORIGIN);
      headers.set("content-type", "application/x-www-form-urlencoded");
    }
    const response = await worker.fetch(
      new Request(`${ORIGIN}${path}`, {
        method: init.form ? "POST" : "GET",
        headers,
        redirect: "manual",
        ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
      }),
      workerEnv as never,
    );
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(";").map((part) => part.trim());
      const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
      const expired = attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=.*1970/i.test(a));
      if (expired || value === "") cookies.delete(name);
      else cookies.set(name, value);
    }
    return { response, setCookies, html: await response.text() };
  }

  const api = async <T>(path: string): Promise<T> => {
    const response = await worker.fetch(
      new Request(`${ORIGIN}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }),
      workerEnv as never,
    );
    expect(response.status, `GET ${path}`).toBe(200);
    return (await response.json()) as T;
  };

  it("sends a visitor to sign in, refuses a wrong token with a message, and signs the admin in", async () => {
    const visit = await browse(DASHBOARD.fleet);
    expect(visit.response.status).toBe(303);
    expect(visit.response.headers.get("location")).toBe(DASHBOARD.login);

    const login = await browse(DASHBOARD.login);
    expect(login.response.status).toBe(200);
    expect(login.response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await textsOf(login.html, "h1")).toEqual(["Sign in to nightshift"]);
    expect(await textsOf(login.html, `label[for="${DASHBOARD.tokenField}"]`)).toEqual([
      expect.stringMatching(/^Admin token/),
    ]);
    expect(login.html).toContain(`name="${DASHBOARD.tokenField}"`);

    const refused = await browse(DASHBOARD.login, {
      form: { [DASHBOARD.tokenField]: "not-the-admin-token-0000" },
    });
    expect(refused.response.status).toBe(401);
    expect((await textsOf(refused.html, '[role="alert"]')).join(" ")).toMatch(WRONG_TOKEN_MESSAGE);
    expect(cookies.has(DASHBOARD.sessionCookie)).toBe(false);

    const signedIn = await browse(DASHBOARD.login, { form: { [DASHBOARD.tokenField]: TOKEN, next: "/" } });
    expect(signedIn.response.status).toBe(303);
    expect(signedIn.response.headers.get("location")).toBe(DASHBOARD.fleet);
    // HTTPS: the cookie is Secure as well as HttpOnly and SameSite=Strict; it never holds the token.
    const session = signedIn.setCookies.find((line) => line.startsWith(`${DASHBOARD.sessionCookie}=`));
    expect(session).toMatch(/; HttpOnly/i);
    expect(session).toMatch(/; Secure/i);
    expect(session).toMatch(/; SameSite=Strict/i);
    expect(session).not.toContain(TOKEN);
  });

  it("renders the fleet: every cluster of the sandbox with its provider, account, region and state", async () => {
    const fleet = await browse(DASHBOARD.fleet);
    expect(fleet.response.status).toBe(200);
    expect(await textsOf(fleet.html, "h1")).toEqual(["Fleet"]);
    const { targets } = await api<{ targets: ApiTarget[] }>("/api/targets");
    const endpoints = {
      huawei: sb.huawei.endpoint,
      autopilot: sb.autopilot.endpoint,
      alibaba: sb.alibaba.endpoint,
      baidu: sb.baidu.endpoint,
    };
    expectFleet(await tablesOf(fleet.html), await sandboxClusters(endpoints), targets);
  }, 30_000);

  it("renders a target's page: its details, its actions and its ledger", async () => {
    const { targets } = await api<{ targets: ApiTarget[] }>("/api/targets");
    const target = targetToSnooze(targets);
    const { response, html } = await browse(DASHBOARD.target(target.targetId));
    expect(response.status).toBe(200);
    expectTargetPage(await targetPageOf(html), target);
    // No tick has run here: the ledger section says it has no entries yet.
    expect(await textsOf(html, "p.muted")).toContain("The ledger has no entries for this target yet.");
  });

  it("snoozes the target from its form, once however often the form is sent, into the ledger", async () => {
    const { targets } = await api<{ targets: ApiTarget[] }>("/api/targets");
    const target = targetToSnooze(targets);
    const store = createStore(d1Backend(DB));
    expect(await snoozedEntries(store, target.targetId)).toEqual([]);
    const before = await browse(DASHBOARD.target(target.targetId));
    const form = { ...(await formFieldsOf(before.html, "/snooze")), [SNOOZE_MINUTES_FIELD]: "90" };
    expect(Object.keys(form).sort()).toEqual(["csrf", "formKey", SNOOZE_MINUTES_FIELD]);
    const action = `${DASHBOARD.target(target.targetId)}/snooze`;
    const sent = await browse(action, { form });
    expect(sent.response.status).toBe(303);
    const location = sent.response.headers.get("location")!;
    const after = await browse(location);
    expect(after.response.status).toBe(200);
    const { targets: now } = await api<{ targets: ApiTarget[] }>("/api/targets");
    expectSnoozedOnce(
      {
        entries: await snoozedEntries(store, target.targetId),
        location,
        notice: (await textsOf(after.html, '[role="status"]')).join(" "),
        tables: await tablesOf(after.html),
        api: now.find((t) => t.targetId === target.targetId)!,
      },
      90,
    );
    // The same form again (a resubmit, a double click): the first answer, no second entry.
    const again = await browse(action, { form });
    expect(again.response.status).toBe(303);
    expect(again.response.headers.get("location")).toBe(location);
    expect(await snoozedEntries(store, target.targetId)).toHaveLength(1);
  });

  it("renders the operations page, its ledger filtered by kind: the snooze", async () => {
    const { targets } = await api<{ targets: ApiTarget[] }>("/api/targets");
    const target = targetToSnooze(targets);
    const { response, html } = await browse(`${DASHBOARD.operations}?kind=target.snoozed`);
    expect(response.status).toBe(200);
    expect(await textsOf(html, "h1")).toEqual(["Operations and events"]);
    const ledger = ledgerTable(await tablesOf(html));
    expect(ledger.rows.map((r) => [cell(ledger, r, "What"), r.targetLink])).toEqual([
      ["target.snoozed", DASHBOARD.target(target.targetId)],
    ]);
  });

  it("signs out: the cookie is cleared and the fleet sends to sign-in again", async () => {
    const fleet = await browse(DASHBOARD.fleet);
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(fleet.html)?.[1];
    expect(csrf, "the sign-out form carries the session's CSRF token").toBeDefined();
    const out = await browse(DASHBOARD.logout, { form: { csrf: csrf! } });
    expect(out.response.status).toBe(303);
    expect(out.response.headers.get("location")).toBe(`${DASHBOARD.login}?signed_out`);
    expect(cookies.has(DASHBOARD.sessionCookie)).toBe(false);
    const again = await browse(DASHBOARD.fleet);
    expect(again.response.status).toBe(303);
    expect(again.response.headers.get("location")).toBe(DASHBOARD.login);
  });
});
