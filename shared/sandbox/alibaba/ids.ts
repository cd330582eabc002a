// Identifiers and timestamps in ACK's own shapes, minted from the sandbox's seeded random so a fleet
// (and every id a request mints) is reproducible.

const HEX = "0123456789abcdef";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function pick(random: () => number, alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

export const ids = {
  /** `c` + 32 hex, as `c3fb96524f9274b4495df0f12a6b5****` in the vendor examples. */
  cluster: (random: () => number) => `c${pick(random, HEX, 32)}`,
  /** `np` + 32 hex. */
  nodePool: (random: () => number) => `np${pick(random, HEX, 32)}`,
  /** `T-` + 24 hex, as every async ACK call returns. */
  task: (random: () => number) => `T-${pick(random, HEX, 24)}`,
  instance: (random: () => number) => `i-${pick(random, LOWER_ALNUM, 20)}`,
  scalingGroup: (random: () => number) => `asg-${pick(random, LOWER_ALNUM, 20)}`,
  vpc: (random: () => number) => `vpc-${pick(random, LOWER_ALNUM, 21)}`,
  vswitch: (random: () => number) => `vsw-${pick(random, LOWER_ALNUM, 21)}`,
  securityGroup: (random: () => number) => `sg-${pick(random, LOWER_ALNUM, 20)}`,
  /** `LTAI` + 20 characters, the shape of a RAM AccessKey ID. */
  accessKeyId: (random: () => number) => `LTAI${pick(random, ALNUM, 20)}`,
  accessKeySecret: (random: () => number) => pick(random, ALNUM, 30),
  /** A 16-digit Alibaba Cloud account UID (the kubeconfig user). */
  uid: (random: () => number) => `1${pick(random, "0123456789", 15)}`,
  /** Upper-case UUID, as `687C5BAA-D103-4993-884B-C35E4314A1E1`. */
  requestId: (random: () => number) => {
    const h = pick(random, "0123456789ABCDEF", 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
  /** An EagleEye trace id, as ASAPI adds to relayed answers. */
  trace: (random: () => number) => pick(random, HEX, 30),
};

const CHINA_OFFSET_MS = 8 * 3600_000;

/** `2020-08-20T10:51:29+08:00`: ACK's cluster, node and task timestamps (China Standard Time). */
export function chinaTime(ms: number): string {
  return `${new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/**
 * `2020-09-27T19:14:09.156823496+08:00`: node pools' `created` carries Go's nanoseconds. The
 * sub-millisecond digits are the pool's own (`nanos`, 0..999999).
 */
export function chinaTimeNanos(ms: number, nanos: number): string {
  const iso = new Date(ms + CHINA_OFFSET_MS).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}${String(nanos).padStart(6, "0")}+08:00`;
}

/** `2024-03-10T09:56:17Z`: the kubeconfig `expiration` (UTC, whole seconds). */
export function utcSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
