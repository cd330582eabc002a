// The estimated savings as the dashboard shows them: where the sleep history comes from, and the
// tables. The counting itself is shared/savings/estimate.ts.
//
// Both read the ledger: a target's page its own entries of the month, the fleet page every
// target's of the last 30 days, computed at most every few minutes and kept in the store for the
// next views and the other replicas (timeline-section.ts), since that read grows with the fleet.
import { html } from "hono/html";
import type { Target } from "../../shared/providers/inventory.ts";
import type { Breakdown, SavingsEstimate, TargetSleeps, TeamSavings } from "../../shared/savings/estimate.ts";
import { type SleepLedgerEntry, sleepIntervals } from "../../shared/savings/sleep-intervals.ts";
import type { Ownership } from "../../shared/schedule/ownership.ts";
import type { SelectableTarget } from "../../shared/schedule/plan.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import type { Store } from "../../shared/store/store.ts";
import type { Html } from "./layout.ts";

const LEDGER_PAGE = 1000;
/** A target's page reads at most this many entries for its timeline and savings. */
const TARGET_LEDGER_LIMIT = 10_000;

/**
 * Ledger entries with from <= at < to (of one target, or all), oldest first, read in pages of
 * 1,000; at most `limit` (then `complete` is false).
 */
export async function readLedger(
  store: Store,
  query: { target?: string; from: Date; to: Date; limit?: number },
): Promise<{ entries: LedgerEntry[]; complete: boolean }> {
  const limit = query.limit ?? TARGET_LEDGER_LIMIT;
  const entries: LedgerEntry[] = [];
  for (;;) {
    const after = entries.at(-1)?.seq;
    const page = await store.ledger.query({
      ...(query.target !== undefined ? { target: query.target } : {}),
      from: query.from,
      to: query.to,
      limit: LEDGER_PAGE,
      ...(after !== undefined ? { afterSeq: after } : {}),
    });
    entries.push(...page);
    if (page.length < LEDGER_PAGE) return { entries, complete: true };
    if (entries.length >= limit) return { entries, complete: false };
  }
}

/** Entries by target. */
export function byTarget<E extends { target: string }>(entries: readonly E[]): Map<string, E[]> {
  const grouped = new Map<string, E[]>();
  for (const entry of entries) {
    const list = grouped.get(entry.target);
    if (list) list.push(entry);
    else grouped.set(entry.target, [entry]);
  }
  return grouped;
}

/** Each target with its sleeps and its schedule's zone (UTC when no schedule owns it). */
export function fleetSleeps(
  targets: readonly Target[],
  entries: ReadonlyMap<string, readonly SleepLedgerEntry[]>,
  ownershipOf: (target: SelectableTarget) => Ownership,
): TargetSleeps[] {
  return targets.flatMap((target) => {
    const own = entries.get(target.targetId);
    if (!own) return [];
    const ownership = ownershipOf(target);
    return [
      {
        target,
        intervals: sleepIntervals(own),
        timezone: ownership.status === "owned" ? ownership.schedule.timezone : "UTC",
      },
    ];
  });
}

const formatters = new Map<string, Intl.NumberFormat>();

/** An amount in the configured currency, e.g. "CN¥1,234.50". */
export function money(amount: number, currency: string): string {
  let format = formatters.get(currency);
  if (!format) {
    format = new Intl.NumberFormat("en", { style: "currency", currency });
    formatters.set(currency, format);
  }
  return format.format(amount);
}

export const hours = (value: number) => `${Math.round(value * 10) / 10} h`;

const DAYS_SHOWN = 7;
export const SAVINGS_DOC = "docs/reference/savings.md";

/** What the fleet page shows of an estimate (and keeps in the store between views): no per-target detail. */
export interface FleetSavings extends Breakdown {
  currency?: string;
  /** When it was computed, and the period it covers (ISO). */
  computedAt: string;
  from: string;
  to: string;
  teams: TeamSavings[];
  targets: number;
  unrated: SavingsEstimate["unrated"];
  /** False when the ledger held more entries in the period than were read. */
  complete: boolean;
}

export function fleetSavingsOf(estimate: SavingsEstimate, computedAt: Date, complete: boolean): FleetSavings {
  const { currency, teams, unrated, hours, amount, days, months } = estimate;
  return {
    ...(currency !== undefined ? { currency } : {}),
    computedAt: computedAt.toISOString(),
    from: estimate.from.toISOString(),
    to: estimate.to.toISOString(),
    teams,
    targets: estimate.targets.length,
    unrated,
    hours,
    amount,
    days,
    months,
    complete,
  };
}

