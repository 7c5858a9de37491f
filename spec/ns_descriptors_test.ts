import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { arbitraryBytesFor, arbitraryFor } from "./_arbitrary.ts";
import {
  decodeNsDescriptorList,
  encodeNsDescriptorList,
  Nidt,
  NIDT_LENGTH,
  type NsDescriptor,
  NsDescriptorListError,
  nsDescriptorProblem,
  NsIdDescriptorHeader,
  scanNsDescriptorList,
} from "./ns_descriptors.ts";

const descriptorArb: fc.Arbitrary<NsDescriptor> = fc.record({
  nidt: fc.integer({ min: 1, max: 255 }),
  nid: fc.uint8Array({ maxLength: 40 }),
});

Deno.test("Namespace Identification Descriptor list (Base 2.1 §5.1.13.2.3)", async (t) => {
  await t.step("header layout and NIDT values", () => {
    assertEquals(NsIdDescriptorHeader.size, 4);
    assertEquals(NsIdDescriptorHeader.field("nidt").offset, 0);
    assertEquals(NsIdDescriptorHeader.field("nidl").offset, 1);
    assertEquals([Nidt.EUI64, Nidt.NGUID, Nidt.UUID, Nidt.CSI], [1, 2, 3, 4]);
    assertEquals(NIDT_LENGTH, { 1: 8, 2: 16, 3: 16, 4: 1 });
  });

  await t.step("encodes headers, identifiers and the zero terminator", () => {
    const eui = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const b = encodeNsDescriptorList([
      { nidt: Nidt.EUI64, nid: eui },
      { nidt: Nidt.CSI, nid: new Uint8Array([2]) },
    ]);
    assertEquals(b.length, 4096);
    assertEquals([...b.subarray(0, 12)], [1, 8, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assertEquals([...b.subarray(12, 17)], [4, 1, 0, 0, 2]);
    assertEquals(b[17], 0, "NIDT 0 ends the list");
    assertEquals(scanNsDescriptorList(b).stop, "terminator");
    assertEquals(scanNsDescriptorList(b).offset, 17);
  });

  await t.step("rejects what cannot be encoded", () => {
    assertThrows(
      () => encodeNsDescriptorList([{ nidt: 0, nid: new Uint8Array(1) }]),
      NsDescriptorListError,
    );
    assertThrows(
      () => encodeNsDescriptorList([{ nidt: 1, nid: new Uint8Array(256) }]),
      NsDescriptorListError,
    );
    assertThrows(
      () => encodeNsDescriptorList([{ nidt: 1, nid: new Uint8Array(16) }], 16),
      NsDescriptorListError,
    );
  });

  await t.step("stops at an overrun or at the end of the buffer", () => {
    const b = new Uint8Array(4096);
    b.set([3, 16, 0, 0], 0);
    b.set([1, 0, 0, 0], 20); // NIDT 1, NIDL 0 (invalid but parseable)
    for (let at = 24; at < 4088; at += 4) b.set([7, 0, 0, 0], at);
    b.set([2, 255, 0, 0], 4088); // the last header claims 255 bytes
    const scan = scanNsDescriptorList(b);
    assertEquals(scan.stop, "overrun");
    assertEquals(scan.offset, 4088);
    assertEquals(scan.descriptors[0].nid.length, 16);
    assertEquals(nsDescriptorProblem(scan.descriptors[1]), "NIDT 1 needs NIDL 8, got 0");
    assertEquals(nsDescriptorProblem(scan.descriptors[2]), "NIDT 7 is reserved");
    const full = encodeNsDescriptorList([{ nidt: 5, nid: new Uint8Array(4) }], 8);
    assertEquals(scanNsDescriptorList(full).stop, "end");
    assertEquals(decodeNsDescriptorList(new Uint8Array(3)), []);
    assertEquals(scanNsDescriptorList(new Uint8Array(0)).stop, "end");
  });

  await t.step("valid descriptors pass the per-type length check", () => {
    for (const [nidt, len] of Object.entries(NIDT_LENGTH)) {
      assertEquals(nsDescriptorProblem({ nidt: Number(nidt), nid: new Uint8Array(len) }), null);
    }
  });

  await t.step("round trip: decode(encode(list)) equals list", () => {
    fc.assert(
      fc.property(fc.array(descriptorArb, { maxLength: 60 }), (list) => {
        assertEquals(decodeNsDescriptorList(encodeNsDescriptorList(list)), list);
      }),
    );
    fc.assert(
      fc.property(arbitraryFor(NsIdDescriptorHeader), (x) => {
        assertEquals(NsIdDescriptorHeader.decode(NsIdDescriptorHeader.encode(x)), x);
      }),
    );
  });

  await t.step("decode never throws on arbitrary bytes and never reads past them", () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ minLength: 4096, maxLength: 4096 }),
      // Mostly-small bytes make long chains of short descriptors likely.
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 4096, maxLength: 4096 })
        .map((a) => Uint8Array.from(a)),
      fc.uint8Array({ maxLength: 64 }),
    );
    fc.assert(
      fc.property(bytesArb, (b) => {
        const scan = scanNsDescriptorList(b);
        const used = scan.descriptors.reduce((n, d) => n + 4 + d.nid.length, 0);
        assertEquals(used, scan.offset);
        assertEquals(scan.offset <= b.length, true);
      }),
    );
    fc.assert(
      fc.property(arbitraryBytesFor(NsIdDescriptorHeader), (b) => {
        NsIdDescriptorHeader.decode(b);
      }),
    );
  });
});
