// One Provider per configured account, whatever the cloud.
import { type Account, alibabaSignature } from "../config/config.ts";
import type { HttpClient } from "../http/client.ts";
import { ALIBABA_CAPABILITIES, createAlibabaProvider } from "./alibaba.ts";
import { AUTOPILOT_CAPABILITIES, createAutopilotProvider } from "./autopilot.ts";
import { BAIDU_CAPABILITIES, createBaiduProvider } from "./baidu.ts";
import { createHuaweiProvider, HUAWEI_CAPABILITIES } from "./huawei.ts";
import type { Provider, ProviderCapabilities, ProviderKind } from "./port.ts";

/** Each cloud's product name and what it can do: for messages that say which clouds offer what. */
export const PROVIDERS: Record<ProviderKind, { name: string; capabilities: ProviderCapabilities }> = {
  huawei: { name: "Huawei CCE", capabilities: HUAWEI_CAPABILITIES },
  autopilot: { name: "CCE Autopilot", capabilities: AUTOPILOT_CAPABILITIES },
  alibaba: { name: "Alibaba ACK", capabilities: ALIBABA_CAPABILITIES },
  baidu: { name: "Baidu CCE", capabilities: BAIDU_CAPABILITIES },
};

type Capability = {
  [K in keyof ProviderCapabilities]: ProviderCapabilities[K] extends boolean ? K : never;
}[keyof ProviderCapabilities];

/** The product names of the clouds declaring `capability`, e.g. "CCE Autopilot". */
export function providersWith(capability: Capability): string[] {
  return Object.values(PROVIDERS)
    .filter((p) => p.capabilities[capability])
    .map((p) => p.name);
}

export interface ProviderDeps {
  http: HttpClient;
  now: () => Date;
  nonce: () => string;
}

export function createProvider(account: Account, deps: ProviderDeps): Provider {
  const base = { account, http: deps.http, now: deps.now };
  switch (account.vendor) {
    case "huawei":
      return createHuaweiProvider(base);
    case "autopilot":
      return createAutopilotProvider(base);
    case "alibaba":
      return createAlibabaProvider({
        ...base,
        nonce: deps.nonce,
        ...(account.pathPrefix ? { pathPrefix: account.pathPrefix } : {}),
        ...(account.organizationId ? { asapi: { organizationId: account.organizationId } } : {}),
        signature: alibabaSignature(account),
      });
    case "baidu":
      return createBaiduProvider({
        ...base,
        ...(account.pathPrefix ? { pathPrefix: account.pathPrefix } : {}),
      });
  }
}
