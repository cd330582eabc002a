import { describe, expect, it } from "vitest";
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  type MetricFamily,
  renderExposition,
} from "./exposition.ts";

describe("renderExposition", () => {
  it("writes HELP and TYPE before each family's samples, families by name, samples by labels", () => {
    const families: MetricFamily[] = [
      {
        name: "b_requests_total",
        help: "Requests.",
        type: "counter",
        samples: [
          { labels: { status: "500", provider: "huawei" }, value: 2 },
          { labels: { provider: "alibaba", status: "200" }, value: 7 },
          { labels: { provider: "huawei", status: "200" }, value: 1 },
        ],
      },
      { name: "a_up", help: "Up.", type: "gauge", samples: [{ labels: {}, value: 1 }] },
    ];
    const expected = [
      "# HELP a_up Up.",
      "# TYPE a_up gauge",
      "a_up 1",
      "# HELP b_requests_total Requests.",
      "# TYPE b_requests_total counter",
      'b_requests_total{provider="alibaba",status="200"} 7',
      'b_requests_total{provider="huawei",status="200"} 1',
      'b_requests_total{provider="huawei",status="500"} 2',
      "",
    ].join("\n");
    expect(renderExposition(families)).toBe(expected);
    // The same data in another order renders the same text.
    const shuffled = [...families]
      .reverse()
      .map((f) => (f.type === "histogram" ? f : { ...f, samples: [...f.samples].reverse() }));
    expect(renderExposition(shuffled)).toBe(expected);
  });

  it("escapes label values and HELP so no value can end a line or a quote", () => {
    const text = renderExposition([
      {
        name: "x",
        help: 'a \\ backslash\nand a "quote"',
        type: "gauge",
        samples: [{ labels: { target: 'prod/"evil"} 1\nforged_total 9\\' }, value: 1 }],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP x a \\\\ backslash\\nand a "quote"',
        "# TYPE x gauge",
        'x{target="prod/\\"evil\\"} 1\\nforged_total 9\\\\"} 1',
        "",
      ].join("\n"),
    );
    expect(text.split("\n")).toHaveLength(4);
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeHelp('a"b\\c\nd')).toBe('a"b\\\\c\\nd');
  });

  it("renders a histogram cumulatively, with +Inf, _sum and _count", () => {
    const text = renderExposition([
      {
        name: "d_seconds",
        help: "Durations.",
        type: "histogram",
        bounds: [0.001, 0.01],
        series: [
          { labels: { operation: "put" }, counts: [0, 1, 1], sum: 3.5 },
          { labels: { operation: "get" }, counts: [4, 0, 0], sum: 0.002 },
        ],
      },
    ]);
    expect(text).toBe(
      [
        "# HELP d_seconds Durations.",
        "# TYPE d_seconds histogram",
        'd_seconds_bucket{operation="get",le="0.001"} 4',
        'd_seconds_bucket{operation="get",le="0.01"} 4',
        'd_seconds_bucket{operation="get",le="+Inf"} 4',
        'd_seconds_sum{operation="get"} 0.002',
        'd_seconds_count{operation="get"} 4',
        'd_seconds_bucket{operation="put",le="0.001"} 0',
        'd_seconds_bucket{operation="put",le="0.01"} 1',
        'd_seconds_bucket{operation="put",le="+Inf"} 2',
        'd_seconds_sum{operation="put"} 3.5',
        'd_seconds_count{operation="put"} 2',
        "",
      ].join("\n"),
    );
  });

  it("keeps a family with no samples (HELP and TYPE only)", () => {
    expect(renderExposition([{ name: "n", help: "None yet.", type: "gauge", samples: [] }])).toBe(
      "# HELP n None yet.\n# TYPE n gauge\n",
    );
    expect(renderExposition([])).toBe("");
  });

  it("formats special values as the format names them", () => {
    expect([0, -0, 1.5, 1e21, 2.5e-7, Number.NaN, Infinity, -Infinity].map(formatValue)).toEqual([
      "0",
      "0",
      "1.5",
      "1e+21",
      "2.5e-7",
      "NaN",
      "+Inf",
      "-Inf",
    ]);
  });

  it("refuses what would be an invalid exposition: bad names, reserved labels, a series twice", () => {
    const gauge = (name: string, labels: Record<string, string>[]): MetricFamily => ({
      name,
      help: "h",
      type: "gauge",
      samples: labels.map((l) => ({ labels: l, value: 1 })),
    });
    expect(() => renderExposition([gauge("bad-name", [{}])])).toThrow(/metric name "bad-name"/);
    expect(() => renderExposition([gauge("x", [{ "bad-label": "v" }])])).toThrow(/label name "bad-label"/);
    expect(() => renderExposition([gauge("x", [{ __name__: "v" }])])).toThrow(/label name "__name__"/);
    expect(() => renderExposition([gauge("x", [{ a: "1" }, { a: "1" }])])).toThrow(/two samples/);
    expect(() => renderExposition([gauge("x", []), gauge("x", [])])).toThrow(/given twice/);
    expect(() =>
      renderExposition([
        {
          name: "h",
          help: "h",
          type: "histogram",
          bounds: [1],
          series: [{ labels: { le: "1" }, counts: [0, 0], sum: 0 }],
        },
      ]),
    ).toThrow(/label name "le"/);
    expect(() =>
      renderExposition([{ name: "h", help: "h", type: "histogram", bounds: [2, 1], series: [] }]),
    ).toThrow(/ascending/);
  });
});
