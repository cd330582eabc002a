// `nightshift validate [dir]`: checks the schedules directory (default: schedules) the way the
// service loads it: schedules, resize rules, certificate renewals and rates. Valid: one summary line
// per schedule, rule, renewal and rates document on stdout, exit 0. Invalid: one
// `file:line: field: message` line per problem on stdout and nothing else there, exit 1. A missing
// directory or bad arguments: a message on stderr, exit 2. A builtin calendar that runs out within
// WARN_DAYS_AHEAD of `now`: a `file: warning: message` line on stderr, still exit 0.
import { formatMinutes, type Renewal } from "../shared/renewal/renewal-schema.ts";
import { describeRule } from "../shared/rules/describe.ts";
import { ratesSummary } from "../shared/savings/rates-schema.ts";
import { coverageWarnings } from "../shared/schedule/coverage.ts";
import { formatDays } from "../shared/schedule/days.ts";
import { loadSchedules, ScheduleDirectoryError } from "../shared/schedule/load.node.ts";
import { formatScheduleFileError } from "../shared/schedule/schedule-file.ts";
import type { Schedule, TargetSelector } from "../shared/schedule/types.ts";

export const VALIDATE_USAGE = `Usage: nightshift validate [dir]

Checks every schedule file (*.yaml, *.yml) directly in dir (default: schedules), the calendar
files they name, the resize rules (kind: resize), the certificate renewals (kind: renewal) and the
rates of the savings estimate (kind: rates). Prints one line per schedule, rule, renewal and rates
document, or one "file:line: field: message" line per problem
and exits 1. Warns (on stderr, exit 0) when a builtin calendar's official data ends within 60 days.`;

export interface ValidateOutput {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export async function runValidate(
  args: readonly string[],
  out: ValidateOutput,
  now: Date = new Date(),
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out.stdout(VALIDATE_USAGE);
    return 0;
  }
  const option = args.find((arg) => arg.startsWith("-"));
  if (option !== undefined || args.length > 1) {
    out.stderr(
      `nightshift validate: ${option !== undefined ? `unknown option ${option}` : "give one directory"}\n\n${VALIDATE_USAGE}`,
    );
    return 2;
  }
  const dir = args[0] ?? "schedules";
  let loaded: Awaited<ReturnType<typeof loadSchedules>>;
  try {
    loaded = await loadSchedules(dir);
  } catch (error) {
    if (!(error instanceof ScheduleDirectoryError)) throw error;
    out.stderr(`nightshift validate: ${error.message}`);
    return 2;
  }
  if ("errors" in loaded) {
    for (const error of loaded.errors) out.stdout(formatScheduleFileError(error));
    const files = new Set(loaded.errors.map((error) => error.file)).size;
    out.stderr(
      `nightshift validate: ${plural(loaded.errors.length, "problem")} in ${plural(files, "file")}; nothing was loaded`,
    );
    return 1;
  }
  if (
    loaded.schedules.length === 0 &&
    loaded.rules.length === 0 &&
    loaded.renewals.length === 0 &&
    loaded.rates.length === 0
  )
    out.stderr(`nightshift validate: no schedule files (*.yaml, *.yml) in ${dir}`);
  for (const schedule of loaded.schedules) out.stdout(summary(schedule));
  for (const rule of loaded.rules) out.stdout(`rule ${describeRule(rule)} (${rule.source})`);
  for (const renewal of loaded.renewals) out.stdout(renewalSummary(renewal));
  for (const rates of loaded.rates) out.stdout(ratesSummary(rates));
  const window = { from: now, to: now, now };
  for (const warning of coverageWarnings({ ...loaded, ...window }))
    out.stderr(`${warning.source}: warning: ${warning.message}`);
  return 0;
}

/** One line: what the renewal keeps fresh, how, and where it is declared. */
export function renewalSummary(renewal: Renewal): string {
  const before =
    "minutes" in renewal.renewBefore
      ? `${formatMinutes(renewal.renewBefore.minutes)} before the end`
      : `with ${Math.round(renewal.renewBefore.percentage * 10) / 10}% of the lifetime left`;
  const parts = [
    `${renewal.name}${renewal.enabled ? "" : " (disabled)"}: renewal` +
      (renewal.durationMinutes !== undefined ? ` for ${formatMinutes(renewal.durationMinutes)}` : "") +
      `, renewed ${before}`,
    `targets ${renewal.targets.map(selector).join(" | ")}`,
  ];
  if (renewal.window)
    parts.push(
      `window "${renewal.window.cron}" ${renewal.window.timezone}` +
        (renewal.window.durationMinutes > 1 ? ` for ${formatMinutes(renewal.window.durationMinutes)}` : ""),
    );
  parts.push(`sinks ${renewal.sinks.map((sink) => sink.type).join(", ")}`);
  return `${parts.join("; ")} (${renewal.source})`;
}

/** One line: what the schedule does, to whom, and where it is declared. */
export function summary(schedule: Schedule): string {
  const parts = [
    `${schedule.name}${schedule.enabled ? "" : " (disabled)"}: ${schedule.timezone}, ${schedule.mode}` +
      (schedule.enforce ? ", enforced" : ""),
    schedule.rules
      .map((rule) => `${rule.to === "asleep" ? "sleep" : "wake"} ${formatDays(rule.days)} ${rule.at}`)
      .join(", "),
    `targets ${schedule.targets.map(selector).join(" | ")}`,
  ];
  if (schedule.calendars.length > 0)
    parts.push(
      `calendars ${schedule.calendars.map((ref) => ref.builtin ?? ref.file).join(", ")} (holidays ${schedule.holidays})`,
    );
  if (schedule.exceptions.length > 0)
    parts.push(
      `exceptions ${schedule.exceptions.map((e) => `${e.state} ${e.from}${e.to === e.from ? "" : `..${e.to}`}`).join(", ")}`,
    );
  if (schedule.namespaces.length > 0) parts.push(`namespaces ${schedule.namespaces.join(",")}`);
  if (schedule.releaseNodes) parts.push("releases nodes");
  if (schedule.notice) parts.push(`notice ${schedule.notice.minutesBefore} min before`);
  return `${parts.join("; ")} (${schedule.source})`;
}

function selector(target: TargetSelector): string {
  const fields: string[] = [];
  for (const key of ["accounts", "regions", "clusterIds", "names", "providers"] as const) {
    const values = target[key];
    if (values) fields.push(`${key}=${values.join(",")}`);
  }
  if (target.tags) for (const [key, value] of Object.entries(target.tags)) fields.push(`tag ${key}=${value}`);
  return fields.join(" ");
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
