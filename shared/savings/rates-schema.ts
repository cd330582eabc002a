// The rates declaration: a YAML document in schedules/ with `kind: rates`, validated like a schedule
// (same loader, same `file:line: field: message` errors, same JSON Schema file, same `nightshift
// validate`). It says what the selected clusters cost per hour while awake, as a rate for the
// cluster and/or a rate per node pool; the dashboard multiplies the hours they were asleep by it
// (estimate.ts). One currency for the whole directory: every rates document names the same one.
import * as z from "zod";
import { SCHEDULE_NAME, Selector } from "../schedule/schedule-schema.ts";
import type { TargetSelector } from "../schedule/types.ts";

const isMissing = (input: unknown) => input === undefined;
const mustBe = (field: string, what: string) => (issue: { input?: unknown }) =>
  isMissing(issue.input) ? `${field} is required; it must be ${what}` : `${field} must be ${what}`;

/** ISO 4217: three upper-case letters, e.g. EUR, CNY, USD. */
export const CURRENCY = /^[A-Z]{3}$/;
/** The tag that groups savings by team unless a document names another. */
export const DEFAULT_TEAM_TAG = "team";

const Rate = (field: string, example: string) =>
  z
    .number({ error: mustBe(field, `an amount per hour, zero or more, e.g. ${example}`) })
    .min(0, `${field} must be zero or more (an amount per hour in the document's currency)`)
    .refine(Number.isFinite, { error: `${field} must be a finite amount per hour` });

const PoolRate = z
  .strictObject(
    {
      name: z
        .string({ error: mustBe("name", 'a node pool name or pattern, e.g. "gpu-*"') })
        .min(1, 'name must not be empty; "*" matches every pool')
        .optional()
        .meta({
          description: "The pools it prices, by name: `*` matches any run of characters, `?` one character.",
          examples: ["gpu-*"],
        }),
      id: z
        .string({ error: mustBe("id", "a node pool id as the cloud reports it") })
        .min(1, "id must not be empty")
        .optional()
        .meta({ description: "The pool it prices, by the id the cloud reports.", examples: ["np-7f3k2"] }),
      hourly: Rate("hourly", "4.5")
        .optional()
        .meta({ description: "What the whole pool costs per hour while awake.", examples: [4.5] }),
      perNode: Rate("perNode", "0.35")
        .optional()
        .meta({
          description:
            "What one node costs per hour: multiplied by the nodes the sleep scaled the pool down from.",
          examples: [0.35],
        }),
    },
    { error: 'each pool rate is a mapping, e.g. { name: "gpu-*", perNode: 2.1 }' },
  )
  .refine((rate) => (rate.name === undefined) !== (rate.id === undefined), {
    error: "a pool rate names its pools with either name (a pattern) or id, not both",
    when: (payload) => payload.issues.length === 0,
  })
  .refine((rate) => (rate.hourly === undefined) !== (rate.perNode === undefined), {
    error: "a pool rate gives either hourly (the whole pool) or perNode (each node), not both",
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ description: "The rate of the pools it names; the first entry that matches a pool prices it." });

