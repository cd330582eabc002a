import { backendContract } from "../../test/contract/store/backend-contract.ts";
import { storeContract } from "../../test/contract/store/store-contract.ts";
import { memoryBackend } from "./memory.ts";

backendContract("memory", async () => memoryBackend());
storeContract("memory", async () => memoryBackend());
