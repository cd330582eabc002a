// Serves a sandbox on Node: one listener per cloud (plus any extra listener a cloud declares,
// such as the Autopilot clusters' mutual-TLS Kubernetes API), and the description that
// `nightshift sandbox` prints as its first line.
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { type CloudName, cloudApp, type SandboxListener } from "./cloud.ts";
import { CLOUD_NAMES, createSandbox, type Sandbox, type SandboxOptions } from "./sandbox.ts";

export interface RunningSandbox {
  sandbox: Sandbox;
  description: SandboxDescription;
  stop(): Promise<void>;
}

export type SandboxDescription = Record<CloudName, Record<string, unknown>>;

type Server = ReturnType<typeof serve>;

async function listen(app: Hono, host: string, port: number, tls?: SandboxListener["tls"]): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
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
