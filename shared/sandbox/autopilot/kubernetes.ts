// Every simulated Autopilot cluster's Kubernetes API over mutual TLS, as a kubeconfig from
// clustercert reaches it: the extra listener "autopilot-kubernetes", one path per cluster,
// `/clusters/{clusterId}/…` (the kubeconfig's `server` ends with that prefix). The API itself is
// kube/api.ts; this front door only decides who calls.
//
// Authentication: only a client certificate that clustercert issued for THIS cluster and that has
// not expired by the SANDBOX clock (TLS itself checks the chain against the real clock). The peer
// certificate is read from the Node socket (`c.env.incoming.socket`), so this listener
// authenticates only when served by @hono/node-server; anywhere else every request is 401. The same
// API is reachable through the API gateway with AK/SK signatures (gateway.ts), which needs no socket.
import { type Context, Hono } from "hono";
import type { SandboxContext } from "../cloud.ts";
import { kubernetesApi } from "./kube/api.ts";
import { KubeError, notFoundPath, statusResponse } from "./kube/status.ts";
import type { StateHolder } from "./routes.ts";
import { reconcile } from "./state.ts";

/** TLS verdicts that only say the certificate is outside its validity by the REAL clock. */
const REAL_CLOCK_ERRORS = new Set(["CERT_NOT_YET_VALID", "CERT_HAS_EXPIRED"]);

interface PeerSocket {
  authorized?: boolean;
  authorizationError?: unknown;
  getPeerCertificate?(): { fingerprint256?: string } | null;
}

/** The client certificate's SHA-256 fingerprint, when the request came over TLS with one. */
export function peerFingerprint(c: Context): { fingerprint: string } | { error: string } {
  const socket = (c.env as { incoming?: { socket?: PeerSocket } } | undefined)?.incoming?.socket;
  if (!socket?.getPeerCertificate) return { error: "no TLS connection" };
  // With `rejectUnauthorized`, Node ends the handshake before this; without it, refuse here what
  // the chain check refused, except validity by the real clock (the sandbox clock decides that).
  const tlsError =
    socket.authorized === false ? String(socket.authorizationError ?? "unauthorized") : undefined;
  if (tlsError && !REAL_CLOCK_ERRORS.has(tlsError))
    return { error: `client certificate refused: ${tlsError}` };
  const fingerprint = socket.getPeerCertificate()?.fingerprint256;
  if (!fingerprint) return { error: "no client certificate" };
  return { fingerprint: fingerprint.replaceAll(":", "").toLowerCase() };
}

/** The request as the cluster's API sees it: the `/clusters/{id}` prefix taken off the path. */
export function requestForCluster(request: Request, uri: string): Request {
  const url = new URL(request.url);
  url.pathname = uri === "" ? "/" : uri;
  return new Request(url, request);
}

export function kubernetesApp(ctx: SandboxContext, holder: StateHolder): Hono {
  const app = new Hono();
  const api = kubernetesApi(() => ctx.clock.now().getTime());

  app.all("/clusters/:cluster/*", async (c) => {
    const unauthorized = () => statusResponse(new KubeError(401, "Unauthorized", "Unauthorized"));
    const peer = peerFingerprint(c);
    if ("error" in peer) return unauthorized();
    const state = holder.current;
    const certificate = state.certificates.get(peer.fingerprint);
    const now = ctx.clock.now().getTime();
    if (!certificate || certificate.clusterUid !== c.req.param("cluster")) return unauthorized();
    if (now < certificate.notBefore || now > certificate.notAfter) return unauthorized();
    reconcile(state, now);
    const cluster = state.clusters.find((cl) => cl.uid === certificate.clusterUid);
    if (!cluster) return statusResponse(notFoundPath());
    const uri = new URL(c.req.url).pathname.slice(`/clusters/${c.req.param("cluster")}`.length);
    return api.fetch(requestForCluster(c.req.raw, uri), {
      caller: { cluster, user: certificate.commonName },
    });
  });
  app.notFound(() => statusResponse(notFoundPath()));
  return app;
}
