/**
 * Copy (opcode 19h, NVM Command Set 1.1 §3.3.2): copies NR + 1 source ranges of one namespace,
 * in range order, to consecutive LBAs starting at SDLBA in the same namespace. The data pointer
 * holds the Source Range entries (32 bytes each); only descriptor format 0h is supported
 * (Identify Controller OCFS bit 0).
 *
 * Checks, in order (every failing status with DNR as the status table says):
 * 1. the namespace is active (else Invalid Namespace or Format);
 * 2. DESFMT is 0h (else Invalid Field in Command);
 * 3. NR ≤ MSRC (both 0's based), else Command Size Limit Exceeded — before any data moves;
 * 4. the Source Range entries are read from the host (PRP/SGL statuses, Data Transfer Error);
 * 5. every range's block count ≤ MSSRL and their sum ≤ MCL (else Command Size Limit Exceeded);
 * 6. every source range, then the destination range (SDLBA + the sum), lies inside the
 *    namespace (else LBA Out of Range).
 * No data is written when any of these fail, so Dword 0 of the completion stays 0h.
 *
 * Then each range in turn: an uncorrectable block in range `k` (Write Uncorrectable) ends the
 * command with Unrecovered Read Error and Dword 0 = `k`, the lowest numbered range not copied
 * (§3.3.2.1); ranges `0..k-1` are already written. Each range is copied as if read completely
 * before it is written (so a destination overlapping its own source is handled as `memmove`
 * does), in chunks of at most MDTS bytes through the controller's I/O buffer. FUA (CDW12 bit 30)
 * makes the written data durable before completion; LR is a hint. Each block's metadata (formats
 * with MS > 0) is copied with its data: it belongs to the logical block. The namespaces carry no
 * protection information, so PRINFOR/PRINFOW, the tags and STCW are ignored, as are DTYPE and
 * DSPEC (no directives are supported). With `ctrl.noopIo` the checks run and no media moves.
 *
 * The limits are constants of this controller; Identify Namespace should advertise them as
 * `msrc`, `mssrl` and `mcl`, and Identify Controller as ONCS bit 8 (Copy) and OCFS bit 0.
 *
 * @example The limits, as Identify Namespace reports them
 * ```ts
 * import { COPY_MCL, COPY_MSRC, COPY_MSSRL } from "./nvm_copy.ts";
 * if (COPY_MSRC + 1 !== 128 || COPY_MSSRL !== 0xffff || COPY_MCL !== 0xffff) throw new Error();
 * ```
 *
 * @module
 */

import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import { Copy, CopySourceRange } from "../spec/nvm_commands.ts";
import { offsetOf } from "../spec/struct.ts";
import { getU64, getUint } from "../spec/_bytes.ts";
import { READ_OK, type WriteOptions } from "./media.ts";
import type { NvmeController } from "./controller.ts";
import type { Namespace } from "./namespace.ts";
import type { Request } from "./request.ts";
import { commandNamespace, inNamespace, writeMode } from "./nvm_io.ts";
import { metadataBuffer } from "./nvm_metadata.ts";

/** Maximum Source Range Count (MSRC), 0's based: 128 ranges, one 4 KiB page of entries. */
export const COPY_MSRC = 127;
/** Maximum Single Source Range Length (MSSRL): blocks one Source Range entry may name. */
export const COPY_MSSRL = 0xffff;
/** Maximum Copy Length (MCL): blocks one Copy may write (the sum over its ranges). */
export const COPY_MCL = 0xffff;
/** The one Source Range entries descriptor format supported (OCFS bit 0). */
export const COPY_DESCRIPTOR_FORMAT_0 = 0;

/** Byte offset of SDLBA (CDW10–11) in the SQE (NVM CS 1.1 §3.3.2). */
const SDLBA = offsetOf(Copy, "sdlba");
/** CDW12.NR (bits 7:0, 0's based) and CDW12.DESFMT (bits 11:8). */
const NR_MASK = 0xff, DESFMT_SHIFT = 8, DESFMT_MASK = 0xf;
/** Source Range entry (format 0h) size and field offsets (NVM CS 1.1 §3.3.2.1). */
const RANGE_SIZE = CopySourceRange.size;
const RANGE_SLBA = offsetOf(CopySourceRange, "slba");
const RANGE_NLB = offsetOf(CopySourceRange, "nlb");
const NLB_BYTES = 2;

