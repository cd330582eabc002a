// The fleet's savings of the last 30 days as one read of the ledger that may be spread over several
// runs: the entries are read window by window in time order (each window whole, then sorted by
// time and append order, so the sleeps are followed exactly as sleep-intervals.ts does for one
// target), and each sleep is priced as it ends (estimate.ts). Between runs only this small state
// is kept (JSON): each target's sleep under way, and the sums by team and day. fleet-savings.ts
// runs it from the tick and keeps the summary the dashboard shows. Pure: `asOf` is an input.
import type { LedgerEntry } from "../store/backend.ts";
import {
  type Breakdown,
  Midnights,
  priceInterval,
  type SavingsEstimate,
  Tally,
  type TallyJson,
  type TeamSavings,
  teamOrder,
  tidy,
} from "./estimate.ts";
import type { Rates } from "./rates-schema.ts";
import {
  inTimeOrder,
  newSleepTrack,
  openInterval,
  type SleepInterval,
  type SleepTrack,
  trackSleep,
} from "./sleep-intervals.ts";

const DAY_MS = 86_400_000;
/** The fleet's savings cover the last 30 days. */
export const FLEET_SAVINGS_DAYS = 30;
/** How far before the period the ledger is read, so a sleep begun before it is seen. */
export const LOOKBACK_MS = 31 * DAY_MS;
/** The shortest window: a window this short that one run cannot read whole is left out (`complete` false). */
export const MIN_SPAN_MS = 1000;

/** What the fleet page shows of the estimate (no per-target detail). */
export interface FleetSavings extends Breakdown {
  currency?: string;
  /** The time it is computed as of (the end of its period), and the period (ISO). */
  computedAt: string;
  from: string;
  to: string;
  teams: TeamSavings[];
  /** Priced targets with hours asleep in the period. */
  targets: number;
  unrated: SavingsEstimate["unrated"];
  /** False when a part of the ledger could not be read (a window too dense for one run). */
  complete: boolean;
}

/**
 * How a target is priced, from the fleet listing and the schedules: its rates (none: hours only),
 * its team, its schedule's zone. Undefined: not in the fleet, its entries are passed over.
 */
export type PricingOf = (targetId: string) => { rates?: Rates; team?: string; timezone: string } | undefined;

export interface FleetScanJson {
  /** Which rates it prices with (fleet-savings.ts ratesKey): other rates start it again. */
  rates: string;
  asOf: string;
  /** Entries before it (epoch ms) are read; the next window is [cursor, cursor + span). */
  cursor: number;
  span: number;
  complete: boolean;
  tracks: Array<[string, SleepTrack]>;
  total: TallyJson;
  /** By team (null: the targets without the team tag). */
  teams: Array<[string | null, TallyJson]>;
  /** Each priced target that slept in the period, and the team it counts in. */
  counted: Array<[string, string | null]>;
  /** Hours asleep of each target no rates document prices. */
  unrated: Array<[string, number]>;
}

export class FleetScan {
  readonly rates: string;
  readonly asOf: Date;
  cursor: number;
  span: number;
  complete: boolean;
  readonly #tracks: Map<string, SleepTrack>;
  readonly #total: Tally;
  readonly #teams: Map<string | null, Tally>;
  readonly #counted: Map<string, string | null>;
  readonly #unrated: Map<string, number>;
  readonly #midnights = new Map<string, Midnights>();

  private constructor(json: FleetScanJson) {
    this.rates = json.rates;
    this.asOf = new Date(json.asOf);
    this.cursor = json.cursor;
    this.span = json.span;
    this.complete = json.complete;
    this.#tracks = new Map(json.tracks);
    this.#total = Tally.from(json.total);
    this.#teams = new Map(json.teams.map(([team, tally]) => [team, Tally.from(tally)]));
    this.#counted = new Map(json.counted);
    this.#unrated = new Map(json.unrated);
  }

  /** A scan of the 30 days before `asOf`, its first window `span` long (default: all of it at once). */
  static start(asOf: Date, rates: string, span?: number): FleetScan {
    const scan = new FleetScan({
      rates,
      asOf: asOf.toISOString(),
      cursor: 0,
      span: 1,
      complete: true,
      tracks: [],
      total: new Tally().toJSON(),
      teams: [],
      counted: [],
      unrated: [],
    });
    scan.cursor = scan.readFrom;
    scan.span = Math.max(MIN_SPAN_MS, Math.min(span ?? Number.POSITIVE_INFINITY, scan.end - scan.readFrom));
    return scan;
  }

  static from(json: FleetScanJson): FleetScan {
    return new FleetScan(json);
  }

