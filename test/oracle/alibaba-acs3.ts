// Oracle for the Alibaba signature V3 (ACS3-HMAC-SHA256) signer: the vendor's own implementation,
// `@alicloud/openapi-core` (the SDK core under @alicloud/cs20151215), computes the Authorization
// for the same request. Node only.
//
// How the SDK is driven: openapi-core's dist/utils.js is compiled unchanged with one line appended
// that exports its module-private canonicalisation helpers (getAuthorizationQueryString,
// getAuthorizationHeaders), so each stage can be compared as well. The Authorization itself comes
// from its public `getAuthorization` (what Client.doRequest calls) and the payload hash from its
// `hash`, given the request exactly as doRequest builds it: lower-case header names, the path as
// the SDK encodes it, the query as a key → decoded value map.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import vm from "node:vm";
import fc from "fast-check";
import type { JsonSignInput } from "../fixtures/signing/vector.ts";

/** The `nightshift sign` stdin request, for Alibaba V3. */
export interface Acs3RequestInput extends JsonSignInput {
  vendor: "alibaba";
  signature: "acs3";
}

interface SdkRequest {
  method: string;
  pathname: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}
interface UtilsModule {
  default: {
    getAuthorization(
      request: SdkRequest,
      algorithm: string,
      payload: string,
      accessKeyId: string,
      secret: string,
    ): string;
    hash(raw: Buffer, algorithm: string): Buffer;
  };
  internals: {
    getAuthorizationQueryString(query: Record<string, string>): string;
    getAuthorizationHeaders(headers: Record<string, string>): { canonicalheaders: string; hsKeys: string[] };
  };
}

const require = createRequire(import.meta.url);
const utilsPath = require.resolve("@alicloud/openapi-core/dist/utils.js");
export const OPENAPI_CORE_VERSION: string = require("@alicloud/openapi-core/package.json").version;
export const SDK_NAME = `@alicloud/openapi-core ${OPENAPI_CORE_VERSION}`;
const ALGORITHM = "ACS3-HMAC-SHA256";

function loadUtils(): UtilsModule {
  const source = `${readFileSync(utilsPath, "utf8")}
module.exports.internals = { getAuthorizationQueryString, getAuthorizationHeaders };
`;
  const wrapper = vm.compileFunction(source, ["exports", "require", "module", "__filename", "__dirname"], {
    filename: utilsPath,
  });
  const module = { exports: {} as unknown };
  wrapper(module.exports, createRequire(utilsPath), module, utilsPath, dirname(utilsPath));
  return module.exports as UtilsModule;
}

const utils = loadUtils();

/**
 * The query as openapi-core takes it: key → DECODED value. It cannot hold a repeated key, and it
 * signs keys unencoded, so a key outside RFC 3986's unreserved set is not expressible either; a
 * literal `+` is ambiguous on the wire. Those throw here.
 */
export function sdkQuery(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const part of url.search.slice(1).split("&")) {
    if (part === "") continue;
    if (part.includes("+")) throw new Error(`openapi-core oracle: literal "+" in query part "${part}"`);
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    if (!/^[A-Za-z0-9\-_.~]+$/.test(key)) {
      throw new Error(`openapi-core oracle: query key "${key}" is signed unencoded by the SDK`);
    }
    if (key === "__proto__" || Object.hasOwn(query, key)) {
      throw new Error(`openapi-core oracle: query key "${key}" is repeated`);
    }
    query[key] = eq === -1 ? "" : decodeURIComponent(part.slice(eq + 1));
  }
  return query;
}

export interface SdkSigned {
  authorization: string;
  hashedPayload: string;
  canonicalQuery: string;
  canonicalHeaders: string;
  signedHeaders: string;
  canonicalRequest: string;
}

/**
 * openapi-core's signing of the request our signer sent: `sentHeaders` are the headers on the wire
 * (openapi-core lower-cases every name it sets; x-acs-date and the nonce come from there).
 */
export function sdkSign(input: Acs3RequestInput, sentHeaders: Record<string, string>): SdkSigned {
  const url = new URL(input.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(sentHeaders)) {
    if (name.toLowerCase() !== "authorization") headers[name.toLowerCase()] = value;
  }
  const request: SdkRequest = {
    method: input.method.toUpperCase(),
    pathname: url.pathname,
    query: sdkQuery(url),
    headers,
  };
  const hashedPayload = utils.default.hash(Buffer.from(input.body ?? "", "utf8"), ALGORITHM).toString("hex");
  const authorization = utils.default.getAuthorization(
    request,
    ALGORITHM,
    hashedPayload,
    input.accessKeyId,
    input.secretAccessKey,
  );
  const { canonicalheaders, hsKeys } = utils.internals.getAuthorizationHeaders(headers);
  const canonicalQuery = utils.internals.getAuthorizationQueryString(request.query);
  // The same expression as openapi-core's getAuthorization (its canonical request is not exposed);
  // the fixture generator checks that it signs to the SDK's own Authorization.
  const canonicalURI = request.pathname.replace(/\+/g, "%20").replace(/\*/g, "%2A").replace(/%7E/g, "~");
  const canonicalRequest = `${request.method}\n${canonicalURI}\n${canonicalQuery}\n${canonicalheaders}\n${hsKeys.join(";")}\n${hashedPayload}`;
  return {
    authorization,
    hashedPayload,
    canonicalQuery,
    canonicalHeaders: canonicalheaders,
    signedHeaders: hsKeys.join(";"),
    canonicalRequest,
  };
}

/** The Authorization openapi-core computes for the request our signer sent. */
export function sdkSignature(input: Acs3RequestInput, sentHeaders: Record<string, string>): string {
  return sdkSign(input, sentHeaders).authorization;
}

