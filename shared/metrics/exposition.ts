// The Prometheus text exposition format, version 0.0.4: what GET /metrics answers. Pure: metric
// families in, text out. Every family has its HELP and TYPE lines; families come in name order,
// a family's samples in the order of their labels (each sample's labels sorted by name), so the
// same data always renders the same text. Label values and HELP texts are escaped as the format
// asks (a backslash, a double quote in a label value, a line feed), so no value, whatever a cloud
// or a user put in it, can break a line or forge another series.
//
// Histograms are given per-bucket counts (what was observed up to each bound and above the one
// before) and rendered cumulatively, with the `+Inf` bucket, `_sum` and `_count`.

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface ScalarFamily {
  /** e.g. "nightshift_transitions_total" (a counter's name ends in _total). */
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: readonly Sample[];
}

export interface HistogramSeries {
  labels: Labels;
  /** Per bucket, not cumulative: counts[i] observations in (bounds[i-1], bounds[i]]; the last one above every bound. */
  counts: readonly number[];
  /** The sum of the observations. */
  sum: number;
}

export interface HistogramFamily {
  name: string;
  help: string;
  type: "histogram";
  /** The buckets' upper bounds, ascending, +Inf not included. */
  bounds: readonly number[];
  series: readonly HistogramSeries[];
}

export type MetricFamily = ScalarFamily | HistogramFamily;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const NEEDS_ESCAPE = /[\\\n"]/;

/** A label value as the format writes it between double quotes. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** A HELP text as the format writes it (no quotes around it: only backslash and line feed). */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: integers as such, +Inf / -Inf / NaN by name, other numbers as JavaScript prints them (Go parses both). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return Object.is(value, -0) ? "0" : String(value);
}

function checkName(name: string): void {
  if (!METRIC_NAME.test(name))
    throw new RangeError(`metric name "${name}" is not allowed: use letters, digits, "_" and ":"`);
}

/** Label names already checked (the same few names recur on every sample). */
const checkedLabels = new Set<string>();

function labelText(labels: Labels, reserved: readonly string[]): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let text = "";
  for (const name of names) {
    if (!checkedLabels.has(name)) {
      if (!LABEL_NAME.test(name) || name.startsWith("__"))
        throw new RangeError(`label name "${name}" is not allowed`);
      checkedLabels.add(name);
    }
    if (reserved.includes(name)) throw new RangeError(`label name "${name}" is not allowed`);
    text += `${text === "" ? "" : ","}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return text;
}

const braces = (text: string) => (text === "" ? "" : `{${text}}`);

function byText<T extends { text: string }>(items: T[], family: string): T[] {
  items.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  for (let i = 1; i < items.length; i++) {
    if (items[i]!.text === items[i - 1]!.text)
      throw new RangeError(`metric ${family}: two samples with the labels {${items[i]!.text}}`);
  }
  return items;
}

function scalarLines(family: ScalarFamily): string[] {
  const samples = byText(
    family.samples.map((sample) => ({ text: labelText(sample.labels, []), value: sample.value })),
    family.name,
  );
  return samples.map(({ text, value }) => `${family.name}${braces(text)} ${formatValue(value)}`);
}

function histogramLines(family: HistogramFamily): string[] {
  const { bounds } = family;
  for (let i = 0; i < bounds.length; i++) {
    if (!Number.isFinite(bounds[i]!) || (i > 0 && bounds[i]! <= bounds[i - 1]!))
      throw new RangeError(`histogram ${family.name}: bucket bounds must be finite and ascending`);
  }
  const series = byText(
    family.series.map((s) => ({ text: labelText(s.labels, ["le"]), series: s })),
    family.name,
  );
  const lines: string[] = [];
  for (const { text, series: s } of series) {
    if (s.counts.length !== bounds.length + 1)
      throw new RangeError(
        `histogram ${family.name}: ${bounds.length + 1} bucket counts expected, got ${s.counts.length}`,
      );
    const prefix = text === "" ? "" : `${text},`;
    let cumulative = 0;
    bounds.forEach((bound, i) => {
      cumulative += s.counts[i]!;
      lines.push(`${family.name}_bucket{${prefix}le="${formatValue(bound)}"} ${formatValue(cumulative)}`);
    });
    cumulative += s.counts[bounds.length]!;
    lines.push(`${family.name}_bucket{${prefix}le="+Inf"} ${formatValue(cumulative)}`);
    lines.push(`${family.name}_sum${braces(text)} ${formatValue(s.sum)}`);
    lines.push(`${family.name}_count${braces(text)} ${formatValue(cumulative)}`);
  }
  return lines;
}

/** The exposition of `families`: HELP, TYPE and samples per family, in name order, ending with a line feed. */
export function renderExposition(families: readonly MetricFamily[]): string {
  const sorted = [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  sorted.forEach((family, i) => {
    checkName(family.name);
    if (i > 0 && sorted[i - 1]!.name === family.name)
      throw new RangeError(`metric ${family.name} is given twice`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    lines.push(...(family.type === "histogram" ? histogramLines(family) : scalarLines(family)));
  });
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
