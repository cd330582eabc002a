// `GET /`: the fleet. One row per target: name and id, provider, account and region, its state,
// the next transition in the schedule's local time, the last action and its outcome, what is wrong
// (conflicting schedules, listing errors, failures), and the certificate's expiry. Filters are a
// GET form (provider, state, text). Every collection is read with one bounded list (inventory,
// target states, operations under way, the newest ledger entries, renewal states, pauses), never
// one query per target and never the finished history (`BENCH_ONLY=dashboard npm run bench`).
import type { Context } from "hono";
import { html } from "hono/html";
import type { InventoryError, Target } from "../../shared/providers/inventory.ts";
import { compileOwnership, type Ownership } from "../../shared/schedule/ownership.ts";
import { readPauses } from "../../shared/schedule/pause.ts";
import type { SelectableTarget } from "../../shared/schedule/plan.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import { ACTIVE, type Operation, type TargetState } from "../../shared/store/store.ts";
import {
  type RenewalView,
  renewalsOverview,
  type TargetView,
  targetStates,
  targetViews,
} from "../fleet-view.ts";
import type { DashboardDeps, DashboardEnv } from "./deps.ts";
import { type Html, page, relative, targetHref, utcTime } from "./layout.ts";
import { fleetTimelineSection } from "./timeline-section.ts";

export interface FleetRow {
  view: TargetView;
  lastAction?: LastAction;
  renewal?: RenewalView;
  /** What needs a person: conflicts, listing errors, failures. Plain text, escaped when shown. */
  problems: string[];
}

export interface FleetModel {
  rows: FleetRow[];
  /** Listing errors of whole accounts (a cluster's own errors are in its row). */
  accountErrors: InventoryError[];
  listedAt?: string;
  now: Date;
  /** The targets listed, for the fleet-wide parts (timeline-section.ts). */
  targets: Target[];
}

/** What a target's row says it did last, and how that ended (or that it is still under way). */
export interface LastAction {
  kind: string;
  /** An operation's status, "failed"/"succeeded" from the ledger, or "decided" (the schedule's). */
  status: string;
  at: string;
  error?: string;
}

/** How many of the newest ledger entries the fleet reads for outcomes: bounded, however long the history. */
export const OUTCOME_ENTRIES = 1000;
const OUTCOME = /^(.+)\.(succeeded|failed)$/;

/**
 * Each target's last action from three bounded reads, never one per target and never the finished
 * history: the operations under way (the "active" index), the newest ledger entries' outcomes
 * (`<kind>.succeeded` / `<kind>.failed`), else the schedule's last decided transition.
 */
export function lastActions(
  active: readonly Operation[],
  recent: readonly LedgerEntry[],
  states: ReadonlyMap<string, TargetState>,
): Map<string, LastAction> {
  const last = new Map<string, LastAction>();
  for (const op of active) {
    const seen = last.get(op.target);
    if (!seen || op.updatedAt > seen.at)
      last.set(op.target, { kind: op.kind, status: op.status, at: op.updatedAt });
  }
  for (const entry of recent) {
    if (last.has(entry.target)) continue;
    const outcome = OUTCOME.exec(entry.kind);
    if (!outcome) continue;
    const error = (entry.detail.error as { message?: unknown } | undefined)?.message;
    last.set(entry.target, {
      kind: outcome[1] as string,
      status: outcome[2] as string,
      at: entry.at.toISOString(),
      ...(typeof error === "string" ? { error } : {}),
    });
  }
  for (const [target, state] of states) {
    if (last.has(target) || !state.lastTransition) continue;
    const t = state.lastTransition;
    last.set(target, { kind: t.to === "asleep" ? "sleep" : "wake", status: `decided (${t.by})`, at: t.at });
  }
  return last;
}