/**
 * The Source Range entries of the command being processed. One buffer serves every controller:
 * a command runs to completion before the next one starts, and the data moves through
 * `ctrl.ioBuffer`, so the entries must live elsewhere.
 */
const ranges = new Uint8Array((COPY_MSRC + 1) * RANGE_SIZE);

/** Starting LBA of entry `i`. */
function slbaAt(i: number): number {
  return getU64(ranges, i * RANGE_SIZE + RANGE_SLBA);
}

/** Blocks named by entry `i` (its NLB is 0's based). */
function blocksAt(i: number): number {
  return getUint(ranges, i * RANGE_SIZE + RANGE_NLB, NLB_BYTES) + 1;
}

/** Copy (opcode 19h). */
export function copy(ctrl: NvmeController, req: Request): number {
  const ns = commandNamespace(ctrl, req);
  if (typeof ns === "number") return ns;
  const cdw12 = req.cdw(12);
  if (((cdw12 >>> DESFMT_SHIFT) & DESFMT_MASK) !== COPY_DESCRIPTOR_FORMAT_0) {
    return Status.INVALID_FIELD | DNR;
  }
  const nr = cdw12 & NR_MASK;
  if (nr > COPY_MSRC) return Status.COMMAND_SIZE_LIMIT_EXCEEDED | DNR;
  const count = nr + 1, bytes = count * RANGE_SIZE;
  const x = ctrl.transfer.fromHost(req, ranges, bytes, ctrl.regs.pageSize());
  if (x) return x;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const n = blocksAt(i);
    if (n > COPY_MSSRL) return Status.COMMAND_SIZE_LIMIT_EXCEEDED | DNR;
    total += n;
  }
  if (total > COPY_MCL) return Status.COMMAND_SIZE_LIMIT_EXCEEDED | DNR;
  for (let i = 0; i < count; i++) {
    if (!inNamespace(ns, slbaAt(i), blocksAt(i))) return Status.LBA_OUT_OF_RANGE | DNR;
  }
  const sdlba = req.qword(SDLBA);
  if (!inNamespace(ns, sdlba, total)) return Status.LBA_OUT_OF_RANGE | DNR;
  if (ctrl.noopIo) return 0;
  const mode = writeMode(req);
  for (let i = 0, dst = sdlba; i < count; i++) {
    const src = slbaAt(i), n = blocksAt(i);
    if (ns.media.firstUncorrectable(src, n) !== READ_OK) {
      req.dw0 = i; // the lowest numbered Source Range entry not copied (§3.3.2.1)
      return Status.UNRECOVERED_READ_ERROR;
    }
    copyBlocks(ctrl, ns, src, dst, n, mode);
    dst += n;
  }
  return 0;
}

/**
 * Copies `count` blocks from `src` to `dst` through the I/O buffer, at most MDTS bytes at a time,
 * backwards when the destination overlaps the end of the source (so no block is overwritten
 * before it is read).
 */
function copyBlocks(
  ctrl: NvmeController,
  ns: Namespace,
  src: number,
  dst: number,
  count: number,
  mode: WriteOptions,
): void {
  const bs = ns.blockSize, ms = ns.metadataSize;
  const chunk = Math.max(1, Math.floor(ctrl.maxTransferBytes() / bs));
  const buf = ctrl.ioBuffer(Math.min(count, chunk) * bs);
  const meta = ms > 0 ? metadataBuffer(Math.min(count, chunk) * ms) : null;
  const backward = dst > src && dst < src + count;
  for (let done = 0; done < count;) {
    const n = Math.min(chunk, count - done);
    const off = backward ? count - done - n : done;
    ns.media.read(src + off, n, buf, 0);
    if (meta !== null) ns.media.readMetadata(src + off, n, meta, 0);
    ns.media.write(dst + off, n, buf, 0, mode, meta, 0);
    done += n;
  }
}
