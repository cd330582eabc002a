// Identifiers the simulated CCE mints, all from the seeded random so a fleet is reproducible.

export type Random = () => number;

function hexDigits(random: Random, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** A version-1-looking UUID like CCE's (`4d1ecb2c-229a-11e8-9c75-0255ac100ceb`). */
export function uuid(random: Random): string {
  return `${hexDigits(random, 8)}-${hexDigits(random, 4)}-11ee-${hexDigits(random, 4)}-0255ac${hexDigits(random, 6)}`;
}

/** A 32-hex project id or request id. */
export function hex32(random: Random): string {
  return hexDigits(random, 32);
}

/** Access key ids are 20 upper-case letters and digits. */
export function accessKeyId(random: Random): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let out = "";
  for (let i = 0; i < 20; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** Secret keys are 40 letters and digits. */
export function secretAccessKey(random: Random): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let out = "";
  for (let i = 0; i < 40; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** A node name suffix: five lower-case letters and digits. */
export function suffix(random: Random): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

export function privateIp(random: Random): string {
  return `192.168.${Math.floor(random() * 254) + 1}.${Math.floor(random() * 253) + 2}`;
}

export function publicIp(random: Random): string {
  return `100.${Math.floor(random() * 60) + 64}.${Math.floor(random() * 254) + 1}.${Math.floor(random() * 253) + 2}`;
}

/** An integer in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
