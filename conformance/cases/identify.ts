/**
 * Conformance cases: identify — the Identify command itself and the Identify Controller data
 * structure (Base 2.1 §5.1.13, §5.1.13.2.1): VER, queue entry sizes, text fields, NN, MDTS as
 * the controller enforces it, where the 4096 bytes land for a PRP1 with an in-page offset, and
 * reserved CNS values. The namespace-related CNS values are in identify_namespaces.ts.
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import { FW_SLOT_LOG_SIZE } from "../../spec/fw_slot_log.ts";
import {
  bitRange,
  IDENTIFY_DATA_SIZE,
  IdentifyController,
  Lpa,
  testBit,
} from "../../spec/identify_controller.ts";
import { LogPageId } from "../../spec/log_page_ids.ts";
import { memoryPageSize, RegisterOffset } from "../../spec/registers.ts";
import { Status } from "../../spec/status.ts";
import type { IdentifyControllerValue } from "../../spec/value_types.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { activeList } from "./_admin_ns.ts";
import {
  type Admin,
  allBytes,
  dataBuffer,
  DWORD,
  enableAdmin,
  FILL_BYTE,
  firstDifference,
  getLogPage,
  hex,
  identify,
  identifyOk,
  PAGE_SIZE,
  readMem,
} from "./_admin_util.ts";

const ID_CTRL = "Base 2.1 §5.1.13.2.1";
/** SQES/CQES bits 3:0 (required) and 7:4 (maximum), log2 bytes. */
const REQUIRED: readonly [number, number] = [0, 3];
const MAXIMUM: readonly [number, number] = [4, 7];
/** The entry sizes the NVM Command Set requires: 64-byte SQEs and 16-byte CQEs (log2). */
const NVM_SQES = 6, NVM_CQES = 4;
/** Identify Controller text fields: ASCII, left justified, space padded. */
const TEXT_FIELDS = ["sn", "mn", "fr"] as const;
const PRINTABLE_LOW = 0x20, PRINTABLE_HIGH = 0x7e, SPACE = 0x20;
/** CNS values the CNS table (Base 2.1 §5.1.13.1) leaves reserved. */
const RESERVED_CNS = [0x3f, 0x7f];
/** The in-page offset used to move Identify data across a page boundary (dword aligned). */
const PRP1_OFFSET = 0x600;
/** NUMD counts at most 65536 dwords without NUMDU (LPA bit 2, extended data). */
const NUMDL_LIMIT_BYTES = 0x10000 * DWORD;
/** The largest transfer dataBuffer() can describe with one PRP list page (2 MiB + a page). */
const MAX_TEST_TRANSFER = 512 * PAGE_SIZE;

function idCtrl(ctx: CaseContext, admin: Admin): IdentifyControllerValue {
  return IdentifyController.decode(identifyOk(ctx, admin, Cns.CONTROLLER));
}

/** MDTS in bytes (units of CAP.MPSMIN), or skips when it is unlimited or too large to test. */
function mdtsBytes(ctx: CaseContext, id: IdentifyControllerValue): number {
  if (id.mdts === 0) ctx.skip("MDTS is 0 (no limit)");
  const bytes = memoryPageSize(ctx.caps.cap.mpsmin) * 2 ** id.mdts;
  if (bytes + PAGE_SIZE > MAX_TEST_TRANSFER) ctx.skip(`MDTS ${bytes} bytes: too large to test`);
  if (bytes + PAGE_SIZE > NUMDL_LIMIT_BYTES && !testBit(id.lpa, Lpa.EXTENDED)) {
    ctx.skip("a transfer of MDTS bytes needs NUMDU (LPA bit 2 clear)");
  }
  return bytes;
}

