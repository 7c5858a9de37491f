/**
 * An SPDK-like queue pair: one SQ, its own CQ, and a pool of trackers.
 *
 * - **Trackers** (tracker.ts): `entries − clamp(entries / 4, 1, 128)` of them; the clamp is also
 *   the most completions one `process()` reaps. Each owns a 4 KiB-aligned 4 KiB page holding its
 *   PRP list or SGL segment (prp_sgl.ts). **CID = tracker index**, no generation bits.
 * - **Submission.** The SQE is built in a reused buffer, copied into the SQ at the tail, and the
 *   tail advances with wrap. The SQ doorbell is rung at once, unless the command says `more`
 *   or the qpair delays submission (`delay_cmd_submit`), when `process()` or `flush()` rings it.
 *   The tail never passes the SQ head the controller reported in its CQEs (Base 2.1 §3.3.1.5).
 * - **Completion.** Phase tag first, then the rest of the CQE (Base 2.1 §4.2.1); the head wraps
 *   and flips the phase; SQHD is recorded; at most `maxCompletions` per call and **one** CQ head
 *   doorbell per call. A CID outside the trackers or naming a free tracker is counted and dropped
 *   (SPDK asserts; a hostile device must not crash us or make us touch memory out of range).
 * - **Doorbells.** With a shadow doorbell (I/O qpairs only), the shadow is written and EventIdx
 *   read first; the MMIO write follows only when SPDK's inclusive `need_event` says so.
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import {
  blankCompletion,
  type CompletionCallback,
  type DataSegment,
  type DriverCommand,
  type DriverCompletion,
} from "../model.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../../spec/doorbell.ts";
import { Psdt, SQE_SIZE, SubmissionQueueEntry, SubmissionQueueEntrySgl } from "../../spec/sqe.ts";
import { CompletionQueueEntry, CQE_SIZE, packStatus } from "../../spec/cqe.ts";
import { SGL_DESCRIPTOR_SIZE, SglDescriptor, SglType } from "../../spec/sgl.ts";
import { ringNext, ringUsed } from "../../spec/ring.ts";
import { STATUS_CODE_MASK } from "../../spec/status.ts";
import { PrpBuilder, SglBuilder, TRACKER_BYTES, TRACKER_LIST_OFFSET } from "./prp_sgl.ts";
import type { ShadowDoorbell } from "./shadow_doorbell.ts";
import { maxCompletionsCap, type TakenTracker, Tracker } from "./tracker.ts";

const SQE = (name: string) => SubmissionQueueEntry.field(name).offset;
const O_OPCODE = SQE("opcode"), O_FLAGS = SQE("psdt"), O_CID = SQE("cid"), O_NSID = SQE("nsid");
const O_CDW2 = SQE("cdw2"), O_CDW3 = SQE("cdw3"), O_MPTR = SQE("mptr");
const O_PRP1 = SQE("prp1"), O_PRP2 = SQE("prp2");
const O_CDW10 = SQE("cdw10"), O_CDW11 = SQE("cdw11"), O_CDW12 = SQE("cdw12");
const O_CDW13 = SQE("cdw13"), O_CDW14 = SQE("cdw14"), O_CDW15 = SQE("cdw15");
const O_SGL1 = SubmissionQueueEntrySgl.field("sgl_addr").offset;
/** CDW0 byte 1 with PSDT = 01b (SGL, contiguous metadata). */
const FLAGS_SGL = SubmissionQueueEntry.encode({ psdt: Psdt.SGL_MPTR_CONTIG })[O_FLAGS];
const D_ADDR = SglDescriptor.field("addr").offset, D_LEN = SglDescriptor.field("len").offset;
const D_ID = SGL_DESCRIPTOR_SIZE - 1;
const DATA_BLOCK_ID = SglDescriptor.encode({ type: SglType.DATA_BLOCK })[D_ID];
const LAST_SEGMENT_ID = SglDescriptor.encode({ type: SglType.LAST_SEGMENT })[D_ID];
/** CQE offsets: DW0, DW1, DW2 (SQHD, SQID) and DW3 (CID, then the status field). */
const CQE = (name: string) => CompletionQueueEntry.field(name).offset;
const DW0 = CQE("dw0"), DW1 = CQE("dw1"), DW2 = CQE("sqhd"), DW3 = CQE("cid");
/** Status field bits (Base 2.1 §4.2.3): More, Do Not Retry; CRD is bits 13:12. */
const STATUS_MORE = packStatus({ m: 1 }, 0), STATUS_DNR = packStatus({ dnr: 1 }, 0);
const CRD_SHIFT = 12, CRD_MASK = 3;
const TWO_32 = 2 ** 32;
/** Writes a 64-bit little-endian value from a number below 2^53 (both dwords). */
function setU64(v: DataView, at: number, value: number): void {
  v.setUint32(at, value % TWO_32, true);
  v.setUint32(at + 4, Math.floor(value / TWO_32), true);
}

