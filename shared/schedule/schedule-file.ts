// Schedule files: YAML text → Schedule[] (and the resize rules, documents with `kind: resize`:
// shared/rules/rule-schema.ts, and the certificate renewals, `kind: renewal`:
// shared/renewal/renewal-schema.ts), or every problem found, each with the file, line, column, field
// and a message that says what is wrong and how to fix it. Runtime-neutral (no file system):
// load.node.ts reads the directory; callers pass checks that need more than the text as options.
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type ParsedNode,
  parseAllDocuments,
  type YAMLError,
} from "yaml";
import type * as z from "zod";
import { compileRenewal, type Renewal, RenewalDocument } from "../renewal/renewal-schema.ts";
import { compileRule, type ResizeRule, ResizeRuleDocument } from "../rules/rule-schema.ts";
import { compileRates, type Rates, RatesDocument } from "../savings/rates-schema.ts";
import { closest } from "./closest.ts";
import { expandDays } from "./days.ts";
import { DOCUMENT_KIND_NAMES, DOCUMENT_KINDS, type DocumentKind } from "./document-kinds.ts";
import { ScheduleDocument, type ScheduleDocumentOutput } from "./schedule-schema.ts";
import type { CalendarRef, Schedule, TargetSelector, TransitionRule } from "./types.ts";
import { yamlValue } from "./yaml-value.ts";

export interface ScheduleFileError {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Dotted path to the offending value, e.g. "sleep[1].at"; "" for the document as a whole. */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

export type ScheduleFileResult =
  | { schedules: Schedule[]; rules: ResizeRule[]; renewals: Renewal[]; rates: Rates[] }
  | { errors: ScheduleFileError[] };

export interface ScheduleFileOptions {
  /** The shipped calendars' names; when given, `builtin:` must be one of them. */
  builtinCalendars?: readonly string[];
  /** Checks a `file:` calendar reference (relative to the schedules directory): a problem, or undefined. */
  checkCalendarFile?: (file: string) => string | undefined;
}

/** A parsed schedule and where its name was declared (for "names must be unique" across files). */
export interface LocatedSchedule {
  schedule: Schedule;
  name: { line: number; column: number };
}

/** A parsed renewal declaration and where its name was declared. */
export interface LocatedRenewal {
  renewal: Renewal;
  name: { line: number; column: number };
}

/** A parsed rates document and where its name was declared. */
export interface LocatedRates {
  rates: Rates;
  name: { line: number; column: number };
}

/** A parsed resize rule and where its name was declared. */
export interface LocatedRule {
  rule: ResizeRule;
  name: { line: number; column: number };
}

export function formatScheduleFileError(error: ScheduleFileError): string {
  return `${error.file}:${error.line}: ${error.field ? `${error.field}: ` : ""}${error.message}`;
}

export function parseScheduleFile(
  text: string,
  source: string,
  options: ScheduleFileOptions = {},
): ScheduleFileResult {
  const result = parseScheduleDocuments(text, source, options);
  return "errors" in result
    ? result
    : {
        schedules: result.schedules.map((located) => located.schedule),
        rules: result.rules.map((located) => located.rule),
        renewals: result.renewals.map((located) => located.renewal),
        rates: result.rates.map((located) => located.rates),
      };
}

/** Like parseScheduleFile, keeping where each schedule's (and rule's) name is. */
export function parseScheduleDocuments(
  text: string,
  source: string,
  options: ScheduleFileOptions = {},
):
  | { schedules: LocatedSchedule[]; rules: LocatedRule[]; renewals: LocatedRenewal[]; rates: LocatedRates[] }
  | { errors: ScheduleFileError[] } {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: 20:00 and 2026-12-01 stay strings, yes/no are not booleans.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, version: "1.2" });
  const errors: ScheduleFileError[] = [];
  const schedules: LocatedSchedule[] = [];
  const rules: LocatedRule[] = [];
  const renewals: LocatedRenewal[] = [];
  const rates: LocatedRates[] = [];
  const at = (offset: number, field: string, message: string): ScheduleFileError => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: source, line, column: col, field, message };
  };

  for (const document of Array.isArray(documents) ? documents : []) {
    if (document.errors.length > 0) {
      errors.push(...document.errors.map((error) => syntaxError(error, at)));
      continue;
    }
    // An empty document, e.g. after a trailing `---`.
    if (document.contents === null || (isScalar(document.contents) && document.contents.value === null))
      continue;
    const located = parseDocument(document, source, options, at);
    if ("errors" in located) errors.push(...located.errors);
    else if ("rates" in located) {
      const earlier = rates.find((r) => r.rates.name === located.rates.name);
      if (earlier)
        errors.push({
          file: source,
          ...located.name,
          field: "name",
          message: duplicateRatesMessage(located.rates.name, `${source}:${earlier.name.line}`),
        });
      else rates.push(located);
    } else if ("rule" in located) {
      const earlier = rules.find((r) => r.rule.name === located.rule.name);
      if (earlier)
        errors.push({
          file: source,
          ...located.name,
          field: "name",
          message: duplicateRuleMessage(located.rule.name, `${source}:${earlier.name.line}`),
        });
      else rules.push(located);
    } else {
      // Schedules and renewals share one namespace: both name what the API and the ledger show per target.
      const name = "schedule" in located ? located.schedule.name : located.renewal.name;
      const earlier = [...schedules, ...renewals].find(
        (other) => ("schedule" in other ? other.schedule.name : other.renewal.name) === name,
      );
      if (earlier)
        errors.push({
          file: source,
          ...located.name,
          field: "name",
          message: duplicateNameMessage(name, `${source}:${earlier.name.line}`),
        });
      else if ("schedule" in located) schedules.push(located);
      else renewals.push(located);
    }
  }
  if (
    errors.length === 0 &&
    schedules.length === 0 &&
    rules.length === 0 &&
    renewals.length === 0 &&
    rates.length === 0
  )
    errors.push({
      file: source,
      line: 1,
      column: 1,
      field: "",
      message:
        "this file holds no schedule; add one (name, timezone, targets, sleep/wake; see the examples in schedules/) or delete the file",
    });
  if (errors.length > 0) return { errors: errors.sort((a, b) => a.line - b.line || a.column - b.column) };
  return { schedules, rules, renewals, rates };
}

