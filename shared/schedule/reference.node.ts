// Writes docs/reference/schedules.md: every field of the documents in schedules/ (schedules, resize
// rules, renewals, rates), rendered from the JSON Schema of the zod schemas the parser checks them with
// (document-kinds.ts names them): type, required or default, allowed values, and the description
// and examples each field declares in `.meta()`. A field without a description or an example
// stops the generator with a message naming it, so the reference stays complete; descriptions live
// in the schemas, never here. Run after changing a schema (reference.node.test.ts fails until then):
//   npx node shared/schedule/reference.node.ts
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import type * as z from "zod";
import { FromEvent } from "../rules/rule-schema.ts";
import {
  DEFAULT_DOCUMENT_KIND,
  DOCUMENT_KIND_NAMES,
  DOCUMENT_KINDS,
  type DocumentKind,
  jsonSchemaOf,
} from "./document-kinds.ts";
import { Selector } from "./schedule-schema.ts";

const ROOT = new URL("../../", import.meta.url);
export const REFERENCE_FILE = fileURLToPath(new URL("docs/reference/schedules.md", ROOT));
export const REGENERATE_REFERENCE = "npx node shared/schedule/reference.node.ts";
const SCHEDULES_DIR = new URL("schedules/", ROOT);
/** From docs/reference/ back to the repository's root, for links. */
const TO_ROOT = "../../";

/** Each kind's heading, and the file its schema is defined in (where a missing description goes). */
const KIND_SECTIONS: Record<DocumentKind, { title: string; source: string }> = {
  schedule: { title: "Schedule", source: "shared/schedule/schedule-schema.ts" },
  resize: { title: "Resize rule", source: "shared/rules/rule-schema.ts" },
  renewal: { title: "Renewal", source: "shared/renewal/renewal-schema.ts" },
  rates: { title: "Rates", source: "shared/savings/rates-schema.ts" },
};

/** Parts several fields share: rendered once in a section of their own, linked from each field. */
const SHARED_PARTS: readonly { title: string; schema: z.core.$ZodType; source: string }[] = [
  { title: "Target selector", schema: Selector, source: "shared/schedule/schedule-schema.ts" },
  { title: "Value from the event", schema: FromEvent, source: "shared/rules/rule-schema.ts" },
];

/** The JSON Schema keywords zod emits for these schemas. */
interface JsonSchema {
  /** zod writes a union of primitives as a list of types. */
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export interface ReferenceRow {
  /** `a.b`: key b inside a; `a[].b`: key b of each item of the list a. */
  field: string;
  type: string;
  /** "required", "required (with type: webhook)", "default `x`" or "optional". */
  presence: string;
  allowed: string;
  description: string;
  /** One or more `key: value` lines, YAML. */
  examples: string[];
}

interface Part {
  title: string;
  anchor: string;
  schema: JsonSchema;
  source: string;
}

interface Walk {
  /** The file a missing description or example should be added to. */
  source: string;
  parts: readonly Part[];
  problems: string[];
}

const ANNOTATIONS = new Set(["title", "description", "default", "examples"]);

/** JSON with sorted keys, so two schemas compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/** A schema without what a field says about it (its own description, default, examples). */
function shapeOf(node: JsonSchema): string {
  return canonical(Object.fromEntries(Object.entries(node).filter(([key]) => !ANNOTATIONS.has(key))));
}

function partOf(node: JsonSchema | undefined, walk: Walk): Part | undefined {
  if (!node) return undefined;
  const shape = shapeOf(node);
  return walk.parts.find((part) => shapeOf(part.schema) === shape);
}

const variantsOf = (node: JsonSchema) => node.anyOf ?? node.oneOf;

/** `[X, list of X]`: one value or a list of them. */
function oneOrList(node: JsonSchema): JsonSchema | undefined {
  const variants = variantsOf(node);
  if (variants?.length !== 2) return undefined;
  const [one, list] = variants as [JsonSchema, JsonSchema];
  return list.type === "array" && list.items && shapeOf(list.items) === shapeOf(one) ? one : undefined;
}

// A string stays plain in an example only when YAML (1.1 or 1.2) cannot read it as anything else.
const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const YAML_11_WORDS = /^(?:y|n|yes|no|on|off|true|false|null)$/i;
function scalar(text: string): string {
  return PLAIN.test(text) && !YAML_11_WORDS.test(text) ? text : JSON.stringify(text);
}

/** A value as YAML flow style, e.g. `[{ days: weekdays, at: "20:00" }]`. */
export function yamlFlow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlFlow).join(", ")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    return entries.length === 0
      ? "{}"
      : `{ ${entries.map(([key, item]) => `${scalar(key)}: ${yamlFlow(item)}`).join(", ")} }`;
  }
  return typeof value === "string" ? scalar(value) : String(value);
}

