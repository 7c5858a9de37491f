/**
 * Conformance cases: registers.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The registers cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
