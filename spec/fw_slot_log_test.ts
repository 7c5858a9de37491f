import { assertEquals, assertThrows } from "@std/assert";
import { checkDecodesAnyBytes, checkRoundTrip } from "./_arbitrary.ts";
import { Afi, FirmwareSlotLog, frsField } from "./fw_slot_log.ts";
import { bitRange } from "./identify_controller.ts";

Deno.test("Firmware Slot Information log page (Base 2.1 §5.1.12.1.4)", async (t) => {
  await t.step("size and offsets from the log page figure", () => {
    assertEquals(FirmwareSlotLog.size, 512);
    assertEquals(FirmwareSlotLog.field("afi").offset, 0);
    for (let n = 1; n <= 7; n++) {
      const f = FirmwareSlotLog.field(frsField(n));
      assertEquals([f.offset, f.size], [8 * n, 8], `frs${n}`);
    }
    assertThrows(() => frsField(0), RangeError);
    assertThrows(() => frsField(8), RangeError);
  });

  await t.step("revisions are space-padded ASCII; AFI holds active and next slot", () => {
    const b = FirmwareSlotLog.encode({ afi: (2 << 4) | 1, frs1: "1.0", frs2: "2.0-rc1" });
    assertEquals([...b.subarray(8, 16)], [0x31, 0x2e, 0x30, 0x20, 0x20, 0x20, 0x20, 0x20]);
    assertEquals(b[16 + 7], 0x20);
    const d = FirmwareSlotLog.decode(b);
    assertEquals([d.frs1, d.frs2, d.frs3], ["1.0", "2.0-rc1", ""]);
    assertEquals(bitRange(d.afi, Afi.ACTIVE), 1);
    assertEquals(bitRange(d.afi, Afi.NEXT), 2);
  });

  await t.step("round trip: decode(encode(x)) equals x", () => {
    checkRoundTrip(FirmwareSlotLog);
  });

  await t.step("decode never throws on arbitrary bytes", () => {
    checkDecodesAnyBytes(FirmwareSlotLog);
  });
});
