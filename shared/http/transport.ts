// The Workers host's transport: the platform's own fetch. Called through globalThis each time, so
// it is never detached from its receiver (Workers throw "Illegal invocation" on a bare reference)
// and a test or a host that swaps globalThis.fetch later is honoured.
import type { Fetch } from "./client.ts";

export function platformFetch(): Fetch {
  return (input, init) => globalThis.fetch(input, init);
}
