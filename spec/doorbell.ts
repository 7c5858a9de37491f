/**
 * Doorbell register arithmetic (PCIe Transport 1.1 §3.1.2, "Submission Queue y Tail Doorbell" / "Completion Queue y Head Doorbell") and the
 * EventIdx `need_event` rule used with shadow doorbells (Base 2.1 §5.2.5, Doorbell Buffer Config).
 *
 * @example Doorbell offsets with a stride
 * ```ts
 * import { cqHeadDoorbell, sqTailDoorbell } from "./doorbell.ts";
 * // DSTRD = 0: 4-byte stride. SQ1 tail at 0x1008, CQ1 head at 0x100C.
 * if (sqTailDoorbell(1, 0) !== 0x1008 || cqHeadDoorbell(1, 0) !== 0x100c) throw new Error();
 * ```
 *
 * @module
 */

/** BAR0 offset of the first doorbell register (SQ0TDBL). */
export const DOORBELL_BASE = 0x1000;

/** Doorbell stride in bytes for a CAP.DSTRD value: `4 << DSTRD`. */
export function doorbellStride(dstrd: number): number {
  return 4 << dstrd;
}

/** BAR0 offset of the doorbell for queue `qid`: `0x1000 + (2*qid + isCq) * (4 << DSTRD)`. */
export function doorbellOffset(qid: number, isCq: boolean, dstrd: number): number {
  return DOORBELL_BASE + (2 * qid + (isCq ? 1 : 0)) * (4 << dstrd);
}

/** BAR0 offset of Submission Queue `qid`'s Tail Doorbell (SQyTDBL). */
export function sqTailDoorbell(qid: number, dstrd: number): number {
  return doorbellOffset(qid, false, dstrd);
}

/** BAR0 offset of Completion Queue `qid`'s Head Doorbell (CQyHDBL). */
export function cqHeadDoorbell(qid: number, dstrd: number): number {
  return doorbellOffset(qid, true, dstrd);
}

/** What a BAR0 offset in the doorbell area addresses. */
export interface DoorbellTarget {
  /** Queue identifier. */
  readonly qid: number;
  /** True for a Completion Queue Head doorbell, false for a Submission Queue Tail doorbell. */
  readonly isCq: boolean;
}

/**
 * Decodes a BAR0 offset into the doorbell it addresses, or null when it is below the doorbell
 * area or between doorbells (not a multiple of the stride). Inverse of {@linkcode doorbellOffset}.
 */
export function decodeDoorbell(offset: number, dstrd: number): DoorbellTarget | null {
  if (offset < DOORBELL_BASE) return null;
  const stride = 4 << dstrd;
  const rel = offset - DOORBELL_BASE;
  if (rel % stride !== 0) return null;
  const index = rel / stride;
  return { qid: index >>> 1, isCq: (index & 1) === 1 };
}

/**
 * The EventIdx rule as Linux writes it (`nvme_dbbuf_need_event`, same as virtio's
 * `vring_need_event`): after moving a doorbell value from `oldValue` to `newValue`, the host must
 * also write the MMIO doorbell iff `eventIdx` lies in the half-open window `[old, new)` modulo
 * 2^16, i.e. the controller asked to be told when the value passes `eventIdx`.
 *
 * `(u16)(new - eventIdx - 1) < (u16)(new - old)`.
 */
export function needEventLinux(eventIdx: number, newValue: number, oldValue: number): boolean {
  return ((newValue - eventIdx - 1) & 0xffff) < ((newValue - oldValue) & 0xffff);
}

/**
 * The EventIdx rule as SPDK writes it (`nvme_pcie_qpair_need_event`):
 * `(u16)(new - eventIdx) <= (u16)(new - old)`, true iff `eventIdx` is in the closed window
 * `[old, new]`. It differs from {@linkcode needEventLinux} only when `eventIdx == new` (SPDK rings
 * one MMIO more than needed, never fewer), which a property shows over the whole 16-bit wrap.
 */
export function needEventSpdk(eventIdx: number, newValue: number, oldValue: number): boolean {
  return ((newValue - eventIdx) & 0xffff) <= ((newValue - oldValue) & 0xffff);
}
