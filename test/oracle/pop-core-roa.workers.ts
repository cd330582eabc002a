// pop-core's lib/roa.js in workerd (see pop-core-roa.ts), bundled by the signing bench with
// `httpx` aliased to the capturing transport (test/bench/workerd.ts). roa.js's private helpers cannot be
// reached from a bundle; only the Node loader exposes them (the stage comparisons are Node tests).
import roa from "@alicloud/pop-core/lib/roa.js";
import type { RoaInternals, RoaModule } from "./pop-core-roa.ts";

const unavailable = (): never => {
  throw new Error("pop-core's private helpers are read on Node only (test/oracle/pop-core-roa.node.ts)");
};
const internals: RoaInternals = {
  buildStringToSign: unavailable,
  getCanonicalizedHeaders: unavailable,
  getCanonicalizedResource: unavailable,
};

export const ROAClient = Object.assign(roa as Omit<RoaModule, "internals">, { internals }) as RoaModule;
