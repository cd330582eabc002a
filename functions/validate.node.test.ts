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

// More than 60 days before cn-mainland's official data ends (2026-12-31): no coverage warnings.
const SEPTEMBER = new Date("2026-09-01T00:00:00+08:00");

async function validate(args: string[], now = SEPTEMBER) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runValidate(
    args,
    {
      stdout: (line) => stdout.push(line),
      stderr: (line) => stderr.push(line),
    },
    now,
  );
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
    expect(stdout).toHaveLength(11);
    expect(stdout.filter((line) => line.startsWith("rates "))).toEqual([
      "rates huawei-cce-rates: CNY, cluster 0.68/h, pools gpu* 9.8/node/h, pools * 0.95/node/h; teams by tag team (schedules/rates.yaml)",
      "rates autopilot-rates: CNY, cluster 2.4/h; teams by tag team (schedules/rates.yaml)",
      "rates ack-baidu-rates: CNY, pools * 0.9/node/h; teams by tag team (schedules/rates.yaml)",
    ]);
    expect(stdout.filter((line) => line.startsWith("rule "))).toEqual([
      "rule qa-runners-pending-pods: on alertmanager KubePodsPending namespace=e2e-* → percent 50 (at least 2); target account sandbox-huawei-qa-team-cn-north-4, cluster label cluster_id, pool event pool; max 12, cooldown 10 min, hysteresis 30 min, reverts on resolve (schedules/qa-resize-rules.yaml)",
      "rule ci-wakes-qa: on events cluster.wake → wake the cluster, held awake until data.until (at most 360 min); target account event account, cluster event cluster (schedules/qa-resize-rules.yaml)",
    ]);
    expect(stdout.find((line) => line.startsWith("qa-weeknights:"))).toBe(
      "qa-weeknights: Asia/Shanghai, full; sleep weekdays 20:00, wake weekdays 08:00; targets accounts=sandbox-huawei-qa-team-cn-north-4 tag env=qa; exceptions awake 2026-12-14..2026-12-18 (schedules/huawei-qa-weeknights.yaml)",
    );
    expect(stdout.at(-4)).toBe(
      'ack-dev-ci-kubeconfigs: renewal for 3d, renewed 1d before the end; targets accounts=sandbox-alibaba-ack-dev providers=alibaba tag env=dev; window "* 1-5 * * *" Asia/Shanghai; sinks store (schedules/ack-dev-ci-kubeconfigs.yaml)',
    );
  });

  it("warns on stderr, still exiting 0, when cn-mainland's official data ends within 60 days", async () => {
    const { code, stdout, stderr } = await validate(["schedules"], new Date("2026-12-06T10:00:00+08:00"));
    expect(code).toBe(0);
    expect(stdout).toHaveLength(11);
    expect(stderr).toEqual([
      "schedules/baidu-china-holidays.yaml: warning: schedule \"acme-office-days\": calendar cn-mainland has official data only up to 2026-12-31 (25 days from now); from 2027-01-01 it uses provisional statutory holidays computed from the statute (全国年节及纪念日放假办法); 2027's make-up working days (调休) and days off in lieu are unknown. Fix: when the State Council publishes 2027's arrangement, add it as a calendar file with `replaces: { builtin: cn-mainland, years: [2027] }` and list it in this schedule's calendars (see schedules/calendars/README.md), or upgrade nightshift.",
    ]);
    // 61 days before the end: not yet.
    expect((await validate(["schedules"], new Date("2026-10-31T12:00:00+08:00"))).stderr).toEqual([]);
    expect((await validate(["schedules"], new Date("2026-11-01T12:00:00+08:00"))).stderr).toHaveLength(1);
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
