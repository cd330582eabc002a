// `nightshift plan` and `nightshift tick`, on the same runtime the service uses (so with no
// account configured, against the built-in sandbox).
import { parseArgs } from "node:util";
import type { Target } from "../shared/providers/inventory.ts";
import { coverageWarnings } from "../shared/schedule/coverage.ts";
import { calendarsFor } from "../shared/schedule/engine.ts";
import { compileOwnership, type NotOwned, whyNotOwned } from "../shared/schedule/ownership.ts";
import { deferredByPause, pauseView, readPauses } from "../shared/schedule/pause.ts";
import { planTransitions } from "../shared/schedule/plan.ts";
import type { Schedule } from "../shared/schedule/types.ts";
import { loadCliConfig, type Out, openCliRuntime } from "./cli-runtime.node.ts";
import { configuredLogger } from "./compose.ts";
import { parseInstant } from "./instant.ts";
import { runTick } from "./tick.ts";

const DAY_MS = 24 * 3600 * 1000;

export const PLAN_USAGE = `Usage: nightshift plan [--from T] [--to T] [--json]
       nightshift tick [--at T] [--dry-run]

  T is an ISO-8601 time with an offset, e.g. 2026-11-23T20:00:00+08:00 or 2026-11-23T12:00Z.
  plan shows the transitions after --from up to --to (default: the next 7 days); tick runs one
  tick as if at T (default: now).`;

function instant(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = parseInstant(value);
  if (!parsed)
    throw new UsageError(
      `--${name} must be an ISO-8601 time with an offset, e.g. 2026-11-23T20:00:00+08:00 or 2026-11-23T12:00:00Z (got "${value}")`,
    );
  return parsed;
}

class UsageError extends Error {}

export async function runPlanOrTick(
  verb: "plan" | "tick",
  args: readonly string[],
  out: Out,
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out.stdout(PLAN_USAGE);
    return 0;
  }
  let values: { from?: string; to?: string; at?: string; json?: boolean; "dry-run"?: boolean };
  try {
    values = parseArgs({
      args: [...args],
      options: {
        from: { type: "string" },
        to: { type: "string" },
        at: { type: "string" },
        json: { type: "boolean" },
        "dry-run": { type: "boolean" },
      },
      strict: true,
    }).values;
  } catch (error) {
    out.stderr(`nightshift ${verb}: ${(error as Error).message}\n\n${PLAN_USAGE}`);
    return 2;
  }

  const config = loadCliConfig(out);
  if (!config) return 1;
  // Log lines go to stderr: stdout is the plan or the tick report.
  const log = configuredLogger(config, {
    ...(verb === "plan" ? { level: "warn" as const } : {}),
    write: out.stderr,
  });

  let at: Date | undefined;
  let from: Date | undefined;
  let to: Date | undefined;
  try {
    at = instant("at", values.at);
    from = instant("from", values.from);
    to = instant("to", values.to);
  } catch (error) {
    out.stderr(`nightshift ${verb}: ${(error as Error).message}`);
    return 2;
  }

  // The built-in sandbox, when used, starts at the requested time and holds still.
  const runtime = await openCliRuntime(config, log, out, { sandboxStart: at ?? from ?? new Date() });
  if (!runtime) return 1;

  try {
    if (verb === "tick") {
      const report = await runTick({
        now: at ?? runtime.cloudNow(),
        trigger: "cli",
        deps: runtime.tickDeps,
        dryRun: values["dry-run"] ?? false,
      });
      out.stdout(JSON.stringify(report, null, 2));
      return report.errors.length > 0 ? 1 : 0;
    }

    const start = from ?? runtime.cloudNow();
    const end = to ?? new Date(start.getTime() + 7 * DAY_MS);
    if (end <= start) {
      out.stderr("nightshift plan: --to must be after --from");
      return 2;
    }
    const inventory = await runtime.inventory.get();
    const pauses = await readPauses(runtime.tickDeps.store, runtime.cloudNow());
    const rows: Array<{
      target: string;
      name: string;
      schedule: string;
      action: string;
      local: string;
      utc: string;
      deferred?: { reason: "paused"; until: string | null };
    }> = [];
    // Each target under the schedule that owns it; a target no schedule owns, though some match it,
    // is listed as skipped with the reason (the tick does not act on it either).
    const ownershipOf = compileOwnership(runtime.schedules);
    const owned = new Map<Schedule, Target[]>();
    const skipped: Array<{ target: string; name: string } & NotOwned> = [];
    for (const target of inventory.targets) {
      const ownership = ownershipOf(target);
      const why = whyNotOwned(ownership);
      if (ownership.status === "owned") {
        owned.set(ownership.schedule, [...(owned.get(ownership.schedule) ?? []), target]);
      } else if (why) skipped.push({ target: target.targetId, name: target.name, ...why });
    }
    for (const [schedule, targets] of owned) {
      for (const t of planTransitions(schedule, calendarsFor(schedule, runtime.calendars), {
        from: start,
        to: end,
      })) {
        // A sleep the schedule's pause holds (shared/schedule/pause.ts) waits for the pause's end.
        const { deferred } = deferredByPause(pauses.get(schedule.name), t);
        const held = deferred ? ` [paused until ${deferred.until ?? "resumed"}]` : "";
        for (const target of targets) {
          rows.push({
            target: target.targetId,
            name: target.name,
            schedule: schedule.name,
            action: t.to === "asleep" ? "sleep" : "wake",
            local: `${t.local.date} ${t.local.time} ${t.local.timezone}${t.dst ? ` (${t.dst} by DST)` : ""}${t.cause !== "rule" ? ` [${t.cause}]` : ""}${held}`,
            utc: t.at.toISOString(),
            ...(deferred ? { deferred } : {}),
          });
        }
      }
    }
    rows.sort((a, b) => (a.utc < b.utc ? -1 : a.utc > b.utc ? 1 : a.target < b.target ? -1 : 1));
    const warnings = coverageWarnings({
      schedules: runtime.schedules.filter((s) => s.enabled),
      calendars: runtime.calendars,
      from: start,
      to: end,
      now: runtime.cloudNow(),
    });
    for (const warning of warnings) out.stderr(`${warning.source}: warning: ${warning.message}`);
    if (values.json) {
      const json = { from: start.toISOString(), to: end.toISOString(), transitions: rows, skipped, warnings };
      out.stdout(JSON.stringify(json, null, 2));
      return 0;
    }
    out.stdout(`Transitions from ${start.toISOString()} to ${end.toISOString()} (${rows.length})`);
    type Column = Exclude<keyof (typeof rows)[number], "deferred">;
    const width = (key: Column) => Math.max(key.length, ...rows.map((r) => r[key].length));
    const columns: Column[] = ["utc", "local", "action", "schedule", "name", "target"];
    const widths = columns.map(width);
    out.stdout(
      columns
        .map((c, i) => c.toUpperCase().padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
    for (const row of rows)
      out.stdout(
        columns
          .map((c, i) => row[c].padEnd(widths[i]!))
          .join("  ")
          .trimEnd(),
      );
    for (const skip of skipped) out.stdout(`skipped ${skip.target} (${skip.name}): ${skip.message}`);
    for (const schedule of runtime.schedules) {
      const pause = pauseView(pauses.get(schedule.name), runtime.cloudNow());
      if (pause)
        out.stdout(
          `paused ${schedule.name} since ${pause.since} until ${pause.until ?? "resumed"} (by ${pause.by}${pause.reason ? `: ${pause.reason}` : ""}); its sleeps wait, its wakes happen`,
        );
    }
    return 0;
  } finally {
    await runtime.close();
  }
}
