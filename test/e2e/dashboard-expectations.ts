// What the dashboard's pages must show, one set of expectations for both hosts: the Node host in a
// real browser (dashboard-browser.node.test.ts reads the tables from the DOM) and the Worker inside
// workerd (dashboard-pages.workers.test.ts reads them from the HTML with HTMLRewriter). Both readers
// produce the same `PageTable`s: each table's column headers and, per body row, the first link to
// a target's page and every cell's text (textContent, whitespace collapsed). Runtime-neutral.
import { expect } from "vitest";
import { targetHref } from "../../functions/dashboard/layout.ts";
import { SESSION_COOKIE } from "../../functions/dashboard/session.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import type { Store } from "../../shared/store/store.ts";

/** The routes and names the tests drive, as the dashboard defines them. */
export const DASHBOARD = {
  login: "/login",
  fleet: "/",
  operations: "/operations",
  logout: "/logout",
  target: targetHref,
  /** The sign-in form's field. */
  tokenField: "token",
  sessionCookie: SESSION_COOKIE,
} as const;

export interface PageRow {
  /** The row's first link to a target's page (its href as written), if any. */
  targetLink?: string;
  cells: string[];
}
export interface PageTable {
  /** The table's caption, if any. */
  caption: string;
  headers: string[];
  rows: PageRow[];
}

/** Whitespace collapsed, as a reader sees text. */
export const collapse = (text: string) => text.replace(/\s+/g, " ").trim();

/** The cell of `row` under the column headed `header` (a prefix of it). */
export function cell(table: PageTable, row: PageRow, header: string): string {
  const column = table.headers.findIndex((h) => h.startsWith(header));
  expect(column, `a column headed "${header}" among ${JSON.stringify(table.headers)}`).toBeGreaterThanOrEqual(
    0,
  );
  return row.cells[column] ?? "";
}

/** A cluster as its cloud's own inspection API lists it. */
export interface SandboxCluster {
  provider: string;
  /** The id a target id ends with (`account/<id>`). */
  id: string;
  name: string;
}

/** A target as GET /api/targets answers it (the fields the pages are held to). */
export interface ApiTarget {
  targetId: string;
  provider: string;
  name: string;
  account: string;
  region: string;
  phase: string;
  /** The enabled schedules matching it. */
  schedules: string[];
  state: { snoozeUntil?: string } | null;
}

/** The fields of each cloud's inspection state this reads (four shapes, one per vendor). */
interface InspectedClusters {
  huawei: Array<{ uid: string; name: string }>;
  autopilot: Array<{ cluster: { metadata: { uid: string; name: string } } }>;
  alibaba: Array<{ cluster_id: string; name: string }>;
  baidu: Array<{ clusterID: string; clusterName: string }>;
}
export type Cloud = keyof InspectedClusters;

/** Each sandbox cloud's clusters as its own inspection API (`<endpoint>/_sandbox/state`) lists them. */
export async function sandboxClusters(endpoints: Record<Cloud, string>): Promise<SandboxCluster[]> {
  const read = async <C extends Cloud>(cloud: C): Promise<InspectedClusters[C]> => {
    const response = await fetch(`${endpoints[cloud]}/_sandbox/state`);
    if (!response.ok) throw new Error(`the ${cloud} sandbox's state: ${response.status}`);
    return ((await response.json()) as { state: { clusters: InspectedClusters[C] } }).state.clusters;
  };
  const [huawei, autopilot, alibaba, baidu] = await Promise.all([
    read("huawei"),
    read("autopilot"),
    read("alibaba"),
    read("baidu"),
  ]);
  return [
    ...huawei.map((c) => ({ provider: "huawei", id: c.uid, name: c.name })),
    ...autopilot.map(({ cluster }) => ({
      provider: "autopilot",
      id: cluster.metadata.uid,
      name: cluster.metadata.name,
    })),
    ...alibaba.map((c) => ({ provider: "alibaba", id: c.cluster_id, name: c.name })),
    ...baidu.map((c) => ({ provider: "baidu", id: c.clusterID, name: c.clusterName })),
  ];
}

/** The table listing targets: the one whose rows link to targets' pages. */
export function fleetTable(tables: readonly PageTable[]): PageTable {
  const found = tables.filter((t) => t.rows.some((r) => r.targetLink !== undefined));
  expect(found, "exactly one table lists targets").toHaveLength(1);
  return found[0]!;
}

/**
 * The fleet page lists every cluster of the sandbox's clouds and nothing else, one row each, linking
 * to its page and showing its name and id, its provider, account and region, and its state as the
 * API reports it.
 */
