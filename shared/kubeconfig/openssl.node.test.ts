// A tool nobody here wrote agrees with the kubeconfig module: `openssl x509` reads the same
// notAfter, subject and serial from the certificates each sandbox cloud issues, after a round trip
// through the encrypted vault; and on keys and certificates openssl itself made (PKCS#1 RSA, SEC1
// EC), openssl's own comparison of public keys says "match" exactly when the module does.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vendorKubeconfigs } from "../../test/fixtures/kubeconfigs.ts";
import { kubeconfigYaml } from "../sandbox/baidu/kubeconfig.ts";
import { createSandboxCa, type SandboxCa } from "../sandbox/ca.ts";
import { seededRandom } from "../sandbox/clock.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore } from "../store/store.ts";
import { parseKubeconfig, readKubeconfig } from "./kubeconfig.ts";
import { createVault, importVaultKeys } from "./vault.ts";

const OPENSSL = "/usr/bin/openssl";
// openssl's one-line names without spaces around "=": the form @peculiar/x509 writes.
const NAME_OPTIONS =
  "esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_unknown,dump_der,sep_comma_plus_space,sname";

const openssl = (args: string[], input?: string) =>
  execFileSync(OPENSSL, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });

/** What `openssl x509 -noout -enddate -subject -serial` says about a PEM certificate. */
function opensslFacts(certPem: string): { notAfter: Date; subject: string; serial: string } {
  const out = openssl(
    ["x509", "-noout", "-enddate", "-subject", "-serial", "-nameopt", NAME_OPTIONS, "-dateopt", "iso_8601"],
    certPem,
  );
  const field = (name: string) => {
    const line = out.split("\n").find((l) => l.startsWith(`${name}=`));
    if (!line) throw new Error(`openssl printed no ${name}: ${out}`);
    return line.slice(name.length + 1).trim();
  };
  // iso_8601: "2026-04-01 09:00:00Z"
  return {
    notAfter: new Date(field("notAfter").replace(" ", "T")),
    subject: field("subject"),
    serial: field("serial"),
  };
}

const NOW = new Date("2026-03-02T09:00:00Z");
let ca: SandboxCa;
let dir: string;

beforeAll(async () => {
  ca = await createSandboxCa({ now: NOW, random: seededRandom(21) });
  dir = mkdtempSync(join(tmpdir(), "nightshift-openssl-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openssl x509 reads what the module reads", () => {
  it("on every cloud's kubeconfig, as stored in the vault and read back", async () => {
    const store = createStore(memoryBackend());
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const vault = createVault(store.secrets, await importVaultKeys([{ id: "k1", key }]));
    for (const vendor of await vendorKubeconfigs(ca, NOW)) {
      await vault.put(`${vendor.provider}/${vendor.clusterId}`, vendor.text, {}, NOW);
      const stored = (await vault.get(`${vendor.provider}/${vendor.clusterId}`, NOW))!.plaintext;
      const parsed = parseKubeconfig(stored);
      const facts = opensslFacts(parsed.certificatePem);
      expect(facts.notAfter, vendor.provider).toEqual(parsed.certificate.notAfter);
      expect(facts.subject, vendor.provider).toBe(parsed.certificate.subject);
      expect(facts.serial.toLowerCase(), vendor.provider).toBe(parsed.certificate.serial);
      // And both agree with what the sandbox was asked for.
      expect(parsed.certificate.notAfter).toEqual(vendor.notAfter);
      expect(parsed.certificate.subject).toBe(vendor.subject);
    }
  });

  it("on keys and certificates openssl made: PKCS#1 RSA and SEC1 EC keys, and a key that is not the certificate's", async () => {
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const made: Record<string, { keyPem: string; certPem: string }> = {};
    // Serials with the top bit set (a DER sign byte) and with a leading zero nibble.
    for (const [name, keyArgs, serial] of [
      ["rsa", ["genrsa", "-traditional", "2048"], "0x80aa01"],
      ["ec", ["ecparam", "-name", "prime256v1", "-genkey", "-noout"], "0x0a1b2c3d"],
      ["ec384", ["ecparam", "-name", "secp384r1", "-genkey", "-noout"], "0x7fffffffffffffffff"],
    ] as const) {
      const keyPem = openssl([...keyArgs]);
      const key = file(`${name}.key`, keyPem);
      const subject = `/O=system:masters/CN=${name}-user`;
      const certPem = openssl(
        ["req", "-new", "-x509", "-key", key, "-set_serial", serial, "-subj", subject],
        "",
      );
      made[name] = { keyPem, certPem };
    }
    expect(made.rsa!.keyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(made.ec!.keyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(
      parseKubeconfig(
        kubeconfigYaml({
          clusterName: "c",
          userName: "u",
          server: "https://s:6443",
          caPem: ca.caPem,
          ...made.rsa!,
        }),
      ).certificate.serial,
    ).toBe("80aa01");

    /** openssl's verdict: the certificate's public key equals the one it derives from the key. */
    const opensslMatches = (certPem: string, keyPem: string) =>
      openssl(["x509", "-noout", "-pubkey"], certPem) ===
      openssl(["pkey", "-pubout", "-in", file("k.pem", keyPem)]);

    const pairs = [
      ["rsa", "rsa"],
      ["ec", "ec"],
      ["ec384", "ec384"],
      ["rsa", "ec"],
      ["ec", "ec384"],
      ["ec", "rsa"],
    ] as const;
    for (const [certOf, keyOf] of pairs) {
      const { certPem } = made[certOf]!;
      const { keyPem } = made[keyOf]!;
      const text = kubeconfigYaml({
        clusterName: "c",
        userName: "u",
        server: "https://s:6443",
        caPem: ca.caPem,
        certPem,
        keyPem,
      });
      const read = await readKubeconfig(text);
      expect(read.keyMatches, `${certOf} certificate, ${keyOf} key`).toBe(opensslMatches(certPem, keyPem));
      expect(read.keyMatches).toBe(certOf === keyOf);
      const facts = opensslFacts(certPem);
      expect(facts.subject).toBe(read.certificate.subject);
      expect(facts.serial.toLowerCase()).toBe(read.certificate.serial);
      expect(facts.notAfter).toEqual(read.certificate.notAfter);
    }
  });
});