export function duplicateNameMessage(name: string, earlier: string): string {
  return `the name "${name}" is already used by the schedule in ${earlier}; schedule names must be unique, rename one of them`;
}

export function duplicateRatesMessage(name: string, earlier: string): string {
  return `the name "${name}" is already used by the rates in ${earlier}; rates names must be unique, rename one of them`;
}

export function duplicateRuleMessage(name: string, earlier: string): string {
  return `the name "${name}" is already used by the rule in ${earlier}; rule names must be unique, rename one of them`;
}

type At = (offset: number, field: string, message: string) => ScheduleFileError;

function syntaxError(error: YAMLError, at: At): ScheduleFileError {
  // The parser's message ends with the line and column; the error carries them separately.
  const message = error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, "");
  return at(error.pos[0], "", `not valid YAML: ${message}`);
}

function parseDocument(
  document: Document.Parsed,
  source: string,
  options: ScheduleFileOptions,
  at: At,
): LocatedSchedule | LocatedRule | LocatedRenewal | LocatedRates | { errors: ScheduleFileError[] } {
  const contents = document.contents;
  const root = contents?.range[0] ?? 0;
  if (!isMap(contents))
    return {
      errors: [
        at(
          root,
          "",
          "a schedule is a YAML mapping (name: …, timezone: …, targets: …); this document is not one",
        ),
      ],
    };
  const plain = yamlValue(document);
  if (!plain.ok) return { errors: [at(plain.offset, "", plain.message)] };
  const js = plain.value as Record<string, unknown>;
  const kind = js.kind ?? "schedule";
  if (typeof kind !== "string" || !Object.hasOwn(DOCUMENT_KINDS, kind)) {
    const suggestion = typeof kind === "string" ? closest(kind, DOCUMENT_KIND_NAMES) : undefined;
    return {
      errors: [
        at(
          nodeAt(document, ["kind"])?.range?.[0] ?? root,
          "kind",
          `${JSON.stringify(kind)} is not a kind of document; ${suggestion ? `did you mean "${suggestion}"? ` : ""}` +
            `use ${DOCUMENT_KIND_NAMES.map((k) => `${k} for ${DOCUMENT_KINDS[k].what}`).join(", ")} ` +
            "(or leave kind out for a schedule)",
        ),
      ],
    };
  }
  const { schema } = DOCUMENT_KINDS[kind as DocumentKind];
  const namePosition = () => {
    const { line, column } = at(nodeAt(document, ["name"])?.range?.[0] ?? root, "", "");
    return { line, column };
  };
  if (kind === "resize") {
    const rule = ResizeRuleDocument.safeParse(js);
    if (!rule.success)
      return { errors: rule.error.issues.flatMap((issue) => issueErrors(document, issue, at, root, schema)) };
    return { rule: compileRule(rule.data, source), name: namePosition() };
  }
  if (kind === "renewal") {
    const renewal = RenewalDocument.safeParse(js);
    if (!renewal.success)
      return {
        errors: renewal.error.issues.flatMap((issue) => issueErrors(document, issue, at, root, schema)),
      };
    return { renewal: compileRenewal(renewal.data, source), name: namePosition() };
  }
  if (kind === "rates") {
    const parsed = RatesDocument.safeParse(js);
    if (!parsed.success)
      return {
        errors: parsed.error.issues.flatMap((issue) => issueErrors(document, issue, at, root, schema)),
      };
    return { rates: compileRates(parsed.data, source), name: namePosition() };
  }
  const parsed = ScheduleDocument.safeParse(js);
  if (!parsed.success)
    return { errors: parsed.error.issues.flatMap((issue) => issueErrors(document, issue, at, root, schema)) };

  const value = parsed.data;
  const errors: ScheduleFileError[] = [];
  const fieldAt = (path: (string | number)[], message: string) =>
    at(nodeAt(document, path)?.range?.[0] ?? root, fieldName(path), message);
  value.calendars.forEach((ref, index) => {
    if (
      ref.builtin !== undefined &&
      options.builtinCalendars &&
      !options.builtinCalendars.includes(ref.builtin)
    ) {
      const suggestion = closest(ref.builtin, options.builtinCalendars);
      errors.push(
        fieldAt(
          ["calendars", index, "builtin"],
          `"${ref.builtin}" is not a shipped calendar; ${suggestion ? `did you mean "${suggestion}"? ` : ""}` +
            `the shipped calendars are: ${options.builtinCalendars.join(", ")} (or use file: calendars/<name>.yaml)`,
        ),
      );
    }
    const problem = ref.file !== undefined ? options.checkCalendarFile?.(ref.file) : undefined;
    if (problem) errors.push(fieldAt(["calendars", index, "file"], problem));
  });
  if (errors.length > 0) return { errors };
  return { schedule: compile(value, source), name: namePosition() };
}

