// The schedule file format as a zod schema: one YAML document = one schedule, in the form people
// write it (`sleep`/`wake` shorthand, day groups and ranges, defaults left out). schedule-file.ts
// maps its issues to file lines and compiles the result into the `Schedule` the engine uses; the
// JSON Schema for editors (schedules/schedule.schema.json) is generated from it.
import * as z from "zod";
import { PROVIDER_KINDS } from "../providers/port.ts";
import { closest } from "./closest.ts";
import { expandDays } from "./days.ts";
import { SLEEP_MODES, WEEKDAYS, type Weekday } from "./types.ts";

const DAY = `(?:${WEEKDAYS.join("|")})`;
/** A day, a range ("mon-fri", "fri-mon" wraps over the weekend) or a group. */
export const DAY_TOKEN = new RegExp(`^(?:${DAY}(?:-${DAY})?|weekdays|weekends|daily)$`);
export const SCHEDULE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const LOCAL_TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Account ids as config.ts derives them: NIGHTSHIFT_ACCOUNT_PROD_HW_* → "prod-hw". */
const ACCOUNT_ID = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/** A Kubernetes namespace name (a DNS label). */
const NAMESPACE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const MINUTES_PER_DAY = 1440;

const DAYS_HINT = 'mon … sun, a range like "mon-fri" or "fri-mon", or weekdays, weekends, daily';
const AT_MESSAGE = 'at must be "HH:MM", e.g. "20:00"';
const PROVIDERS = PROVIDER_KINDS;

const quoted = (value: unknown) => (typeof value === "string" ? `"${value}"` : JSON.stringify(value));
const isMissing = (input: unknown) => input === undefined;

/** A message for a field whose value has the wrong type or is missing: `${what}` says what it must be. */
function mustBe(field: string, what: string) {
  return (issue: { input?: unknown }) =>
    isMissing(issue.input) ? `${field} is required; it must be ${what}` : `${field} must be ${what}`;
}

function stringList<T extends string>(field: string, item: z.ZodType<T>, example: string) {
  return z
    .array(item, { error: mustBe(field, `a list, e.g. ${field}: ${example}`) })
    .min(1, `${field} must list at least one value, e.g. ${field}: ${example}; leave it out to match any`);
}

function dayToken() {
  return z
    .string({ error: mustBe("days", DAYS_HINT) })
    .regex(DAY_TOKEN, { error: (issue) => `days: ${quoted(issue.input)} is not a day; use ${DAYS_HINT}` })
    .refine((token) => !(DAY_TOKEN.test(token) && /^(\w+)-\1$/.test(token)), {
      error: (issue) =>
        `days: the range ${quoted(issue.input)} starts and ends on the same day; write the day alone`,
    });
}

const Days = z
  .union([dayToken(), z.array(dayToken()).min(1, `days must list at least one day: ${DAYS_HINT}`)], {
    error: mustBe("days", `${DAYS_HINT}, or a list of these`),
  })
  .meta({
    description: `The days the rule applies on: ${DAYS_HINT}, or a list of these.`,
    examples: ["mon-fri", ["sat", "sun"]],
  });

const At = z
  .string({ error: (issue) => (isMissing(issue.input) ? `at is required; ${AT_MESSAGE}` : AT_MESSAGE) })
  .regex(LOCAL_TIME, AT_MESSAGE)
  .meta({
    description: 'Local wall-clock time "HH:MM" (00:00-23:59) in the schedule\'s timezone.',
    examples: ["20:00"],
  });

const ShorthandRule = z
  .strictObject({ days: Days, at: At })
  .meta({ description: "On each of `days` at `at` (local time)." });

const Rule = z
  .strictObject({
    to: z
      .enum(["asleep", "awake"], { error: mustBe("to", "asleep or awake") })
      .meta({ description: "The state the targets enter at `at`.", examples: ["asleep"] }),
    days: Days,
    at: At,
  })
  .meta({ description: "On each of `days` at `at` (local time), the targets should enter `to`." });

