// The bench record: figures collected, written, read back (every way a file can be unusable named),
// compared (marks, noise, goals, figures in one record only), and printed.
import { describe, expect, it } from "vitest";
import {
  type BenchRecord,
  BenchRecordError,
  buildRecord,
  compareRecords,
  type Figure,
  figureList,
  goalMet,
  parseRecord,
  runDifferences,
} from "./record.ts";
import { formatNumber, formatValue, renderComparison, renderGoals, renderTable } from "./report.ts";

const MACHINE: BenchRecord["machine"] = {
  node: "v22.23.3",
  platform: "linux",
  arch: "x64",
  kernel: "6.1.0",
  cpuModel: "Intel(R) Xeon(R) Processor",
  cpus: 2,
  memoryBytes: 24 * 1024 ** 3,
  loadAverage: { start: [1, 1, 1], end: [2, 1, 1] },
};

function record(figures: Figure[], overrides: Partial<Omit<BenchRecord, "figures">> = {}): BenchRecord {
  return buildRecord({
    startedAt: "2026-12-06T10:00:00.000Z",
    finishedAt: "2026-12-06T10:05:00.000Z",
    machine: MACHINE,
    git: { commit: "0123456789abcdef0123456789abcdef01234567", dirty: false },
    settings: { sections: [...new Set(figures.map((f) => f.section))], rounds: 5, roundMs: 400, env: {} },
    sections: [...new Set(figures.map((f) => f.section))].map((name) => ({
      name,
      title: name,
      notes: [],
      seconds: 1,
    })),
    figures,
    ...overrides,
  });
}

function fig(
  section: string,
  row: string,
  column: string,
  value: number,
  more: Partial<Figure> = {},
): Figure {
  return { section, table: "", row, column, value, unit: "ms", better: "lower", exact: false, ...more };
}

describe("figureList", () => {
  it("collects figures in order with their options, and refuses a non-finite value or a repeated name", () => {
    const f = figureList("signing");
    f.add("huawei", "ratio on Node", 1.17, "x", { better: "higher", goal: { op: ">=", value: 1 } });
    f.add("huawei", "decisions", 6400, "count", { better: "neither", exact: true, table: "other" });
    expect(f.figures).toEqual([
      {
        section: "signing",
        table: "",
        row: "huawei",
        column: "ratio on Node",
        value: 1.17,
        unit: "x",
        better: "higher",
        exact: false,
        goal: { op: ">=", value: 1 },
      },
      {
        section: "signing",
        table: "other",
        row: "huawei",
        column: "decisions",
        value: 6400,
        unit: "count",
        better: "neither",
        exact: true,
      },
    ]);
    expect(() => f.add("baidu", "ratio on Node", Number.NaN, "x", { better: "higher" })).toThrow(
      'bench figure "signing / baidu / ratio on Node": NaN is not a finite number',
    );
    expect(() => f.add("huawei", "ratio on Node", 1, "x", { better: "higher" })).toThrow(
      'bench figure "signing / huawei / ratio on Node" is measured twice',
    );
  });

  it("judges goals at their edges", () => {
    expect([goalMet({ op: "<", value: 50 }, 50), goalMet({ op: "<", value: 50 }, 49.9)]).toEqual([
      false,
      true,
    ]);
    expect([goalMet({ op: "<=", value: 250 }, 250), goalMet({ op: "<=", value: 250 }, 250.1)]).toEqual([
      true,
      false,
    ]);
    expect([goalMet({ op: ">=", value: 1 }, 1), goalMet({ op: ">=", value: 1 }, 0.99)]).toEqual([
      true,
      false,
    ]);
    expect([goalMet({ op: ">", value: 0 }, 0), goalMet({ op: "=", value: 0 }, 0)]).toEqual([false, true]);
  });
});

