// On Node, `#digest` must be the node:crypto module: Web Crypto there costs a thread-pool hop per
// digest (the reason digest.node.ts exists), so a resolver that ignored the condition would make
// signing several times slower without failing any vector.

import { expect, it } from "vitest";
import * as chosen from "#digest";
import * as nodeCrypto from "./digest.node.ts";

it("resolves #digest to digest.node.ts on Node", () => {
  expect(chosen.hmacHex).toBe(nodeCrypto.hmacHex);
  expect(chosen.sha256Hex).toBe(nodeCrypto.sha256Hex);
});
