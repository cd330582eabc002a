// The record `npm run bench` leaves: every figure with its unit, which way is better and its goal,
// the machine and commit it was measured on; read back (validated) and compared with a previous
// record. Pure: no files, no clocks (test/bench/record-file.ts reads and writes them).
import * as z from "zod";
import { describeIssues } from "../../shared/providers/autopilot.schemas.ts";

export const RECORD_SCHEMA = "nightshift-bench-record";
export const RECORD_VERSION = 1;

export const UNITS = ["x", "ms", "s", "min", "h", "/s", "KiB", "MiB", "count"] as const;
export type Unit = (typeof UNITS)[number];
/** Which way a change is an improvement; "neither" for context (workload sizes, limits). */
export type Better = "higher" | "lower" | "neither";
export interface Goal {
  op: "<" | "<=" | "=" | ">=" | ">";
  value: number;
}

export interface Figure {
  section: string;
  /** Which of the section's printed tables it belongs to ("" for its first). Presentation only. */
  table: string;
  /** What was measured (a vendor, a backend, a phase) ... */
  row: string;
  /** ... and which quantity of it. */
  column: string;
  value: number;
  unit: Unit;
  better: Better;
  /**
   * Deterministic from run to run (counts, bytes, seeded simulations in virtual time): any change
   * is real, so no noise allowance applies when comparing.
   */
  exact: boolean;
  goal?: Goal;
}

/** A figure's name in a record and in comparisons: unique within a record. */
export const figureKey = (f: Pick<Figure, "section" | "row" | "column">) =>
  `${f.section} / ${f.row} / ${f.column}`;

export interface FigureOptions {
  better: Better;
  exact?: boolean;
  goal?: Goal;
  table?: string;
}

/** A section's figures, collected in the order they are measured. */
export function figureList(section: string) {
  const figures: Figure[] = [];
  const keys = new Set<string>();
  return {
    figures,
    add(row: string, column: string, value: number, unit: Unit, options: FigureOptions): void {
      const figure: Figure = {
        section,
        table: options.table ?? "",
        row,
        column,
        value,
        unit,
        better: options.better,
        exact: options.exact ?? false,
        ...(options.goal ? { goal: options.goal } : {}),
      };
      const key = figureKey(figure);
      if (!Number.isFinite(value)) throw new Error(`bench figure "${key}": ${value} is not a finite number`);
      if (keys.has(key))
        throw new Error(`bench figure "${key}" is measured twice; give the rows distinct names`);
      keys.add(key);
      figures.push(figure);
    },
  };
}

export function goalMet(goal: Goal, value: number): boolean {
  switch (goal.op) {
    case "<":
      return value < goal.value;
    case "<=":
      return value <= goal.value;
    case "=":
      return value === goal.value;
    case ">=":
      return value >= goal.value;
    case ">":
      return value > goal.value;
  }
}

/** What a bench section returns: its title, its figures, what they mean. */
export interface SectionFigures {
  title: string;
  figures: Figure[];
  notes: string[];
}

export interface SectionRecord {
  name: string;
  title: string;
  /** What the figures mean: the workload, the columns, the goals' sources. */
  notes: string[];
  seconds: number;
  /** Set when the section failed: its message. Its figures are then missing. */
  error?: string;
}

export interface MachineFacts {
  node: string;
  platform: string;
  arch: string;
  kernel: string;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  /** 1, 5 and 15 minute load averages when the run started and ended: how busy the machine was. */
  loadAverage: { start: number[]; end: number[] };
}

export interface BenchRecord {
  schema: typeof RECORD_SCHEMA;
  version: typeof RECORD_VERSION;
  startedAt: string;
  finishedAt: string;
  machine: MachineFacts;
  /** The commit measured; `dirty` when tracked files had uncommitted changes. Null outside git. */
  git: { commit: string | null; dirty: boolean | null };
  settings: { sections: string[]; rounds: number; roundMs: number; env: Record<string, string> };
  sections: SectionRecord[];
  figures: Array<Figure & { key: string }>;
}

