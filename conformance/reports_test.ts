import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { renderJsonReport } from "./report_json.ts";
import { escapeXml, renderJunitReport } from "./report_junit.ts";
import { renderMarkdownReport } from "./report_markdown.ts";
import { formatCaseResult, renderTextReport } from "./report_text.ts";
import type { CaseResult } from "./run_case.ts";
import { type RunReport, SPEC_VERSIONS, summarize } from "./runner.ts";

const NASTY = `status 0x0002 <Invalid Field> & "quoted" 'single' | pipe\nsecond line`;

const RESULTS: readonly CaseResult[] = [
  {
    id: "registers.cap.mqes",
    title: "MQES is at least 1",
    section: "Base 2.1 §3.1.4.1",
    status: "pass",
    message: "",
    durationMs: 0.42,
  },
  {
    id: "registers.cap.to",
    title: "TO is <nonzero> & sane",
    section: "Base 2.1 §3.1.4.1",
    status: "fail",
    message: NASTY,
    durationMs: 1.5,
  },
  {
    id: "nvm.copy.basic",
    title: "Copy <one> range",
    section: "NVM CS 1.1 §3.3.1",
    status: "skip",
    message: 'target lacks "copy": Identify ONCS bit 8: Copy',
    durationMs: 0,
  },
  {
    id: "nvm.read.lba-range",
    title: "LBA out of range",
    section: "NVM CS 1.1 §3.3.4",
    status: "deviation",
    message: "answers Invalid Field & not LBA Out of Range",
    durationMs: 2,
  },
];

const REPORT: RunReport = {
  target: "reference",
  driver: "linux",
  spec: SPEC_VERSIONS,
  cases: RESULTS,
  summary: summarize(RESULTS),
};

Deno.test("text: one line per case, indented reason, summary line last", () => {
  assertEquals(
    formatCaseResult(RESULTS[0]),
    "PASS registers.cap.mqes  Base 2.1 §3.1.4.1  (0.4 ms)",
  );
  const fail = formatCaseResult(RESULTS[1]).split("\n");
  assertEquals(fail[0], "FAIL registers.cap.to  Base 2.1 §3.1.4.1  (1.5 ms)");
  assertEquals(fail.slice(1), [
    `     status 0x0002 <Invalid Field> & "quoted" 'single' | pipe`,
    "     second line",
  ]);
  assert(formatCaseResult(RESULTS[2]).startsWith("SKIP nvm.copy.basic  "));
  assert(formatCaseResult(RESULTS[3]).startsWith("DEVIATION nvm.read.lba-range  "));
  const lines = renderTextReport(REPORT).trimEnd().split("\n");
  assertStringIncludes(lines[0], "target reference, driver linux");
  assertEquals(lines.at(-1), "1 passed, 1 failed, 1 skipped, 1 deviations");
});

Deno.test("json: exactly the documented fields, values preserved", () => {
  const json = JSON.parse(renderJsonReport(REPORT));
  assertEquals(Object.keys(json), ["target", "driver", "spec", "cases", "summary"]);
  assertEquals([json.target, json.driver, json.spec], ["reference", "linux", SPEC_VERSIONS]);
  assertEquals(json.summary, { passed: 1, failed: 1, skipped: 1, deviations: 1 });
  assertEquals(json.cases.length, RESULTS.length);
  for (const c of json.cases) {
    assertEquals(Object.keys(c), ["id", "title", "section", "status", "message", "durationMs"]);
  }
  assertEquals(json.cases[1].message, NASTY);
  assertEquals(json.cases.map((c: CaseResult) => c.status), ["pass", "fail", "skip", "deviation"]);
});

/** A small XML checker: every tag balanced, attribute values and text free of raw `<`, `&` that
 * is not an entity, or `"` inside a value. Returns the elements as (name, attributes). */
