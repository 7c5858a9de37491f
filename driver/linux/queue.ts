/**
 * One Linux-like queue pair (`struct nvme_queue`): SQ and CQ memory, the SQ tail with Linux's
 * doorbell batching (`nvme_write_sq_db`), CQ head and phase (`nvme_cqe_pending`,
 * `nvme_update_cq_head`), one CQ head doorbell per drain, shadow doorbell slots, and the request
 * tags (`depth − 1` of them, so the SQ can never overrun and the CQ never overflows).
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { CQE_SIZE, CQE_SIZE_SHIFT } from "../../spec/cqe.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../../spec/doorbell.ts";
import { SQE_SIZE, SQE_SIZE_SHIFT } from "../../spec/sqe.ts";
import type { CompletionCallback, DriverCommand } from "../model.ts";
import {
  CQE_CID,
  CQE_DW0,
  CQE_DW3_STATUS_SHIFT,
  CQE_SQHD,
  CQE_STATUS,
  SQE_CID,
  SQE_NSID,
  SQE_OPCODE,
} from "./_queue_entries.ts";
import { CTRL_PAGE_SIZE, IoDescriptors } from "./data_mapping.ts";
import { updateAndCheckEvent } from "./dbbuf.ts";

/** One request slot (a blk-mq tag with its `nvme_iod`). */
export class LinuxRequest {
  /** 4-bit generation counter, bumped when a completion for this tag is consumed. */
  genctr = 0;
  /** Submitted and not yet ended. */
  inFlight = false;
  /** The command, while in flight. */
  cmd: DriverCommand | null = null;
  /** The callback, while in flight (null for driver-internal commands with `internal`). */
  done: CompletionCallback | null = null;
  /** Virtual time at which the request times out. */
  deadline = 0;
  /** An Abort was sent for it (a second timeout resets the controller). */
  aborted = false;
  /** The command identifier in the SQE. */
  cid = 0;
  /** Descriptor memory (PRP lists / SGL segments), reused. */
  readonly iod: IoDescriptors = new IoDescriptors();
  /** A request slot of `queue` with `tag`. */
  constructor(readonly queue: NvmeQueue, readonly tag: number) {}
}

/**
 * Reusable scratch for one CQE, shared by every queue and driver. Safe only because the CQE
 * handler (`LinuxCore.handleCqe`) reads every field it needs before it calls the completion
 * callback: a callback may reap again (a nested `wait()`), which overwrites this buffer.
 */
export const cqeScratch: Uint8Array = new Uint8Array(CQE_SIZE);
const cqeView = new DataView(cqeScratch.buffer);
const eventIdxOut = new Int32Array(1);

/** A queue pair with its tags. */
export class NvmeQueue {
  /** Next SQ slot. */
  sqTail = 0;
  /** Tail value the controller was last told (MMIO or shadow). */
  lastSqTail = 0;
  /** Next CQ slot to read. */
  cqHead = 0;
  /** Expected phase at `cqHead`. */
  cqPhase = 1;
  /** Last SQ head the controller reported in a CQE. */
  sqHead = 0;
  /** Shadow doorbell slots (addresses) or 0 when this queue rings MMIO only. */
  dbbufSqDb = 0;
  /** EventIdx slot for the SQ. */
  dbbufSqEi = 0;
  /** Shadow slot for the CQ head. */
  dbbufCqDb = 0;
  /** EventIdx slot for the CQ. */
  dbbufCqEi = 0;
  /** Requests in flight on this queue. */
  inFlight = 0;
  /**
   * Request slots created so far, indexed by tag. A slot is created on the first use of its tag
   * (never-used tags are handed out in ascending order), so bring-up costs nothing per tag.
   */
  readonly tags: LinuxRequest[] = [];
  /** Tags this queue may hand out. */
  readonly tagCount: number;
  /** Returned tags, a stack: the most recently freed tag is reused first. */
  readonly #free: number[] = [];
  /** SQ memory. */
  readonly sq: number;
  /** CQ memory. */
  readonly cq: number;
  readonly #sqDb: number;
  readonly #cqDb: number;

  /** Allocates SQ and CQ memory (page aligned, zeroed CQ); `tagCount` request slots on demand. */
  constructor(
    readonly host: HostPort,
    readonly qid: number,
    readonly depth: number,
    dstrd: number,
    tagCount: number,
    readonly vector: number,
    readonly polled: boolean,
  ) {
    this.sq = host.allocate(Math.max(depth << SQE_SIZE_SHIFT, CTRL_PAGE_SIZE), CTRL_PAGE_SIZE);
    this.cq = host.allocate(Math.max(depth << CQE_SIZE_SHIFT, CTRL_PAGE_SIZE), CTRL_PAGE_SIZE);
    host.memFill(this.cq, depth * CQE_SIZE, 0);
    this.#sqDb = sqTailDoorbell(qid, dstrd);
    this.#cqDb = cqHeadDoorbell(qid, dstrd);
    this.tagCount = tagCount;
  }

