// A local AWS EventBridge endpoint for contract tests: PutEvents over the awsJson1_1 protocol, with
// the SigV4 signature of every request recomputed from the received method, path, signed headers
// and body with the known secret (@smithy/signature-v4), and refused as AWS refuses it. Accepted
// entries are recorded; chosen entries or whole calls can be made to fail.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";

export interface ReceivedEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  /** awsJson1_1 sends timestamps as epoch seconds. */
  Time?: number;
  EventBusName?: string;
  Resources?: string[];
}

/** One PutEvents call that passed authentication, with the answer it got. */
export interface ReceivedCall {
  entries: ReceivedEntry[];
  /** The HTTP status answered; 0 when the connection was reset instead. */
  status: number;
  /** Per entry: the EventId given or the error returned (absent when the whole call failed). */
  results?: Array<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }>;
}

export interface EntryFault {
  match: (entry: ReceivedEntry) => boolean;
  /** How many matching entries fail before they are accepted again. */
  times: number;
  errorCode: string;
  errorMessage: string;
}

export type CallFault =
  | { times: number; kind: "error"; status: number; errorCode: string; message: string }
  /** The socket is destroyed without an answer (a reset the client sees as a network error). */
  | { times: number; kind: "reset" };

export interface EventBridgeEndpoint {
  url: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** PutEvents calls that passed authentication, in order. */
  calls: ReceivedCall[];
  /** Every entry accepted (given an EventId), in order. */
  accepted: ReceivedEntry[];
  /** Requests refused before PutEvents ran (signature, credentials, protocol). */
  refused: Array<{ status: number; type: string; message: string }>;
  failEntries(fault: EntryFault): void;
  failCalls(fault: CallFault): void;
  close(): Promise<void>;
}

export interface EndpointOptions {
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** The server's clock, for the 5-minute skew check AWS applies to x-amz-date. */
  now?: () => Date;
}

/** EventBridge's limit on the entries of one call, counted as in entrySize(). */
const MAX_REQUEST_ENTRY_BYTES = 256 * 1024;
const MAX_SKEW_MS = 5 * 60_000;

/** An AWS error answer: `{"__type": type, "message": ...}` with `status`. */
class Refusal extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

