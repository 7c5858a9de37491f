/**
 * The conformance suite's public API: cases (data plus a body over `HostPort`), the capabilities
 * they gate on, the raw host they drive, targets with their deviation registries, running one
 * case or a whole list, the registry of every case, and the four report formats.
 *
 * @example Run one group against the reference controller and print JSON
 * ```ts
 * import { ALL_CASES, referenceTarget, renderJsonReport, runSuite } from "./mod.ts";
 * const cases = ALL_CASES.filter((c) => c.id.startsWith("registers."));
 * const report = runSuite(referenceTarget(), cases, { driver: "none" });
 * const json = JSON.parse(renderJsonReport(report));
 * if (json.cases.length !== cases.length) throw new Error("one result per case");
 * ```
 *
 * @module
 */

export * from "./case.ts";
export * from "./capabilities.ts";
export * from "./raw_host.ts";
export * from "./target.ts";
export * from "./run_case.ts";
export * from "./registry.ts";
export * from "./runner.ts";
export * from "./report_text.ts";
export * from "./report_json.ts";
export * from "./report_junit.ts";
export * from "./report_markdown.ts";
