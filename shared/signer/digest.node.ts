// The Node host's digests: node:crypto, synchronous (see digest-node-crypto.ts). Chosen by `#digest`.
export * from "./digest-node-crypto.ts";
