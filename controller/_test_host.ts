// A deliberately minimal host for controller tests: raw register writes, one admin queue pair,
// polled completions. It is not a driver (that is driver/): it does exactly what each test says,
// including the wrong things, so tests can check how the controller reacts.

import { Machine } from "../platform/machine.ts";
import type { HostPort } from "../platform/ports.ts";
import { CompletionQueueEntry, CQE_SIZE, CQE_STATUS_OFFSET } from "../spec/cqe.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../spec/doorbell.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { SQE_SIZE, SubmissionQueueEntry } from "../spec/sqe.ts";
import { offsetOf } from "../spec/struct.ts";
import { NvmeController } from "./controller.ts";
import type { ControllerOptions } from "./options.ts";

/** CQE dwords 2 (SQHD, then SQID) and 3 (CID, then the status field), Base 2.1 §4.2.1. */
const CQE_DW2 = offsetOf(CompletionQueueEntry, "sqhd"),
  CQE_DW3 = offsetOf(CompletionQueueEntry, "cid");
/** Where the upper half of a CQE dword starts: SQID in DW2, the status field in DW3. */
const HALF_SHIFT = 8 * (CQE_STATUS_OFFSET - CQE_DW3);
/** Byte offset of CDW0.CID in the SQE. */
export const SQE_CID = offsetOf(SubmissionQueueEntry, "cid");

/** A completion as the test host read it. */
export interface Completion {
  dw0: number;
  sqhd: number;
  sqid: number;
  cid: number;
  /** `SCT << 8 | SC` (no phase, no DNR). */
  status: number;
  dnr: number;
}

/** One host-side queue pair. */
export class HostQueue {
  sqTail = 0;
  cqHead = 0;
  phase = 1;
  constructor(
    readonly host: HostPort,
    readonly qid: number,
    readonly sq: number,
    readonly cq: number,
    readonly size: number,
    readonly dstrd: number,
  ) {}

  /** Writes `sqe` at the tail and rings the doorbell (unless `ring` is false). */
  submit(sqe: Uint8Array, ring = true): void {
    this.host.memWrite(this.sq + this.sqTail * SQE_SIZE, sqe);
    this.sqTail = (this.sqTail + 1) % this.size;
    if (ring) this.ring();
  }

  /** Rings the SQ tail doorbell with the current tail. */
  ring(): void {
    this.host.write32(sqTailDoorbell(this.qid, this.dstrd), this.sqTail);
  }

  /** Reads the CQE at the head if its phase is current; advances the head (no doorbell). */
  take(): Completion | null {
    const addr = this.cq + this.cqHead * CQE_SIZE;
    const status = this.host.memReadU32(addr + CQE_DW3) >>> HALF_SHIFT;
    if ((status & 1) !== this.phase) return null;
    const c: Completion = {
      dw0: this.host.memReadU32(addr),
      sqhd: this.host.memReadU32(addr + CQE_DW2) & 0xffff,
      sqid: this.host.memReadU32(addr + CQE_DW2) >>> HALF_SHIFT,
      cid: this.host.memReadU32(addr + CQE_DW3) & 0xffff,
      status: (status >>> 1) & 0x7ff,
      dnr: status >>> 15,
    };
    this.cqHead = (this.cqHead + 1) % this.size;
    if (this.cqHead === 0) this.phase ^= 1;
    return c;
  }

  /** Writes the CQ head doorbell. */
  release(): void {
    this.host.write32(cqHeadDoorbell(this.qid, this.dstrd), this.cqHead);
  }

  /** Waits (virtual time) for one completion, releases it, returns it. */
  wait(maxPolls = 100_000): Completion {
    for (let i = 0; i < maxPolls; i++) {
      const c = this.take();
      if (c) {
        this.release();
        return c;
      }
      this.host.poll();
    }
    throw new Error(`no completion on queue ${this.qid} after ${maxPolls} polls`);
  }
}

/** A machine with one reference controller, enabled, with an admin queue pair of `size`. */
export interface TestRig {
  machine: Machine;
  ctrl: NvmeController;
  host: HostPort;
  admin: HostQueue;
}

/** Builds a rig; `enable: false` leaves the controller disabled with AQA/ASQ/ACQ programmed. */
export function rig(
  options: Partial<ControllerOptions> = {},
  { size = 32, enable = true } = {},
): TestRig {
  const machine = new Machine();
  const ctrl = new NvmeController(options);
  const host = machine.attach(ctrl);
  host.configWrite(0x04, 2, 0x0006); // memory space + bus master
  host.setupInterrupts("msix");
  const sq = host.allocate(size * SQE_SIZE, 4096);
  const cq = host.allocate(size * CQE_SIZE, 4096);
  host.memFill(cq, size * CQE_SIZE, 0);
  host.write32(R.AQA, ((size - 1) << 16) | (size - 1));
  host.write64(R.ASQ, sq);
  host.write64(R.ACQ, cq);
  const admin = new HostQueue(host, 0, sq, cq, size, ctrl.options.dstrd);
  if (enable) {
    host.write32(R.CC, 0x00460001);
    waitReady(host, 1);
  }
  return { machine, ctrl, host, admin };
}

/** Polls CSTS until RDY equals `rdy` (virtual time); throws after `maxPolls`. */
export function waitReady(host: HostPort, rdy: 0 | 1, maxPolls = 1_000_000): number {
  for (let i = 0; i < maxPolls; i++) {
    const csts = host.read32(R.CSTS);
    if ((csts & 1) === rdy || (csts & 2)) return csts;
    host.sleep(10_000);
  }
  throw new Error(`CSTS.RDY never became ${rdy}`);
}

/** Submits `sqe` on `q` and returns its completion; completions of other commands go to `others`. */
export function exec(q: HostQueue, sqe: Uint8Array, others: Completion[] = []): Completion {
  const cid = new DataView(sqe.buffer, sqe.byteOffset).getUint16(SQE_CID, true);
  q.submit(sqe);
  for (;;) {
    const c = q.wait();
    if (c.cid === cid) return c;
    others.push(c);
  }
}

/** Completions posted on `q` within `ns` of virtual time (released together). */
export function arrivals(q: HostQueue, ns = 100_000): Completion[] {
  q.host.sleep(ns);
  const out: Completion[] = [];
  for (let c = q.take(); c; c = q.take()) out.push(c);
  if (out.length) q.release();
  return out;
}
