// What the renewal job needs from its host besides the store and the provider: the vault's keys and
// the sinks. Built once per host by the composition root (functions/compose.ts) from the
// configuration; the webhook sink runs on both hosts, the file sink only where the host brings one
// (Node: functions/compose's caller passes sinks/file.node.ts).
import type { VaultKeySetting } from "../config/config.ts";
import type { NoticeFetch } from "../events/notices.ts";
import { createVault, importVaultKeys, type Vault, VaultError, type VaultKey } from "../kubeconfig/vault.ts";
import type { Store } from "../store/store.ts";
import type { RenewalSink } from "./renewal-schema.ts";
import { type CredentialSink, SinkConfigError } from "./sinks/sink.ts";
import { webhookSink } from "./sinks/webhook.ts";

export interface RenewalServices {
  /** The credential vault over `store` (the caller's: a Workers invocation counts its queries). */
  vault(store: Store): Promise<Vault>;
  /** The sink a declaration names (not the store), or why it cannot deliver here. */
  sink(spec: Exclude<RenewalSink, { type: "store" }>, name: string): CredentialSink | { unavailable: string };
}

export interface RenewalServicesOptions {
  vaultKeys: readonly VaultKeySetting[];
  /** Signing secrets by environment variable name (a webhook sink's secretRef). */
  namedSecrets: Readonly<Record<string, readonly string[]>>;
  fetch: NoticeFetch;
  /** The clock webhook deliveries are signed with (real time). */
  now: () => Date;
  /** The host's file sink (Node); absent: file sinks cannot deliver on this host. */
  fileSink?: (options: { name: string; path: string }) => CredentialSink;
  /** Quick attempts within one webhook delivery (default 3) and their pause (tests: none). */
  webhookAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function createRenewalServices(options: RenewalServicesOptions): RenewalServices {
  let keys: Promise<VaultKey[]> | undefined;
  return {
    async vault(store) {
      if (options.vaultKeys.length === 0)
        throw new VaultError(
          "no-keys",
          "the credential vault has no key: set NIGHTSHIFT_VAULT_KEYS to <id>:<base64 of 32 bytes> (generate one with `openssl rand -base64 32`)",
        );
      keys ??= importVaultKeys(options.vaultKeys);
      return createVault(store.secrets, await keys);
    },
    sink(spec, name) {
      try {
        if (spec.type === "file") {
          if (!options.fileSink)
            return {
              unavailable: `sink ${name}: file sinks write on the Node host only; on Workers use a webhook sink or the store`,
            };
          return options.fileSink({ name, path: spec.path });
        }
        const secrets = options.namedSecrets[spec.secretRef] ?? [];
        if (secrets.length === 0)
          return {
            unavailable: `sink ${name}: the environment variable ${spec.secretRef} (its secretRef) is not set to a whsec_ signing secret`,
          };
        return webhookSink({
          name,
          url: spec.url,
          secrets,
          fetch: options.fetch,
          now: options.now,
          ...(options.webhookAttempts !== undefined ? { attempts: options.webhookAttempts } : {}),
          ...(options.sleep ? { sleep: options.sleep } : {}),
        });
      } catch (error) {
        if (error instanceof SinkConfigError) return { unavailable: error.message };
        throw error;
      }
    },
  };
}
