// The kinds of YAML document a file in schedules/ holds, told apart by their top-level `kind:`
// (none: a schedule). One entry per kind: its schema (for the parser's errors and the JSON Schema
// editors use) and what it is, for messages. schedule-file.ts compiles each kind.
import * as z from "zod";
import { RenewalDocument } from "../renewal/renewal-schema.ts";
import { ResizeRuleDocument } from "../rules/rule-schema.ts";
import { RatesDocument } from "../savings/rates-schema.ts";
import { ScheduleDocument } from "./schedule-schema.ts";

export const DOCUMENT_KINDS = {
  schedule: { schema: ScheduleDocument, what: "a schedule (name, timezone, targets, sleep/wake)" },
  resize: { schema: ResizeRuleDocument, what: "a resize rule (kind: resize, name, match, action)" },
  renewal: {
    schema: RenewalDocument,
    what: "a certificate renewal (kind: renewal, name, targets, duration, sinks)",
  },
  rates: {
    schema: RatesDocument,
    what: "hourly rates for the savings estimate (kind: rates, name, currency, targets, cluster and/or pools)",
  },
} as const;

export type DocumentKind = keyof typeof DOCUMENT_KINDS;
export const DOCUMENT_KIND_NAMES = Object.keys(DOCUMENT_KINDS) as DocumentKind[];
/** A document without `kind:` is this kind. */
export const DEFAULT_DOCUMENT_KIND: DocumentKind = "schedule";

export const REGENERATE_JSON_SCHEMA = "npx node shared/schedule/json-schema.node.ts";

/** One schema's JSON Schema, input form (defaults are optional), without `$schema`. */
export function jsonSchemaOf(schema: z.core.$ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", target: "draft-7" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** JSON Schema's `if`/`then`: documents that satisfy `condition` must satisfy `schema`. */
function branch(condition: Record<string, unknown>, schema: z.core.$ZodType): Record<string, unknown> {
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
  return { if: condition, then: jsonSchemaOf(schema) };
}

/**
 * The JSON Schema editors use (yaml-language-server): the input form, with defaults. One branch per
 * kind, chosen by `kind` (draft-7 if/then), so an editor checks each document against its own kind.
 */
export function scheduleJsonSchema(): Record<string, unknown> {
  const others = DOCUMENT_KIND_NAMES.filter((kind) => kind !== DEFAULT_DOCUMENT_KIND);
  const kindIs = (kinds: readonly string[]) => ({
    properties: { kind: kinds.length === 1 ? { const: kinds[0] } : { enum: kinds } },
    required: ["kind"],
  });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $comment: `Generated from shared/schedule/schedule-schema.ts, shared/rules/rule-schema.ts, shared/renewal/renewal-schema.ts and shared/savings/rates-schema.ts; do not edit. Regenerate: ${REGENERATE_JSON_SCHEMA}`,
    title: "nightshift schedules, rules, renewals and rates",
    description:
      "A document in schedules/: a sleep/wake schedule (no kind, or kind: schedule), a resize rule (kind: resize), a certificate renewal (kind: renewal) or the rates of the savings estimate (kind: rates).",
    type: "object",
    allOf: [
      branch({ not: kindIs(others) }, DOCUMENT_KINDS[DEFAULT_DOCUMENT_KIND].schema),
      ...others.map((kind) => branch(kindIs([kind]), DOCUMENT_KINDS[kind].schema)),
    ],
  };
}
