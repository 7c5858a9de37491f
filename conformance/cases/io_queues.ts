/**
 * Conformance cases: io_queues.
 *
 * @module
 */

import { type ConformanceCase, defineCases } from "../case.ts";

/** The io_queues cases. */
export const CASES: readonly ConformanceCase[] = defineCases([]);
