import { assert, assertEquals } from "@std/assert";
import { Status, STATUS_CODES, statusInfo, statusName, statusOf } from "./status.ts";

Deno.test("status: codes are unique, named and cite a section", () => {
  const values = STATUS_CODES.map((s) => s.value);
  assertEquals(new Set(values).size, values.length);
  for (const s of STATUS_CODES) {
    assertEquals(s.value, statusOf(s.sct, s.sc));
    assert(s.name.length > 3 && /§/.test(s.section), s.key);
    assertEquals(Status[s.key as keyof typeof Status], s.value);
    assertEquals(statusInfo(s.value), s);
  }
});

Deno.test("status: values engineers know by heart", () => {
  assertEquals(Status.INVALID_OPCODE, 0x001);
  assertEquals(Status.INVALID_FIELD, 0x002);
  assertEquals(Status.LBA_OUT_OF_RANGE, 0x080);
  assertEquals(Status.INVALID_QUEUE_IDENTIFIER, 0x101);
  assertEquals(Status.INVALID_QUEUE_SIZE, 0x102);
  assertEquals(Status.INVALID_QUEUE_DELETION, 0x10c);
  assertEquals(Status.COMPARE_FAILURE, 0x285);
  assert(statusInfo(Status.INVALID_OPCODE)!.dnr);
  assert(!statusInfo(Status.NAMESPACE_NOT_READY)!.dnr);
  assertEquals(statusName(0x7f1), "SCT 7h SC F1h");
  // The DNR and More bits in a 15-bit status value do not change the lookup.
  assertEquals(statusInfo(0x4001)?.key, "INVALID_OPCODE");
});
