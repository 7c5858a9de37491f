// SQE/CQE layouts checked byte-exactly against Base 2.1 §4.1.1/§4.2.1 (not derived from the
// tables), plus status packing.

import { assertEquals } from "@std/assert";
import fc from "fast-check";
import { CompletionQueueEntry, packStatus, statusValue, unpackStatus } from "./cqe.ts";
import { SubmissionQueueEntry, SubmissionQueueEntrySgl } from "./sqe.ts";
import { offsetOf } from "./struct.ts";

Deno.test("SQE: common command format offsets", () => {
  assertEquals(SubmissionQueueEntry.size, 64);
  const expect: Record<string, number> = {
    opcode: 0,
    cid: 2,
    nsid: 4,
    cdw2: 8,
    cdw3: 12,
    mptr: 16,
    prp1: 24,
    prp2: 32,
    cdw10: 40,
    cdw11: 44,
    cdw12: 48,
    cdw13: 52,
    cdw14: 56,
    cdw15: 60,
  };
  for (const [name, off] of Object.entries(expect)) {
    assertEquals(offsetOf(SubmissionQueueEntry, name), off, name);
  }
  // FUSE is CDW0 bits 9:8 and PSDT bits 15:14: byte 1 bits 1:0 and 7:6.
  const b = SubmissionQueueEntry.encode({ fuse: 3, psdt: 2 });
  assertEquals(b[1], 0b1000_0011);
  assertEquals(offsetOf(SubmissionQueueEntrySgl, "sgl_len"), 32);
  assertEquals(SubmissionQueueEntrySgl.encode({ sgl_type: 3, sgl_subtype: 0 })[39], 0x30);
});

Deno.test("CQE: offsets and status bit positions", () => {
  assertEquals(CompletionQueueEntry.size, 16);
  for (const [name, off] of [["dw0", 0], ["dw1", 4], ["sqhd", 8], ["sqid", 10], ["cid", 12]]) {
    assertEquals(offsetOf(CompletionQueueEntry, name as string), off);
  }
  // Status Field: P bit 0, SC 8:1, SCT 11:9, CRD 13:12, M 14, DNR 15 (of the upper word of DW3).
  const b = CompletionQueueEntry.encode({ p: 1, sc: 0x02, sct: 0, dnr: 1 });
  assertEquals(b[14] | (b[15] << 8), 0x8005);
  assertEquals(CompletionQueueEntry.decode(b).sc, 2);
});

Deno.test("status: pack/unpack are inverse and agree with the CQE table", () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xff }),
    fc.integer({ min: 0, max: 7 }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 1 }),
    fc.integer({ min: 0, max: 1 }),
    fc.integer({ min: 0, max: 1 }),
    (sc, sct, crd, m, dnr, p) => {
      const field = packStatus({ sc, sct, crd, m, dnr }, p);
      assertEquals(unpackStatus(field), { p, sc, sct, crd, m, dnr });
      const b = CompletionQueueEntry.encode({ sc, sct, crd, m, dnr, p });
      assertEquals(b[14] | (b[15] << 8), field);
      // QEMU / libnvme form: SC | SCT<<8 | CRD<<11 | M<<13 | DNR<<14.
      assertEquals(statusValue(field), sc | sct << 8 | crd << 11 | m << 13 | dnr << 14);
    },
  ));
});