export async function loadFleet(
  deps: DashboardDeps,
  ownershipOf: (target: SelectableTarget) => Ownership,
  now: Date,
): Promise<FleetModel> {
  const [inventory, states, active, recent, pauses] = await Promise.all([
    deps.inventory(),
    targetStates(deps.store, now),
    deps.store.operations.list({ status: ACTIVE }, now),
    deps.store.ledger.query({ newestFirst: true, limit: OUTCOME_ENTRIES }),
    readPauses(deps.store, now),
  ]);
  const renewals = await renewalsOverview(deps.store, inventory, deps.renewals ?? [], now);
  const views = targetViews(inventory.targets, {
    ownershipOf,
    calendars: deps.calendars,
    states,
    pauses,
    now,
  });
  const last = lastActions(active, recent, states);
  const renewalByTarget = new Map(renewals.renewals.map((r) => [r.target, r]));
  const renewalConflicts = new Map(renewals.conflicts.map((r) => [r.target, r.message]));
  const clusterErrors = new Map<string, string[]>();
  for (const error of inventory.errors) {
    if (error.clusterId === undefined) continue;
    const id = `${error.account}/${error.clusterId}`;
    clusterErrors.set(id, [...(clusterErrors.get(id) ?? []), `${error.kind}: ${error.message}`]);
  }
  const rows = views.map((view): FleetRow => {
    const problems: string[] = [];
    if (view.ownership.status === "several-schedules" || view.ownership.status === "disabled")
      problems.push(`schedules: ${view.ownership.message}`);
    const renewalConflict = renewalConflicts.get(view.targetId);
    if (renewalConflict) problems.push(renewalConflict);
    for (const error of clusterErrors.get(view.targetId) ?? []) problems.push(`listing: ${error}`);
    if (view.poolsUnknown) problems.push(`node pools unknown: ${view.poolsUnknown}`);
    const backoff = view.state?.backoff;
    if (backoff)
      problems.push(
        `${backoff.failures} failed attempt${backoff.failures === 1 ? "" : "s"}${backoff.lastError ? `: ${backoff.lastError}` : ""}; next try ${backoff.nextAttemptAt}`,
      );
    const renewal = renewalByTarget.get(view.targetId);
    if (renewal?.failures?.lastError)
      problems.push(
        `renewal failing (${renewal.failures.failedAttempts}): ${renewal.failures.lastError.message}`,
      );
    const lastAction = last.get(view.targetId);
    if (lastAction?.status === "failed") problems.push(`the last ${lastAction.kind} failed`);
    return {
      view,
      problems,
      ...(lastAction ? { lastAction } : {}),
      ...(renewal ? { renewal } : {}),
    };
  });
  return {
    rows,
    accountErrors: inventory.errors.filter((e) => e.clusterId === undefined),
    ...(inventory.listedAt ? { listedAt: inventory.listedAt } : {}),
    now,
    targets: inventory.targets,
  };
}

export interface FleetFilters {
  provider?: string;
  state?: string;
  q?: string;
}

export function readFleetFilters(c: Context): FleetFilters {
  const pick = (name: string) => {
    const value = c.req.query(name)?.trim();
    return value ? value : undefined;
  };
  const provider = pick("provider");
  const state = pick("state");
  const q = pick("q");
  return { ...(provider ? { provider } : {}), ...(state ? { state } : {}), ...(q ? { q } : {}) };
}

/** The text a row is searched by: names, ids, account, region, schedules and tags. */
function searchText(view: TargetView): string {
  return [
    view.name,
    view.targetId,
    view.account,
    view.region,
    ...view.schedules,
    ...Object.entries(view.tags ?? {}).map(([k, v]) => `${k}=${v}`),
  ]
    .join("\n")
    .toLowerCase();
}

export function filterRows(rows: readonly FleetRow[], filters: FleetFilters): FleetRow[] {
  const q = filters.q?.toLowerCase();
  return rows.filter(
    (row) =>
      (!filters.provider || row.view.provider === filters.provider) &&
      (!filters.state || row.view.phase === filters.state) &&
      (!q || searchText(row.view).includes(q)),
  );
}

const OUTCOME_CLASS: Record<string, string> = {
  succeeded: "ok",
  failed: "bad",
  cancelled: "warn",
};

function stateCell(view: TargetView, now: Date): Html {
  const state = view.state;
  const snoozed =
    state?.snoozeUntil && Date.parse(state.snoozeUntil) > now.getTime() ? state.snoozeUntil : undefined;
  const held =
    state?.heldAwake && Date.parse(state.heldAwake.until) > now.getTime() ? state.heldAwake : undefined;
  return html`${view.phase}${view.vendorPhase && view.vendorPhase !== view.phase ? html` <span class="muted">(${view.vendorPhase})</span>` : ""}${
    snoozed ? html`<br><span class="warn">snoozed until ${utcTime(snoozed)}</span>` : ""
  }${held ? html`<br><span class="warn">held awake until ${utcTime(held.until)}</span>` : ""}`;
}

function nextCell(view: TargetView, now: Date): Html {
  const next = view.next;
  if (!next) {
    if (view.ownership.status === "unmatched") return html`<span class="muted">no schedule</span>`;
    if (view.ownership.status === "owned") return html`<span class="muted">none within a year</span>`;
    return html`<span class="bad">none: no schedule owns it</span>`;
  }
  const deferred = next.deferred
    ? html`<br><span class="warn">held: schedule paused ${next.deferred.until ? html`until ${utcTime(next.deferred.until)}` : "until resumed"}</span>`
    : "";
  return html`${next.to === "asleep" ? "sleep" : "wake"} ${next.local.weekday} ${next.local.date} ${next.local.time}
<span class="muted">${next.local.timezone}</span><br><span class="muted">${relative(next.at, now)} · ${next.schedule}</span>${deferred}`;
}