/** Which clusters (schedules and renewals alike): every given field must match. */
export const Selector = z
  .strictObject({
    accounts: stringList(
      "accounts",
      z
        .string()
        .regex(
          ACCOUNT_ID,
          "accounts: an account id is lower case with dashes, as NIGHTSHIFT_ACCOUNT_PROD_HW_* gives prod-hw",
        ),
      "[prod-hw]",
    )
      .optional()
      .meta({
        description: "Account ids as configured: NIGHTSHIFT_ACCOUNT_<NAME>_* → <name> in lower case, _ → -.",
        examples: [["prod-hw"]],
      }),
    regions: stringList("regions", z.string().min(1), "[cn-north-4]")
      .optional()
      .meta({
        description: "Region ids, e.g. cn-north-4, cn-hangzhou, bj.",
        examples: [["cn-north-4", "cn-hangzhou"]],
      }),
    clusterIds: stringList("clusterIds", z.string().min(1), "[1f3c…]")
      .optional()
      .meta({
        description: "Cluster ids as the cloud reports them.",
        examples: [["c7d2a1e4-6b1e-11ef-9c1a-0255ac100042"]],
      }),
    names: stringList("names", z.string().min(1), '["qa-*"]')
      .optional()
      .meta({
        description: "Cluster name patterns: `*` matches any run of characters, `?` one character.",
        examples: [["qa-*", "dev-?"]],
      }),
    tags: z
      .record(
        z.string().min(1),
        z.string({ error: 'tags: a tag value must be a string; quote it, e.g. tier: "1"' }),
        {
          error: mustBe("tags", "a map of tag → value, e.g. tags: { env: qa }"),
        },
      )
      .optional()
      .meta({
        description: 'Every listed tag must be present with exactly this value ("*" = any value).',
        examples: [{ env: "qa", team: "*" }],
      }),
    providers: stringList(
      "providers",
      z.enum(PROVIDERS, {
        error: (issue) => `providers: ${quoted(issue.input)} is not a provider; use ${PROVIDERS.join(", ")}`,
      }),
      "[huawei]",
    )
      .optional()
      .meta({
        description: "Cloud providers: huawei (CCE), autopilot (CCE Autopilot), alibaba (ACK), baidu (CCE).",
        examples: [["huawei", "autopilot"]],
      }),
  })
  .refine((selector) => Object.keys(selector).length > 0, {
    error: "a target needs at least one of accounts, regions, clusterIds, names, tags, providers",
    // A selector holding only a misspelt key already has its error ("did you mean …").
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ description: "Which clusters: every given field must match; a list matches any of its values." });

const Calendar = z
  .strictObject({
    builtin: z
      .string({ error: mustBe("builtin", "the name of a shipped calendar, e.g. cn-mainland") })
      .regex(SCHEDULE_NAME, "builtin must be the name of a shipped calendar, e.g. cn-mainland")
      .optional()
      .meta({
        description: "A calendar shipped with nightshift, e.g. cn-mainland.",
        examples: ["cn-mainland"],
      }),
    file: z
      .string({ error: mustBe("file", "a path such as calendars/company.yaml") })
      .refine((path) => !path.startsWith("/") && !path.split(/[\\/]/).includes(".."), {
        error: "file must be a path inside the schedules directory, e.g. calendars/company.yaml",
      })
      .optional()
      .meta({
        description:
          "A custom calendar file, relative to the schedules directory (format: schedules/calendars/README.md).",
        examples: ["calendars/company.yaml"],
      }),
  })
  .refine((ref) => (ref.builtin === undefined) !== (ref.file === undefined), {
    error: "a calendar is either builtin: <name> or file: <path>; give exactly one",
  });

const LocalDate = (field: string) =>
  z
    .string({ error: mustBe(field, "a date YYYY-MM-DD, e.g. 2026-12-01") })
    .regex(LOCAL_DATE, `${field} must be a date YYYY-MM-DD, e.g. 2026-12-01`)
    .refine((date) => !LOCAL_DATE.test(date) || isCalendarDate(date), {
      error: (issue) => `${field}: ${quoted(issue.input)} is not a date in the calendar`,
    });

