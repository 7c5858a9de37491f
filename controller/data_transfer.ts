/**
 * Moves a command's data between a controller buffer and host memory: PSDT selects the PRP walker
 * or the SGL walker (Base 2.1 §4.3, §4.4), then one DMA per segment. A refused DMA is a Data
 * Transfer Error (§3.3.3.2.1.2); an SGL command on a controller without SGL support is an Invalid
 * Field. The walkers and the segment list are allocated once per controller.
 *
 * @module
 */

import { Psdt } from "../spec/sqe.ts";
import { Status } from "../spec/status.ts";
import type { DataDirection } from "../spec/opcodes.ts";
import type { DevicePort } from "../platform/ports.ts";
import { PrpWalker, SegmentList } from "./prp_walker.ts";
import { SglWalker, type SglWalkerOptions } from "./sgl_walker.ts";
import type { Request } from "./request.ts";

const DNR = 1 << 14;
const PRP1 = 24;
const PRP2 = 32;
const PSDT_SHIFT = 6;

/** The controller's data mover. */
export class DataTransfer {
  readonly #port: DevicePort;
  readonly #prp: PrpWalker;
  readonly #sgl: SglWalker | null;
  readonly #segments = new SegmentList();

  /** Creates the mover; `sgl` is null when the controller does not advertise SGLs. */
  constructor(port: DevicePort, sgl: SglWalkerOptions | null) {
    this.#port = port;
    this.#prp = new PrpWalker(port);
    this.#sgl = sgl ? new SglWalker(port, sgl) : null;
  }

  /** Walks the data pointer of `req` for `length` bytes; 0 or a status. */
  #walk(req: Request, length: number, pageSize: number, direction: DataDirection): number {
    const psdt = req.sqe[1] >>> PSDT_SHIFT;
    this.#segments.clear();
    if (psdt === Psdt.PRP) {
      return this.#prp.walk(req.qword(PRP1), req.qword(PRP2), length, pageSize, this.#segments);
    }
    if (!this.#sgl || psdt !== Psdt.SGL_MPTR_CONTIG && psdt !== Psdt.SGL_MPTR_SGL) {
      return Status.INVALID_FIELD | DNR;
    }
    return this.#sgl.walk(req.sqe, length, direction, this.#segments);
  }

  /** Copies `buf[0..length)` to the host buffer the command describes. */
  toHost(req: Request, buf: Uint8Array, length: number, pageSize: number): number {
    const status = this.#walk(req, length, pageSize, "controller-to-host");
    if (status) return status;
    const s = this.#segments;
    let off = 0;
    for (let i = 0; i < s.count; i++) {
      const len = s.len[i];
      // Bit Bucket segments: the host asked for these bytes to be discarded.
      if (!s.discard[i] && !this.#port.dmaWrite(s.addr[i], buf, off, len)) {
        return Status.DATA_TRANSFER_ERROR;
      }
      off += len;
    }
    return 0;
  }

  /** Copies `length` bytes from the host buffer the command describes into `buf`. */
  fromHost(req: Request, buf: Uint8Array, length: number, pageSize: number): number {
    const status = this.#walk(req, length, pageSize, "host-to-controller");
    if (status) return status;
    const s = this.#segments;
    let off = 0;
    for (let i = 0; i < s.count; i++) {
      const len = s.len[i];
      if (!this.#port.dmaRead(s.addr[i], buf, off, len)) return Status.DATA_TRANSFER_ERROR;
      off += len;
    }
    return 0;
  }
}