/** The identify cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "identify.controller.ver-matches-vs",
    title: "Identify Controller VER equals the VS register",
    section: `${ID_CTRL} (VER)`,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const id = idCtrl(ctx, enableAdmin(ctx));
      const vs = ctx.host.read32(RegisterOffset.VS);
      ctx.check(id.ver === vs, `VER ${hex(id.ver)} differs from VS ${hex(vs)}`);
    },
  },
  {
    id: "identify.controller.queue-entry-sizes",
    title: "SQES/CQES require 64-byte SQEs and 16-byte CQEs and a maximum not below that",
    section: `${ID_CTRL} (SQES, CQES)`,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const id = idCtrl(ctx, enableAdmin(ctx));
      for (const [name, v, want] of [["SQES", id.sqes, NVM_SQES], ["CQES", id.cqes, NVM_CQES]]) {
        const req = bitRange(v as number, REQUIRED), max = bitRange(v as number, MAXIMUM);
        ctx.check(
          req === want,
          `${name} ${hex(v as number)}: required size 2^${req}, not 2^${want}`,
        );
        ctx.check(max >= req, `${name} ${hex(v as number)}: maximum 2^${max} below required`);
      }
    },
  },
  {
    id: "identify.controller.text-fields",
    title: "SN, MN and FR are printable ASCII, space padded, not blank",
    section: `${ID_CTRL} (SN, MN, FR)`,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const data = identifyOk(ctx, enableAdmin(ctx), Cns.CONTROLLER);
      for (const name of TEXT_FIELDS) {
        const { offset, size } = IdentifyController.field(name);
        const field = data.subarray(offset, offset + size);
        const bad = field.findIndex((b) => b < PRINTABLE_LOW || b > PRINTABLE_HIGH);
        ctx.check(
          bad < 0,
          `${name.toUpperCase()} byte ${bad} is ${hex(field[bad])}, not printable ASCII`,
        );
        ctx.check(!allBytes(field, SPACE), `${name.toUpperCase()} is all spaces`);
      }
    },
  },
  {
    id: "identify.controller.nn-covers-active",
    title: "NN is at least every active NSID",
    section: `${ID_CTRL} (NN)`,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const { nn } = idCtrl(ctx, admin);
      const active = activeList(ctx, admin);
      const over = active.find((n) => n > nn);
      ctx.check(over === undefined, `active NSID ${over} is above NN ${nn}`);
      ctx.check(active.length <= nn, `${active.length} active NSIDs but NN ${nn}`);
    },
  },
  {
    id: "identify.controller.mdts-accepted",
    title: "A Get Log Page of exactly MDTS bytes succeeds and returns the page",
    section: `${ID_CTRL} (MDTS)`,
    needs: ["identify", "mdts"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const bytes = mdtsBytes(ctx, idCtrl(ctx, admin));
      const page = getLogPage(admin, LogPageId.FW_SLOT, FW_SLOT_LOG_SIZE);
      ctx.expectStatus(page.c, 0, "Firmware Slot log, 512 bytes");
      const big = getLogPage(admin, LogPageId.FW_SLOT, bytes);
      ctx.expectStatus(big.c, 0, `Firmware Slot log read as ${bytes} bytes (= MDTS)`);
      const at = firstDifference(big.data.subarray(0, FW_SLOT_LOG_SIZE), page.data);
      ctx.check(at < 0, `MDTS-sized read differs from the page at byte ${at}`);
    },
  },
  {
    id: "identify.controller.mdts-exceeded",
    title: "A command transferring more than MDTS is aborted with Invalid Field in Command",
    section: `${ID_CTRL} (MDTS)`,
    needs: ["identify", "mdts"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const bytes = mdtsBytes(ctx, idCtrl(ctx, admin)) + PAGE_SIZE;
      const r = getLogPage(admin, LogPageId.FW_SLOT, bytes);
      ctx.expectStatus(r.c, Status.INVALID_FIELD, `Get Log Page of MDTS + 4 KiB (${bytes} bytes)`);
    },
  },
  {
    id: "identify.data.prp1-offset",
    title: "Identify data from a PRP1 with an in-page offset continues at PRP2, nothing else moves",
    section: "Base 2.1 §4.3.1",
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const expected = identifyOk(ctx, admin, Cns.CONTROLLER);
      // Three pages; PRP2 names the third so data that ran on into the second page would show.
      const base = ctx.host.allocate(3 * PAGE_SIZE, PAGE_SIZE);
      ctx.host.memFill(base, 3 * PAGE_SIZE, FILL_BYTE);
      const prp1 = base + PRP1_OFFSET, prp2 = base + 2 * PAGE_SIZE;
      const head = PAGE_SIZE - PRP1_OFFSET;
      const r = identify(admin, Cns.CONTROLLER, {
        buf: { addr: prp1, length: IDENTIFY_DATA_SIZE, prp1, prp2 },
      });
      ctx.expectStatus(r.c, 0, `Identify with PRP1 offset ${hex(PRP1_OFFSET)}`);
      const all = readMem(ctx.host, base, 3 * PAGE_SIZE);
      ctx.check(allBytes(all.subarray(0, PRP1_OFFSET), FILL_BYTE), "bytes before PRP1 changed");
      let at = firstDifference(all.subarray(PRP1_OFFSET, PAGE_SIZE), expected.subarray(0, head));
      ctx.check(at < 0, `data in the PRP1 page differs at byte ${at}`);
      ctx.check(
        allBytes(all.subarray(PAGE_SIZE, 2 * PAGE_SIZE), FILL_BYTE),
        "the page after PRP1's page changed although PRP2 names another page",
      );
      const tail = all.subarray(2 * PAGE_SIZE, 2 * PAGE_SIZE + PRP1_OFFSET);
      at = firstDifference(tail, expected.subarray(head));
      ctx.check(at < 0, `data in the PRP2 page differs at byte ${head + at}`);
      ctx.check(
        allBytes(all.subarray(2 * PAGE_SIZE + PRP1_OFFSET), FILL_BYTE),
        "bytes after the 4096-byte data structure changed",
      );
    },
  },
  {
    id: "identify.data.exactly-4096",
    title: "Identify transfers 4096 bytes and no more, even with PRP2 naming another page",
    section: "Base 2.1 §5.1.13",
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const buf = dataBuffer(ctx.host, 2 * PAGE_SIZE);
      const r = identify(admin, Cns.CONTROLLER, { buf });
      ctx.expectStatus(r.c, 0, "Identify Controller into an 8 KiB buffer");
      ctx.check(!allBytes(r.data.subarray(0, IDENTIFY_DATA_SIZE), FILL_BYTE), "no data arrived");
      ctx.check(
        allBytes(r.data.subarray(IDENTIFY_DATA_SIZE), FILL_BYTE),
        "bytes past the 4096-byte data structure changed",
      );
    },
  },
  {
    id: "identify.cns.reserved",
    title: "A reserved CNS is Invalid Field in Command and the controller keeps working",
    section: "Base 2.1 §5.1.13.1",
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      for (const cns of RESERVED_CNS) {
        const r = identify(admin, cns);
        ctx.expectStatus(r.c, Status.INVALID_FIELD, `Identify CNS ${hex(cns)}`);
        identifyOk(ctx, admin, Cns.CONTROLLER);
      }
    },
  },
]);
