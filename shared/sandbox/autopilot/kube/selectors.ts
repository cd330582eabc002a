// The `labelSelector` and `fieldSelector` query parameters of a Kubernetes list, as the API server
// parses them (k8s.io/apimachinery labels.Parse and fields.ParseSelector):
//
//   labelSelector: requirements joined by commas, each one of
//     key=value  key==value  key!=value  key in (v1,v2)  key notin (v1,v2)  key  !key  key>n  key<n
//   fieldSelector: metadata.name and metadata.namespace with =, == or != (the fields every
//     resource supports; Deployments and StatefulSets add none).
//
// A selector that does not parse is a SelectorError; the API answers it 400 BadRequest.

export class SelectorError extends Error {}

type Operator = "=" | "!=" | "in" | "notin" | "exists" | "!exists" | "gt" | "lt";

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) {
    throw new SelectorError(`invalid label key "${key}": the prefix must be a DNS subdomain`);
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    throw new SelectorError(
      `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function checkValue(value: string): void {
  if (value !== "" && (value.length > 63 || !NAME.test(value))) {
    throw new SelectorError(
      `invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

/** Splits on commas that are not inside a parenthesised value set. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0) throw new SelectorError(`unable to parse requirement: unbalanced ")" in "${text}"`);
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (depth !== 0) throw new SelectorError(`unable to parse requirement: unclosed "(" in "${text}"`);
  parts.push(current);
  return parts;
}

function parseRequirement(raw: string): Requirement {
  const text = raw.trim();
  if (text === "") throw new SelectorError("unable to parse requirement: found '', expected: identifier");
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set) {
    const values = set[3]!.split(",").map((v) => v.trim());
    checkKey(set[1]!);
    values.forEach(checkValue);
    return { key: set[1]!, operator: set[2] as "in" | "notin", values };
  }
  const compare = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(text);
  if (compare) {
    const [, key, op, value] = compare as unknown as [string, string, string, string];
    checkKey(key);
    if (op === ">" || op === "<") {
      if (!/^-?\d+$/.test(value)) {
        throw new SelectorError(`unable to parse requirement: for '${op}', '${value}' is not an integer`);
      }
      return { key, operator: op === ">" ? "gt" : "lt", values: [value] };
    }
    checkValue(value);
    return { key, operator: op === "!=" ? "!=" : "=", values: [value] };
  }
  if (text.startsWith("!")) {
    const key = text.slice(1).trim();
    checkKey(key);
    return { key, operator: "!exists", values: [] };
  }
  if (/\s/.test(text)) throw new SelectorError(`unable to parse requirement: "${text}"`);
  checkKey(text);
  return { key: text, operator: "exists", values: [] };
}

export function parseLabelSelector(text: string | undefined): Requirement[] {
  if (text === undefined || text.trim() === "") return [];
  return splitRequirements(text).map(parseRequirement);
}

export function matchesLabels(requirements: Requirement[], labels: Record<string, string>): boolean {
  return requirements.every(({ key, operator, values }) => {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (operator) {
      case "=":
        return has && value === values[0];
      case "!=":
        return !has || value !== values[0];
      case "in":
        return has && values.includes(value!);
      case "notin":
        return !has || !values.includes(value!);
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "gt":
      case "lt": {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        return operator === "gt" ? n > Number(values[0]) : n < Number(values[0]);
      }
      default:
        return false;
    }
  });
}

export const FIELD_SELECTOR_FIELDS = ["metadata.name", "metadata.namespace"] as const;
type Field = (typeof FIELD_SELECTOR_FIELDS)[number];

export interface FieldRequirement {
  field: Field;
  equal: boolean;
  value: string;
}

export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  if (text === undefined || text.trim() === "") return [];
  return text.split(",").map((raw) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!match) throw new SelectorError(`invalid selector: '${raw}'; can't understand '${raw}'`);
    const [, field, op, value] = match as unknown as [string, string, string, string];
    if (!(FIELD_SELECTOR_FIELDS as readonly string[]).includes(field)) {
      throw new SelectorError(
        `field label not supported: ${field} (the fields are ${FIELD_SELECTOR_FIELDS.join(", ")})`,
      );
    }
    return { field: field as Field, equal: op !== "!=", value };
  });
}

export function matchesFields(requirements: FieldRequirement[], fields: Record<Field, string>): boolean {
  return requirements.every(({ field, equal, value }) => (fields[field] === value) === equal);
}
