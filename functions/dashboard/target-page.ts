// `GET /targets/{id}`: one target. Its details, schedule and state, the actions a person can take
// (forms, actions.ts), its certificate's renewal state, its operations and its ledger, newest first
// and paged backwards (`?before=<seq>`). Ids contain "/" (account/clusterId): the route takes the
// rest of the path, as the API's does. An unknown id is a 404 page.
import type { Context } from "hono";
import { html } from "hono/html";
import { readRenewalState } from "../../shared/renewal/state.ts";
import { compileOwnership } from "../../shared/schedule/ownership.ts";
import { MAX_PAUSE_REASON_LENGTH, pauseView, readPauses } from "../../shared/schedule/pause.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import type { Operation } from "../../shared/store/store.ts";
import { type RenewalView, type TargetView, targetViews } from "../fleet-view.ts";
import { renewalView } from "../renewal/api.ts";
import { MAX_SNOOZE_MINUTES } from "../snooze.ts";
import { PAUSE_DURATIONS } from "./actions.ts";
import { unknownTargetPage } from "./auth.ts";
import type { DashboardDeps, DashboardEnv } from "./deps.ts";
import { formFields } from "./form-once.ts";
import { type Html, page, pager, relative, targetHref, utcTime, withQuery } from "./layout.ts";
import { randomSessionId } from "./session.ts";
import { targetTimelineSection } from "./timeline-section.ts";

export const LEDGER_PAGE = 50;
const OPERATIONS_SHOWN = 50;

/** The confirmation after an action (Post/Redirect/Get), from what the store recorded. */
async function confirmation(
  c: Context<DashboardEnv>,
  deps: DashboardDeps,
  id: string,
): Promise<Html | undefined> {
  const done = c.req.query("done");
  if (done === "snoozed") {
    const seq = Number(c.req.query("entry"));
    if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
    const [entry] = await deps.store.ledger.query({ target: id, afterSeq: seq - 1, limit: 1 });
    if (entry?.seq !== seq || entry.kind !== "target.snoozed") return undefined;
    return html`Snoozed: sleeps wait until ${utcTime(String(entry.detail.until))} (ledger entry ${seq}).`;
  }
  if (done === "renewal" || done === "renewal-running") {
    const opId = c.req.query("operation");
    const op = opId ? await deps.store.operations.get(opId, deps.now()) : undefined;
    if (!op || op.target !== id) return undefined;
    return done === "renewal"
      ? html`Renewal requested: operation <code>${op.id}</code> (${op.status}).`
      : html`A renewal was already under way, so no second one was started: operation <code>${op.id}</code> (${op.status}).`;
  }
  if (done === "paused" || done === "resumed") {
    const name = c.req.query("schedule");
    if (!name || !deps.schedules.some((s) => s.name === name)) return undefined;
    const pause = pauseView((await readPauses(deps.store, deps.now())).get(name), deps.now());
    if (done === "resumed") return html`Schedule ${name} resumed: its sleeps happen again.`;
    return pause
      ? html`Schedule ${name} paused ${pause.until ? html`until ${utcTime(pause.until)}` : "until resumed"}: its targets' sleeps wait; wakes still happen.`
      : undefined;
  }
  return undefined;
}

