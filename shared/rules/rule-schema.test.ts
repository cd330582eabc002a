import { describe, expect, it } from "vitest";
import { formatScheduleFileError, parseScheduleFile } from "../schedule/schedule-file.ts";
import type { ResizeRule } from "./rule-schema.ts";

const FILE = "schedules/rules.yaml";

const RULE = `kind: resize
name: grow-runners
match:
  source: alertmanager
  type: KubePodsPending
  labels: { namespace: "qa-*" }
target:
  account: prod-hw
  cluster: { label: cluster_id }
action: { add: 2 }
max: 10
revert: true
`;

function parsed(text: string) {
  const result = parseScheduleFile(text, FILE);
  if ("errors" in result) throw new Error(result.errors.map(formatScheduleFileError).join("\n"));
  return result;
}

function errorsOf(text: string): string[] {
  const result = parseScheduleFile(text, FILE);
  if (!("errors" in result)) throw new Error(`expected errors, got ${JSON.stringify(result)}`);
  return result.errors.map(formatScheduleFileError);
}

describe("resize rules in schedules/ (kind: resize)", () => {
  it("compiles a rule, filling defaults and taking left-out target fields from the event", () => {
    const { rules, schedules } = parsed(RULE);
    expect(schedules).toEqual([]);
    expect(rules).toEqual<ResizeRule[]>([
      {
        name: "grow-runners",
        source: FILE,
        enabled: true,
        match: {
          sources: ["alertmanager"],
          types: ["KubePodsPending"],
          status: "firing",
          labels: { namespace: "qa-*" },
          data: {},
        },
        target: {
          provider: { from: "event", name: "provider" },
          account: { from: "rule", value: "prod-hw" },
          region: { from: "event", name: "region" },
          cluster: { from: "label", name: "cluster_id" },
          pool: { from: "event", name: "pool" },
        },
        action: { kind: "add", value: 2 },
        max: 10,
        cooldownMinutes: 5,
        hysteresis: { minutes: 0, nodes: 0 },
        revert: true,
        allowWake: false,
        releaseNodes: false,
        dryRun: false,
      },
    ]);
  });

  it("reads schedules and rules from one file, each by its kind", () => {
    const schedule = `kind: schedule
name: qa
timezone: Asia/Shanghai
targets: [{ tags: { env: qa } }]
sleep: [{ days: weekdays, at: "20:00" }]
`;
    const { rules, schedules } = parsed(`${schedule}---\n${RULE}`);
    expect(schedules.map((s) => s.name)).toEqual(["qa"]);
    expect(rules.map((r) => r.name)).toEqual(["grow-runners"]);
  });

  it("compiles every action form", () => {
    const action = (text: string) =>
      parsed(RULE.replace("action: { add: 2 }", `action: ${text}`)).rules[0]!.action;
    expect(action("{ set: 4 }")).toEqual({ kind: "set", value: 4 });
    expect(action("{ percent: 50 }")).toEqual({ kind: "percent", value: 50, minStep: 1 });
    expect(action("{ percent: -25, minStep: 2 }")).toEqual({ kind: "percent", value: -25, minStep: 2 });
    const cluster = (text: string) =>
      parsed(RULE.replace("action: { add: 2 }", `action: ${text}`).replace("max: 10\nrevert: true\n", ""))
        .rules[0]!.action;
    expect(cluster("wake")).toEqual({ kind: "wake" });
    expect(cluster("sleep")).toEqual({ kind: "sleep" });
    expect(cluster("{ wake: { hold: { minutes: 90 } } }")).toEqual({
      kind: "wake",
      hold: { kind: "minutes", minutes: 90 },
    });
    expect(cluster('{ wake: { hold: { until: "02:00", timezone: Asia/Shanghai } } }')).toEqual({
      kind: "wake",
      hold: { kind: "until", time: "02:00", timezone: "Asia/Shanghai" },
    });
    expect(cluster("{ wake: { hold: { field: until } } }")).toEqual({
      kind: "wake",
      hold: { kind: "field", path: "until", maxMinutes: 1440 },
    });
  });

  it("names the file, line, field and fix for every problem", () => {
    expect(errorsOf(RULE.replace("action: { add: 2 }", "action: { ad: 2 }"))).toEqual([
      `${FILE}:10: action: action must be one of { set: N }, { add: N }, { percent: P, minStep: N }, wake, { wake: { hold: … } } or sleep`,
    ]);
    expect(errorsOf(RULE.replace("max: 10", "max: 10\nmin: 12"))).toEqual([
      `${FILE}:11: max: max (10) is below min (12); max must be at least min`,
    ]);
    expect(errorsOf(RULE.replace("  source: alertmanager", "  source: pagerduty"))).toEqual([
      `${FILE}:4: match.source: source: "pagerduty" is not an event source; use alertmanager, events, eventbridge`,
    ]);
    expect(errorsOf(RULE.replace("revert: true", "revert: true\ncooldownMinute: 5"))).toEqual([
      `${FILE}:13: cooldownMinute: unknown key "cooldownMinute"; did you mean "cooldownMinutes"?`,
    ]);
    expect(errorsOf(RULE.replace("match:\n", "match:\n  status: resolved\n"))).toEqual([
      `${FILE}:13: revert: revert puts the pool back when the alert resolves, so it needs match.status: firing (this rule acts on resolved events)`,
    ]);
    expect(errorsOf(RULE.replace("action: { add: 2 }", "action: wake"))).toEqual([
      `${FILE}:11: max: max only applies to pool actions (set, add, percent); a cluster wake acts on the whole cluster`,
      `${FILE}:12: revert: revert only applies to pool actions (set, add, percent); a cluster wake acts on the whole cluster`,
    ]);
    expect(
      errorsOf(
        RULE.replace(
          "action: { add: 2 }",
          'action: { wake: { hold: { minutes: 5, until: "02:00" } } }',
        ).replace("max: 10\nrevert: true\n", ""),
      ),
    ).toEqual([
      `${FILE}:10: action.wake.hold: hold needs exactly one of minutes, until (with timezone) or field`,
    ]);
  });

  it("refuses an unknown kind, suggesting the closest", () => {
    expect(errorsOf(RULE.replace("kind: resize", "kind: resise"))).toEqual([
      `${FILE}:1: kind: "resise" is not a kind of document; did you mean "resize"? use schedule for a schedule (name, timezone, targets, sleep/wake), resize for a resize rule (kind: resize, name, match, action), renewal for a certificate renewal (kind: renewal, name, targets, duration, sinks), rates for hourly rates for the savings estimate (kind: rates, name, currency, targets, cluster and/or pools) (or leave kind out for a schedule)`,
    ]);
  });

  it("refuses two rules of one name", () => {
    expect(errorsOf(`${RULE}---\n${RULE}`)).toEqual([
      `${FILE}:15: name: the name "grow-runners" is already used by the rule in ${FILE}:2; rule names must be unique, rename one of them`,
    ]);
  });
});
