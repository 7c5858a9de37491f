/**
 * A minimal, fast host loop for `deno bench` (not a driver, and separate from the test host): it
 * brings up one reference controller with raw register writes, creates one polled I/O queue pair
 * and then pushes commands through the in-process round trip as cheaply as a host can —
 * preallocated SQE images copied into the ring with one `memWriteWords` (16 aligned words, as a
 * host CPU copies an SQE with wide stores), completions polled by reading
 * only the CQE dword that holds the CID and the status, doorbells rung once per batch.
 *
 * Every command must succeed: a non-zero status throws, so a bench never measures an error path.
 *
 * @example Thirty-two 4 KiB reads outstanding, 1000 in all
 * ```ts
 * import { BenchRig } from "./_bench_host.ts";
 * const rig = new BenchRig();
 * rig.run("read", 32, 1000);
 * if (rig.completed !== 1000) throw new Error();
 * ```
 *
 * @module
 */

import { Machine } from "../platform/machine.ts";
import type { InProcessHostPort } from "../platform/host_port.ts";
import { NvmeController } from "../controller/controller.ts";
import type { ControllerOptions } from "../controller/options.ts";
import { CompletionQueueEntry, CQE_SIZE as CQE, CQE_STATUS_OFFSET } from "../spec/cqe.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../spec/doorbell.ts";
import { Read } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { SQE_SIZE as SQE, SubmissionQueueEntry } from "../spec/sqe.ts";
import { offsetOf } from "../spec/struct.ts";

const SQE_WORDS = SQE / 4;
/** SLBA's low dword (CDW10) as a word index of the SQE. */
const SLBA_WORD = offsetOf(Read, "slba") / 4;
/** CDW0.OPC, and CDW0.CID (the admin loop numbers its commands through the low byte). */
const SQE_OPCODE = offsetOf(SubmissionQueueEntry, "opcode");
const SQE_CID = offsetOf(SubmissionQueueEntry, "cid");
/** CQE dword 3 (Base 2.1 §4.2.1): the CID in bits 15:0, the status field above it. */
const CQE_DW3 = offsetOf(CompletionQueueEntry, "cid");
/** Shift of the status field (phase tag in its bit 0) in DW3; SCT/SC/CRD/M/DNR are above it. */
const PHASE_SHIFT = 8 * (CQE_STATUS_OFFSET - CQE_DW3);
const STATUS_SHIFT = PHASE_SHIFT + 1;
/** The CID in DW3. */
const CID_MASK = 0xffff;
const PAGE = 4096;
const ADMIN_DEPTH = 8;
/** Blocks of 512 bytes per 4 KiB read. */
const BLOCKS_4K = 8;
/** LBA range the reads cycle over (pre-written so reads copy real data): 1 MiB. */
const READ_SPAN_BLOCKS = 2048;

/** What the bench submits. */
export type BenchCommand = "read" | "flush";

/** Thrown when a bench command fails or the controller stops answering. */
export class BenchError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BenchError";
  }
}

/** Options of a {@linkcode BenchRig}. */
export interface BenchRigOptions {
  /** I/O queue entries (default 128; QD must stay below it). */
  readonly depth?: number;
  /** Controller options (defaults: the reference controller's). */
  readonly controller?: Partial<ControllerOptions>;
}

/**
 * One machine, one controller, one polled I/O queue pair (no interrupts on the I/O CQ), ready to
 * run batches of 4 KiB reads or Flushes at a chosen queue depth.
 */
export class BenchRig {
  /** The machine (counters, scheduler). */
  readonly machine: Machine;
  /** The controller. */
  readonly ctrl: NvmeController;
  /** The host port (in-process: SQEs go out as 16 words with `memWriteWords`). */
  readonly host: InProcessHostPort;
  /** I/O queue entries. */
  readonly depth: number;
  /** Commands completed by the last {@linkcode run}. */
  completed = 0;

  readonly #sq: number;
  readonly #cq: number;
  readonly #sqDb: number;
  readonly #cqDb: number;
  /** Per tag (= CID): a ready SQE image (16 words) for each command kind. */
  readonly #images: Record<BenchCommand, Uint32Array[]>;
  /** Free tags (a stack: the lowest freed last is taken first); refilled by every `run`. */
  #freeTags: Uint16Array;
  #freeCount = 0;
  #tail = 0;
  #head = 0;
  #phase = 1;
  #lba = 0;