const goalSchema = z.object({ op: z.enum(["<", "<=", "=", ">=", ">"]), value: z.number() });
const figureSchema = z.object({
  key: z.string(),
  section: z.string().min(1),
  table: z.string(),
  row: z.string().min(1),
  column: z.string().min(1),
  value: z.number(),
  unit: z.enum(UNITS),
  better: z.enum(["higher", "lower", "neither"]),
  exact: z.boolean(),
  goal: goalSchema.optional(),
});
const recordSchema = z.object({
  schema: z.literal(RECORD_SCHEMA),
  version: z.literal(RECORD_VERSION),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  machine: z.object({
    node: z.string(),
    platform: z.string(),
    arch: z.string(),
    kernel: z.string(),
    cpuModel: z.string(),
    cpus: z.number().int().nonnegative(),
    memoryBytes: z.number().nonnegative(),
    loadAverage: z.object({ start: z.array(z.number()), end: z.array(z.number()) }),
  }),
  git: z.object({ commit: z.string().nullable(), dirty: z.boolean().nullable() }),
  settings: z.object({
    sections: z.array(z.string()),
    rounds: z.number(),
    roundMs: z.number(),
    env: z.record(z.string(), z.string()),
  }),
  sections: z.array(
    z.object({
      name: z.string(),
      title: z.string(),
      notes: z.array(z.string()),
      seconds: z.number(),
      error: z.string().optional(),
    }),
  ),
  figures: z.array(figureSchema),
});

/** The record of a run, its figures keyed; refuses two figures of one name. */
export function buildRecord(
  parts: Omit<BenchRecord, "schema" | "version" | "figures"> & { figures: Figure[] },
) {
  const seen = new Set<string>();
  const figures = parts.figures.map((f) => {
    const key = figureKey(f);
    if (seen.has(key)) throw new Error(`bench figure "${key}" appears twice in the record`);
    seen.add(key);
    return { key, ...f };
  });
  return { schema: RECORD_SCHEMA, version: RECORD_VERSION, ...parts, figures } satisfies BenchRecord;
}

/** A record file that cannot be compared: the message names the file and what is wrong with it. */
export class BenchRecordError extends Error {}

/** Parses a record's JSON text; `source` names it in errors (a path). */
export function parseRecord(text: string, source: string): BenchRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BenchRecordError(`${source} is not JSON (${(error as Error).message})`);
  }
  const head = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {};
  if (head.schema !== RECORD_SCHEMA) {
    throw new BenchRecordError(
      `${source} is not a nightshift bench record (no "schema": "${RECORD_SCHEMA}"); ` +
        "compare with a JSON file `npm run bench` wrote (bench-results/*.json)",
    );
  }
  if (head.version !== RECORD_VERSION) {
    throw new BenchRecordError(
      `${source} is a bench record of version ${JSON.stringify(head.version)}; this bench reads version ` +
        `${RECORD_VERSION}: compare it with a record of the same version (run the bench at the commit that wrote it)`,
    );
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success)
    throw new BenchRecordError(`${source} is not a valid bench record: ${describeIssues(parsed.error)}`);
  const seen = new Set<string>();
  for (const [i, f] of parsed.data.figures.entries()) {
    const key = figureKey(f);
    if (f.key !== key)
      throw new BenchRecordError(
        `${source} is not a valid bench record: figures[${i}].key is "${f.key}", its parts say "${key}"`,
      );
    if (seen.has(key))
      throw new BenchRecordError(`${source} is not a valid bench record: figure "${key}" appears twice`);
    seen.add(key);
  }
  return parsed.data as BenchRecord;
}

/**
 * Changes within this share of the previous value are not called better or worse. 10 %: the
 * tolerance the tick-store goal already takes for "the same cost", and about the least change worth
 * acting on; medians of alternating rounds on a quiet machine stay within it. A busy machine does
 * not: on the shared 2-core machine this was built on (load average 6 to 11), two runs of one commit
 * moved the dashboard's medians by up to 86 % and a p99 by 288 %. There, compare ratios and exact
 * figures, or raise the allowance (--noise); the comparison says when a run's machine was busy.
 */
export const DEFAULT_NOISE = 0.1;

export type Mark = "better" | "worse" | "within noise" | "same" | "changed" | "unit changed";

