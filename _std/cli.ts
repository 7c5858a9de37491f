/**
 * `@std/cli`'s `parseArgs`, served from the npm package `deno-std` (its `cli/mod.js` is broken,
 * so this points at `cli/parse_args.js`). With JSR available, point `@std/cli` in `deno.json` at
 * `jsr:@std/cli@^1` instead.
 *
 * @module
 */
// @ts-types="./cli.d.ts"
export * from "npm:deno-std@1.4.0/cli/parse_args.js";