  /** Brings the controller up and creates I/O queue pair 1 with `depth` entries. */
  constructor(options: BenchRigOptions = {}) {
    this.depth = options.depth ?? 128;
    // One poll quantum = the doorbell latency, so one poll after a doorbell runs the controller.
    const ctrl = new NvmeController(options.controller);
    this.machine = new Machine({ pollQuantumNs: Math.max(1, ctrl.options.doorbellLatencyNs) });
    this.ctrl = ctrl;
    const host = this.host = this.machine.attach(ctrl);
    host.configWrite(0x04, 2, 0x0006);
    host.setupInterrupts("msix");
    const dstrd = ctrl.options.dstrd;

    // Admin queues and enable.
    const asq = host.allocate(ADMIN_DEPTH * SQE, PAGE),
      acq = host.allocate(ADMIN_DEPTH * CQE, PAGE);
    host.memFill(acq, ADMIN_DEPTH * CQE, 0);
    host.write32(R.AQA, ((ADMIN_DEPTH - 1) << 16) | (ADMIN_DEPTH - 1));
    host.write64(R.ASQ, asq);
    host.write64(R.ACQ, acq);
    host.write32(R.CC, 0x00460001);
    for (let i = 0; (host.read32(R.CSTS) & 3) !== 1; i++) {
      if (i > 10_000) throw new BenchError("controller never became ready");
      host.sleep(10_000);
    }
    let aTail = 0, aHead = 0, aPhase = 1, cid = 0;
    const admin = (sqe: Uint8Array): void => {
      sqe[SQE_CID] = cid++;
      host.memWrite(asq + aTail * SQE, sqe);
      aTail = (aTail + 1) % ADMIN_DEPTH;
      host.write32(sqTailDoorbell(0, dstrd), aTail);
      for (let i = 0;; i++) {
        const dw3 = host.memReadU32(acq + aHead * CQE + CQE_DW3);
        if (((dw3 >>> PHASE_SHIFT) & 1) === aPhase) {
          if (dw3 >>> STATUS_SHIFT !== 0) {
            throw new BenchError(`admin opcode ${sqe[SQE_OPCODE]}: status ${dw3 >>> STATUS_SHIFT}`);
          }
          aHead = (aHead + 1) % ADMIN_DEPTH;
          if (aHead === 0) aPhase ^= 1;
          host.write32(cqHeadDoorbell(0, dstrd), aHead);
          return;
        }
        if (i > 100_000) throw new BenchError(`admin opcode ${sqe[SQE_OPCODE]} never completed`);
        host.poll();
      }
    };

    // I/O queue pair 1: CQ polled (IEN = 0), SQ bound to it.
    this.#sq = host.allocate(this.depth * SQE, PAGE);
    this.#cq = host.allocate(this.depth * CQE, PAGE);
    host.memFill(this.#cq, this.depth * CQE, 0);
    admin(adminSqe(AdminOpcode.CREATE_IO_CQ, this.#cq, ((this.depth - 1) << 16) | 1, 1));
    admin(adminSqe(AdminOpcode.CREATE_IO_SQ, this.#sq, ((this.depth - 1) << 16) | 1, 1 << 16 | 1));
    this.#sqDb = sqTailDoorbell(1, dstrd);
    this.#cqDb = cqHeadDoorbell(1, dstrd);

    // One 4 KiB buffer and one ready SQE image per tag (CID = tag). Tags are taken lowest free
    // first, as blk-mq's tag allocator and fio's buffers behave: at QD n the same n buffers are
    // reused, so a QD1 run reads into one buffer, not one per SQ slot.
    const buffers = host.allocate(this.depth * PAGE, PAGE);
    const read: Uint32Array[] = [], flush: Uint32Array[] = [];
    for (let tag = 0; tag < this.depth; tag++) {
      read.push(ioSqe(NvmOpcode.READ, buffers + tag * PAGE, 0, BLOCKS_4K - 1, tag));
      flush.push(ioSqe(NvmOpcode.FLUSH, 0, 0, 0, tag));
    }
    this.#images = { read, flush };
    this.#freeTags = new Uint16Array(this.depth);

    // Pre-write the span the reads cycle over, so they copy real data (4 KiB writes, QD1).
    const write = ioSqe(NvmOpcode.WRITE, buffers, 0, BLOCKS_4K - 1, 0);
    host.memFill(buffers, PAGE, 0x5a);
    for (let lba = 0; lba < READ_SPAN_BLOCKS; lba += BLOCKS_4K) {
      write[SLBA_WORD] = lba;
      this.#submitImage(write);
      this.#ringSq();
      this.#waitOne();
    }
  }

  /**
   * Runs `count` commands of `kind`, keeping `qd` outstanding: submit `qd`, ring once; then
   * repeatedly poll, consume every completion, ring the CQ head once, resubmit as many, ring the
   * SQ tail once. Throws on any failed command.
   */
  run(kind: BenchCommand, qd: number, count: number): void {
    if (!(qd >= 1 && qd < this.depth)) {
      throw new BenchError(`qd ${qd} must be 1..${this.depth - 1} (the queue depth minus one)`);
    }
    const images = this.#images[kind];
    const host = this.host;
    const cq = this.#cq, depth = this.depth, free = this.#freeTags;
    // Tags 0..qd-1, with 0 on top of the stack.
    for (let i = 0; i < qd; i++) free[i] = qd - 1 - i;
    this.#freeCount = qd;
    let submitted = 0, done = 0, outstanding = 0;
    const fill = () => {
      const n = Math.min(qd - outstanding, count - submitted);
      for (let i = 0; i < n; i++) {
        const img = images[free[--this.#freeCount]]; // CID = tag
        if (kind === "read") this.#setLba(img);
        this.#submitImage(img);
      }
      submitted += n;
      outstanding += n;
      if (n > 0) this.#ringSq();
    };
    fill();
    let idlePolls = 0;
    while (done < count) {
      host.poll();
      let got = 0;
      for (;;) {
        const dw3 = host.memReadU32(cq + this.#head * CQE + CQE_DW3);
        if (((dw3 >>> PHASE_SHIFT) & 1) !== this.#phase) break;
        if (dw3 >>> STATUS_SHIFT !== 0) {
          throw new BenchError(
            `${kind} CID ${dw3 & CID_MASK}: status 0x${(dw3 >>> STATUS_SHIFT).toString(16)}`,
          );
        }
        free[this.#freeCount++] = dw3 & CID_MASK; // the CID: its tag is free again
        if (++this.#head === depth) {
          this.#head = 0;
          this.#phase ^= 1;
        }
        got++;
      }
      if (got === 0) {
        if (++idlePolls > 100_000) throw new BenchError(`${kind}: no completion for 100000 polls`);
        continue;
      }
      idlePolls = 0;
      done += got;
      outstanding -= got;
      host.write32(this.#cqDb, this.#head);
      fill();
    }
    this.completed = done;
  }

  #setLba(img: Uint32Array): void {
    // SLBA in CDW10/11; the span is small, so CDW11 stays 0.
    img[SLBA_WORD] = this.#lba;
    this.#lba = (this.#lba + BLOCKS_4K) % READ_SPAN_BLOCKS;
  }

  #submitImage(img: Uint32Array): void {
    this.host.memWriteWords(this.#sq + this.#tail * SQE, img, 0, SQE_WORDS);
    this.#tail = (this.#tail + 1) % this.depth;
  }

  #ringSq(): void {
    this.host.write32(this.#sqDb, this.#tail);
  }

  #waitOne(): void {
    for (let i = 0; i < 100_000; i++) {
      this.host.poll();
      const dw3 = this.host.memReadU32(this.#cq + this.#head * CQE + CQE_DW3);
      if (((dw3 >>> PHASE_SHIFT) & 1) === this.#phase) {
        if (dw3 >>> STATUS_SHIFT !== 0) {
          throw new BenchError(`status 0x${(dw3 >>> STATUS_SHIFT).toString(16)}`);
        }
        if (++this.#head === this.depth) {
          this.#head = 0;
          this.#phase ^= 1;
        }
        this.host.write32(this.#cqDb, this.#head);
        return;
      }
    }
    throw new BenchError("no completion");
  }
}

/** A 64-byte admin SQE with PRP1, CDW10 and CDW11. */
function adminSqe(opcode: number, prp1: number, cdw10: number, cdw11: number): Uint8Array {
  return SubmissionQueueEntry.encode({ opcode, prp1, cdw10, cdw11 });
}

/**
 * A 64-byte NVM SQE for namespace 1 as 16 little-endian words: PRP1, SLBA (CDW10/11), NLB 0's
 * based (CDW12), CID.
 */
function ioSqe(opcode: number, prp1: number, slba: number, nlb0: number, cid: number): Uint32Array {
  const w = new Uint32Array(SQE_WORDS);
  // Read, Write and Flush share these positions (a Flush here has SLBA and NLB 0).
  Read.encode({ opcode, cid, nsid: 1, prp1, slba, nlb: nlb0 }, new Uint8Array(w.buffer));
  return w;
}
