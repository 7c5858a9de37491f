import { assert, assertEquals } from "@std/assert";
import {
  describeField,
  fieldValueType,
  generateValueTypes,
  REGENERATE_COMMAND,
  VALUE_TYPES_URL,
  valueTypeName,
} from "./_gen_value_types.ts";
import { ALL_STRUCTURES } from "./catalog.ts";
import { Read } from "./nvm_commands.ts";
import { CAP, decodeRegister, encodeRegister } from "./registers.ts";
import { IdentifyController } from "./identify_controller.ts";
import {
  type Decoded,
  defineStruct,
  type Field,
  type Layout,
  type Struct,
  u16,
  u64,
} from "./struct.ts";
import type { CAPValue, IdentifyControllerValue, ReadValue } from "./value_types.ts";

Deno.test("value_types.ts is what the generator writes for the current field tables", async () => {
  const committed = await Deno.readTextFile(VALUE_TYPES_URL);
  const generated = generateValueTypes();
  if (committed === generated) return;
  const a = committed.split("\n");
  const b = generated.split("\n");
  let line = 0;
  while (line < a.length && line < b.length && a[line] === b[line]) line++;
  throw new Error(
    `spec/value_types.ts is stale (first difference at line ${line + 1}: ` +
      `committed ${JSON.stringify(a[line] ?? "<end of file>")}, generated ` +
      `${
        JSON.stringify(b[line] ?? "<end of file>")
      }); regenerate it with \`${REGENERATE_COMMAND}\``,
  );
});

Deno.test("value types: one per catalogue structure, one property per non-reserved field", () => {
  const text = generateValueTypes();
  for (const s of ALL_STRUCTURES) {
    const start = text.indexOf(`export type ${valueTypeName(s)} = `);
    assert(start >= 0, s.name);
    const body = text.slice(start, text.indexOf("\n}", start));
    for (const f of s.fields) {
      const type = fieldValueType(f);
      if (type === null) assert(!body.includes(`\n  ${f.name}: `), `${s.name}.${f.name}`);
      else assert(body.includes(`\n  ${f.name}: ${type};`), `${s.name}.${f.name}`);
    }
  }
});

Deno.test("value types: field descriptions come from the table", () => {
  assertEquals(
    describeField(CAP.field("mqes"), CAP.size),
    "bits 15:0 of the 8-byte value at offset 0x00",
  );
  assertEquals(
    describeField(CAP.field("cqr"), CAP.size),
    "bit 16 of the 8-byte value at offset 0x00",
  );
  const id = IdentifyController;
  assertEquals(describeField(id.field("sn"), id.size), "bytes 0x004..0x017, ASCII (space padded)");
  assertEquals(describeField(id.field("rab"), id.size), "byte 0x048, 8-bit unsigned");
  assertEquals(
    describeField(id.field("psd"), id.size),
    "bytes 0x800..0xbff, 32 × PowerStateDescriptor (32 bytes each)",
  );
  assertEquals(
    describeField(Read.field("slba"), Read.size),
    "bytes 0x28..0x2f, 64-bit unsigned little-endian",
  );
});

Deno.test("value types: annotated tables keep precise decoded and encodable types", () => {
  const cap: CAPValue = decodeRegister(CAP, 0x004018200f0107ffn);
  const mqes: number = cap.mqes;
  assertEquals(mqes, 0x7ff);
  assertEquals(encodeRegister(CAP, { mqes: 0x7ff }), 0x7ffn);

  const read: ReadValue = Read.decode(Read.encode({ slba: 5, nlb: 7 })); // a number for a bigint
  const slba: bigint = read.slba;
  assertEquals([slba, read.nlb], [5n, 7]);

  const id: IdentifyControllerValue = IdentifyController.decode(
    IdentifyController.encode({ sn: "S1", psd: [{ mp: 25 }], tnvmcap: 1 }),
  );
  const mp: number = id.psd[0].mp;
  const tnvmcap: bigint = id.tnvmcap;
  assertEquals([id.sn, mp, tnvmcap], ["S1", 25, 1n]);
});

Deno.test("value types: every Struct<F> is a Layout<Decoded<F>>", () => {
  const Toy = defineStruct("Toy", 10, [u16("vid", 0), u64("addr", 2)] as const, {
    section: "none",
  });
  const asLayout = <F extends readonly Field[]>(s: Struct<F>): Layout<Decoded<F>> => s;
  const layout: Layout<{ vid: number; addr: bigint }> = asLayout(Toy);
  const wide: Struct = layout; // and an annotated table still fits the catalogue's Struct
  assertEquals(wide.decode(layout.encode({ vid: 1, addr: 2 })), { vid: 1, addr: 2n });
});