// ---------------------------------------------------------------------------------------------
// Random realistic V3 requests to ACK.
//
// Excluded on purpose (openapi-core cannot express them or signs them against the public document):
// - repeated query keys, keys outside the unreserved set, literal `+` (sdkQuery throws);
// - path characters `!'()*` and other non-unreserved ones: openapi-core signs its encoded path
//   as it is, the document re-encodes each segment; the SDK's own paths (ids through
//   `percentEncode`) never hold them, so segments here are what its paths hold;
// - one header given twice in two casings: our signer refuses it (which one would be signed?).

const HOSTS = ["https://cs.aliyuncs.com", "https://cs.cn-hangzhou.aliyuncs.com", "http://127.0.0.1:18082"];
const ACTIONS = [
  "DescribeClustersV1",
  "DescribeClusterDetail",
  "DescribeClusterNodePools",
  "ModifyClusterNodePool",
  "ScaleClusterNodePool",
  "DescribeClusterUserKubeconfig",
  "DescribeTaskInfo",
];

const segment = fc.oneof(
  fc.constantFrom("clusters", "nodepools", "api", "v1", "k8s", "user_config", "tasks", "nodes"),
  fc.stringMatching(/^[a-z0-9]{1,32}$/),
  fc.stringMatching(/^[A-Za-z0-9\-_.~]{1,16}$/),
  // Path parameters the SDK percent-encodes: encoded here as it does.
  fc
    .string({
      unit: fc.constantFrom("a", "Z", "9", " ", "/", "测", "é", "=", "&", "%"),
      minLength: 1,
      maxLength: 6,
    })
    .map((text) => encodeURIComponent(text)),
);

const queryValue = fc.oneof(
  fc.constantFrom(
    "",
    "10",
    "true",
    "a b",
    "1+1",
    "x/y",
    "k=v",
    "a&b",
    "测试",
    "~tilde",
    "star*",
    "it's (x)!",
  ),
  fc.string({ maxLength: 12 }),
);
// `__proto__` cannot be a key of the SDK's query object.
const queryKey = fc.stringMatching(/^[A-Za-z0-9\-_.~]{1,16}$/).filter((key) => key !== "__proto__");
const query = fc
  .uniqueArray(fc.tuple(queryKey, queryValue), {
    maxLength: 5,
    selector: ([key]) => key,
  })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"));

const casing = fc.constantFrom(
  (name: string) => name.toLowerCase(),
  (name: string) => name.replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase()),
  (name: string) => name.toUpperCase(),
);
const headerText = fc.oneof(
  fc.constantFrom("cn-hangzhou", "a  b", "a\tb", " padded ", "x , y", "1"),
  fc.stringMatching(/^[\x20-\x7e]{1,24}$/),
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.constant('{"count":2}'),
  fc.constant('{"scaling_group":{"desired_size":0}}'),
  fc
    .dictionary(
      fc.constantFrom("name", "count", "nodes", "标签", "release_node"),
      fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()),
      { maxKeys: 4 },
    )
    .map((object) => JSON.stringify(object)),
);

/** Random realistic V3 requests to ACK: every method, query shapes, extra x-acs-* headers, STS. */
export const randomRequest: fc.Arbitrary<Acs3RequestInput> = fc
  .record({
    host: fc.constantFrom(...HOSTS),
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE"),
    segments: fc.array(segment, { minLength: 1, maxLength: 5 }),
    query,
    action: fc.tuple(casing, fc.constantFrom(...ACTIONS)),
    region: fc.option(fc.tuple(casing, headerText), { nil: undefined }),
    meta: fc.option(fc.tuple(casing, headerText), { nil: undefined }),
    nonce: fc.option(fc.uuid(), { nil: undefined }),
    contentType: fc.option(fc.constantFrom("application/json", "application/json; charset=utf-8"), {
      nil: undefined,
    }),
    unsigned: fc.option(fc.stringMatching(/^[\x20-\x7e]{0,24}$/), { nil: undefined }),
    body,
    accessKeyId: fc.stringMatching(/^LTAI[0-9A-Za-z]{12,20}$/),
    secretAccessKey: fc.stringMatching(/^[0-9A-Za-z]{20,30}$/),
    securityToken: fc.option(fc.stringMatching(/^CAIS[0-9A-Za-z+/=]{8,40}$/), { nil: undefined }),
    now: fc.date({
      min: new Date("2020-01-01T00:00:00Z"),
      max: new Date("2030-12-31T23:59:59Z"),
      noInvalidDate: true,
    }),
  })
  .map((r) => {
    const headers: Record<string, string> = { [r.action[0]("x-acs-action")]: r.action[1] };
    if (r.region) headers[r.region[0]("x-acs-region-id")] = r.region[1];
    if (r.meta) headers[r.meta[0]("x-acs-meta-name")] = r.meta[1];
    if (r.nonce) headers["x-acs-signature-nonce"] = r.nonce;
    if (r.unsigned !== undefined) headers["X-Request-Id"] = r.unsigned;
    const hasBody = r.body !== undefined && (r.method === "POST" || r.method === "PUT");
    if (hasBody && r.contentType) headers["Content-Type"] = r.contentType;
    const input: Acs3RequestInput = {
      vendor: "alibaba",
      signature: "acs3",
      accessKeyId: r.securityToken !== undefined ? `STS.${r.accessKeyId}` : r.accessKeyId,
      secretAccessKey: r.secretAccessKey,
      method: r.method,
      url: `${r.host}/${r.segments.join("/")}${r.query === "" ? "" : `?${r.query}`}`,
      headers,
      now: r.now.toISOString(),
    };
    if (r.securityToken !== undefined) input.securityToken = r.securityToken;
    if (hasBody) input.body = r.body!;
    return input;
  });
