/**
 * Private helpers of the registers, reset, admin-queue and io-queues cases: register field
 * access, BAR sizing through PCI configuration space, the commands the cases submit most, and
 * the queue-walk checks shared by the admin and I/O queue cases. Everything here goes through
 * {@linkcode HostPort} and the raw host only, never through a controller model.
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import {
  findCapability,
  MsixCapability,
  PciCapabilityId,
  PciCommand,
  PciConfigOffset,
} from "../../platform/pci_config.ts";
import { GetFeatures } from "../../spec/admin_commands.ts";
import {
  CompletionQueueEntry,
  CQE_SIZE,
  CQE_SIZE_SHIFT,
  CQE_STATUS_OFFSET,
} from "../../spec/cqe.ts";
import { FeatureId } from "../../spec/features.ts";
import { Flush } from "../../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import {
  CC,
  CcBit,
  CSTS,
  CstsBit,
  decodeRegister,
  encodeRegister,
  RegisterOffset,
  ShutdownStatus,
  timeoutUnitsToNs,
} from "../../spec/registers.ts";
import { SQE_SIZE_SHIFT } from "../../spec/sqe.ts";
import { offsetOf } from "../../spec/struct.ts";
import { Status } from "../../spec/status.ts";
import type { CCValue, CSTSValue } from "../../spec/value_types.ts";
import type { CaseContext } from "../case.ts";
import { type Completion, pollUntil, type RawQueue } from "../raw_host.ts";

/** CSTS.RDY (bit 0, Base 2.1 §3.1.4.6). */
export const CSTS_RDY: number = CstsBit.RDY;
/** CSTS.NSSRO (bit 4, RW1C). */
export const CSTS_NSSRO: number = CstsBit.NSSRO;
/** CC.EN (bit 0, Base 2.1 §3.1.4.5). */
export const CC_EN: number = CcBit.EN;
/** Bits 11:0 of ASQ/ACQ: reserved, the base is memory-page aligned (Base 2.1 §3.1.4.9/10). */
export const ADMIN_BASE_RESERVED_MASK = 0xfff;
/** A wait for something that must not happen: how long the case watches (10 ms target time). */
export const QUIET_WINDOW_NS = 10_000_000;
/** Shutdown wait when Identify reports no RTD3E: Linux's default `shutdown_timeout` (5 s). */
const DEFAULT_SHUTDOWN_TIMEOUT_NS = 5_000_000_000;
/** NSQR/NCQR value FFFFh: 65536 queues, which Number of Queues does not allow (Base 2.1 §5.1.25). */
export const QUEUE_COUNT_INVALID = 0xffff;
/** CAP.CSS bit 7: the controller supports no I/O Command Set (admin only). */
export const CAP_CSS_ADMIN_ONLY_BIT = 7;
/** Bytes of one MSI-X table entry (PCIe Base §7.7.2). */
const MSIX_ENTRY_BYTES = 16;
/** Pending bits per PBA qword. */
const PBA_BITS_PER_QWORD = 64;
/** Bytes per PBA qword. */
const PBA_QWORD_BYTES = 8;
/** Nanoseconds per microsecond (RTD3E is in microseconds). */
const NS_PER_US = 1000;

/** CC value with the given fields (others 0). */
export function ccValue(fields: Partial<CCValue>): number {
  return Number(encodeRegister(CC, fields));
}

/** The CC a normal enable writes: EN, NVM command set, 4 KiB pages, 64 B SQEs, 16 B CQEs. */
export function enabledCc(extra: Partial<CCValue> = {}): number {
  return ccValue({ en: 1, iosqes: SQE_SIZE_SHIFT, iocqes: CQE_SIZE_SHIFT, ...extra });
}

/** CSTS decoded. */
export function readCsts(host: HostPort): CSTSValue {
  return decodeRegister(CSTS, host.read32(RegisterOffset.CSTS));
}

/** The SQE of Get Features Number of Queues: a mandatory admin command with no data transfer. */
export function getNumberOfQueuesSqe(): Uint8Array {
  return GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, fid: FeatureId.NUMBER_OF_QUEUES });
}

/** The SQE of Flush on `nsid`: a mandatory I/O command with no data transfer. */
export function flushSqe(nsid: number): Uint8Array {
  return Flush.encode({ opcode: NvmOpcode.FLUSH, nsid });
}