describe("records on disk", () => {
  const written = record([
    fig("planning", "10,000 targets", "median", 41.5, { goal: { op: "<", value: 50 } }),
    fig("planning", "10,000 targets", "decisions", 6400, { unit: "count", better: "neither", exact: true }),
  ]);

  it("reads back what it writes, each figure keyed by section, row and column", () => {
    const text = JSON.stringify(written, null, 2);
    expect(parseRecord(text, "a.json")).toEqual(written);
    expect(written.figures.map((f) => f.key)).toEqual([
      "planning / 10,000 targets / median",
      "planning / 10,000 targets / decisions",
    ]);
  });

  it("refuses a record with one figure twice", () => {
    const twice = fig("planning", "10,000 targets", "median", 1);
    expect(() => record([twice, twice])).toThrow(
      'bench figure "planning / 10,000 targets / median" appears twice',
    );
  });

  it("names the file and what is wrong: not JSON, not a record, another version, a bad field", () => {
    const refusal = (text: string) => {
      try {
        parseRecord(text, "prev.json");
      } catch (error) {
        expect(error).toBeInstanceOf(BenchRecordError);
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refusal("{ nope")).toMatch(/^prev\.json is not JSON \(/);
    expect(refusal('{"figures": []}')).toBe(
      'prev.json is not a nightshift bench record (no "schema": "nightshift-bench-record"); compare with a JSON file ' +
        "`npm run bench` wrote (bench-results/*.json)",
    );
    expect(refusal("[1, 2]")).toMatch(/^prev\.json is not a nightshift bench record/);
    expect(refusal(JSON.stringify({ ...written, version: 2 }))).toBe(
      "prev.json is a bench record of version 2; this bench reads version 1: compare it with a record of the same " +
        "version (run the bench at the commit that wrote it)",
    );
    const badUnit = { ...written, figures: [{ ...written.figures[0], unit: "furlongs" }] };
    expect(refusal(JSON.stringify(badUnit))).toMatch(
      /^prev\.json is not a valid bench record: figures\[0\]\.unit: /,
    );
    const noValue = { ...written, figures: [{ ...written.figures[0], value: null }] };
    expect(refusal(JSON.stringify(noValue))).toMatch(
      /^prev\.json is not a valid bench record: figures\[0\]\.value: /,
    );
    const wrongKey = { ...written, figures: [{ ...written.figures[0], key: "planning / other / median" }] };
    expect(refusal(JSON.stringify(wrongKey))).toBe(
      'prev.json is not a valid bench record: figures[0].key is "planning / other / median", its parts say ' +
        '"planning / 10,000 targets / median"',
    );
    const duplicated = { ...written, figures: [written.figures[0], written.figures[0]] };
    expect(refusal(JSON.stringify(duplicated))).toBe(
      'prev.json is not a valid bench record: figure "planning / 10,000 targets / median" appears twice',
    );
  });
});

describe("compareRecords", () => {
  const previous = record([
    fig("dashboard", "sqlite", "GET / p50", 100),
    fig("dashboard", "sqlite", "GET / p99", 100),
    fig("dashboard", "sqlite", "at the edge", 100),
    fig("dashboard", "sqlite", "operations", 100, { unit: "count", better: "neither", exact: true }),
    fig("store", "memory", "claims", 1000, { unit: "/s", better: "higher" }),
    fig("signing", "huawei", "ratio on Node", 0.95, { unit: "x", better: "higher" }),
    fig("tick-store", "memory", "reads", 10, { unit: "count", exact: true }),
    fig("tick-store", "memory", "D1 queries", 0, { unit: "count", exact: true }),
    fig("tick-store", "memory", "rows", 1000, { unit: "count", exact: true }),
    fig("bundle", "size", "gzip", 300, { unit: "KiB" }),
    fig("node-night", "sleep", "ratio", 1.05, { unit: "x", exact: true }),
  ]);
  const current = record([
    fig("dashboard", "sqlite", "GET / p50", 80), // -20 %: better
    fig("dashboard", "sqlite", "GET / p99", 105), // +5 %: noise
    fig("dashboard", "sqlite", "at the edge", 110), // +10 % exactly: still noise
    fig("dashboard", "sqlite", "operations", 150, { unit: "count", better: "neither", exact: true }),
    fig("store", "memory", "claims", 850, { unit: "/s", better: "higher" }), // -15 %: worse
    fig("signing", "huawei", "ratio on Node", 1.02, {
      unit: "x",
      better: "higher",
      goal: { op: ">=", value: 1 },
    }),
    fig("tick-store", "memory", "reads", 11, { unit: "count", exact: true }), // exact: +10 % is real
    fig("tick-store", "memory", "D1 queries", 1, { unit: "count", exact: true }),
    fig("tick-store", "memory", "rows", 1000, { unit: "count", exact: true }),
    fig("bundle", "size", "gzip", 0.3, { unit: "MiB" }),
    fig("webhooks", "1 alertmanager", "p99", 2),
  ]);

  it("marks each shared figure by its direction, the noise allowance and exactness, with its change in %", () => {
    const c = compareRecords(previous, current);
    expect(c.changes.map((x) => [x.key, x.previous, x.current, x.changePercent, x.mark])).toEqual([
      ["dashboard / sqlite / GET / p50", 100, 80, -20, "better"],
      ["dashboard / sqlite / GET / p99", 100, 105, 5, "within noise"],
      ["dashboard / sqlite / at the edge", 100, 110, 10, "within noise"],
      ["dashboard / sqlite / operations", 100, 150, 50, "changed"],
      ["store / memory / claims", 1000, 850, -15, "worse"],
      ["signing / huawei / ratio on Node", 0.95, 1.02, expect.closeTo(7.368, 3), "within noise"],
      ["tick-store / memory / reads", 10, 11, 10, "worse"],
      ["tick-store / memory / D1 queries", 0, 1, null, "worse"],
      ["tick-store / memory / rows", 1000, 1000, 0, "same"],
      ["bundle / size / gzip", 300, 0.3, null, "unit changed"],
    ]);
    // The goal is the current record's, applied to both values.
    expect(c.changes[5]!.goal).toEqual({ goal: { op: ">=", value: 1 }, previous: false, current: true });
    expect(c.onlyPrevious.map((f) => `${f.section} / ${f.row}`)).toEqual(["node-night / sleep"]);
    expect(c.onlyCurrent.map((f) => `${f.section} / ${f.row}`)).toEqual(["webhooks / 1 alertmanager"]);
  });

  it("takes a smaller noise allowance when given one, and refuses a nonsense one", () => {
    const c = compareRecords(previous, current, 0.03);
    expect(c.changes.find((x) => x.column === "GET / p99")!.mark).toBe("worse");
    expect(c.changes.find((x) => x.column === "ratio on Node")!.mark).toBe("better");
    expect(() => compareRecords(previous, current, 1)).toThrow(
      "noise threshold 1: expected a share from 0 to below 1",
    );
  });

  it("prints the comparison: the runs, each section's figures with marks and goals turned, the summary, what only one has", () => {
    const c = compareRecords(previous, current);
    const lines = renderComparison(
      c,
      previous,
      { ...current, git: { commit: "fedcba9876543210", dirty: true } },
      ["Node: v22.1.0 → v22.23.3"],
    );
    expect(lines).toContain(
      "  previous: 2026-12-06T10:00:00.000Z, commit 0123456789ab, sections dashboard, store, signing, tick-store, bundle, node-night",
    );
    expect(lines).toContain(
      "  new     : 2026-12-06T10:00:00.000Z, commit fedcba987654 (uncommitted changes), sections dashboard, store, signing, tick-store, bundle, webhooks",
    );
    expect(lines).toContain(
      "  the runs differ (absolute figures compare poorly; ratios still do): Node: v22.1.0 → v22.23.3",
    );
    const section = (name: string) =>
      lines.slice(lines.indexOf(`  ${name}`) + 1, lines.indexOf("", lines.indexOf(`  ${name}`)));
    expect(section("dashboard")).toEqual([
      "    figure                previous     new   change  mark",
      "    sqlite / GET / p50      100 ms   80 ms  -20.0 %  better",
      "    sqlite / GET / p99      100 ms  105 ms   +5.0 %  within noise",
      "    sqlite / at the edge    100 ms  110 ms  +10.0 %  within noise",
      "    sqlite / operations        100     150  +50.0 %  changed",
    ]);
    expect(section("signing")).toEqual([
      "    figure                  previous    new  change  mark",
      "    huawei / ratio on Node     0.95x  1.02x  +7.4 %  within noise, goal ≥ 1.00x now met",
    ]);
    expect(section("tick-store")).toContain("    memory / D1 queries         0      1        —  worse");
    expect(section("bundle")).toEqual([
      "    figure       previous       new  change  mark",
      "    size / gzip   300 KiB  0.30 MiB       —  unit changed",
    ]);
    expect(lines).toContain(
      "  10 figures in both: 1 better, 3 within noise, 1 changed, 3 worse, 1 same, 1 unit changed; noise allowance ±10 % " +
        "for measured figures, none for exact ones (counts, sizes, seeded simulations)",
    );
    expect(lines.slice(-2)).toEqual([
      "  only in previous: section node-night (1 figure)",
      "  only in new: section webhooks (1 figure)",
    ]);
  });

  it("says when a run's machine was busier than its CPUs", () => {
    const busy = {
      ...current,
      machine: { ...MACHINE, loadAverage: { start: [1.5, 1, 1], end: [6.83, 4, 3] } },
    };
    expect(renderComparison(compareRecords(previous, busy), previous, busy, [])).toContain(
      "  busy machine: new ran at load 6.8 on 2 CPUs; timings then move beyond the noise allowance on their own " +
        "(ratios and exact figures still compare)",
    );
  });

  it("names what differs between the two runs' machines and settings", () => {
    const a = record([], {
      settings: { sections: [], rounds: 5, roundMs: 400, env: { BENCH_WEBHOOKS: "2000" } },
    });
    const b = record([], {
      machine: { ...MACHINE, node: "v22.24.0", cpus: 8 },
      settings: { sections: [], rounds: 2, roundMs: 400, env: { BENCH_TRACE: "3", BENCH_WEBHOOKS: "2000" } },
    });
    expect(runDifferences(a, b)).toEqual([
      "Node: v22.23.3 → v22.24.0",
      "CPUs: 2 → 8",
      "rounds: 5 → 2",
      "BENCH_TRACE: (unset) → 3",
    ]);
    expect(runDifferences(a, a)).toEqual([]);
  });
});

describe("the printed tables", () => {
  it("formats numbers to a precision that suits their size, and units after them", () => {
    expect([12345.678, 123.4, 12.34, 1.234, 0.01234, 0, 6400].map(formatNumber)).toEqual([
      "12,346",
      "123",
      "12.3",
      "1.23",
      "0.012",
      "0",
      "6,400",
    ]);
    expect([
      formatValue(1.1749, "x"),
      formatValue(3, "count"),
      formatValue(97.5, "ms"),
      formatValue(1500.2, "/s"),
    ]).toEqual(["1.17x", "3", "97.5 ms", "1,500 /s"]);
  });

  it("lays a section out as rows by columns, a shared unit in the header, a missed goal marked", () => {
    const f = figureList("signing");
    const atLeast = { better: "higher", goal: { op: ">=", value: 1 } } as const;
    f.add("huawei", "ours on Node", 41234.5, "/s", { better: "higher" });
    f.add("huawei", "ratio on Node", 1.17, "x", atLeast);
    f.add("alibaba", "ours on Node", 2520, "/s", { better: "higher" });
    f.add("alibaba", "ratio on Node", 0.634, "x", atLeast);
    f.add("alibaba", "mixed", 3, "count", { better: "neither" });
    f.add("huawei", "mixed", 2.5, "ms", { better: "lower" });
    expect(renderTable(f.figures)).toEqual([
      "         ours on Node (/s)  ratio on Node    mixed",
      "huawei              41,235          1.17x  2.50 ms",
      "alibaba              2,520         0.63x!        3",
    ]);
    expect(renderGoals(f.figures)).toEqual([
      "goal ≥ 1.00x: met by 1 of 2; missed: alibaba, ratio on Node 0.63x",
    ]);
  });

  it("names each figure a goal shared by several misses, by row and column", () => {
    const f = figureList("clients");
    f.add("huawei listNodePools", "errors", 0, "count", { better: "lower", goal: { op: "=", value: 0 } });
    f.add("baidu listNodePools", "errors", 2, "count", { better: "lower", goal: { op: "=", value: 0 } });
    expect(renderGoals(f.figures)).toEqual([
      "goal = 0: met by 1 of 2; missed: baidu listNodePools, errors 2",
    ]);
    f.add("baidu listNodePools", "failures", 1, "count", { better: "lower", goal: { op: "=", value: 0 } });
    expect(renderGoals(f.figures)).toEqual([
      "goal = 0: met by 1 of 3; missed: baidu listNodePools, errors 2; baidu listNodePools, failures 1",
    ]);
    // Rows as the quantities (the renewal year: a column per issuer).
    const year = figureList("renewal-year");
    year.add("expired moments", "model issuer", 0, "count", { better: "lower", goal: { op: "=", value: 0 } });
    year.add("expired moments", "sandbox clouds", 1, "count", {
      better: "lower",
      goal: { op: "=", value: 0 },
    });
    expect(renderGoals(year.figures)).toEqual([
      "goal = 0: met by 1 of 2; missed: expired moments, sandbox clouds 1",
    ]);
  });

  it("says a lone goal is met or missed, naming its figure", () => {
    const f = figureList("bundle");
    f.add("size", "gzip -9", 305.6, "KiB", { better: "lower", goal: { op: "<=", value: 250 } });
    expect(renderGoals(f.figures)).toEqual(["goal ≤ 250 KiB for size, gzip -9: missed"]);
  });
});
