// Vitest global setup (runs in the Node main process for both test projects): a small HTTP
// service that starts isolated sandboxes on demand, so every test file gets clouds of its own,
// whether the test runs on Node or inside workerd (which reaches it over loopback).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { type RunningSandbox, startSandbox } from "../../shared/sandbox/server.node.ts";

declare module "vitest" {
  export interface ProvidedContext {
    sandboxFactory: string;
  }
}

let server: Server | undefined;
const running = new Map<string, RunningSandbox>();
let counter = 0;

async function handle(method: string, path: string, body: string): Promise<[number, unknown]> {
  if (method === "POST" && path === "/sandboxes") {
    const options = body ? JSON.parse(body) : {};
    const started = await startSandbox({
      speed: options.speed ?? 0,
      seed: options.seed ?? 1,
      ...(options.start ? { start: new Date(options.start) } : {}),
      ...(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : {}),
      ...(options.signaturesBy ? { signaturesBy: options.signaturesBy } : {}),
    });
    const id = String(++counter);
    running.set(id, started);
    return [201, { id, ...started.description }];
  }
  const match = /^\/sandboxes\/(\d+)$/.exec(path);
  if (method === "DELETE" && match) {
    const sandbox = running.get(match[1]!);
    running.delete(match[1]!);
    await sandbox?.stop();
    return [200, { stopped: Boolean(sandbox) }];
  }
  return [404, { error: "unknown route" }];
}

export default async function setup(project: TestProject) {
  if (!server) {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        handle(request.method ?? "GET", request.url ?? "/", body).then(
          ([status, payload]) => {
            response.writeHead(status, { "content-type": "application/json" });
            response.end(JSON.stringify(payload));
          },
          (error: unknown) => {
            response.writeHead(500, { "content-type": "application/json" });
            response.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
          },
        );
      });
    });
    // Idle connections stay open until the client closes them: a server closing one after its
    // keep-alive timeout races a test's next request on it ("other side closed") when the main
    // process is busy, as it is with several test files at once.
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  }
  project.provide("sandboxFactory", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return async () => {
    if (!server) return;
    const closing = server;
    server = undefined;
    await Promise.all([...running.values()].map((s) => s.stop()));
    running.clear();
    closing.closeIdleConnections();
    await new Promise((resolve) => closing.close(resolve));
  };
}