function parseXmlish(xml: string): { name: string; attrs: Record<string, string> }[] {
  const elements: { name: string; attrs: Record<string, string> }[] = [];
  const stack: string[] = [];
  const entity = /&(amp|lt|gt|quot|apos|#\d+);/g;
  const decode = (s: string) =>
    s.replace(
      entity,
      (_, e: string) =>
        e.startsWith("#")
          ? String.fromCharCode(Number(e.slice(1)))
          : { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e]!,
    );
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const token = /<(\/?)([A-Za-z-]+)((?:\s+[a-z-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = token.exec(body)) !== null) {
    consumed = token.lastIndex;
    const [, close, name, attrText, selfClose, text] = m;
    if (text !== undefined) {
      assertEquals(text.replace(entity, "").includes("&"), false, `raw & in text: ${text}`);
      continue;
    }
    if (close) {
      assertEquals(stack.pop(), name, `unbalanced </${name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([a-z-]+)="([^"]*)"/g)) {
      assertEquals(a[2].replace(entity, "").includes("&"), false, `raw & in ${a[1]}`);
      attrs[a[1]] = decode(a[2]);
    }
    elements.push({ name, attrs });
    if (!selfClose) stack.push(name);
  }
  assertEquals(consumed, body.length, `not XML at: ${body.slice(consumed, consumed + 60)}`);
  assertEquals(stack, [], "unclosed elements");
  return elements;
}

Deno.test("junit: well formed, one suite per group, counts, escaping, deviations as skipped", () => {
  const xml = renderJunitReport(REPORT);
  assert(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
  const els = parseXmlish(xml);
  const root = els[0];
  assertEquals(root.name, "testsuites");
  assertEquals([root.attrs.tests, root.attrs.failures, root.attrs.skipped], ["4", "1", "2"]);
  const suites = els.filter((e) => e.name === "testsuite");
  assertEquals(
    suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures, s.attrs.skipped]),
    [
      ["registers", "2", "1", "0"],
      ["nvm", "2", "0", "2"],
    ],
  );
  const cases = els.filter((e) => e.name === "testcase");
  assertEquals(cases.map((c) => [c.attrs.classname, c.attrs.name]), [
    ["registers", "registers.cap.mqes"],
    ["registers", "registers.cap.to"],
    ["nvm", "nvm.copy.basic"],
    ["nvm", "nvm.read.lba-range"],
  ]);
  const failures = els.filter((e) => e.name === "failure");
  assertEquals(failures.length, 1);
  assertEquals(failures[0].attrs.message, NASTY, "message survives escaping exactly");
  const skipped = els.filter((e) => e.name === "skipped").map((e) => e.attrs.message);
  assertEquals(skipped, [
    RESULTS[2].message,
    `deviation: ${RESULTS[3].message}`,
  ]);
  assertStringIncludes(xml, "TO is &lt;nonzero&gt; &amp; sane"); // element text is escaped too
});

Deno.test("junit: escapeXml makes any string safe, dropping characters XML cannot carry", () => {
  assertEquals(escapeXml(`<&>"'`), "&lt;&amp;&gt;&quot;&apos;");
  assertEquals(escapeXml("a\u0001b\u0000"), "a\ufffdb\ufffd");
  assertEquals(escapeXml("line\nnext"), "line&#10;next");
});

Deno.test("markdown: summary table, one table per group, cells escaped", () => {
  const md = renderMarkdownReport(REPORT);
  const lines = md.split("\n");
  assertStringIncludes(md, "| group | cases | passed | failed | skipped | deviations |");
  assert(lines.includes("| `registers` | 2 | 1 | 1 | 0 | 0 |"));
  assert(lines.includes("| `nvm` | 2 | 0 | 0 | 1 | 1 |"));
  assert(lines.includes("| **total** | **4** | **1** | **1** | **1** | **1** |"));
  assertEquals(lines.filter((l) => l === "| id | title | section | status | message |").length, 2);
  const rows = lines.filter((l) => l.startsWith("| `") && l.split(/(?<!\\)\|/).length === 7);
  assertEquals(rows.length, RESULTS.length, "every case row has exactly five cells");
  const failRow = rows.find((l) => l.includes("registers.cap.to"))!;
  assertStringIncludes(failRow, "**fail**");
  assertStringIncludes(failRow, "&lt;Invalid Field&gt; &amp; ");
  assertStringIncludes(failRow, "\\| pipe<br>second line");
  assertStringIncludes(
    md,
    "`nvm.read.lba-range` | LBA out of range | NVM CS 1.1 §3.3.4 | **deviation**",
  );
});