export const RatesDocument = z
  .strictObject({
    kind: z.literal("rates").meta({
      description: "rates: what the targets cost per hour awake, for the dashboard's savings estimate.",
      examples: ["rates"],
    }),
    name: z
      .string({ error: mustBe("name", "lower-case letters, digits and dashes, e.g. dev-cluster-rates") })
      .regex(
        SCHEDULE_NAME,
        "name must be 1-63 lower-case letters, digits and dashes (not at either end), e.g. dev-cluster-rates",
      )
      .meta({ description: "Unique among the rates documents.", examples: ["dev-cluster-rates"] }),
    currency: z
      .string({ error: mustBe("currency", "an ISO 4217 code, e.g. EUR or CNY") })
      .regex(CURRENCY, "currency must be an ISO 4217 code of three upper-case letters, e.g. EUR, CNY or USD")
      .meta({
        description: "The currency of every amount here; every rates document must name the same one.",
        examples: ["CNY"],
      }),
    teamTag: z
      .string({ error: mustBe("teamTag", "a cluster tag key, e.g. team") })
      .min(1, "teamTag must name a cluster tag, e.g. team")
      .default(DEFAULT_TEAM_TAG)
      .meta({
        description: "The cluster tag whose value is the team savings are totalled by.",
        examples: ["owner"],
      }),
    targets: z
      .array(Selector, {
        error: mustBe("targets", "a list of selectors, e.g. targets: [{ tags: { env: dev } }]"),
      })
      .min(1, "targets must list at least one selector, e.g. targets: [{ providers: [huawei] }]")
      .meta({
        description:
          "The clusters these rates price: those matching any selector. A cluster several documents match is priced by the first, by name.",
        examples: [[{ accounts: ["dev-hw"], tags: { env: "dev" } }]],
      }),
    cluster: Rate("cluster", "0.68")
      .optional()
      .meta({
        description:
          "What a cluster costs per hour while awake beyond the pools priced below (all of it, when no pool is): e.g. a hibernated control plane's fee, or an Autopilot cluster's workloads.",
        examples: [0.68],
      }),
    pools: z
      .array(PoolRate, {
        error: mustBe("pools", 'a list of pool rates, e.g. [{ name: "*", perNode: 0.35 }]'),
      })
      .optional()
      .meta({
        description: "Per node pool: what each pool a sleep scaled to 0 costs per hour while awake.",
        examples: [
          [
            { name: "gpu-*", perNode: 2.1 },
            { name: "*", perNode: 0.35 },
          ],
        ],
      }),
  })
  .refine((document) => document.cluster !== undefined || (document.pools?.length ?? 0) > 0, {
    error: "rates need cluster (an hourly rate for the cluster) and/or pools (rates per node pool)",
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ description: "What the selected clusters cost per hour awake, for the savings estimate." });

export type RatesDocumentOutput = z.output<typeof RatesDocument>;

export interface PoolRate {
  /** A glob over pool names, or an exact pool id. */
  match: { name: string } | { id: string };
  rate: { hourly: number } | { perNode: number };
}

export interface Rates {
  kind: "rates";
  name: string;
  /** The file it was declared in. */
  source: string;
  currency: string;
  teamTag: string;
  targets: TargetSelector[];
  /** Per hour asleep, for the cluster beyond its priced pools. */
  cluster?: number;
  pools: PoolRate[];
}

export function compileRates(value: RatesDocumentOutput, source: string): Rates {
  return {
    kind: "rates",
    name: value.name,
    source,
    currency: value.currency,
    teamTag: value.teamTag,
    targets: value.targets.map((selector) => ({ ...selector })),
    ...(value.cluster !== undefined ? { cluster: value.cluster } : {}),
    pools: (value.pools ?? []).map((pool) => ({
      match: pool.id !== undefined ? { id: pool.id } : { name: pool.name! },
      rate: pool.perNode !== undefined ? { perNode: pool.perNode } : { hourly: pool.hourly! },
    })),
  };
}

/** A one-line summary for `nightshift validate`. */
export function ratesSummary(rates: Rates): string {
  const parts = [
    ...(rates.cluster !== undefined ? [`cluster ${rates.cluster}/h`] : []),
    ...rates.pools.map((pool) => {
      const which = "id" in pool.match ? `pool id ${pool.match.id}` : `pools ${pool.match.name}`;
      return "perNode" in pool.rate
        ? `${which} ${pool.rate.perNode}/node/h`
        : `${which} ${pool.rate.hourly}/h`;
    }),
  ];
  return `rates ${rates.name}: ${rates.currency}, ${parts.join(", ")}; teams by tag ${rates.teamTag} (${rates.source})`;
}

/**
 * The one currency of the rates documents, or a message saying which disagree: amounts in two
 * currencies cannot be added, and nightshift converts none.
 */
export function ratesCurrency(rates: readonly Rates[]): { currency?: string } | { problem: string } {
  const [first] = rates;
  const other = rates.find((r) => r.currency !== first?.currency);
  if (first === undefined || other === undefined) return first ? { currency: first.currency } : {};
  return {
    problem: `rates ${other.name} (${other.source}) is in ${other.currency} but rates ${first.name} (${first.source}) in ${first.currency}; every rates document must use the same currency (nightshift converts none)`,
  };
}
