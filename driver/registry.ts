/**
 * Resolves a driver model by name (`linux`, `spdk`, `minimal`) or by module path (a TypeScript or
 * JavaScript file exporting `createDriver`), for the command line and for tests.
 *
 * @example
 * ```ts
 * import { resolveDriver } from "./registry.ts";
 * const { name, factory } = await resolveDriver("linux");
 * if (name !== "linux" || typeof factory !== "function") throw new Error();
 * ```
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import { isAbsolute, resolve } from "node:path";
import { DriverError, type DriverFactory, type DriverModule } from "./model.ts";

/** A resolved driver: its name and factory. */
export interface ResolvedDriver {
  /** Built-in name, or the module path as given. */
  readonly name: string;
  /** The factory. */
  readonly factory: DriverFactory;
}

/** Built-in driver models by name. */
export const BUILTIN_DRIVERS: Readonly<Record<string, () => Promise<DriverModule>>> = {
  linux: () => import("./linux/mod.ts"),
  spdk: () => import("./spdk/mod.ts"),
  minimal: () => import("./examples/minimal_driver.ts"),
};

/** Loads a module and checks it exports `createDriver`; throws {@linkcode DriverError}. */
export async function loadDriverModule(path: string): Promise<DriverFactory> {
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(Deno.cwd(), path)).href;
  let mod: Partial<DriverModule>;
  try {
    mod = await import(url);
  } catch (e) {
    throw new DriverError(
      `cannot load driver module ${path}: ${e instanceof Error ? e.message.split("\n")[0] : e}`,
    );
  }
  if (typeof mod.createDriver !== "function") {
    throw new DriverError(
      `driver module ${path} does not export createDriver(host, options) (see driver/model.ts)`,
    );
  }
  return mod.createDriver;
}

/** Resolves `spec`: a built-in name or a module path (anything with a `/` or ending in .ts/.js). */
export async function resolveDriver(spec: string): Promise<ResolvedDriver> {
  const builtin = BUILTIN_DRIVERS[spec];
  if (builtin) return { name: spec, factory: (await builtin()).createDriver };
  if (spec.includes("/") || /\.(m?[jt]s)$/.test(spec)) {
    return { name: spec, factory: await loadDriverModule(spec) };
  }
  throw new DriverError(
    `unknown driver "${spec}": use ${Object.keys(BUILTIN_DRIVERS).join(", ")} or a module path`,
  );
}
