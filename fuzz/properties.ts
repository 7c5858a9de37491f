/**
 * The registry of fuzz properties: every named invariant `deno task fuzz` knows, in the order it
 * runs them. Each entry documents its invariant and spec section (see {@linkcode FuzzProperty});
 * `--list` prints this table.
 *
 * @example
 * ```ts
 * import { PROPERTIES, selectProperties } from "./properties.ts";
 * if (selectProperties("all").length !== PROPERTIES.length) throw new Error();
 * if (selectProperties("need-event,prp-builder")[1].name !== "prp-builder") throw new Error();
 * ```
 *
 * @module
 */

import { modelCommandsProperty } from "./model_commands.ts";
import { ccCstsProperty } from "./prop_cc_csts.ts";
import { dataIntegrityProperty } from "./prop_data_integrity.ts";
import { hostileDeviceProperty } from "./prop_hostile_device.ts";
import { needEventProperty } from "./prop_need_event.ts";
import { preemptionProperty } from "./prop_preemption.ts";
import { prpBuilderProperty } from "./prop_prp_builder.ts";
import { queueWraparoundProperty } from "./prop_queue_wraparound.ts";
import type { FuzzProperty } from "./property.ts";

/** Every property, pure ones first. */
export const PROPERTIES: readonly FuzzProperty[] = Object.freeze([
  needEventProperty(),
  prpBuilderProperty(),
  queueWraparoundProperty(),
  ccCstsProperty(),
  dataIntegrityProperty(),
  preemptionProperty(),
  modelCommandsProperty(),
  hostileDeviceProperty(),
]);

/** A `--property` value that names no property. */
export class UnknownPropertyError extends Error {
  /** Creates the error; the message lists the known names. */
  constructor(name: string) {
    super(
      `unknown property "${name}": use all or one of ${PROPERTIES.map((p) => p.name).join(", ")}`,
    );
    this.name = "UnknownPropertyError";
  }
}

/** The property called `name`, or undefined. */
export function propertyByName(name: string): FuzzProperty | undefined {
  return PROPERTIES.find((p) => p.name === name);
}

/** Resolves `all` or a comma-separated list of names; throws {@linkcode UnknownPropertyError}. */
export function selectProperties(spec: string): FuzzProperty[] {
  if (spec === "all") return [...PROPERTIES];
  const names = spec.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new UnknownPropertyError(spec);
  return names.map((n) => {
    const p = propertyByName(n);
    if (!p) throw new UnknownPropertyError(n);
    return p;
  });
}
