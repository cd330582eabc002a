// The printed side of a bench record: a section's figures as tables (what was measured down,
// which quantity across), its goals met or missed, and a comparison with a previous record.
// Pure: returns lines, prints nothing.
import {
  type BenchRecord,
  busyRun,
  type Comparison,
  type Figure,
  type FigureChange,
  type Goal,
  goalMet,
  type SectionRecord,
  type Unit,
} from "./record.ts";

/** Decimals for a number of this size: none from 100 (or for whole numbers), then 1, 2, 3 below 0.1. */
function decimals(value: number): number {
  const abs = Math.abs(value);
  if (Number.isInteger(value) || abs >= 100) return 0;
  if (abs >= 10) return 1;
  return abs >= 0.1 ? 2 : 3;
}

/** A number at a precision that suits its size: 12,345 / 123 / 12.3 / 1.23 / 0.012. */
export function formatNumber(value: number): string {
  const digits = decimals(value);
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A value with its unit: "1.17x" (ratios, two decimals), "12.3 ms", "1,200 /s", "3 count" → "3". */
export function formatValue(value: number, unit: Unit): string {
  if (unit === "x") return `${value.toFixed(2)}x`;
  if (unit === "count") return formatNumber(value);
  return `${formatNumber(value)} ${unit}`;
}

const OPS: Record<Goal["op"], string> = { "<": "<", "<=": "≤", "=": "=", ">=": "≥", ">": ">" };
export const formatGoal = (goal: Goal, unit: Unit) => `${OPS[goal.op]} ${formatValue(goal.value, unit)}`;

/** Columns padded to their widest cell: the first (names) and the `textColumns` to the left, numbers to the right. */
function grid(rows: string[][], textColumns: readonly number[] = []): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r
      .map((cell, i) =>
        i === 0 || textColumns.includes(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
      )
      .join("  ")
      .trimEnd(),
  );
}

/**
 * One table: a row per measured thing, a column per quantity. A column of one unit names it in its
 * header; a cell whose value misses its goal ends in "!".
 */
export function renderTable(figures: readonly Figure[], corner = ""): string[] {
  const rows = [...new Set(figures.map((f) => f.row))];
  const columns = [...new Set(figures.map((f) => f.column)).values()].map((name) => {
    const units = new Set(figures.filter((f) => f.column === name).map((f) => f.unit));
    const [unit] = units;
    const inHeader = units.size === 1 && unit !== "x" && unit !== "count";
    return { name, inHeader, header: inHeader ? `${name} (${unit})` : name };
  });
  const cell = (row: string, column: (typeof columns)[number]) => {
    const f = figures.find((g) => g.row === row && g.column === column.name);
    if (!f) return "";
    const text = column.inHeader ? formatNumber(f.value) : formatValue(f.value, f.unit);
    return f.goal && !goalMet(f.goal, f.value) ? `${text}!` : text;
  };
  return grid([
    [corner, ...columns.map((c) => c.header)],
    ...rows.map((row) => [row, ...columns.map((c) => cell(row, c))]),
  ]);
}

/** One line per goal: how many figures meet it, and the ones that do not. */
export function renderGoals(figures: readonly Figure[]): string[] {
  const byGoal = new Map<string, Figure[]>();
  for (const f of figures) {
    if (!f.goal) continue;
    const label = formatGoal(f.goal, f.unit);
    byGoal.set(label, [...(byGoal.get(label) ?? []), f]);
  }
  return [...byGoal].map(([label, list]) => {
    const missed = list.filter((f) => !goalMet(f.goal!, f.value));
    const met = list.length - missed.length;
    if (list.length === 1) {
      const f = list[0]!;
      return `goal ${label} for ${f.row}, ${f.column}: ${missed.length === 0 ? "met" : "missed"}`;
    }
    // Which of a row and a column names the quantity differs by table (the renewal year has a
    // column per issuer): a missed figure is named by both.
    const misses = missed.map((f) => `${f.row}, ${f.column} ${formatValue(f.value, f.unit)}`).join("; ");
    return `goal ${label}: met by ${met} of ${list.length}${missed.length > 0 ? `; missed: ${misses}` : ""}`;
  });
}

