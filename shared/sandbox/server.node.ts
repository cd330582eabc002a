// Serves a sandbox on Node: one listener per cloud (plus any extra listener a cloud declares,
// such as the Autopilot clusters' mutual-TLS Kubernetes API), and the description that
// `nightshift sandbox` prints as its first line.
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import type { Hono } from "hono";
import { type CloudName, cloudApp, type SandboxListener } from "./cloud.ts";
import { recordBodilessMethodBody } from "./received-body.ts";
import { CLOUD_NAMES, createSandbox, type Sandbox, type SandboxOptions } from "./sandbox.ts";

export interface RunningSandbox {
  sandbox: Sandbox;
  description: SandboxDescription;
  stop(): Promise<void>;
}

export type SandboxDescription = Record<CloudName, Record<string, unknown>>;

type Server = ReturnType<typeof serve>;

/** The most a GET/HEAD body may hold: Huawei's AK/SK signing limit (12 MB), far above any SDK's `{}`. */
const MAX_BODILESS_METHOD_BODY = 12 * 1024 * 1024;

/**
 * node-server hands a GET/HEAD request to the app without its body (a Fetch Request cannot hold
 * one), but clients do send one (the Huawei SDK signs `{}` on every GET). Read it here, where the
 * socket is still at hand, and record it for the gateways (received-body.ts).
 */
function keepingBodilessMethodBodies(app: Hono) {
  return async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    const { incoming } = env;
    const declaresBody =
      Number(incoming.headers["content-length"] ?? 0) > 0 ||
      incoming.headers["transfer-encoding"] !== undefined;
    if ((request.method === "GET" || request.method === "HEAD") && declaresBody) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of incoming as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODILESS_METHOD_BODY) {
          return Response.json(
            {
              error: {
                code: "body_too_large",
                message: `a ${request.method} body may hold at most ${MAX_BODILESS_METHOD_BODY} bytes`,
                details: { limitBytes: MAX_BODILESS_METHOD_BODY },
              },
            },
            { status: 413, headers: { connection: "close" } },
          );
        }
        chunks.push(chunk);
      }
      recordBodilessMethodBody(request, new Uint8Array(Buffer.concat(chunks)));
    }
    return app.fetch(request, env);
  };
}

async function listen(app: Hono, host: string, port: number, tls?: SandboxListener["tls"]): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: keepingBodilessMethodBodies(app),
        hostname: host,
        port,
        ...(tls
          ? {
              createServer: createHttpsServer,
              serverOptions: {
                cert: tls.certPem,
                key: tls.keyPem,
                ca: tls.caPem,
                requestCert: tls.requestCert,
                // The handshake would judge validity by the real clock; the listener's app checks the
                // chain itself and judges validity by the sandbox clock, which may run ahead.
                rejectUnauthorized: false,
              },
            }
          : {}),
      },
      () => resolve(server),
    );
    server.once("error", reject);
  });
}

/**
 * Starts every cloud. With `basePort` 0 each listener gets a free port; otherwise the clouds take
 * basePort, basePort+1, ... in the order huawei, autopilot, alibaba, baidu, then extra listeners.
 */
export async function startSandbox(
  options: SandboxOptions & { host?: string; basePort?: number } = {},
): Promise<RunningSandbox> {
  const host = options.host ?? "127.0.0.1";
  const sandbox = await createSandbox(options);
  const servers: Server[] = [];
  let next = options.basePort ?? 0;
  const portFor = () => (options.basePort ? next++ : 0);
  const urlFor = (server: Server, secure: boolean) =>
    `${secure ? "https" : "http"}://${host}:${(server.address() as AddressInfo).port}`;

  try {
    for (const name of CLOUD_NAMES) {
      const server = await listen(
        cloudApp(sandbox.clouds[name], sandbox.contexts[name], sandbox.log),
        host,
        portFor(),
      );
      servers.push(server);
      sandbox.setUrl(name, urlFor(server, false));
    }
    for (const name of CLOUD_NAMES) {
      for (const listener of sandbox.clouds[name].listeners ?? []) {
        const server = await listen(listener.app, host, portFor(), listener.tls);
        servers.push(server);
        sandbox.setUrl(listener.id, urlFor(server, Boolean(listener.tls)));
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    throw error;
  }

  const description = {} as SandboxDescription;
  for (const name of CLOUD_NAMES) {
    const cloud = sandbox.clouds[name];
    description[name] = {
      endpoint: sandbox.urlOf(name),
      inspection: `${sandbox.urlOf(name)}/_sandbox`,
      ...cloud.describe(),
      accounts: cloud.accounts(),
    };
  }

  return {
    sandbox,
    description,
    async stop() {
      for (const server of servers) {
        if ("closeAllConnections" in server) server.closeAllConnections();
      }
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
