import { assertEquals } from "@std/assert";
import { CommandsSupportedEffectsLog } from "./cmd_effects_log.ts";
import { ErrorInformationLogEntry } from "./error_log.ts";
import { FirmwareSlotLog } from "./fw_slot_log.ts";
import { errorLogSize, LOG_PAGE_SIZE, LogPageId } from "./log_page_ids.ts";
import { ChangedNamespaceList } from "./ns_list.ts";
import { SmartLog } from "./smart_log.ts";

Deno.test("Log Page Identifiers (Base 2.1 §5.1.12)", async (t) => {
  await t.step("identifiers of the mandatory pages", () => {
    assertEquals(LogPageId.ERROR, 0x01);
    assertEquals(LogPageId.SMART, 0x02);
    assertEquals(LogPageId.FW_SLOT, 0x03);
    assertEquals(LogPageId.CHANGED_NS, 0x04);
    assertEquals(LogPageId.CMD_EFFECTS, 0x05);
    assertEquals(LogPageId.SANITIZE, 0x81);
    const values = Object.values(LogPageId);
    assertEquals(new Set(values).size, values.length, "identifiers are unique");
  });

  await t.step("page sizes agree with the structures", () => {
    assertEquals(LOG_PAGE_SIZE, {
      [LogPageId.ERROR]: 64,
      [LogPageId.SMART]: 512,
      [LogPageId.FW_SLOT]: 512,
      [LogPageId.CHANGED_NS]: 4096,
      [LogPageId.CMD_EFFECTS]: 4096,
    });
    assertEquals(LOG_PAGE_SIZE[LogPageId.ERROR], ErrorInformationLogEntry.size);
    assertEquals(LOG_PAGE_SIZE[LogPageId.SMART], SmartLog.size);
    assertEquals(LOG_PAGE_SIZE[LogPageId.FW_SLOT], FirmwareSlotLog.size);
    assertEquals(LOG_PAGE_SIZE[LogPageId.CHANGED_NS], ChangedNamespaceList.size);
    assertEquals(LOG_PAGE_SIZE[LogPageId.CMD_EFFECTS], CommandsSupportedEffectsLog.size);
    assertEquals(errorLogSize(63), 4096);
  });
});
