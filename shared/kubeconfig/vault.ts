// The credential vault: kubeconfigs encrypted at rest with AES-256-GCM (Web Crypto), in the
// store's secret slots, so it works the same on every backend (memory, SQLite, D1, Redis).
//
// - Keys come from NIGHTSHIFT_VAULT_KEYS (config.ts): the first encrypts, any decrypts, so a key
//   is rotated by putting a new one first; records under an older key are moved to the new one
//   when read (`get`) or all at once (`rotate`), after which the old key can be removed.
// - Each record carries its key id and a fresh random 96-bit IV.
// - The target id is additional authenticated data: a ciphertext copied to another target's slot
//   does not decrypt.
// - Errors name key ids and targets, never key material or plaintext.
import type { VaultKeySetting } from "../config/config.ts";
import { base64, fromBase64, utf8 } from "../signer/encoding.ts";
import type { Documents, SecretSlot } from "../store/store.ts";

export type VaultErrorCode = "no-keys" | "unknown-key" | "undecryptable" | "conflict";

export class VaultError extends Error {
  readonly code: VaultErrorCode;
  constructor(code: VaultErrorCode, message: string) {
    super(message);
    this.name = "VaultError";
    this.code = code;
  }
}

/** A vault key ready for Web Crypto. */
export interface VaultKey {
  id: string;
  key: CryptoKey;
}

/** Imports the configured keys (non-extractable AES-GCM keys), in order: the first encrypts. */
export async function importVaultKeys(settings: readonly VaultKeySetting[]): Promise<VaultKey[]> {
  return Promise.all(
    settings.map(async ({ id, key }) => ({
      id,
      key: await crypto.subtle.importKey("raw", fromBase64(key), { name: "AES-GCM" }, false, [
        "encrypt",
        "decrypt",
      ]),
    })),
  );
}

/** What was stored, decrypted. */
export interface VaultEntry {
  /** The kubeconfig text. Secret material. */
  plaintext: string;
  /** Non-secret metadata stored beside it (subject, issuer, serial, notAfter …). */
  meta: Record<string, string>;
  storedAt: string;
  /** The key it is stored under now (after a re-encryption on read: the primary key). */
  keyId: string;
}

export interface VaultRotation {
  /** Records moved to the primary key. */
  moved: number;
  /** Records already under the primary key. */
  current: number;
  /** Records that could not be moved, by target, with why (e.g. an unknown key id). */
  failed: Array<{ targetId: string; reason: string }>;
}

export interface Vault {
  /** The id of the key new records are encrypted with. */
  readonly primaryKeyId: string;
  /** Encrypts and stores the target's credential, replacing what was there. */
  put(targetId: string, plaintext: string, meta: Record<string, string>, now: Date): Promise<void>;
  /** Decrypts the target's credential; a record under an older key is re-encrypted under the primary key. */
  get(targetId: string, now: Date): Promise<VaultEntry | undefined>;
  /** The metadata and key id of what is stored, without decrypting it. */
  describe(
    targetId: string,
    now: Date,
  ): Promise<{ meta: Record<string, string>; storedAt: string; keyId: string } | undefined>;
  delete(targetId: string, now: Date): Promise<boolean>;
  /** Moves every record under another key to the primary key. */
  rotate(now: Date): Promise<VaultRotation>;
}

export interface VaultOptions {
  /** Fills a buffer with random bytes (the IVs). Default: crypto.getRandomValues. */
  randomBytes?: (length: number) => Uint8Array<ArrayBuffer>;
}

/** Secret slots are keyed `kubeconfig:<target id>`, the rest of the namespace is left alone. */
const SLOT_PREFIX = "kubeconfig:";
const AAD_PREFIX = "nightshift vault v1 target=";
const IV_BYTES = 12;
/** Compare-and-set retries when another writer moves the same record meanwhile. */
const MAX_ATTEMPTS = 4;

const slotKey = (targetId: string) => `${SLOT_PREFIX}${targetId}`;

