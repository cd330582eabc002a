// When a credential is due for renewal, computed exactly as cert-manager's `pki.RenewalTime` does
// (pkg/util/pki/renewaltime.go): a valid `renewBefore` (0 < renewBefore < lifetime) wins; else a
// valid `renewBeforePercentage` (0 < p < 100) of the lifetime before expiry; else one third of the
// lifetime before expiry (renew at 2/3). The result is truncated to whole seconds, as cert-manager
// stores it, so a re-check at the stored time never lands a moment early.

export interface RenewalTiming {
  /** Time before expiry to renew at, ms (wins when 0 < renewBeforeMs < lifetime). */
  renewBeforeMs?: number;
  /** Percentage of the lifetime before expiry to renew at (used when 0 < p < 100). */
  renewBeforePercentage?: number;
}

/** Which rule set the renewal time: the declaration's `renewBefore`, its percentage, or the default. */
export type RenewalRule = "renew-before" | "percentage" | "default";

export interface RenewalTime {
  at: Date;
  rule: RenewalRule;
  /** How long before notAfter the renewal is, ms. */
  renewBeforeMs: number;
}

/** cert-manager's `RenewBefore`: how long before expiry a credential of this lifetime is renewed. */
export function renewBefore(lifetimeMs: number, timing: RenewalTiming): { ms: number; rule: RenewalRule } {
  const { renewBeforeMs, renewBeforePercentage } = timing;
  if (renewBeforeMs !== undefined && renewBeforeMs > 0 && renewBeforeMs < lifetimeMs) {
    return { ms: renewBeforeMs, rule: "renew-before" };
  }
  if (renewBeforePercentage !== undefined && renewBeforePercentage > 0 && renewBeforePercentage < 100) {
    return { ms: Math.floor((lifetimeMs * renewBeforePercentage) / 100), rule: "percentage" };
  }
  return { ms: Math.floor(lifetimeMs / 3), rule: "default" };
}

/** cert-manager's `RenewalTime` for a certificate valid from notBefore to notAfter. */
export function renewalTime(notBefore: Date, notAfter: Date, timing: RenewalTiming): RenewalTime {
  const lifetimeMs = notAfter.getTime() - notBefore.getTime();
  const before = renewBefore(lifetimeMs, timing);
  const atMs = Math.floor((notAfter.getTime() - before.ms) / 1000) * 1000;
  return { at: new Date(atMs), rule: before.rule, renewBeforeMs: before.ms };
}
