/**
 * Conformance cases: admin_queue.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The admin_queue cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