const code = (text: string) => `\`${text}\``;
const joinOr = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
const link = (part: Part) => `[${part.title.toLowerCase()}](#${part.anchor})`;

function typeOf(node: JsonSchema, walk: Walk): string {
  const part = partOf(node, walk);
  if (part) return link(part);
  if (node.const !== undefined) return typeof node.const;
  const one = oneOrList(node);
  if (one) return `${typeOf(one, walk)} or list of ${typeOf(one, walk)}`;
  const variants = variantsOf(node);
  if (variants) return joinOr([...new Set(variants.map((variant) => typeOf(variant, walk)))]);
  switch (node.type) {
    case "array":
      return `list of ${node.items ? typeOf(node.items, walk) : "values"}`;
    case "object":
      if (node.properties && Object.keys(node.properties).length > 0) return "object";
      if (typeof node.additionalProperties === "object")
        return `map of ${node.propertyNames ? typeOf(node.propertyNames, walk) : "string"} → ${typeOf(node.additionalProperties, walk)}`;
      return "empty object";
    case "string":
      return node.format === "uri" ? "URL" : "string";
    default:
      return Array.isArray(node.type) ? joinOr(node.type) : (node.type ?? "any value");
  }
}

function rangeOf(node: JsonSchema): string {
  const min = node.minimum !== undefined && node.minimum > Number.MIN_SAFE_INTEGER ? node.minimum : undefined;
  const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  return max !== undefined ? `at most ${max}` : "";
}

function allowedOf(node: JsonSchema, walk: Walk): string {
  if (partOf(node, walk)) return "";
  if (node.enum) return node.enum.map((value) => code(yamlFlow(value))).join(", ");
  if (node.const !== undefined) return code(yamlFlow(node.const));
  const one = oneOrList(node);
  if (one) return allowedOf(one, walk);
  const variants = variantsOf(node);
  if (variants)
    return variants
      .map((variant) =>
        variant.properties
          ? code(`{ ${Object.keys(variant.properties).join(", ")} }`)
          : allowedOf(variant, walk),
      )
      .filter((text) => text !== "")
      .join(", ");
  const facts: string[] = [];
  if (node.type === "array" && node.items) facts.push(allowedOf(node.items, walk));
  if (node.type === "array" && node.minItems)
    facts.push(`at least ${node.minItems} ${node.minItems === 1 ? "item" : "items"}`);
  if (node.type === "object" && node.propertyNames?.pattern)
    facts.push(`keys matching ${code(node.propertyNames.pattern)}`);
  if (node.type === "object" && typeof node.additionalProperties === "object")
    facts.push(allowedOf(node.additionalProperties, walk));
  if (node.pattern) facts.push(`matching ${code(node.pattern)}`);
  else if (node.minLength) facts.push("not empty");
  if (node.type === "integer" || node.type === "number") facts.push(rangeOf(node));
  return facts.filter((text) => text !== "").join("; ");
}

function presenceOf(node: JsonSchema, required: boolean, condition: string | undefined): string {
  if (required) return condition ? `required (${condition})` : "required";
  return "default" in node ? `default ${code(yamlFlow(node.default))}` : "optional";
}

function fieldRows(
  path: string,
  key: string,
  node: JsonSchema,
  required: boolean,
  walk: Walk,
  condition?: string,
): ReferenceRow[] {
  const missing = (what: string, meta: string) => {
    walk.problems.push(`${path}: no ${what}; add ${meta} to the field in ${walk.source}`);
    return "";
  };
  const row: ReferenceRow = {
    field: path,
    type: typeOf(node, walk),
    presence: presenceOf(node, required, condition),
    allowed: allowedOf(node, walk),
    description: node.description ?? missing("description", ".meta({ description })"),
    examples: node.examples?.length
      ? node.examples.map((example) => `${key}: ${yamlFlow(example)}`)
      : [missing("example", ".meta({ examples: [...] })")],
  };
  const shared = partOf(node, walk) ?? (node.type === "array" ? partOf(node.items, walk) : undefined);
  return shared ? [row] : [row, ...childRows(node, path, walk)];
}

