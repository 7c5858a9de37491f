/**
 * Conformance cases: log_pages.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The log_pages cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
