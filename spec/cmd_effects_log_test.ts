import { assertEquals } from "@std/assert";
import { checkDecodesAnyBytes, checkRoundTrip } from "./_arbitrary.ts";
import { CmdEffects, CommandScope, CommandsSupportedEffectsLog, Cse } from "./cmd_effects_log.ts";
import { bitRange, testBit } from "./identify_controller.ts";

Deno.test("Commands Supported and Effects log page (Base 2.1 §5.1.12.1.6)", async (t) => {
  await t.step("size and table offsets", () => {
    const log = CommandsSupportedEffectsLog;
    assertEquals(log.size, 4096);
    assertEquals([log.field("acs").offset, log.field("acs").size], [0, 1024]);
    assertEquals([log.field("iocs").offset, log.field("iocs").size], [1024, 1024]);
  });

  await t.step("entry bit layout", () => {
    assertEquals([CmdEffects.CSUPP, CmdEffects.LBCC, CmdEffects.NCC], [0, 1, 2]);
    assertEquals([CmdEffects.NIC, CmdEffects.CCC, CmdEffects.USS], [3, 4, 19]);
    assertEquals(CmdEffects.CSER, [14, 15]);
    assertEquals(CmdEffects.CSE, [16, 18]);
    assertEquals(CmdEffects.CSP, [20, 31]);
    // Format NVM as a controller typically reports it: supported, LBCC, NCC, NIC, CSE=2,
    // namespace scope.
    const format = 0b1111 | (Cse.ANY_NAMESPACE << 16) | (1 << (20 + CommandScope.NAMESPACE));
    const b = CommandsSupportedEffectsLog.encode({
      acs: Object.assign(new Array(256).fill(0), { 0x80: format }),
      iocs: Object.assign(new Array(256).fill(0), { 0x01: 0b11 }),
    });
    assertEquals([...b.subarray(0x80 * 4, 0x80 * 4 + 4)], [0x0f, 0x00, 0x12, 0x00]);
    const log = CommandsSupportedEffectsLog.decode(b);
    assertEquals(bitRange(log.acs[0x80], CmdEffects.CSE), Cse.ANY_NAMESPACE);
    assertEquals(testBit(log.iocs[0x01], CmdEffects.LBCC), true);
    assertEquals(testBit(log.iocs[0x02], CmdEffects.CSUPP), false);
  });

  await t.step("round trip: decode(encode(x)) equals x", () => {
    checkRoundTrip(CommandsSupportedEffectsLog, 40);
  });

  await t.step("decode never throws on arbitrary bytes", () => {
    checkDecodesAnyBytes(CommandsSupportedEffectsLog, 40);
  });
});
