// A whole cluster's wake or sleep on demand (a rule's `wake` / `sleep`): the CI pipeline that
// wakes the QA cluster before the nightly end-to-end run and keeps it awake until 02:00. One step:
// find the schedule that owns the cluster, record the hold in the target's state (the schedule
// engine then holds its sleeps until the hold ends, and applies the schedule again after it), and
// hand the wake or sleep itself to the sleep/wake job (hand-over.ts), so snapshots, conflicts and
// the ledger are those of a scheduled night.
import { TransientError } from "../../shared/jobs/job-kind.ts";
import type { Hold } from "../../shared/rules/rule-schema.ts";
import { addDays, localToUtc, utcToLocal } from "../../shared/schedule/timezone.ts";
import type { Schedule } from "../../shared/schedule/types.ts";
import type { TargetState } from "../../shared/store/store.ts";
import { createSleepWake, owningSchedule } from "./hand-over.ts";
import { fail, finish, ledgerEntry, type ResizeContext, type ResizeStepResult } from "./step-context.ts";

const MINUTE = 60_000;

/** When the hold the rule asks for ends, from the event's acceptance; or why it cannot be held. */
export function holdEnd(
  hold: Hold,
  accepted: Date,
  schedule: Pick<Schedule, "timezone">,
  requested: string | undefined,
): { until: Date } | { invalid: string } {
  switch (hold.kind) {
    case "minutes":
      return { until: new Date(accepted.getTime() + hold.minutes * MINUTE) };
    case "until": {
      const timezone = hold.timezone ?? schedule.timezone;
      const today = utcToLocal(accepted, timezone).date;
      const at = localToUtc(today, hold.time, timezone).at;
      return { until: at > accepted ? at : localToUtc(addDays(today, 1), hold.time, timezone).at };
    }
    case "field": {
      const at = requested === undefined ? Number.NaN : Date.parse(requested);
      if (requested === undefined || Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(requested))
        return {
          invalid: `the event's data.${hold.path} must be an ISO 8601 time such as 2026-03-03T02:00:00+08:00 (got ${requested === undefined ? "nothing" : JSON.stringify(requested)})`,
        };
      return { until: new Date(Math.min(at, accepted.getTime() + hold.maxMinutes * MINUTE)) };
    }
  }
}

/** Writes the hold into the target's state (or, for a sleep, ends one), over the version read. */
async function writeHold(
  ctx: ResizeContext,
  change: (state: TargetState) => TargetState | undefined,
): Promise<void> {
  const { store } = ctx.env;
  for (let attempt = 0; attempt < 4; attempt++) {
    const current = await store.targets.get(ctx.op.target, ctx.now);
    const next = change(current?.value ?? {});
    if (!next) return;
    if ((await store.targets.put(ctx.op.target, next, current?.version ?? null, ctx.now)) !== undefined)
      return;
  }
  throw new TransientError(
    "conflict",
    `the state of ${ctx.op.target} kept changing while the hold was written; trying again`,
  );
}

export async function requestClusterAction(ctx: ResizeContext): Promise<ResizeStepResult> {
  const { input } = ctx;
  const action = input.rule.action;
  const direction = ctx.op.kind === "event-sleep" ? "sleep" : "wake";
  if (action.kind !== direction)
    return fail(ctx, {
      kind: "invalid",
      message: `rule ${input.rule.name}'s action is ${action.kind}, but the operation is an ${ctx.op.kind}; it must be recreated`,
    });
  const owner = await owningSchedule(ctx);
  if ("problem" in owner)
    return fail(ctx, { kind: "invalid", message: `cannot ${direction} it: ${owner.problem}` });
  const { schedule, cluster } = owner;

  const accepted = new Date(ctx.op.createdAt);
  const hold =
    action.kind === "wake" && action.hold
      ? holdEnd(action.hold, accepted, schedule, input.holdUntil)
      : undefined;
  if (hold && "invalid" in hold) return fail(ctx, { kind: "invalid", message: hold.invalid });
  const until = hold && hold.until > ctx.now ? hold.until : undefined;
  const holding = until ? `, held awake until ${until.toISOString()}` : "";

  if (input.rule.dryRun)
    return finish(ctx, [], {
      outcome: "skipped",
      decision: "dry-run",
      reason: `dry run: would ${direction} cluster ${cluster.name} as schedule ${schedule.name} does (mode ${schedule.mode})${holding}`,
    });

  const ledger = [];
  if (until) {
    await writeHold(ctx, (state) => ({
      ...state,
      heldAwake: {
        at: ctx.now.toISOString(),
        until: until.toISOString(),
        operationId: ctx.op.id,
        rule: input.rule.name,
      },
      updatedAt: ctx.now.toISOString(),
    }));
    ledger.push(
      ledgerEntry(ctx, "hold", {
        action: `hold awake until ${until.toISOString()}`,
        until: until.toISOString(),
      }),
    );
  } else if (direction === "sleep") {
    // Asked to sleep now: a hold an earlier event asked for is over.
    await writeHold(ctx, (state) => {
      if (!state.heldAwake) return undefined;
      const { heldAwake: _, ...rest } = state;
      return { ...rest, updatedAt: ctx.now.toISOString() };
    });
  }
  const created = await createSleepWake(ctx, direction, schedule, cluster);
  ledger.push(
    ledgerEntry(ctx, "requested", {
      action: `${direction} ${cluster.name} (operation ${created.id})`,
      operation: created.id,
      schedule: schedule.name,
      mode: schedule.mode,
    }),
  );
  return finish(ctx, ledger, {
    outcome: "succeeded",
    decision: direction,
    reason: `${direction} cluster ${cluster.name} as schedule ${schedule.name} does (mode ${schedule.mode})${holding}`,
    ...(until ? { after: { heldAwakeUntil: until.toISOString() } } : {}),
  });
}
