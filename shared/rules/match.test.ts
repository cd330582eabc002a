import { describe, expect, it } from "vitest";
import type { InboundEvent } from "../events/inbound.ts";
import { parseScheduleFile } from "../schedule/schedule-file.ts";
import { judgeRule, judgeRules } from "./match.ts";
import type { ResizeRule } from "./rule-schema.ts";

const rule = (yaml: string): ResizeRule => {
  const parsed = parseScheduleFile(`kind: resize\nname: r\n${yaml}`, "schedules/r.yaml");
  if ("errors" in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.rules[0]!;
};
const alert = (extra: Partial<InboundEvent> = {}): InboundEvent => ({
  source: "alertmanager",
  id: "1",
  type: "KubePodsPending",
  status: "firing",
  labels: { namespace: "e2e-web", account: "hw", cluster: "c1", pool: "runners" },
  data: {},
  occurredAt: "2026-03-02T10:00:00Z",
  origin: {},
  ...extra,
});

describe("judgeRule", () => {
  it("matches on type and label globs, taking the target from the labels", () => {
    const r = rule('match: { type: "KubePods*", labels: { namespace: "e2e-*" } }\naction: { add: 1 }');
    expect(judgeRule(r, alert())).toEqual({
      rule: r,
      matched: true,
      intent: "act",
      target: { account: "hw", clusterId: "c1", targetId: "hw/c1", pool: "runners" },
    });
    expect(judgeRule(r, alert({ labels: { namespace: "prod" } }))).toMatchObject({
      matched: false,
      reason: 'label namespace="prod" does not match "e2e-*"',
    });
  });

  it("matches data fields and takes the target from them (signed events, EventBridge)", () => {
    const r = rule(
      "match: { source: [events, eventbridge], data: { action: grow, size.big: true } }\ntarget: { cluster: { field: where.cluster }, account: hw, pool: batch }\naction: { set: 4 }",
    );
    const event = alert({
      source: "eventbridge",
      labels: {},
      data: { action: "grow", size: { big: true }, where: { cluster: "c9" } },
    });
    expect(judgeRule(r, event)).toMatchObject({
      matched: true,
      target: { targetId: "hw/c9", pool: "batch" },
    });
    expect(judgeRule(r, { ...event, data: { action: "grow", size: { big: false } } })).toMatchObject({
      matched: false,
      reason: "data field size.big=false does not match true",
    });
  });

  it("a resolved alert matches a firing rule only to revert it", () => {
    const plain = rule("match: { type: KubePodsPending }\naction: { add: 1 }");
    const reverting = rule("match: { type: KubePodsPending }\naction: { add: 1 }\nrevert: true");
    const resolved = alert({ status: "resolved" });
    expect(judgeRule(plain, resolved)).toMatchObject({ matched: false });
    expect(judgeRule(reverting, resolved)).toMatchObject({ matched: true, intent: "revert" });
    const onResolve = rule("match: { type: KubePodsPending, status: resolved }\naction: { add: -1 }");
    expect(judgeRule(onResolve, resolved)).toMatchObject({ matched: true, intent: "act" });
    expect(judgeRule(onResolve, alert())).toMatchObject({ matched: false });
  });

  it("says which target field is missing, and refuses values that are no ids", () => {
    const r = rule("match: { type: KubePodsPending }\naction: { add: 1 }");
    expect(judgeRule(r, alert({ labels: { account: "hw" } }))).toMatchObject({
      matched: true,
      missing:
        "the event does not name the target's cluster (label or data field cluster), pool (label or data field pool)",
    });
    expect(judgeRule(r, alert({ labels: { account: "hw", cluster: "a/b", pool: "p" } }))).toMatchObject({
      missing: expect.stringContaining('has "/" or control characters'),
    });
  });

  it("a disabled rule matches nothing; every rule gets a verdict", () => {
    const off = rule("enabled: false\nmatch: {}\naction: wake");
    const on = rule("match: {}\naction: wake");
    expect(judgeRules([off, on], alert()).map((v) => v.matched)).toEqual([false, true]);
  });
});
