/**
 * NVM Command Set I/O commands (NVM Command Set 1.1 §3.3; Flush: Base 2.1 §7.2): Read, Write,
 * Compare, Verify, Write Zeroes, Write Uncorrectable, Dataset Management, Flush. Each checks, in
 * this order: the namespace is active on this controller (else Invalid Namespace or Format), the
 * LBA range lies inside the namespace (else LBA Out of Range), and the transfer fits MDTS (else
 * Invalid Field); then moves data and touches the media.
 *
 * @module
 */

import { Status } from "../spec/status.ts";
import { DSM_RANGE_SIZE } from "../spec/nvm_commands.ts";
import { getU64, getUint } from "../spec/_bytes.ts";
import { CACHED_WRITE, FUA_WRITE, READ_OK } from "./media.ts";
import type { NvmeController } from "./controller.ts";
import type { Namespace } from "./namespace.ts";
import type { Request } from "./request.ts";

const DNR = 1 << 14;
const NSID_ALL = 0xffff_ffff;
const SLBA = 40;
const FUA = 1 << 30;
const DSM_AD = 1 << 2;

/** The namespace a command addresses, or the status to fail it with. */
function activeNamespace(ctrl: NvmeController, req: Request): Namespace | number {
  return ctrl.activeNamespace(req.nsid) ?? (Status.INVALID_NAMESPACE | DNR);
}

/** Blocks addressed by an LBA command (CDW12.NLB is 0's based). */
function blocksOf(req: Request): number {
  return (req.cdw(12) & 0xffff) + 1;
}

/** The namespace of an LBA command whose range lies inside it, or the status to fail with. */
function lbaRange(ctrl: NvmeController, req: Request): Namespace | number {
  const ns = activeNamespace(ctrl, req);
  if (typeof ns === "number") return ns;
  if (req.qword(SLBA) + blocksOf(req) > ns.nsze) return Status.LBA_OUT_OF_RANGE | DNR;
  return ns;
}

/** As {@linkcode lbaRange}, and the transfer must also fit MDTS. */
function dataRange(ctrl: NvmeController, req: Request): Namespace | number {
  const ns = lbaRange(ctrl, req);
  if (typeof ns === "number") return ns;
  if (blocksOf(req) * ns.blockSize > ctrl.maxTransferBytes()) return Status.INVALID_FIELD | DNR;
  return ns;
}

/** Read (opcode 02h). */
export function read(ctrl: NvmeController, req: Request): number {
  const ns = dataRange(ctrl, req);
  if (typeof ns === "number") return ns;
  const blocks = blocksOf(req), bytes = blocks * ns.blockSize;
  const buf = ctrl.ioBuffer(bytes);
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({
      type: "nvm_read",
      cid: req.cid,
      nsid: req.nsid,
      nlb: blocks,
      count: bytes,
      lba: req.qword(SLBA),
    });
  }
  if (ctrl.noopIo) return ctrl.transfer.toHost(req, buf, bytes, ctrl.regs.pageSize());
  if (ns.media.read(req.qword(SLBA), blocks, buf, 0) !== READ_OK) {
    return Status.UNRECOVERED_READ_ERROR;
  }
  return ctrl.transfer.toHost(req, buf, bytes, ctrl.regs.pageSize());
}

/** Write (opcode 01h): FUA (CDW12 bit 30) makes the data durable before completion. */
export function write(ctrl: NvmeController, req: Request): number {
  const ns = dataRange(ctrl, req);
  if (typeof ns === "number") return ns;
  const blocks = blocksOf(req), bytes = blocks * ns.blockSize;
  const buf = ctrl.ioBuffer(bytes);
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({
      type: "nvm_write",
      cid: req.cid,
      verb: "write",
      nsid: req.nsid,
      nlb: blocks,
      count: bytes,
      lba: req.qword(SLBA),
    });
  }
  const x = ctrl.transfer.fromHost(req, buf, bytes, ctrl.regs.pageSize());
  if (x) return x;
  if (ctrl.noopIo) return 0;
  ns.media.write(req.qword(SLBA), blocks, buf, 0, req.cdw(12) & FUA ? FUA_WRITE : CACHED_WRITE);
  return 0;
}

