// The four simulated clouds together: one clock, one CA, per-cloud faults and throttles.
import { createAlibabaCloud } from "./alibaba/cloud.ts";
import { createAutopilotCloud } from "./autopilot/cloud.ts";
import { createBaiduCloud } from "./baidu/cloud.ts";
import { createSandboxCa } from "./ca.ts";
import { createSimClock, type SimClock, seededRandom } from "./clock.ts";
import {
  type CloudName,
  createRequestLog,
  type RequestLog,
  type SandboxCloud,
  type SandboxContext,
} from "./cloud.ts";
import { createFaultControl } from "./faults.ts";
import { createHuaweiCloud } from "./huawei/cloud.ts";
import { createThrottle } from "./throttle.ts";

export const CLOUD_NAMES: readonly CloudName[] = ["huawei", "autopilot", "alibaba", "baidu"];

export interface SandboxOptions {
  /** Simulated time at start (default: the real time). */
  start?: Date;
  /** Simulated seconds per real second (default 1; 0 = only moves when advanced by hand). */
  speed?: number;
  /** Seed for the fleet and the fault dice (default 1). */
  seed?: number;
  /** Requests per second per access key before the gateway answers 429 (default: unlimited). */
  ratePerSecond?: number;
  realNow?: () => number;
  /**
   * Which clock judges a request signature's age. "sandbox" (the default): the simulated clock,
   * so clients sign with the sandbox's time (GET /_sandbox/clock). "real": real time, for a
   * client that can only sign with the real clock (a Worker in workerd) while the test moves the
   * simulated clock. Everything else still runs on the simulated clock.
   */
  signaturesBy?: "sandbox" | "real";
}

export interface Sandbox {
  clock: SimClock;
  log: RequestLog;
  clouds: Record<CloudName, SandboxCloud>;
  contexts: Record<CloudName, SandboxContext>;
  /** Filled in by the host once listeners have addresses. */
  setUrl(listener: string, url: string): void;
  urlOf(listener: string): string;
}

const CLOUD_FACTORIES: Record<CloudName, (ctx: SandboxContext) => Promise<SandboxCloud>> = {
  huawei: createHuaweiCloud,
  autopilot: createAutopilotCloud,
  alibaba: createAlibabaCloud,
  baidu: createBaiduCloud,
};

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const realNow = options.realNow ?? (() => performance.timeOrigin + performance.now());
  const clock = createSimClock({
    start: options.start ?? new Date(realNow()),
    speed: options.speed ?? 1,
    realNow,
  });
  const seed = options.seed ?? 1;
  const signatureNow = options.signaturesBy === "real" ? () => new Date(realNow()) : () => clock.now();
  // The CA is checked against both clocks (clients in real time, the sandbox in its own, which may
  // start ahead): valid from a day before the earlier of the two.
  const ca = await createSandboxCa({
    now: new Date(Math.min(clock.now().getTime(), realNow())),
    random: seededRandom(seed),
  });
  const urls = new Map<string, string>();
  const urlOf = (listener: string) => {
    const url = urls.get(listener);
    if (!url)
      throw new Error(`sandbox listener "${listener}" has no address yet; start the sandbox server first`);
    return url;
  };

  const contexts = {} as Record<CloudName, SandboxContext>;
  const clouds = {} as Record<CloudName, SandboxCloud>;
  for (const [index, name] of CLOUD_NAMES.entries()) {
    const ctx: SandboxContext = {
      clock,
      random: seededRandom(seed * 1000 + index),
      ca,
      throttle: createThrottle({ ratePerSecond: options.ratePerSecond ?? Number.POSITIVE_INFINITY, realNow }),
      faults: createFaultControl(),
      realNow,
      signatureNow,
      urlOf,
    };
    contexts[name] = ctx;
    clouds[name] = await CLOUD_FACTORIES[name](ctx);
  }
  return {
    clock,
    log: createRequestLog(),
    clouds,
    contexts,
    setUrl: (listener, url) => void urls.set(listener, url),
    urlOf,
  };
}
