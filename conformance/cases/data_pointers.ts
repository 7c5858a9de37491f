/**
 * Conformance cases: data_pointers.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The data_pointers cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
