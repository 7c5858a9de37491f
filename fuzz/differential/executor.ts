/**
 * Runs one command sequence against one side (a {@linkcode HostPort} behind a session) and records
 * what a comparator needs: per command the CQE status (SCT/SC, DNR, More), DW0/DW1 and the data
 * received over the transfer length; at the end the media over the LBAs the sequence named.
 *
 * A side is reused across sequences (QEMU costs ~50 ms to start). Before every sequence the
 * prologue brings it to the same state on both sides: controller reset (CC.EN 1→0→1), Number of
 * Queues, the changeable features written back to the values the side had when it was opened
 * (QEMU keeps feature values across a controller reset, the reference does not), Write Zeroes over
 * every LBA an earlier sequence named, and I/O queue pair 1 (64 entries, polled). A side that
 * fails its prologue is closed and opened again.
 *
 * @module
 */

import { CaseFailure } from "../../conformance/case.ts";
import { type Completion, RawController, type RawQueue } from "../../conformance/raw_host.ts";
import type { TargetSession } from "../../conformance/target.ts";
import type { HostPort } from "../../platform/ports.ts";
import { FeatureId } from "../../spec/features.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import { SubmissionQueueEntry } from "../../spec/sqe.ts";
import {
  CANARY,
  type DiffCommand,
  payloadBytes,
  QUEUE_SLOT_BYTES,
  QUEUE_SLOTS,
} from "./commands.ts";
import { DirtyRanges, mediaRead } from "./media.ts";

const PAGE = 4096;
/** PRP list pages available for one command (chained when one is not enough). */
const LIST_PAGES = 3;
/** I/O queue pair 1 entries. */
const IO_QUEUE_DEPTH = 64;
/** Target time a command may take before it counts as "no completion" (QEMU: wall clock; a
 * Flush of a file-backed namespace has been seen to take over 200 ms). */
export const COMMAND_TIMEOUT_NS = 5_000_000_000;
/** CSTS.CFS. */
const CSTS_CFS = 1 << 1;

/** What one command did on one side. */
export interface CommandOutcome {
  /** `SCT << 8 | SC`, or null when no completion arrived. */
  readonly status: number | null;
  /** Do Not Retry. */
  readonly dnr: boolean;
  /** More. */
  readonly more: boolean;
  /** DW0. */
  readonly dw0: number;
  /** DW1. */
  readonly dw1: number;
  /** Data received (dir "in"), over the transfer length the buffer holds. */
  readonly data?: Uint8Array;
}

/** One side's record of a sequence. */
export interface SequenceTrace {
  /** Per command, in order (shorter than the sequence when a command got no completion). */
  readonly outcomes: readonly CommandOutcome[];
  /** Media block contents by LBA (null: the read failed), for the LBAs compared at the end. */
  readonly media: ReadonlyMap<number, Uint8Array | null>;
  /** CSTS at the end. */
  readonly csts: number;
  /** Why the side could not run the sequence (its prologue failed twice), when it could not. */
  readonly failure?: string;
}

/** Geometry every side shares (from the observed QEMU namespace). */
export interface SideGeometry {
  /** Logical block size of NSID 1. */
  readonly blockSize: number;
  /** NSZE of NSID 1. */
  readonly nsze: number;
  /** MDTS in bytes. */
  readonly mdtsBytes: number;
}

/** Get/Set Features restored before each sequence: FID, CDW11 selector for Get, NSID. */
const RESTORED_FEATURES: readonly (readonly [number, number, number])[] = [
  [FeatureId.ARBITRATION, 0, 0],
  [FeatureId.POWER_MANAGEMENT, 0, 0],
  [FeatureId.TEMPERATURE_THRESHOLD, 0, 0],
  [FeatureId.TEMPERATURE_THRESHOLD, 1 << 20, 0],
  [FeatureId.ERROR_RECOVERY, 0, 1],
  [FeatureId.VOLATILE_WRITE_CACHE, 0, 0],
  [FeatureId.INTERRUPT_COALESCING, 0, 0],
  [FeatureId.INTERRUPT_VECTOR_CONFIG, 0, 0],
  [FeatureId.INTERRUPT_VECTOR_CONFIG, 1, 0],
  [FeatureId.WRITE_ATOMICITY, 0, 0],
  [FeatureId.ASYNC_EVENT_CONFIG, 0, 0],
];

