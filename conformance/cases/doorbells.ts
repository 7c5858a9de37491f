/**
 * Conformance cases: doorbells.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The doorbells cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
