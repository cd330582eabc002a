// `nightshift plan`, `nightshift tick` and `nightshift validate` as a user runs them: the command
// from the repository, no cloud account (so the built-in sandbox fleet, held still at the
// requested time), and the example schedules in schedules/. The first test runs a real process;
// the rest run the same command in process (test/setup/cli.node.ts), which spares a Node start-up
// per call.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pauseSchedule } from "../shared/schedule/pause.ts";
import { sqliteBackend } from "../shared/store/sqlite.node.ts";
import { createStore } from "../shared/store/store.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { runCli, runCliInProcess } from "../test/setup/cli.node.ts";

// Each run starts the sandbox clouds (about a second, several on a loaded machine), and some
// tests run several in turn: every test gets a generous bound.
const SLOW = { timeout: 120_000 };

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-plan-tick-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCliInProcess(args, { NIGHTSHIFT_STORE: "memory", ...env });
const spawned = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { NIGHTSHIFT_STORE: "memory", ...env });

interface PlanRow {
  target: string;
  name: string;
  schedule: string;
  action: "sleep" | "wake";
  local: string;
  utc: string;
}

const QA_TARGET = /^sandbox-huawei-qa-team-cn-north-4\/[0-9a-f-]{36}$/;
// Monday 23 November 2026, local midnight to midnight in Shanghai.
const MONDAY = ["--from", "2026-11-23T00:00:00+08:00", "--to", "2026-11-24T00:00:00+08:00"];
const row = (r: PlanRow) => `${r.action} ${r.local} = ${r.utc}`;

