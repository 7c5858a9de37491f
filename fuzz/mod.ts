/**
 * fuzz/: fast-check properties over the NVMe stack — named invariants with their spec sections
 * (`properties.ts`), model-based command sequences (`model_commands.ts`), the hostile device for
 * fuzzing drivers (`hostile_device.ts`), seeded-bug mutants that prove each property can fail
 * (`mutants.ts`, `driver_mutants.ts`), the runner and replay files. `deno task fuzz` is the
 * command line over this.
 *
 * @example Run one property against a driver model
 * ```ts
 * import { propertyByName, runProperty } from "./mod.ts";
 * import { resolveDriver } from "../driver/registry.ts";
 * const driver = await resolveDriver("linux");
 * const r = runProperty(propertyByName("data-integrity")!, { driver }, { seed: 1, runs: 5 });
 * if (r.status !== "pass") throw new Error(`${r.error}\n${r.steps.join("\n")}`);
 * ```
 *
 * @module
 */

export * from "./property.ts";
export * from "./properties.ts";
export * from "./runner.ts";
export * from "./replay.ts";
export * from "./mutants.ts";
export * from "./driver_mutants.ts";
export * from "./hostile_device.ts";
export * from "./guarded_host.ts";
export * from "./prp_oracle.ts";
export * from "./shadow_media.ts";
export {
  type NeedEvent,
  type NeedEventImplementations,
  needEventOracle,
} from "./prop_need_event.ts";