function detailsSection(view: TargetView, now: Date): Html {
  const state = view.state;
  const tags = Object.entries(view.tags ?? {});
  return html`<h2 id="details">Details</h2>
<dl class="facts">
<dt>Id</dt><dd><code>${view.targetId}</code></dd>
<dt>Provider</dt><dd>${view.provider}</dd>
<dt>Account / region</dt><dd>${view.account} / ${view.region}</dd>
<dt>State</dt><dd>${view.phase}${view.vendorPhase ? html` <span class="muted">(${view.vendorPhase})</span>` : ""}</dd>
<dt>Tags</dt><dd>${tags.length === 0 ? html`<span class="muted">none</span>` : tags.map(([k, v]) => html`<code>${k}=${v}</code> `)}</dd>
<dt>Node pools</dt><dd>${
    view.poolsUnknown
      ? html`<span class="bad">unknown: ${view.poolsUnknown}</span>`
      : view.nodePools.length === 0
        ? html`<span class="muted">none listed</span>`
        : html`<ul class="plain">${view.nodePools.map(
            (p) => html`<li><code>${p.name}</code>: ${p.ready}/${p.desired} ready (${p.phase})</li>`,
          )}</ul>`
  }</dd>
<dt>Schedule</dt><dd>${
    view.ownership.status === "owned"
      ? view.ownership.schedule
      : view.ownership.status === "unmatched"
        ? html`<span class="muted">no schedule matches it</span>`
        : html`<span class="bad">${view.ownership.message}</span>`
  }</dd>
${
  view.paused
    ? html`<dt>Schedule paused</dt><dd class="warn">since ${utcTime(view.paused.since)}, ${view.paused.until ? html`until ${utcTime(view.paused.until)}` : "until resumed"}, by ${view.paused.by}${view.paused.reason ? html`: ${view.paused.reason}` : ""}</dd>`
    : ""
}
<dt>Next transition</dt><dd>${
    view.next
      ? html`${view.next.to === "asleep" ? "sleep" : "wake"} ${view.next.local.weekday} ${view.next.local.date} ${view.next.local.time} ${view.next.local.timezone} <span class="muted">(${relative(view.next.at, now)})</span>${view.next.deferred ? html` <span class="warn">held by the schedule's pause</span>` : ""}`
      : html`<span class="muted">none</span>`
  }</dd>
<dt>Last transition</dt><dd>${
    state?.lastTransition
      ? html`${state.lastTransition.to} at ${utcTime(state.lastTransition.at)} by ${state.lastTransition.by}`
      : html`<span class="muted">none recorded</span>`
  }</dd>
<dt>Snoozed until</dt><dd>${
    state?.snoozeUntil && Date.parse(state.snoozeUntil) > now.getTime()
      ? utcTime(state.snoozeUntil)
      : html`<span class="muted">not snoozed</span>`
  }</dd>
${
  state?.heldAwake && Date.parse(state.heldAwake.until) > now.getTime()
    ? html`<dt>Held awake</dt><dd>until ${utcTime(state.heldAwake.until)} (rule ${state.heldAwake.rule})</dd>`
    : ""
}
${
  state?.backoff
    ? html`<dt>Failures</dt><dd class="bad">${state.backoff.failures}: ${state.backoff.lastError ?? "no message"}; next try ${utcTime(state.backoff.nextAttemptAt)}</dd>`
    : ""
}
</dl>`;
}

function actionsSection(c: Context<DashboardEnv>, view: TargetView, deps: DashboardDeps): Html {
  const randomId = deps.randomId ?? randomSessionId;
  const path = targetHref(view.targetId);
  return html`<h2 id="actions">Actions</h2>
<form class="action" method="post" action="${path}/snooze" aria-labelledby="snooze-heading">
<h3 id="snooze-heading" class="muted">Snooze: hold this target's sleeps</h3>
${formFields(c, randomId)}
<div><label for="snooze-minutes">Minutes from now (1 to ${MAX_SNOOZE_MINUTES})</label>
<input id="snooze-minutes" name="minutes" type="number" min="1" max="${MAX_SNOOZE_MINUTES}" step="1" value="60" required></div>
<div><button type="submit">Snooze</button></div>
</form>
${pauseForm(c, view, randomId)}
<form class="action" method="post" action="${path}/renew" aria-labelledby="renew-heading">
<h3 id="renew-heading" class="muted">Certificate: renew now, past a back-off or a closed window</h3>
${formFields(c, randomId)}
<div><button type="submit">Force a renewal</button></div>
</form>`;
}