describe("nightshift plan", () => {
  it("lists each target's transitions in local time and UTC, in time order (--json)", SLOW, async () => {
    const { code, stdout, stderr } = await spawned(["plan", ...MONDAY, "--json"]);
    // 2026-11-23 is within 60 days of the end of cn-mainland's official data (2026-12-31).
    expect(stderr).toMatch(
      /^schedules\/baidu-china-holidays\.yaml: warning: schedule "acme-office-days": calendar cn-mainland has official data only up to 2026-12-31 \(38 days from now\);.*\n$/,
    );
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as {
      from: string;
      to: string;
      transitions: PlanRow[];
      warnings: Array<{ schedule: string; lastCovered: string }>;
    };
    expect(plan.warnings.map((w) => [w.schedule, w.lastCovered])).toEqual([
      ["acme-office-days", "2026-12-31"],
    ]);
    expect(plan.from).toBe("2026-11-22T16:00:00.000Z");
    expect(plan.to).toBe("2026-11-23T16:00:00.000Z");
    const rows = plan.transitions;
    expect(rows.map((r) => r.utc)).toEqual(rows.map((r) => r.utc).sort());

    // The Huawei QA cluster on qa-weeknights: woken at 08:00 and put to sleep at 20:00 Shanghai.
    const qa = rows.filter((r) => r.schedule === "qa-weeknights");
    expect(qa).toEqual([
      {
        target: expect.stringMatching(QA_TARGET),
        name: "qa-e2e",
        schedule: "qa-weeknights",
        action: "wake",
        local: "2026-11-23 08:00 Asia/Shanghai",
        utc: "2026-11-23T00:00:00.000Z",
      },
      {
        target: qa[0]!.target,
        name: "qa-e2e",
        schedule: "qa-weeknights",
        action: "sleep",
        local: "2026-11-23 20:00 Asia/Shanghai",
        utc: "2026-11-23T12:00:00.000Z",
      },
    ]);
    // Berlin office hours (CET in November); the 19:00 sleep is 18:00Z, after the window.
    expect(rows.filter((r) => r.schedule === "berlin-platform-evenings").map(row)).toEqual([
      "wake 2026-11-23 07:00 Europe/Berlin = 2026-11-23T06:00:00.000Z",
    ]);
    // Weekends off: Monday has only the morning wake.
    expect(rows.filter((r) => r.schedule === "dev-weekends-off").map(row)).toEqual([
      "wake 2026-11-23 07:30 Asia/Shanghai = 2026-11-22T23:30:00.000Z",
    ]);
    // Two selectors, three Baidu clusters: each wakes at 08:30 and sleeps at 21:00.
    const baidu = rows.filter((r) => r.schedule === "acme-office-days");
    expect(new Set(baidu.map((r) => r.target)).size).toBe(3);
    expect(baidu.every((r) => /^sandbox-baidu-acme-(bj|gz)\//.test(r.target))).toBe(true);
    expect(new Set(baidu.map(row))).toEqual(
      new Set([
        "wake 2026-11-23 08:30 Asia/Shanghai = 2026-11-23T00:30:00.000Z",
        "sleep 2026-11-23 21:00 Asia/Shanghai = 2026-11-23T13:00:00.000Z",
      ]),
    );
    const autopilot = rows.filter((r) => r.schedule === "autopilot-dev-workloads");
    expect(new Set(autopilot.map((r) => r.target)).size).toBe(2);
    expect(new Set(autopilot.map(row))).toEqual(
      new Set([
        "wake 2026-11-23 07:00 Asia/Shanghai = 2026-11-22T23:00:00.000Z",
        "sleep 2026-11-23 22:00 Asia/Shanghai = 2026-11-23T14:00:00.000Z",
      ]),
    );
    expect(rows).toHaveLength(qa.length + 1 + 1 + baidu.length + autopilot.length);
    expect(baidu).toHaveLength(6);
    expect(autopilot).toHaveLength(4);
  });

  it("marks the sleeps a paused schedule holds, and says it is paused", SLOW, async () => {
    const file = join(tempDir(), "state.db");
    const store = createStore(await sqliteBackend(file));
    const paused = await pauseSchedule(
      { store, schedules: [testSchedule({ name: "qa-weeknights" })] },
      "qa-weeknights",
      { reason: "release freeze", by: "admin API", now: new Date("2026-11-22T00:00:00Z") },
    );
    expect(paused.ok).toBe(true);
    await store.close();
    const env = { NIGHTSHIFT_STORE: `sqlite:${file}` };
    const json = await cli(["plan", ...MONDAY, "--json"], env);
    expect(json.code).toBe(0);
    const qa = (
      JSON.parse(json.stdout) as { transitions: Array<PlanRow & { deferred?: unknown }> }
    ).transitions
      .filter((r) => r.schedule === "qa-weeknights")
      .map((r) => [r.action, r.deferred]);
    expect(qa).toEqual([
      ["wake", undefined],
      ["sleep", { reason: "paused", until: null }],
    ]);
    const text = await cli(["plan", ...MONDAY], env);
    expect(text.stdout).toMatch(
      /2026-11-23 20:00 Asia\/Shanghai \[paused until resumed\]\s+sleep\s+qa-weeknights/,
    );
    expect(text.stdout).toContain(
      "paused qa-weeknights since 2026-11-22T00:00:00.000Z until resumed (by admin API: release freeze); its sleeps wait, its wakes happen",
    );
    // Other schedules' sleeps are not marked.
    expect(text.stdout).not.toMatch(/21:00 Asia\/Shanghai \[paused/);
  });

  it(
    "keeps the cn-mainland clusters asleep on New Year's Day 2027 (provisional) and says why",
    SLOW,
    async () => {
      const { code, stdout, stderr } = await cli([
        "plan",
        "--from",
        "2026-12-31T00:00:00+08:00",
        "--to",
        "2027-01-03T00:00:00+08:00",
      ]);
      expect(code).toBe(0);
      const baidu = stdout.split("\n").filter((line) => line.includes("acme-office-days"));
      // 2026-12-31 is company.yaml's year-end shutdown, 2027-01-01 (Fri) a statutory holiday, then
      // the weekend: the clusters stay asleep (before provisional days, all three woke at 08:30 on 1/1).
      expect(baidu).toEqual([]);
      expect(stderr).toContain(
        'schedules/baidu-china-holidays.yaml: warning: schedule "acme-office-days": calendar cn-mainland has official data only up to 2026-12-31, and this plan reaches 2027-01-03; from 2027-01-01 it uses provisional statutory holidays',
      );
    },
  );

  it(
    "keeps the local time across a daylight-saving change and marks exception transitions",
    SLOW,
    async () => {
      const dst = await cli([
        "plan",
        "--from",
        "2026-03-27T00:00:00+01:00",
        "--to",
        "2026-03-31T00:00:00+02:00",
        "--json",
      ]);
      expect(dst.code).toBe(0);
      const berlin = (JSON.parse(dst.stdout) as { transitions: PlanRow[] }).transitions.filter(
        (r) => r.schedule === "berlin-platform-evenings",
      );
      // Europe/Berlin moves to summer time on Sunday 29 March: 07:00 is 06:00Z before, 05:00Z after.
      expect(berlin.map(row)).toEqual([
        "wake 2026-03-27 07:00 Europe/Berlin = 2026-03-27T06:00:00.000Z",
        "sleep 2026-03-27 19:00 Europe/Berlin = 2026-03-27T18:00:00.000Z",
        "wake 2026-03-30 07:00 Europe/Berlin = 2026-03-30T05:00:00.000Z",
        "sleep 2026-03-30 19:00 Europe/Berlin = 2026-03-30T17:00:00.000Z",
      ]);

      // The Double-12 exception keeps the Alibaba dev cluster awake over that weekend.
      const sale = await cli([
        "plan",
        "--from",
        "2026-12-11T12:00:00+08:00",
        "--to",
        "2026-12-14T12:00:00+08:00",
        "--json",
      ]);
      expect(sale.code).toBe(0);
      const alibaba = (JSON.parse(sale.stdout) as { transitions: PlanRow[] }).transitions.filter(
        (r) => r.schedule === "dev-weekends-off",
      );
      expect(alibaba.map(row)).toEqual([
        "sleep 2026-12-11 19:00 Asia/Shanghai = 2026-12-11T11:00:00.000Z",
        "wake 2026-12-12 00:00 Asia/Shanghai [exception-start] = 2026-12-11T16:00:00.000Z",
        "sleep 2026-12-14 00:00 Asia/Shanghai [exception-end] = 2026-12-13T16:00:00.000Z",
        "wake 2026-12-14 07:30 Asia/Shanghai = 2026-12-13T23:30:00.000Z",
      ]);
    },
  );

  it("prints a table: a title, a header, then one aligned row per transition", SLOW, async () => {
    const { code, lines } = await cli(["plan", ...MONDAY]);
    expect(code).toBe(0);
    expect(lines[0]).toBe("Transitions from 2026-11-22T16:00:00.000Z to 2026-11-23T16:00:00.000Z (14)");
    const header = lines[1]!;
    expect(header).toMatch(/^UTC +LOCAL +ACTION +SCHEDULE +NAME +TARGET$/);
    const body = lines.slice(2);
    expect(body).toHaveLength(14);
    for (const line of lines) expect(line).toBe(line.trimEnd());
    // Each column starts where its header does.
    const starts = ["LOCAL", "ACTION", "SCHEDULE", "NAME", "TARGET"].map((h) => header.indexOf(h));
    const qaSleep = body.find((line) => line.includes("qa-weeknights") && line.includes(" sleep "));
    expect(qaSleep).toBeDefined();
    expect(starts.map((start) => qaSleep!.slice(start).split(/ {2,}/)[0])).toEqual([
      "2026-11-23 20:00 Asia/Shanghai",
      "sleep",
      "qa-weeknights",
      "qa-e2e",
      expect.stringMatching(QA_TARGET),
    ]);
    expect(qaSleep!.startsWith("2026-11-23T12:00:00.000Z  ")).toBe(true);
  });

  it("refuses a bad window with exit 2 and a message naming the option", SLOW, async () => {
    const results = await Promise.all(
      ["yesterday", "2026-11-23T20:00", "2026-02-30T00:00:00Z", "12"].map((from) =>
        cli(["plan", "--from", from]),
      ),
    );
    for (const [index, from] of ["yesterday", "2026-11-23T20:00", "2026-02-30T00:00:00Z", "12"].entries()) {
      expect(results[index]).toEqual({
        code: 2,
        stdout: "",
        lines: [],
        stderr: `nightshift plan: --from must be an ISO-8601 time with an offset, e.g. 2026-11-23T20:00:00+08:00 or 2026-11-23T12:00:00Z (got "${from}")\n`,
      });
    }

    const backwards = await cli(["plan", "--from", "2026-11-24T00:00:00Z", "--to", "2026-11-23T00:00:00Z"]);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toBe("nightshift plan: --to must be after --from\n");

    const unknown = await cli(["plan", "--form", "2026-11-24T00:00:00Z"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("nightshift plan: Unknown option '--form'");
    expect(unknown.stderr).toContain("Usage: nightshift plan [--from T] [--to T] [--json]");
  });
});

interface TickReport {
  at: string;
  trigger: string;
  dryRun: boolean;
  decisions: Array<{
    target: string;
    kind: string;
    to?: string;
    schedule?: string;
    reason?: string;
    detail?: string;
    operationId?: string;
  }>;
  operations: { created: number; advanced: number };
  errors: unknown[];
}

// Monday 20:05 and Tuesday 20:05 in Shanghai: just after qa-weeknights' 20:00 sleeps.
const MONDAY_EVENING = "2026-11-23T20:05:00+08:00";
const TUESDAY_EVENING = "2026-11-24T20:05:00+08:00";

async function tick(args: string[], env: Record<string, string> = {}) {
  const result = await cli(["tick", ...args], { LOG_LEVEL: "warn", ...env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as TickReport;
}

describe("nightshift tick", () => {
  it(
    "--dry-run on a first run: every target is first seen, recorded as a baseline, never acted on",
    SLOW,
    async () => {
      const report = await tick(["--at", MONDAY_EVENING, "--dry-run"]);
      expect(report).toMatchObject({
        at: "2026-11-23T12:05:00.000Z",
        trigger: "cli",
        dryRun: true,
        operations: { created: 0, advanced: 0 },
        errors: [],
      });
      expect(report.decisions).toHaveLength(8);
      for (const decision of report.decisions) {
        expect(decision).toMatchObject({ kind: "skip", reason: "first-sight" });
        expect(decision.operationId).toBeUndefined();
      }
      // The decision names the transition that would have applied: the QA cluster's 20:00 sleep.
      expect(report.decisions.find((d) => d.schedule === "qa-weeknights")).toEqual({
        target: expect.stringMatching(QA_TARGET),
        kind: "skip",
        to: "asleep",
        schedule: "qa-weeknights",
        reason: "first-sight",
      });
    },
  );

  it("remembers a real tick in the store, acts on the next transition, and never twice", SLOW, async () => {
    const env = { NIGHTSHIFT_STORE: `sqlite:${join(tempDir(), "state.db")}` };
    // A dry run stores nothing: a later tick still sees every target for the first time.
    await tick(["--at", MONDAY_EVENING, "--dry-run"], env);
    const stillFirst = await tick(["--at", TUESDAY_EVENING, "--dry-run"], env);
    expect(stillFirst.decisions.every((d) => d.reason === "first-sight")).toBe(true);

    const baseline = await tick(["--at", MONDAY_EVENING], env);
    expect(baseline.dryRun).toBe(false);
    expect(baseline.decisions.every((d) => d.reason === "first-sight")).toBe(true);
    expect(baseline.operations.created).toBe(0);

    // A day later: the Tuesday 20:00 sleep is 5 minutes old, inside the grace window.
    const preview = await tick(["--at", TUESDAY_EVENING, "--dry-run"], env);
    const qa = preview.decisions.find((d) => d.schedule === "qa-weeknights")!;
    expect(qa).toEqual({
      target: expect.stringMatching(QA_TARGET),
      kind: "act",
      to: "asleep",
      schedule: "qa-weeknights",
      operationId: `qa-weeknights:asleep:2026-11-24T20:00@${qa.target}`,
    });
    // The weekends-off schedule's latest transition is still Monday's wake, handled on Monday.
    expect(preview.decisions.find((d) => d.schedule === "dev-weekends-off")).toMatchObject({
      kind: "skip",
      reason: "already-handled",
    });
    expect(preview.operations).toEqual({ created: 0, advanced: 0 });

    const acted = await tick(["--at", TUESDAY_EVENING], env);
    const actedIds = acted.decisions.filter((d) => d.kind === "act").map((d) => d.operationId);
    expect(actedIds).toContain(qa.operationId);
    expect(acted.operations.created).toBe(actedIds.length);
    expect(acted.operations.advanced).toBeGreaterThan(0);

    const again = await tick(["--at", TUESDAY_EVENING], env);
    expect(again.operations.created).toBe(0);
    expect(again.decisions.filter((d) => d.kind === "act")).toEqual([]);
    expect(again.decisions.find((d) => d.target === qa.target)).toMatchObject({ reason: "already-handled" });
  });
});

describe("a target two enabled schedules match", () => {
  it(
    "plan lists it as skipped, naming both schedules, and the tick skips it the same way",
    SLOW,
    async () => {
      const dir = tempDir();
      const rules = `sleep: [{ days: mon-fri, at: "20:00" }]\nwake: [{ days: mon-fri, at: "08:00" }]\n`;
      writeFileSync(
        join(dir, "qa.yaml"),
        `name: qa\ntimezone: Asia/Shanghai\ntargets:\n  - accounts: [sandbox-huawei-qa-team-cn-north-4]\n    tags: { env: qa }\n${rules}`,
      );
      writeFileSync(
        join(dir, "all-huawei.yaml"),
        `name: all-huawei\ntimezone: Asia/Shanghai\ntargets:\n  - providers: [huawei]\n${rules}`,
      );
      const env = { NIGHTSHIFT_SCHEDULES_DIR: dir, LOG_LEVEL: "warn" };
      const [json, text, dryRun] = await Promise.all([
        cli(["plan", ...MONDAY, "--json"], env),
        cli(["plan", ...MONDAY], env),
        cli(["tick", "--dry-run", "--at", MONDAY_EVENING], env),
      ]);
      for (const result of [json, text, dryRun]) expect(result.code, result.stderr).toBe(0);
      // Schedules are named in load order: the files sorted by name.
      const message = "matched by all-huawei, qa; make the selectors exclusive (or disable all but one)";

      const plan = JSON.parse(json.stdout) as {
        transitions: PlanRow[];
        skipped: Array<{
          target: string;
          name: string;
          status: string;
          schedules: string[];
          message: string;
        }>;
      };
      const contested = plan.skipped.map((s) => s.target);
      expect(contested.length).toBeGreaterThan(0);
      for (const skip of plan.skipped) {
        expect(skip).toMatchObject({
          target: expect.stringMatching(QA_TARGET),
          status: "several-schedules",
          message,
        });
      }
      // Only all-huawei's own targets (the other Huawei clusters) are planned.
      expect(plan.transitions.length).toBeGreaterThan(0);
      for (const row of plan.transitions) {
        expect(row.schedule).toBe("all-huawei");
        expect(contested).not.toContain(row.target);
      }

      for (const target of contested)
        expect(text.lines).toContain(
          `skipped ${target} (${plan.skipped.find((s) => s.target === target)!.name}): ${message}`,
        );

      const report = JSON.parse(dryRun.stdout) as TickReport;
      const conflicts = report.decisions.filter((d) => d.reason === "several-schedules");
      expect(conflicts.map((d) => d.target).sort()).toEqual([...contested].sort());
      for (const decision of conflicts)
        expect(decision).toEqual({
          target: decision.target,
          kind: "skip",
          reason: "several-schedules",
          detail: message,
        });
    },
  );
});

describe("invalid schedules", () => {
  const brokenDir = () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "qa.yaml"),
      `name: qa
timezone: Asia/Shanghia
targets:
  - accounts: [sandbox-huawei-qa-team-cn-north-4]
sleep: [{ days: mon-fri, at: "8pm" }]
wake: [{ days: funday, at: "08:00" }]
`,
    );
    return dir;
  };
  const problems = (file: string) => [
    `${file}:2: timezone: timezone "Asia/Shanghia" is not an IANA time zone; did you mean "Asia/Shanghai"?`,
    `${file}:5: sleep[0].at: at must be "HH:MM", e.g. "20:00"`,
    `${file}:6: wake[0].days: days: "funday" is not a day; use mon … sun, a range like "mon-fri" or "fri-mon", or weekdays, weekends, daily`,
  ];

  it("plan and tick stop with exit 1 and one file:line: field: message line per problem", SLOW, async () => {
    const dir = brokenDir();
    const env = { NIGHTSHIFT_SCHEDULES_DIR: dir };
    const [plan, dryRun] = await Promise.all([
      cli(["plan", ...MONDAY], env),
      cli(["tick", "--dry-run", "--at", MONDAY_EVENING], env),
    ]);
    for (const result of [plan, dryRun]) {
      expect(result.code).toBe(1);
      expect(result.lines).toEqual(problems(join(dir, "qa.yaml")));
    }
  });

  it("a missing schedules directory names the setting to fix, exit 1", SLOW, async () => {
    const missing = join(tempDir(), "nope");
    const result = await cli(["plan"], { NIGHTSHIFT_SCHEDULES_DIR: missing });
    expect(result).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `NIGHTSHIFT_SCHEDULES_DIR: ${missing} does not exist; give the schedules directory\n`,
    });
  });

  it("a bad setting stops plan with exit 1 naming the variable", SLOW, async () => {
    const result = await cli(["plan"], { NIGHTSHIFT_STORE: "postgres://db" });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("NIGHTSHIFT_STORE: must be memory, sqlite:<file path> or redis://");
  });
});

describe("nightshift validate (exit codes)", () => {
  it(
    "0 for the example schedules, 1 for problems, 2 for bad usage or a missing directory",
    SLOW,
    async () => {
      const broken = (() => {
        const dir = tempDir();
        writeFileSync(
          join(dir, "qa.yaml"),
          'name: qa\ntimezone: Asia/Shanghai\nsleep: [{ days: mon, at: "25:00" }]\n',
        );
        return dir;
      })();
      const [examples, invalid, option, missing] = await Promise.all([
        cli(["validate"]),
        cli(["validate", broken]),
        cli(["validate", "--strict"]),
        cli(["validate", join(tempDir(), "nope")]),
      ]);
      expect(examples.code).toBe(0);
      expect(examples.lines.map((line) => /\((schedules\/[^)]+\.yaml)\)$/.exec(line)?.[1]).sort()).toEqual([
        "schedules/ack-dev-ci-kubeconfigs.yaml",
        "schedules/alibaba-dev-weekends.yaml",
        "schedules/autopilot-dev-workloads.yaml",
        "schedules/baidu-china-holidays.yaml",
        "schedules/berlin-platform-evenings.yaml",
        "schedules/huawei-qa-weeknights.yaml",
        "schedules/qa-resize-rules.yaml",
        "schedules/qa-resize-rules.yaml",
        "schedules/rates.yaml",
        "schedules/rates.yaml",
        "schedules/rates.yaml",
      ]);
      expect(invalid.code).toBe(1);
      expect(invalid.lines.length).toBeGreaterThan(0);
      for (const line of invalid.lines) expect(line).toMatch(/^\/.+\/qa\.yaml:\d+: [\w[\].]+: .+/);
      expect(option.code).toBe(2);
      expect(option.stderr).toContain("unknown option --strict");
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("does not exist");
    },
  );
});
