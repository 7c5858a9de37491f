import { assertEquals } from "@std/assert";
import { checkDecodesAnyBytes, checkRoundTrip } from "./_arbitrary.ts";
import { ErrorInformationLogEntry, ErrorParamLocation, ErrorStatusField } from "./error_log.ts";
import { bitRange } from "./identify_controller.ts";

Deno.test("Error Information Log Entry (Base 2.1 §5.1.12.1.2)", async (t) => {
  await t.step("size and offsets from the entry figure", () => {
    assertEquals(ErrorInformationLogEntry.size, 64);
    const rows: [string, number, number][] = [
      ["error_count", 0, 8],
      ["sqid", 8, 2],
      ["cmdid", 10, 2],
      ["status_field", 12, 2],
      ["parm_error_location", 14, 2],
      ["lba", 16, 8],
      ["nsid", 24, 4],
      ["vs", 28, 1],
      ["trtype", 29, 1],
      ["csi", 30, 1],
      ["opcode", 31, 1],
      ["cs", 32, 8],
      ["trtype_spec_info", 40, 2],
      ["log_page_version", 63, 1],
    ];
    for (const [name, offset, size] of rows) {
      const f = ErrorInformationLogEntry.field(name);
      assertEquals([f.offset, f.size], [offset, size], name);
    }
  });

  await t.step("encodes a realistic entry byte for byte", () => {
    const b = ErrorInformationLogEntry.encode({
      error_count: 3n,
      sqid: 1,
      cmdid: 0x1234,
      status_field: (0x0002 << 1) | 1, // Invalid Field in Command, phase 1
      parm_error_location: (2 << 8) | 40, // byte 40 (CDW10), bit 2
      nsid: 1,
    });
    assertEquals([...b.subarray(0, 16)], [3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x34, 0x12, 5, 0, 40, 2]);
    const e = ErrorInformationLogEntry.decode(b);
    assertEquals(bitRange(e.status_field, ErrorStatusField.STATUS), 2);
    assertEquals(bitRange(e.status_field, ErrorStatusField.PHASE), 1);
    assertEquals(bitRange(e.parm_error_location, ErrorParamLocation.BYTE), 40);
    assertEquals(bitRange(e.parm_error_location, ErrorParamLocation.BIT), 2);
  });

  await t.step("round trip: decode(encode(x)) equals x", () => {
    checkRoundTrip(ErrorInformationLogEntry);
  });

  await t.step("decode never throws on arbitrary bytes", () => {
    checkDecodesAnyBytes(ErrorInformationLogEntry);
  });
});
