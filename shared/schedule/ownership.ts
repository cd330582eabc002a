// Which schedule owns a target: the one rule the tick, the notices, the admin API and
// `nightshift plan` all ask, so they never disagree. A target is owned by the ONE enabled schedule
// whose selectors match it. Matched by several enabled schedules, it is owned by none and nothing
// acts on it (no sleep, no wake, no notice) until the selectors are made exclusive: nightshift
// refuses to guess which rules win. Disabled schedules (the kill switch) claim nothing.
import { compileScheduleIndex, type SelectableTarget } from "./plan.ts";
import type { Schedule } from "./types.ts";

type Owned = Pick<Schedule, "name" | "enabled" | "targets">;

export type Ownership<S extends Owned = Schedule> =
  | { status: "owned"; schedule: S }
  /** No schedule's selectors match the target. */
  | { status: "unmatched" }
  /** Several enabled schedules match it: none owns it. `schedules` in the order given. */
  | { status: "several-schedules"; schedules: S[]; message: string }
  /** Only disabled schedules match it. */
  | { status: "disabled"; schedules: S[]; message: string };

/** Why no schedule owns a target that schedules match, as answers (API, CLI) show it. */
export interface NotOwned {
  status: "several-schedules" | "disabled";
  schedules: string[];
  message: string;
}

/** Ownership as answers show it: schedule names, and why no schedule owns the target. */
export type OwnershipView = { status: "owned"; schedule: string } | { status: "unmatched" } | NotOwned;

const names = (schedules: readonly Owned[]) => schedules.map((s) => s.name).join(", ");

/**
 * Compiles the schedules' selectors once (compileScheduleIndex); the returned function answers a
 * target's ownership with a lookup, not a scan of every selector.
 */
export function compileOwnership<S extends Owned>(
  schedules: readonly S[],
): (target: SelectableTarget) => Ownership<S> {
  const select = compileScheduleIndex(schedules);
  return (target) => {
    const matched = select(target).map((index) => schedules[index]!);
    const enabled = matched.filter((s) => s.enabled);
    if (enabled.length === 1) return { status: "owned", schedule: enabled[0]! };
    if (enabled.length > 1) {
      return {
        status: "several-schedules",
        schedules: enabled,
        message: `matched by ${names(enabled)}; make the selectors exclusive (or disable all but one)`,
      };
    }
    if (matched.length > 0) {
      return {
        status: "disabled",
        schedules: matched,
        message: `matched only by disabled schedule${matched.length > 1 ? "s" : ""} ${names(matched)} (enabled: false)`,
      };
    }
    return { status: "unmatched" };
  };
}

/** One target's ownership (compileOwnership for many targets). */
export function ownershipOf<S extends Owned>(
  target: SelectableTarget,
  schedules: readonly S[],
): Ownership<S> {
  return compileOwnership(schedules)(target);
}

/** The reason a matched target has no owner; undefined when it has one or nothing matches it. */
export function whyNotOwned(ownership: Ownership<Owned>): NotOwned | undefined {
  if (ownership.status === "owned" || ownership.status === "unmatched") return undefined;
  return {
    status: ownership.status,
    schedules: ownership.schedules.map((s) => s.name),
    message: ownership.message,
  };
}

export function viewOwnership(ownership: Ownership<Owned>): OwnershipView {
  if (ownership.status === "owned") return { status: "owned", schedule: ownership.schedule.name };
  return whyNotOwned(ownership) ?? { status: "unmatched" };
}