function lastActionCell(action: LastAction | undefined, now: Date): Html {
  if (!action) return html`<span class="muted">none recorded</span>`;
  return html`${action.kind} · <span class="${OUTCOME_CLASS[action.status] ?? ""}">${action.status}</span><br>
<span class="muted">${relative(action.at, now)}</span>${action.error ? html`<br><span class="bad">${action.error}</span>` : ""}`;
}

function certificateCell(renewal: RenewalView | undefined, now: Date): Html {
  const notAfter = renewal?.certificate?.notAfter;
  if (!notAfter) return html`<span class="muted">—</span>`;
  const seconds = (Date.parse(notAfter) - now.getTime()) / 1000;
  const cls = seconds <= 0 ? "bad" : seconds < 7 * 86400 ? "warn" : "";
  return html`<span class="${cls}">${utcTime(notAfter)}</span><br><span class="muted">${seconds <= 0 ? "expired " : ""}${relative(notAfter, now)}</span>`;
}

function fleetRow(row: FleetRow, now: Date): Html {
  const { view } = row;
  return html`<tr>
<th scope="row"><a href="${targetHref(view.targetId)}">${view.name}</a><br><code>${view.targetId}</code></th>
<td>${view.provider}</td>
<td>${view.account}<br><span class="muted">${view.region}</span></td>
<td>${stateCell(view, now)}</td>
<td>${nextCell(view, now)}</td>
<td>${lastActionCell(row.lastAction, now)}</td>
<td>${row.problems.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="plain">${row.problems.map((p) => html`<li class="bad">${p}</li>`)}</ul>`}</td>
<td>${certificateCell(row.renewal, now)}</td>
</tr>`;
}

function selectOptions(
  id: string,
  label: string,
  values: readonly string[],
  chosen: string | undefined,
): Html {
  return html`<div><label for="${id}">${label}</label>
<select id="${id}" name="${id}"><option value="">all</option>${values.map(
    (value) => html`<option value="${value}"${value === chosen ? html` selected` : ""}>${value}</option>`,
  )}</select></div>`;
}

export function fleetPage(deps: DashboardDeps) {
  const ownershipOf = compileOwnership(deps.schedules);
  return async (c: Context<DashboardEnv>) => {
    const now = deps.now();
    const model = await loadFleet(deps, ownershipOf, now);
    const filters = readFleetFilters(c);
    const shown = filterRows(model.rows, filters);
    const providers = [...new Set(model.rows.map((r) => r.view.provider))].sort();
    const phases = [...new Set(model.rows.map((r) => r.view.phase))].sort();
    const problems = model.rows.filter((r) => r.problems.length > 0).length;
    return page(
      c,
      { title: "Fleet", section: "fleet", session: c.get("session") },
      html`<h1>Fleet</h1>
<p>${model.rows.length} target${model.rows.length === 1 ? "" : "s"}, ${problems} with problems${
        model.listedAt ? html`; listed ${utcTime(model.listedAt)}` : ""
      }; clouds' time ${utcTime(now.toISOString())}.</p>
${
  model.accountErrors.length > 0
    ? html`<h2 id="account-errors">Accounts that could not be listed</h2>
<table aria-labelledby="account-errors"><thead><tr><th scope="col">Account</th><th scope="col">Provider</th><th scope="col">Error</th></tr></thead>
<tbody>${model.accountErrors.map(
        (e) =>
          html`<tr><th scope="row">${e.account}</th><td>${e.provider}</td><td class="bad">${e.kind}: ${e.message}</td></tr>`,
      )}</tbody></table>`
    : ""
}
<form class="filters" method="get" action="/" role="search" aria-label="Filter the fleet">
${selectOptions("provider", "Provider", providers, filters.provider)}
${selectOptions("state", "State", phases, filters.state)}
<div><label for="q">Name, id, account, region or tag</label>
<input id="q" name="q" type="search" value="${filters.q ?? ""}"></div>
<div><button type="submit">Filter</button> <a href="/">Clear</a></div>
</form>
<table>
<caption>${shown.length} of ${model.rows.length} targets shown</caption>
<thead><tr>
<th scope="col">Target</th><th scope="col">Provider</th><th scope="col">Account / region</th><th scope="col">State</th>
<th scope="col">Next transition (schedule's time)</th><th scope="col">Last action</th><th scope="col">Problems</th>
<th scope="col">Certificate expires</th>
</tr></thead>
<tbody>${shown.map((row) => fleetRow(row, now))}</tbody>
</table>
${fleetTimelineSection(deps, { targets: model.targets, ownershipOf, now })}`,
    );
  };
}
