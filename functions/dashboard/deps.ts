// What the dashboard needs from the host, and what its middleware leaves for the handlers.
import type { Logger } from "../../shared/log/logger.ts";
import type { Inventory } from "../../shared/providers/inventory.ts";
import type { Renewal } from "../../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../../shared/renewal/services.ts";
import type { Rates } from "../../shared/savings/rates-schema.ts";
import type { Calendar, Schedule } from "../../shared/schedule/types.ts";
import type { Store } from "../../shared/store/store.ts";
import type { Session } from "./session.ts";

export interface DashboardDeps {
  /** Unset: every page says the dashboard is off and how to turn it on. */
  adminToken?: string;
  store: Store;
  inventory: () => Promise<Inventory>;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  /** The clouds' time: what schedules, operations and certificates are judged by. */
  now: () => Date;
  /** Real time, for what a person meets in real time (sessions, form keys); default `now`. */
  realNow?: () => Date;
  log: Logger;
  renewals?: readonly Renewal[];
  renewal?: RenewalServices;
  /** The rates of the estimated savings (`kind: rates`); none: hours asleep without amounts. */
  rates?: readonly Rates[];
  /** Randomness, a parameter so tests are exact: session ids and per-render form keys. */
  randomId?: () => string;
}

export interface DashboardEnv {
  Variables: {
    session: Session;
    /** The fields of a POSTed form that passed the checks. */
    form: Record<string, string>;
  };
}
