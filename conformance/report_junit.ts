/**
 * The JUnit XML report for CI systems: one `<testsuite>` per case group (the first part of the
 * id), one `<testcase classname="group" name="id">` per case; a failure carries
 * `<failure message=…>`, a skip `<skipped message=…>`, and a deviation is reported as skipped with
 * its reason prefixed `deviation:` (CI stays green on a documented deviation, yet it is visible).
 *
 * @example
 * ```ts
 * import { renderJunitReport } from "./report_junit.ts";
 * const xml = renderJunitReport({
 *   target: "reference", driver: "linux", spec: "NVMe Base 2.1",
 *   cases: [{ id: "nvm.read.lba-range", title: "LBA out of range", section: "NVM CS 1.1 §3.3.4",
 *     status: "fail", message: 'status 0x0000 <ok> & "fine"', durationMs: 1 }],
 *   summary: { passed: 0, failed: 1, skipped: 0, deviations: 0 },
 * });
 * if (!xml.includes('message="status 0x0000 &lt;ok&gt; &amp; &quot;fine&quot;"')) {
 *   throw new Error(xml);
 * }
 * ```
 *
 * @module
 */

import type { CaseResult } from "./run_case.ts";
import { caseGroup, groupResults, type RunReport, summarize } from "./runner.ts";

/** Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF, CR; lone surrogates
 * are replaced by `toWellFormed`). */
// deno-lint-ignore no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Escapes text for an XML attribute value or element content (`& < > " '`, and line breaks and
 * tabs as character references so attribute values keep them). */
export function escapeXml(text: string): string {
  return text.toWellFormed().replace(XML_INVALID, "\ufffd").replace(/[&<>"'\n\r\t]/g, (ch) => {
    switch (ch) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return `&#${ch.charCodeAt(0)};`;
    }
  });
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(6);
}

function testcase(r: CaseResult): string {
  const head =
    `    <testcase classname="${escapeXml(caseGroup(r.id))}" name="${escapeXml(r.id)}" ` +
    `time="${seconds(r.durationMs)}"`;
  const detail = escapeXml(`${r.title} (${r.section})`);
  switch (r.status) {
    case "pass":
      return `${head}/>`;
    case "fail":
      return `${head}>\n      <failure message="${escapeXml(r.message)}" type="conformance">` +
        `${detail}</failure>\n    </testcase>`;
    case "skip":
      return `${head}>\n      <skipped message="${escapeXml(r.message)}"/>\n    </testcase>`;
    case "deviation":
      return `${head}>\n      <skipped message="${escapeXml(`deviation: ${r.message}`)}"/>\n` +
        `    </testcase>`;
  }
}

function counts(results: readonly CaseResult[]): string {
  const s = summarize(results);
  const time = results.reduce((t, r) => t + r.durationMs, 0);
  return `tests="${results.length}" failures="${s.failed}" errors="0" ` +
    `skipped="${s.skipped + s.deviations}" time="${seconds(time)}"`;
}

/** A finished run as JUnit XML (UTF-8, trailing newline). Groups appear in first-seen order. */
export function renderJunitReport(report: RunReport): string {
  const groups = groupResults(report.cases);
  const properties = [
    ["target", report.target],
    ["driver", report.driver],
    ["spec", report.spec],
  ].map(([n, v]) => `      <property name="${n}" value="${escapeXml(v)}"/>`).join("\n");
  const suites = [...groups].map(([name, results]) =>
    [
      `  <testsuite name="${escapeXml(name)}" ${counts(results)}>`,
      `    <properties>\n${properties}\n    </properties>`,
      ...results.map(testcase),
      `  </testsuite>`,
    ].join("\n")
  );
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${escapeXml(`nvme-harness conformance (${report.target})`)}" ` +
    `${counts(report.cases)}>`,
    ...suites,
    `</testsuites>`,
  ].join("\n") + "\n";
}
