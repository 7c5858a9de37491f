/**
 * NVM Command Set I/O commands (NVM Command Set 1.1 §3.3; Flush: Base 2.1 §7.2): Read, Write,
 * Compare, Verify, Write Zeroes, Write Uncorrectable, Dataset Management, Flush. (Copy is
 * `nvm_copy.ts`.)
 *
 * Status precedence, the same for every command: the namespace is active on this controller
 * (else Invalid Namespace or Format), then command fields (PRACT must be 0: no namespace has
 * protection information), then the LBA
 * range lies inside the namespace (else LBA Out of Range), then the transfer fits MDTS (else
 * Invalid Field in Command), then the data pointer (PRP/SGL statuses, Data Transfer Error), then
 * the media. Every failing status carries DNR as the status table says.
 *
 * Force Unit Access (CDW12 bit 30):
 * - Write, Write Zeroes: the data is durable before completion.
 * - Read, Compare, Verify: the controller first commits the addressed blocks to non-volatile media
 *   and then reads them from there (NVM CS 1.1 §3.3.1/§3.3.4/§3.3.5). The media offers a
 *   whole-namespace flush only, so FUA commits every cached block of the namespace — more than
 *   the spec requires, never less.
 *
 * Namespaces whose format has metadata (MS > 0) move it with the data: Read, Write and Compare
 * hand over to nvm_metadata.ts (separate buffer at MPTR, or extended LBAs; MDTS counts the data
 * buffer, so interleaved metadata counts and a separate buffer does not). Write Zeroes,
 * deallocation and Write Uncorrectable leave the blocks' metadata reading as zeros, as their data
 * does; Verify reads no metadata it could report on (no protection information).
 *
 * With `ctrl.noopIo` set every command is checked as usual and then completes without touching
 * the media (Read transfers whatever the bounce buffer holds). Otherwise Read moves the media's
 * bytes straight to host memory (`DataTransfer.toHostFromMedia`), with the same DMAs as a copy
 * through the bounce buffer would issue.
 *
 * @module
 */

import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import { DSM_RANGE_SIZE, DsmRange } from "../spec/nvm_commands.ts";
import { offsetOf } from "../spec/struct.ts";
import { getU64, getUint } from "../spec/_bytes.ts";
import { CACHED_WRITE, FUA_WRITE, READ_OK, type WriteOptions } from "./media.ts";
import type { NvmeController } from "./controller.ts";
import type { Namespace } from "./namespace.ts";
import { type Request, SQE_SLBA_OFFSET } from "./request.ts";
import { compareWithMetadata, readWithMetadata, writeWithMetadata } from "./nvm_metadata.ts";

const NSID_ALL = 0xffff_ffff;
/** CDW12.NLB (bits 15:0, 0's based). */
const NLB_MASK = 0xffff;
/** CDW12.FUA. */
const FUA = 1 << 30;
/**
 * CDW12.PRINFO bit 3 (CDW12 bit 29): PRACT. No namespace here is formatted with protection
 * information (Identify Namespace DPC = 0, DPS = 0), so a command asking the controller to insert
 * or strip PI is an Invalid Field in Command (NVM CS 1.1 §5.2.3). PRCHK (bits 28:26) names
 * checks of PI that does not exist and is ignored, as this controller always did.
 */
const PRACT = 1 << 29;
/** Write Zeroes CDW12.DEAC. */
const DEAC = 1 << 25;
/** Dataset Management CDW10.NR (bits 7:0, 0's based). */
const DSM_NR_MASK = 0xff;
/** Dataset Management CDW11.AD. */
const DSM_AD = 1 << 2;
/** Offsets inside a Dataset Management range (NVM CS 1.1 §3.3.3.1). */
const DSM_NLB_OFFSET = offsetOf(DsmRange, "nlb"), DSM_SLBA_OFFSET = offsetOf(DsmRange, "slba");
/** NLB in a range is a u32 (not 0's based). */
const DSM_NLB_BYTES = 4;