/** Compare (opcode 05h): Compare Failure when the host data differ from the media. */
export function compare(ctrl: NvmeController, req: Request): number {
  const ns = dataRange(ctrl, req);
  if (typeof ns === "number") return ns;
  const blocks = blocksOf(req), bytes = blocks * ns.blockSize;
  const buf = ctrl.ioBuffer(bytes);
  const x = ctrl.transfer.fromHost(req, buf, bytes, ctrl.regs.pageSize());
  if (x) return x;
  const slba = req.qword(SLBA);
  if (ns.media.firstUncorrectable(slba, blocks) !== READ_OK) return Status.UNRECOVERED_READ_ERROR;
  return ns.media.compare(slba, blocks, buf, 0) ? 0 : Status.COMPARE_FAILURE | DNR;
}

/** Verify (opcode 0Ch): checks readability without transferring data. */
export function verify(ctrl: NvmeController, req: Request): number {
  const ns = lbaRange(ctrl, req);
  if (typeof ns === "number") return ns;
  const blocks = blocksOf(req);
  if (ns.media.firstUncorrectable(req.qword(SLBA), blocks) !== READ_OK) {
    return Status.UNRECOVERED_READ_ERROR;
  }
  return 0;
}

/** Write Zeroes (opcode 08h): no data transfer, so MDTS does not apply. */
export function writeZeroes(ctrl: NvmeController, req: Request): number {
  const ns = lbaRange(ctrl, req);
  if (typeof ns === "number") return ns;
  const blocks = blocksOf(req);
  ns.media.writeZeroes(req.qword(SLBA), blocks, req.cdw(12) & FUA ? FUA_WRITE : CACHED_WRITE);
  return 0;
}

/** Write Uncorrectable (opcode 04h): later reads of the range fail until it is written. */
export function writeUncorrectable(ctrl: NvmeController, req: Request): number {
  const ns = lbaRange(ctrl, req);
  if (typeof ns === "number") return ns;
  ns.media.markUncorrectable(req.qword(SLBA), blocksOf(req));
  return 0;
}

/**
 * Dataset Management (opcode 09h): NR + 1 ranges of 16 bytes from the host; with AD every range
 * is deallocated. A range outside the namespace fails the whole command before any change.
 */
export function datasetManagement(ctrl: NvmeController, req: Request): number {
  const ns = activeNamespace(ctrl, req);
  if (typeof ns === "number") return ns;
  const ranges = (req.cdw(10) & 0xff) + 1;
  const bytes = ranges * DSM_RANGE_SIZE;
  const buf = ctrl.ioBuffer(bytes);
  const x = ctrl.transfer.fromHost(req, buf, bytes, ctrl.regs.pageSize());
  if (x) return x;
  // Range i: CATTR (u32), NLB (u32, not 0's based), SLBA (u64) — NVM CS 1.1 §3.3.3.1.
  const nlbAt = (i: number) => getUint(buf, i * DSM_RANGE_SIZE + 4, 4);
  const slbaAt = (i: number) => getU64(buf, i * DSM_RANGE_SIZE + 8);
  for (let i = 0; i < ranges; i++) {
    if (slbaAt(i) + nlbAt(i) > ns.nsze) return Status.LBA_OUT_OF_RANGE | DNR;
  }
  if (!(req.cdw(11) & DSM_AD)) return 0; // IDR/IDW are hints only
  for (let i = 0; i < ranges; i++) if (nlbAt(i) > 0) ns.media.deallocate(slbaAt(i), nlbAt(i));
  return 0;
}

/** Flush (opcode 00h): NSID FFFFFFFFh flushes every namespace (advertised in VWC). */
export function flush(ctrl: NvmeController, req: Request): number {
  if (req.nsid === NSID_ALL) {
    ctrl.subsystem.flushAll();
    return 0;
  }
  const ns = activeNamespace(ctrl, req);
  if (typeof ns === "number") return ns;
  ns.media.flush();
  return 0;
}
