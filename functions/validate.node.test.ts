import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseScheduleFile } from "../shared/schedule/schedule-file.ts";
import { runValidate, summary, VALIDATE_USAGE } from "./validate.node.ts";

const dirs: string[] = [];
function directory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-validate-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function validate(args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runValidate(args, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
  });
  return { code, stdout, stderr };
}

const QA = `name: qa-weeknights
timezone: Asia/Shanghai
targets:
  - accounts: [prod-hw]
    tags: { env: qa }
sleep: [{ days: mon-fri, at: "20:00" }]
wake: [{ days: weekdays, at: "08:00" }]
`;

describe("nightshift validate", () => {
  it("prints one summary line per schedule and exits 0", async () => {
    const dir = directory({
      "qa.yaml": QA,
      "berlin.yaml": `name: berlin
enabled: false
timezone: Europe/Berlin
mode: control-plane
enforce: true
targets: [{ providers: [huawei], names: ["dev-*"] }, { clusterIds: [c-1] }]
sleep: [{ days: [fri-sun], at: "19:00" }]
calendars: [{ builtin: cn-mainland }]
exceptions: [{ from: 2026-12-24, to: 2027-01-01, state: asleep }]
notice: { minutesBefore: 15, webhookUrl: https://hooks.example.com/n }
`,
    });
    expect(await validate([dir])).toEqual({
      code: 0,
      stdout: [
        `berlin (disabled): Europe/Berlin, control-plane, enforced; sleep fri-sun 19:00; targets names=dev-* providers=huawei | clusterIds=c-1; calendars cn-mainland (holidays asleep); exceptions asleep 2026-12-24..2027-01-01; notice 15 min before (${join(dir, "berlin.yaml")})`,
        `qa-weeknights: Asia/Shanghai, full; sleep weekdays 20:00, wake weekdays 08:00; targets accounts=prod-hw tag env=qa (${join(dir, "qa.yaml")})`,
      ],
      stderr: [],
    });
  });

  it("prints only file:line: field: message lines on stdout and exits 1 when anything is wrong", async () => {
    const dir = directory({
      "qa.yaml": QA.replace('at: "20:00"', 'at: "8pm"').replace("timezone:", "timezne:"),
      "other.yaml": QA,
    });
    const file = join(dir, "qa.yaml");
    expect(await validate([dir])).toEqual({
      code: 1,
      stdout: [
        `${file}:1: timezone: timezone is required; it must be an IANA time zone, e.g. "Asia/Shanghai" or "Europe/Berlin"`,
        `${file}:2: timezne: unknown key "timezne"; did you mean "timezone"?`,
        `${file}:6: sleep[0].at: at must be "HH:MM", e.g. "20:00"`,
      ],
      stderr: ["nightshift validate: 3 problems in 1 file; nothing was loaded"],
    });
  });

  it("checks the shipped examples", async () => {
    const { code, stdout, stderr } = await validate(["schedules"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: [] });
    expect(stdout).toHaveLength(5);
    expect(stdout.find((line) => line.startsWith("qa-weeknights:"))).toBe(
      "qa-weeknights: Asia/Shanghai, full; sleep weekdays 20:00, wake weekdays 08:00; targets accounts=sandbox-huawei-qa-team-cn-north-4 tag env=qa; exceptions awake 2026-12-14..2026-12-18 (schedules/huawei-qa-weeknights.yaml)",
    );
  });

  it("defaults to ./schedules", async () => {
    expect(await validate([])).toEqual(await validate(["schedules"]));
  });

  it("says so on stderr when there is nothing to check", async () => {
    const dir = directory({});
    expect(await validate([dir])).toEqual({
      code: 0,
      stdout: [],
      stderr: [`nightshift validate: no schedule files (*.yaml, *.yml) in ${dir}`],
    });
  });

  it("exits 2 for a missing directory or bad arguments", async () => {
    const missing = join(directory({}), "nope");
    expect(await validate([missing])).toEqual({
      code: 2,
      stdout: [],
      stderr: [`nightshift validate: ${missing} does not exist; give the schedules directory`],
    });
    expect(await validate(["a", "b"])).toEqual({
      code: 2,
      stdout: [],
      stderr: [`nightshift validate: give one directory\n\n${VALIDATE_USAGE}`],
    });
    expect(await validate(["--strict"])).toMatchObject({ code: 2, stdout: [] });
    expect(await validate(["--help"])).toEqual({ code: 0, stdout: [VALIDATE_USAGE], stderr: [] });
  });
});

describe("summary", () => {
  it("names namespaces, released nodes and wrapped day ranges", () => {
    const result = parseScheduleFile(
      `name: ap
timezone: Asia/Shanghai
mode: workloads
namespaces: [app, jobs]
releaseNodes: true
targets: [{ tags: { "nightshift/sleep": weeknights } }]
sleep: [{ days: fri-mon, at: "22:00" }]
`,
      "schedules/ap.yaml",
    );
    if (!("schedules" in result)) throw new Error("expected a schedule");
    expect(summary(result.schedules[0]!)).toBe(
      "ap: Asia/Shanghai, workloads; sleep fri-mon 22:00; targets tag nightshift/sleep=weeknights; namespaces app,jobs; releases nodes (schedules/ap.yaml)",
    );
  });
});
