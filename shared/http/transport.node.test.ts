// The undici transport against real sockets, all on 127.0.0.1: keep-alive, an extra CA, mutual
// TLS, the proxy variables, and how undici's errors map onto the retry rules.
import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe, which needs it
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { TLSSocket } from "node:tls";
import { rootCertificates } from "node:tls";
import * as x509 from "@peculiar/x509";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpClient, errorCodes, type Fetch, HttpFailure } from "./client.ts";
import {
  createNodeTransport,
  EXTRA_CA_VARIABLE,
  loadExtraCa,
  type NodeFetchOptions,
  type NodeTransport,
  trustedCas,
} from "./transport.node.ts";

// ---------------------------------------------------------------------------------------------
// Certificates: a private CA, a server certificate for 127.0.0.1, a client certificate

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

interface Pki {
  caPem: string;
  server: { certPem: string; keyPem: string };
  client: { certPem: string; keyPem: string };
  /** Signed by a different CA: the server must refuse it. */
  stranger: { certPem: string; keyPem: string };
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function makeCa(name: string) {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const issue = async (commonName: string, serial: string, server: boolean) => {
    const leaf = await keyPair();
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
    ];
    if (server)
      extensions.push(new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }]));
    const issued = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `CN=${commonName}`,
      issuer: cert.subject,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
      publicKey: leaf.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions,
    });
    return { certPem: issued.toString("pem"), keyPem: await keyPem(leaf.privateKey) };
  };
  return { caPem: cert.toString("pem"), issue };
}

async function makePki(): Promise<Pki> {
  const ca = await makeCa("nightshift test CA");
  const other = await makeCa("someone else's CA");
  return {
    caPem: ca.caPem,
    server: await ca.issue("127.0.0.1", "02", true),
    client: await ca.issue("nightshift-automation", "03", false),
    stranger: await other.issue("intruder", "04", false),
  };
}

// ---------------------------------------------------------------------------------------------
// Servers

interface Running {
  url: string;
  port: number;
  connections: number;
  requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

function closer(server: http.Server | net.Server, sockets: Set<net.Socket>) {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

async function serve(
  server: http.Server | https.Server,
  scheme: "http" | "https",
  handler: (req: http.IncomingMessage, res: http.ServerResponse, running: Running) => void,
): Promise<Running> {
  const sockets = new Set<net.Socket>();
  const running: Running = { url: "", port: 0, connections: 0, requests: [], close: closer(server, sockets) };
  server.on(scheme === "https" ? "secureConnection" : "connection", () => {
    running.connections += 1;
  });
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("request", (req, res) => {
    running.requests.push({ method: req.method ?? "", url: req.url ?? "" });
    handler(req, res, running);
  });
  running.port = await listen(server);
  running.url = `${scheme}://127.0.0.1:${running.port}`;
  return running;
}

const hello = (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("hello");
};

interface Proxy {
  url: string;
  /** CONNECT targets and absolute-form request targets, in order. */
  seen: string[];
  close(): Promise<void>;
}

/** A tiny forward proxy: CONNECT tunnels (HTTPS and tunnelled HTTP) and absolute-form requests. */
async function startProxy(): Promise<Proxy> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "");
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: target.pathname + target.search,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(":");
    if (host !== "127.0.0.1") {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, close: closer(server, sockets) };
}

// ---------------------------------------------------------------------------------------------
// Fixtures shared by the tests: proxy variables cleared, every transport and server closed

const PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"];
let savedEnv: Record<string, string | undefined> = {};
let cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  savedEnv = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of PROXY_VARIABLES) delete process.env[name];
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function transport(options: NodeFetchOptions = {}): NodeTransport {
  const created = createNodeTransport(options);
  cleanups.push(() => created.close());
  return created;
}

async function started<T extends { close(): Promise<void> }>(thing: Promise<T>): Promise<T> {
  const value = await thing;
  cleanups.push(() => value.close());
  return value;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the request to fail");
}

let pki: Pki;
beforeAll(async () => {
  pki = await makePki();
});

// ---------------------------------------------------------------------------------------------

