// The renewal declaration: a YAML document in schedules/ with `kind: renewal`, validated like a
// schedule (same loader, same `file:line: field: message` errors, same JSON Schema file). It says
// which clusters' credentials to keep fresh, the lifetime to ask the cloud for, when to renew
// (before the end, by a duration or a share of the lifetime; by default at 2/3 of it, as
// cert-manager does), an optional window renewals may start in, and where to deliver the result.
import * as z from "zod";
import { KUBECONFIG_MAX_MINUTES, KUBECONFIG_MIN_MINUTES } from "../providers/alibaba.ts";
import { KUBECONFIG_MAX_DAYS } from "../providers/autopilot.ts";
import { PROVIDER_KINDS, type ProviderKind } from "../providers/port.ts";
import { isTimeZone, SCHEDULE_NAME, Selector } from "../schedule/schedule-schema.ts";
import type { TargetSelector } from "../schedule/types.ts";
import {
  checkWindowSatisfiable,
  compileWindow,
  DEFAULT_WINDOW_MINUTES,
  MAX_WINDOW_MINUTES,
  type RenewalWindowSpec,
  WindowError,
} from "./window.ts";

const MINUTES_PER_DAY = 1440;

/**
 * The credential lifetimes each cloud accepts, in minutes, and the unit it is asked in:
 * - huawei:    clustercert `duration`, whole days 1-1827 ("-1" = 5 years), docs/vendors/huawei-cce.md
 *              §2.7 (000: L11086-11100); 1827 only when two leap days fall within the 5 years
 * - autopilot: the same API and range, docs/vendors/huawei-cce-autopilot.md §2.6 (001: L3242)
 * - alibaba:   DescribeClusterUserKubeconfig `TemporaryDurationMinutes`, 15-4320 minutes (3 days),
 *              docs/vendors/alibaba-ack.md §3.4 (002: L1427)
 * - baidu:     GET /v2/kubeconfig/{clusterID}/{type} takes no lifetime (the cloud fixes it),
 *              docs/vendors/baidu-cce.md §6.2
 */
export const CREDENTIAL_LIFETIMES: Record<
  ProviderKind,
  { unit: "days" | "minutes"; min: number; max: number } | { unit: "fixed" }
> = {
  huawei: { unit: "days", min: MINUTES_PER_DAY, max: KUBECONFIG_MAX_DAYS * MINUTES_PER_DAY },
  autopilot: { unit: "days", min: MINUTES_PER_DAY, max: KUBECONFIG_MAX_DAYS * MINUTES_PER_DAY },
  alibaba: { unit: "minutes", min: KUBECONFIG_MIN_MINUTES, max: KUBECONFIG_MAX_MINUTES },
  baidu: { unit: "fixed" },
};

/** The `validity` to pass to the provider's issueKubeconfig for a lifetime (its unit: days, minutes, or ignored). */
export function providerValidity(provider: ProviderKind, durationMinutes: number): number {
  const rule = CREDENTIAL_LIFETIMES[provider];
  return rule.unit === "days" ? durationMinutes / MINUTES_PER_DAY : durationMinutes;
}

/** Why a lifetime is outside what `provider` accepts, or undefined when it fits. */
export function lifetimeProblem(provider: ProviderKind, minutes: number): string | undefined {
  const rule = CREDENTIAL_LIFETIMES[provider];
  if (rule.unit === "fixed") return undefined;
  if (rule.unit === "days" && minutes % MINUTES_PER_DAY !== 0)
    return `${provider} issues certificates for whole days; use a number of days, e.g. 30d`;
  if (minutes < rule.min || minutes > rule.max)
    return rule.unit === "days"
      ? `${provider} accepts 1d to ${rule.max / MINUTES_PER_DAY}d`
      : `${provider} accepts ${rule.min}m to ${rule.max}m (${formatMinutes(rule.max)})`;
  return undefined;
}

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;
const DURATION_HINT = "a duration such as 90m, 12h, 30d or 1d12h";

