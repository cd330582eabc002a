// Writes schedules/schedule.schema.json (the JSON Schema editors use) from the zod schema, formatted
// the way `biome check` expects. Run after changing schedule-schema.ts or shared/rules/rule-schema.ts:
//   npx node shared/schedule/json-schema.node.ts
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { scheduleJsonSchema } from "./document-kinds.ts";

const ROOT = new URL("../../", import.meta.url);
export const JSON_SCHEMA_FILE = fileURLToPath(new URL("schedules/schedule.schema.json", ROOT));

export function writeScheduleJsonSchema(): void {
  writeFileSync(JSON_SCHEMA_FILE, `${JSON.stringify(scheduleJsonSchema(), null, 2)}\n`);
  execFileSync(
    fileURLToPath(new URL("node_modules/.bin/biome", ROOT)),
    ["format", "--write", JSON_SCHEMA_FILE],
    {
      stdio: "ignore",
    },
  );
}

if (import.meta.main) {
  writeScheduleJsonSchema();
  process.stdout.write(`wrote ${JSON_SCHEMA_FILE}\n`);
}
