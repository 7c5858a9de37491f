/**
 * Shadow doorbells as SPDK uses them (Doorbell Buffer Config, Base 2.1 §5.2.5):
 *
 * - The two buffers are **one memory page each** (Shadow Doorbell, EventIdx), laid out like the
 *   doorbell registers: queue y's SQ slot at `2y × (4 << DSTRD)`, its CQ slot one stride later.
 *   So only the queues whose slots fit in a page are covered; others keep plain MMIO.
 * - They are configured during controller init, **before any I/O queue exists**, and a failed
 *   Doorbell Buffer Config only warns. The admin queue never uses them.
 * - An update writes the shadow slot, then reads EventIdx, and asks for an MMIO doorbell with
 *   SPDK's **inclusive** rule `(u16)(new − ev) <= (u16)(new − old)`: EventIdx in `[old, new]`
 *   (`needEventSpdk`; one MMIO more than Linux's rule when EventIdx equals the new value). The
 *   old value is this slot's previous content, read back from the shadow buffer itself.
 *
 * @example Slot offsets with DSTRD 0 and which queues a 4 KiB page covers
 * ```ts
 * import { shadowSlot, shadowCovers } from "./shadow_doorbell.ts";
 * if (shadowSlot(1, false, 0) !== 8 || shadowSlot(1, true, 0) !== 12) throw new Error();
 * if (!shadowCovers(511, 0, 4096) || shadowCovers(512, 0, 4096)) throw new Error();
 * ```
 *
 * @module
 */

import { doorbellStride, needEventSpdk } from "../../spec/doorbell.ts";
import type { HostPort } from "../../platform/ports.ts";

/** Doorbell values are 16-bit quantities stored in 32-bit little-endian slots. */
const U16 = 0xffff;
const SLOT_BYTES = 4;

/** Byte offset of queue `qid`'s SQ (or CQ) slot in either buffer. */
export function shadowSlot(qid: number, isCq: boolean, dstrd: number): number {
  return (2 * qid + (isCq ? 1 : 0)) * doorbellStride(dstrd);
}

/** True when both of queue `qid`'s slots fit in buffers of `pageSize` bytes. */
export function shadowCovers(qid: number, dstrd: number, pageSize: number): boolean {
  return shadowSlot(qid, true, dstrd) + SLOT_BYTES <= pageSize;
}

/** The pair of buffers, one memory page each, zeroed when allocated. */
export class DoorbellBuffers {
  /** Shadow Doorbell buffer (PRP1 of Doorbell Buffer Config). */
  readonly shadow: number;
  /** EventIdx buffer (PRP2 of Doorbell Buffer Config). */
  readonly eventIdx: number;

  /** Allocates both buffers page aligned and zeroes them (no stale values from a past life). */
  constructor(readonly host: HostPort, readonly pageSize: number, readonly dstrd: number) {
    this.shadow = host.allocate(pageSize, pageSize);
    this.eventIdx = host.allocate(pageSize, pageSize);
    host.memFill(this.shadow, pageSize, 0);
    host.memFill(this.eventIdx, pageSize, 0);
  }

  /** The doorbell of queue `qid` (SQ tail or CQ head), or null when the page does not cover it. */
  doorbell(qid: number, isCq: boolean): ShadowDoorbell | null {
    if (qid === 0 || !shadowCovers(qid, this.dstrd, this.pageSize)) return null;
    const off = shadowSlot(qid, isCq, this.dstrd);
    return new ShadowDoorbell(this.host, this.shadow + off, this.eventIdx + off);
  }

  /** Frees both buffers. */
  free(): void {
    this.host.free(this.shadow);
    this.host.free(this.eventIdx);
  }
}

/** One shadowed doorbell. */
export class ShadowDoorbell {
  /** The EventIdx value read by the last update (for traces). */
  lastEventIdx = 0;

  /** Binds the slot addresses. */
  constructor(
    readonly host: HostPort,
    readonly shadowAddr: number,
    readonly eventIdxAddr: number,
  ) {}

  /**
   * Writes `value` to the shadow slot, then reads EventIdx; true when the MMIO doorbell must be
   * written too. The order matters: the controller publishes EventIdx and then re-reads the
   * shadow, so reading EventIdx after our write means one of the two sides sees the other.
   */
  update(value: number): boolean {
    const old = this.host.memReadU32(this.shadowAddr) & U16;
    this.host.memWriteU32(this.shadowAddr, value & U16);
    const ev = this.host.memReadU32(this.eventIdxAddr) & U16;
    this.lastEventIdx = ev;
    return needEventSpdk(ev, value & U16, old);
  }
}