/** "1d12h" → 2160; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === "") return undefined;
  const [, days, hours, minutes] = match;
  return Number(days ?? 0) * MINUTES_PER_DAY + Number(hours ?? 0) * 60 + Number(minutes ?? 0);
}

export function formatMinutes(minutes: number): string {
  const days = Math.floor(minutes / MINUTES_PER_DAY);
  const hours = Math.floor((minutes % MINUTES_PER_DAY) / 60);
  const rest = minutes % 60;
  return `${days ? `${days}d` : ""}${hours ? `${hours}h` : ""}${rest || minutes === 0 ? `${rest}m` : ""}`;
}

const isMissing = (input: unknown) => input === undefined;
const mustBe = (field: string, what: string) => (issue: { input?: unknown }) =>
  isMissing(issue.input) ? `${field} is required; it must be ${what}` : `${field} must be ${what}`;

const Duration = (field: string) =>
  z.string({ error: mustBe(field, DURATION_HINT) }).refine((text) => (parseDuration(text) ?? 0) > 0, {
    error: (issue) => `${field}: ${JSON.stringify(issue.input)} is not ${DURATION_HINT} (more than zero)`,
  });

const HTTP_URL = (field: string, example: string) =>
  z
    .url({ protocol: /^https?$/, error: mustBe(field, `an http(s) URL, e.g. ${example}`) })
    .refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), {
      error: `${field} must not carry a user name or password; deliveries are signed with the secret secretRef names`,
    });

const Sink = z.discriminatedUnion(
  "type",
  [
    z
      .strictObject({
        type: z.literal("webhook"),
        url: HTTP_URL("url", "https://ci.example.com/hooks/kubeconfig").meta({
          description:
            "Where the renewed kubeconfig is POSTed, signed with Standard Webhooks: https (plain http only to this machine), no user name or password.",
          examples: ["https://ci.example.com/hooks/kubeconfig"],
        }),
        secretRef: z
          .string({
            error: mustBe("secretRef", "the name of the environment variable holding the signing secret"),
          })
          .regex(
            /^[A-Z][A-Z0-9_]*$/,
            "secretRef must name an environment variable (upper case, digits, _) holding the whsec_ signing secret, e.g. NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET",
          )
          .meta({
            description:
              "The environment variable (a Workers secret) holding the Standard Webhooks secret (whsec_…); never the secret itself.",
            examples: ["NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET"],
          }),
      })
      .meta({ description: "A Standard-Webhooks-signed POST of the renewed kubeconfig." }),
    z
      .strictObject({
        type: z.literal("file"),
        path: z
          .string({ error: mustBe("path", "an absolute file path, e.g. /var/lib/ci/kubeconfig") })
          .refine((path) => path.startsWith("/") && !path.endsWith("/") && !path.split("/").includes(".."), {
            error: "path must be an absolute file path without .., e.g. /var/lib/ci/kubeconfig",
          })
          .meta({
            description: "An absolute path, written atomically with mode 0600 (Node host only).",
            examples: ["/var/lib/ci/kubeconfig"],
          }),
      })
      .meta({ description: "A file on the Node host, written atomically with mode 0600." }),
    z
      .strictObject({ type: z.literal("store") })
      .meta({ description: "The encrypted store, fetchable through GET /api/targets/{id}/kubeconfig." }),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union" && (issue.input as { type?: unknown } | undefined)?.type !== undefined
        ? `type ${JSON.stringify((issue.input as { type?: unknown }).type)} is not a sink; use webhook, file or store`
        : "a sink needs type: webhook (url, secretRef), file (path) or store",
  },
);

export const RenewalDocument = z
  .strictObject({
    kind: z.literal("renewal").meta({
      description: "renewal: keep the targets' kubeconfigs from expiring.",
      examples: ["renewal"],
    }),
    name: z
      .string({ error: mustBe("name", "lower-case letters, digits and dashes, e.g. ci-kubeconfigs") })
      .regex(
        SCHEDULE_NAME,
        "name must be 1-63 lower-case letters, digits and dashes (not at either end), e.g. ci-kubeconfigs",
      )
      .meta({
        description: "Unique across the schedules directory (schedules and renewals together).",
        examples: ["ci-kubeconfigs"],
      }),
    enabled: z
      .boolean({ error: "enabled must be true or false" })
      .default(true)
      .meta({ description: "false is the kill switch: nothing is renewed.", examples: [false] }),
    targets: z
      .array(Selector, {
        error: mustBe("targets", "a list of selectors, e.g. targets: [{ tags: { ci: kubeconfig } }]"),
      })
      .min(1, "targets must list at least one selector, e.g. targets: [{ providers: [alibaba] }]")
      .meta({
        description: "The clusters whose credentials are renewed: those matching any selector.",
        examples: [[{ providers: ["alibaba"], tags: { env: "dev" } }]],
      }),
    duration: Duration("duration")
      .optional()
      .meta({
        description:
          "The lifetime to ask for (90m, 12h, 30d, 1d12h): huawei/autopilot whole days 1d-1827d, alibaba 15m-3d; it must suit every cloud the targets can match. Required unless the targets can match only baidu, which takes none.",
        examples: ["3d"],
      }),
    renewBefore: Duration("renewBefore")
      .optional()
      .meta({
        description:
          "Renew this long before the certificate ends (instead of renewBeforePercentage); shorter than duration.",
        examples: ["1d"],
      }),
    renewBeforePercentage: z
      .number({ error: "renewBeforePercentage must be a number from 1 to 99" })
      .min(1, "renewBeforePercentage must be at least 1")
      .max(99, "renewBeforePercentage must be at most 99")
      .optional()
      .meta({
        description:
          "Renew when this share of the lifetime is left (default 33.3: at 2/3 of the lifetime, as cert-manager); not with renewBefore.",
        examples: [25],
      }),
    window: z
      .strictObject(
        {
          cron: z.string({ error: mustBe("cron", 'a 5-field cron expression, e.g. "* 1-5 * * 1-5"') }).meta({
            description:
              "Standard 5-field cron (minute, hour, day of month, month, day of week): each firing opens the window.",
            examples: ["* 1-5 * * 1-5"],
          }),
          timezone: z
            .string({ error: mustBe("timezone", 'an IANA time zone, e.g. "Europe/Berlin"') })
            .refine(isTimeZone, {
              error: (issue) =>
                `timezone ${JSON.stringify(issue.input)} is not an IANA time zone; use e.g. "Asia/Shanghai" or "Europe/Berlin"`,
            })
            .meta({
              description: "The IANA time zone the cron expression is read in.",
              examples: ["Europe/Berlin"],
            }),
          durationMinutes: z
            .int({
              error: mustBe("durationMinutes", `a whole number of minutes from 1 to ${MAX_WINDOW_MINUTES}`),
            })
            .min(1, "durationMinutes must be at least 1")
            .max(MAX_WINDOW_MINUTES, `durationMinutes must be at most ${MAX_WINDOW_MINUTES} (a week)`)
            .optional()
            .meta({
              description: "How long each firing of the cron keeps the window open, in minutes.",
              default: DEFAULT_WINDOW_MINUTES,
              examples: [480],
            }),
        },
        {
          error:
            'window must be { cron, timezone, durationMinutes? }, e.g. { cron: "0 22 * * *", timezone: Europe/Berlin, durationMinutes: 480 }',
        },
      )
      .optional()
      .meta({
        description:
          "When renewals may start (e.g. outside business hours); it must open, and often enough for the credentials to be renewed before they end. A forced renewal ignores it.",
        examples: [{ cron: "0 22 * * *", timezone: "Europe/Berlin", durationMinutes: 480 }],
      }),
    sinks: z
      .array(Sink, { error: "sinks must be a list, e.g. sinks: [{ type: store }]" })
      .min(1, "sinks must list at least one sink, e.g. sinks: [{ type: store }]")
      .default([{ type: "store" }])
      .meta({
        description: "Where each renewed kubeconfig goes; the store at most once.",
        examples: [
          [
            { type: "store" },
            {
              type: "webhook",
              url: "https://ci.example.com/hooks/kubeconfig",
              secretRef: "NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET",
            },
          ],
        ],
      }),
  })
  .superRefine(
    (renewal, ctx) => {
      if (ctx.issues.some((issue) => !issue.path?.length && issue.code === "invalid_type")) return;
      const broken = new Set(ctx.issues.map((issue) => issue.path?.[0]));
      const clean = (...keys: string[]) => keys.every((key) => !broken.has(key));
      const add = (path: (string | number)[], message: string) =>
        ctx.addIssue({ code: "custom", path, message });

      if (
        clean("renewBefore", "renewBeforePercentage") &&
        renewal.renewBefore &&
        renewal.renewBeforePercentage
      )
        add(["renewBeforePercentage"], "give renewBefore or renewBeforePercentage, not both");

      const duration = renewal.duration === undefined ? undefined : parseDuration(renewal.duration);
      if (clean("targets", "duration")) {
        const providers = targetProviders(renewal.targets);
        const asked = providers.filter((p) => CREDENTIAL_LIFETIMES[p].unit !== "fixed");
        if (duration === undefined && asked.length > 0)
          add(
            ["duration"],
            `duration is required: the targets can match ${asked.join(", ")}, which issue credentials for the lifetime asked (e.g. duration: 3d); limit targets with providers: [baidu] to leave it out`,
          );
        if (duration !== undefined && asked.length === 0)
          add(
            ["duration"],
            "the targets match only baidu, whose kubeconfig API takes no lifetime; remove duration",
          );
        if (duration !== undefined) {
          const problems = asked.flatMap((p) => lifetimeProblem(p, duration) ?? []);
          if (problems.length > 0)
            add(
              ["duration"],
              `duration ${renewal.duration} does not fit every cloud the targets can match: ${problems.join("; ")}${
                providers.length > 1
                  ? "; narrow targets with providers: […] or pick a lifetime all accept"
                  : ""
              }`,
            );
        }
      }
      if (clean("renewBefore", "duration") && renewal.renewBefore && duration !== undefined) {
        const before = parseDuration(renewal.renewBefore)!;
        if (before >= duration)
          add(
            ["renewBefore"],
            `renewBefore ${renewal.renewBefore} is not shorter than duration ${renewal.duration}: every credential would be renewed as soon as it is issued`,
          );
      }
      if (clean("window") && renewal.window) {
        // The share of the lifetime between the renewal time and the end: the window must open within it.
        const slackMinutes =
          duration === undefined || !clean("duration", "renewBefore", "renewBeforePercentage")
            ? undefined
            : renewal.renewBefore
              ? parseDuration(renewal.renewBefore)!
              : (duration * (renewal.renewBeforePercentage ?? 100 / 3)) / 100;
        const problem = windowIsSatisfiable(renewal.window, slackMinutes);
        if (problem) add(["window", problem.field], problem.message);
      }
      if (clean("sinks")) {
        const stores = renewal.sinks.filter((sink) => sink.type === "store").length;
        if (stores > 1) add(["sinks"], "sinks lists the store more than once; keep one { type: store }");
      }
    },
    { when: () => true },
  )
  .meta({
    title: "nightshift renewal",
    description: "Keeps cluster credentials (kubeconfig client certificates) from expiring (kind: renewal).",
  });

export type RenewalDocumentOutput = z.output<typeof RenewalDocument>;

/** Every provider a list of selectors can match (a selector without `providers` matches any). */
export function targetProviders(
  targets: readonly { providers?: readonly ProviderKind[] | undefined }[],
): ProviderKind[] {
  const found = new Set<ProviderKind>();
  for (const selector of targets) for (const p of selector.providers ?? PROVIDER_KINDS) found.add(p);
  return PROVIDER_KINDS.filter((p) => found.has(p));
}

