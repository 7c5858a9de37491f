import { assert, assertEquals, assertThrows } from "@std/assert";
import { Identify } from "../spec/admin_commands.ts";
import { IdentifyController } from "../spec/identify_controller.ts";
import { UsageError } from "./_args.ts";
import { parseHex, runDecode } from "./decode_command.ts";

const hexOf = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("decode: a CQE from hex words, text and JSON", () => {
  const text = runDecode(["cqe", "00000000", "00000000", "01000100", "07000100"]);
  assert(/^cid\s+: 7$/m.test(text), text);
  const json = JSON.parse(runDecode(["cqe", "0x00000000 00000000 01000100 07000300", "--json"]));
  assertEquals([json.fields.sqhd, json.fields.cid, json.fields.p, json.fields.sc], [1, 7, 1, 1]);
});

Deno.test("decode: an SQE and an Identify page from files (binary and hex text)", () => {
  const sqe = Identify.encode({ opcode: 6, cid: 0x1234, nsid: 1, cns: 1, prp1: 2 ** 32 });
  const bin = Deno.makeTempFileSync({ dir: "/tmp" });
  Deno.writeFileSync(bin, sqe);
  const s = JSON.parse(runDecode(["sqe", "--file", bin, "--json"]));
  assertEquals([s.fields.opcode, s.fields.cid, s.fields.prp1], [6, 0x1234, "0x100000000"]);
  const id = IdentifyController.encode({ vid: 0x1b36, mdts: 7, sn: "SER123" });
  const hex = Deno.makeTempFileSync({ dir: "/tmp" });
  Deno.writeTextFileSync(hex, hexOf(id));
  const c = JSON.parse(runDecode(["id-ctrl", "--file", hex, "--json"]));
  assertEquals([c.fields.vid, c.fields.mdts, c.fields.sn], [0x1b36, 7, "SER123"]);
  Deno.removeSync(bin);
  Deno.removeSync(hex);
});

Deno.test("decode: mistakes are usage errors", () => {
  assertThrows(() => runDecode([]), UsageError, "name the structure");
  assertThrows(() => runDecode(["nosuch", "00"]), UsageError, "unknown structure");
  assertThrows(() => runDecode(["cqe", "00"]), UsageError, "16 bytes");
  assertThrows(() => parseHex("zz"), UsageError, "not hex");
  assertThrows(() => parseHex("abc"), UsageError, "odd");
  assertThrows(() => runDecode(["cqe", "--file", "/nonexistent/x"]), UsageError, "cannot read");
});
