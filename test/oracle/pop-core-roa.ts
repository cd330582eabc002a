// @alicloud/pop-core's ROAClient (lib/roa.js) with its `httpx` transport replaced by a capturing one that
// hands back the URL and headers instead of sending them: what the Alibaba oracle drives. Loaded
// through `#pop-core-roa` (package.json imports): on Node by pop-core-roa.node.ts, which also
// exposes roa.js's module-private helpers; in workerd (the signing bench, test/bench/workerd.ts)
// by pop-core-roa.workers.ts, bundled with `httpx` aliased to this module's transport.

export type RoaHeaders = Record<string, string | number>;

export interface Captured {
  url: string;
  headers: RoaHeaders;
}

export interface RoaClient {
  request(
    method: string,
    uriPattern: string,
    query: Record<string, string>,
    body: string,
    headers: Record<string, string>,
    opts: { rawBody: true },
  ): Promise<Captured>;
}

export interface RoaInternals {
  buildStringToSign(
    method: string,
    uriPattern: string,
    headers: RoaHeaders,
    query: Record<string, string>,
  ): string;
  getCanonicalizedHeaders(headers: RoaHeaders): string;
  getCanonicalizedResource(uriPattern: string, query: Record<string, string>): string;
}

export interface RoaModule {
  new (config: {
    endpoint: string;
    apiVersion: string;
    accessKeyId: string;
    accessKeySecret: string;
    securityToken?: string;
  }): RoaClient;
  internals: RoaInternals;
}

// The capturing transport, as the `httpx` module roa.js requires: `request(..., { rawBody: true })`
// returns whatever `read` returns.
export const request = async (url: string, options: { headers: RoaHeaders }) => ({
  statusCode: 200,
  headers: {},
  captured: { url, headers: options.headers },
});
export const read = async (response: { captured: Captured }): Promise<Captured> => response.captured;
