// The host side of the command property (_robustness_command_property.ts): a queue pair driven
// by hand, and the bookkeeping the controller wrapper's DMA observer feeds.

import type { HostPort } from "../platform/ports.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { cqHeadDoorbell, sqTailDoorbell } from "../spec/doorbell.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import type { QueueName } from "./_robustness_command_arbitraries.ts";
import type { DmaObserver, Interposed } from "./_robustness_test_helpers.ts";

/** A completion queue entry as the host read it (Base 2.1 §4.2.1). */
export interface Cqe {
  dw0: number;
  sqhd: number;
  sqid: number;
  cid: number;
  status: number;
}

/** A command the host submitted, and what became of it. */
export interface Submitted {
  queue: QueueName;
  qid: number;
  cid: number;
  opcode: number;
  fetches: number;
  faults: number;
  completions: Cqe[];
}

/** The host side of one queue pair, with the SQ head learnt from CQE.SQHD. */
export class ProbeQueue {
  tail = 0;
  sqHead = 0;
  cqHead = 0;
  phase = 1;
  nextCid: number;
  /** The command in each SQ slot (what a fetch of that slot must be). */
  readonly slots: (Submitted | undefined)[];
  /** What the host wrote into the SQ ring (C5 compares). */
  readonly shadow: Uint8Array;
  readonly #cqe = new Uint8Array(CQE_SIZE);
  readonly #view = new DataView(this.#cqe.buffer);

  constructor(
    readonly host: HostPort,
    readonly qid: number,
    readonly sq: number,
    readonly cq: number,
    readonly size: number,
    firstCid: number,
  ) {
    this.slots = new Array(size).fill(undefined);
    this.shadow = new Uint8Array(size * SQE_SIZE);
    this.nextCid = firstCid;
  }

  free(): number {
    return this.size - 1 - ((this.tail - this.sqHead + this.size) % this.size);
  }

  place(bytes: Uint8Array, cmd: Submitted): void {
    this.shadow.set(bytes, this.tail * SQE_SIZE);
    this.host.memWrite(this.sq + this.tail * SQE_SIZE, bytes);
    this.slots[this.tail] = cmd;
    this.tail = (this.tail + 1) % this.size;
  }

  ring(): void {
    this.host.write32(sqTailDoorbell(this.qid, 0), this.tail);
  }

  take(): Cqe | null {
    const addr = this.cq + this.cqHead * CQE_SIZE;
    this.host.memRead(addr, this.#cqe);
    const v = this.#view;
    const sf = v.getUint16(14, true);
    if ((sf & 1) !== this.phase) return null;
    this.cqHead = (this.cqHead + 1) % this.size;
    if (this.cqHead === 0) this.phase ^= 1;
    const c = {
      dw0: v.getUint32(0, true),
      sqhd: v.getUint16(8, true),
      sqid: v.getUint16(10, true),
      cid: v.getUint16(12, true),
      status: sf >>> 1,
    };
    if (c.sqid === this.qid && c.sqhd < this.size) this.sqHead = c.sqhd;
    return c;
  }

  release(): void {
    this.host.write32(cqHeadDoorbell(this.qid, 0), this.cqHead);
  }
}

/** Bookkeeping the wrapper's DMA observer feeds: which slot was fetched, which DMA was refused. */
export class CommandBook implements DmaObserver {
  readonly queues: ProbeQueue[] = [];
  current: Submitted | null = null;
  unexpectedFetches: string[] = [];
  faults = 0;
  orphanFaults = 0;

  constructor(readonly fn: Interposed) {}

  dma(addr: number, len: number, write: boolean, ok: boolean): void {
    if (!ok) {
      this.faults++;
      if (this.current) this.current.faults++;
      else this.orphanFaults++;
      this.fn.lastCommandFaulted = true;
      return;
    }
    if (write) return;
    for (const q of this.queues) {
      const end = q.sq + q.size * SQE_SIZE;
      if (addr < q.sq || addr >= end) continue;
      if ((addr - q.sq) % SQE_SIZE !== 0 || len % SQE_SIZE !== 0 || addr + len > end) {
        this.unexpectedFetches.push(`odd SQ read at 0x${addr.toString(16)} len ${len}`);
        return;
      }
      for (let s = (addr - q.sq) / SQE_SIZE; s < (addr + len - q.sq) / SQE_SIZE; s++) {
        const cmd = q.slots[s];
        if (!cmd) {
          this.unexpectedFetches.push(`SQ ${q.qid} slot ${s} fetched but never submitted`);
          continue;
        }
        q.slots[s] = undefined; // the host may reuse it; a second fetch would be unexpected
        cmd.fetches++;
        this.current = cmd;
        this.fn.lastCommandFaulted = false;
      }
      return;
    }
  }
}
