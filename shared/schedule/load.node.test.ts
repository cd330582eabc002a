import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSandbox, type TestSandbox } from "../../test/setup/sandbox.ts";
import { createHttpClient } from "../http/client.ts";
import { listInventory, type Target } from "../providers/inventory.ts";
import { createProvider } from "../providers/registry.ts";
import { sandboxAccounts } from "../sandbox/accounts.ts";
import type { CloudName } from "../sandbox/cloud.ts";
import { type LoadedSchedules, loadSchedules, ScheduleDirectoryError } from "./load.node.ts";
import { matchesTarget } from "./plan.ts";
import { formatScheduleFileError } from "./schedule-file.ts";
import type { Schedule } from "./types.ts";

const schedule = (name: string, extra = "") => `name: ${name}
timezone: Asia/Shanghai
targets: [{ tags: { env: qa } }]
sleep: [{ days: weekdays, at: "20:00" }]
${extra}`;

const dirs: string[] = [];
function directory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-schedules-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function loaded(result: LoadedSchedules): Extract<LoadedSchedules, { schedules: unknown }> {
  if ("errors" in result) throw new Error(result.errors.map(formatScheduleFileError).join("\n"));
  return result;
}
function errorLines(result: LoadedSchedules): string[] {
  if (!("errors" in result)) throw new Error(`expected errors, got ${result.schedules.map((s) => s.name)}`);
  return result.errors.map(formatScheduleFileError);
}

describe("loadSchedules", () => {
  it("reads the *.yaml and *.yml files directly in the directory, in name order", async () => {
    const dir = directory({
      "b.yml": schedule("bravo"),
      "a.yaml": `${schedule("alpha")}---\n${schedule("alpha-two")}`,
      "notes.md": "not a schedule",
      "schedule.schema.json": "{}",
      "calendars/company.yaml": "holidays: [{ date: 2026-12-24, name: Christmas Eve }]\n",
      "drafts/c.yaml": "this is not even valid: [",
    });
    const result = loaded(await loadSchedules(dir));
    expect(result.schedules.map((s) => [s.name, s.source])).toEqual([
      ["alpha", join(dir, "a.yaml")],
      ["alpha-two", join(dir, "a.yaml")],
      ["bravo", join(dir, "b.yml")],
    ]);
  });

  it("refuses a name declared in two files, naming both", async () => {
    const dir = directory({
      "a.yaml": schedule("shared"),
      "b.yaml": `# the same name\n${schedule("shared")}`,
    });
    expect(errorLines(await loadSchedules(dir))).toEqual([
      `${join(dir, "b.yaml")}:2: name: the name "shared" is already used by the schedule in ${join(dir, "a.yaml")}:1; schedule names must be unique, rename one of them`,
    ]);
  });

  it("returns every file's errors together", async () => {
    const dir = directory({
      "a.yaml": schedule("alpha", "mode: nap\n"),
      "b.yaml": schedule("bravo", "timezne: UTC\n"),
      "c.yaml": schedule("charlie"),
    });
    expect(errorLines(await loadSchedules(dir))).toEqual([
      `${join(dir, "a.yaml")}:5: mode: mode "nap" is not a mode; use full, control-plane, nodes or workloads`,
      `${join(dir, "b.yaml")}:5: timezne: unknown key "timezne"; did you mean "timezone"?`,
    ]);
  });

  it("loads the calendars the schedules name, builtin and from files", async () => {
    const dir = directory({
      "a.yaml": schedule(
        "alpha",
        "calendars: [{ builtin: cn-mainland }, { file: calendars/company.yaml }]\n",
      ),
      "b.yaml": schedule("bravo", "calendars: [{ file: calendars/company.yaml }]\n"),
      "calendars/company.yaml": "holidays: [{ date: 2026-12-24, name: Christmas Eve }]\n",
    });
    const { calendars } = loaded(await loadSchedules(dir));
    expect([...calendars.keys()]).toEqual(["cn-mainland", "calendars/company.yaml"]);
    expect(calendars.get("calendars/company.yaml")?.dayKind("2026-12-24")).toBe("holiday");
    expect(calendars.get("cn-mainland")?.dayKind("2026-10-01")).toBe("holiday");
  });

  it("reports a missing calendar file at the schedule's line, and a broken one at its own", async () => {
    const dir = directory({
      "a.yaml": schedule("alpha", "calendars:\n  - file: calendars/missing.yaml\n"),
      "b.yaml": schedule("bravo", "calendars:\n  - builtin: cn-mainlan\n"),
      "c.yaml": schedule("charlie", "calendars:\n  - file: calendars/broken.yaml\n"),
      "calendars/broken.yaml": "holidays:\n  - date: 2026-13-01\n    name: Nope\n",
    });
    const lines = errorLines(await loadSchedules(dir));
    expect(lines.slice(0, 2)).toEqual([
      `${join(dir, "a.yaml")}:6: calendars[0].file: ${join(dir, "calendars/missing.yaml")} does not exist; the path is relative to ${dir}/ (format: ${join(dir, "calendars/README.md")})`,
      `${join(dir, "b.yaml")}:6: calendars[0].builtin: "cn-mainlan" is not a shipped calendar; did you mean "cn-mainland"? the shipped calendars are: cn-mainland (or use file: calendars/<name>.yaml)`,
    ]);
    expect(lines.slice(2)).toHaveLength(1);
    expect(lines[2]).toMatch(
      new RegExp(`^${join(dir, "calendars/broken.yaml")}:2: holidays\\[0\\]\\.date: `),
    );
  });

  it("accepts an empty directory, and says when the directory is missing", async () => {
    expect(loaded(await loadSchedules(directory({})))).toEqual({
      schedules: [],
      renewals: [],
      calendars: new Map(),
      rules: [],
      rates: [],
    });
    const missing = join(directory({}), "nope");
    await expect(loadSchedules(missing)).rejects.toThrow(ScheduleDirectoryError);
    await expect(loadSchedules(missing)).rejects.toThrow(
      `${missing} does not exist; give the schedules directory`,
    );
  });

  // Found by the chaos fuzz: these escaped as raw fs errors (the CLI's last resort, exit 1).
  it("refuses a path no file system takes (too long, a NUL byte) as a directory error naming it", async () => {
    for (const path of ["x".repeat(5000), "sched\u0000ules"]) {
      await expect(loadSchedules(path)).rejects.toThrow(ScheduleDirectoryError);
      await expect(loadSchedules(path)).rejects.toThrow("is not a usable directory path");
    }
  });
});