  /**
   * A free request slot, or null: the most recently freed tag, else the lowest never-used one —
   * the order of a free stack preloaded with every tag, lowest on top.
   */
  allocTag(): LinuxRequest | null {
    if (!this.hasFreeTag) return null;
    // The controller said where its head is: never fill the slot just behind it.
    if ((this.sqTail + 1) % this.depth === this.sqHead && this.inFlight > 0) return null;
    if (this.#free.length > 0) return this.tags[this.#free.pop()!];
    const req = new LinuxRequest(this, this.tags.length);
    this.tags.push(req);
    return req;
  }

  /** True when a slot is free. */
  get hasFreeTag(): boolean {
    return this.#free.length > 0 || this.tags.length < this.tagCount;
  }

  /** Returns a slot. */
  freeTag(req: LinuxRequest): void {
    this.#free.push(req.tag);
  }

  /** `nvme_sq_copy_cmd`: copies the SQE to the tail and advances it with wrap. */
  copyCommand(sqe: Uint8Array): void {
    const slot = this.sqTail;
    this.host.memWrite(this.sq + slot * SQE_SIZE, sqe, 0, SQE_SIZE);
    const t = this.host.trace;
    if (t.enabled) {
      const dv = new DataView(sqe.buffer, sqe.byteOffset, SQE_SIZE);
      t.emit({
        type: "sqe_written",
        qid: this.qid,
        slot,
        opcode: sqe[SQE_OPCODE],
        cid: dv.getUint16(SQE_CID, true),
        nsid: dv.getUint32(SQE_NSID, true),
        bytes: sqe.slice(0, SQE_SIZE),
      });
    }
    if (++this.sqTail === this.depth) this.sqTail = 0;
  }

  /** `nvme_write_sq_db`: rings when asked to, or when the next command would reach the last tail
   * the controller saw; through the shadow doorbell when configured. */
  writeSqDoorbell(writeSq: boolean): void {
    if (!writeSq) {
      const next = this.sqTail + 1 === this.depth ? 0 : this.sqTail + 1;
      if (next !== this.lastSqTail) return;
    }
    this.#ring(this.sqTail, this.dbbufSqDb, this.dbbufSqEi, this.#sqDb, false);
    this.lastSqTail = this.sqTail;
  }

  /** `nvme_commit_rqs`: rings if commands were copied but not announced. */
  commit(): void {
    if (this.sqTail !== this.lastSqTail) this.writeSqDoorbell(true);
  }

  /** `nvme_cqe_pending`: the phase of the entry at the head is the expected one. */
  cqePending(): boolean {
    // One dword read: DW3 holds the CID and, above it, the status field with the phase tag.
    const dw3 = this.host.memReadU32(this.cq + this.cqHead * CQE_SIZE + CQE_CID);
    const status = dw3 >>> CQE_DW3_STATUS_SHIFT;
    return (status & 1) === this.cqPhase;
  }

  /**
   * `nvme_poll_cq`: consumes every pending CQE (phase first, then the whole entry), calling
   * `handle` with the CQE in {@linkcode cqeScratch}, and rings the CQ head doorbell once.
   */
  reap(handle: (q: NvmeQueue, cqe: DataView) => void): number {
    let found = 0;
    while (this.cqePending()) {
      const slot = this.cqHead;
      this.host.memRead(this.cq + slot * CQE_SIZE, cqeScratch, 0, CQE_SIZE);
      found++;
      if (++this.cqHead === this.depth) {
        this.cqHead = 0;
        this.cqPhase ^= 1;
      }
      const t = this.host.trace;
      if (t.enabled) {
        const st = cqeView.getUint16(CQE_STATUS, true);
        t.emit({
          type: "cqe_consumed",
          qid: this.qid,
          slot,
          cid: cqeView.getUint16(CQE_CID, true),
          status: st >>> 1,
          phase: st & 1,
          sqhd: cqeView.getUint16(CQE_SQHD, true),
          dw0: cqeView.getUint32(CQE_DW0, true),
        });
      }
      const sqhd = cqeView.getUint16(CQE_SQHD, true);
      if (sqhd < this.depth) this.sqHead = sqhd;
      handle(this, cqeView);
    }
    if (found) this.#ring(this.cqHead, this.dbbufCqDb, this.dbbufCqEi, this.#cqDb, true);
    return found;
  }

  #ring(value: number, db: number, ei: number, mmio: number, isCq: boolean): void {
    let needMmio = true;
    if (db !== 0) needMmio = updateAndCheckEvent(this.host, value, db, ei, eventIdxOut);
    const t = this.host.trace;
    if (t.enabled) {
      t.emit({
        type: "doorbell_decision",
        qid: this.qid,
        isCq,
        value,
        eventIdx: db !== 0 ? eventIdxOut[0] : null,
        mmio: needMmio,
      });
    }
    if (needMmio) this.host.write32(mmio, value);
  }

  /** `nvme_init_queue`: tail, head and phase reset, CQ zeroed (after (re)creation). */
  init(): void {
    this.sqTail = 0;
    this.lastSqTail = 0;
    this.cqHead = 0;
    this.cqPhase = 1;
    this.sqHead = 0;
    this.host.memFill(this.cq, this.depth * CQE_SIZE, 0);
  }

  /** Releases queue memory (descriptor pages of the tags too). */
  free(): void {
    this.host.free(this.sq);
    this.host.free(this.cq);
    for (const r of this.tags) for (const p of r.iod.pages) this.host.free(p);
  }
}
