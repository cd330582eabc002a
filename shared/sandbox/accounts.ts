// Turns a running sandbox's description into configured accounts, so the service can run against
// the simulated clouds exactly as it runs against real ones (the embedded default of `npm start`).
import type { Account, AccountVendor } from "../config/config.ts";
import type { CloudName, SandboxAccount } from "./cloud.ts";

export function sandboxAccounts(description: Record<CloudName, Record<string, unknown>>): Account[] {
  const accounts: Account[] = [];
  for (const [cloud, info] of Object.entries(description) as Array<[CloudName, Record<string, unknown>]>) {
    for (const account of (info.accounts ?? []) as SandboxAccount[]) {
      accounts.push({
        id: `sandbox-${cloud}-${account.name}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-"),
        vendor: cloud as AccountVendor,
        accessKeyId: account.accessKeyId,
        secretAccessKey: account.secretAccessKey,
        region: account.region,
        endpoint: info.endpoint as string,
        ...(account.projectId ? { projectId: account.projectId } : {}),
        // An Apsara Stack account is reached through the ASAPI gateway form.
        ...(account.organizationId ? { organizationId: account.organizationId, pathPrefix: "/roa" } : {}),
      });
    }
  }
  return accounts;
}