function objectRows(node: JsonSchema, prefix: string, walk: Walk, condition?: string): ReferenceRow[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) =>
    fieldRows(
      prefix ? `${prefix}.${key}` : key,
      key,
      child,
      node.required?.includes(key) ?? false,
      walk,
      condition,
    ),
  );
}

/** The rows under a field: its object's keys, its list items' keys, or its variants' keys. */
function childRows(node: JsonSchema, path: string, walk: Walk): ReferenceRow[] {
  if (node.properties) return objectRows(node, path, walk);
  if (node.type === "array" && node.items && !partOf(node.items, walk))
    return childRows(node.items, `${path}[]`, walk);
  const variants = variantsOf(node);
  if (!variants) return [];
  const objects = variants.filter((variant) => variant.properties);
  // A key whose value is a constant in every variant says which variant a value is (`type: webhook`).
  const discriminator =
    objects.length === variants.length
      ? Object.keys(objects[0]?.properties ?? {}).find((key) =>
          objects.every((variant) => variant.properties?.[key]?.const !== undefined),
        )
      : undefined;
  if (!discriminator)
    return objects.flatMap((variant) =>
      objectRows(variant, path, walk, `in { ${Object.keys(variant.properties!).join(", ")} }`),
    );
  const tagged = objects.map((variant) => ({ variant, tag: variant.properties![discriminator]!.const }));
  const field = path ? `${path}.${discriminator}` : discriminator;
  return [
    {
      field,
      type: "string",
      presence: "required",
      allowed: tagged.map(({ tag }) => code(yamlFlow(tag))).join(", "),
      description: tagged
        .map(({ variant, tag }) => {
          if (!variant.description)
            walk.problems.push(
              `${field}: ${String(tag)}: no description; add .meta({ description }) to the variant in ${walk.source}`,
            );
          return `\`${yamlFlow(tag)}\`: ${variant.description ?? ""}`;
        })
        .join(" "),
      examples: tagged.map(({ tag }) => `${discriminator}: ${yamlFlow(tag)}`),
    },
    ...tagged.flatMap(({ variant, tag }) => {
      const { [discriminator]: _, ...rest } = variant.properties!;
      return objectRows(
        { ...variant, properties: rest },
        path,
        walk,
        `with ${discriminator}: ${yamlFlow(tag)}`,
      );
    }),
  ];
}

/** Markdown text (prose or a table cell): `<`, `*` and `|` mean nothing outside code spans. */
function markdownText(text: string): string {
  return text
    .split("`")
    .map((segment, index) =>
      index % 2 === 1
        ? segment.replaceAll("|", "\\|")
        : segment.replaceAll("<", "&lt;").replaceAll("*", "\\*").replaceAll("|", "\\|"),
    )
    .join("`");
}

function table(rows: readonly ReferenceRow[]): string[] {
  return [
    "| field | type | required / default | allowed values | description | example |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (row) =>
        `| ${[
          code(row.field),
          markdownText(row.type),
          markdownText(row.presence),
          markdownText(row.allowed),
          markdownText(row.description),
          row.examples.map((example) => markdownText(code(example))).join("<br>"),
        ].join(" | ")} |`,
    ),
  ];
}

function anchorOf(title: string): string {
  return title.toLowerCase().replaceAll(" ", "-");
}

/** The parts, as JSON Schema. */
function sharedParts(): Part[] {
  return SHARED_PARTS.map(({ title, schema, source }) => ({
    title,
    anchor: anchorOf(title),
    schema: jsonSchemaOf(schema) as JsonSchema,
    source,
  }));
}

/**
 * One document schema's rows, and what its fields lack ("path: no description; add … in <source>").
 * The shared parts are linked, not repeated.
 */
export function documentRows(
  schema: z.core.$ZodType,
  source: string,
): { rows: ReferenceRow[]; problems: string[] } {
  const problems: string[] = [];
  const rows = objectRows(jsonSchemaOf(schema) as JsonSchema, "", { source, parts: sharedParts(), problems });
  return { rows, problems };
}

/** Every kind's rows and every shared part's, and the fields that lack a description or an example. */
export function referenceRows(): {
  kinds: Record<DocumentKind, ReferenceRow[]>;
  parts: { part: Part; rows: ReferenceRow[] }[];
  problems: string[];
} {
  const parts = sharedParts();
  const problems: string[] = [];
  const kinds = Object.fromEntries(
    DOCUMENT_KIND_NAMES.map((kind) => {
      const found = documentRows(DOCUMENT_KINDS[kind].schema, KIND_SECTIONS[kind].source);
      problems.push(...found.problems);
      return [kind, found.rows];
    }),
  ) as Record<DocumentKind, ReferenceRow[]>;
  const partRows = parts.map((part) => ({
    part,
    rows: childRows(part.schema, "", {
      source: part.source,
      parts: parts.filter((other) => other !== part),
      problems,
    }),
  }));
  return { kinds, parts: partRows, problems };
}

