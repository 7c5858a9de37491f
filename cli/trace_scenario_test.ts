import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { main } from "../cli.ts";
import { parseScenarioFile, ScenarioFileError } from "./trace_scenario.ts";
import { captureIo as capture } from "./_test_helpers.ts";

Deno.test("scenario file: defaults filled in, every op parsed", () => {
  const s = parseScenarioFile(
    JSON.stringify({
      steps: [
        { op: "write", lba: 8 },
        { op: "read", lba: 8, blocks: 2 },
        { op: "identify" },
        { op: "sleep", ns: 5 },
        { op: "flush" },
      ],
    }),
    "s.json",
  );
  assertEquals(s.traceBringup, false);
  assertEquals(s.steps[0], { op: "write", lba: 8, blocks: 1, pattern: 0xa5, fua: false });
  assertEquals(s.steps[1], { op: "read", lba: 8, blocks: 2 });
  assertEquals(s.steps[2], { op: "identify", cns: 1, nsid: 0 });
  assertEquals(s.steps[3], { op: "sleep", ns: 5 });
  assertEquals(s.steps[4], { op: "flush" });
});

Deno.test("scenario file: mistakes name the file, the step and the field", () => {
  const bad: [string, RegExp][] = [
    ["{", /s\.json: not JSON/],
    ['{"steps": []}', /expected \{"steps"/],
    ['{"steps": [{"op": "erase"}]}', /step 1: "op" must be one of read, write/],
    ['{"steps": [{"op": "flush"}, {"op": "read"}]}', /step 2: read: "lba" must be a whole number/],
    ['{"steps": [{"op": "write", "lba": 0, "pattern": 256}]}', /"pattern" must be .*0\.\.255/],
    ['{"steps": [{"op": "sleep", "ns": -1}]}', /"ns" must be a whole number/],
    [
      '{"steps": [{"op": "read", "lba": 0, "blocks": 0}]}',
      /"blocks" must be a whole number 1\.\.256/,
    ],
    ['{"steps": [{"op": "read", "lba": 0, "block": 8}]}', /read: unknown field "block"/],
    ['{"steps": [{"op": "flush", "lba": 8}]}', /flush: unknown field "lba" \(fields: none\)/],
  ];
  for (const [text, message] of bad) {
    const e = assertThrows(() => parseScenarioFile(text, "s.json"), ScenarioFileError);
    assert(message.test(e.message), `${text}: ${e.message}`);
  }
});

Deno.test("trace --scenario FILE: the steps run after bring-up; a failing step is a note", async () => {
  const path = Deno.makeTempFileSync({ suffix: ".json" });
  try {
    Deno.writeTextFileSync(
      path,
      JSON.stringify({
        description: "write, read back, read past the end",
        steps: [{ op: "write", lba: 4, fua: true }, { op: "read", lba: 4 }, {
          op: "read",
          lba: 2 ** 40,
        }, { op: "identify", cns: 0xfe }],
      }),
    );
    const io = capture();
    assertEquals(await main(["trace", "--scenario", path, "--format", "qemu"], io), 0, io.err);
    const lines = io.out.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const note = at(/scenario: write, read back/);
    const write = at(/host_sqe_written qid [1-9]\d* .*opc 0x1 /);
    const read = at(/host_sqe_written qid [1-9]\d* .*opc 0x2 /);
    const failed = at(/step 3 \(read\) failed: .*LBA Out of Range/);
    const identify = at(/step 4 \(identify\) failed: Identify CNS 254.*Invalid Field/);
    assert(note >= 0 && write > note && read > write && failed > read, io.out);
    assert(identify > failed, "a failing admin step is a note too");
    assert(at(/pci_nvme_create_sq/) < 0, "bring-up is not traced unless traceBringup");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("trace --scenario: an unknown name or an unreadable file is one usage line", async () => {
  const io = capture();
  assertEquals(await main(["trace", "--scenario", "nope"], io), 2);
  assertStringIncludes(io.err, 'unknown scenario "nope"');
  const io2 = capture();
  assertEquals(await main(["trace", "--scenario", "/nonexistent/x.json"], io2), 2);
  assertStringIncludes(io2.err, "cannot read scenario file /nonexistent/x.json");
  assertEquals(io2.err.split("\n").filter(Boolean).length, 1);
});
