import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RenewalDocument } from "../renewal/renewal-schema.ts";
import { ResizeRuleDocument } from "../rules/rule-schema.ts";
import { RatesDocument } from "../savings/rates-schema.ts";
import { REGENERATE_JSON_SCHEMA, scheduleJsonSchema } from "./document-kinds.ts";
import { JSON_SCHEMA_FILE } from "./json-schema.node.ts";
import { ScheduleDocument } from "./schedule-schema.ts";

const SCHEDULES = new URL("../../schedules/", import.meta.url);

type Branch = {
  if: Record<string, unknown>;
  then: { properties: Record<string, unknown>; additionalProperties: unknown };
};

describe("schedules/schedule.schema.json", () => {
  it("is what the zod schemas generate (regenerate it when this fails)", () => {
    const committed = JSON.parse(readFileSync(JSON_SCHEMA_FILE, "utf8"));
    expect(
      committed,
      `schedules/schedule.schema.json is stale: run \`${REGENERATE_JSON_SCHEMA}\` and commit the result`,
    ).toEqual(scheduleJsonSchema());
  });

  it("knows exactly the keys the parser knows per kind, and refuses any other", () => {
    const schema = scheduleJsonSchema() as { allOf: Branch[]; $comment: string };
    const [schedule, rule, renewal, rates] = schema.allOf as [Branch, Branch, Branch, Branch];
    expect(Object.keys(schedule.then.properties).sort()).toEqual(Object.keys(ScheduleDocument.shape).sort());
    expect(schedule.if).toEqual({
      not: { properties: { kind: { enum: ["resize", "renewal", "rates"] } }, required: ["kind"] },
    });
    expect(Object.keys(rule.then.properties).sort()).toEqual(Object.keys(ResizeRuleDocument.shape).sort());
    expect(rule.if).toEqual({ properties: { kind: { const: "resize" } }, required: ["kind"] });
    expect(Object.keys(renewal.then.properties).sort()).toEqual(Object.keys(RenewalDocument.shape).sort());
    expect(renewal.if).toEqual({ properties: { kind: { const: "renewal" } }, required: ["kind"] });
    expect(Object.keys(rates.then.properties).sort()).toEqual(Object.keys(RatesDocument.shape).sort());
    expect(rates.if).toEqual({ properties: { kind: { const: "rates" } }, required: ["kind"] });
    for (const branch of [schedule, rule, renewal, rates])
      expect(branch.then.additionalProperties).toBe(false);
    expect(schema.$comment).toContain(REGENERATE_JSON_SCHEMA);
  });

  it("is named by every example file, so editors check and complete them", () => {
    const examples = readdirSync(SCHEDULES).filter((name) => /\.ya?ml$/.test(name));
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const name of examples) {
      const firstLine = readFileSync(new URL(name, SCHEDULES), "utf8").split("\n")[0];
      expect(firstLine, name).toBe("# yaml-language-server: $schema=./schedule.schema.json");
    }
  });
});
