/**
 * `@std/assert`, served from the npm package `deno-std` because JSR is not reachable from the
 * machines this project runs on. With JSR available, point `@std/assert` in `deno.json` at
 * `jsr:@std/assert@^1` instead; nothing else changes.
 *
 * @module
 */
// @ts-types="./assert.d.ts"
export * from "npm:deno-std@1.4.0/assert/mod.js";
