// `GET /operations`: what nightshift did and is doing across the fleet. The operations (durable,
// multi-step: sleeps, wakes, resizes, renewals) and the ledger entries (every action, append-only),
// newest first, filtered by a GET form: status, kind, target, provider and how far back. The
// ledger is read newest first and paged backwards (`?before=<seq>`), never read whole.
import type { Context } from "hono";
import { html } from "hono/html";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import type { OperationStatus } from "../../shared/store/store.ts";
import type { DashboardDeps, DashboardEnv } from "./deps.ts";
import { page, pager, withQuery } from "./layout.ts";
import { ledgerTable, operationsTable, readBefore } from "./target-page.ts";

const STATUSES: readonly OperationStatus[] = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
];
/** How far back the page looks; the default is a day. */
export const SINCE: Readonly<Record<string, { label: string; ms: number }>> = {
  "1h": { label: "the last hour", ms: 3600_000 },
  "24h": { label: "the last 24 hours", ms: 24 * 3600_000 },
  "7d": { label: "the last 7 days", ms: 7 * 24 * 3600_000 },
  "30d": { label: "the last 30 days", ms: 30 * 24 * 3600_000 },
};
const OPERATIONS_SHOWN = 200;
export const ACTIVITY_LEDGER_PAGE = 200;

export interface ActivityFilters {
  status?: OperationStatus;
  kind?: string;
  target?: string;
  provider?: string;
  since: keyof typeof SINCE;
}

/** The filters from the query; an unknown status or window is an error naming the field. */
export function readActivityFilters(c: Context): { filters: ActivityFilters } | { problem: string } {
  const pick = (name: string) => c.req.query(name)?.trim() || undefined;
  const status = pick("status");
  if (status !== undefined && !STATUSES.includes(status as OperationStatus))
    return { problem: `status "${status}" is not one of ${STATUSES.join(", ")}` };
  const since = pick("since") ?? "24h";
  if (!(since in SINCE))
    return { problem: `since "${since}" is not one of ${Object.keys(SINCE).join(", ")}` };
  const kind = pick("kind");
  const target = pick("target");
  const provider = pick("provider");
  return {
    filters: {
      since,
      ...(status ? { status: status as OperationStatus } : {}),
      ...(kind ? { kind } : {}),
      ...(target ? { target } : {}),
      ...(provider ? { provider } : {}),
    },
  };
}

/** A kind filter matches the kind or its family: "sleep" matches "sleep" and "sleep.scale-pool". */
const kindMatches = (kind: string, filter: string | undefined) =>
  filter === undefined || kind === filter || kind.startsWith(`${filter}.`);

export function activityPage(deps: DashboardDeps) {
  return async (c: Context<DashboardEnv>) => {
    const session = c.get("session");
    const reading = readActivityFilters(c);
    if ("problem" in reading)
      return page(
        c,
        {
          title: "Operations and events",
          section: "activity",
          session,
          status: 400,
          error: html`Filter refused: ${reading.problem}.`,
        },
        html`<h1>Operations and events</h1><p><a href="/operations">Show everything from the last 24 hours</a></p>`,
      );
    const { filters } = reading;
    const now = deps.now();
    const from = new Date(now.getTime() - (SINCE[filters.since] as { ms: number }).ms);
    const before = readBefore(c.req.query("before"));
    const [inventory, operations, ledger] = await Promise.all([
      deps.inventory(),
      deps.store.operations.list(
        {
          ...(filters.status ? { status: [filters.status] } : {}),
          ...(filters.target ? { target: filters.target } : {}),
        },
        now,
      ),
      deps.store.ledger.query({
        from,
        newestFirst: true,
        limit: ACTIVITY_LEDGER_PAGE,
        ...(filters.target ? { target: filters.target } : {}),
        ...(before !== undefined ? { beforeSeq: before } : {}),
      }),
    ]);
    const providerOf = new Map(inventory.targets.map((t) => [t.targetId, t.provider as string]));
    const providers = [...new Set(providerOf.values())].sort();
    const fromIso = from.toISOString();
    const shownOps = operations
      .filter(
        (op) =>
          op.updatedAt >= fromIso &&
          kindMatches(op.kind, filters.kind) &&
          (!filters.provider || providerOf.get(op.target) === filters.provider),
      )
      .reverse();
    const entries = ledger.filter(
      (e: LedgerEntry) =>
        kindMatches(e.kind, filters.kind) &&
        (!filters.provider || providerOf.get(e.target) === filters.provider),
    );
    const oldest = ledger.at(-1);
    const query = {
      status: filters.status,
      kind: filters.kind,
      target: filters.target,
      provider: filters.provider,
      since: filters.since,
    };
    const window = (SINCE[filters.since] as { label: string }).label;
    return page(
      c,
      { title: "Operations and events", section: "activity", session },
      html`<h1>Operations and events</h1>
<form class="filters" method="get" action="/operations" role="search" aria-label="Filter operations and events">
<div><label for="status">Operation status</label>
<select id="status" name="status"><option value="">any</option>${STATUSES.map(
        (s) => html`<option value="${s}"${s === filters.status ? html` selected` : ""}>${s}</option>`,
      )}</select></div>
<div><label for="kind">Kind (e.g. sleep, renew, target.snoozed)</label>
<input id="kind" name="kind" value="${filters.kind ?? ""}"></div>
<div><label for="target">Target id</label>
<input id="target" name="target" value="${filters.target ?? ""}"></div>
<div><label for="provider">Provider</label>
<select id="provider" name="provider"><option value="">any</option>${providers.map(
        (p) => html`<option value="${p}"${p === filters.provider ? html` selected` : ""}>${p}</option>`,
      )}</select></div>
<div><label for="since">Time</label>
<select id="since" name="since">${Object.entries(SINCE).map(
        ([value, { label }]) =>
          html`<option value="${value}"${value === filters.since ? html` selected` : ""}>${label}</option>`,
      )}</select></div>
<div><button type="submit">Filter</button> <a href="/operations">Clear</a></div>
</form>
<h2 id="operations">Operations</h2>
${operationsTable(
  shownOps.slice(0, OPERATIONS_SHOWN),
  {
    caption: `${Math.min(shownOps.length, OPERATIONS_SHOWN)} of ${shownOps.length} operations updated in ${window}, newest first`,
    empty: `No operations match, updated in ${window}.`,
  },
  true,
)}
<h2 id="events">Ledger</h2>
${ledgerTable(
  entries,
  {
    caption: `Ledger entries of ${window}${before !== undefined ? ` before #${before}` : ""}, newest first`,
    empty: `No ledger entries match, in ${window}${before !== undefined ? ` before #${before}` : ""}.`,
  },
  true,
)}
${pager("Ledger pages", [
  before !== undefined
    ? { href: `${withQuery("/operations", query)}#events`, text: "Newest entries" }
    : undefined,
  oldest && ledger.length === ACTIVITY_LEDGER_PAGE
    ? { href: `${withQuery("/operations", { ...query, before: oldest.seq })}#events`, text: "Older entries" }
    : undefined,
])}`,
    );
  };
}
