/**
 * Conformance cases: nvm.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The nvm cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