/** Validation starts here so it does not depend on the day it runs (a year is scanned from it). */
const WINDOW_REFERENCE = new Date(Date.UTC(2026, 0, 1));

/**
 * Why a renewal window can never serve, or undefined when it can: it must parse (cron, time zone,
 * durationMinutes), open at all (February 30th never does), and, when `slackMinutes` (the time
 * between the renewal time and the end of the credential) is known, never stay closed longer than
 * that. Pure: the scan starts at a fixed instant. Built on the window module the policy evaluates
 * windows with, so the declaration and the evaluation agree.
 */
export function windowIsSatisfiable(
  spec: RenewalWindowSpec,
  slackMinutes?: number,
): WindowProblem | undefined {
  // A year's scan costs ~0.1-0.3 s of croner arithmetic per window; the answer depends on these
  // four values only, so every load in the process (validate, start, reloads, tests) pays it once.
  const key = JSON.stringify([spec.cron, spec.timezone, spec.durationMinutes, slackMinutes]);
  const known = satisfiability.get(key);
  if (known !== undefined) return known.problem;
  const problem = scanWindow(spec, slackMinutes);
  if (satisfiability.size >= SATISFIABILITY_CACHE_LIMIT) satisfiability.clear();
  satisfiability.set(key, { problem });
  return problem;
}

