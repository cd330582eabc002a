// The body of a request exactly as the gateway received it, whatever the method. On the wire a GET
// may carry a body (the Huawei SDK sends `{}` on every GET and signs its hash, and APIG signs over
// what it received), but a Fetch `Request` with method GET or HEAD cannot hold one, so the host
// adapter drops it. A host that can still read it (server.node.ts) records it here first.

const bodilessMethodBodies = new WeakMap<Request, Uint8Array>();

/** Records the body a GET/HEAD request arrived with (the host calls this before the app runs). */
export function recordBodilessMethodBody(request: Request, body: Uint8Array): void {
  bodilessMethodBodies.set(request, body);
}

/** The request's body bytes as received: a recorded GET/HEAD body, else the Request's own body. */
export async function receivedBody(request: Request): Promise<Uint8Array> {
  return bodilessMethodBodies.get(request) ?? new Uint8Array(await request.arrayBuffer());
}

/** The same, as UTF-8 text (a malformed sequence becomes U+FFFD, as `Request.text()` does). */
export async function receivedText(request: Request): Promise<string> {
  return new TextDecoder().decode(await receivedBody(request));
}
