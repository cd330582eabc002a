import { describe, expect, it } from "vitest";
import { loadScheduleSources } from "../schedule/load.ts";
import { formatScheduleFileError, parseScheduleFile } from "../schedule/schedule-file.ts";
import { ratesSummary } from "./rates-schema.ts";

const parse = (text: string) => parseScheduleFile(text, "schedules/rates.yaml");
const problems = (text: string) => {
  const result = parse(text);
  return "errors" in result ? result.errors.map(formatScheduleFileError) : [];
};

describe("kind: rates", () => {
  it("compiles cluster and pool rates, with the default team tag", () => {
    const result = parse(`kind: rates
name: dev-rates
currency: EUR
targets: [{ tags: { env: dev } }]
cluster: 0.25
pools:
  - { id: np-sys, hourly: 0.5 }
  - { name: "gpu-*", perNode: 2.5 }
`);
    if ("errors" in result) throw new Error(result.errors.map(formatScheduleFileError).join("\n"));
    expect(result.rates).toEqual([
      {
        kind: "rates",
        name: "dev-rates",
        source: "schedules/rates.yaml",
        currency: "EUR",
        teamTag: "team",
        targets: [{ tags: { env: "dev" } }],
        cluster: 0.25,
        pools: [
          { match: { id: "np-sys" }, rate: { hourly: 0.5 } },
          { match: { name: "gpu-*" }, rate: { perNode: 2.5 } },
        ],
      },
    ]);
    expect(ratesSummary(result.rates[0]!)).toBe(
      "rates dev-rates: EUR, cluster 0.25/h, pool id np-sys 0.5/h, pools gpu-* 2.5/node/h; teams by tag team (schedules/rates.yaml)",
    );
  });

  it("names the line and field of each mistake", () => {
    expect(
      problems(`kind: rates
name: dev-rates
currency: euro
targets: [{ providers: [huawei] }]
cluster: -1
`),
    ).toEqual([
      "schedules/rates.yaml:3: currency: currency must be an ISO 4217 code of three upper-case letters, e.g. EUR, CNY or USD",
      "schedules/rates.yaml:5: cluster: cluster must be zero or more (an amount per hour in the document's currency)",
    ]);
    expect(
      problems(`kind: rates
name: dev-rates
currency: EUR
targets: [{ providers: [huawei] }]
pools:
  - { name: "*", id: np-1, hourly: 1 }
  - { name: "*", hourly: 1, perNode: 2 }
`),
    ).toEqual([
      "schedules/rates.yaml:6: pools[0]: a pool rate names its pools with either name (a pattern) or id, not both",
      "schedules/rates.yaml:7: pools[1]: a pool rate gives either hourly (the whole pool) or perNode (each node), not both",
    ]);
    expect(problems("kind: rates\nname: empty\ncurrency: EUR\ntargets: [{ providers: [baidu] }]\n")).toEqual([
      "schedules/rates.yaml:1: rates need cluster (an hourly rate for the cluster) and/or pools (rates per node pool)",
    ]);
  });

  it("refuses two currencies and a name used twice across files", () => {
    const doc = (name: string, currency: string) =>
      `kind: rates\nname: ${name}\ncurrency: ${currency}\ntargets: [{ providers: [huawei] }]\ncluster: 1\n`;
    const loaded = loadScheduleSources({
      dir: "schedules",
      schedules: [
        { name: "a.yaml", text: doc("shared", "CNY") },
        { name: "b.yaml", text: `${doc("shared", "CNY")}---\n${doc("euro", "EUR")}` },
      ],
      calendarFile: () => undefined,
    });
    expect("errors" in loaded && loaded.errors.map(formatScheduleFileError)).toEqual([
      'schedules/b.yaml:2: name: the name "shared" is already used by the rates in schedules/a.yaml:2; rates names must be unique, rename one of them',
      "schedules/b.yaml:8: currency: rates euro (schedules/b.yaml) is in EUR but rates shared (schedules/a.yaml) in CNY; every rates document must use the same currency (nightshift converts none)",
    ]);
  });
});
