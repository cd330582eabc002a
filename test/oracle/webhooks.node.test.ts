// Our Standard Webhooks signer and verifier against the reference implementation (npm
// `standardwebhooks`), on random ids, times and bodies, in both directions.
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook } from "../../shared/signer/webhooks.ts";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const reference = new Webhook(secret);
const delivery = fc.record({
  id: fc.stringMatching(/^msg_[A-Za-z0-9]{1,24}$/),
  seconds: fc.integer({ min: 1_577_836_800, max: 1_893_456_000 }),
  body: fc.string({ unit: "grapheme", maxLength: 200 }),
});

describe("Standard Webhooks against the reference implementation", () => {
  it("signs exactly as the reference signer and verifies what it signs", async () => {
    await fc.assert(
      fc.asyncProperty(delivery, async ({ id, seconds, body }) => {
        const now = new Date(seconds * 1000);
        const ours = await signWebhook(secret, { id, body, now });
        expect(ours["webhook-signature"]).toBe(reference.sign(id, now, body));
        const theirs = {
          "webhook-id": id,
          "webhook-timestamp": String(seconds),
          "webhook-signature": reference.sign(id, now, body),
        };
        expect((await verifyWebhook({ headers: theirs, body }, { secrets: [secret], now })).ok).toBe(true);
        // ...and the reference verifier accepts what we sign (it reads the real clock, so sign at "now").
        const fresh = await signWebhook(secret, { id, body, now: new Date() });
        expect(() => reference.verify(body, { ...fresh }, { jsonParse: false })).not.toThrow();
      }),
      { numRuns: 500, seed: 20261122 },
    );
  });
});