/** The shipped example files that hold each kind of document. */
function exampleFiles(): Record<DocumentKind, string[]> {
  const files = Object.fromEntries(DOCUMENT_KIND_NAMES.map((kind) => [kind, [] as string[]])) as Record<
    DocumentKind,
    string[]
  >;
  const names = readdirSync(SCHEDULES_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
  for (const name of names) {
    const documents = parseAllDocuments(readFileSync(new URL(name, SCHEDULES_DIR), "utf8"));
    const kinds = new Set(
      (Array.isArray(documents) ? documents : []).map(
        (document) =>
          ((document.toJS() as { kind?: DocumentKind } | null)?.kind ??
            DEFAULT_DOCUMENT_KIND) as DocumentKind,
      ),
    );
    for (const kind of kinds) files[kind]?.push(name);
  }
  return files;
}

function kindLine(kind: DocumentKind): string {
  return kind === DEFAULT_DOCUMENT_KIND ? `no \`kind\`, or \`kind: ${kind}\`` : `\`kind: ${kind}\``;
}

/** The whole page. Throws when a field lacks a description or an example, naming each. */
export function renderReference(): string {
  const { kinds, parts, problems } = referenceRows();
  if (problems.length > 0)
    throw new Error(
      `the reference needs a description and an example for every field:\n  ${problems.join("\n  ")}`,
    );
  const examples = exampleFiles();
  const lines = [
    `<!-- Generated by shared/schedule/reference.node.ts from the zod schemas; do not edit. Regenerate: ${REGENERATE_REFERENCE} -->`,
    "",
    "# Reference: schedules, resize rules, renewals and rates",
    "",
    `Every field of the YAML documents in [\`schedules/\`](${TO_ROOT}schedules/README.md), generated from the schemas`,
    "the parser checks them with, so it says exactly what `npx nightshift validate` accepts. How the fields work",
    `together, with worked examples, is the guide: [\`schedules/FORMAT.md\`](${TO_ROOT}schedules/FORMAT.md). Editors get`,
    `the same schemas as [\`schedules/schedule.schema.json\`](${TO_ROOT}schedules/schedule.schema.json).`,
    "",
    "A file holds one or more documents separated by `---`; each document is one of:",
    "",
    ...DOCUMENT_KIND_NAMES.map(
      (kind) =>
        `- [${KIND_SECTIONS[kind].title}](#${anchorOf(KIND_SECTIONS[kind].title)}): ${kindLine(kind)}`,
    ),
    "",
    `Parts several fields share: ${parts.map(({ part }) => `[${part.title}](#${part.anchor})`).join(", ")}.`,
    "",
    "In the tables, `a.b` is the key `b` inside `a`, and `a[].b` the key `b` of each item of the list `a`.",
    "Keys not listed are refused. A field left out takes its default; `optional` means it may be left out.",
    "Rules that join several fields (e.g. `namespaces` only with `mode: workloads`) are in the descriptions,",
    "and `validate` reports each as `file:line: field: message`.",
  ];
  for (const kind of DOCUMENT_KIND_NAMES) {
    const schema = jsonSchemaOf(DOCUMENT_KINDS[kind].schema) as JsonSchema;
    const files = examples[kind];
    lines.push(
      "",
      `## ${KIND_SECTIONS[kind].title}`,
      "",
      `${markdownText(schema.description ?? "")} A document with ${kindLine(kind)}.`,
      ...(files.length > 0
        ? ["", `Examples: ${files.map((name) => `[\`${name}\`](${TO_ROOT}schedules/${name})`).join(", ")}.`]
        : []),
      "",
      ...table(kinds[kind]),
    );
  }
  for (const { part, rows } of parts) {
    lines.push("", `## ${part.title}`, "", markdownText(part.schema.description ?? ""), "", ...table(rows));
  }
  return `${lines.join("\n")}\n`;
}

export function writeReference(): void {
  mkdirSync(dirname(REFERENCE_FILE), { recursive: true });
  writeFileSync(REFERENCE_FILE, renderReference());
}

if (import.meta.main) {
  writeReference();
  process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
}