export interface FigureChange {
  key: string;
  section: string;
  row: string;
  column: string;
  unit: Unit;
  /** The previous record's unit: the same unless the mark is "unit changed". */
  previousUnit: Unit;
  previous: number;
  current: number;
  /** (current - previous) / |previous| * 100; null when previous is 0 or the unit changed. */
  changePercent: number | null;
  mark: Mark;
  /** Whether each value meets the current record's goal, when the figure has one. */
  goal?: { goal: Goal; previous: boolean; current: boolean };
}

export interface Comparison {
  /** The figures in both records, in the current record's order. */
  changes: FigureChange[];
  onlyPrevious: Figure[];
  onlyCurrent: Figure[];
  noise: number;
}

function markOf(previous: Figure, current: Figure, noise: number): Mark {
  if (previous.unit !== current.unit) return "unit changed";
  const delta = current.value - previous.value;
  if (delta === 0) return "same";
  // Exact figures: any change is real. Measured ones: within the noise allowance, neither.
  if (!current.exact && Math.abs(delta) <= noise * Math.abs(previous.value)) return "within noise";
  if (current.better === "neither") return "changed";
  return (current.better === "higher") === delta > 0 ? "better" : "worse";
}

/**
 * Each figure the two records share (the sections both ran), with its change and its mark; the
 * direction, exactness and goal are the current record's.
 */
export function compareRecords(
  previous: Pick<BenchRecord, "figures">,
  current: Pick<BenchRecord, "figures">,
  noise = DEFAULT_NOISE,
): Comparison {
  if (!(noise >= 0 && noise < 1))
    throw new Error(`noise threshold ${noise}: expected a share from 0 to below 1`);
  const before = new Map(previous.figures.map((f) => [figureKey(f), f]));
  const now = new Set(current.figures.map((f) => figureKey(f)));
  const changes: FigureChange[] = [];
  const onlyCurrent: Figure[] = [];
  for (const f of current.figures) {
    const key = figureKey(f);
    const p = before.get(key);
    if (!p) {
      onlyCurrent.push(f);
      continue;
    }
    changes.push({
      key,
      section: f.section,
      row: f.row,
      column: f.column,
      unit: f.unit,
      previousUnit: p.unit,
      previous: p.value,
      current: f.value,
      changePercent:
        p.value === 0 || p.unit !== f.unit ? null : ((f.value - p.value) / Math.abs(p.value)) * 100,
      mark: markOf(p, f, noise),
      ...(f.goal
        ? { goal: { goal: f.goal, previous: goalMet(f.goal, p.value), current: goalMet(f.goal, f.value) } }
        : {}),
    });
  }
  const onlyPrevious = previous.figures.filter((f) => !now.has(figureKey(f)));
  return { changes, onlyPrevious, onlyCurrent, noise };
}

/** A run on a machine busier than its CPUs (1-minute load average above their count, at its start or end), or null. */
export function busyRun(label: string, r: Pick<BenchRecord, "machine">): string | null {
  const load = Math.max(r.machine.loadAverage.start[0] ?? 0, r.machine.loadAverage.end[0] ?? 0);
  return load > r.machine.cpus ? `${label} ran at load ${load.toFixed(1)} on ${r.machine.cpus} CPUs` : null;
}

/** What differs between the machines (and settings) of two runs: absolute figures then compare poorly. */
export function runDifferences(
  previous: Pick<BenchRecord, "machine" | "settings">,
  current: Pick<BenchRecord, "machine" | "settings">,
): string[] {
  const out: string[] = [];
  const differ = (what: string, a: unknown, b: unknown) => {
    if (a !== b) out.push(`${what}: ${String(a)} → ${String(b)}`);
  };
  differ("Node", previous.machine.node, current.machine.node);
  differ("CPU", previous.machine.cpuModel, current.machine.cpuModel);
  differ("CPUs", previous.machine.cpus, current.machine.cpus);
  differ(
    "platform",
    `${previous.machine.platform} ${previous.machine.arch}`,
    `${current.machine.platform} ${current.machine.arch}`,
  );
  differ("rounds", previous.settings.rounds, current.settings.rounds);
  differ("round ms", previous.settings.roundMs, current.settings.roundMs);
  const env = new Set([...Object.keys(previous.settings.env), ...Object.keys(current.settings.env)]);
  for (const name of [...env].sort())
    differ(name, previous.settings.env[name] ?? "(unset)", current.settings.env[name] ?? "(unset)");
  return out;
}
