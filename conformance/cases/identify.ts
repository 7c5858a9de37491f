/**
 * Conformance cases: identify.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The identify cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
