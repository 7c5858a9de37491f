/**
 * Shadow doorbells the way Linux's `nvme_dbbuf_*` uses them (Base 2.1 §5.2.5 Doorbell Buffer
 * Config; the EventIdx rule is virtio's `vring_need_event`):
 *
 * - two host buffers laid out like the doorbell registers (SQ tail of queue q at entry
 *   `2q·stride`, CQ head at `(2q+1)·stride`), zeroed at every (re)initialisation;
 * - I/O queues only: the admin queue always rings MMIO;
 * - an update writes the shadow entry first, then (after a full barrier) reads the EventIdx entry,
 *   and rings the MMIO doorbell only when the update crossed the EventIdx
 *   (`needEventLinux(eventIdx, new, old)`, with `old` read back from the shadow buffer).
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { doorbellStride, needEventLinux } from "../../spec/doorbell.ts";
import { CTRL_PAGE_SIZE } from "./data_mapping.ts";

/** Bytes of one doorbell slot pair per queue (SQ tail + CQ head) at stride 1. */
const BYTES_PER_QUEUE = 8;

/** The two buffers and the per-queue slot addresses. */
export class ShadowDoorbellBuffers {
  /** Shadow doorbell buffer address (PRP1 of Doorbell Buffer Config). */
  readonly dbs: number;
  /** EventIdx buffer address (PRP2). */
  readonly eis: number;
  /** Buffer size in bytes. */
  readonly size: number;
  readonly #strideBytes: number;

  /** Allocates buffers for `queues` queues (admin included) at doorbell stride `dstrd`. */
  constructor(readonly host: HostPort, queues: number, dstrd: number) {
    this.#strideBytes = doorbellStride(dstrd);
    const bytes = queues * BYTES_PER_QUEUE * (this.#strideBytes / 4);
    this.size = Math.ceil(bytes / CTRL_PAGE_SIZE) * CTRL_PAGE_SIZE;
    this.dbs = host.allocate(this.size, CTRL_PAGE_SIZE);
    this.eis = host.allocate(this.size, CTRL_PAGE_SIZE);
    this.clear();
  }

  /** True when the buffers cover queue `qid`. */
  covers(qid: number): boolean {
    return this.slot(qid, true) + 4 <= this.size;
  }

  /** Byte offset of a queue's SQ (`isCq` false) or CQ slot within either buffer. */
  slot(qid: number, isCq: boolean): number {
    return (2 * qid + (isCq ? 1 : 0)) * this.#strideBytes;
  }

  /** Zeroes both buffers ("so the driver doesn't observe stale values" after a reset). */
  clear(): void {
    this.host.memFill(this.dbs, this.size, 0);
    this.host.memFill(this.eis, this.size, 0);
  }

  /** Releases the buffers. */
  free(): void {
    this.host.free(this.dbs);
    this.host.free(this.eis);
  }
}

/**
 * `nvme_dbbuf_update_and_check_event`: writes `value` into the shadow slot at `db` and returns
 * whether the MMIO doorbell is still needed, from the EventIdx at `ei`. Returns the EventIdx read
 * through `out[0]` for tracing.
 */
export function updateAndCheckEvent(
  host: HostPort,
  value: number,
  db: number,
  ei: number,
  out: Int32Array,
): boolean {
  const old = host.memReadU32(db) & 0xffff;
  host.memWriteU32(db, value);
  // mb(): the shadow write must be visible before the EventIdx is read (the controller orders
  // its EventIdx update before re-reading the shadow value).
  const eventIdx = host.memReadU32(ei) & 0xffff;
  out[0] = eventIdx;
  return needEventLinux(eventIdx, value, old);
}