describe("keep-alive", () => {
  it("reuses one socket for sequential requests", async () => {
    const server = await started(serve(http.createServer(), "http", hello));
    const { fetch } = transport();
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${server.url}/ping?i=${i}`, { method: "GET" });
      expect(await response.text()).toBe("hello");
      // undici's pool marks a socket free again on the next tick; until then a request fired at
      // once takes a second socket (itself kept alive). One turn of the loop, as between real calls.
      await nextTurn();
    }
    expect(server.requests).toHaveLength(10);
    expect(server.connections).toBe(1);
  });

  it("keeps back-to-back requests on a couple of pooled sockets, not one per request", async () => {
    const server = await started(serve(http.createServer(), "http", hello));
    const { fetch } = transport();
    for (let i = 0; i < 10; i++) await (await fetch(`${server.url}/ping`, { method: "GET" })).text();
    expect(server.requests).toHaveLength(10);
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it("sends method, headers and body as given", async () => {
    let received = "";
    const server = await started(
      serve(http.createServer(), "http", (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          received = `${req.method} ${req.headers["x-sdk-date"]} ${Buffer.concat(chunks).toString()}`;
          res.writeHead(201).end("made");
        });
      }),
    );
    const { fetch } = transport();
    const response = await fetch(`${server.url}/pools`, {
      method: "POST",
      headers: { "X-Sdk-Date": "20250101T000000Z", "Content-Type": "application/json" },
      body: '{"size":0}',
    });
    expect(response.status).toBe(201);
    expect(received).toBe('POST 20250101T000000Z {"size":0}');
  });
});

describe("redirects", () => {
  it("hands a 3xx back to the caller instead of following it with the signed headers", async () => {
    const server = await started(
      serve(http.createServer(), "http", (_req, res) => res.writeHead(302, { location: "/elsewhere" }).end()),
    );
    const client = createHttpClient({ fetch: transport().fetch });
    const response = await client.send(
      { method: "GET", url: `${server.url}/v1/clusters` },
      { account: "a", api: "t", idempotent: true },
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/elsewhere");
    expect(server.requests.map((r) => r.url)).toEqual(["/v1/clusters"]);
  });
});

describe("TLS with a private CA", () => {
  const tlsServer = (options: https.ServerOptions = {}) =>
    started(
      serve(
        https.createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ...options }),
        "https",
        hello,
      ),
    );

  it("refuses a server whose CA is not trusted", async () => {
    const server = await tlsServer();
    const error = await failureOf(transport().fetch(`${server.url}/`, { method: "GET" }));
    expect(errorCodes(error)).toContain("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("accepts it once the CA is given as extraCaPem", async () => {
    const server = await tlsServer();
    const response = await transport({ extraCaPem: pki.caPem }).fetch(`${server.url}/`, { method: "GET" });
    expect(await response.text()).toBe("hello");
  });

  it("adds the extra CA to the default roots; caPem replaces them", () => {
    const added = trustedCas({ extraCaPem: pki.caPem })!;
    expect(added).toHaveLength(rootCertificates.length + 1);
    expect(added.slice(0, -1)).toEqual([...rootCertificates]);
    expect(added.at(-1)).toBe(pki.caPem);
    expect(trustedCas({ caPem: pki.caPem })).toEqual([pki.caPem]);
    expect(trustedCas({ caPem: "A", extraCaPem: "B" })).toEqual(["A", "B"]);
    expect(trustedCas({})).toBeUndefined();
  });

  it("trusts a caPem-only server", async () => {
    const server = await tlsServer();
    const response = await transport({ caPem: pki.caPem }).fetch(`${server.url}/`, { method: "GET" });
    expect(response.status).toBe(200);
  });
});

describe("mutual TLS", () => {
  const mtlsServer = () =>
    started(
      serve(
        https.createServer({
          cert: pki.server.certPem,
          key: pki.server.keyPem,
          ca: pki.caPem,
          requestCert: true,
          rejectUnauthorized: true,
        }),
        "https",
        (req, res) => {
          const peer = (req.socket as TLSSocket).getPeerCertificate();
          res.writeHead(200).end(`hello ${peer.subject?.CN}`);
        },
      ),
    );

  it("presents the client certificate", async () => {
    const server = await mtlsServer();
    const { fetch } = transport({ caPem: pki.caPem, clientCert: pki.client });
    const response = await fetch(`${server.url}/api/v1/namespaces`, { method: "GET" });
    expect(await response.text()).toBe("hello nightshift-automation");
  });

  it("is refused without a client certificate", async () => {
    const server = await mtlsServer();
    await expect(
      transport({ caPem: pki.caPem }).fetch(`${server.url}/`, { method: "GET" }),
    ).rejects.toThrow();
    expect(server.requests).toHaveLength(0);
  });

  it("is refused with a certificate from another CA", async () => {
    const server = await mtlsServer();
    const { fetch } = transport({ caPem: pki.caPem, clientCert: pki.stranger });
    await expect(fetch(`${server.url}/`, { method: "GET" })).rejects.toThrow();
    expect(server.requests).toHaveLength(0);
  });
});

describe("proxy variables", () => {
  it("sends HTTPS through HTTPS_PROXY (CONNECT), with the extra CA and client certificate inside the tunnel", async () => {
    const proxy = await started(startProxy());
    const server = await started(
      serve(
        https.createServer({
          cert: pki.server.certPem,
          key: pki.server.keyPem,
          ca: pki.caPem,
          requestCert: true,
        }),
        "https",
        (req, res) =>
          res.end(`via tunnel, client ${(req.socket as TLSSocket).getPeerCertificate().subject?.CN}`),
      ),
    );
    process.env.HTTPS_PROXY = proxy.url;
    const { fetch } = transport({ extraCaPem: pki.caPem, clientCert: pki.client });
    const response = await fetch(`${server.url}/v1/clusters`, { method: "GET" });
    expect(await response.text()).toBe("via tunnel, client nightshift-automation");
    expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${server.port}`]);
  });

  it("sends HTTP through HTTP_PROXY", async () => {
    const proxy = await started(startProxy());
    const server = await started(serve(http.createServer(), "http", hello));
    process.env.HTTP_PROXY = proxy.url;
    const response = await transport().fetch(`${server.url}/plain`, { method: "GET" });
    expect(await response.text()).toBe("hello");
    expect(proxy.seen).toHaveLength(1);
    expect(proxy.seen[0]).toMatch(
      new RegExp(`^(CONNECT 127\\.0\\.0\\.1:${server.port}|GET ${server.url}/plain)$`),
    );
  });

  it("bypasses the proxy for hosts in NO_PROXY", async () => {
    const proxy = await started(startProxy());
    const plain = await started(serve(http.createServer(), "http", hello));
    const secure = await started(
      serve(https.createServer({ cert: pki.server.certPem, key: pki.server.keyPem }), "https", hello),
    );
    process.env.HTTP_PROXY = proxy.url;
    process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = "localhost,127.0.0.1";
    const { fetch } = transport({ extraCaPem: pki.caPem });
    expect(await (await fetch(`${plain.url}/`, { method: "GET" })).text()).toBe("hello");
    expect(await (await fetch(`${secure.url}/`, { method: "GET" })).text()).toBe("hello");
    expect(proxy.seen).toEqual([]);
    expect(plain.requests).toHaveLength(1);
    expect(secure.requests).toHaveLength(1);
  });

  it("takes explicit proxy settings over the environment", async () => {
    const proxy = await started(startProxy());
    const server = await started(serve(http.createServer(), "http", hello));
    process.env.HTTP_PROXY = "http://127.0.0.1:9";
    const response = await transport({ proxy: { http: proxy.url } }).fetch(`${server.url}/`, {
      method: "GET",
    });
    expect(response.status).toBe(200);
    expect(proxy.seen).toHaveLength(1);
  });
});

