// Stands in for zod's `locales` namespace in the Worker bundle (wrangler.toml [alias]). @hono/zod-openapi
// hands zod's whole namespace to zod-to-openapi, so the bundler cannot drop the 70-odd translated
// error catalogues it re-exports (260 KiB minified). nightshift answers in English only, and zod
// imports its English messages directly (zod/v4/classic/schemas.js), so validation messages are
// unchanged; only `z.locales.*` is empty in the Worker.
export {};
