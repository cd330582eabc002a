// The credential vault's promises, as one suite run on every backend the store has: call
// `vaultContract("sqlite", () => makeFreshBackend())` from a backend's test file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createVault,
  importVaultKeys,
  type VaultError,
  type VaultKey,
} from "../../../shared/kubeconfig/vault.ts";
import { base64, fromBase64 } from "../../../shared/signer/encoding.ts";
import type { StoreBackend } from "../../../shared/store/backend.ts";
import { createStore, type Store } from "../../../shared/store/store.ts";

const T0 = new Date("2026-11-22T20:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** 32 bytes from a seed, base64: a vault key setting's value. */
const keyText = (seed: number) =>
  base64(Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 0xff));
const K1 = keyText(1);
const K2 = keyText(2);
const KUBECONFIG =
  "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    client-key-data: c2VjcmV0LWtleQ==\n";
const META = { subject: "CN=ci", notAfter: "2026-11-25T20:00:00.000Z" };

async function vaultError(promise: Promise<unknown>): Promise<VaultError> {
  try {
    await promise;
  } catch (error) {
    if ((error as Error).name === "VaultError") return error as VaultError;
    throw error;
  }
  throw new Error("expected a VaultError");
}

export function vaultContract(name: string, make: () => Promise<StoreBackend>) {
  describe(`vault contract: ${name}`, () => {
    let store: Store;
    let k1: VaultKey[];
    let k2k1: VaultKey[];
    let k2: VaultKey[];
    beforeEach(async () => {
      store = createStore(await make());
      k1 = await importVaultKeys([{ id: "k1", key: K1 }]);
      k2k1 = await importVaultKeys([
        { id: "k2", key: K2 },
        { id: "k1", key: K1 },
      ]);
      k2 = await importVaultKeys([{ id: "k2", key: K2 }]);
    });
    afterEach(async () => {
      await store.close();
    });

    it("stores ciphertext with its key id and a random IV, and gives back the plaintext and metadata", async () => {
      const vault = createVault(store.secrets, k1);
      expect(vault.primaryKeyId).toBe("k1");
      await vault.put("hw/c1", KUBECONFIG, META, T0);
      const slot = (await store.secrets.get("kubeconfig:hw/c1", T0))!.value;
      expect(slot.keyId).toBe("k1");
      expect(fromBase64(slot.iv)).toHaveLength(12);
      // 16 bytes of GCM tag beyond the plaintext, and nothing of the plaintext in the clear.
      expect(fromBase64(slot.ciphertext)).toHaveLength(new TextEncoder().encode(KUBECONFIG).length + 16);
      expect(JSON.stringify(slot)).not.toContain("c2VjcmV0LWtleQ");
      expect(slot.meta).toEqual(META);
      expect(await vault.get("hw/c1", at(1))).toEqual({
        plaintext: KUBECONFIG,
        meta: META,
        storedAt: T0.toISOString(),
        keyId: "k1",
      });
      expect(await vault.describe("hw/c1", at(1))).toEqual({
        meta: META,
        storedAt: T0.toISOString(),
        keyId: "k1",
      });
      expect(await vault.get("hw/none", at(1))).toBeUndefined();
    });

    it("uses a fresh IV for every write (the IV source is a parameter)", async () => {
      const vault = createVault(store.secrets, k1);
      await vault.put("a", KUBECONFIG, {}, T0);
      const first = (await store.secrets.get("kubeconfig:a", T0))!.value;
      await vault.put("a", KUBECONFIG, {}, at(1));
      const second = (await store.secrets.get("kubeconfig:a", at(1)))!.value;
      expect(second.iv).not.toBe(first.iv);
      expect(second.ciphertext).not.toBe(first.ciphertext);

      const fixed = createVault(store.secrets, k1, { randomBytes: (n) => new Uint8Array(n).fill(7) });
      await fixed.put("b", KUBECONFIG, {}, T0);
      expect((await store.secrets.get("kubeconfig:b", T0))!.value.iv).toBe(
        base64(new Uint8Array(12).fill(7)),
      );
    });

    it("rotates: a new key first reads the old records and moves them, on read or all at once", async () => {
      const old = createVault(store.secrets, k1);
      for (const target of ["t1", "t2", "t3"]) await old.put(target, `${KUBECONFIG}# ${target}\n`, META, T0);

      const rotated = createVault(store.secrets, k2k1);
      expect(rotated.primaryKeyId).toBe("k2");
      const read = await rotated.get("t1", at(1));
      expect(read).toMatchObject({
        plaintext: `${KUBECONFIG}# t1\n`,
        keyId: "k2",
        storedAt: T0.toISOString(),
      });
      expect((await store.secrets.get("kubeconfig:t1", at(1)))!.value.keyId).toBe("k2");

      expect(await rotated.rotate(at(2))).toEqual({ moved: 2, current: 1, failed: [] });
      expect(await rotated.rotate(at(3))).toEqual({ moved: 0, current: 3, failed: [] });

      // The old key can go now.
      const only = createVault(store.secrets, k2);
      for (const target of ["t1", "t2", "t3"])
        expect((await only.get(target, at(4)))?.plaintext).toBe(`${KUBECONFIG}# ${target}\n`);
    });

    it("names the key id a record needs when that key is gone, never a key's value", async () => {
      await createVault(store.secrets, k1).put("hw/c1", KUBECONFIG, META, T0);
      const vault = createVault(store.secrets, k2);
      const error = await vaultError(vault.get("hw/c1", at(1)));
      expect(error.code).toBe("unknown-key");
      expect(error.message).toBe(
        'the credential of target hw/c1 is encrypted under key "k1", which is not among NIGHTSHIFT_VAULT_KEYS (k2); add that key back (after the new one) to read it',
      );
      expect(error.message).not.toContain(K1);
      expect(error.message).not.toContain(K2);
      // Its metadata is still readable, and rotate reports it rather than failing the others.
      expect((await vault.describe("hw/c1", at(1)))?.keyId).toBe("k1");
      await vault.put("hw/c2", KUBECONFIG, META, at(1));
      expect(await vault.rotate(at(2))).toEqual({
        moved: 0,
        current: 1,
        failed: [{ targetId: "hw/c1", reason: error.message }],
      });
    });

    it("binds a ciphertext to its target: moved to another target's slot, or altered, it does not decrypt", async () => {
      const vault = createVault(store.secrets, k1);
      await vault.put("hw/c1", KUBECONFIG, META, T0);
      const slot = (await store.secrets.get("kubeconfig:hw/c1", T0))!.value;
      await store.secrets.put("kubeconfig:hw/c2", slot, null, T0);
      const moved = await vaultError(vault.get("hw/c2", at(1)));
      expect(moved.code).toBe("undecryptable");
      expect(moved.message).toMatch(/^the credential of target hw\/c2 does not decrypt under key "k1"/);

      const bytes = fromBase64(slot.ciphertext);
      bytes[0] = bytes[0]! ^ 1;
      await store.secrets.put("kubeconfig:hw/c3", { ...slot, ciphertext: base64(bytes) }, null, T0);
      expect((await vaultError(vault.get("hw/c3", at(1)))).code).toBe("undecryptable");

      // The same id bound to another key's bytes.
      const impostor = createVault(store.secrets, await importVaultKeys([{ id: "k1", key: K2 }]));
      expect((await vaultError(impostor.get("hw/c1", at(1)))).code).toBe("undecryptable");
      expect((await vault.get("hw/c1", at(1)))?.plaintext).toBe(KUBECONFIG);
    });

    it("deletes a record, and refuses to exist without a key", async () => {
      const vault = createVault(store.secrets, k1);
      await vault.put("hw/c1", KUBECONFIG, META, T0);
      expect(await vault.delete("hw/c1", at(1))).toBe(true);
      expect(await vault.delete("hw/c1", at(1))).toBe(false);
      expect(await vault.get("hw/c1", at(1))).toBeUndefined();
      expect(() => createVault(store.secrets, [])).toThrow(/has no key: set NIGHTSHIFT_VAULT_KEYS/);
    });
  });
}
