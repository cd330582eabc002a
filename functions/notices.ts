// The optional pre-action notice: `notice.minutesBefore` ahead of a planned sleep, each target of
// the schedule gets one Standard-Webhooks-signed POST (once per slot, across ticks and replicas,
// through an idempotency claim), carrying signed, expiring links to snooze or postpone it.
import { type ActionLinkAction, createActionLink } from "../shared/events/links.ts";
import { type NoticeFetch, sendNotice } from "../shared/events/notices.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { Target } from "../shared/providers/inventory.ts";
import { calendarsFor } from "../shared/schedule/engine.ts";
import { compileOwnership } from "../shared/schedule/ownership.ts";
import { pauseHolds } from "../shared/schedule/pause.ts";
import { nextTransition } from "../shared/schedule/plan.ts";
import { MINUTES_PER_DAY } from "../shared/schedule/schedule-schema.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import type { SchedulePause, Store } from "../shared/store/store.ts";

/** How long past the planned sleep each link holds it off. */
export const LINK_HOLDS: Record<ActionLinkAction, number> = { snooze: 60, postpone: 180 };
/**
 * The furthest ahead a link's expiry (the end of its hold) can lie: a notice goes out at most a day
 * before the sleep (minutesBefore's maximum) and holds past it by at most the longest hold.
 */
export const MAX_LINK_AHEAD_MINUTES = MINUTES_PER_DAY + Math.max(...Object.values(LINK_HOLDS));

export interface NoticeSettings {
  /** `whsec_...` secrets signing the notices (two during a rotation). */
  secrets: readonly string[];
  /** Signs the action links; links are left out without it. */
  linkSecret?: string;
  /** Where the links point (the service's public address). */
  publicUrl?: string;
}

export interface NoticeDeps {
  store: Store;
  log: Logger;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  targets: readonly Target[];
  /** The schedules' pauses (shared/schedule/pause.ts): no notice of a sleep a pause holds. */
  pauses?: ReadonlyMap<string, SchedulePause>;
  settings?: NoticeSettings;
  fetch: NoticeFetch;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

const DAY_MS = 24 * 3600 * 1000;

export async function sendDueNotices(deps: NoticeDeps, now: Date): Promise<{ sent: number; failed: number }> {
  const result = { sent: 0, failed: 0 };
  const withNotice = deps.schedules.filter((s) => s.enabled && s.notice);
  if (withNotice.length === 0) return result;
  if (!deps.settings || deps.settings.secrets.length === 0) {
    deps.log.warn(
      "schedules ask for pre-action notices but NIGHTSHIFT_NOTICE_SECRETS is not set; no notice is sent",
      {
        schedules: withNotice.map((s) => s.name),
      },
    );
    return result;
  }
  const settings = deps.settings;
  const ownershipOf = compileOwnership(deps.schedules);

  for (const schedule of withNotice) {
    const notice = schedule.notice!;
    const next = nextTransition(schedule, calendarsFor(schedule, deps.calendars), now);
    if (!next || next.to !== "asleep") continue;
    if (next.at.getTime() - now.getTime() > notice.minutesBefore * 60_000) continue;
    if (pauseHolds(deps.pauses?.get(schedule.name), next.at)) continue;
    // Only the schedule's own targets: a target matched by two schedules is not acted on at all.
    const targets = deps.targets.filter((t) => {
      const ownership = ownershipOf(t);
      return ownership.status === "owned" && ownership.schedule === schedule;
    });
    for (const target of targets) {
      const key = `notice:${next.slot}@${target.targetId}`;
      const claim = await deps.store.idempotency.claim(key, {
        fingerprint: "notice",
        leaseMs: 5 * 60_000,
        ttlMs: 2 * DAY_MS,
        now,
      });
      if (claim.outcome !== "claimed") continue;
      const links: Record<string, string> = {};
      if (settings.linkSecret && settings.publicUrl) {
        for (const action of ["snooze", "postpone"] as const) {
          links[action] = await createActionLink({
            baseUrl: settings.publicUrl,
            action,
            target: target.targetId,
            minutes: LINK_HOLDS[action],
            // A link holds the sleep until its own expiry: the planned time plus the hold.
            expiresAt: new Date(next.at.getTime() + LINK_HOLDS[action] * 60_000),
            secret: settings.linkSecret,
            slot: next.slot,
          });
        }
      }
      const outcome = await sendNotice({
        url: notice.webhookUrl,
        secrets: settings.secrets,
        id: key,
        body: {
          type: "nightshift.notice",
          action: "sleep",
          target: target.targetId,
          cluster: target.name,
          provider: target.provider,
          schedule: schedule.name,
          at: next.at.toISOString(),
          local: `${next.local.date} ${next.local.time} ${next.local.timezone}`,
          links,
        },
        now: () => now,
        fetch: deps.fetch,
        sleep: deps.sleep,
        random: deps.random,
        log: deps.log,
      });
      if (outcome.delivered) {
        result.sent++;
        // Before the claim completes, keyed by the notice's id: a process that dies after sending
        // leaves the claim to lapse, the notice is sent again (the receiver sees the same id) and
        // this entry is not repeated. The claim is another record: it cannot share this write.
        await deps.store.ledger.append({
          at: now,
          operationId: key,
          target: target.targetId,
          kind: "sleep.notice",
          detail: { schedule: schedule.name, sleepAt: next.at.toISOString() },
          key,
        });
        await deps.store.idempotency.complete(key, {
          token: claim.token,
          result: "sent",
          ttlMs: 2 * DAY_MS,
          now,
        });
      } else {
        result.failed++;
        // Released, so the next tick tries again while the sleep is still ahead.
        await deps.store.idempotency.release(key, { token: claim.token, now });
        deps.log.warn("pre-action notice not delivered", {
          target: target.targetId,
          schedule: schedule.name,
          error: outcome.error,
        });
      }
    }
  }
  return result;
}
