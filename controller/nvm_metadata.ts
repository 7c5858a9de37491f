/**
 * Metadata of NVM I/O commands for namespaces whose format has metadata (MS > 0; NVM Command Set
 * 1.1 ("Metadata"), Base 2.1 §1.5 "metadata"): Read, Write and Compare move NLB × MS bytes
 * of metadata besides the data, in one of two ways that FLBAS bit 4 selects (Format NVM MSET):
 *
 * - **Separate buffer** (MSET 0): the metadata is one contiguous host buffer at MPTR (SQE bytes
 *   23:16). With PSDT 00b (PRPs) MPTR shall be dword aligned; the controller may report Invalid
 *   Field in Command otherwise (Base 2.1 Figure 92, Common Command Format) and this one does.
 *   PSDT 01b (SGLs, MPTR a contiguous buffer) is handled the same way: Identify Controller SGLS
 *   bit 17 (byte-aligned metadata buffers) is not advertised, so dword alignment still applies.
 *   PSDT 10b (MPTR the address of an SGL segment with one descriptor) needs SGLS bit 19, which is
 *   not advertised either: such a command is an Invalid Field in Command. A metadata DMA that the
 *   platform refuses (IOMMU: memory the host did not map) is a Data Transfer Error, the status
 *   for "transferring the data or metadata associated with a command" failing (Base 2.1, Generic
 *   Command Status 04h), and a Write or Compare then touches no media.
 * - **Extended LBA** (MSET 1): each block's MS bytes follow its data in the data buffer, which so
 *   holds NLB × (LBA data size + MS) bytes; MDTS counts all of them (Base 2.1 §5.1.13.2.1,
 *   Figure 312 MDTS: "If the MEM bit is cleared to '0' in the CTRATT field, then this field
 *   includes the length of metadata, if metadata is interleaved with the user data"; this
 *   controller reports CTRATT bit 16 (MEM) = 0). MPTR is not used.
 *
 * MDTS never counts a separate metadata buffer. No namespace has protection information (DPC = 0,
 * DPS = 0), so the metadata is opaque bytes and PRACT stays an Invalid Field (nvm_io.ts).
 *
 * The metadata passes through one module-level scratch buffer: a command runs to completion
 * before the next one starts. Namespaces without metadata never reach this module.
 *
 * @example Interleaving two 512-byte blocks with 8 bytes of metadata each, and back
 * ```ts
 * import { deinterleave, interleave } from "./nvm_metadata.ts";
 * const buf = new Uint8Array(2 * 520);
 * buf.fill(0xa, 0, 512).fill(0xb, 512, 1024);
 * const meta = new Uint8Array(16).fill(1, 0, 8).fill(2, 8, 16);
 * interleave(buf, meta, 2, 512, 8);
 * if (buf[512] !== 1 || buf[520] !== 0xb || buf[1032] !== 2) throw new Error("interleaved");
 * const out = new Uint8Array(16);
 * deinterleave(buf, out, 2, 512, 8);
 * const packed = [buf[511], buf[512], out[8]];
 * if (packed.join() !== "10,11,2") throw new Error("packed again");
 * ```
 *
 * @module
 */

import { Psdt } from "../spec/sqe.ts";
import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import { READ_OK, type WriteOptions } from "./media.ts";
import type { NvmeController } from "./controller.ts";
import type { Namespace } from "./namespace.ts";
import { type Request, SQE_MPTR_OFFSET, SQE_SLBA_OFFSET } from "./request.ts";

/** CDW12.NLB (bits 15:0, 0's based). */
const NLB_MASK = 0xffff;
/** MPTR bits 1:0: a dword-aligned address has them clear. */
const DWORD_ALIGN_MASK = 3;
/** The scratch buffer never shrinks below one page. */
const MIN_SCRATCH = 4096;

let scratch = new Uint8Array(MIN_SCRATCH);

/**
 * The shared metadata scratch buffer, at least `bytes` long (grown, never shrunk). Callers pass
 * offsets and lengths instead of taking views, so the command path allocates only when it grows.
 */
export function metadataBuffer(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(Math.max(bytes, MIN_SCRATCH));
  return scratch;
}

/**
 * 0 when MPTR may be used for a separate metadata buffer, else Invalid Field in Command (with
 * DNR): PSDT 10b (metadata SGLs are not supported) or an address that is not dword aligned.
 */
export function checkMptr(req: Request): number {
  const psdt = req.psdt();
  if (psdt === Psdt.SGL_MPTR_SGL) return Status.INVALID_FIELD | DNR;
  return req.sqe[SQE_MPTR_OFFSET] & DWORD_ALIGN_MASK ? Status.INVALID_FIELD | DNR : 0;
}

/**
 * Moves each block's MS metadata bytes behind its data: `buf` holds `blocks` × `bs` data bytes
 * and becomes `blocks` × (`bs` + `ms`) extended LBAs; `meta` holds the metadata in block order.
 * Works in place from the last block down, so no data byte is overwritten before it moves.
 */
export function interleave(
  buf: Uint8Array,
  meta: Uint8Array,
  blocks: number,
  bs: number,
  ms: number,
): void {
  const t = bs + ms;
  for (let i = blocks - 1; i >= 0; i--) {
    buf.copyWithin(i * t, i * bs, i * bs + bs);
    for (let j = 0, at = i * t + bs, from = i * ms; j < ms; j++) buf[at + j] = meta[from + j];
  }
}

