/**
 * Doorbell Buffer Config (opcode 7Ch, Base 2.1 §5.2.5; PCIe only): PRP1 is the Shadow Doorbell
 * buffer and PRP2 the EventIdx buffer, each one memory page. Both must be non-zero and aligned to
 * CC.MPS, else Invalid Field. Controllers that do not advertise it (OACS bit 8) answer Invalid
 * Command Opcode. The behaviour after configuration is in shadow_doorbells.ts.
 *
 * @module
 */

import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import type { NvmeController } from "./controller.ts";
import { type Request, SQE_PRP1_OFFSET, SQE_PRP2_OFFSET } from "./request.ts";

/** Doorbell Buffer Config (opcode 7Ch). */
export function doorbellBufferConfig(ctrl: NvmeController, req: Request): number {
  if (!ctrl.options.shadowDoorbells) return Status.INVALID_OPCODE | DNR;
  const dbs = req.qword(SQE_PRP1_OFFSET), eis = req.qword(SQE_PRP2_OFFSET);
  const page = ctrl.regs.pageSize();
  if (dbs === 0 || eis === 0 || dbs % page !== 0 || eis % page !== 0) {
    return Status.INVALID_FIELD | DNR;
  }
  ctrl.configureShadowDoorbells(dbs, eis);
  return 0;
}
