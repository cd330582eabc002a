// Stands in for "zod" in the Worker bundle (wrangler.toml [alias]): all of zod classic, except that
// its `z` export is not zod's whole namespace. @hono/zod-openapi imports `z` to extend zod with
// `.openapi()` (zod-to-openapi's extendZodWithOpenApi(z), which reads only `z.ZodType`); handing
// the bundler the namespace as a value keeps every zod export in the Worker, used or not (~26 KiB
// gzipped: the JIT compiler, fromJSONSchema, …). So nightshift imports zod as `import * as z from
// "zod"` (biome.json forbids the named `z`), and this `z` carries what the extension reads.
import { ZodType } from "zod/v4";

export * from "zod/v4";
export const z = { ZodType };
