import { assertEquals } from "@std/assert";
import { checkDecodesAnyBytes, checkRoundTrip } from "./_arbitrary.ts";
import { CriticalWarning, KELVIN_OFFSET, SmartLog } from "./smart_log.ts";

Deno.test("SMART / Health Information log page (Base 2.1 §5.1.12.1.3)", async (t) => {
  await t.step("size and offsets from the log page figure", () => {
    assertEquals(SmartLog.size, 512);
    const rows: [string, number, number][] = [
      ["critical_warning", 0, 1],
      ["temperature", 1, 2],
      ["avail_spare", 3, 1],
      ["spare_thresh", 4, 1],
      ["percent_used", 5, 1],
      ["endu_grp_crit_warn_sumry", 6, 1],
      ["data_units_read", 32, 16],
      ["data_units_written", 48, 16],
      ["host_reads", 64, 16],
      ["host_writes", 80, 16],
      ["ctrl_busy_time", 96, 16],
      ["power_cycles", 112, 16],
      ["power_on_hours", 128, 16],
      ["unsafe_shutdowns", 144, 16],
      ["media_errors", 160, 16],
      ["num_err_log_entries", 176, 16],
      ["warning_temp_time", 192, 4],
      ["critical_comp_time", 196, 4],
      ["temp_sensor", 200, 16],
      ["thm_temp1_trans_count", 216, 4],
      ["thm_temp2_trans_count", 220, 4],
      ["thm_temp1_total_time", 224, 4],
      ["thm_temp2_total_time", 228, 4],
    ];
    for (const [name, offset, size] of rows) {
      const f = SmartLog.field(name);
      assertEquals([f.offset, f.size], [offset, size], name);
    }
  });

  await t.step("16-byte counters are 128-bit little-endian integers", () => {
    const big = (1n << 127n) + 0x0102n;
    const b = SmartLog.encode({
      temperature: 300,
      data_units_read: big,
      temp_sensor: [310, 0, 0, 0, 0, 0, 0, 320],
      critical_warning: 1 << CriticalWarning.TEMPERATURE,
    });
    assertEquals([b[0], b[1], b[2]], [2, 300 & 0xff, 300 >> 8]);
    assertEquals([b[32], b[33], b[47]], [0x02, 0x01, 0x80]);
    assertEquals([b[214], b[215]], [320 & 0xff, 320 >> 8]);
    const d = SmartLog.decode(b);
    assertEquals(d.data_units_read, big);
    assertEquals(d.temperature - KELVIN_OFFSET, 27);
    assertEquals(d.temp_sensor[7], 320);
  });

  await t.step("round trip: decode(encode(x)) equals x", () => {
    checkRoundTrip(SmartLog);
  });

  await t.step("decode never throws on arbitrary bytes", () => {
    checkDecodesAnyBytes(SmartLog);
  });
});
