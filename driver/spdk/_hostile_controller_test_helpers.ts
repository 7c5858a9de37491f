// The reference controller with switches for hostile behaviour, for driver tests: it rewrites
// the CID of the next I/O completion, swallows the next I/O SQ tail doorbell, enters Controller
// Fatal Status on demand, or reads as all ones (surprise removal). Everything else is the
// reference controller unchanged, so the controller's own host-obligation checks stay active.

import { NvmeController } from "../../controller/controller.ts";
import type { DevicePort } from "../../platform/ports.ts";
import { CQE_SIZE } from "../../spec/cqe.ts";
import { decodeDoorbell } from "../../spec/doorbell.ts";

/** SQ head and CID offsets inside a CQE (DW2 bits 15:0, DW3 bits 15:0). */
const CQE_SQHD = 8;
const CQE_CID = 12;
const ALL_ONES = 0xffff_ffff;

/** A reference controller that misbehaves when asked to. */
export class HostileController extends NvmeController {
  /** When set, the next I/O CQE gets this CID instead of its own (then it resets to null). */
  rewriteNextIoCid: number | null = null;
  /** While set, every I/O CQE reports this SQ head instead of the real one. */
  ioSqhd: number | null = null;
  /** When set, the next I/O SQ tail doorbell write is dropped (then it resets to false). */
  swallowNextIoSqDoorbell = false;
  /** Reads return all ones and writes are dropped, as after a surprise removal. */
  gone = false;

  /** Enters Controller Fatal Status now (as when a queue DMA fails). */
  injectFatal(): void {
    this.fatal("injected by the test");
  }

  /** Attaches through a port whose DMA writes can be tampered with. */
  override attach(port: DevicePort): void {
    const dmaWrite = (addr: number, src: Uint8Array, off = 0, len = src.length - off) => {
      const cid = this.rewriteNextIoCid, sqhd = this.ioSqhd;
      if ((cid ?? sqhd) !== null && len >= CQE_CID + 2 && this.#isIoCq(addr)) {
        const copy = src.slice(off, off + len);
        for (const [at, v] of [[CQE_CID, cid], [CQE_SQHD, sqhd]] as const) {
          if (v === null) continue;
          copy[at] = v & 0xff;
          copy[at + 1] = v >>> 8;
        }
        this.rewriteNextIoCid = null;
        return port.dmaWrite(addr, copy, 0, len);
      }
      return port.dmaWrite(addr, src, off, len);
    };
    const proxy = new Proxy(port, {
      get(target, p) {
        if (p === "dmaWrite") return dmaWrite;
        const v = Reflect.get(target, p, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    super.attach(proxy);
  }

  #isIoCq(addr: number): boolean {
    for (let qid = 1; qid < this.cqs.length; qid++) {
      const cq = this.cqs[qid];
      if (cq && addr >= cq.base && addr < cq.base + cq.size * CQE_SIZE) return true;
    }
    return false;
  }

  /** BAR0 read; all ones once gone. */
  override mmioRead(offset: number, size: 4 | 8): number {
    return this.gone ? ALL_ONES : super.mmioRead(offset, size);
  }

  /** BAR0 write; dropped once gone, or when it is the doorbell to swallow. */
  override mmioWrite(offset: number, size: 4 | 8, value: number): void {
    if (this.gone) return;
    if (this.swallowNextIoSqDoorbell) {
      const db = decodeDoorbell(offset, this.options.dstrd);
      if (db && db.qid > 0 && !db.isCq) {
        this.swallowNextIoSqDoorbell = false;
        return;
      }
    }
    super.mmioWrite(offset, size, value);
  }
}