/** Pausing acts on the schedule that owns the target (all its targets), so the form says which. */
function pauseForm(c: Context<DashboardEnv>, view: TargetView, randomId: () => string): Html {
  if (view.ownership.status !== "owned") return html``;
  const schedule = view.ownership.schedule;
  const action = `/schedules/${encodeURIComponent(schedule)}`;
  const back = targetHref(view.targetId);
  if (view.paused)
    return html`<form class="action" method="post" action="${action}/resume" aria-labelledby="resume-heading">
<h3 id="resume-heading" class="muted">Schedule ${schedule} is paused: resume it (for all its targets)</h3>
${formFields(c, randomId)}
<input type="hidden" name="back" value="${back}">
<div><button type="submit">Resume ${schedule}</button></div>
</form>`;
  return html`<form class="action" method="post" action="${action}/pause" aria-labelledby="pause-heading">
<h3 id="pause-heading" class="muted">Pause schedule ${schedule}: no sleeps for any of its targets (wakes still happen)</h3>
${formFields(c, randomId)}
<input type="hidden" name="back" value="${back}">
<div><label for="pause-duration">For</label>
<select id="pause-duration" name="duration">${PAUSE_DURATIONS.map(
    (d) => html`<option value="${d.value}"${d.value === "1d" ? html` selected` : ""}>${d.label}</option>`,
  )}</select></div>
<div><label for="pause-reason">Reason (optional)</label>
<input id="pause-reason" name="reason" maxlength="${MAX_PAUSE_REASON_LENGTH}"></div>
<div><button type="submit">Pause ${schedule}</button></div>
</form>`;
}

function renewalSection(renewal: RenewalView | undefined, now: Date): Html {
  if (!renewal)
    return html`<h2 id="renewal">Certificate renewal</h2><p class="muted">No renewal state: no renewal declaration has owned this target yet.</p>`;
  const cert = renewal.certificate;
  return html`<h2 id="renewal">Certificate renewal</h2>
<dl class="facts">
<dt>Declaration</dt><dd>${renewal.declaration}</dd>
<dt>Certificate</dt><dd>${cert ? html`serial <code>${cert.serial}</code>, valid ${utcTime(cert.notBefore)} to ${utcTime(cert.notAfter)} (${relative(cert.notAfter, now)})` : html`<span class="muted">none stored</span>`}</dd>
<dt>Renewal time</dt><dd>${utcTime(renewal.renewalTime)}</dd>
<dt>Next attempt</dt><dd>${utcTime(renewal.nextAttemptAt)}${renewal.waitingFor ? html` <span class="muted">(waiting for ${renewal.waitingFor})</span>` : ""}</dd>
${renewal.lastReason ? html`<dt>Last reason</dt><dd>${renewal.lastReason.message}</dd>` : ""}
${renewal.failures ? html`<dt>Failures</dt><dd class="bad">${renewal.failures.failedAttempts}${renewal.failures.lastError ? html`: ${renewal.failures.lastError.message}` : ""}</dd>` : ""}
${renewal.backoffUntil ? html`<dt>Back-off until</dt><dd>${utcTime(renewal.backoffUntil)}</dd>` : ""}
${renewal.operation ? html`<dt>In flight</dt><dd><code>${renewal.operation.id}</code> (${renewal.operation.purpose})</dd>` : ""}
<dt>Sinks</dt><dd>${
    renewal.sinks.length === 0
      ? html`<span class="muted">none</span>`
      : html`<ul class="plain">${renewal.sinks.map((s) => html`<li>${s.sink}: ${s.status}${s.lastFailure ? html` <span class="bad">(${s.lastFailure.message})</span>` : ""}</li>`)}</ul>`
  }</dd>
</dl>`;
}

