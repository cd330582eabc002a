import { describe, expect, it } from "vitest";
import {
  fieldName,
  formatScheduleFileError,
  parseScheduleDocuments,
  parseScheduleFile,
  type ScheduleFileOptions,
} from "./schedule-file.ts";
import type { Schedule, Weekday } from "./types.ts";

const FILE = "schedules/qa.yaml";

/** The formatted error lines for a file that must not parse. */
function errorsOf(text: string, options: ScheduleFileOptions = {}): string[] {
  const result = parseScheduleFile(text, FILE, options);
  if (!("errors" in result)) throw new Error(`expected errors, got ${JSON.stringify(result.schedules)}`);
  return result.errors.map(formatScheduleFileError);
}

function schedulesOf(text: string, options: ScheduleFileOptions = {}): Schedule[] {
  const result = parseScheduleFile(text, FILE, options);
  if ("errors" in result) throw new Error(result.errors.map(formatScheduleFileError).join("\n"));
  return result.schedules;
}

/** A valid schedule; tests change one line at a time. */
const BASE = `name: qa-weeknights
timezone: Asia/Shanghai
targets:
  - tags: { env: qa }
sleep:
  - days: weekdays
    at: "20:00"
`;

describe("parseScheduleFile: the full format", () => {
  it("compiles every field into the Schedule the engine uses", () => {
    const [schedule] = schedulesOf(`# yaml-language-server: $schema=./schedule.schema.json
name: qa-weeknights
enabled: true
timezone: Asia/Shanghai
mode: full
enforce: true
targets:
  - accounts: [prod-hw]
    regions: [cn-north-4]
    clusterIds: [c-1]
    names: ["qa-*"]
    tags: { env: qa, "nightshift/sleep": weeknights }
    providers: [huawei, autopilot]
  - names: [perf-?]
sleep:
  - days: [mon, tue, wed, thu, fri]
    at: "20:00"
wake:
  - days: weekdays
    at: "08:00"
rules:
  - to: awake
    days: sat
    at: "10:00"
calendars:
  - builtin: cn-mainland
  - file: calendars/company.yaml
holidays: ignore
makeupDayAs: tue
exceptions:
  - from: 2026-12-01
    to: 2026-12-05
    state: awake
    reason: release week
graceMinutes: 45
minDwellMinutes: 20
notice: { minutesBefore: 15, webhookUrl: https://hooks.example.com/nightshift }
releaseNodes: true
`);
    const weekdays: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];
    expect(schedule).toEqual({
      name: "qa-weeknights",
      source: FILE,
      enabled: true,
      timezone: "Asia/Shanghai",
      mode: "full",
      enforce: true,
      targets: [
        {
          accounts: ["prod-hw"],
          regions: ["cn-north-4"],
          clusterIds: ["c-1"],
          names: ["qa-*"],
          tags: { env: "qa", "nightshift/sleep": "weeknights" },
          providers: ["huawei", "autopilot"],
        },
        { names: ["perf-?"] },
      ],
      rules: [
        { to: "awake", days: ["sat"], at: "10:00" },
        { to: "asleep", days: weekdays, at: "20:00" },
        { to: "awake", days: weekdays, at: "08:00" },
      ],
      calendars: [{ builtin: "cn-mainland" }, { file: "calendars/company.yaml" }],
      holidays: "ignore",
      makeupDayAs: "tue",
      exceptions: [{ from: "2026-12-01", to: "2026-12-05", state: "awake", reason: "release week" }],
      graceMinutes: 45,
      minDwellMinutes: 20,
      notice: { minutesBefore: 15, webhookUrl: "https://hooks.example.com/nightshift" },
      releaseNodes: true,
      namespaces: [],
    } satisfies Schedule);
  });

  it("fills in the defaults", () => {
    const [schedule] = schedulesOf(BASE);
    expect(schedule).toEqual({
      name: "qa-weeknights",
      source: FILE,
      enabled: true,
      timezone: "Asia/Shanghai",
      mode: "full",
      enforce: false,
      targets: [{ tags: { env: "qa" } }],
      rules: [{ to: "asleep", days: ["mon", "tue", "wed", "thu", "fri"], at: "20:00" }],
      calendars: [],
      holidays: "ignore",
      makeupDayAs: "mon",
      exceptions: [],
      graceMinutes: 60,
      minDwellMinutes: 30,
      releaseNodes: false,
      namespaces: [],
    } satisfies Schedule);
  });

  it("keeps targets asleep on holidays by default once a calendar is given", () => {
    const [schedule] = schedulesOf(`${BASE}calendars: [{ builtin: cn-mainland }]\n`);
    expect(schedule?.holidays).toBe("asleep");
  });

  it("takes unquoted times and dates as text (YAML 1.2), not numbers or timestamps", () => {
    const [schedule] = schedulesOf(`${BASE}wake:
  - days: mon
    at: 08:00
exceptions:
  - { from: 2026-12-01, to: 2026-12-01, state: asleep }
`);
    expect(schedule?.rules[1]).toEqual({ to: "awake", days: ["mon"], at: "08:00" });
    expect(schedule?.exceptions[0]).toEqual({ from: "2026-12-01", to: "2026-12-01", state: "asleep" });
  });

  it("accepts wake-only and sleep-only schedules, and a span over the weekend as two rules", () => {
    const [wakeOnly] = schedulesOf(
      BASE.replace('sleep:\n  - days: weekdays\n    at: "20:00"\n', 'wake: [{ days: mon, at: "07:00" }]\n'),
    );
    expect(wakeOnly?.rules).toEqual([{ to: "awake", days: ["mon"], at: "07:00" }]);
    const [span] = schedulesOf(
      BASE.replace(
        'sleep:\n  - days: weekdays\n    at: "20:00"\n',
        'sleep: [{ days: fri, at: "20:00" }]\nwake: [{ days: mon, at: "08:00" }]\n',
      ),
    );
    expect(span?.rules).toEqual([
      { to: "asleep", days: ["fri"], at: "20:00" },
      { to: "awake", days: ["mon"], at: "08:00" },
    ]);
  });

  it("reads day groups, ranges (wrapping over the weekend) and lists of them", () => {
    const [schedule] = schedulesOf(`name: days
timezone: UTC
targets: [{ providers: [baidu] }]
sleep:
  - { days: weekends, at: "00:00" }
  - { days: fri-mon, at: "01:00" }
  - { days: [mon-wed, sun], at: "02:00" }
  - { days: daily, at: "23:59" }
`);
    expect(schedule?.rules.map((rule) => rule.days)).toEqual([
      ["sat", "sun"],
      ["mon", "fri", "sat", "sun"],
      ["mon", "tue", "wed", "sun"],
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    ]);
  });

  it("requires namespaces in workloads mode and takes them", () => {
    const [schedule] = schedulesOf(`${BASE}mode: workloads\nnamespaces: [app, jobs]\n`);
    expect(schedule?.mode).toBe("workloads");
    expect(schedule?.namespaces).toEqual(["app", "jobs"]);
  });

  it("reads several schedules from one file, skipping empty documents", () => {
    const schedules = schedulesOf(`${BASE}---\n${BASE.replace("qa-weeknights", "qa-two")}---\n`);
    expect(schedules.map((s) => s.name)).toEqual(["qa-weeknights", "qa-two"]);
  });

  it("says where each schedule's name is", () => {
    const result = parseScheduleDocuments(
      `# first\n${BASE}---\n\n${BASE.replace("qa-weeknights", "qa-two")}`,
      FILE,
    );
    expect("schedules" in result && result.schedules.map((s) => s.name)).toEqual([
      { line: 2, column: 7 },
      { line: 11, column: 7 },
    ]);
  });
});

