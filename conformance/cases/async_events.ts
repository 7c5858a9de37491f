/**
 * Conformance cases: async_events.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The async_events cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