/** The fleet's savings by team: the most recent days, each month, and the hours asleep. */
export function teamSavingsSection(estimate: FleetSavings, headingId: string): Html {
  const currency = estimate.currency;
  const unrated =
    estimate.unrated.length > 0
      ? html`<p class="warn">${estimate.unrated.length} target${estimate.unrated.length === 1 ? "" : "s"} slept ${hours(estimate.unrated.reduce((h, u) => h + u.hours, 0))} with no rates document pricing ${estimate.unrated.length === 1 ? "it" : "them"}: ${estimate.unrated
          .slice(0, 10)
          .map((u) => u.target)
          .join(", ")}${estimate.unrated.length > 10 ? ", …" : ""}.</p>`
      : "";
  if (currency === undefined)
    return html`<p class="muted">No rates are configured, so no amounts: add a <code>kind: rates</code> document to <code>schedules/</code> (see <code>${SAVINGS_DOC}</code>).</p>${unrated}`;
  if (estimate.teams.length === 0)
    return html`<p class="muted">No priced target slept in this period.</p>${unrated}`;
  const dates = [...new Set(estimate.days.map((d) => d.date))].slice(-DAYS_SHOWN);
  const months = estimate.months.map((m) => m.month);
  const amountCell = (found: { amount: number } | undefined) =>
    found ? html`<td class="num">${money(found.amount, currency)}</td>` : html`<td class="num muted">–</td>`;
  const columns = (breakdown: Breakdown) => [
    ...dates.map((date) => amountCell(breakdown.days.find((d) => d.date === date))),
    ...months.map((month) => amountCell(breakdown.months.find((m) => m.month === month))),
  ];
  return html`<table aria-labelledby="${headingId}">
<caption>Estimated savings in ${currency} by team (the tag each rates document names), per day for the ${dates.length} most recent days and per month; each target's days are its schedule's local dates</caption>
<thead><tr><th scope="col">Team</th><th scope="col">Targets</th>${dates.map((d) => html`<th scope="col">${d}</th>`)}${months.map((m) => html`<th scope="col">${m}</th>`)}<th scope="col">Hours asleep</th></tr></thead>
<tbody>${estimate.teams.map(
    (team) =>
      html`<tr><th scope="row">${team.team ?? html`<span class="muted">no team tag</span>`}</th><td class="num">${team.targets}</td>${columns(team)}<td class="num">${hours(team.hours)}</td></tr>`,
  )}
<tr><th scope="row">All teams</th><td class="num">${estimate.targets}</td>${columns(estimate)}<td class="num">${hours(estimate.hours)}</td></tr></tbody>
</table>${unrated}`;
}

/** One target's savings: its days and its month, and how it was priced. */
export function targetSavingsSection(estimate: SavingsEstimate, targetId: string): Html {
  const unrated = estimate.unrated.find((u) => u.target === targetId);
  if (estimate.currency === undefined || unrated)
    return html`<p class="muted">${unrated ? `Asleep ${hours(unrated.hours)} this month, but no` : "No"} rates document prices this target, so no amount: add a <code>kind: rates</code> document whose targets match it (see <code>${SAVINGS_DOC}</code>).</p>`;
  const currency = estimate.currency;
  const mine = estimate.targets.find((t) => t.target === targetId);
  if (!mine) return html`<p class="muted">It has not slept this month.</p>`;
  return html`<p>Priced by rates <code>${mine.rates}</code>${mine.team !== undefined ? html`, team <strong>${mine.team}</strong>` : ""}: ${money(mine.amount, currency)} for ${hours(mine.hours)} asleep this month.</p>
${mine.unpricedPools.length > 0 ? html`<p class="warn">No pool rate prices ${mine.unpricedPools.join(", ")}: their nodes count as saving nothing.</p>` : ""}
<table>
<caption>Estimated savings per day this month (${estimate.timezone})</caption>
<thead><tr><th scope="col">Day</th><th scope="col">Hours asleep</th><th scope="col">Saved (${currency})</th></tr></thead>
<tbody>${mine.days.map((d) => html`<tr><th scope="row">${d.date}</th><td class="num">${hours(d.hours)}</td><td class="num">${money(d.amount, currency)}</td></tr>`)}
${mine.months.map((m) => html`<tr><th scope="row">${m.month} in all</th><td class="num">${hours(m.hours)}</td><td class="num">${money(m.amount, currency)}</td></tr>`)}</tbody>
</table>`;
}