  toJSON(): FleetScanJson {
    return {
      rates: this.rates,
      asOf: this.asOf.toISOString(),
      cursor: this.cursor,
      span: this.span,
      complete: this.complete,
      tracks: [...this.#tracks],
      total: this.#total.toJSON(),
      teams: [...this.#teams].map(([team, tally]) => [team, tally.toJSON()]),
      counted: [...this.#counted],
      unrated: [...this.#unrated],
    };
  }

  /** The period's start (epoch ms): 30 days before `asOf`. */
  get from(): number {
    return this.asOf.getTime() - FLEET_SAVINGS_DAYS * DAY_MS;
  }
  /** Where the ledger is read from (a sleep begun before the period is seen). */
  get readFrom(): number {
    return this.from - LOOKBACK_MS;
  }
  /** Where it is read to (exclusive): entries at `asOf` count. */
  get end(): number {
    return this.asOf.getTime() + 1;
  }
  get done(): boolean {
    return this.cursor >= this.end;
  }
  /** The next window's end. */
  get windowEnd(): number {
    return Math.min(this.end, this.cursor + this.span);
  }

  /** Reads the whole window [cursor, windowEnd) (its entries in any order) and moves past it. */
  fold(entries: readonly LedgerEntry[], pricingOf: PricingOf): void {
    for (const entry of inTimeOrder(entries)) {
      const pricing = pricingOf(entry.target);
      if (!pricing) continue;
      let track = this.#tracks.get(entry.target);
      if (!track) {
        track = newSleepTrack();
        this.#tracks.set(entry.target, track);
      }
      const ended = trackSleep(track, entry);
      if (ended) this.#price(entry.target, ended, pricing);
      if (track.open === undefined && track.emptied.length === 0) this.#tracks.delete(entry.target);
    }
    this.cursor = this.windowEnd;
  }

  /** After a window read whole: the next one sized to hold about `perWindow` entries (×¼ to ×4). */
  adapt(entries: number, perWindow: number): void {
    const factor = Math.min(4, Math.max(0.25, perWindow / Math.max(1, entries)));
    this.span = Math.max(MIN_SPAN_MS, Math.min(Math.round(this.span * factor), this.end - this.readFrom));
  }

  /**
   * After a window one run could not read whole: the next try reads half of what this one reached
   * (entries come roughly in time order), so it fits. A window already as short as MIN_SPAN_MS is
   * left out instead, and the estimate says it is partial.
   */
  shrink(entries: readonly LedgerEntry[]): void {
    if (this.span <= MIN_SPAN_MS) {
      this.cursor = this.windowEnd;
      this.complete = false;
      return;
    }
    let reached = this.cursor;
    for (const entry of entries) reached = Math.max(reached, entry.at.getTime());
    this.span = Math.max(MIN_SPAN_MS, Math.floor(Math.min(this.span / 2, (reached - this.cursor) / 2)));
  }

  /** The estimate, with the sleeps still under way counted up to `asOf`. */
  finish(pricingOf: PricingOf, currency: string | undefined): FleetSavings {
    for (const [target, track] of this.#tracks) {
      const open = openInterval(track);
      const pricing = open && pricingOf(target);
      if (open && pricing) this.#price(target, open, pricing);
    }
    this.#tracks.clear();
    const members = new Map<string | null, number>();
    for (const team of this.#counted.values()) members.set(team, (members.get(team) ?? 0) + 1);
    const teams = [...this.#teams]
      .sort(([a], [b]) => teamOrder(a ?? undefined, b ?? undefined))
      .map(([team, tally]) => ({
        ...(team !== null ? { team } : {}),
        targets: members.get(team) ?? 0,
        ...tally.breakdown(),
      }));
    return {
      ...(currency !== undefined ? { currency } : {}),
      computedAt: this.asOf.toISOString(),
      from: new Date(this.from).toISOString(),
      to: this.asOf.toISOString(),
      teams,
      targets: this.#counted.size,
      unrated: [...this.#unrated]
        .map(([target, hours]) => ({ target, hours: tidy({ hours, amount: 0 }).hours }))
        .sort((a, b) => (a.target < b.target ? -1 : 1)),
      ...this.#total.breakdown(),
      complete: this.complete,
    };
  }

  #midnightsOf(timezone: string): Midnights {
    let midnights = this.#midnights.get(timezone);
    if (!midnights) {
      midnights = new Midnights(this.from, this.asOf.getTime(), timezone);
      this.#midnights.set(timezone, midnights);
    }
    return midnights;
  }

  /** Adds a sleep's hours within the period: to its team's sums when priced, else to its unrated hours. */
  #price(target: string, interval: SleepInterval, pricing: NonNullable<ReturnType<PricingOf>>): void {
    const { rates } = pricing;
    const period = { from: this.from, to: this.asOf.getTime() };
    priceInterval(interval, rates, period, this.#midnightsOf(pricing.timezone), (date, hours, amount) => {
      if (!rates) {
        this.#unrated.set(target, (this.#unrated.get(target) ?? 0) + hours);
        return;
      }
      // A target counts in the team it was first priced in, should its tags change meanwhile.
      let team = this.#counted.get(target);
      if (team === undefined) {
        team = pricing.team ?? null;
        this.#counted.set(target, team);
      }
      let tally = this.#teams.get(team);
      if (!tally) {
        tally = new Tally();
        this.#teams.set(team, tally);
      }
      tally.add(date, hours, amount);
      this.#total.add(date, hours, amount);
    });
  }
}
