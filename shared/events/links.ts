// Signed, expiring action links for the pre-action notice ("snooze" / "postpone" this sleep),
// served at GET /actions/{token}. The token is `<payload>.<mac>`: base64url JSON, then
// base64url HMAC-SHA256 (Web Crypto) over a domain prefix and the payload segment, so nothing in
// it can be changed without the secret and a MAC made for another purpose never verifies here.
//
// A link is not single-use: it verifies until it expires, as many times as it is opened (mail
// scanners and double clicks open links too). The action it triggers must therefore be idempotent:
// "hold this target awake until <slot time> + minutes", never "add minutes to the current snooze".
// `slot` (the planned transition the notice announced) is the anchor for that.
import { timingSafeEqual } from "../signer/compare.ts";
import { hmac } from "../signer/digest.ts";
import { base64, fromBase64, utf8 } from "../signer/encoding.ts";

export const ACTION_LINK_ACTIONS = ["snooze", "postpone"] as const;
export type ActionLinkAction = (typeof ACTION_LINK_ACTIONS)[number];

/** A week: longer would outlive any pre-action notice. */
export const MAX_ACTION_MINUTES = 7 * 24 * 60;
export const MIN_SECRET_LENGTH = 32;
const MAX_TOKEN_LENGTH = 2048;
const MAX_TARGET_LENGTH = 512;
const MAC_CONTEXT = "nightshift/action-link/v1.";

export interface ActionLinkInput {
  /** Where the service is reachable, e.g. https://nightshift.example.com (a path prefix is kept). */
  baseUrl: string;
  action: ActionLinkAction;
  /** The target id the action applies to. */
  target: string;
  minutes: number;
  /** Whole seconds are kept; the link is refused from this instant on. */
  expiresAt: Date;
  secret: string;
  /** The planned transition the notice is about, e.g. "weeknights:asleep:2026-03-02T20:00". */
  slot?: string;
}

export interface ActionLinkPayload {
  action: ActionLinkAction;
  target: string;
  minutes: number;
  expiresAt: Date;
  slot?: string;
}

export type ActionLinkRejection = "malformed" | "bad-signature" | "expired";

export type ActionLinkVerification =
  | ({ ok: true } & ActionLinkPayload)
  | { ok: false; reason: ActionLinkRejection; message: string };

/** The wire form of the payload: short keys, since the token travels in a URL. */
interface WirePayload {
  v: 1;
  a: ActionLinkAction;
  t: string;
  m: number;
  /** Expiry, Unix seconds. */
  e: number;
  s?: string;
}

/** The full link: `${baseUrl}/actions/${token}`. */
export async function createActionLink(input: ActionLinkInput): Promise<string> {
  let url: URL;
  try {
    url = new URL(input.baseUrl);
  } catch {
    throw new Error(
      `action link baseUrl must be an absolute URL such as https://nightshift.example.com; got ${JSON.stringify(input.baseUrl)}`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`action link baseUrl must be http(s); got ${url.protocol}`);
  }
  const token = await createActionToken(input);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/actions/${token}`;
  url.search = "";
  url.hash = "";
  return url.toString();
}

export async function createActionToken(input: Omit<ActionLinkInput, "baseUrl">): Promise<string> {
  checkSecret(input.secret);
  if (!ACTION_LINK_ACTIONS.includes(input.action)) {
    throw new Error(
      `action must be one of ${ACTION_LINK_ACTIONS.join(", ")}; got ${JSON.stringify(input.action)}`,
    );
  }
  if (typeof input.target !== "string" || input.target === "" || input.target.length > MAX_TARGET_LENGTH) {
    throw new Error(`target must be a target id of 1-${MAX_TARGET_LENGTH} characters`);
  }
  if (!Number.isInteger(input.minutes) || input.minutes < 1 || input.minutes > MAX_ACTION_MINUTES) {
    throw new Error(`minutes must be a whole number from 1 to ${MAX_ACTION_MINUTES}; got ${input.minutes}`);
  }
  if (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime())) {
    throw new Error("expiresAt must be a valid Date");
  }
  const wire: WirePayload = {
    v: 1,
    a: input.action,
    t: input.target,
    m: input.minutes,
    e: Math.floor(input.expiresAt.getTime() / 1000),
  };
  if (input.slot !== undefined) wire.s = input.slot;
  const payload = base64url(utf8(JSON.stringify(wire)));
  return `${payload}.${await mac(input.secret, payload)}`;
}

/**
 * Checks a token from GET /actions/{token}. The MAC is checked before the payload is parsed, and
 * against every given secret (two during a rotation) without stopping at the first match.
 */
export async function verifyActionLink(
  token: string,
  secret: string | readonly string[],
  now: Date,
): Promise<ActionLinkVerification> {
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (secrets.length === 0) throw new Error("verifyActionLink needs at least one secret");
  for (const s of secrets) checkSecret(s);

  const parts = typeof token === "string" && token.length <= MAX_TOKEN_LENGTH ? token.split(".") : [];
  const [payload, signature] = parts;
  if (
    parts.length !== 2 ||
    !payload ||
    !signature ||
    !BASE64URL.test(payload) ||
    !BASE64URL.test(signature)
  ) {
    return reject("malformed", "an action token is two base64url parts joined by a dot");
  }
  let matched = false;
  for (const s of secrets) if (timingSafeEqual(signature, await mac(s, payload))) matched = true;
  if (!matched)
    return reject("bad-signature", "the action link was not signed by this service, or was changed");

  const wire = parseWire(payload);
  if (!wire) return reject("malformed", "the action link's payload is not one this service writes");
  const expiresAt = new Date(wire.e * 1000);
  if (Number.isNaN(expiresAt.getTime())) {
    return reject("malformed", "the action link's expiry is not a valid date");
  }
  if (now.getTime() >= expiresAt.getTime()) {
    return reject("expired", `the action link expired at ${expiresAt.toISOString()}`);
  }
  return {
    ok: true,
    action: wire.a,
    target: wire.t,
    minutes: wire.m,
    expiresAt,
    ...(wire.s !== undefined ? { slot: wire.s } : {}),
  };
}

function parseWire(payload: string): WirePayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64url(payload)));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const w = value as Partial<Record<keyof WirePayload, unknown>>;
  const valid =
    w.v === 1 &&
    typeof w.a === "string" &&
    (ACTION_LINK_ACTIONS as readonly string[]).includes(w.a) &&
    typeof w.t === "string" &&
    w.t !== "" &&
    Number.isInteger(w.m) &&
    Number.isInteger(w.e) &&
    (w.s === undefined || typeof w.s === "string");
  return valid ? (value as WirePayload) : undefined;
}

function checkSecret(secret: string): void {
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `the action link secret must be at least ${MIN_SECRET_LENGTH} characters; generate one with \`openssl rand -base64 32\``,
    );
  }
}

async function mac(secret: string, payload: string): Promise<string> {
  return base64url(await hmac("SHA-256", secret, `${MAC_CONTEXT}${payload}`));
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function base64url(bytes: Uint8Array): string {
  return base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(padded + "=".repeat((4 - (padded.length % 4)) % 4));
}

function reject(reason: ActionLinkRejection, message: string): ActionLinkVerification {
  return { ok: false, reason, message };
}
