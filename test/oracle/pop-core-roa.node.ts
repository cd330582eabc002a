// pop-core's lib/roa.js on Node (see pop-core-roa.ts): its own source compiled unchanged, with one
// appended line exporting its module-private helpers (buildStringToSign, getCanonicalizedHeaders,
// getCanonicalizedResource) so the oracle can compare the string to sign too, and `httpx` answered
// by the capturing transport (it sends nothing).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import vm from "node:vm";
import type { RoaModule } from "./pop-core-roa.ts";
import * as capturingHttpx from "./pop-core-roa.ts";

const roaPath = createRequire(import.meta.url).resolve("@alicloud/pop-core/lib/roa.js");

function loadRoa(): RoaModule {
  const roaRequire = createRequire(roaPath);
  const source = `${readFileSync(roaPath, "utf8")}
module.exports.internals = { buildStringToSign, getCanonicalizedHeaders, getCanonicalizedResource };
`;
  const wrapper = vm.compileFunction(source, ["exports", "require", "module", "__filename", "__dirname"], {
    filename: roaPath,
  });
  const module = { exports: {} as unknown };
  const requireForRoa = (id: string) => (id === "httpx" ? capturingHttpx : roaRequire(id));
  wrapper(module.exports, requireForRoa, module, roaPath, dirname(roaPath));
  return module.exports as RoaModule;
}

export const ROAClient = loadRoa();