describe("undici errors under the retry rules", () => {
  const instant = { sleep: async () => {}, random: () => 0 };

  async function closedPort(): Promise<number> {
    const server = net.createServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  function counting(fetch: Fetch) {
    const counter = { calls: 0 };
    const wrapped: Fetch = (input, init) => {
      counter.calls += 1;
      return fetch(input, init);
    };
    return { counter, fetch: wrapped };
  }

  it("a refused connection is detected (ECONNREFUSED) and retried even for a POST", async () => {
    const port = await closedPort();
    const { counter, fetch } = counting(transport().fetch);
    const client = createHttpClient({ fetch, ...instant, retry: { attempts: 3 } });
    const error = await failureOf(
      client.send(
        { method: "POST", url: `http://127.0.0.1:${port}/clusters`, body: "{}" },
        { account: "a", api: "test.create", idempotent: false },
      ),
    );
    expect(error).toBeInstanceOf(HttpFailure);
    expect(error).toMatchObject({ kind: "network", beforeSending: true, attempts: 3 });
    expect(errorCodes((error as HttpFailure).cause)).toContain("ECONNREFUSED");
    expect(counter.calls).toBe(3);
  });

  it("a reset after the request was sent is not retried for a POST", async () => {
    const server = await started(serve(http.createServer(), "http", (req) => req.socket.destroy()));
    const { counter, fetch } = counting(transport().fetch);
    const client = createHttpClient({ fetch, ...instant });
    const error = await failureOf(
      client.send(
        { method: "POST", url: `${server.url}/pools`, body: "{}" },
        { account: "a", api: "test.create", idempotent: false },
      ),
    );
    expect(error).toMatchObject({ name: "HttpFailure", kind: "network", beforeSending: false });
    expect(counter.calls).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it("the same reset is retried for an idempotent GET", async () => {
    let seen = 0;
    const server = await started(
      serve(http.createServer(), "http", (req, res) => {
        seen += 1;
        if (seen === 1) req.socket.destroy();
        else res.end("second time");
      }),
    );
    const client = createHttpClient({ fetch: transport().fetch, ...instant });
    const response = await client.send(
      { method: "GET", url: `${server.url}/pools` },
      { account: "a", api: "test.get", idempotent: true },
    );
    expect(response.text).toBe("second time");
    expect(server.requests).toHaveLength(2);
  });

  it("a server that never answers ends in a timeout once the request is in", async () => {
    let arrived: () => void = () => {};
    const received = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const server = await started(serve(http.createServer(), "http", () => arrived()));
    // The timeout fires when the server holds the request, not after a wall-clock delay.
    const setTimer = (_ms: number, fire: () => void) => {
      let cancelled = false;
      void received.then(() => {
        if (!cancelled) fire();
      });
      return () => {
        cancelled = true;
      };
    };
    const client = createHttpClient({
      fetch: transport().fetch,
      ...instant,
      setTimer,
      retry: { attempts: 1 },
    });
    const error = await failureOf(
      client.send(
        { method: "GET", url: `${server.url}/slow` },
        { account: "a", api: "test.get", idempotent: true },
      ),
    );
    expect(error).toMatchObject({ name: "HttpFailure", kind: "timeout" });
    expect(server.requests).toHaveLength(1);
  });
});

describe("loadExtraCa", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nightshift-ca-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is undefined when the variable is unset or empty", async () => {
    expect(await loadExtraCa({})).toBeUndefined();
    expect(await loadExtraCa({ [EXTRA_CA_VARIABLE]: "  " })).toBeUndefined();
  });

  it("reads the PEM bundle the variable names", async () => {
    const path = join(dir, "ca.pem");
    await writeFile(path, pki.caPem);
    expect(await loadExtraCa({ [EXTRA_CA_VARIABLE]: path })).toBe(pki.caPem);
  });

  it("names the variable and the path when the file cannot be read", async () => {
    const path = join(dir, "missing.pem");
    await expect(loadExtraCa({ [EXTRA_CA_VARIABLE]: path })).rejects.toThrow(
      new RegExp(
        `^${EXTRA_CA_VARIABLE}: cannot read the CA bundle at ${path.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(ENOENT\\)`,
      ),
    );
  });

  it("refuses a file without a certificate", async () => {
    const path = join(dir, "key.pem");
    await writeFile(path, pki.client.keyPem);
    await expect(loadExtraCa({ [EXTRA_CA_VARIABLE]: path })).rejects.toThrow(
      `${EXTRA_CA_VARIABLE}: ${path} holds no PEM certificate`,
    );
  });
});
