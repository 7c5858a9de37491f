/**
 * Media-to-host data movement for Read without a bounce copy: a {@linkcode MediaSink} that takes
 * the media's runs (`MediaStore.readInto`) and DMAs them to the segments the data pointer walk
 * produced. The DMAs are exactly those of `DataTransfer.toHost` — one `dmaWrite` per segment, in
 * order, with the same address and length, none for Bit Bucket segments, none after a refused
 * one — so counters, traces, findings and IOMMU checks do not depend on which path moved the data.
 * Only where a segment starts or ends inside a media run (a segment spanning two granules, zeros,
 * a mixed granule) are its bytes gathered in the bounce buffer first.
 *
 * @example A 4 KiB read landing in one host page
 * ```ts
 * import { HostDataSink } from "./host_data_sink.ts";
 * import { SegmentList } from "./prp_walker.ts";
 * const writes: number[] = [];
 * const port = {
 *   dmaWrite(addr: number, _src: Uint8Array, _off?: number, len?: number) {
 *     writes.push(addr, len ?? 0);
 *     return true;
 *   },
 * };
 * const segs = new SegmentList();
 * segs.push(0x1_0000_0000, 4096);
 * const sink = new HostDataSink(port);
 * sink.begin(segs, new Uint8Array(4096));
 * sink.data(new Uint8Array(4096), 0, 4096);
 * if (!sink.end() || writes.join() !== [0x1_0000_0000, 4096].join()) throw new Error();
 * ```
 *
 * @module
 */

import type { MediaSink } from "./media_types.ts";
import type { SegmentList } from "./prp_walker.ts";
import type { DmaWriter } from "./queues.ts";

const EMPTY = new Uint8Array(0);

/** Streams media runs into host memory, one DMA per data-pointer segment (module notes). */
export class HostDataSink implements MediaSink {
  readonly #port: DmaWriter;
  #segs: SegmentList | null = null;
  #bounce: Uint8Array = EMPTY;
  /** The segment being filled. */
  #seg = 0;
  /** Transfer offset of that segment's first byte (where it is gathered in the bounce buffer). */
  #at = 0;
  /** Bytes of that segment received so far. */
  #filled = 0;
  /** False once a DMA was refused: later segments are not written. */
  #ok = true;

  /** Creates the sink for a port's `dmaWrite`. */
  constructor(port: DmaWriter) {
    this.#port = port;
  }

  /**
   * Starts a transfer to `segs` (which must cover the whole read); `bounce` (at least the
   * transfer's length) gathers segments that straddle media runs.
   */
  begin(segs: SegmentList, bounce: Uint8Array): void {
    this.#segs = segs;
    this.#bounce = bounce;
    this.#seg = 0;
    this.#at = 0;
    this.#filled = 0;
    this.#ok = true;
  }

  /** Ends the transfer: true when every DMA was accepted. */
  end(): boolean {
    this.#segs = null;
    this.#bounce = EMPTY;
    return this.#ok;
  }

  /** The next run of the read: straight to host memory when it covers a whole segment. */
  data(src: Uint8Array, srcOff: number, length: number): void {
    const segs = this.#segs as SegmentList;
    while (length > 0 && this.#seg < segs.count) {
      const segLen = segs.len[this.#seg];
      const n = Math.min(length, segLen - this.#filled);
      if (n === segLen) {
        this.#emit(src, srcOff, segLen);
      } else {
        this.#bounce.set(src.subarray(srcOff, srcOff + n), this.#at + this.#filled);
        this.#gathered(n);
      }
      srcOff += n;
      length -= n;
    }
  }

  /** The next run of the read is zeros: gathered in the bounce buffer. */
  zeros(length: number): void {
    const segs = this.#segs as SegmentList;
    while (length > 0 && this.#seg < segs.count) {
      const n = Math.min(length, segs.len[this.#seg] - this.#filled);
      const from = this.#at + this.#filled;
      this.#bounce.fill(0, from, from + n);
      this.#gathered(n);
      length -= n;
    }
  }

  /** `n` more bytes of the current segment are in the bounce buffer; DMA it once complete. */
  #gathered(n: number): void {
    this.#filled += n;
    const len = (this.#segs as SegmentList).len[this.#seg];
    if (this.#filled === len) this.#emit(this.#bounce, this.#at, len);
  }

  /** Writes the current segment from `src[off, off + len)` and moves to the next one. */
  #emit(src: Uint8Array, off: number, len: number): void {
    const segs = this.#segs as SegmentList, i = this.#seg;
    // Bit Bucket segments: the host asked for these bytes to be discarded.
    if (this.#ok && segs.discard[i] === 0) {
      this.#ok = this.#port.dmaWrite(segs.addr[i], src, off, len);
    }
    this.#seg = i + 1;
    this.#at += len;
    this.#filled = 0;
  }
}
