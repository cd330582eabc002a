import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { JSON_SCHEMA_FILE } from "./json-schema.node.ts";
import { REGENERATE_JSON_SCHEMA, ScheduleDocument, scheduleJsonSchema } from "./schedule-schema.ts";

const SCHEDULES = new URL("../../schedules/", import.meta.url);

describe("schedules/schedule.schema.json", () => {
  it("is what the zod schema generates (regenerate it when this fails)", () => {
    const committed = JSON.parse(readFileSync(JSON_SCHEMA_FILE, "utf8"));
    expect(
      committed,
      `schedules/schedule.schema.json is stale: run \`${REGENERATE_JSON_SCHEMA}\` and commit the result`,
    ).toEqual(scheduleJsonSchema());
  });

  it("knows exactly the keys the parser knows, and refuses any other", () => {
    const schema = scheduleJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
      $comment: string;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ScheduleDocument.shape).sort());
    expect(schema.additionalProperties).toBe(false);
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