/** Reads the status of a completion as "ok" or fails the case with `what`. */
export function expectSuccess(ctx: CaseContext, c: Completion, what: string): void {
  ctx.expectStatus(c, Status.SUCCESS, what);
}

/** The worst-case shutdown time: Identify RTD3E when reported, else 5 s, never below CAP.TO. */
export function shutdownTimeoutNs(ctx: CaseContext): number {
  const rtd3e = ctx.caps.identify?.rtd3e ?? 0;
  const base = rtd3e > 0 ? rtd3e * NS_PER_US : DEFAULT_SHUTDOWN_TIMEOUT_NS;
  return Math.max(base, timeoutUnitsToNs(Math.max(1, ctx.caps.cap.to)));
}

/**
 * Requests a shutdown by writing CC with `shn` (EN kept) and watches CSTS.SHST until it reads
 * "complete"; returns every distinct SHST value seen, in order. Fails the case when SHST ever
 * moves backwards or never completes.
 */
export function shutdownAndWatch(ctx: CaseContext, shn: number, cc = enabledCc()): number[] {
  const host = ctx.host;
  host.write32(RegisterOffset.CC, (cc | ccValue({ shn })) >>> 0);
  const seen: number[] = [readCsts(host).shst];
  const done = pollUntil(host, () => {
    const shst = readCsts(host).shst;
    if (shst !== seen[seen.length - 1]) seen.push(shst);
    return shst === ShutdownStatus.COMPLETE;
  }, shutdownTimeoutNs(ctx));
  ctx.check(done, `CSTS.SHST never reached 10b (complete); values seen: ${seen.join(" → ")}`);
  for (let i = 1; i < seen.length; i++) {
    ctx.check(
      seen[i] > seen[i - 1],
      `CSTS.SHST moved backwards: ${seen.join(" → ")} (expected 00b → 01b → 10b)`,
    );
  }
  return seen;
}

/** BAR0 size in bytes, by the PCI sizing protocol (all-ones write, read back, restore) with
 * Memory Space decode off meanwhile, as system software does. */
export function bar0Size(host: HostPort): number {
  const cmd = host.configRead(PciConfigOffset.COMMAND, 2);
  host.configWrite(PciConfigOffset.COMMAND, 2, cmd & ~PciCommand.MEMORY_SPACE);
  const lo = host.configRead(PciConfigOffset.BAR0, 4);
  const hi = host.configRead(PciConfigOffset.BAR1, 4);
  host.configWrite(PciConfigOffset.BAR0, 4, 0xffffffff);
  host.configWrite(PciConfigOffset.BAR1, 4, 0xffffffff);
  const sizedLo = host.configRead(PciConfigOffset.BAR0, 4);
  const sizedHi = host.configRead(PciConfigOffset.BAR1, 4);
  host.configWrite(PciConfigOffset.BAR0, 4, lo);
  host.configWrite(PciConfigOffset.BAR1, 4, hi);
  host.configWrite(PciConfigOffset.COMMAND, 2, cmd);
  // A 64-bit memory BAR: the size mask spans both dwords; flags are bits 3:0 of the low dword.
  const mask = (BigInt(sizedHi >>> 0) << 32n) | BigInt((sizedLo & ~0xf) >>> 0);
  const size = ((~mask) & 0xffff_ffff_ffff_ffffn) + 1n;
  return Number(size);
}

/** Sets Memory Space and Bus Master again (a function-level event resets PCI Command). */
export function restorePciCommand(host: HostPort): void {
  const cmd = host.configRead(PciConfigOffset.COMMAND, 2);
  host.configWrite(
    PciConfigOffset.COMMAND,
    2,
    cmd | PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER,
  );
}

/** A byte range [start, end) in BAR0. */
export type Bar0Range = readonly [number, number];