export function expectFleet(
  tables: readonly PageTable[],
  clusters: SandboxCluster[],
  api: ApiTarget[],
): void {
  // The service sees the sandbox's clusters: the truth is the clouds', not the page's source.
  const key = (provider: string, id: string, name: string) => `${provider} ${id} ${name}`;
  expect(
    api.map((t) => key(t.provider, t.targetId.slice(t.targetId.indexOf("/") + 1), t.name)).sort(),
  ).toEqual(clusters.map((c) => key(c.provider, c.id, c.name)).sort());
  const table = fleetTable(tables);
  const rows = table.rows.filter((r) => r.targetLink !== undefined);
  expect(rows.map((r) => r.targetLink).sort(), "one row per cluster, linking to its page").toEqual(
    api.map((t) => targetHref(t.targetId)).sort(),
  );
  expect(table.caption).toBe(`${api.length} of ${api.length} targets shown`);
  for (const target of api) {
    const row = rows.find((r) => r.targetLink === targetHref(target.targetId))!;
    const what = `the row of ${target.targetId}`;
    expect(cell(table, row, "Target"), what).toBe(`${target.name}${target.targetId}`);
    expect(cell(table, row, "Provider"), what).toBe(target.provider);
    expect(cell(table, row, "Account"), what).toBe(`${target.account}${target.region}`);
    // The state, then the vendor's own word for it when that differs, then holds and snoozes.
    expect(cell(table, row, "State"), what).toMatch(new RegExp(`^${target.phase}\\b`));
  }
  // The sandbox's fleet is varied: the page shows more than one provider and state.
  expect(new Set(rows.map((r) => cell(table, r, "Provider"))).size).toBe(4);
  expect(new Set(api.map((t) => t.phase)).size).toBeGreaterThan(1);
}

/** The target both runs snooze: a Huawei cluster a schedule owns (its sleeps are what a snooze holds). */
export function targetToSnooze(api: readonly ApiTarget[]): ApiTarget {
  const found = api.find((t) => t.provider === "huawei" && t.schedules.length === 1);
  expect(found, "the sandbox fleet has a Huawei cluster one schedule owns").toBeDefined();
  return found!;
}

/** A ledger table: the one with a "What" column (the entry's kind). */
export function ledgerTable(tables: readonly PageTable[]): PageTable {
  const found = tables.filter((t) => t.headers.includes("What") && t.headers.includes("#"));
  expect(found, "exactly one ledger table").toHaveLength(1);
  return found[0]!;
}

/**
 * A target's page: its name and provider as the heading, its sections, and its details (the first
 * description list, term → description).
 */
export function expectTargetPage(
  page: { h1: string; h2: string[]; details: Record<string, string> },
  target: ApiTarget,
): void {
  expect(page.h1).toBe(`${target.name} (${target.provider})`);
  expect(page.h2).toEqual(expect.arrayContaining(["Details", "Actions", "Ledger"]));
  expect(page.details).toMatchObject({
    Id: target.targetId,
    Provider: target.provider,
    "Account / region": `${target.account} / ${target.region}`,
  });
  expect(page.details.State).toMatch(new RegExp(`^${target.phase}\\b`));
}

/** The snooze form's field (whole minutes from now). */
export const SNOOZE_MINUTES_FIELD = "minutes";

/** Every `target.snoozed` entry of `target` in the store. */
export async function snoozedEntries(store: Store, target: string): Promise<LedgerEntry[]> {
  return (await store.ledger.query({ target, limit: 1000 })).filter((e) => e.kind === "target.snoozed");
}

/**
 * After a snooze of `minutes` sent from the page: exactly one `target.snoozed` entry in the store,
 * `minutes` after the clouds' time it was made at, which the redirect named; the page confirms it
 * and its ledger shows it first; the API reports the target snoozed until then.
 */
export function expectSnoozedOnce(
  result: {
    entries: LedgerEntry[];
    /** Where the form's POST redirected to. */
    location: string;
    /** The confirmation (role=status) on the page the redirect led to, and that page's tables. */
    notice: string;
    tables: readonly PageTable[];
    api: ApiTarget;
  },
  minutes: number,
): LedgerEntry {
  expect(result.entries, "target.snoozed entries in the store").toHaveLength(1);
  const entry = result.entries[0]!;
  const until = new Date(entry.at.getTime() + minutes * 60_000).toISOString();
  expect(entry.detail).toMatchObject({ until, via: "dashboard" });
  expect(result.location).toBe(`${targetHref(entry.target)}?done=snoozed&entry=${entry.seq}`);
  const shown = `${until.slice(0, 16).replace("T", " ")} UTC`;
  expect(result.notice).toBe(`Snoozed: sleeps wait until ${shown} (ledger entry ${entry.seq}).`);
  const ledger = ledgerTable(result.tables);
  const first = ledger.rows[0]!;
  expect(cell(ledger, first, "#")).toBe(String(entry.seq));
  expect(cell(ledger, first, "What")).toBe("target.snoozed");
  expect(cell(ledger, first, "Detail")).toContain(`"until":"${until}"`);
  expect(result.api.state?.snoozeUntil).toBe(until);
  return entry;
}

/** What the sign-in page says to a wrong token. */
export const WRONG_TOKEN_MESSAGE = /not the admin token/i;