type WindowProblem = Readonly<{ field: "cron" | "timezone" | "durationMinutes"; message: string }>;
const SATISFIABILITY_CACHE_LIMIT = 1_000;
const satisfiability = new Map<string, { problem: WindowProblem | undefined }>();

function scanWindow(spec: RenewalWindowSpec, slackMinutes?: number): WindowProblem | undefined {
  let window: ReturnType<typeof compileWindow>;
  try {
    window = compileWindow(spec);
  } catch (error) {
    if (error instanceof WindowError) return { field: error.field, message: error.message };
    throw error;
  }
  if (window.nextOpening(WINDOW_REFERENCE) === null)
    return {
      field: "cron",
      message: `window.cron ${JSON.stringify(spec.cron)} matches no date at all (e.g. February 30th), so renewal could never run`,
    };
  if (slackMinutes === undefined) return undefined;
  const check = checkWindowSatisfiable(window, { from: WINDOW_REFERENCE, slackMs: slackMinutes * 60_000 });
  return check.ok ? undefined : { field: "cron", message: check.message };
}

export type RenewalSink =
  | { type: "webhook"; url: string; secretRef: string }
  | { type: "file"; path: string }
  | { type: "store" };

/** When to renew: this long before the end, or when this share (percent) of the lifetime is left. */
export type RenewBefore = { minutes: number } | { percentage: number };

