/**
 * Conformance cases: reset.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The reset cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
