/**
 * Conformance cases: features.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The features cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