export function operationsTable(
  operations: readonly Operation[],
  text: { caption: string; empty: string },
  showTarget: boolean,
): Html {
  const { caption, empty } = text;
  if (operations.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Operation</th>${showTarget ? html`<th scope="col">Target</th>` : ""}<th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Step</th><th scope="col">Created</th><th scope="col">Updated</th><th scope="col">Error</th></tr></thead>
<tbody>${operations.map(
    (op) =>
      html`<tr><th scope="row"><code>${op.id}</code></th>${
        showTarget ? html`<td><a href="${targetHref(op.target)}">${op.target}</a></td>` : ""
      }<td>${op.kind}</td><td class="${op.status === "failed" ? "bad" : op.status === "succeeded" ? "ok" : ""}">${op.status}</td><td>${op.step}</td><td>${utcTime(op.createdAt)}</td><td>${utcTime(op.updatedAt)}</td><td>${op.error ? html`<span class="bad">${op.error.kind}: ${op.error.message}</span>` : ""}</td></tr>`,
  )}</tbody>
</table>`;
}

export function ledgerTable(
  entries: readonly LedgerEntry[],
  text: { caption: string; empty: string },
  showTarget: boolean,
): Html {
  const { caption, empty } = text;
  if (entries.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">#</th><th scope="col">When</th>${showTarget ? html`<th scope="col">Target</th>` : ""}<th scope="col">What</th><th scope="col">Operation</th><th scope="col">Detail</th></tr></thead>
<tbody>${entries.map(
    (e) =>
      html`<tr><th scope="row">${e.seq}</th><td>${utcTime(e.at.toISOString())}</td>${
        showTarget ? html`<td><a href="${targetHref(e.target)}">${e.target}</a></td>` : ""
      }<td>${e.kind}</td><td><code>${e.operationId}</code></td><td><code>${JSON.stringify(e.detail)}</code></td></tr>`,
  )}</tbody>
</table>`;
}

/** `?before=<seq>`: a positive whole number, else the newest page. */
export function readBefore(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) && Number(value) > 0 ? Number(value) : undefined;
}

export function targetPage(deps: DashboardDeps) {
  const ownershipOf = compileOwnership(deps.schedules);
  return async (c: Context<DashboardEnv>) => {
    const id = c.req.param("id") as string;
    const now = deps.now();
    const inventory = await deps.inventory();
    const target = inventory.targets.find((t) => t.targetId === id);
    if (!target) return unknownTargetPage(c, id);
    const before = readBefore(c.req.query("before"));
    const [state, pauses, renewal, operations, ledger, notice] = await Promise.all([
      deps.store.targets.get(id, now),
      readPauses(deps.store, now),
      readRenewalState(deps.store, id, now),
      deps.store.operations.ofTarget(id, now),
      deps.store.ledger.query({
        target: id,
        newestFirst: true,
        limit: LEDGER_PAGE,
        ...(before !== undefined ? { beforeSeq: before } : {}),
      }),
      confirmation(c, deps, id),
    ]);
    const [view] = targetViews([target], {
      ownershipOf,
      calendars: deps.calendars,
      states: new Map(state ? [[id, state.value]] : []),
      pauses,
      now,
    }) as [TargetView];
    const recent = operations.slice(-OPERATIONS_SHOWN).reverse();
    // Finished operations are in the ledger below (read newest first), not read here: listing a
    // target's finished operations would read the whole fleet's history.
    const oldest = ledger.at(-1);
    return page(
      c,
      { title: view.name, section: "target", session: c.get("session"), ...(notice ? { notice } : {}) },
      html`<h1>${view.name} <span class="muted">(${view.provider})</span></h1>
${detailsSection(view, now)}
${actionsSection(c, view, deps)}
${targetTimelineSection(deps, {
  target,
  ownership: ownershipOf(target),
  ...(state ? { state: state.value } : {}),
  ...(c.req.query("week") !== undefined ? { week: c.req.query("week") } : {}),
  now,
})}
${renewalSection(renewal ? renewalView(renewal.value, now) : undefined, now)}
<h2 id="operations">Operations under way</h2>
${operationsTable(
  recent,
  {
    caption: `Operations under way (${recent.length} of ${operations.length}), newest first; finished ones are in the ledger`,
    empty: "No operation is under way for this target; what finished is in the ledger below.",
  },
  false,
)}
<h2 id="ledger">Ledger</h2>
${ledgerTable(
  ledger,
  {
    caption: before === undefined ? "The newest entries first" : `Entries before #${before}, newest first`,
    empty:
      before === undefined
        ? "The ledger has no entries for this target yet."
        : `No entries before #${before}.`,
  },
  false,
)}
${pager("Ledger pages", [
  before !== undefined ? { href: `${targetHref(id)}#ledger`, text: "Newest entries" } : undefined,
  oldest && ledger.length === LEDGER_PAGE
    ? { href: `${withQuery(targetHref(id), { before: oldest.seq })}#ledger`, text: "Older entries" }
    : undefined,
])}`,
    );
  };
}