/** The namespace a command addresses, or the status to fail it with. */
export function commandNamespace(ctrl: NvmeController, req: Request): Namespace | number {
  const ns = ctrl.activeNamespace(req.nsid);
  if (ns) return ns;
  // NSID 0 or above NN is not a valid NSID: Invalid Namespace or Format. A valid NSID that is
  // not attached here (inactive) is an Invalid Field (Base 2.1 §3.2.1.x NSID usage; QEMU agrees).
  const valid = req.nsid !== 0 && req.nsid <= ctrl.namespaceCount();
  return (valid ? Status.INVALID_FIELD : Status.INVALID_NAMESPACE) | DNR;
}

/** The media write mode FUA (CDW12 bit 30) asks for. */
export function writeMode(req: Request): WriteOptions {
  return req.cdw(12) & FUA ? FUA_WRITE : CACHED_WRITE;
}

/** Blocks addressed by an LBA command (CDW12.NLB is 0's based). */
function blocksOf(req: Request): number {
  return (req.cdw(12) & NLB_MASK) + 1;
}

/** Whether `count` blocks at `slba` lie inside the namespace. */
export function inNamespace(ns: Namespace, slba: number, count: number): boolean {
  return slba + count <= ns.nsze;
}

/** The namespace of an LBA command whose range lies inside it, or the status to fail with. */
function lbaRange(ctrl: NvmeController, req: Request, hasPrinfo = true): Namespace | number {
  const ns = hasPrinfo ? noProtection(ctrl, req) : commandNamespace(ctrl, req);
  if (typeof ns === "number") return ns;
  if (!inNamespace(ns, req.qword(SQE_SLBA_OFFSET), blocksOf(req))) return outOfRange(ctrl);
  return ns;
}

/**
 * LBA Out of Range — or, under the `lba-range-unchecked` mutant (mutants.ts), Successful
 * Completion without touching the media.
 */
function outOfRange(ctrl: NvmeController): number {
  return ctrl.mutants["lba-range-unchecked"] ? Status.SUCCESS : Status.LBA_OUT_OF_RANGE | DNR;
}

/** The namespace of a command whose PRACT is clear, or Invalid Field (see `PRACT`). */
function noProtection(ctrl: NvmeController, req: Request): Namespace | number {
  const ns = commandNamespace(ctrl, req);
  if (typeof ns === "number") return ns;
  return req.cdw(12) & PRACT ? Status.INVALID_FIELD | DNR : ns;
}

/**
 * As {@linkcode lbaRange}, and the data buffer (NLB × (LBA data size + MS for extended LBAs))
 * must also fit MDTS.
 */
function dataRange(ctrl: NvmeController, req: Request): Namespace | number {
  const ns = lbaRange(ctrl, req);
  if (typeof ns === "number") return ns;
  if (
    blocksOf(req) * ns.transferBlockSize > ctrl.maxTransferBytes() &&
    !ctrl.mutants["mdts-not-enforced"]
  ) {
    return Status.INVALID_FIELD | DNR;
  }
  return ns;
}

/** Read/Compare/Verify FUA: commit cached data before reading from non-volatile media. */
function commitForFua(ns: Namespace, req: Request): void {
  if (req.cdw(12) & FUA) ns.media.flush();
}

// Trace events are emitted out of line so the Read and Write handlers stay small (inlinable).

function traceRead(ctrl: NvmeController, req: Request, nlb: number, count: number): void {
  ctrl.port.trace.emit({
    type: "nvm_read",
    cid: req.cid,
    nsid: req.nsid,
    nlb,
    count,
    lba: req.qword(SQE_SLBA_OFFSET),
  });
}

function traceWrite(ctrl: NvmeController, req: Request, nlb: number, count: number): void {
  ctrl.port.trace.emit({
    type: "nvm_write",
    cid: req.cid,
    verb: "write",
    nsid: req.nsid,
    nlb,
    count,
    lba: req.qword(SQE_SLBA_OFFSET),
  });
}

