// The credential vault on the in-memory store, on Node and inside workerd (Web Crypto of each).
import { vaultContract } from "../../test/contract/store/vault-contract.ts";
import { memoryBackend } from "../store/memory.ts";

vaultContract("memory", async () => memoryBackend());