/** The BAR0 ranges of the MSI-X table and PBA (when they live in BAR0), else empty. */
export function msixRangesInBar0(host: HostPort): Bar0Range[] {
  const read = (o: number, s: 1 | 2 | 4) => host.configRead(o, s);
  const cap = findCapability(read, PciCapabilityId.MSIX);
  if (cap === 0) return [];
  const vectors = (read(cap + MsixCapability.CONTROL, 2) & MsixCapability.CONTROL_TABLE_SIZE) + 1;
  const out: Bar0Range[] = [];
  const pbaBytes = Math.ceil(vectors / PBA_BITS_PER_QWORD) * PBA_QWORD_BYTES;
  for (
    const [reg, bytes] of [
      [MsixCapability.TABLE, vectors * MSIX_ENTRY_BYTES],
      [MsixCapability.PBA, pbaBytes],
    ] as const
  ) {
    const dw = read(cap + reg, 4);
    if ((dw & MsixCapability.BIR_MASK) !== 0) continue; // BIR 0 is BAR0
    const start = (dw & ~MsixCapability.BIR_MASK) >>> 0;
    out.push([start, start + bytes]);
  }
  return out;
}

/** CQE dword 3 (Base 2.1 §4.2.1): the CID, then the status field with the phase tag in bit 0. */
const CQE_DW3 = offsetOf(CompletionQueueEntry, "cid");
const PHASE_SHIFT = 8 * (CQE_STATUS_OFFSET - CQE_DW3);

/** True when no CQE with phase `phase` sits in any of `slots` slots of the CQ at `cq`. */
export function noCqeWithPhase(host: HostPort, cq: number, slots: number, phase: number): boolean {
  for (let i = 0; i < slots; i++) {
    const dw3 = host.memReadU32(cq + i * CQE_SIZE + CQE_DW3);
    if (((dw3 >>> PHASE_SHIFT) & 1) === phase) return false;
  }
  return true;
}

/**
 * Submits `count` commands one at a time on `q` (each waited for before the next), checking
 * every completion: status success, CID echoed, SQID = `q.qid`, SQ Head = the tail after the
 * command (one outstanding command: the head has consumed exactly it), and the phase tag equal to
 * 1 on the first pass over the CQ and inverted on each wrap (Base 2.1 §4.2.1, §4.2.4, §3.3.1).
 */
export function checkOneByOne(
  ctx: CaseContext,
  q: RawQueue,
  count: number,
  makeSqe: () => Uint8Array,
): void {
  for (let i = 0; i < count; i++) {
    const expectedPhase = Math.floor(i / q.cqSize) % 2 === 0 ? 1 : 0;
    const cid = q.submit(makeSqe());
    const tail = q.sqTail;
    const c = q.wait();
    const at = `command ${i} (SQ ${q.qid} size ${q.sqSize}, CQ size ${q.cqSize})`;
    expectSuccess(ctx, c, at);
    ctx.check(c.cid === cid, `${at}: CID ${c.cid}, submitted ${cid}`);
    ctx.check(c.sqid === q.qid, `${at}: SQID ${c.sqid}, expected ${q.qid}`);
    ctx.check(c.sqhd === tail, `${at}: SQ Head ${c.sqhd}, expected ${tail} (tail after it)`);
    ctx.check(c.phase === expectedPhase, `${at}: phase ${c.phase}, expected ${expectedPhase}`);
  }
}

/**
 * Submits `count` commands with one doorbell write and collects their completions; checks every
 * CID completes exactly once with success, SQID = `q.qid`, and SQ Head values never move
 * backwards (modulo the queue size) and end at the tail.
 */
export function checkBatch(
  ctx: CaseContext,
  q: RawQueue,
  count: number,
  makeSqe: () => Uint8Array,
): void {
  const startHead = q.sqTail;
  const pending = new Set<number>();
  for (let i = 0; i < count; i++) pending.add(q.submit(makeSqe(), { ring: false }));
  q.ring();
  let lastAdvance = 0;
  for (let i = 0; i < count; i++) {
    const c = q.wait();
    expectSuccess(ctx, c, `batch completion ${i}`);
    ctx.check(c.sqid === q.qid, `batch completion ${i}: SQID ${c.sqid}, expected ${q.qid}`);
    ctx.check(pending.delete(c.cid), `batch completion ${i}: CID ${c.cid} unknown or repeated`);
    const advance = (c.sqhd - startHead + q.sqSize) % q.sqSize;
    ctx.check(
      advance >= lastAdvance,
      `batch completion ${i}: SQ Head ${c.sqhd} moved backwards (previous advance ${lastAdvance})`,
    );
    lastAdvance = advance;
  }
  ctx.check(
    lastAdvance === count % q.sqSize,
    `last SQ Head ${(startHead + lastAdvance) % q.sqSize}, expected the tail ${q.sqTail}`,
  );
}
