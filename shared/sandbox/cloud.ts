// What every simulated cloud is made of, and the framework around it: the request log, fault
// injection, throttling and the inspection API (`/_sandbox/...`) are the same for all four; the
// vendor module supplies its routes, state machine, error shapes and default fleet.
import { Hono } from "hono";
import type { SandboxCa } from "./ca.ts";
import type { SimClock } from "./clock.ts";
import { type FaultControl, faultMiddleware, type VendorErrorPages } from "./faults.ts";
import type { Throttle } from "./throttle.ts";

export type CloudName = "huawei" | "autopilot" | "alibaba" | "baidu";

/** What the framework gives a vendor module. */
export interface SandboxContext {
  clock: SimClock;
  /** Seeded: the default fleet and every id it mints are reproducible. */
  random: () => number;
  ca: SandboxCa;
  throttle: Throttle;
  faults: FaultControl;
  /** Real time in ms, for delays that must pass in real time (slow answers, throttle windows). */
  realNow: () => number;
  /** The time request signatures are judged by (their age): see SandboxOptions.signaturesBy. */
  signatureNow: () => Date;
  /** The base URL a listener got once the server started (e.g. for kubeconfig `server:` fields). */
  urlOf(listener: string): string;
}

/** An access key the simulated cloud accepts, and where it applies. */
export interface SandboxAccount {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Huawei and Autopilot: the project id in every path. */
  projectId?: string;
  /** Alibaba ASAPI: the organization id the gateway expects. */
  organizationId?: string;
}

export interface SandboxListener {
  /** Unique across the sandbox, e.g. "huawei" or "autopilot-kubernetes". */
  id: string;
  app: Hono;
  /** HTTPS with these credentials; `requestCert` makes it mutual TLS. */
  tls?: { certPem: string; keyPem: string; caPem: string; requestCert: boolean };
}

export interface SandboxCloud {
  name: CloudName;
  /** The vendor API, mounted under the framework middleware on the cloud's main listener. */
  routes: Hono;
  errorPages: VendorErrorPages;
  /** Accounts of the current fleet. */
  accounts(): SandboxAccount[];
  /** Everything the cloud holds now, after bringing every state machine up to the clock. */
  state(): unknown;
  /** Back to the default fleet. */
  reset(): Promise<void>;
  /** Replaces the fleet with one given as JSON (the vendor documents its shape); throws with a clear message. */
  seed(fleet: unknown): Promise<void>;
  /** Extra endpoints: the description printed at start names them. */
  describe(): Record<string, unknown>;
  /** Further listeners the cloud needs (the Autopilot clusters' Kubernetes API). */
  listeners?: SandboxListener[];
}

export interface LoggedRequest {
  seq: number;
  time: string;
  cloud: CloudName;
  method: string;
  path: string;
  query: string;
  status: number;
  /** The access key the request was signed with, when it parsed. */
  accessKeyId?: string;
  fault?: string;
  ms: number;
}

export interface RequestLog {
  add(entry: Omit<LoggedRequest, "seq">): void;
  since(seq: number, cloud?: CloudName): LoggedRequest[];
  clear(): void;
}

export function createRequestLog(limit = 50_000): RequestLog {
  let entries: LoggedRequest[] = [];
  let seq = 0;
  return {
    add(entry) {
      entries.push({ seq: ++seq, ...entry });
      if (entries.length > limit) entries = entries.slice(entries.length - limit);
    },
    since: (after, cloud) => entries.filter((e) => e.seq > after && (!cloud || e.cloud === cloud)),
    clear() {
      entries = [];
    },
  };
}

/** Vendor routes set this so the request log can say which account called. */
export const ACCESS_KEY_VAR = "sandboxAccessKeyId";

/** The cloud's main listener: log → inspection → faults → vendor routes. */
export function cloudApp(cloud: SandboxCloud, ctx: SandboxContext, log: RequestLog): Hono {
  const app = new Hono();

  app.use("*", async (c, next) => {
    const started = ctx.realNow();
    await next();
    const url = new URL(c.req.url);
    if (url.pathname.startsWith("/_sandbox")) return;
    log.add({
      time: ctx.clock.now().toISOString(),
      cloud: cloud.name,
      method: c.req.method,
      path: url.pathname,
      query: url.search,
      status: c.res.status,
      ...(c.get(ACCESS_KEY_VAR as never) ? { accessKeyId: c.get(ACCESS_KEY_VAR as never) as string } : {}),
      ...(c.get("sandboxFault" as never) ? { fault: c.get("sandboxFault" as never) as string } : {}),
      ms: Math.round(ctx.realNow() - started),
    });
  });

  app.route("/_sandbox", inspectionApi(cloud, ctx, log));
  app.use(
    "*",
    faultMiddleware(ctx.faults, ctx.random, cloud.errorPages, (c, kind) =>
      c.set("sandboxFault" as never, kind as never),
    ),
  );
  app.route("/", cloud.routes);
  return app;
}

function inspectionApi(cloud: SandboxCloud, ctx: SandboxContext, log: RequestLog): Hono {
  const api = new Hono();
  const fail = (message: string) =>
    Response.json({ error: { code: "invalid_request", message, details: {} } }, { status: 400 });
  const body = async (request: Request): Promise<unknown> => {
    const text = await request.text();
    return text === "" ? {} : JSON.parse(text);
  };

  api.get("/state", (c) =>
    c.json({ cloud: cloud.name, time: ctx.clock.now().toISOString(), state: cloud.state() }),
  );
  api.get("/requests", (c) => c.json({ requests: log.since(Number(c.req.query("since") ?? 0), cloud.name) }));
  api.post("/reset", async (c) => {
    await cloud.reset();
    ctx.faults.clear();
    return c.json({ reset: true });
  });
  api.post("/seed", async (c) => {
    try {
      await cloud.seed(await body(c.req.raw));
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
    return c.json({ seeded: true });
  });
  api.get("/faults", (c) => c.json(ctx.faults.rates()));
  api.put("/faults", async (c) => {
    try {
      return c.json(ctx.faults.set((await body(c.req.raw)) as Record<string, number>));
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
  });
  api.get("/clock", (c) => c.json({ now: ctx.clock.now().toISOString(), speed: ctx.clock.speed }));
  api.post("/clock", async (c) => {
    try {
      const { advanceSeconds, speed } = (await body(c.req.raw)) as {
        advanceSeconds?: number;
        speed?: number;
      };
      if (advanceSeconds !== undefined) ctx.clock.advance(advanceSeconds * 1000);
      if (speed !== undefined) ctx.clock.setSpeed(speed);
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
    return c.json({ now: ctx.clock.now().toISOString(), speed: ctx.clock.speed });
  });
  api.put("/throttle", async (c) => {
    const { ratePerSecond, burst } = (await body(c.req.raw)) as { ratePerSecond?: number; burst?: number };
    if (typeof ratePerSecond !== "number" || ratePerSecond < 0)
      return fail("ratePerSecond must be a number >= 0 (0 = unlimited)");
    ctx.throttle.configure(ratePerSecond === 0 ? Number.POSITIVE_INFINITY : ratePerSecond, burst);
    return c.json({ ratePerSecond });
  });
  return api;
}
