// What the inbound parsers share: the result they return, zod issues turned into lines that name
// the field as the sender wrote it (`alerts[0].fingerprint: ...`), and the time format the sources use.
import * as z from "zod";
import type { InboundEvent } from "../inbound.ts";

/** Events in the shape the resize function takes, or why the body was refused (the first field wrong). */
export type InboundParse =
  | { ok: true; events: InboundEvent[] }
  | {
      ok: false;
      /** The first field found wrong, e.g. `alerts[0].fingerprint` (`body` for the whole body). */
      field: string;
      /** `<field>: <what is wrong and what is expected>`. */
      message: string;
      /** Every problem found, one line each (at most MAX_ISSUES). */
      issues: string[];
    };

const MAX_ISSUES = 10;

/** `alerts[0].labels.alertname`, `detail-type`, or `body` for the root. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "body";
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}

// Messages that say what was expected and what came instead; the rest keep zod's wording.
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return `is required (${issue.expected})`;
    return `must be ${issue.expected === "array" || issue.expected === "object" ? "an" : "a"} ${issue.expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === "invalid_value") {
    const allowed = issue.values.map((v) => JSON.stringify(v)).join(" or ");
    return `must be ${allowed}, got ${describeValue(issue.input)}`;
  }
  return undefined;
};

/** Parses with the messages above; a failure becomes the refusal the routes answer 400 with. */
export function parseWith<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | Extract<InboundParse, { ok: false }> {
  const parsed = schema.safeParse(body, { error: errorMap });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, MAX_ISSUES)
    .map((issue) => `${fieldPath(issue.path)}: ${issue.message}`);
  const first = parsed.error.issues[0]!;
  return { ok: false, field: fieldPath(first.path), message: issues[0]!, issues };
}

export function refused(field: string, problem: string): Extract<InboundParse, { ok: false }> {
  const message = `${field}: ${problem}`;
  return { ok: false, field, message, issues: [message] };
}

// RFC 3339 as Go (Alertmanager) and AWS write it: fractional seconds of any length, Z or an offset.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** An RFC 3339 time; read it with `instant`. */
export const rfc3339 = z
  .string()
  .refine(
    (text) => RFC3339.test(text) && !Number.isNaN(Date.parse(text)),
    "must be an RFC 3339 time, e.g. 2026-11-22T20:00:00Z",
  );

/** The RFC 3339 time as ISO 8601 in UTC, to the millisecond. */
export const instant = (text: string): string => new Date(text).toISOString();

/** Label and annotation sets: names to string values. */
export const stringMap = z.record(z.string(), z.string());
