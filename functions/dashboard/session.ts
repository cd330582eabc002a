// The dashboard's sign-in session: a cookie holding a random session id and its expiry, signed with
// HMAC-SHA-256 under a key derived from the admin token. The token itself never leaves the sign-in
// form: a stolen cookie is worth one session until it expires, and rotating the token ends every
// session (their signatures no longer verify). Each session has its CSRF token, derived from its id
// under another key, so a form carries proof it was rendered for this session.
import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { hmac } from "#digest";
import { timingSafeEqual } from "../../shared/signer/compare.ts";
import { hex } from "../../shared/signer/encoding.ts";

export const SESSION_COOKIE = "nightshift_session";
/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;

export interface Session {
  id: string;
  expiresAt: Date;
  /** The hidden field every form of this session carries. */
  csrfToken: string;
}

/** Distinct keys for distinct purposes, all from the admin token. */
const sessionKey = (adminToken: string) => hmac("SHA-256", adminToken, "nightshift dashboard session v1");
const csrfKey = (adminToken: string) => hmac("SHA-256", adminToken, "nightshift dashboard csrf v1");

export async function csrfTokenFor(adminToken: string, sessionId: string): Promise<string> {
  return hex(await hmac("SHA-256", await csrfKey(adminToken), sessionId));
}

/** A fresh session id: 128 random bits (crypto.getRandomValues), hex. */
export function randomSessionId(): string {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/** True when the browser reached us over HTTPS, directly or through a proxy that says so. */
export function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https";
}

const cookieOptions = (c: Context) =>
  ({ httpOnly: true, sameSite: "Strict", path: "/", secure: isHttps(c) }) as const;

/** Starts a session: sets the signed cookie and returns the session. */
export async function startSession(
  c: Context,
  adminToken: string,
  now: Date,
  newId: () => string = randomSessionId,
): Promise<Session> {
  const id = newId();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await setSignedCookie(c, SESSION_COOKIE, `${id}.${expiresAt.getTime()}`, await sessionKey(adminToken), {
    ...cookieOptions(c),
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
  return { id, expiresAt, csrfToken: await csrfTokenFor(adminToken, id) };
}

/** The request's session, or undefined: no cookie, a bad signature (another token) or expired. */
export async function readSession(c: Context, adminToken: string, now: Date): Promise<Session | undefined> {
  const value = await getSignedCookie(c, await sessionKey(adminToken), SESSION_COOKIE);
  if (typeof value !== "string") return undefined;
  const match = /^([0-9a-f]{32})\.(\d{1,15})$/.exec(value);
  if (!match) return undefined;
  const expiresAt = new Date(Number(match[2]));
  if (expiresAt.getTime() <= now.getTime()) return undefined;
  const id = match[1] as string;
  return { id, expiresAt, csrfToken: await csrfTokenFor(adminToken, id) };
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
}

/** Constant-time check of a form's CSRF field against the session's token. */
export function csrfMatches(session: Session, field: unknown): boolean {
  return typeof field === "string" && timingSafeEqual(field, session.csrfToken);
}

/**
 * Why a state-changing request is not from our own pages, or undefined when it is. A browser sends
 * `Sec-Fetch-Site` (modern ones) or `Origin` with every form POST; one of them must say "this
 * origin". The expected origin is the one the browser sees (behind a TLS proxy: https).
 */
export function crossOriginReason(c: Context): string | undefined {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) {
    return site === "same-origin"
      ? undefined
      : `the form was sent from another site (Sec-Fetch-Site: ${site}); use the dashboard's own pages`;
  }
  const origin = c.req.header("origin");
  if (origin === undefined)
    return "the browser sent neither Origin nor Sec-Fetch-Site, so the form's origin cannot be checked";
  // A proxy that rewrites Host says the browser's in X-Forwarded-Host (a cross-site form cannot
  // set headers, so trusting it opens nothing).
  const url = new URL(c.req.url);
  const host = c.req.header("x-forwarded-host")?.split(",")[0]?.trim() || url.host;
  const expected = `${isHttps(c) ? "https:" : url.protocol}//${host}`;
  return origin === expected
    ? undefined
    : `the form was sent from ${origin}, not from this dashboard (${expected})`;
}
