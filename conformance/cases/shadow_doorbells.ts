/**
 * Conformance cases: shadow_doorbells.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The shadow_doorbells cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
