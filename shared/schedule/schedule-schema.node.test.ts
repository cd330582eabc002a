import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RenewalDocument } from "../renewal/renewal-schema.ts";
import { documentJsonSchema, JSON_SCHEMA_FILE } from "./json-schema.node.ts";
import { REGENERATE_JSON_SCHEMA, ScheduleDocument } from "./schedule-schema.ts";

const SCHEDULES = new URL("../../schedules/", import.meta.url);

describe("schedules/schedule.schema.json", () => {
  it("is what the zod schema generates (regenerate it when this fails)", () => {
    const committed = JSON.parse(readFileSync(JSON_SCHEMA_FILE, "utf8"));
    expect(
      committed,
      `schedules/schedule.schema.json is stale: run \`${REGENERATE_JSON_SCHEMA}\` and commit the result`,
    ).toEqual(documentJsonSchema());
  });

  it("knows exactly the keys the parser knows for each kind of document, and refuses any other", () => {
    type Branch = { properties: Record<string, unknown>; additionalProperties: unknown; required?: string[] };
    const schema = documentJsonSchema() as { anyOf: Branch[]; $comment: string };
    expect(schema.anyOf).toHaveLength(2);
    const [schedule, renewal] = schema.anyOf as [Branch, Branch];
    expect(Object.keys(schedule.properties).sort()).toEqual(Object.keys(ScheduleDocument.shape).sort());
    expect(Object.keys(renewal.properties).sort()).toEqual(Object.keys(RenewalDocument.shape).sort());
    for (const branch of [schedule, renewal]) expect(branch.additionalProperties).toBe(false);
    // A renewal must say so; a schedule may leave kind out.
    expect(renewal.required).toContain("kind");
    expect(schedule.required ?? []).not.toContain("kind");
    expect(schema.$comment).toContain(REGENERATE_JSON_SCHEMA);
  });

  it("is named by every example schedule, so editors check and complete them", () => {
    const examples = readdirSync(SCHEDULES).filter((name) => /\.ya?ml$/.test(name));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const name of examples) {
      const firstLine = readFileSync(new URL(name, SCHEDULES), "utf8").split("\n")[0];
      expect(firstLine, name).toBe("# yaml-language-server: $schema=./schedule.schema.json");
    }
  });
});