const Exception = z
  .strictObject({
    from: LocalDate("from").meta({
      description: "First local date held (inclusive).",
      examples: ["2026-12-24"],
    }),
    to: LocalDate("to").meta({
      description: "Last local date held (inclusive); the hold then ends by itself.",
      examples: ["2027-01-01"],
    }),
    state: z
      .enum(["asleep", "awake"], { error: mustBe("state", "asleep or awake") })
      .meta({ description: "The state the targets are held in on these dates.", examples: ["awake"] }),
    reason: z
      .string({ error: "reason must be text" })
      .optional()
      .meta({
        description: "Why, for the people reading the schedule and the plan.",
        examples: ["release week"],
      }),
  })
  .refine((exception) => exception.to >= exception.from, {
    path: ["to"],
    error: (issue) => {
      const { from, to } = issue.input as { from: string; to: string };
      return `to (${to}) is before from (${from}); both dates are inclusive, so to must be on or after from`;
    },
  })
  .meta({ description: "Hold the targets in `state` from `from` to `to` (local dates, inclusive)." });

const Minutes = (field: string, min: number, fallback: number) =>
  z
    .int({
      error: mustBe(field, `a whole number of minutes from ${min} to ${MINUTES_PER_DAY}, e.g. ${fallback}`),
    })
    .min(min, `${field} must be at least ${min}`)
    .max(MINUTES_PER_DAY, `${field} must be at most ${MINUTES_PER_DAY} (a day)`);

const Notice = z
  .strictObject({
    minutesBefore: Minutes("minutesBefore", 1, 15).meta({
      description: "How long before a sleep the notice goes out.",
      examples: [15],
    }),
    webhookUrl: z
      .url({
        protocol: /^https?$/,
        error: mustBe("webhookUrl", "an http(s) URL, e.g. https://hooks.example.com/nightshift"),
      })
      .refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), {
        error:
          "webhookUrl must not carry a user name or password; notices are signed (Standard Webhooks) with a secret from the environment",
      })
      .meta({
        description:
          "Where the signed (Standard Webhooks) notice is POSTed; the secret comes from the environment (NIGHTSHIFT_NOTICE_SECRETS).",
        examples: ["https://hooks.example.com/nightshift"],
      }),
  })
  .meta({
    description: "A signed webhook before each sleep, with snooze and postpone links.",
    examples: [{ minutesBefore: 15, webhookUrl: "https://hooks.example.com/nightshift" }],
  });