describe("parseScheduleFile: errors name the file, line, field and fix", () => {
  it("refuses times that are not HH:MM 00:00-23:59", () => {
    for (const at of ['"24:00"', '"8:00"', '"20:60"', '"20:00:00"', "2000", '"8pm"']) {
      expect(errorsOf(BASE.replace('at: "20:00"', `at: ${at}`))).toEqual([
        `${FILE}:7: sleep[0].at: at must be "HH:MM", e.g. "20:00"`,
      ]);
    }
  });

  it("says which required key is missing, at the mapping that lacks it", () => {
    expect(errorsOf(BASE.replace('    at: "20:00"\n', ""))).toEqual([
      `${FILE}:6: sleep[0].at: at is required; at must be "HH:MM", e.g. "20:00"`,
    ]);
    expect(errorsOf(BASE.replace("targets:\n  - tags: { env: qa }\n", ""))).toEqual([
      `${FILE}:1: targets: targets is required; it must be a list of selectors, e.g. targets: [{ tags: { env: qa } }]`,
    ]);
  });

  it("names an unknown key and suggests the closest known one", () => {
    expect(errorsOf(BASE.replace("timezone:", "timezne:"))).toEqual([
      `${FILE}:1: timezone: timezone is required; it must be an IANA time zone, e.g. "Asia/Shanghai" or "Europe/Berlin"`,
      `${FILE}:2: timezne: unknown key "timezne"; did you mean "timezone"?`,
    ]);
    expect(errorsOf(BASE.replace("  - tags:", "  - tag:"))).toEqual([
      `${FILE}:4: targets[0].tag: unknown key "tag"; did you mean "tags"?`,
    ]);
    expect(errorsOf(BASE.replace('    at: "20:00"', '    at: "20:00"\n    when: later'))).toEqual([
      `${FILE}:8: sleep[0].when: unknown key "when"; the keys allowed here are: days, at`,
    ]);
  });

  it("refuses keys that look like credentials and points to the environment", () => {
    for (const key of ["accessKeyId", "secretAccessKey", "password", "token", "secret", "securityToken"]) {
      const lines = errorsOf(
        `${BASE.replace("  - tags: { env: qa }", `  - tags: { env: qa }\n    ${key}: x`)}`,
      );
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `${FILE}:5: targets[0].${key}: "${key}" looks like a credential, and credentials never go in schedule files: ` +
          "configure the account in the environment (NIGHTSHIFT_ACCOUNT_<NAME>_ACCESS_KEY_ID, " +
          "NIGHTSHIFT_ACCOUNT_<NAME>_SECRET_ACCESS_KEY; wrangler secret put on Workers) and refer to it here by id in targets[].accounts",
      );
    }
    expect(
      errorsOf(`${BASE}notice: { minutesBefore: 5, webhookUrl: "https://x.example/", secret: whsec_x }\n`),
    ).toEqual([
      `${FILE}:8: notice.secret: "secret" looks like a credential, and credentials never go in schedule files: the notice's signing secret comes from the environment (see Configuration in README.md); here give only minutesBefore and webhookUrl`,
    ]);
    expect(errorsOf(`${BASE}password: hunter2\n`)[0]).toMatch(
      /^schedules\/qa\.yaml:8: password: "password" looks like a credential/,
    );
  });

  it("refuses unknown time zones with a suggestion, and UTC offsets", () => {
    expect(errorsOf(BASE.replace("Asia/Shanghai", "Asia/Shangai"))).toEqual([
      `${FILE}:2: timezone: timezone "Asia/Shangai" is not an IANA time zone; did you mean "Asia/Shanghai"?`,
    ]);
    expect(errorsOf(BASE.replace("Asia/Shanghai", "Mars/Olympus_Mons"))).toEqual([
      `${FILE}:2: timezone: timezone "Mars/Olympus_Mons" is not an IANA time zone; use a name such as "Asia/Shanghai" or "Europe/Berlin"`,
    ]);
    expect(errorsOf(BASE.replace("Asia/Shanghai", '"+08:00"'))).toEqual([
      `${FILE}:2: timezone: timezone "+08:00" is a UTC offset, not a time zone; use the place's IANA name, e.g. "Asia/Shanghai" or "Europe/Berlin", so daylight saving is followed`,
    ]);
    expect(schedulesOf(BASE.replace("Asia/Shanghai", "Europe/Berlin"))[0]?.timezone).toBe("Europe/Berlin");
  });

  it("refuses bad days, naming the list entry", () => {
    expect(errorsOf(BASE.replace("days: weekdays", "days: [mon, tuesday]"))).toEqual([
      `${FILE}:6: sleep[0].days[1]: days: "tuesday" is not a day; use mon … sun, a range like "mon-fri" or "fri-mon", or weekdays, weekends, daily`,
    ]);
    expect(errorsOf(BASE.replace("days: weekdays", "days: mon-mon"))).toEqual([
      `${FILE}:6: sleep[0].days: days: the range "mon-mon" starts and ends on the same day; write the day alone`,
    ]);
    expect(errorsOf(BASE.replace("days: weekdays", "days: 5"))).toEqual([
      `${FILE}:6: sleep[0].days: days must be mon … sun, a range like "mon-fri" or "fri-mon", or weekdays, weekends, daily, or a list of these`,
    ]);
  });

  it("requires at least one rule", () => {
    expect(errorsOf("name: x\ntimezone: UTC\ntargets: [{ names: [x] }]\n")).toEqual([
      `${FILE}:1: sleep: a schedule needs at least one sleep or wake rule, e.g. sleep: [{ days: weekdays, at: "20:00" }]`,
    ]);
  });

  it("refuses a sleep and a wake at the same minute of the same day", () => {
    expect(errorsOf(`${BASE}wake: [{ days: fri-sun, at: "20:00" }]\n`)).toEqual([
      `${FILE}:8: wake[0].at: wake[0] and sleep[0] both fall on fri at 20:00 but want different states; move one of them`,
    ]);
  });

  it("requires targets, each with at least one field", () => {
    expect(errorsOf(BASE.replace("targets:\n  - tags: { env: qa }\n", "targets: []\n"))).toEqual([
      `${FILE}:3: targets: targets must list at least one selector, e.g. targets: [{ tags: { env: qa } }]`,
    ]);
    expect(errorsOf(BASE.replace("  - tags: { env: qa }", "  - {}"))).toEqual([
      `${FILE}:4: targets[0]: a target needs at least one of accounts, regions, clusterIds, names, tags, providers`,
    ]);
    expect(errorsOf(BASE.replace("  - tags: { env: qa }", "  - accounts: prod-hw"))).toEqual([
      `${FILE}:4: targets[0].accounts: accounts must be a list, e.g. accounts: [prod-hw]`,
    ]);
    expect(errorsOf(BASE.replace("  - tags: { env: qa }", "  - accounts: [PROD_HW]"))).toEqual([
      `${FILE}:4: targets[0].accounts[0]: accounts: an account id is lower case with dashes, as NIGHTSHIFT_ACCOUNT_PROD_HW_* gives prod-hw`,
    ]);
    expect(errorsOf(BASE.replace("{ env: qa }", "{ tier: 1 }"))).toEqual([
      `${FILE}:4: targets[0].tags.tier: tags: a tag value must be a string; quote it, e.g. tier: "1"`,
    ]);
    expect(errorsOf(BASE.replace("  - tags: { env: qa }", "  - providers: [aws]"))).toEqual([
      `${FILE}:4: targets[0].providers[0]: providers: "aws" is not a provider; use huawei, autopilot, alibaba, baidu`,
    ]);
  });

  it("ties namespaces to workloads mode", () => {
    expect(errorsOf(`${BASE}mode: workloads\n`)).toEqual([
      `${FILE}:8: mode: workloads mode needs namespaces: the namespaces to scale to 0, e.g. namespaces: [app, jobs]`,
    ]);
    expect(errorsOf(`${BASE}mode: workloads\nnamespaces: []\n`)).toEqual([
      `${FILE}:9: namespaces: workloads mode needs namespaces: the namespaces to scale to 0, e.g. namespaces: [app, jobs]`,
    ]);
    expect(errorsOf(`${BASE}namespaces: [app]\n`)).toEqual([
      `${FILE}:8: namespaces: namespaces only applies to mode: workloads (this schedule is full); remove it or set mode: workloads`,
    ]);
    expect(errorsOf(`${BASE}mode: sleepy\n`)).toEqual([
      `${FILE}:8: mode: mode "sleepy" is not a mode; use full, control-plane, nodes or workloads`,
    ]);
  });

  it("checks exceptions: real dates, to on or after from, a state", () => {
    const exception = (body: string) => errorsOf(`${BASE}exceptions:\n  - ${body}\n`);
    expect(exception("{ from: 2026-12-05, to: 2026-12-01, state: awake }")).toEqual([
      `${FILE}:9: exceptions[0].to: to (2026-12-01) is before from (2026-12-05); both dates are inclusive, so to must be on or after from`,
    ]);
    expect(exception("{ from: 2026-02-30, to: 2026-03-01, state: awake }")).toEqual([
      `${FILE}:9: exceptions[0].from: from: "2026-02-30" is not a date in the calendar`,
    ]);
    expect(exception("{ from: 1 Dec, to: 2026-12-01, state: awake }")).toEqual([
      `${FILE}:9: exceptions[0].from: from must be a date YYYY-MM-DD, e.g. 2026-12-01`,
    ]);
    expect(exception("{ from: 2026-12-01, to: 2026-12-01 }")).toEqual([
      `${FILE}:9: exceptions[0].state: state is required; it must be asleep or awake`,
    ]);
  });

  it("checks calendars, holidays and the notice", () => {
    expect(errorsOf(`${BASE}holidays: asleep\n`)).toEqual([
      `${FILE}:8: holidays: holidays: asleep needs a calendar to know the holidays; add calendars: [{ builtin: cn-mainland }]`,
    ]);
    expect(errorsOf(`${BASE}calendars: [{ builtin: cn-mainland, file: x.yaml }]\n`)).toEqual([
      `${FILE}:8: calendars[0]: a calendar is either builtin: <name> or file: <path>; give exactly one`,
    ]);
    expect(errorsOf(`${BASE}calendars: [{ file: ../secrets.yaml }]\n`)).toEqual([
      `${FILE}:8: calendars[0].file: file must be a path inside the schedules directory, e.g. calendars/company.yaml`,
    ]);
    expect(
      errorsOf(`${BASE}notice: { minutesBefore: 0, webhookUrl: "https://user:pw@hooks.example.com/" }\n`),
    ).toEqual([
      `${FILE}:8: notice.minutesBefore: minutesBefore must be at least 1`,
      `${FILE}:8: notice.webhookUrl: webhookUrl must not carry a user name or password; notices are signed (Standard Webhooks) with a secret from the environment`,
    ]);
    expect(errorsOf(`${BASE}notice: { minutesBefore: 5, webhookUrl: ftp://x }\n`)).toEqual([
      `${FILE}:8: notice.webhookUrl: webhookUrl must be an http(s) URL, e.g. https://hooks.example.com/nightshift`,
    ]);
  });

  it("checks calendar references with the caller's knowledge", () => {
    const options: ScheduleFileOptions = {
      builtinCalendars: ["cn-mainland"],
      checkCalendarFile: (file) => (file === "calendars/company.yaml" ? undefined : `${file} does not exist`),
    };
    expect(
      errorsOf(
        `${BASE}calendars:\n  - builtin: cn-mainlnd\n  - file: calendars/nope.yaml\n  - file: calendars/company.yaml\n`,
        options,
      ),
    ).toEqual([
      `${FILE}:9: calendars[0].builtin: "cn-mainlnd" is not a shipped calendar; did you mean "cn-mainland"? the shipped calendars are: cn-mainland (or use file: calendars/<name>.yaml)`,
      `${FILE}:10: calendars[1].file: calendars/nope.yaml does not exist`,
    ]);
  });

  it("checks numbers and booleans", () => {
    expect(errorsOf(`${BASE}graceMinutes: 1.5\nminDwellMinutes: 2000\nenabled: yes\n`)).toEqual([
      `${FILE}:8: graceMinutes: graceMinutes must be a whole number of minutes from 0 to 1440, e.g. 60`,
      `${FILE}:9: minDwellMinutes: minDwellMinutes must be at most 1440 (a day)`,
      `${FILE}:10: enabled: enabled must be true or false`,
    ]);
  });

  it("reports every problem of every document at once, in line order, with columns", () => {
    const text = `name: Bad_Name
timezone: Asia/Shanghai
targets: [{ tags: { env: qa } }]
sleep: [{ days: weekdays, at: "8pm" }]
---
name: second
targets: [{ names: [x] }]
wake: [{ days: mon, at: "07:00" }]
`;
    const result = parseScheduleFile(text, FILE);
    expect("errors" in result && result.errors).toEqual([
      {
        file: FILE,
        line: 1,
        column: 7,
        field: "name",
        message:
          "name must be 1-63 lower-case letters, digits and dashes (not at either end), e.g. qa-weeknights",
      },
      { file: FILE, line: 4, column: 31, field: "sleep[0].at", message: 'at must be "HH:MM", e.g. "20:00"' },
      {
        file: FILE,
        line: 6,
        column: 1,
        field: "timezone",
        message:
          'timezone is required; it must be an IANA time zone, e.g. "Asia/Shanghai" or "Europe/Berlin"',
      },
    ]);
  });

  it("refuses a name used twice in one file, naming the first", () => {
    expect(errorsOf(`${BASE}---\n${BASE}`)).toEqual([
      `${FILE}:9: name: the name "qa-weeknights" is already used by the schedule in ${FILE}:1; schedule names must be unique, rename one of them`,
    ]);
  });

  it("reports YAML syntax errors and repeated keys at their line", () => {
    expect(errorsOf(`${BASE}wake: days: mon\n`)).toEqual([
      `${FILE}:8: not valid YAML: Nested mappings are not allowed in compact mappings`,
    ]);
    const [repeated] = errorsOf(`${BASE}timezone: UTC\n`);
    expect(repeated).toMatch(/^schedules\/qa\.yaml:8: not valid YAML: Map keys must be unique/);
  });

  it("refuses a document that is not a mapping, and a file without any schedule", () => {
    expect(errorsOf("- name: x\n")).toEqual([
      `${FILE}:1: a schedule is a YAML mapping (name: …, timezone: …, targets: …); this document is not one`,
    ]);
    expect(errorsOf("# nothing here yet\n")).toEqual([
      `${FILE}:1: this file holds no schedule; add one (name, timezone, targets, sleep/wake; see the examples in schedules/) or delete the file`,
    ]);
  });

  it("refuses an alias used before its anchor, and an alias bomb, at the alias (YAML's toJS would throw)", () => {
    expect(errorsOf("name: x\ntimezone: *tz\ntargets: []\nzone: &tz Asia/Shanghai\n")).toEqual([
      `${FILE}:2: YAML: Unresolved alias (the anchor must be set before the alias): tz; set the anchor (&name) before any alias (*name) to it, or write the value out`,
    ]);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]"];
    bomb.push("c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]", "name: x");
    const [bombError] = errorsOf(`${bomb.join("\n")}\n`);
    expect(bombError).toMatch(
      /^schedules\/qa\.yaml:1: YAML: .*; use at most 100 aliases, or write the values out$/,
    );
  });
});

describe("fieldName", () => {
  it("writes list indexes in brackets and quotes keys that are not plain words", () => {
    expect(fieldName(["sleep", 1, "at"])).toBe("sleep[1].at");
    expect(fieldName(["targets", 0, "tags", "nightshift/sleep"])).toBe('targets[0].tags["nightshift/sleep"]');
    expect(fieldName([])).toBe("");
  });
});