/** cert-manager's default: renew at 2/3 of the lifetime, i.e. with 1/3 left. */
export const DEFAULT_RENEW_BEFORE: RenewBefore = { percentage: 100 / 3 };

export interface Renewal {
  kind: "renewal";
  name: string;
  /** The file it was declared in. */
  source: string;
  enabled: boolean;
  targets: TargetSelector[];
  /** The lifetime to ask for, in minutes; absent when the targets match only clouds that take none (Baidu). */
  durationMinutes?: number;
  renewBefore: RenewBefore;
  window?: Required<RenewalWindowSpec>;
  sinks: RenewalSink[];
}

export function compileRenewal(value: RenewalDocumentOutput, source: string): Renewal {
  return {
    kind: "renewal",
    name: value.name,
    source,
    enabled: value.enabled,
    targets: value.targets.map((selector) => ({ ...selector })),
    ...(value.duration !== undefined ? { durationMinutes: parseDuration(value.duration)! } : {}),
    renewBefore: value.renewBefore
      ? { minutes: parseDuration(value.renewBefore)! }
      : value.renewBeforePercentage !== undefined
        ? { percentage: value.renewBeforePercentage }
        : DEFAULT_RENEW_BEFORE,
    ...(value.window ? { window: { durationMinutes: DEFAULT_WINDOW_MINUTES, ...value.window } } : {}),
    sinks: value.sinks.map((sink) => ({ ...sink })),
  };
}