/** How a qpair is built. */
export interface QueuePairConfig {
  /** Queue identifier (0 = admin). */
  readonly qid: number;
  /** Entries of the SQ and of the CQ. */
  readonly entries: number;
  /** CAP.DSTRD. */
  readonly dstrd: number;
  /** Memory page size (CC.MPS). */
  readonly pageSize: number;
  /** Most completions per `process()` (0 = the cap). */
  readonly maxCompletions: number;
  /** SGL use: "none" (always PRP), or the controller's Data Block alignment. */
  readonly sgl: "none" | "byte" | "dword";
  /** Ring SQ doorbells from `process()` only. */
  readonly delayCmdSubmit: boolean;
}

/** One SQ/CQ pair with its trackers; all memory is allocated once, at construction. */
export class QueuePair {
  /** Queue identifier. */
  readonly qid: number;
  /** Entries of each queue. */
  readonly entries: number;
  /** Size of the tracker pool. */
  readonly numTrackers: number;
  /** SQ base (page aligned). */
  readonly sqAddr: number;
  /** CQ base (page aligned). */
  readonly cqAddr: number;
  /** Shadow SQ tail doorbell, when configured. */
  sqShadow: ShadowDoorbell | null = null;
  /** Shadow CQ head doorbell, when configured. */
  cqShadow: ShadowDoorbell | null = null;
  /** CQEs dropped: CID out of range or of a free tracker. */
  invalidCompletions = 0;
  /** SQHD values ignored: outside the queue or not between the old head and the tail. */
  invalidSqHeads = 0;
  /** SPDK's statistics: SQ doorbell updates by shadow write and by MMIO. */
  readonly stats = { sqShadowUpdates: 0, sqMmio: 0, cqShadowUpdates: 0, cqMmio: 0 };

  readonly #host: HostPort;
  readonly #cfg: QueuePairConfig;
  readonly #cap: number;
  readonly #trackerBase: number;
  readonly #trackers: Tracker[] = [];
  readonly #free: number[] = [];
  readonly #sqe = new Uint8Array(SQE_SIZE);
  readonly #v = new DataView(this.#sqe.buffer);
  readonly #list = new Uint8Array(TRACKER_BYTES - TRACKER_LIST_OFFSET);
  readonly #lv = new DataView(this.#list.buffer);
  readonly #prp = new PrpBuilder();
  readonly #sgl = new SglBuilder();
  readonly #sqDb: number;
  readonly #cqDb: number;
  readonly #c: DriverCompletion = blankCompletion();
  #sqTail = 0;
  #sqHead = 0;
  #rungTail = 0;
  #cqHead = 0;
  #phase = 1;
  #processing = false;
  #destroyed = false;

