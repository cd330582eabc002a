import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import * as z from "zod";
import { DOCUMENT_KIND_NAMES, DOCUMENT_KINDS } from "./document-kinds.ts";
import {
  documentRows,
  REFERENCE_FILE,
  REGENERATE_REFERENCE,
  referenceRows,
  renderReference,
  yamlFlow,
} from "./reference.node.ts";

/** Every schema inside `schema` (object keys, list items, union options, wrapped schemas). */
function* schemasIn(schema: z.core.$ZodType, seen = new Set<z.core.$ZodType>()): Generator<z.core.$ZodType> {
  if (seen.has(schema)) return;
  seen.add(schema);
  yield schema;
  const def = schema._zod.def as unknown as Record<string, unknown>;
  const children = [
    ...Object.values((def.shape as Record<string, z.core.$ZodType> | undefined) ?? {}),
    ...((def.options as z.core.$ZodType[] | undefined) ?? []),
    ...["element", "innerType", "keyType", "valueType", "in", "out"].map((key) => def[key]),
  ].filter(
    (child): child is z.core.$ZodType => typeof child === "object" && child !== null && "_zod" in child,
  );
  for (const child of children) yield* schemasIn(child, seen);
}

describe("docs/reference/schedules.md", () => {
  it("is what the zod schemas generate (regenerate it when this fails)", () => {
    expect(
      readFileSync(REFERENCE_FILE, "utf8"),
      `docs/reference/schedules.md is stale: run \`${REGENERATE_REFERENCE}\` and commit the result`,
    ).toBe(renderReference());
  });

  it("has a row, a description and an example for every key of every kind", () => {
    const { kinds, problems } = referenceRows();
    expect(problems).toEqual([]);
    for (const kind of DOCUMENT_KIND_NAMES) {
      const fields = kinds[kind].map((row) => row.field);
      expect(fields, kind).toEqual(expect.arrayContaining(Object.keys(DOCUMENT_KINDS[kind].schema.shape)));
      for (const row of kinds[kind]) {
        expect(row.description, `${kind} ${row.field}`).not.toBe("");
        expect(row.examples.length, `${kind} ${row.field}`).toBeGreaterThan(0);
      }
    }
    const page = renderReference();
    for (const heading of ["## Schedule", "## Resize rule", "## Renewal", "## Rates", "## Target selector"])
      expect(page).toContain(`\n${heading}\n`);
  });

  it("shows each example as YAML that reads back as the value the schema declares, and that it accepts", () => {
    let checked = 0;
    for (const kind of DOCUMENT_KIND_NAMES) {
      for (const schema of schemasIn(DOCUMENT_KINDS[kind].schema)) {
        for (const example of (z.globalRegistry.get(schema)?.examples as unknown[] | undefined) ?? []) {
          const parsed = z.safeParse(schema, example);
          expect(parsed.success, `${kind}: ${JSON.stringify(example)}: ${parsed.error?.message}`).toBe(true);
          expect(parse(`key: ${yamlFlow(example)}`), yamlFlow(example)).toEqual({ key: example });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it("quotes what YAML would read as something other than the string", () => {
    expect(
      yamlFlow({ at: "20:00", from: "2026-12-24", on: "yes", name: "qa-*", plain: "Asia/Shanghai" }),
    ).toBe('{ at: "20:00", from: "2026-12-24", "on": "yes", name: "qa-*", plain: Asia/Shanghai }');
  });

  it("names a field without a description or an example, and the file to add it in", () => {
    const schema = z.strictObject({
      kind: z.literal("probe").meta({ description: "A probe.", examples: ["probe"] }),
      window: z.strictObject({ cron: z.string().meta({ description: "When." }) }).meta({ examples: [{}] }),
    });
    expect(documentRows(schema, "shared/probe.ts").problems).toEqual([
      "window: no description; add .meta({ description }) to the field in shared/probe.ts",
      "window.cron: no example; add .meta({ examples: [...] }) to the field in shared/probe.ts",
    ]);
  });
});
