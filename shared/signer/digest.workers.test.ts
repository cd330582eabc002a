// Inside workerd, `#digest` must be digest.workers.ts (plain-JavaScript SHA-256, sha256.ts), which
// measured faster there than crypto.subtle and node:crypto; the default (Web Crypto) would pass
// every vector too.

import { expect, it } from "vitest";
import * as chosen from "#digest";
import * as workers from "./digest.workers.ts";

it("resolves #digest to digest.workers.ts in workerd", () => {
  expect(chosen.hmacHex).toBe(workers.hmacHex);
  expect(chosen.sha256Hex).toBe(workers.sha256Hex);
});
