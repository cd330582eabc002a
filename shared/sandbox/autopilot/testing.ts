// For the unit tests beside this module: the Autopilot cloud in-process (no sockets), behind the
// framework's middleware, on a hand-moved clock, with requests signed as the client signs them.
import { signHuawei } from "../../signer/huawei.ts";
import { createSandboxCa } from "../ca.ts";
import { createSimClock, seededRandom } from "../clock.ts";
import {
  cloudApp,
  createRequestLog,
  type RequestLog,
  type SandboxCloud,
  type SandboxContext,
} from "../cloud.ts";
import { createFaultControl } from "../faults.ts";
import { createThrottle } from "../throttle.ts";
import { createAutopilotCloud } from "./cloud.ts";
import { KUBERNETES_LISTENER } from "./routes.ts";

export const TEST_START = new Date("2026-03-02T08:00:00.000Z");
export const TEST_ORIGIN = "http://autopilot.sandbox.test";
export const TEST_KUBERNETES_URL = "https://127.0.0.1:6443";

export interface InProcessAutopilot {
  ctx: SandboxContext;
  cloud: SandboxCloud;
  log: RequestLog;
  /** Sends a request to the main API; signed with `account` (default: the first) unless `unsigned`. */
  request(
    method: string,
    path: string,
    options?: {
      body?: string;
      headers?: Record<string, string>;
      account?: { accessKeyId: string; secretAccessKey: string };
      unsigned?: boolean;
    },
  ): Promise<Response>;
  advance(seconds: number): void;
}

export async function inProcessAutopilot(seed = 1): Promise<InProcessAutopilot> {
  const clock = createSimClock({ start: TEST_START, speed: 0, realNow: () => 0 });
  const ctx: SandboxContext = {
    clock,
    random: seededRandom(seed),
    ca: await createSandboxCa({ now: TEST_START, random: seededRandom(seed + 100) }),
    throttle: createThrottle({ ratePerSecond: Number.POSITIVE_INFINITY, realNow: () => 0 }),
    faults: createFaultControl(),
    realNow: () => TEST_START.getTime(),
    signatureNow: () => clock.now(),
    urlOf: (listener) => {
      if (listener === KUBERNETES_LISTENER) return TEST_KUBERNETES_URL;
      throw new Error(`no listener ${listener}`);
    },
  };
  const cloud = await createAutopilotCloud(ctx);
  const log = createRequestLog();
  const app = cloudApp(cloud, ctx, log);
  return {
    ctx,
    cloud,
    log,
    async request(method, path, options = {}) {
      const url = `${TEST_ORIGIN}${path}`;
      let headers: Record<string, string> = { "Content-Type": "application/json", ...options.headers };
      if (!options.unsigned) {
        const account = options.account ?? cloud.accounts()[0]!;
        const signed = await signHuawei(
          { method, url, headers, ...(options.body !== undefined ? { body: options.body } : {}) },
          account,
          { now: clock.now() },
        );
        headers = signed.headers;
      }
      return app.request(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: options.body } : {}),
      });
    },
    advance: (seconds) => clock.advance(seconds * 1000),
  };
}
