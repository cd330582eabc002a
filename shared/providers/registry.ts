// One Provider per configured account, whatever the cloud.
import type { Account } from "../config/config.ts";
import type { HttpClient } from "../http/client.ts";
import { createAlibabaProvider } from "./alibaba.ts";
import { createAutopilotProvider } from "./autopilot.ts";
import { createBaiduProvider } from "./baidu.ts";
import { createHuaweiProvider } from "./huawei.ts";
import type { Provider } from "./port.ts";

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
      });
    case "baidu":
      return createBaiduProvider({
        ...base,
        ...(account.pathPrefix ? { pathPrefix: account.pathPrefix } : {}),
      });
  }
}
