import { d1Backend } from "../../shared/store/d1.workers.ts";
import { createStore } from "../../shared/store/store.ts";
import { emptiedD1 } from "../setup/d1.workers.ts";
import { duplicateStorm } from "./resize-duplicates.ts";

// Test files share one workerd and its D1 (isolate: false): start from an emptied database.
duplicateStorm("d1", async () => createStore(d1Backend(await emptiedD1())));
