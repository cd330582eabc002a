// For the webhook tests and bench on Node: the HTTP app as the webhook routes meet it, served on a
// free loopback port by the Node host's server (JSON errors for malformed requests).
import type { AddressInfo } from "node:net";
import { type AppDeps, createApp } from "../../functions/app.ts";
import { serveWithJsonErrors } from "../../functions/client-error.node.ts";

/** No targets, schedules or admin token: only the webhook routes, taking events into `accept`. */
export function webhooksApp(deps: Pick<AppDeps, "store" | "log" | "webhooks" | "accept">) {
  return createApp({
    host: "node",
    now: () => new Date(),
    inventory: async () => ({ targets: [], errors: [] }),
    schedules: [],
    calendars: new Map(),
    ...deps,
  });
}

/** Serves `fetch` on 127.0.0.1 at a free port; `base` is its URL. */
export async function serveOnLoopback(
  fetch: Parameters<typeof serveWithJsonErrors>[0]["fetch"],
): Promise<{ server: ReturnType<typeof serveWithJsonErrors>; base: string }> {
  let server!: ReturnType<typeof serveWithJsonErrors>;
  await new Promise<void>((resolve) => {
    server = serveWithJsonErrors({ fetch, port: 0, hostname: "127.0.0.1" }, resolve);
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