  /** Allocates the queues (the CQ zeroed, so no stale phase tag is ever seen) and the trackers. */
  constructor(host: HostPort, cfg: QueuePairConfig) {
    this.#host = host;
    this.#cfg = cfg;
    this.qid = cfg.qid;
    this.entries = cfg.entries;
    this.#cap = maxCompletionsCap(cfg.entries);
    this.numTrackers = cfg.entries - this.#cap;
    this.sqAddr = host.allocate(cfg.entries * SQE_SIZE, cfg.pageSize);
    this.cqAddr = host.allocate(cfg.entries * CQE_SIZE, cfg.pageSize);
    host.memFill(this.cqAddr, cfg.entries * CQE_SIZE, 0);
    this.#trackerBase = host.allocate(this.numTrackers * TRACKER_BYTES, TRACKER_BYTES);
    for (let i = this.numTrackers - 1; i >= 0; i--) this.#free.push(i);
    for (let i = 0; i < this.numTrackers; i++) {
      this.#trackers.push(new Tracker(i, this.#trackerBase + i * TRACKER_BYTES));
    }
    this.#sqDb = sqTailDoorbell(cfg.qid, cfg.dstrd);
    this.#cqDb = cqHeadDoorbell(cfg.qid, cfg.dstrd);
  }

  /** Commands in flight. */
  get outstanding(): number {
    return this.numTrackers - this.#free.length;
  }

  /** The SQ head last reported by the controller. */
  get sqHead(): number {
    return this.#sqHead;
  }

  /** True once destroyed (reset or shutdown): callbacks must stop touching the qpair. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** A tracker is free and the SQ is not full by the reported head. */
  canSubmit(): boolean {
    return this.#free.length > 0 && ringNext(this.#sqTail, this.entries) !== this.#sqHead;
  }

  /**
   * Builds and queues `cmd` (precondition: {@linkcode canSubmit}). Returns null when queued, or
   * why its data cannot be described (no tracker is consumed then).
   */
  submit(
    cmd: DriverCommand,
    done: CompletionCallback,
    nowNs: number,
    timeoutNs: number,
  ): string | null {
    const tr = this.#trackers[this.#free.pop()!];
    const v = this.#v;
    this.#sqe.fill(0);
    v.setUint8(O_OPCODE, cmd.opcode & 0xff);
    v.setUint16(O_CID, tr.cid, true);
    v.setUint32(O_NSID, (cmd.nsid ?? 0) >>> 0, true);
    v.setUint32(O_CDW2, (cmd.cdw2 ?? 0) >>> 0, true);
    v.setUint32(O_CDW3, (cmd.cdw3 ?? 0) >>> 0, true);
    v.setUint32(O_CDW10, (cmd.cdw10 ?? 0) >>> 0, true);
    v.setUint32(O_CDW11, (cmd.cdw11 ?? 0) >>> 0, true);
    v.setUint32(O_CDW12, (cmd.cdw12 ?? 0) >>> 0, true);
    v.setUint32(O_CDW13, (cmd.cdw13 ?? 0) >>> 0, true);
    v.setUint32(O_CDW14, (cmd.cdw14 ?? 0) >>> 0, true);
    v.setUint32(O_CDW15, (cmd.cdw15 ?? 0) >>> 0, true);
    const mptr = cmd.metadata ?? 0;
    let error = Number.isSafeInteger(mptr) && mptr >= 0 ? null : `metadata pointer ${mptr}`;
    setU64(v, O_MPTR, error ? 0 : mptr);
    if (error === null && cmd.data) error = this.#dataPointer(cmd.data, tr);
    if (error !== null) {
      this.#free.push(tr.cid);
      return error;
    }
    this.#start(tr, cmd.opcode, done, nowNs, timeoutNs, cmd.more === true);
    return null;
  }

  /** Queues a prepared SQE (admin commands built by the spec encoders); sets its CID. */
  submitRaw(sqe: Uint8Array, done: CompletionCallback, nowNs: number, timeoutNs: number): void {
    const tr = this.#trackers[this.#free.pop()!];
    this.#sqe.set(sqe.subarray(0, SQE_SIZE));
    this.#v.setUint16(O_CID, tr.cid, true);
    this.#start(tr, sqe[O_OPCODE], done, nowNs, timeoutNs, false);
  }