export async function startEventBridgeEndpoint(options: EndpointOptions = {}): Promise<EventBridgeEndpoint> {
  const region = options.region ?? "eu-central-1";
  const accessKeyId = options.accessKeyId ?? "AKIDNIGHTSHIFTTEST01";
  const secretAccessKey = options.secretAccessKey ?? "nightshift/test/secret+key/0123456789abcdef";
  const now = options.now ?? (() => new Date());
  const calls: ReceivedCall[] = [];
  const accepted: ReceivedEntry[] = [];
  const refused: EventBridgeEndpoint["refused"] = [];
  const entryFaults: EntryFault[] = [];
  const callFaults: CallFault[] = [];
  const signer = new SignatureV4({
    service: "events",
    region,
    credentials: { accessKeyId, secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
  });

  async function authenticate(request: IncomingMessage, body: Buffer): Promise<void> {
    const authorization = request.headers.authorization;
    if (!authorization)
      throw new Refusal(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    const parsed =
      /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    if (!parsed) {
      throw new Refusal(
        400,
        "IncompleteSignatureException",
        `Authorization header is malformed: ${authorization}`,
      );
    }
    const [, keyId, scopeDate, scopeRegion, scopeService, signedList, signature] =
      parsed as unknown as string[];
    if (keyId !== accessKeyId) {
      throw new Refusal(
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
      );
    }
    const amzDate = header(request, "x-amz-date");
    const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
    if (!signingDate)
      throw new Refusal(400, "IncompleteSignatureException", "x-amz-date is missing or malformed");
    if (scopeDate !== amzDate!.slice(0, 8) || scopeRegion !== region || scopeService !== "events") {
      throw new Refusal(
        400,
        "InvalidSignatureException",
        `Credential should be scoped to a valid region and service: expected ${amzDate!.slice(0, 8)}/${region}/events`,
      );
    }
    if (Math.abs(now().getTime() - signingDate.getTime()) > MAX_SKEW_MS) {
      throw new Refusal(
        400,
        "InvalidSignatureException",
        `Signature expired: ${amzDate} is now out of range`,
      );
    }
    const signedNames = signedList!.split(";");
    if (!signedNames.includes("host") || !signedNames.includes("x-amz-date")) {
      throw new Refusal(400, "InvalidSignatureException", "SignedHeaders must include host and x-amz-date");
    }
    const contentHash = header(request, "x-amz-content-sha256");
    if (contentHash !== undefined) {
      const actual = Buffer.from(await hashOf(body)).toString("hex");
      if (contentHash !== actual) {
        throw new Refusal(400, "InvalidSignatureException", "x-amz-content-sha256 does not match the body");
      }
    }

    // Recompute from exactly what arrived: the signed headers with their received values.
    const headers: Record<string, string> = {};
    for (const name of signedNames) {
      const value = header(request, name);
      if (value === undefined) {
        throw new Refusal(
          400,
          "InvalidSignatureException",
          `signed header ${name} is missing from the request`,
        );
      }
      headers[name] = value;
    }
    const url = new URL(request.url ?? "/", "http://endpoint");
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prior = query[k];
      query[k] = prior === undefined ? v : [...(Array.isArray(prior) ? prior : [prior]), v];
    }
    const signed = await signer.sign(
      {
        method: request.method ?? "POST",
        protocol: "http:",
        hostname: "endpoint",
        path: url.pathname,
        query,
        headers,
        body: new Uint8Array(body),
      },
      { signingDate, signableHeaders: new Set(signedNames) },
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization ?? "")?.[1];
    const expectedList = /SignedHeaders=([^,]+)/.exec(signed.headers.authorization ?? "")?.[1];
    if (expected !== signature || expectedList !== signedList) {
      throw new Refusal(
        400,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      );
    }
  }

  function putEvents(body: Buffer): { status: number; payload: unknown } {
    let input: { Entries?: ReceivedEntry[] };
    try {
      input = JSON.parse(body.toString("utf8"));
    } catch {
      throw new Refusal(400, "SerializationException", "the request body is not valid JSON");
    }
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw new Refusal(
        400,
        "ValidationException",
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10 (got ${Array.isArray(entries) ? entries.length : "none"})`,
      );
    }
    const total = entries.reduce((sum, e) => sum + receivedEntrySize(e), 0);
    if (total > MAX_REQUEST_ENTRY_BYTES) {
      throw new Refusal(
        400,
        "ValidationException",
        `Total size of the entries in the request is over the limit (${total} bytes)`,
      );
    }

    const call: ReceivedCall = { entries, status: 200 };
    calls.push(call);
    const callFault = callFaults[0];
    if (callFault) {
      if (--callFault.times <= 0) callFaults.shift();
      if (callFault.kind === "reset") {
        call.status = 0;
        return { status: -1, payload: undefined };
      }
      call.status = callFault.status;
      throw new Refusal(callFault.status, callFault.errorCode, callFault.message);
    }

    const results: NonNullable<ReceivedCall["results"]> = entries.map((entry) => {
      const problem = entryProblem(entry) ?? injectedFault(entry);
      if (problem) return problem;
      accepted.push(entry);
      return { EventId: randomUUID() };
    });
    call.results = results;
    const failedEntryCount = results.filter((r) => "ErrorCode" in r).length;
    return { status: 200, payload: { FailedEntryCount: failedEntryCount, Entries: results } };
  }

  function injectedFault(entry: ReceivedEntry) {
    const fault = entryFaults.find((f) => f.times > 0 && f.match(entry));
    if (!fault) return undefined;
    fault.times--;
    return { ErrorCode: fault.errorCode, ErrorMessage: fault.errorMessage };
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request);
    try {
      try {
        if (request.method !== "POST" || (request.url ?? "/").split("?")[0] !== "/") {
          throw new Refusal(
            404,
            "UnknownOperationException",
            `no route for ${request.method} ${request.url}`,
          );
        }
        await authenticate(request, body);
        const target = header(request, "x-amz-target");
        if (target !== "AWSEvents.PutEvents") {
          throw new Refusal(
            400,
            "UnknownOperationException",
            `this endpoint implements AWSEvents.PutEvents only, not ${target}`,
          );
        }
        if (header(request, "content-type") !== "application/x-amz-json-1.1") {
          throw new Refusal(400, "SerializationException", "Content-Type must be application/x-amz-json-1.1");
        }
      } catch (error) {
        if (error instanceof Refusal)
          refused.push({ status: error.status, type: error.type, message: error.message });
        throw error;
      }
      const { status, payload } = putEvents(body);
      if (status === -1) {
        request.socket.destroy();
        return;
      }
      send(response, status, payload);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      send(response, error.status, { __type: error.type, message: error.message }, error.type);
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, 500, { __type: "InternalFailure", message: String(error) }, "InternalFailure");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    accessKeyId,
    secretAccessKey,
    calls,
    accepted,
    refused,
    failEntries: (fault) => entryFaults.push({ ...fault }),
    failCalls: (fault) => callFaults.push({ ...fault }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** What AWS answers per entry when the entry itself is wrong. */
function entryProblem(entry: ReceivedEntry) {
  for (const field of ["Source", "DetailType", "Detail"] as const) {
    if (typeof entry[field] !== "string" || entry[field] === "") {
      return {
        ErrorCode: "InvalidArgument",
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  try {
    const detail = JSON.parse(entry.Detail!);
    if (typeof detail !== "object" || detail === null || Array.isArray(detail))
      throw new Error("not an object");
  } catch {
    return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  }
  return undefined;
}

function receivedEntrySize(entry: ReceivedEntry): number {
  const bytes = (s: unknown) => (typeof s === "string" ? Buffer.byteLength(s, "utf8") : 0);
  let size = entry.Time !== undefined ? 14 : 0;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  for (const r of entry.Resources ?? []) size += bytes(r);
  return size;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

async function hashOf(body: Buffer): Promise<Uint8Array> {
  const hash = new Sha256();
  hash.update(new Uint8Array(body));
  return hash.digest();
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, status: number, payload: unknown, errorType?: string) {
  const headers: Record<string, string> = {
    "content-type": "application/x-amz-json-1.1",
    "x-amzn-requestid": randomUUID(),
  };
  if (errorType) headers["x-amzn-errortype"] = errorType;
  response.writeHead(status, headers);
  response.end(JSON.stringify(payload));
}
