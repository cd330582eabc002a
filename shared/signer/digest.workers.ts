// The Workers host's digests: workerd implements node:crypto's createHash / createHmac natively
// (BoringSSL, synchronous; enabled by `nodejs_compat` in wrangler.toml), which measured faster
// than crypto.subtle (one promise and key import per MAC) and than @noble/hashes (pure JS) for the
// signers' small inputs, so both hosts use the same node:crypto module. Chosen by `#digest`.
export * from "./digest-node-crypto.ts";
