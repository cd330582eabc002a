// What a person does from a target's page, each a POST form (signed in, CSRF-checked, once per
// rendered form: form-once.ts) that lands in the ledger, answered with a 303 back to the target's
// page, which shows what was done (Post/Redirect/Get):
//   POST /targets/{id}/snooze   its sleeps wait `minutes` (functions/snooze.ts, as the API's)
//   POST /targets/{id}/renew    a forced certificate renewal (functions/renewal/force.ts)
import { Hono } from "hono";
import type { Target } from "../../shared/providers/inventory.ts";
import { forceRenewal } from "../renewal/force.ts";
import { MAX_SNOOZE_MINUTES, snoozeTarget } from "../snooze.ts";
import { checkedForm, refusalPage, signedIn } from "./auth.ts";
import type { DashboardDeps, DashboardEnv } from "./deps.ts";
import { FORM_KEY_FIELD, oncePerForm } from "./form-once.ts";
import { targetHref, withQuery } from "./layout.ts";
import { unknownTargetPage } from "./target-page.ts";

/** The snooze field: whole minutes from 1 to the cap. */
export function readMinutes(value: string | undefined): { minutes: number } | { problem: string } {
  const text = value?.trim() ?? "";
  if (!/^\d{1,6}$/.test(text))
    return {
      problem: `Minutes must be a whole number from 1 to ${MAX_SNOOZE_MINUTES} (7 days); got "${text}".`,
    };
  const minutes = Number(text);
  if (minutes < 1 || minutes > MAX_SNOOZE_MINUTES)
    return { problem: `Minutes must be from 1 to ${MAX_SNOOZE_MINUTES} (7 days); got ${minutes}.` };
  return { minutes };
}

export function actionRoutes(deps: DashboardDeps): Hono<DashboardEnv> {
  const routes = new Hono<DashboardEnv>();
  const realNow = deps.realNow ?? deps.now;
  const once = { store: deps.store, now: realNow };
  const guard = [signedIn(deps), checkedForm()] as const;
  const findTarget = async (id: string): Promise<Target | undefined> =>
    (await deps.inventory()).targets.find((t) => t.targetId === id);

  routes.post("/targets/:id{.+}/snooze", ...guard, async (c) => {
    const id = c.req.param("id");
    const target = await findTarget(id);
    if (!target) return unknownTargetPage(c, id);
    const reading = readMinutes(c.get("form").minutes);
    // Bad input claims nothing: the same form, corrected, runs.
    if ("problem" in reading) return refusalPage(c, 400, reading.problem, targetHref(id));
    return oncePerForm(c, once, async () => {
      const now = deps.now();
      const until = new Date(now.getTime() + reading.minutes * 60_000);
      const outcome = await snoozeTarget(deps.store, id, until, now, {
        requestKey: c.get("form")[FORM_KEY_FIELD] as string,
        via: "dashboard",
      });
      if (!outcome.ok)
        return {
          done: false,
          status: 409,
          reason: "The target's state changed at the same moment; try again.",
        };
      return { done: true, location: withQuery(targetHref(id), { done: "snoozed", entry: outcome.seq }) };
    });
  });

  routes.post("/targets/:id{.+}/renew", ...guard, async (c) => {
    const id = c.req.param("id");
    const target = await findTarget(id);
    if (!target) return unknownTargetPage(c, id);
    return oncePerForm(c, once, async () => {
      if (!deps.renewal)
        return {
          done: false,
          status: 409,
          reason:
            "Certificate renewal is not configured on this host (no vault key), so nothing can be renewed.",
        };
      const outcome = await forceRenewal(
        { store: deps.store, renewals: deps.renewals ?? [] },
        target,
        deps.now(),
        {
          requestedBy: "dashboard",
          requestKey: c.get("form")[FORM_KEY_FIELD] as string,
        },
      );
      if (!outcome.ok) return { done: false, status: 409, reason: outcome.message };
      return {
        done: true,
        location: withQuery(targetHref(id), {
          done: outcome.created ? "renewal" : "renewal-running",
          operation: outcome.operationId,
        }),
      };
    });
  });

  return routes;
}
