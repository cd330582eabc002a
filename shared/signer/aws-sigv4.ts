// AWS Signature Version 4 (`AWS4-HMAC-SHA256`), for the one AWS call nightshift makes: EventBridge
// PutEvents (shared/events/eventbridge.ts). Written here rather than taken from the AWS SDK, whose
// client stack (@smithy/*) was the largest part of the Worker bundle after zod.
//
//   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n hex(SHA256(body))
//   StringToSign     = AWS4-HMAC-SHA256 \n X-Amz-Date \n <date>/<region>/<service>/aws4_request \n hex(SHA256(CanonicalRequest))
//   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
//   Authorization    = AWS4-HMAC-SHA256 Credential=AK/<scope>, SignedHeaders=a;b, Signature=hex
//
// Services other than S3 sign the path encoded twice: the URL's (already encoded) path, each
// segment encoded again. Tested against AWS's published example and @smithy/signature-v4.
import { hmac, sha256Hex } from "./digest.ts";
import { hex, percentDecode, percentEncode, toBytes, utf8 } from "./encoding.ts";
import {
  assertDistinctHeaderNames,
  type Credentials,
  headerValue,
  hostHeader,
  parseAbsoluteUrl,
  type RequestToSign,
  rawQueryPairs,
  type SignedRequest,
  SignerInputError,
  setHeader,
} from "./request.ts";

export const AWS_ALGORITHM = "AWS4-HMAC-SHA256";

export interface AwsSignOptions {
  now: Date;
  /** e.g. "eu-central-1". */
  region: string;
  /** The signing name, e.g. "events". */
  service: string;
}

/** `YYYYMMDDTHHMMSSZ` in UTC; milliseconds are dropped. */
export function amzDate(now: Date): string {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new SignerInputError(
      "now",
      "is not a valid date; give an ISO-8601 time such as 2024-03-12T08:15:30Z",
    );
  }
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** The URL's path with each segment encoded once more (every service but S3 signs it so). */
export function canonicalUri(url: URL): string {
  const path = url.pathname === "" ? "/" : url.pathname;
  return path
    .split("/")
    .map((segment) => percentEncode(segment))
    .join("/");
}

/** Decoded, re-encoded (RFC 3986) `key=value` pairs sorted by encoded key, then encoded value. */
export function canonicalQuery(url: URL): string {
  return rawQueryPairs(url)
    .map(([key, value]) => [percentEncode(percentDecode(key)), percentEncode(percentDecode(value))] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

/** `name:value\n` per signed header (lower-case names, sorted), values trimmed, inner spaces folded. */
export function canonicalHeaders(headers: Record<string, string>, names: readonly string[]): string {
  let out = "";
  for (const name of names) {
    out += `${name}:${(headerValue(headers, name) ?? "").trim().replace(/\s+/g, " ")}\n`;
  }
  return out;
}

async function signingKey(secretAccessKey: string, date: string, region: string, service: string) {
  const kDate = await hmac("SHA-256", utf8(`AWS4${secretAccessKey}`), date);
  const kRegion = await hmac("SHA-256", kDate, region);
  const kService = await hmac("SHA-256", kRegion, service);
  return hmac("SHA-256", kService, "aws4_request");
}

/**
 * Signs `request`: adds X-Amz-Date (and X-Amz-Security-Token for temporary credentials) and
 * Authorization; signs every given header plus `host` (taken from the URL when not given).
 */
export async function signAwsV4(
  request: RequestToSign,
  credentials: Credentials,
  options: AwsSignOptions,
): Promise<SignedRequest> {
  const url = parseAbsoluteUrl(request.url);
  if (!/^[a-z0-9-]+$/.test(options.region)) {
    throw new SignerInputError("region", `"${options.region}" is not an AWS region; give e.g. eu-central-1`);
  }
  const headers = { ...request.headers };
  assertDistinctHeaderNames(headers);
  const date = amzDate(options.now);
  setHeader(headers, "X-Amz-Date", date);
  if (credentials.securityToken) setHeader(headers, "X-Amz-Security-Token", credentials.securityToken);
  const signing = { ...headers };
  if (headerValue(signing, "host") === undefined) signing.host = hostHeader(url);
  const names = Object.keys(signing)
    .map((name) => name.toLowerCase())
    .filter((name) => name !== "authorization")
    .sort();
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(url),
    canonicalQuery(url),
    canonicalHeaders(signing, names),
    names.join(";"),
    await sha256Hex(toBytes(request.body)),
  ].join("\n");
  const scope = `${date.slice(0, 8)}/${options.region}/${options.service}/aws4_request`;
  const stringToSign = `${AWS_ALGORITHM}\n${date}\n${scope}\n${await sha256Hex(canonicalRequest)}`;
  const key = await signingKey(
    credentials.secretAccessKey,
    date.slice(0, 8),
    options.region,
    options.service,
  );
  const signature = hex(await hmac("SHA-256", key, stringToSign));
  setHeader(
    headers,
    "Authorization",
    `${AWS_ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`,
  );
  return { headers, canonicalRequest, stringToSign };
}
