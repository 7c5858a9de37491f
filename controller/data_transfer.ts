/**
 * Moves a command's data between a controller buffer and host memory: PSDT selects the PRP walker
 * or the SGL walker (Base 2.1 §4.3.1, §4.3.2), then one DMA per segment. A refused DMA is a Data
 * Transfer Error (§4.2.3.1); an SGL command on a controller without SGL support is an Invalid
 * Field. The walkers and the segment list are allocated once per controller.
 *
 * @module
 */

import { Psdt } from "../spec/sqe.ts";
import {
  Status,
  STATUS_CODE_MASK,
  STATUS_DNR as DNR,
  statusName,
  withTableDnr,
} from "../spec/status.ts";
import { HOST_RULES } from "./rules.ts";
import type { DataDirection } from "../spec/opcodes.ts";
import type { DevicePort } from "../platform/ports.ts";
import { PrpWalker, SegmentList } from "./prp_walker.ts";
import { SglWalker, type SglWalkerOptions } from "./sgl_walker.ts";
import { type Request, SQE_PRP1_OFFSET, SQE_PRP2_OFFSET } from "./request.ts";
import type { MediaSink } from "./media_types.ts";
import { HostDataSink } from "./host_data_sink.ts";

/** What {@linkcode DataTransfer.toHostFromMedia} reads from (`MediaStore` satisfies it). */
export interface MediaReader {
  /** Hands `count` blocks at `lba` to `sink` run by run (`MediaStore.readInto`). */
  readInto(lba: number, count: number, sink: MediaSink): number;
}

/** Statuses that mean the data pointer itself was malformed (recorded as host findings). */
const DATA_POINTER_STATUSES: ReadonlySet<number> = new Set([
  Status.PRP_OFFSET_INVALID,
  Status.INVALID_SGL_SEGMENT_DESCRIPTOR,
  Status.INVALID_SGL_DESCRIPTOR_COUNT,
  Status.DATA_SGL_LENGTH_INVALID,
  Status.SGL_DESCRIPTOR_TYPE_INVALID,
  Status.SGL_DATA_BLOCK_GRANULARITY_INVALID,
  Status.SGL_OFFSET_INVALID,
]);

/** The controller's data mover. */
export class DataTransfer {
  readonly #port: DevicePort;
  readonly #prp: PrpWalker;
  readonly #sgl: SglWalker | null;
  readonly #segments = new SegmentList();
  readonly #mediaSink: HostDataSink;

  /** PRP1's offset dropped (the `prp1-offset-ignored` mutant, mutants.ts). */
  readonly #ignorePrp1Offset: boolean;

  /**
   * Creates the mover; `sgl` is null when the controller does not advertise SGLs.
   * `ignorePrp1Offset` switches on the `prp1-offset-ignored` mutant.
   */
  constructor(port: DevicePort, sgl: SglWalkerOptions | null, ignorePrp1Offset = false) {
    this.#port = port;
    this.#ignorePrp1Offset = ignorePrp1Offset;
    this.#prp = new PrpWalker(port);
    this.#mediaSink = new HostDataSink(port);
    this.#sgl = sgl ? new SglWalker(port, sgl) : null;
  }

  /** Walks the data pointer of `req` for `length` bytes; 0 or a status. */
  #walk(req: Request, length: number, pageSize: number, direction: DataDirection): number {
    const walked = this.#walkPointer(req, length, pageSize, direction);
    if (walked === 0) return 0;
    // The walkers return bare status codes; DNR comes from the status table, here, so every
    // command that moves data (admin or I/O) reports a malformed pointer the same way.
    const status = withTableDnr(walked);
    // A malformed data pointer is the host's mistake: record it (Data Transfer Errors are
    // recorded by the platform as the DMA faults that caused them).
    if (DATA_POINTER_STATUSES.has(status & STATUS_CODE_MASK)) {
      const f = this.#port.findings;
      f.report(
        HOST_RULES.dataPointer,
        `${statusName(status)}: opcode 0x${
          req.opcode.toString(16)
        } CID ${req.cid} on SQ ${req.sqid}`,
        this.#port.functionIndex,
      );
    }
    return status;
  }

  #walkPointer(req: Request, length: number, pageSize: number, direction: DataDirection): number {
    const psdt = req.psdt();
    this.#segments.clear();
    if (psdt === Psdt.PRP) {
      let prp1 = req.qword(SQE_PRP1_OFFSET);
      if (this.#ignorePrp1Offset) prp1 -= prp1 % pageSize; // mutant: transfer from the page base
      return this.#prp.walk(prp1, req.qword(SQE_PRP2_OFFSET), length, pageSize, this.#segments);
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

  /**
   * Moves `blocks` blocks at `lba` of `media` (`length` bytes) to the host buffer the command
   * describes, without first copying them into a controller buffer: the same walk and the same
   * DMAs as {@linkcode toHost} (host_data_sink.ts), and the same statuses. `bounce` (at least
   * `length` bytes) gathers segments that do not line up with the media's runs. The caller
   * checked the range and reported uncorrectable blocks (this path has none to report).
   */
  toHostFromMedia(
    req: Request,
    length: number,
    pageSize: number,
    media: MediaReader,
    lba: number,
    blocks: number,
    bounce: Uint8Array,
  ): number {
    const status = this.#walk(req, length, pageSize, "controller-to-host");
    if (status) return status;
    const sink = this.#mediaSink;
    sink.begin(this.#segments, bounce);
    media.readInto(lba, blocks, sink);
    return sink.end() ? 0 : Status.DATA_TRANSFER_ERROR;
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