export const ScheduleDocument = z
  .strictObject({
    kind: z
      .literal("schedule", { error: "kind must be schedule for a schedule" })
      .optional()
      .meta({
        description:
          "schedule (the default when left out); kind: resize makes the document a resize rule, kind: renewal a certificate renewal.",
        examples: ["schedule"],
      }),
    name: z
      .string({ error: mustBe("name", "lower-case letters, digits and dashes, e.g. qa-weeknights") })
      .regex(
        SCHEDULE_NAME,
        "name must be 1-63 lower-case letters, digits and dashes (not at either end), e.g. qa-weeknights",
      )
      .meta({
        description: "Unique across the schedules directory: lower-case letters, digits and dashes.",
        examples: ["qa-weeknights"],
      }),
    enabled: z
      .boolean({ error: "enabled must be true or false" })
      .default(true)
      .meta({ description: "false is the kill switch: the schedule does nothing.", examples: [false] }),
    timezone: z
      .string({ error: mustBe("timezone", 'an IANA time zone, e.g. "Asia/Shanghai" or "Europe/Berlin"') })
      .refine(isTimeZone, { error: (issue) => timeZoneMessage(String(issue.input)) })
      .meta({
        description:
          "IANA time zone the times and dates are in, e.g. Asia/Shanghai, Europe/Berlin (not a UTC offset such as +08:00, which has no daylight saving rules).",
        examples: ["Asia/Shanghai"],
      }),
    mode: z
      .enum(SLEEP_MODES, {
        error: (issue) =>
          `mode ${quoted(issue.input)} is not a mode; use full, control-plane, nodes or workloads`,
      })
      .default("full")
      .meta({
        description:
          "full: everything the provider can put to sleep; control-plane: Huawei hibernate only; nodes: pools only; workloads: Autopilot namespaces.",
        examples: ["nodes"],
      }),
    enforce: z
      .boolean({ error: "enforce must be true or false" })
      .default(false)
      .meta({
        description: "Converge every tick (overrides manual changes) instead of acting on transitions.",
        examples: [true],
      }),
    targets: z
      .array(Selector, {
        error: mustBe("targets", "a list of selectors, e.g. targets: [{ tags: { env: qa } }]"),
      })
      .min(1, "targets must list at least one selector, e.g. targets: [{ tags: { env: qa } }]")
      .meta({
        description: "The clusters this schedule applies to: those matching any of these selectors.",
        examples: [[{ tags: { env: "qa" } }]],
      }),
    rules: z
      .array(Rule, { error: "rules must be a list of { to, days, at }" })
      .optional()
      .meta({
        description: "General form of sleep/wake: each rule names the state to enter.",
        examples: [[{ to: "asleep", days: "fri", at: "20:00" }]],
      }),
    sleep: z
      .array(ShorthandRule, { error: 'sleep must be a list, e.g. sleep: [{ days: weekdays, at: "20:00" }]' })
      .optional()
      .meta({
        description: "When the targets go to sleep: a list of { days, at }.",
        examples: [[{ days: "weekdays", at: "20:00" }]],
      }),
    wake: z
      .array(ShorthandRule, { error: 'wake must be a list, e.g. wake: [{ days: weekdays, at: "08:00" }]' })
      .optional()
      .meta({
        description: "When the targets wake up: a list of { days, at }.",
        examples: [[{ days: "weekdays", at: "08:00" }]],
      }),
    calendars: z
      .array(Calendar, { error: "calendars must be a list, e.g. calendars: [{ builtin: cn-mainland }]" })
      .default([])
      .meta({
        description:
          "Public holidays and make-up working days: { builtin: cn-mainland } and/or { file: calendars/<name>.yaml }.",
        examples: [[{ builtin: "cn-mainland" }, { file: "calendars/company.yaml" }]],
      }),
    holidays: z
      .enum(["asleep", "ignore"], { error: "holidays must be asleep or ignore" })
      .optional()
      .meta({
        description:
          "asleep (the default with calendars): keep the targets asleep on holidays; ignore (the default without): treat them as any day.",
        examples: ["ignore"],
      }),
    makeupDayAs: z
      .enum(WEEKDAYS as readonly [Weekday, ...Weekday[]], {
        error: "makeupDayAs must be a day: mon, tue, wed, thu, fri, sat or sun",
      })
      .default("mon")
      .meta({
        description: "A make-up working day (e.g. a working Saturday) follows this weekday's rules.",
        examples: ["fri"],
      }),
    exceptions: z
      .array(Exception, { error: "exceptions must be a list of { from, to, state, reason }" })
      .default([])
      .meta({
        description: "Date ranges during which the targets are held awake or asleep; each ends by itself.",
        examples: [[{ from: "2026-12-24", to: "2027-01-01", state: "asleep", reason: "year-end shutdown" }]],
      }),
    graceMinutes: Minutes("graceMinutes", 0, 60)
      .default(60)
      .meta({
        description:
          "A missed sleep is still carried out up to this long after its time (a missed wake always is).",
        examples: [30],
      }),
    minDwellMinutes: Minutes("minDwellMinutes", 0, 30)
      .default(30)
      .meta({
        description: "At least this long between a sleep and the following wake (and vice versa).",
        examples: [45],
      }),
    notice: Notice.optional(),
    releaseNodes: z
      .boolean({ error: "releaseNodes must be true or false" })
      .default(false)
      .meta({
        description: "Alibaba: allow removing pool nodes (releases the instances) to sleep.",
        examples: [true],
      }),
    namespaces: z
      .array(
        z
          .string()
          .regex(NAMESPACE, "namespaces: a namespace is a DNS label (lower case, digits, dashes), e.g. app"),
        { error: "namespaces must be a list, e.g. namespaces: [app, jobs]" },
      )
      .optional()
      .meta({
        description:
          "Required with mode: workloads, refused otherwise: the namespaces whose Deployments and StatefulSets are scaled to 0.",
        examples: [["app", "jobs"]],
      }),
  })
  // Checks across fields. They run even when other fields are wrong (so one pass reports
  // everything), each only over fields that parsed cleanly.
  .superRefine(
    (schedule, ctx) => {
      if (ctx.issues.some((issue) => !issue.path?.length && issue.code === "invalid_type")) return; // not a mapping
      const broken = new Set(ctx.issues.map((issue) => issue.path?.[0]));
      const clean = (...keys: string[]) => keys.every((key) => !broken.has(key));
      if (clean("rules", "sleep", "wake")) {
        const rules =
          (schedule.rules?.length ?? 0) + (schedule.sleep?.length ?? 0) + (schedule.wake?.length ?? 0);
        if (rules === 0)
          ctx.addIssue({
            code: "custom",
            path: ["sleep"],
            message:
              'a schedule needs at least one sleep or wake rule, e.g. sleep: [{ days: weekdays, at: "20:00" }]',
          });
        for (const issue of conflictingRules(schedule)) ctx.addIssue({ code: "custom", ...issue });
      }
      if (clean("mode", "namespaces")) {
        if (schedule.mode === "workloads" && !schedule.namespaces?.length)
          ctx.addIssue({
            code: "custom",
            path: schedule.namespaces ? ["namespaces"] : ["mode"],
            message:
              "workloads mode needs namespaces: the namespaces to scale to 0, e.g. namespaces: [app, jobs]",
          });
        if (schedule.mode !== "workloads" && schedule.namespaces !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["namespaces"],
            message: `namespaces only applies to mode: workloads (this schedule is ${schedule.mode}); remove it or set mode: workloads`,
          });
      }
      if (clean("holidays", "calendars") && schedule.holidays === "asleep" && !schedule.calendars?.length)
        ctx.addIssue({
          code: "custom",
          path: ["holidays"],
          message:
            "holidays: asleep needs a calendar to know the holidays; add calendars: [{ builtin: cn-mainland }]",
        });
    },
    { when: () => true },
  )
  .meta({
    title: "nightshift schedule",
    description: "One sleep/wake schedule for managed Kubernetes clusters (one per YAML document).",
  });