  #dataPointer(data: readonly DataSegment[], tr: Tracker): string | null {
    const listAddr = tr.page + TRACKER_LIST_OFFSET;
    const v = this.#v;
    if (this.#cfg.sgl !== "none") {
      const b = this.#sgl;
      if (!b.build(data, this.#cfg.sgl === "dword")) return b.error;
      if (b.count === 0) return null;
      v.setUint8(O_FLAGS, FLAGS_SGL);
      if (b.count === 1) {
        this.#descriptor(v, O_SGL1, b.addr[0], b.length[0], DATA_BLOCK_ID);
        return null;
      }
      for (let i = 0; i < b.count; i++) {
        this.#descriptor(this.#lv, i * SGL_DESCRIPTOR_SIZE, b.addr[i], b.length[i], DATA_BLOCK_ID);
      }
      const bytes = b.count * SGL_DESCRIPTOR_SIZE;
      this.#host.memWrite(listAddr, this.#list, 0, bytes);
      this.#descriptor(v, O_SGL1, listAddr, bytes, LAST_SEGMENT_ID);
      return null;
    }
    const p = this.#prp;
    if (!p.build(data, this.#cfg.pageSize, listAddr)) return p.error;
    setU64(v, O_PRP1, p.prp1);
    setU64(v, O_PRP2, p.prp2);
    if (p.count > 2) {
      for (let i = 0; i < p.count - 1; i++) setU64(this.#lv, 8 * i, p.list[i]);
      this.#host.memWrite(listAddr, this.#list, 0, 8 * (p.count - 1));
    }
    return null;
  }

  #descriptor(v: DataView, at: number, addr: number, len: number, id: number): void {
    setU64(v, at + D_ADDR, addr);
    v.setUint32(at + D_LEN, len, true);
    for (let i = D_LEN + 4; i < D_ID; i++) v.setUint8(at + i, 0);
    v.setUint8(at + D_ID, id);
  }

  #start(
    tr: Tracker,
    opcode: number,
    done: CompletionCallback,
    now: number,
    to: number,
    more: boolean,
  ) {
    tr.active = true;
    tr.timedOut = false;
    tr.done = done;
    tr.opcode = opcode;
    tr.submittedNs = now;
    tr.timeoutNs = to;
    const slot = this.#sqTail;
    this.#host.memWrite(this.sqAddr + slot * SQE_SIZE, this.#sqe);
    const t = this.#host.trace;
    if (t.enabled) {
      t.emit({
        type: "sqe_written",
        qid: this.qid,
        slot,
        opcode,
        cid: tr.cid,
        nsid: this.#v.getUint32(O_NSID, true),
        bytes: this.#sqe.slice(),
      });
    }
    this.#sqTail = ringNext(slot, this.entries);
    if (!more && !this.#cfg.delayCmdSubmit) this.ringSq();
  }

  /** Rings the SQ tail doorbell if the tail moved since the last ring (shadow first). */
  ringSq(): void {
    if (this.#sqTail === this.#rungTail || this.#destroyed) return;
    this.#rungTail = this.#sqTail;
    this.#ring(this.sqShadow, this.#sqDb, this.#sqTail, false);
  }

  #ring(shadow: ShadowDoorbell | null, offset: number, value: number, isCq: boolean): void {
    let mmio = true;
    if (shadow) {
      mmio = shadow.update(value);
      if (isCq) this.stats.cqShadowUpdates++;
      else this.stats.sqShadowUpdates++;
    }
    const t = this.#host.trace;
    if (t.enabled) {
      const eventIdx = shadow ? shadow.lastEventIdx : null;
      t.emit({ type: "doorbell_decision", qid: this.qid, isCq, value, eventIdx, mmio });
    }
    if (!mmio) return;
    if (isCq) this.stats.cqMmio++;
    else this.stats.sqMmio++;
    this.#host.write32(offset, value);
  }

  /** Reaps up to `max` CQEs (0 = the cap); returns how many callbacks ran. */
  process(max: number): number {
    if (this.#processing || this.#destroyed) return 0;
    this.#processing = true;
    try {
      return this.#process(max === 0 || max > this.#cap ? this.#cap : max);
    } finally {
      this.#processing = false;
    }
  }

  #process(limit: number): number {
    const host = this.#host, c = this.#c;
    let consumed = 0, completed = 0;
    while (consumed < limit) {
      const addr = this.cqAddr + this.#cqHead * CQE_SIZE;
      const dw3 = host.memReadU32(addr + DW3);
      const status = dw3 >>> 16;
      if ((status & 1) !== this.#phase) break;
      const slot = this.#cqHead;
      this.#cqHead = ringNext(slot, this.entries);
      if (this.#cqHead === 0) this.#phase ^= 1;
      consumed++;
      const dw2 = host.memReadU32(addr + DW2);
      const cid = dw3 & 0xffff;
      this.#noteSqHead(dw2 & 0xffff);
      const t = host.trace;
      if (t.enabled) {
        const st = (status >>> 1) & 0x7fff, sqhd = dw2 & 0xffff, phase = status & 1;
        t.emit({ type: "cqe_consumed", qid: this.qid, slot, cid, status: st, phase, sqhd });
      }
      const tr = cid < this.numTrackers ? this.#trackers[cid] : undefined;
      if (!tr || !tr.active) {
        this.invalidCompletions++;
        if (t.enabled) {
          t.emit({ type: "host_note", text: `spdk: qid ${this.qid} CQE cid ${cid} dropped` });
        }
        continue;
      }
      c.dw0 = host.memReadU32(addr + DW0);
      c.dw1 = host.memReadU32(addr + DW1);
      c.sqhd = dw2 & 0xffff;
      c.sqid = dw2 >>> 16;
      c.cid = cid;
      c.status = (status >>> 1) & STATUS_CODE_MASK;
      c.crd = (status >>> CRD_SHIFT) & CRD_MASK;
      c.more = (status & STATUS_MORE) !== 0;
      c.dnr = (status & STATUS_DNR) !== 0;
      c.hostError = null;
      const done = this.#release(tr);
      completed++;
      done(c);
      if (this.#destroyed) return completed;
    }
    if (consumed > 0) this.#ring(this.cqShadow, this.#cqDb, this.#cqHead, true);
    this.ringSq();
    return completed;
  }

  /** Accepts SQHD only when it lies between the head we knew and our tail (ring order). */
  #noteSqHead(sqhd: number): void {
    const e = this.entries;
    if (sqhd < e && ringUsed(this.#sqHead, sqhd, e) <= ringUsed(this.#sqHead, this.#sqTail, e)) {
      this.#sqHead = sqhd;
    } else {
      this.invalidSqHeads++;
    }
  }

  #release(tr: Tracker): CompletionCallback {
    const done = tr.done!;
    tr.active = false;
    tr.done = null;
    this.#free.push(tr.cid);
    return done;
  }

  /** Calls `fn` for every tracker in flight (timeout scans). */
  forEachActive(fn: (tr: Tracker) => void): void {
    for (const tr of this.#trackers) if (tr.active) fn(tr);
  }

  /** Frees every tracker in flight and returns them with their callbacks (reset, shutdown). */
  takeAll(): TakenTracker[] {
    const out: TakenTracker[] = [];
    for (const tr of this.#trackers) {
      if (tr.active) out.push({ cid: tr.cid, timedOut: tr.timedOut, done: this.#release(tr) });
    }
    return out;
  }

  /** Frees the queue and tracker memory; the qpair is unusable afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#host.free(this.sqAddr);
    this.#host.free(this.cqAddr);
    this.#host.free(this.#trackerBase);
  }
}
