/**
 * Conformance cases: integrity.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The integrity cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