export type ScheduleDocumentInput = z.input<typeof ScheduleDocument>;
export type ScheduleDocumentOutput = z.output<typeof ScheduleDocument>;

const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** An IANA zone name the runtime knows (Intl also takes offsets like "+08:00"; those have no DST rules). */
export function isTimeZone(name: string): boolean {
  if (!IANA_NAME.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function timeZoneMessage(name: string): string {
  if (/^(?:UTC|GMT)?[+-]\d/.test(name))
    return `timezone "${name}" is a UTC offset, not a time zone; use the place's IANA name, e.g. "Asia/Shanghai" or "Europe/Berlin", so daylight saving is followed`;
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const suggestion = closest(name, known, 3);
  return suggestion
    ? `timezone "${name}" is not an IANA time zone; did you mean "${suggestion}"?`
    : `timezone "${name}" is not an IANA time zone; use a name such as "Asia/Shanghai" or "Europe/Berlin"`;
}

type RuleShape = { days: string | readonly string[]; at: string };
type RuleLists = {
  rules?: readonly (RuleShape & { to: string })[] | undefined;
  sleep?: readonly RuleShape[] | undefined;
  wake?: readonly RuleShape[] | undefined;
};

/** A sleep and a wake on the same day at the same minute cannot both happen: name the second one. */
function conflictingRules(schedule: RuleLists): { path: (string | number)[]; message: string }[] {
  const seen = new Map<string, { to: string; label: string }>();
  const issues: { path: (string | number)[]; message: string }[] = [];
  const lists = [
    ["rules", schedule.rules ?? []],
    ["sleep", (schedule.sleep ?? []).map((rule) => ({ ...rule, to: "asleep" }))],
    ["wake", (schedule.wake ?? []).map((rule) => ({ ...rule, to: "awake" }))],
  ] as const;
  for (const [list, rules] of lists) {
    rules.forEach((rule, index) => {
      const label = `${list}[${index}]`;
      for (const day of expandDays(rule.days)) {
        const key = `${day} ${rule.at}`;
        const earlier = seen.get(key);
        if (!earlier) seen.set(key, { to: rule.to, label });
        else if (earlier.to !== rule.to) {
          issues.push({
            path: [list, index, "at"],
            message: `${label} and ${earlier.label} both fall on ${day} at ${rule.at} but want different states; move one of them`,
          });
          return;
        }
      }
    });
  }
  return issues;
}

function isCalendarDate(date: string): boolean {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(year, month - 1, day));
  return utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === day;
}