/**
 * The inverse of {@linkcode interleave}: takes the metadata out of `blocks` extended LBAs in
 * `buf` into `meta` and packs the data at the front of `buf`, from the first block up.
 */
export function deinterleave(
  buf: Uint8Array,
  meta: Uint8Array,
  blocks: number,
  bs: number,
  ms: number,
): void {
  const t = bs + ms;
  for (let i = 0; i < blocks; i++) {
    for (let j = 0, at = i * t + bs, to = i * ms; j < ms; j++) meta[to + j] = buf[at + j];
    buf.copyWithin(i * bs, i * t, i * t + bs);
  }
}

/** Blocks addressed by an LBA command (CDW12.NLB is 0's based). */
function blocksOf(req: Request): number {
  return (req.cdw(12) & NLB_MASK) + 1;
}

/**
 * Fetches a command's data and metadata from the host into `ctrl.ioBuffer` (data packed at the
 * front) and the metadata scratch (from offset 0); 0 or the status that ends the command.
 */
function fetch(ctrl: NvmeController, req: Request, ns: Namespace, blocks: number): number {
  const bs = ns.blockSize, ms = ns.metadataSize;
  const separate = ns.separateMetadataSize > 0;
  if (separate) {
    const bad = checkMptr(req);
    if (bad) return bad;
  }
  const bytes = blocks * ns.transferBlockSize;
  const buf = ctrl.ioBuffer(bytes);
  const meta = metadataBuffer(blocks * ms);
  const x = ctrl.transfer.fromHost(req, buf, bytes, ctrl.regs.pageSize());
  if (x) return x;
  if (!separate) {
    deinterleave(buf, meta, blocks, bs, ms);
    return 0;
  }
  return ctrl.port.dmaRead(req.qword(SQE_MPTR_OFFSET), meta, 0, blocks * ms)
    ? 0
    : Status.DATA_TRANSFER_ERROR;
}

/**
 * Read (opcode 02h) of a namespace with metadata, after the namespace, range and MDTS checks:
 * the data and the blocks' metadata go to the host. `commit` (FUA) flushes the cache first.
 */
export function readWithMetadata(
  ctrl: NvmeController,
  req: Request,
  ns: Namespace,
  commit: boolean,
): number {
  const bs = ns.blockSize, ms = ns.metadataSize, blocks = blocksOf(req);
  const separate = ns.separateMetadataSize > 0;
  if (separate) {
    const bad = checkMptr(req);
    if (bad) return bad;
  }
  const bytes = blocks * ns.transferBlockSize;
  const buf = ctrl.ioBuffer(bytes);
  const meta = metadataBuffer(blocks * ms);
  if (!ctrl.noopIo) {
    const slba = req.qword(SQE_SLBA_OFFSET);
    if (commit) ns.media.flush();
    if (ns.media.read(slba, blocks, buf, 0) !== READ_OK) return Status.UNRECOVERED_READ_ERROR;
    ns.media.readMetadata(slba, blocks, meta, 0);
  }
  if (!separate) interleave(buf, meta, blocks, bs, ms);
  const x = ctrl.transfer.toHost(req, buf, bytes, ctrl.regs.pageSize());
  if (x || !separate) return x;
  return ctrl.port.dmaWrite(req.qword(SQE_MPTR_OFFSET), meta, 0, blocks * ms)
    ? 0
    : Status.DATA_TRANSFER_ERROR;
}

/**
 * Write (opcode 01h) of a namespace with metadata: data and metadata are fetched first, so a
 * refused transfer of either leaves the media as it was; then both are stored with `mode`.
 */
export function writeWithMetadata(
  ctrl: NvmeController,
  req: Request,
  ns: Namespace,
  mode: WriteOptions,
): number {
  const blocks = blocksOf(req);
  const x = fetch(ctrl, req, ns, blocks);
  if (x || ctrl.noopIo || ctrl.mutants["write-data-dropped"]) return x;
  ns.media.write(
    req.qword(SQE_SLBA_OFFSET),
    blocks,
    ctrl.ioBuffer(blocks * ns.transferBlockSize),
    0,
    mode,
    scratch,
    0,
  );
  return 0;
}

/**
 * Compare (opcode 05h) of a namespace with metadata: Compare Failure when the host's data or
 * metadata differ from the stored blocks (NVM Command Set 1.1 §3.3.1 compares the logical
 * blocks, metadata included). `commit` (FUA) flushes the cache first.
 */
export function compareWithMetadata(
  ctrl: NvmeController,
  req: Request,
  ns: Namespace,
  commit: boolean,
): number {
  const blocks = blocksOf(req);
  const x = fetch(ctrl, req, ns, blocks);
  if (x || ctrl.noopIo) return x;
  if (commit) ns.media.flush();
  const slba = req.qword(SQE_SLBA_OFFSET);
  if (ns.media.firstUncorrectable(slba, blocks) !== READ_OK) return Status.UNRECOVERED_READ_ERROR;
  const buf = ctrl.ioBuffer(blocks * ns.transferBlockSize);
  const same = (ns.media.compare(slba, blocks, buf, 0) &&
    ns.media.compareMetadata(slba, blocks, scratch, 0)) ||
    ctrl.mutants["compare-always-succeeds"];
  return same ? 0 : Status.COMPARE_FAILURE | DNR;
}