describe("the example schedules in schedules/", () => {
  let sandbox: TestSandbox;
  let targets: Target[];
  let schedules: Schedule[];

  beforeAll(async () => {
    schedules = loaded(await loadSchedules("schedules")).schedules;
    // The fleet `npm start` runs against: the sandbox's default fleet (seed 1).
    sandbox = await newSandbox({ speed: 0, seed: 1 });
    const clouds: CloudName[] = ["huawei", "autopilot", "alibaba", "baidu"];
    const description = Object.fromEntries(clouds.map((cloud) => [cloud, sandbox[cloud]]));
    const http = createHttpClient({ fetch: (input, init) => fetch(input, init) });
    const providers = await Promise.all(
      sandboxAccounts(description as never).map(async (account) => {
        const { now } = await sandbox.inspect(account.vendor as CloudName, "GET", "clock");
        return createProvider(account, { http, now: () => new Date(now), nonce: () => crypto.randomUUID() });
      }),
    );
    const inventory = await listInventory(providers);
    expect(inventory.errors).toEqual([]);
    targets = inventory.targets;
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it("cover each provider and the common cases", () => {
    const byName = new Map(schedules.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual([
      "acme-office-days",
      "autopilot-dev-workloads",
      "berlin-platform-evenings",
      "dev-weekends-off",
      "qa-weeknights",
    ]);
    expect(byName.get("qa-weeknights")).toMatchObject({ mode: "full", timezone: "Asia/Shanghai" });
    expect(byName.get("dev-weekends-off")).toMatchObject({ releaseNodes: true });
    expect(byName.get("acme-office-days")?.calendars).toEqual([
      { builtin: "cn-mainland" },
      { file: "calendars/company.yaml" },
    ]);
    expect(byName.get("autopilot-dev-workloads")).toMatchObject({ mode: "workloads" });
    expect(byName.get("berlin-platform-evenings")).toMatchObject({
      mode: "control-plane",
      timezone: "Europe/Berlin",
    });
    for (const s of schedules) expect(s.exceptions.length, s.name).toBeLessThanOrEqual(1);
  });

  it("include a renewal declaration that selects a sandbox cluster", async () => {
    const { renewals } = loaded(await loadSchedules("schedules"));
    expect(renewals.map((r) => [r.name, r.durationMinutes, r.window])).toEqual([
      [
        "ack-dev-ci-kubeconfigs",
        3 * 1440,
        { cron: "* 1-5 * * *", timezone: "Asia/Shanghai", durationMinutes: 1 },
      ],
    ]);
    const selected = targets.filter((target) => matchesTarget(renewals[0]!, target));
    expect(selected.map((t) => `${t.provider}:${t.name}`)).toEqual(["alibaba:dev-web"]);
  });

  it("select clusters of the sandbox fleet, on the intended provider, no cluster twice", () => {
    const selected = (s: Schedule) =>
      targets
        .filter((target) => matchesTarget(s, target))
        .map((target) => `${target.provider}:${target.name}`)
        .sort();
    expect(Object.fromEntries(schedules.map((s) => [s.name, selected(s)]))).toEqual({
      "acme-office-days": ["baidu:data-dev", "baidu:ml-sandbox", "baidu:web-staging"],
      "autopilot-dev-workloads": ["autopilot:ap-dev-data", "autopilot:ap-dev-web"],
      "berlin-platform-evenings": ["huawei:sg-dev"],
      "dev-weekends-off": ["alibaba:dev-web"],
      "qa-weeknights": ["huawei:qa-e2e"],
    });
  });
});