/** Read (opcode 02h); FUA reads committed data (see the module notes). */
export function read(ctrl: NvmeController, req: Request): number {
  const ns = dataRange(ctrl, req);
  if (typeof ns === "number") return ns;
  if (ns.metadataSize > 0) return readWithMetadata(ctrl, req, ns, (req.cdw(12) & FUA) !== 0);
  const blocks = blocksOf(req), bytes = blocks * ns.blockSize;
  const buf = ctrl.ioBuffer(bytes);
  if (ctrl.port.trace.enabled) traceRead(ctrl, req, blocks, bytes);
  if (ctrl.noopIo) return ctrl.transfer.toHost(req, buf, bytes, ctrl.regs.pageSize());
  commitForFua(ns, req);
  const slba = req.qword(SQE_SLBA_OFFSET);
  // An uncorrectable block fails the command before the data pointer is walked or any byte moves.
  if (ns.media.firstUncorrectable(slba, blocks) !== READ_OK) return Status.UNRECOVERED_READ_ERROR;
  // Media bytes go straight to host memory (one copy), with the DMAs `toHost` would issue.
  return ctrl.transfer.toHostFromMedia(
    req,
    bytes,
    ctrl.regs.pageSize(),
    ns.media,
    slba,
    blocks,
    buf,
  );
}

/** Write (opcode 01h): FUA (CDW12 bit 30) makes the data durable before completion. */
export function write(ctrl: NvmeController, req: Request): number {
  const ns = dataRange(ctrl, req);
  if (typeof ns === "number") return ns;
  if (ns.metadataSize > 0) return writeWithMetadata(ctrl, req, ns, writeMode(req));
  const blocks = blocksOf(req), bytes = blocks * ns.blockSize;
  const buf = ctrl.ioBuffer(bytes);
  if (ctrl.port.trace.enabled) traceWrite(ctrl, req, blocks, bytes);
  const x = ctrl.transfer.fromHost(req, buf, bytes, ctrl.regs.pageSize());
  if (x || ctrl.noopIo || ctrl.mutants["write-data-dropped"]) return x;
  ns.media.write(req.qword(SQE_SLBA_OFFSET), blocks, buf, 0, writeMode(req));
  return 0;
}

/** Compare (opcode 05h): Compare Failure when the host data differ from the media. */
export function compare(ctrl: NvmeController, req: Request): number {
  const ns = dataRange(ctrl, req);
  if (typeof ns === "number") return ns;
  if (ns.metadataSize > 0) return compareWithMetadata(ctrl, req, ns, (req.cdw(12) & FUA) !== 0);
  const blocks = blocksOf(req), bytes = blocks * ns.blockSize;
  const buf = ctrl.ioBuffer(bytes);
  const x = ctrl.transfer.fromHost(req, buf, bytes, ctrl.regs.pageSize());
  if (x || ctrl.noopIo) return x;
  commitForFua(ns, req);
  const slba = req.qword(SQE_SLBA_OFFSET);
  if (ns.media.firstUncorrectable(slba, blocks) !== READ_OK) return Status.UNRECOVERED_READ_ERROR;
  const same = ns.media.compare(slba, blocks, buf, 0) || ctrl.mutants["compare-always-succeeds"];
  return same ? 0 : Status.COMPARE_FAILURE | DNR;
}

/**
 * Verify (opcode 0Ch): checks readability without transferring data, so MDTS does not apply.
 * PRACT must be 0 (else Invalid Field in Command, NVM CS 1.1 §3.3.5, CDW12 PRINFO).
 */
export function verify(ctrl: NvmeController, req: Request): number {
  const ns = noProtection(ctrl, req);
  if (typeof ns === "number") return ns;
  const blocks = blocksOf(req), slba = req.qword(SQE_SLBA_OFFSET);
  if (!inNamespace(ns, slba, blocks)) return outOfRange(ctrl);
  if (ctrl.noopIo) return 0;
  commitForFua(ns, req);
  if (ns.media.firstUncorrectable(slba, blocks) !== READ_OK) return Status.UNRECOVERED_READ_ERROR;
  return 0;
}

