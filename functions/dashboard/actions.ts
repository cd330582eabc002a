// What a person does from a target's page, each a POST form (signed in, CSRF-checked, once per
// rendered form: form-once.ts) that lands in the ledger, answered with a 303 back to the target's
// page, which shows what was done (Post/Redirect/Get):
//   POST /targets/{id}/snooze   its sleeps wait `minutes` (functions/snooze.ts, as the API's)
//   POST /targets/{id}/renew    a forced certificate renewal (functions/renewal/force.ts)
//   POST /schedules/{name}/pause, /resume   the schedule's sleeps wait (shared/schedule/pause.ts);
//                               the form names the page to return to (`back`, a path of ours)
import { Hono } from "hono";
import type { Target } from "../../shared/providers/inventory.ts";
import { MAX_PAUSE_DAYS, pauseSchedule, resumeSchedule } from "../../shared/schedule/pause.ts";
import { forceRenewal } from "../renewal/force.ts";
import { MAX_SNOOZE_MINUTES, snoozeTarget } from "../snooze.ts";
import { checkedForm, refusalPage, safeNext, signedIn, unknownTargetPage } from "./auth.ts";
import type { DashboardDeps, DashboardEnv } from "./deps.ts";
import { FORM_KEY_FIELD, oncePerForm } from "./form-once.ts";
import { targetHref, withQuery } from "./layout.ts";

/** How long a pause lasts, as the form offers it; "" holds until resumed. */
export const PAUSE_DURATIONS: ReadonlyArray<{ value: string; label: string; hours?: number }> = [
  { value: "1h", label: "1 hour", hours: 1 },
  { value: "4h", label: "4 hours", hours: 4 },
  { value: "12h", label: "12 hours", hours: 12 },
  { value: "1d", label: "1 day", hours: 24 },
  { value: "3d", label: "3 days", hours: 72 },
  { value: "7d", label: "7 days", hours: 168 },
  { value: "30d", label: `${MAX_PAUSE_DAYS} days`, hours: MAX_PAUSE_DAYS * 24 },
  { value: "", label: "until resumed" },
];

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

  routes.post("/schedules/:name/pause", ...guard, async (c) => {
    const name = c.req.param("name");
    const form = c.get("form");
    const back = safeNext(form.back);
    const duration = PAUSE_DURATIONS.find((d) => d.value === (form.duration ?? ""));
    if (!duration)
      return refusalPage(
        c,
        400,
        `Duration "${form.duration}" is not one the form offers (${PAUSE_DURATIONS.map((d) => d.label).join(", ")}).`,
        back,
      );
    return oncePerForm(c, once, async () => {
      const now = deps.now();
      const outcome = await pauseSchedule(deps, name, {
        ...(duration.hours ? { until: new Date(now.getTime() + duration.hours * 3600_000) } : {}),
        ...(form.reason?.trim() ? { reason: form.reason } : {}),
        by: "dashboard",
        key: form[FORM_KEY_FIELD] as string,
        now,
      });
      if (!outcome.ok)
        return {
          done: false,
          status: outcome.status === 404 ? 422 : outcome.status,
          reason: outcome.message,
        };
      return { done: true, location: withQuery(back, { done: "paused", schedule: name }) };
    });
  });

  routes.post("/schedules/:name/resume", ...guard, async (c) => {
    const name = c.req.param("name");
    const form = c.get("form");
    const back = safeNext(form.back);
    return oncePerForm(c, once, async () => {
      const outcome = await resumeSchedule(deps, name, {
        by: "dashboard",
        key: form[FORM_KEY_FIELD] as string,
        now: deps.now(),
      });
      if (!outcome.ok)
        return {
          done: false,
          status: outcome.status === 404 ? 422 : outcome.status,
          reason: outcome.message,
        };
      return { done: true, location: withQuery(back, { done: "resumed", schedule: name }) };
    });
  });

  return routes;
}