/** A reusable side: a session, its controller and its memory. */
export class DiffSide {
  #session: TargetSession | null = null;
  #ctrl!: RawController;
  #io!: RawQueue;
  #buffer = 0;
  #list = 0;
  #slots = 0;
  #restore: { fid: number; sel: number; nsid: number; value: number }[] = [];
  #queueMemory: number[] = [];
  readonly #dirty = new DirtyRanges();

  /** A side named `name` whose sessions come from `open`. */
  constructor(
    readonly name: string,
    readonly open: () => TargetSession,
    readonly geometry: SideGeometry,
  ) {}

  /** The current session's host (opening one when needed). */
  get host(): HostPort {
    return this.#ensure().host;
  }

  /** Closes the session. */
  close(): void {
    this.#session?.close();
    this.#session = null;
  }

  #ensure(): TargetSession {
    if (this.#session) return this.#session;
    const s = this.open();
    this.#session = s;
    this.#ctrl = new RawController(s.host);
    const h = s.host;
    this.#buffer = h.allocate(this.geometry.mdtsBytes + 4 * PAGE, PAGE);
    this.#list = h.allocate(LIST_PAGES * PAGE, PAGE);
    this.#slots = h.allocate(QUEUE_SLOTS * QUEUE_SLOT_BYTES, PAGE);
    const admin = this.#ctrl.enable();
    this.#queueMemory = [admin.sq, admin.cq];
    this.#restore = [];
    for (const [fid, sel, nsid] of RESTORED_FEATURES) {
      const c = this.#ctrl.adminExec(
        SubmissionQueueEntry.encode({
          opcode: AdminOpcode.GET_FEATURES,
          nsid,
          cdw10: fid,
          cdw11: sel,
        }),
      );
      if (c.status === 0) this.#restore.push({ fid, sel, nsid, value: (c.dw0 | sel) >>> 0 });
    }
    this.#dirty.clear();
    return s;
  }

  /** Brings the side to the common start state; reopens the session once if that fails. */
  prepare(): void {
    try {
      this.#prologue();
    } catch {
      this.close();
      this.#prologue();
    }
  }

  #prologue(): void {
    this.#ensure();
    const h = this.host;
    if (this.#ctrl.csts() & 1) this.#ctrl.disable();
    for (const a of this.#queueMemory) h.free(a);
    this.#queueMemory = [];
    const admin = this.#ctrl.enable();
    this.#queueMemory.push(admin.sq, admin.cq);
    const grant = this.#ctrl.requestQueues(IO_QUEUE_DEPTH);
    if (grant.pairs < 1) throw new CaseFailure(`${this.name}: Number of Queues granted none`);
    this.#restoreFeatures();
    this.#io = this.#ctrl.createQueuePair(1, IO_QUEUE_DEPTH);
    this.#queueMemory.push(this.#io.sq, this.#io.cq);
    for (
      const [slba, blocks] of this.#dirty.chunks(this.geometry.mdtsBytes / this.geometry.blockSize)
    ) {
      const c = this.#io.exec(SubmissionQueueEntry.encode({
        opcode: NvmOpcode.WRITE_ZEROES,
        nsid: 1,
        cdw10: slba % 2 ** 32,
        cdw11: Math.floor(slba / 2 ** 32),
        cdw12: blocks - 1,
      }));
      if (c.status !== 0) {
        throw new CaseFailure(`${this.name}: Write Zeroes ${slba}+${blocks}: status ${c.status}`);
      }
    }
    this.#dirty.clear();
  }

  /** Sets the restored features (all, or only `fid`) back to the values the side started with.
   * Temperature Threshold and IV Config carry their selector in the same bits as the value. */
  #restoreFeatures(fid?: number): void {
    for (const r of this.#restore) {
      if (fid !== undefined && r.fid !== fid) continue;
      this.#ctrl.adminExec(SubmissionQueueEntry.encode({
        opcode: AdminOpcode.SET_FEATURES,
        nsid: r.nsid,
        cdw10: r.fid,
        cdw11: r.value,
      }));
    }
  }

  /** Runs `commands` (after {@linkcode prepare}) and records every outcome and the media. */
  run(commands: readonly DiffCommand[]): SequenceTrace {
    const outcomes: CommandOutcome[] = [];
    const g = this.geometry;
    for (const cmd of commands) {
      this.#dirty.note(cmd, g.nsze);
      const out = this.#exec(cmd);
      outcomes.push(out);
      if (out.status === null) break;
    }
    const healthy = outcomes.length === commands.length && (this.#ctrl.csts() & CSTS_CFS) === 0;
    // Error Recovery back to its start value first: with DULBE set, reading unwritten blocks fails.
    if (healthy) this.#restoreFeatures(FeatureId.ERROR_RECOVERY);
    const media = healthy
      ? mediaRead(this.#io, this.#buffer, this.#dirty, g)
      : new Map<number, Uint8Array | null>();
    return { outcomes, media, csts: this.#ctrl.csts() };
  }

  #exec(cmd: DiffCommand): CommandOutcome {
    const h = this.host;
    const capacity = this.geometry.mdtsBytes + 4 * PAGE - cmd.dptr.offset;
    const held = Math.min(cmd.bytes, capacity);
    let prp1 = 0, prp2 = 0;
    if (cmd.bytes > 0) {
      [prp1, prp2] = this.#dataPointer(cmd);
      const at = this.#buffer + cmd.dptr.offset;
      if (cmd.dir === "out") {
        h.memWrite(
          at,
          payloadBytes(cmd.payload, held, this.geometry.blockSize, cmd.lba?.slba ?? 0n),
        );
      } else h.memFill(at, held, CANARY);
    } else if (cmd.queueMemory) {
      const slot = this.#slots + cmd.queueMemory.slot * QUEUE_SLOT_BYTES;
      h.memFill(slot, QUEUE_SLOT_BYTES, 0);
      prp1 = slot + cmd.queueMemory.offset;
    }
    const sqe = SubmissionQueueEntry.encode({
      opcode: cmd.opcode,
      nsid: cmd.nsid,
      prp1,
      prp2,
      cdw10: cmd.cdw[0],
      cdw11: cmd.cdw[1],
      cdw12: cmd.cdw[2],
      cdw13: cmd.cdw[3],
      cdw14: cmd.cdw[4],
      cdw15: cmd.cdw[5],
    });
    const q = cmd.queue === "admin" ? this.#ctrl.admin : this.#io;
    let c: Completion;
    try {
      c = q.exec(sqe, [], COMMAND_TIMEOUT_NS);
    } catch (e) {
      if (!(e instanceof CaseFailure)) throw e;
      return { status: null, dnr: false, more: false, dw0: 0, dw1: 0 };
    }
    const out: CommandOutcome = {
      status: c.status,
      dnr: c.dnr,
      more: c.more,
      dw0: c.dw0,
      dw1: c.dw1,
    };
    if (cmd.dir !== "in" || cmd.bytes === 0) return out;
    const data = new Uint8Array(held);
    h.memRead(this.#buffer + cmd.dptr.offset, data);
    return { ...out, data };
  }

  /** PRP1 and PRP2 over the contiguous data buffer, with the list pages the length needs. */
  #dataPointer(cmd: DiffCommand): [number, number] {
    const h = this.host;
    const { offset, listOffset, fault } = cmd.dptr;
    const prp1 = this.#buffer + offset;
    const first = PAGE - (offset % PAGE);
    if (cmd.bytes <= first) return [prp1, 0];
    const bufferPages = Math.floor((this.geometry.mdtsBytes + 4 * PAGE) / PAGE);
    const page = (k: number) =>
      this.#buffer + (Math.floor(offset / PAGE) + 1 + k) % bufferPages * PAGE;
    if (cmd.bytes <= first + PAGE) return [prp1, page(0) + (fault === "prp2-offset" ? 0x10 : 0)];
    const entries = Math.ceil((cmd.bytes - first) / PAGE);
    let listPage = 0;
    let slot = listOffset / 8;
    const listBase = this.#list + listOffset;
    const write = (i: number, v: number) => h.memWriteU64(this.#list + listPage * PAGE + i * 8, v);
    for (let k = 0; k < entries; k++) {
      // The last slot of a list page chains to the next list page (Base 2.1 §4.3.1) unless it holds
      // the final entry.
      if (slot === PAGE / 8 - 1 && k < entries - 1 && listPage < LIST_PAGES - 1) {
        write(slot, this.#list + (listPage + 1) * PAGE);
        listPage++;
        slot = 0;
      }
      write(slot++, page(k) + (fault === "list-entry-offset" && k === 1 ? 0x20 : 0));
    }
    return [prp1, listBase];
  }
}