export function createVault(
  slots: Documents<SecretSlot>,
  keys: readonly VaultKey[],
  options: VaultOptions = {},
): Vault {
  const primary = keys[0];
  if (!primary)
    throw new VaultError(
      "no-keys",
      "the credential vault has no key: set NIGHTSHIFT_VAULT_KEYS to <id>:<base64 of 32 bytes> (generate one with `openssl rand -base64 32`)",
    );
  const byId = new Map(keys.map((k) => [k.id, k]));
  const randomBytes =
    options.randomBytes ?? ((length: number) => crypto.getRandomValues(new Uint8Array(length)));

  async function seal(targetId: string, plaintext: string, meta: Record<string, string>, storedAt: string) {
    const iv = randomBytes(IV_BYTES);
    if (iv.length !== IV_BYTES) throw new RangeError(`randomBytes(${IV_BYTES}) returned ${iv.length} bytes`);
    const ciphertext = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: utf8(`${AAD_PREFIX}${targetId}`) },
      primary!.key,
      utf8(plaintext),
    );
    return {
      keyId: primary!.id,
      iv: base64(iv),
      ciphertext: base64(new Uint8Array(ciphertext)),
      meta,
      storedAt,
    } satisfies SecretSlot;
  }

  async function open(targetId: string, slot: SecretSlot): Promise<string> {
    const key = byId.get(slot.keyId);
    if (!key)
      throw new VaultError(
        "unknown-key",
        `the credential of target ${targetId} is encrypted under key "${slot.keyId}", which is not among NIGHTSHIFT_VAULT_KEYS (${[...byId.keys()].join(", ")}); add that key back (after the new one) to read it`,
      );
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64(slot.iv), additionalData: utf8(`${AAD_PREFIX}${targetId}`) },
        key.key,
        fromBase64(slot.ciphertext),
      );
      return new TextDecoder().decode(plaintext);
    } catch {
      throw new VaultError(
        "undecryptable",
        `the credential of target ${targetId} does not decrypt under key "${slot.keyId}": it was altered, stored for another target, or that id now names a different key`,
      );
    }
  }

  /** Re-encrypts a record under the primary key unless someone changed it meanwhile. */
  async function move(targetId: string, slot: SecretSlot, version: number, plaintext: string, now: Date) {
    const next = await seal(targetId, plaintext, slot.meta, slot.storedAt);
    return (await slots.put(slotKey(targetId), next, version, now)) !== undefined ? next : undefined;
  }

  return {
    primaryKeyId: primary.id,

    async put(targetId, plaintext, meta, now) {
      const slot = await seal(targetId, plaintext, meta, now.toISOString());
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const current = await slots.get(slotKey(targetId), now);
        if ((await slots.put(slotKey(targetId), slot, current?.version ?? null, now)) !== undefined) return;
      }
      throw new VaultError(
        "conflict",
        `the credential of target ${targetId} is being written by others; try again`,
      );
    },

    async get(targetId, now) {
      const stored = await slots.get(slotKey(targetId), now);
      if (!stored) return undefined;
      const plaintext = await open(targetId, stored.value);
      let slot = stored.value;
      if (slot.keyId !== primary.id)
        slot = (await move(targetId, slot, stored.version, plaintext, now)) ?? slot;
      return { plaintext, meta: slot.meta, storedAt: slot.storedAt, keyId: slot.keyId };
    },

    async describe(targetId, now) {
      const stored = await slots.get(slotKey(targetId), now);
      if (!stored) return undefined;
      const { meta, storedAt, keyId } = stored.value;
      return { meta, storedAt, keyId };
    },

    async delete(targetId, now) {
      const stored = await slots.get(slotKey(targetId), now);
      return stored ? slots.delete(slotKey(targetId), stored.version, now) : false;
    },

    async rotate(now) {
      const result: VaultRotation = { moved: 0, current: 0, failed: [] };
      for (const record of await slots.list(now, SLOT_PREFIX)) {
        const targetId = record.key.slice(SLOT_PREFIX.length);
        if (record.value.keyId === primary.id) {
          result.current++;
          continue;
        }
        try {
          const plaintext = await open(targetId, record.value);
          if (await move(targetId, record.value, record.version, plaintext, now)) result.moved++;
          // Lost a race: fine if the writer left it under the primary key (every write does).
          else if (((await slots.get(record.key, now))?.value.keyId ?? primary.id) === primary.id)
            result.current++;
          else result.failed.push({ targetId, reason: "changed while being moved; run rotate again" });
        } catch (error) {
          if (!(error instanceof VaultError)) throw error;
          result.failed.push({ targetId, reason: error.message });
        }
      }
      return result;
    },
  };
}
