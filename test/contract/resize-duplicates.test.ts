import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore } from "../../shared/store/store.ts";
import { duplicateStorm } from "./resize-duplicates.ts";

duplicateStorm("memory", async () => createStore(memoryBackend()));
