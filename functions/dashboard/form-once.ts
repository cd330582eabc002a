// Once per rendered form: every action form carries a random key (hidden field `formKey`, new on
// each render), and the store's idempotency records (the claims behind the API's Idempotency-Key)
// remember what its first submission did, namely where it redirected. A resubmit (a double click,
// back and send again, a browser retrying) gets the same redirect and changes nothing twice.
//
// Only a submission that was carried out is remembered: a refusal (bad input, nothing to do)
// releases the key, so the same form corrected and sent again runs. The same key with other values
// is refused (the form was already used).
import type { Context } from "hono";
import { html } from "hono/html";
import { fingerprint, type Store } from "../../shared/store/store.ts";
import { refusalPage } from "./auth.ts";
import type { DashboardEnv } from "./deps.ts";
import type { Html } from "./layout.ts";

export const FORM_KEY_FIELD = "formKey";
const FORM_KEY = /^[0-9a-f]{32}$/;
const LEASE_MS = 60_000;
/** How long a used form is remembered: a day, like the API's keys. */
const TTL_MS = 24 * 3600 * 1000;

/** What an action did: where to send the browser, or why nothing was done. */
export type FormOutcome =
  | { done: true; location: string }
  | { done: false; status: 400 | 403 | 409 | 422; reason: string };

export async function oncePerForm(
  c: Context<DashboardEnv>,
  deps: { store: Store; now: () => Date },
  run: () => Promise<FormOutcome>,
): Promise<Response> {
  const form = c.get("form");
  const key = form[FORM_KEY_FIELD];
  const back = new URL(c.req.url).pathname.replace(/\/[^/]+$/, "");
  if (key === undefined || !FORM_KEY.test(key)) {
    return refusalPage(
      c,
      400,
      "The form has no valid form key. Reload the page and use the fresh form.",
      back,
    );
  }
  const fields = Object.entries(form)
    .filter(([name]) => name !== "csrf")
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`);
  const print = await fingerprint([c.req.method, new URL(c.req.url).pathname, ...fields]);
  const storeKey = `dashboard/${key}`;
  const claim = await deps.store.idempotency.claim(storeKey, {
    fingerprint: print,
    leaseMs: LEASE_MS,
    ttlMs: TTL_MS,
    now: deps.now(),
  });
  switch (claim.outcome) {
    case "completed":
      return c.redirect((JSON.parse(claim.result) as { location: string }).location, 303);
    case "mismatch":
      return refusalPage(
        c,
        422,
        "This form was already sent with other values. Reload the page for a fresh form.",
        back,
      );
    case "in-progress":
      return refusalPage(
        c,
        409,
        "This form is still being carried out. Reload the page in a few seconds to see the outcome.",
        back,
      );
    case "claimed":
      break;
  }
  let outcome: FormOutcome;
  try {
    outcome = await run();
  } catch (error) {
    await deps.store.idempotency.release(storeKey, { token: claim.token, now: deps.now() });
    throw error;
  }
  if (!outcome.done) {
    await deps.store.idempotency.release(storeKey, { token: claim.token, now: deps.now() });
    return refusalPage(c, outcome.status, outcome.reason, back);
  }
  await deps.store.idempotency.complete(storeKey, {
    token: claim.token,
    result: JSON.stringify({ location: outcome.location }),
    ttlMs: TTL_MS,
    now: deps.now(),
  });
  return c.redirect(outcome.location, 303);
}

/** The hidden fields every action form carries: the session's CSRF token and a fresh form key. */
export function formFields(c: Context<DashboardEnv>, randomId: () => string): Html {
  return html`<input type="hidden" name="csrf" value="${c.get("session").csrfToken}">
<input type="hidden" name="${FORM_KEY_FIELD}" value="${randomId()}">`;
}
