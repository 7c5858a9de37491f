/**
 * Conformance cases: interrupts.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The interrupts cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
