// `GET /actions/{token}`: the snooze / postpone links of a pre-action notice. The signed token is
// the authorisation (the notice went to the team's channel); it names one target and one hold.
// Opening a link twice, or a mail scanner opening it first, does no harm: the hold is an
// absolute time (the planned sleep plus the hold), applied as "at least until".
// The token is still usable until it expires: it is never logged (the logger masks /actions/...).
import { Hono } from "hono";
import { verifyActionLink } from "../shared/events/links.ts";
import type { Inventory } from "../shared/providers/inventory.ts";
import type { Store } from "../shared/store/store.ts";
import { errorResponse } from "./errors.ts";
import { MAX_LINK_AHEAD_MINUTES } from "./notices.ts";

export interface ActionRouteDeps {
  store: Store;
  inventory: () => Promise<Inventory>;
  linkSecret?: string;
  now: () => Date;
}

export function actionRoutes(deps: ActionRouteDeps): Hono {
  const routes = new Hono();
  routes.get("/:token", async (c) => {
    if (!deps.linkSecret) {
      return errorResponse(
        c,
        404,
        "actions_disabled",
        "action links are not enabled: NIGHTSHIFT_LINK_SECRET is not set",
      );
    }
    const now = deps.now();
    const verdict = await verifyActionLink(c.req.param("token"), deps.linkSecret, now);
    if (!verdict.ok) {
      const status = verdict.reason === "expired" ? 410 : 403;
      return errorResponse(c, status, `link_${verdict.reason.replace("-", "_")}`, verdict.message);
    }
    const until = verdict.expiresAt;
    // Signed, yet not one nightshift issues (a leaked or misused secret): it could hold a target
    // for years. The notices' links never reach further than this.
    if (until.getTime() - now.getTime() > MAX_LINK_AHEAD_MINUTES * 60_000) {
      return errorResponse(
        c,
        400,
        "link_out_of_range",
        `the action link holds until ${until.toISOString()}, further ahead than any link nightshift sends (${MAX_LINK_AHEAD_MINUTES} minutes); snooze with POST /api/targets/{id}/snooze instead`,
      );
    }
    if (!(await deps.inventory()).targets.some((t) => t.targetId === verdict.target)) {
      return errorResponse(
        c,
        404,
        "unknown_target",
        `the action link is for target "${verdict.target}", which nightshift does not manage (any more)`,
      );
    }
    const operationId = `${verdict.slot ?? "link"}@${verdict.target}`;
    // The link's own id (what it holds, where, until when): opened any number of times, one entry.
    // The hold is the target's state, another record than the ledger's: the entry follows the
    // state write, and a link opened again while its own hold stands appends it (again: nothing
    // more is stored), so a process that died between the two leaves no hold unrecorded.
    const record = () =>
      deps.store.ledger.append({
        at: now,
        operationId,
        target: verdict.target,
        kind: `target.${verdict.action}`,
        detail: { until: until.toISOString(), via: "notice link" },
        key: `target.${verdict.action}:${operationId}:${until.toISOString()}`,
      });
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await deps.store.targets.get(verdict.target, now);
      const held = current?.value.snoozeUntil ? new Date(current.value.snoozeUntil) : undefined;
      if (held && held >= until) {
        if (held.getTime() === until.getTime()) await record();
        return c.json({ target: verdict.target, action: verdict.action, snoozeUntil: held.toISOString() });
      }
      const next = { ...current?.value, snoozeUntil: until.toISOString(), updatedAt: now.toISOString() };
      if ((await deps.store.targets.put(verdict.target, next, current?.version ?? null, now)) !== undefined) {
        await record();
        return c.json({ target: verdict.target, action: verdict.action, snoozeUntil: until.toISOString() });
      }
    }
    return errorResponse(c, 409, "conflict", "the target's state changed concurrently; open the link again");
  });
  return routes;
}