/** One zod issue → the errors it stands for, each at the line of the node it is about. */
function issueErrors(
  document: Document.Parsed,
  issue: z.core.$ZodIssue,
  at: At,
  root: number,
  schema: z.core.$ZodType,
): ScheduleFileError[] {
  const path = issue.path.filter((key) => typeof key !== "symbol") as (string | number)[];
  if (issue.code === "unrecognized_keys") {
    const map = nodeAt(document, path);
    return issue.keys.map((key) => {
      const pair = isMap(map)
        ? map.items.find((item) => isScalar(item.key) && String(item.key.value) === key)
        : undefined;
      const offset = (isScalar(pair?.key) ? pair.key.range?.[0] : undefined) ?? map?.range?.[0] ?? root;
      return at(offset, fieldName([...path, key]), unknownKeyMessage(key, knownKeys(schema, path), path[0]));
    });
  }
  // A missing key has no node: point at the nearest enclosing one (the mapping that lacks it).
  for (let depth = path.length; depth >= 0; depth--) {
    const node = nodeAt(document, path.slice(0, depth));
    if (node?.range) return [at(node.range[0], fieldName(path), issue.message)];
  }
  return [at(root, fieldName(path), issue.message)];
}

function nodeAt(document: Document.Parsed, path: (string | number)[]): Node | undefined {
  if (path.length === 0) return document.contents ?? undefined;
  const node = document.getIn(path, true);
  return isMap(node) || isSeq(node) || isScalar(node) ? (node as ParsedNode) : undefined;
}

