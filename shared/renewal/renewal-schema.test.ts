// Renewal declarations (`kind: renewal` in schedules/): what they compile to, and every way they can
// be wrong, each as `file:line: field: message` through the same loader as schedules.
import { describe, expect, it } from "vitest";
import { formatScheduleFileError, parseScheduleFile } from "../schedule/schedule-file.ts";
import {
  DEFAULT_RENEW_BEFORE,
  lifetimeProblem,
  parseDuration,
  providerValidity,
  type Renewal,
  targetProviders,
  windowIsSatisfiable,
} from "./renewal-schema.ts";

const FILE = "schedules/renewals.yaml";

function renewals(text: string): Renewal[] {
  const result = parseScheduleFile(text, FILE);
  if ("errors" in result) throw new Error(result.errors.map(formatScheduleFileError).join("\n"));
  return result.renewals;
}

function errors(text: string): string[] {
  const result = parseScheduleFile(text, FILE);
  if (!("errors" in result)) throw new Error("expected errors");
  return result.errors.map(formatScheduleFileError);
}

const ALIBABA = ["kind: renewal", "name: ci", "targets:", "  - providers: [alibaba]"];
const doc = (...lines: string[]) => `${[...ALIBABA, ...lines].join("\n")}\n`;

describe("renewal declarations", () => {
  it("compile with everything given, beside a schedule in the same file", () => {
    const text = [
      "name: nights",
      "timezone: Asia/Shanghai",
      "targets: [{ tags: { env: qa } }]",
      'sleep: [{ days: weekdays, at: "20:00" }]',
      "---",
      "kind: renewal",
      "name: ci-kubeconfigs",
      "enabled: false",
      "targets:",
      "  - providers: [huawei, autopilot]",
      "    tags: { ci: kubeconfig }",
      "duration: 30d",
      "renewBefore: 7d",
      "window:",
      '  cron: "* 1-5 * * 1-5"',
      "  timezone: Europe/Berlin",
      "sinks:",
      "  - type: webhook",
      "    url: https://ci.example.com/hooks/kubeconfig",
      "    secretRef: CI_WEBHOOK_SECRET",
      "  - type: file",
      "    path: /var/lib/ci/kubeconfig",
      "  - type: store",
    ].join("\n");
    const result = parseScheduleFile(text, FILE);
    if ("errors" in result) throw new Error(JSON.stringify(result.errors));
    expect(result.schedules.map((s) => s.name)).toEqual(["nights"]);
    expect(result.renewals).toEqual([
      {
        kind: "renewal",
        name: "ci-kubeconfigs",
        source: FILE,
        enabled: false,
        targets: [{ providers: ["huawei", "autopilot"], tags: { ci: "kubeconfig" } }],
        durationMinutes: 30 * 1440,
        renewBefore: { minutes: 7 * 1440 },
        window: { cron: "* 1-5 * * 1-5", timezone: "Europe/Berlin", durationMinutes: 1 },
        sinks: [
          { type: "webhook", url: "https://ci.example.com/hooks/kubeconfig", secretRef: "CI_WEBHOOK_SECRET" },
          { type: "file", path: "/var/lib/ci/kubeconfig" },
          { type: "store" },
        ],
      },
    ]);
  });

  it("default to renewing at 2/3 of the lifetime into the encrypted store, enabled", () => {
    expect(renewals(doc("duration: 3d"))[0]).toMatchObject({
      enabled: true,
      durationMinutes: 4320,
      renewBefore: DEFAULT_RENEW_BEFORE,
      sinks: [{ type: "store" }],
    });
    expect(DEFAULT_RENEW_BEFORE).toEqual({ percentage: 100 / 3 });
    expect(renewals(doc("duration: 90m", "renewBeforePercentage: 25"))[0]?.renewBefore).toEqual({
      percentage: 25,
    });
    // Baidu takes no lifetime: a Baidu-only renewal leaves duration out.
    const baidu = renewals("kind: renewal\nname: b\ntargets: [{ providers: [baidu] }]\n")[0]!;
    expect(baidu.durationMinutes).toBeUndefined();
  });

  it("check the lifetime against every cloud the targets can match", () => {
    expect(errors(doc("duration: 4d"))).toEqual([
      `${FILE}:5: duration: duration 4d does not fit every cloud the targets can match: alibaba accepts 15m to 4320m (3d)`,
    ]);
    expect(errors(doc("duration: 10m"))[0]).toContain("alibaba accepts 15m to 4320m");
    const anyCloud = "kind: renewal\nname: all\ntargets: [{ tags: { ci: kubeconfig } }]\n";
    expect(errors(`${anyCloud}duration: 36h\n`)).toEqual([
      `${FILE}:4: duration: duration 36h does not fit every cloud the targets can match: huawei issues certificates for whole days; use a number of days, e.g. 30d; autopilot issues certificates for whole days; use a number of days, e.g. 30d; narrow targets with providers: […] or pick a lifetime all accept`,
    ]);
    expect(renewals(`${anyCloud}duration: 2d\n`)[0]?.durationMinutes).toBe(2880);
    expect(
      errors(
        `${anyCloud.replace("{ tags: { ci: kubeconfig } }", "{ providers: [huawei] }")}duration: 1828d\n`,
      ),
    ).toEqual([
      `${FILE}:4: duration: duration 1828d does not fit every cloud the targets can match: huawei accepts 1d to 1827d`,
    ]);
    expect(errors(anyCloud)).toEqual([
      `${FILE}:1: duration: duration is required: the targets can match huawei, autopilot, alibaba, which issue credentials for the lifetime asked (e.g. duration: 3d); limit targets with providers: [baidu] to leave it out`,
    ]);
    expect(errors("kind: renewal\nname: b\ntargets: [{ providers: [baidu] }]\nduration: 3d\n")).toEqual([
      `${FILE}:4: duration: the targets match only baidu, whose kubeconfig API takes no lifetime; remove duration`,
    ]);
    expect(errors(doc("duration: three days"))).toEqual([
      `${FILE}:5: duration: duration: "three days" is not a duration such as 90m, 12h, 30d or 1d12h (more than zero)`,
    ]);
  });

  it("refuse a renewBefore that is not shorter than the lifetime, or given twice", () => {
    expect(errors(doc("duration: 1d", "renewBefore: 24h"))).toEqual([
      `${FILE}:6: renewBefore: renewBefore 24h is not shorter than duration 1d: every credential would be renewed as soon as it is issued`,
    ]);
    expect(errors(doc("duration: 1d", "renewBefore: 2h", "renewBeforePercentage: 10"))).toEqual([
      `${FILE}:7: renewBeforePercentage: give renewBefore or renewBeforePercentage, not both`,
    ]);
    expect(errors(doc("duration: 1d", "renewBeforePercentage: 100"))).toEqual([
      `${FILE}:6: renewBeforePercentage: renewBeforePercentage must be at most 99`,
    ]);
  });

  it("refuse a window that can never open, or is not cron in a time zone", () => {
    expect(
      errors(doc("duration: 1d", "window:", '  cron: "0 3 30 2 *"', "  timezone: Asia/Shanghai")),
    ).toEqual([
      `${FILE}:7: window.cron: window.cron "0 3 30 2 *" matches no date at all (e.g. February 30th), so renewal could never run`,
    ]);
    expect(
      errors(doc("duration: 1d", "window:", '  cron: "0 3 * *"', "  timezone: Asia/Shanghai"))[0],
    ).toMatch(
      /^schedules\/renewals\.yaml:7: window\.cron: window\.cron "0 3 \* \*" is not a five-field cron expression /,
    );
    expect(errors(doc("duration: 1d", "window:", '  cron: "0 3 * * *"', "  timezone: +08:00"))).toEqual([
      `${FILE}:8: window.timezone: timezone "+08:00" is not an IANA time zone; use e.g. "Asia/Shanghai" or "Europe/Berlin"`,
    ]);
    expect(errors(doc("duration: 1d", 'window: "0 3 * * *"'))[0]).toContain(
      "window must be { cron, timezone, durationMinutes? }",
    );
    expect(
      errors(doc("duration: 1d", "window: { cron: '0 3 * * *', timezone: UTC, durationMinutes: 0 }")),
    ).toEqual([`${FILE}:6: window.durationMinutes: durationMinutes must be at least 1`]);
    // February 29th exists (in leap years): the window opens, though only every four years.
    expect(windowIsSatisfiable({ cron: "0 3 29 2 *", timezone: "UTC" })).toBeUndefined();
    expect(windowIsSatisfiable({ cron: "0 3 29 2 *", timezone: "UTC" }, 1440)?.message).toMatch(
      /does not open between .* make the cron fire at least every 1 d$/,
    );
    expect(windowIsSatisfiable({ cron: "0 0 31 4,6,9,11 *", timezone: "UTC" })?.field).toBe("cron");
  });

  it("scan a window once per process: the same declaration and slack answer with the same verdict", () => {
    const spec = { cron: "0 3 * * 1", timezone: "Europe/Berlin", durationMinutes: 60 };
    const first = windowIsSatisfiable(spec, 24 * 60);
    expect(first?.message).toMatch(/stays closed for .* longer than the 1 d between renewal time and expiry/);
    // The cached verdict itself (not a recomputed copy); a different slack is its own question.
    expect(windowIsSatisfiable({ ...spec }, 24 * 60)).toBe(first);
    expect(windowIsSatisfiable(spec, 8 * 24 * 60)).toBeUndefined();
  });

  it("refuse a window that stays closed longer than the time between renewal and expiry", () => {
    // A 1-day credential renewed at 2/3 has 8 hours left: a weekly window would let it expire.
    const weekly = errors(doc("duration: 1d", "window: { cron: '0 3 * * 1', timezone: Asia/Shanghai }"));
    expect(weekly).toHaveLength(1);
    expect(weekly[0]).toMatch(
      /^schedules\/renewals\.yaml:6: window\.cron: window "0 3 \* \* 1" \(Asia\/Shanghai, 1 min per firing\) stays closed for 6 d 23 h 59 min .*longer than the 8 h between renewal time and expiry/,
    );
    // Nightly for eight hours, 3-day credentials renewed a day early: fits.
    const nightly = renewals(
      doc(
        "duration: 3d",
        "renewBefore: 1d",
        "window: { cron: '0 22 * * *', timezone: Europe/Berlin, durationMinutes: 480 }",
      ),
    )[0]!;
    expect(nightly.window).toEqual({ cron: "0 22 * * *", timezone: "Europe/Berlin", durationMinutes: 480 });
  });

  it("check the sinks, and send a pasted secret to the environment", () => {
    expect(errors(doc("duration: 1d", "sinks:", "  - type: email"))).toEqual([
      `${FILE}:7: sinks[0].type: type "email" is not a sink; use webhook, file or store`,
    ]);
    expect(
      errors(
        doc(
          "duration: 1d",
          "sinks:",
          "  - type: webhook",
          "    url: https://h.example.com/x",
          "    secret: whsec_abc",
        ),
      ),
    ).toEqual([
      `${FILE}:7: sinks[0].secretRef: secretRef is required; it must be the name of the environment variable holding the signing secret`,
      `${FILE}:9: sinks[0].secret: "secret" looks like a credential, and credentials never go in schedule files: give the webhook's signing secret in an environment variable and name it with secretRef, e.g. secretRef: NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET`,
    ]);
    expect(errors(doc("duration: 1d", "sinks:", "  - type: file", "    path: kubeconfig"))).toEqual([
      `${FILE}:8: sinks[0].path: path must be an absolute file path without .., e.g. /var/lib/ci/kubeconfig`,
    ]);
    expect(errors(doc("duration: 1d", "sinks: [{ type: store }, { type: store }]"))).toEqual([
      `${FILE}:6: sinks: sinks lists the store more than once; keep one { type: store }`,
    ]);
    expect(errors(doc("duration: 1d", "sinks: [{ type: store, pth: /x }]"))[0]).toBe(
      `${FILE}:6: sinks[0].pth: unknown key "pth"; did you mean "path"?`,
    );
  });

  it("name an unknown kind, and keep names unique across schedules and renewals", () => {
    expect(errors("kind: renewl\nname: x\n")).toEqual([
      `${FILE}:1: kind: "renewl" is not a kind of document; did you mean "renewal"? use schedule for a schedule (name, timezone, targets, sleep/wake), resize for a resize rule (kind: resize, name, match, action), renewal for a certificate renewal (kind: renewal, name, targets, duration, sinks), rates for hourly rates for the savings estimate (kind: rates, name, currency, targets, cluster and/or pools) (or leave kind out for a schedule)`,
    ]);
    const clash = [
      "kind: schedule",
      "name: ci",
      "timezone: Asia/Shanghai",
      "targets: [{ tags: { env: qa } }]",
      'sleep: [{ days: weekdays, at: "20:00" }]',
      "---",
      ...ALIBABA,
      "duration: 1d",
    ].join("\n");
    expect(errors(clash)).toEqual([
      `${FILE}:8: name: the name "ci" is already used by the schedule in ${FILE}:2; schedule names must be unique, rename one of them`,
    ]);
  });
});

describe("lifetimes per cloud", () => {
  it("convert a lifetime into each provider's unit and say why one does not fit", () => {
    expect(parseDuration("1d12h30m")).toBe(2190);
    expect(parseDuration("")).toBeUndefined();
    expect(providerValidity("huawei", 30 * 1440)).toBe(30);
    expect(providerValidity("alibaba", 180)).toBe(180);
    expect(lifetimeProblem("autopilot", 1827 * 1440)).toBeUndefined();
    expect(lifetimeProblem("alibaba", 4321)).toBe("alibaba accepts 15m to 4320m (3d)");
    expect(lifetimeProblem("baidu", 1)).toBeUndefined();
    expect(targetProviders([{ providers: ["baidu"] }, { providers: ["alibaba", "baidu"] }])).toEqual([
      "alibaba",
      "baidu",
    ]);
    expect(targetProviders([{}])).toEqual(["huawei", "autopilot", "alibaba", "baidu"]);
  });
});