/** A section as printed: its title, each of its tables, its goals, its notes (or its error). */
export function renderSection(section: SectionRecord, figures: readonly Figure[]): string[] {
  const lines = ["", section.title];
  if (section.error) lines.push(`  FAILED after ${section.seconds.toFixed(0)} s: ${section.error}`);
  const tables = [...new Set(figures.map((f) => f.table))];
  for (const [i, table] of tables.entries()) {
    if (i > 0) lines.push("");
    lines.push(
      ...renderTable(
        figures.filter((f) => f.table === table),
        table,
      ).map((l) => `  ${l}`),
    );
  }
  lines.push(...renderGoals(figures).map((l) => `  ${l}`));
  lines.push(...section.notes.map((l) => `  ${l}`));
  return lines;
}

const signed = (n: number) => `${n > 0 ? "+" : ""}${n.toFixed(1)} %`;

function markText(change: FigureChange): string {
  const goal = change.goal;
  const turned =
    goal && goal.previous !== goal.current
      ? `, goal ${formatGoal(goal.goal, change.unit)} now ${goal.current ? "met" : "missed"}`
      : "";
  return change.mark + turned;
}

/** Figures only one record has: a whole section in a line, otherwise figure by figure. */
function onlyIn(which: string, only: readonly Figure[], other: ReadonlySet<string>): string[] {
  const sections = [...new Set(only.map((f) => f.section))];
  return sections.flatMap((section) => {
    const list = only.filter((f) => f.section === section);
    if (!other.has(section))
      return [
        `  only in ${which}: section ${section} (${list.length} figure${list.length === 1 ? "" : "s"})`,
      ];
    return list.map(
      (f) => `  only in ${which}: ${section} / ${f.row} / ${f.column} ${formatValue(f.value, f.unit)}`,
    );
  });
}

type RunFacts = Pick<BenchRecord, "startedAt" | "git" | "settings" | "machine">;

const describeRun = (label: string, r: RunFacts) =>
  `${label}: ${r.startedAt}, commit ${r.git.commit?.slice(0, 12) ?? "unknown"}${r.git.dirty ? " (uncommitted changes)" : ""}, ` +
  `sections ${r.settings.sections.join(", ")}`;

/** The comparison as printed: the runs, what differs between them, a table per section, a summary. */
export function renderComparison(
  comparison: Comparison,
  previous: RunFacts,
  current: RunFacts,
  differences: readonly string[],
): string[] {
  const lines = [
    "",
    "Compared with the previous record",
    `  ${describeRun("previous", previous)}`,
    `  ${describeRun("new     ", current)}`,
  ];
  if (differences.length > 0)
    lines.push(
      `  the runs differ (absolute figures compare poorly; ratios still do): ${differences.join("; ")}`,
    );
  const busy = [busyRun("previous", previous), busyRun("new", current)].filter((b) => b !== null);
  if (busy.length > 0)
    lines.push(
      `  busy machine: ${busy.join("; ")}; timings then move beyond the noise allowance on their own ` +
        "(ratios and exact figures still compare)",
    );
  const sections = [...new Set(comparison.changes.map((c) => c.section))];
  for (const section of sections) {
    const rows = comparison.changes
      .filter((c) => c.section === section)
      .map((c) => [
        `${c.row} / ${c.column}`,
        formatValue(c.previous, c.previousUnit),
        formatValue(c.current, c.unit),
        c.changePercent === null ? "—" : signed(c.changePercent),
        markText(c),
      ]);
    lines.push(
      "",
      `  ${section}`,
      ...grid([["figure", "previous", "new", "change", "mark"], ...rows], [4]).map((l) => `    ${l}`),
    );
  }
  // The sections each record has figures of (peak-rss included, which no BENCH_ONLY names).
  const shared = comparison.changes.map((c) => c.section);
  const previousSections = new Set([...shared, ...comparison.onlyPrevious.map((f) => f.section)]);
  const currentSections = new Set([...shared, ...comparison.onlyCurrent.map((f) => f.section)]);
  const tally = new Map<string, number>();
  for (const c of comparison.changes) tally.set(c.mark, (tally.get(c.mark) ?? 0) + 1);
  const counts = [...tally].map(([mark, n]) => `${n} ${mark}`).join(", ");
  lines.push(
    "",
    `  ${comparison.changes.length} figures in both: ${counts || "none"}; noise allowance ±${(comparison.noise * 100).toFixed(0)} % ` +
      "for measured figures, none for exact ones (counts, sizes, seeded simulations)",
    ...onlyIn("previous", comparison.onlyPrevious, currentSections),
    ...onlyIn("new", comparison.onlyCurrent, previousSections),
  );
  return lines;
}