/** "sleep[1].at", "targets[0].tags.env", 'targets[0].tags["nightshift/sleep"]'. */
export function fieldName(path: readonly (string | number)[]): string {
  let name = "";
  for (const key of path) {
    if (typeof key === "number") name += `[${key}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(key)) name += name ? `.${key}` : key;
    else name += `[${JSON.stringify(key)}]`;
  }
  return name;
}

// Keys people reach for when they try to put credentials in a file; they belong in the environment.
const CREDENTIAL_KEY = /secret|password|passwd|token|accesskey|apikey|credential|privatekey|^(ak|sk)$/;

function unknownKeyMessage(
  key: string,
  known: readonly string[],
  within: string | number | undefined,
): string {
  const inNotice = within === "notice";
  const credential = CREDENTIAL_KEY.test(key.toLowerCase().replace(/[^a-z]/g, ""));
  if (credential && inNotice)
    return (
      `"${key}" looks like a credential, and credentials never go in schedule files: the notice's signing ` +
      "secret comes from the environment (see Configuration in README.md); here give only minutesBefore and webhookUrl"
    );
  if (credential && within === "sinks")
    return (
      `"${key}" looks like a credential, and credentials never go in schedule files: give the webhook's signing ` +
      "secret in an environment variable and name it with secretRef, e.g. secretRef: NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET"
    );
  if (credential)
    return (
      `"${key}" looks like a credential, and credentials never go in schedule files: configure the account in the ` +
      "environment (NIGHTSHIFT_ACCOUNT_<NAME>_ACCESS_KEY_ID, NIGHTSHIFT_ACCOUNT_<NAME>_SECRET_ACCESS_KEY; " +
      "wrangler secret put on Workers) and refer to it here by id in targets[].accounts"
    );
  const suggestion = closest(key, known);
  if (suggestion) return `unknown key "${key}"; did you mean "${suggestion}"?`;
  return `unknown key "${key}"; the keys allowed here are: ${known.join(", ")}`;
}

/** The keys the schema allows in the mapping at `path` (through lists, optionals and defaults). */
function knownKeys(root: z.core.$ZodType, path: readonly (string | number)[]): string[] {
  let schema: z.core.$ZodType | undefined = root;
  for (const key of [...path, undefined]) {
    // Unwrap to the next object (or stop at the end of the path).
    for (let guard = 0; schema && guard < 10; guard++) {
      const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
      if (def.type === "object") break;
      if (def.type === "optional" || def.type === "default" || def.type === "nullable")
        schema = def.innerType as z.core.$ZodType;
      else if (def.type === "pipe") schema = def.in as z.core.$ZodType;
      else if (def.type === "array" && typeof key === "number") {
        schema = def.element as z.core.$ZodType;
        break;
      } else if (def.type === "union" && key === undefined)
        // A union of objects (renewal sinks): every option's keys.
        return [...new Set((def.options as z.core.$ZodType[]).flatMap((option) => knownKeys(option, [])))];
      else return [];
    }
    if (key === undefined || typeof key === "number") continue;
    const shape: Record<string, z.core.$ZodType> | undefined = (
      schema?._zod.def as { shape?: Record<string, z.core.$ZodType> } | undefined
    )?.shape;
    schema = shape?.[key];
  }
  const shape = (schema?._zod.def as { shape?: Record<string, z.core.$ZodType> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function compile(value: ScheduleDocumentOutput, source: string): Schedule {
  const rules: TransitionRule[] = [
    ...(value.rules ?? []).map((rule) => ({ to: rule.to, days: expandDays(rule.days), at: rule.at })),
    ...(value.sleep ?? []).map((rule) => ({
      to: "asleep" as const,
      days: expandDays(rule.days),
      at: rule.at,
    })),
    ...(value.wake ?? []).map((rule) => ({ to: "awake" as const, days: expandDays(rule.days), at: rule.at })),
  ];
  const targets: TargetSelector[] = value.targets.map((selector) => ({ ...selector }));
  const calendars: CalendarRef[] = value.calendars.map((ref) =>
    ref.builtin !== undefined ? { builtin: ref.builtin } : { file: ref.file! },
  );
  return {
    name: value.name,
    source,
    enabled: value.enabled,
    timezone: value.timezone,
    mode: value.mode,
    enforce: value.enforce,
    targets,
    rules,
    calendars,
    holidays: value.holidays ?? (calendars.length > 0 ? "asleep" : "ignore"),
    makeupDayAs: value.makeupDayAs,
    exceptions: value.exceptions.map((exception) => ({ ...exception })),
    graceMinutes: value.graceMinutes,
    minDwellMinutes: value.minDwellMinutes,
    ...(value.notice ? { notice: { ...value.notice } } : {}),
    releaseNodes: value.releaseNodes,
    namespaces: value.namespaces ?? [],
  };
}
