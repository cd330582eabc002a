// What the dashboard's pages must show, one set of expectations for both hosts: the Node host in a
// real browser (dashboard-browser.node.test.ts reads the tables from the DOM) and the Worker inside
// workerd (dashboard-pages.workers.test.ts reads them from the HTML with HTMLRewriter). Both readers
// produce the same `PageTable`s: each table's column headers and, per body row, the first link to
// a target's page and every cell's text (textContent, whitespace collapsed). Runtime-neutral.
import { expect } from "vitest";
import { targetHref } from "../../functions/dashboard/layout.ts";
import { SESSION_COOKIE } from "../../functions/dashboard/session.ts";

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

/** What the sign-in page says to a wrong token. */
export const WRONG_TOKEN_MESSAGE = /not the admin token/i;