/**
 * Write Zeroes (opcode 08h): no data transfer, so MDTS does not apply (no WZSL is reported).
 * DEAC (CDW12 bit 25) deallocates the blocks, which read as zeros (DLFEAT 001b) and are durable
 * at once; without DEAC the zeros go through the write cache unless FUA is set.
 */
export function writeZeroes(ctrl: NvmeController, req: Request): number {
  const ns = lbaRange(ctrl, req);
  if (typeof ns === "number") return ns;
  if (ctrl.noopIo) return 0;
  const slba = req.qword(SQE_SLBA_OFFSET), blocks = blocksOf(req);
  if (req.cdw(12) & DEAC) ns.media.deallocate(slba, blocks);
  else ns.media.writeZeroes(slba, blocks, writeMode(req));
  return 0;
}

/** Write Uncorrectable (opcode 04h): later reads of the range fail until it is written. */
export function writeUncorrectable(ctrl: NvmeController, req: Request): number {
  const ns = lbaRange(ctrl, req, false);
  if (typeof ns === "number") return ns;
  if (ctrl.noopIo) return 0;
  ns.media.markUncorrectable(req.qword(SQE_SLBA_OFFSET), blocksOf(req));
  return 0;
}

/**
 * Dataset Management (opcode 09h): NR + 1 ranges of 16 bytes from the host; with AD every range
 * is deallocated. A range outside the namespace fails the whole command before any change. No
 * processing limits (DMRL/DMRSL/DMSL) are reported, so none apply.
 */
export function datasetManagement(ctrl: NvmeController, req: Request): number {
  const ns = commandNamespace(ctrl, req);
  if (typeof ns === "number") return ns;
  const ranges = (req.cdw(10) & DSM_NR_MASK) + 1;
  const bytes = ranges * DSM_RANGE_SIZE;
  const buf = ctrl.ioBuffer(bytes);
  const x = ctrl.transfer.fromHost(req, buf, bytes, ctrl.regs.pageSize());
  if (x) return x;
  // Range i: CATTR (u32), NLB (u32, not 0's based), SLBA (u64) — NVM CS 1.1 §3.3.3.1.
  const nlbAt = (i: number) => getUint(buf, i * DSM_RANGE_SIZE + DSM_NLB_OFFSET, DSM_NLB_BYTES);
  const slbaAt = (i: number) => getU64(buf, i * DSM_RANGE_SIZE + DSM_SLBA_OFFSET);
  for (let i = 0; i < ranges; i++) {
    if (!inNamespace(ns, slbaAt(i), nlbAt(i))) return outOfRange(ctrl);
  }
  if (!(req.cdw(11) & DSM_AD) || ctrl.noopIo) return 0; // IDR/IDW are hints only
  for (let i = 0; i < ranges; i++) if (nlbAt(i) > 0) ns.media.deallocate(slbaAt(i), nlbAt(i));
  return 0;
}

/**
 * Flush (opcode 00h, Base 2.1 §7.2). NSID FFFFFFFFh (advertised in VWC bits 2:1) flushes every
 * namespace attached to this controller; NSID 0 and other invalid or inactive NSIDs are Invalid
 * Namespace or Format.
 */
export function flush(ctrl: NvmeController, req: Request): number {
  const skip = ctrl.noopIo || ctrl.mutants["flush-not-durable"];
  if (req.nsid === NSID_ALL) {
    if (skip) return 0;
    for (const nsid of ctrl.subsystem.activeNamespaces(ctrl.options.cntlid)) {
      ctrl.subsystem.namespace(nsid)?.media.flush();
    }
    return 0;
  }
  const ns = commandNamespace(ctrl, req);
  if (typeof ns === "number") return ns;
  if (!skip) ns.media.flush();
  return 0;
}
