import { assert, assertEquals, assertFalse } from "@std/assert";
import fc from "fast-check";
import { arbitraryBytesFor, arbitraryFor } from "./_arbitrary.ts";
import {
  bitRange,
  Frmw,
  IDENTIFY_DATA_SIZE,
  IdentifyController,
  Oacs,
  Oncs,
  PowerStateDescriptor,
  Sgls,
  SglSupport,
  testBit,
  Vwc,
} from "./identify_controller.ts";
import type { Struct } from "./struct.ts";

/** Asserts `[name, offset, size]` rows typed in from the spec figure (not from the table). */
function assertLayout(s: Struct, rows: readonly (readonly [string, number, number])[]): void {
  for (const [name, offset, size] of rows) {
    const f = s.field(name);
    assertEquals([f.offset, f.size], [offset, size], `${s.name}.${name}`);
  }
}

Deno.test("Identify Controller (Base 2.1 §5.1.13.2.1)", async (t) => {
  await t.step("sizes", () => {
    assertEquals(IDENTIFY_DATA_SIZE, 4096);
    assertEquals(IdentifyController.size, 4096);
    assertEquals(PowerStateDescriptor.size, 32);
  });

  await t.step("offsets and widths from the Identify Controller figure", () => {
    assertLayout(IdentifyController, [
      ["vid", 0, 2],
      ["ssvid", 2, 2],
      ["sn", 4, 20],
      ["mn", 24, 40],
      ["fr", 64, 8],
      ["rab", 72, 1],
      ["ieee", 73, 3],
      ["cmic", 76, 1],
      ["mdts", 77, 1],
      ["cntlid", 78, 2],
      ["ver", 80, 4],
      ["rtd3r", 84, 4],
      ["rtd3e", 88, 4],
      ["oaes", 92, 4],
      ["ctratt", 96, 4],
      ["rrls", 100, 2],
      ["bpcap", 102, 1],
      ["nssl", 104, 4],
      ["plsi", 110, 1],
      ["cntrltype", 111, 1],
      ["fguid", 112, 16],
      ["crdt1", 128, 2],
      ["crdt3", 132, 2],
      ["crcap", 134, 1],
      ["nvmsr", 253, 1],
      ["vwci", 254, 1],
      ["mec", 255, 1],
      ["oacs", 256, 2],
      ["acl", 258, 1],
      ["aerl", 259, 1],
      ["frmw", 260, 1],
      ["lpa", 261, 1],
      ["elpe", 262, 1],
      ["npss", 263, 1],
      ["wctemp", 266, 2],
      ["cctemp", 268, 2],
      ["hmpre", 272, 4],
      ["tnvmcap", 280, 16],
      ["unvmcap", 296, 16],
      ["rpmbs", 312, 4],
      ["kas", 320, 2],
      ["sanicap", 328, 4],
      ["anagrpmax", 344, 4],
      ["pels", 352, 4],
      ["domainid", 356, 2],
      ["kpioc", 358, 1],
      ["mptfawr", 360, 2],
      ["megcap", 368, 16],
      ["tmpthha", 384, 1],
      ["cqt", 386, 2],
      ["sqes", 512, 1],
      ["cqes", 513, 1],
      ["maxcmd", 514, 2],
      ["nn", 516, 4],
      ["oncs", 520, 2],
      ["fuses", 522, 2],
      ["fna", 524, 1],
      ["vwc", 525, 1],
      ["awun", 526, 2],
      ["awupf", 528, 2],
      ["icsvscc", 530, 1],
      ["nwpc", 531, 1],
      ["acwu", 532, 2],
      ["ocfs", 534, 2],
      ["sgls", 536, 4],
      ["mnan", 540, 4],
      ["maxdna", 544, 16],
      ["maxcna", 560, 4],
      ["oaqd", 564, 4],
      ["rhiri", 568, 1],
      ["hirt", 569, 1],
      ["cmmrtd", 570, 2],
      ["trattr", 576, 1],
      ["mcdqpc", 586, 2],
      ["subnqn", 768, 256],
      ["ioccsz", 1792, 4],
      ["iorcsz", 1796, 4],
      ["icdoff", 1800, 2],
      ["fcatt", 1802, 1],
      ["msdbd", 1803, 1],
      ["ofcs", 1804, 2],
      ["dctype", 1806, 1],
      ["psd", 2048, 1024],
      ["vs", 3072, 1024],
    ]);
  });

  await t.step("Power State Descriptor offsets", () => {
    assertLayout(PowerStateDescriptor, [
      ["mp", 0, 2],
      ["flags", 3, 1],
      ["enlat", 4, 4],
      ["exlat", 8, 4],
      ["rrt", 12, 1],
      ["rwl", 15, 1],
      ["idlp", 16, 2],
      ["ips", 18, 1],
      ["actp", 20, 2],
      ["apws", 22, 1],
      ["epfrt", 23, 1],
      ["epfvts", 27, 1],
    ]);
  });

  await t.step("encoding is little-endian, strings are padded as the spec says", () => {
    const b = IdentifyController.encode({
      vid: 0x1b36,
      sn: "SN1",
      subnqn: "nqn.2019-08.org.qemu:x",
      tnvmcap: (1n << 64n) + 2n,
      psd: [{}, { mp: 0x1234, flags: 1 }],
      ieee: new Uint8Array([0x00, 0x54, 0x52]),
    });
    assertEquals([b[0], b[1]], [0x36, 0x1b]);
    assertEquals([...b.subarray(4, 8)], [0x53, 0x4e, 0x31, 0x20]); // "SN1 "
    assertEquals(b[4 + 19], 0x20, "sn is space padded");
    assertEquals(b[768 + 22], 0, "subnqn is NUL padded");
    assertEquals(b[280], 2);
    assertEquals(b[280 + 8], 1);
    assertEquals([b[2048 + 32], b[2048 + 33], b[2048 + 35]], [0x34, 0x12, 1]);
    assertEquals([...b.subarray(73, 76)], [0x00, 0x54, 0x52]);
    const d = IdentifyController.decode(b);
    assertEquals(d.sn, "SN1");
    assertEquals(d.subnqn, "nqn.2019-08.org.qemu:x");
    assertEquals(d.psd[1].mp, 0x1234);
    assertEquals(d.psd.length, 32);
  });

  await t.step("capability bit positions", () => {
    assertEquals(Oacs.NS_MGMT, 3);
    assertEquals(Oacs.DBBUF, 8);
    assertEquals(Oncs.WRITE_ZEROES, 3);
    assertEquals(Oncs.COPY, 8);
    assertEquals(Vwc.PRESENT, 0);
    assert(testBit(0x0100, Oacs.DBBUF));
    assertFalse(testBit(0x0100, Oacs.NS_MGMT));
    assert(testBit(0x8000_0000, 31));
    assertEquals(bitRange(0b1110, Frmw.NUM_SLOTS), 7);
    assertEquals(bitRange(0x0010_0002, Sgls.SUPPORT), SglSupport.DWORD_ALIGNED);
    assertEquals(bitRange(0x0000_ab00, Sgls.SDT), 0xab);
  });

  await t.step("round trip: decode(encode(x)) equals x", () => {
    fc.assert(
      fc.property(arbitraryFor(IdentifyController), (x) => {
        assertEquals(IdentifyController.decode(IdentifyController.encode(x)), x);
      }),
      { numRuns: 40 },
    );
    fc.assert(
      fc.property(arbitraryFor(PowerStateDescriptor), (x) => {
        assertEquals(PowerStateDescriptor.decode(PowerStateDescriptor.encode(x)), x);
      }),
    );
  });

  await t.step("decode never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(arbitraryBytesFor(IdentifyController), (b) => {
        const d = IdentifyController.decode(b);
        assertEquals(d.vid, b[0] | (b[1] << 8));
      }),
      { numRuns: 50 },
    );
  });
});
