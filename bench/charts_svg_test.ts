import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { niceStep, renderLineChart, sweepCharts, xmlEscape } from "./charts_svg.ts";
import { runSweepMatrix } from "./sweep.ts";
import { COALESCING_OFF, COALESCING_SETTINGS, type RowConfig } from "./sweep_matrix.ts";

/**
 * A strict well-formedness check for the XML we write (no DTD, no CDATA): one root element,
 * properly nested tags, quoted unique attributes, and only the five predefined entities.
 * Returns the element names in document order.
 */
function checkWellFormedXml(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const text = (s: string) => {
    if (s.includes("<") || s.includes(">")) throw new Error(`raw bracket in text: ${s}`);
    for (const m of s.matchAll(/&([^;]*);?/g)) {
      if (!/^&(amp|lt|gt|quot|apos);$/.test(m[0])) throw new Error(`bad entity ${m[0]}`);
    }
  };
  let i = 0;
  const prolog = /^<\?xml [^?]*\?>\s*/.exec(xml);
  if (prolog) i = prolog[0].length;
  let roots = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    if (lt < 0) {
      text(xml.slice(i));
      break;
    }
    const between = xml.slice(i, lt);
    if (stack.length === 0 && between.trim() !== "") throw new Error("text outside the root");
    text(between);
    const gt = xml.indexOf(">", lt);
    if (gt < 0) throw new Error("unterminated tag");
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
      continue;
    }
    const selfClosing = tag.endsWith("/");
    const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*\/?$/.exec(tag);
    if (!m) throw new Error(`malformed tag <${tag}>`);
    const attrs = [...m[2].matchAll(/([\w:-]+)="([^"]*)"/g)];
    const attrNames = attrs.map((a) => a[1]);
    if (new Set(attrNames).size !== attrNames.length) throw new Error(`duplicate attr <${tag}>`);
    for (const a of attrs) text(a[2]);
    if (stack.length === 0) roots++;
    names.push(m[1]);
    if (!selfClosing) stack.push(m[1]);
  }
  if (stack.length !== 0) throw new Error(`unclosed ${stack.join(", ")}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
  return names;
}

Deno.test("the checker itself rejects broken XML", () => {
  assertThrows(() => checkWellFormedXml("<a><b></a></b>"));
  assertThrows(() => checkWellFormedXml("<a x=1/>"));
  assertThrows(() => checkWellFormedXml("<a>1 < 2</a>"));
  assertThrows(() => checkWellFormedXml("<a>&nbsp;</a>"));
  assertThrows(() => checkWellFormedXml("<a/><b/>"));
  assertEquals(checkWellFormedXml('<a x="1"><b/>t &amp; u</a>'), ["a", "b"]);
});

Deno.test("a line chart is a standalone, well-formed SVG with axes, labels and legend", () => {
  const svg = renderLineChart({
    title: "MMIO <per> I/O & more",
    xLabel: "queue depth",
    yLabel: "MMIO writes per I/O",
    xTicks: [1, 2, 4, 8],
    series: [
      { name: 'a "quoted" line', points: [[1, 2], [2, 2], [4, 1.5], [8, 1]] },
      { name: "gap", points: [[1, 1], [2, NaN], [4, 0.5]], dashed: true },
    ],
  });
  const names = checkWellFormedXml(svg);
  assertEquals(names[0], "svg");
  assertStringIncludes(svg, 'xmlns="http://www.w3.org/2000/svg"');
  assertStringIncludes(svg, "MMIO &lt;per&gt; I/O &amp; more");
  assertStringIncludes(svg, ">queue depth</text>");
  assertStringIncludes(svg, ">MMIO writes per I/O</text>");
  assertStringIncludes(svg, "a &quot;quoted&quot; line");
  assertEquals(names.filter((n) => n === "path").length, 2, "one path per series");
  for (const x of [1, 2, 4, 8]) assertStringIncludes(svg, `text-anchor="middle">${x}</text>`);
  // The NaN point breaks the line: two "M" moves in the second path.
  const gapPath = [...svg.matchAll(/<path d="([^"]*)"/g)][1][1];
  assertEquals(gapPath.split("M").length - 1, 2);
  assertStringIncludes(svg, "stroke-dasharray");
});

Deno.test("niceStep and xmlEscape", () => {
  assertEquals(niceStep(2.1), 0.5);
  assertEquals(niceStep(10), 2);
  assertEquals(niceStep(700), 200);
  assertEquals(niceStep(0), 1);
  assertEquals(xmlEscape(`<&>"'`), "&lt;&amp;&gt;&quot;&apos;");
});

Deno.test("sweep charts: MMIO/IO, IOPS and interrupts/IO against QD, one line per option", async () => {
  const base = { driver: "linux" as const, queues: 1, workload: "randread" as const };
  const rows: RowConfig[] = [];
  for (const qd of [1, 4]) {
    for (const completion of ["interrupt", "polled"] as const) {
      for (const doorbell of ["mmio", "shadow-eventidx-polling"] as const) {
        rows.push({ ...base, completion, doorbell, coalescing: COALESCING_OFF, qd });
      }
    }
    rows.push({
      ...base,
      completion: "interrupt",
      doorbell: "mmio",
      coalescing: COALESCING_SETTINGS[2],
      qd,
    });
  }
  const result = await runSweepMatrix({ rows, ios: 60, anchor: true });
  const files = sweepCharts(result);
  assertEquals(files.map((f) => f.file).sort(), [
    "anchor_mmio-per-io.svg",
    "interrupts-per-io_randread_q1.svg",
    "iops_randread_q1.svg",
    "mmio-per-io_randread_q1.svg",
  ]);
  for (const f of files) checkWellFormedXml(f.svg);
  const mmio = files.find((f) => f.file.startsWith("mmio"))!.svg;
  const options = [
    "linux interrupt mmio",
    "linux interrupt shadow-eventidx-polling",
    "linux polled mmio",
    "linux polled shadow-eventidx-polling",
  ];
  for (const o of options) assertStringIncludes(mmio, `<title>${o}</title>`);
  assertEquals([...mmio.matchAll(/<path /g)].length, options.length, "coalesced rows excluded");
  const irq = files.find((f) => f.file.startsWith("interrupts"))!.svg;
  assertStringIncludes(irq, "linux interrupt coalescing off");
  assertStringIncludes(irq, "linux interrupt coalescing 4/100us");
  const anchor = files.find((f) => f.file.startsWith("anchor"))!.svg;
  assertStringIncludes(anchor, "QEMU, dbbuf (published)");
  assertStringIncludes(anchor, "ours, shadow + polling EventIdx (total)");
  assert(anchor.includes("QD 4 -&gt; 0.27"), "published point with its value as a tooltip");
});
