/**
 * The controller's SGL walker (Base 2.1 §4.3.2, Scatter Gather List): turns the SQE's SGL Entry 1
 * and the transfer length into the host memory segments to DMA (Bit Buckets become discarded
 * segments), or the status to post. Output goes into the same {@linkcode SegmentList} as PRPs.
 *
 * Rules, with the decisions taken where the specification leaves room:
 *
 * - Descriptor kinds: Data Block (0) and Bit Bucket (1) describe data; Segment (2) and Last
 *   Segment (3) point at a list of descriptors in host memory. Keyed, Transport and vendor types,
 *   reserved types, and Bit Buckets the controller does not advertise (SGLS bit 16) →
 *   SGL Descriptor Type Invalid (0x011).
 * - A Bit Bucket in a destination buffer (controller-to-host) discards its Length of the data
 *   and counts toward the transfer length; in a source buffer (host-to-controller) it "shall be
 *   treated as if [Length] were cleared to 0h" (§4.3.2, SGL Bit Bucket descriptor figure): no
 *   effect, not counted. QEMU 7.2 skips it on writes the same way.
 * - Sub Type must be Address (0h). Decision: another sub type (Offset, Transport) is a descriptor
 *   kind this PCIe controller does not support (SGLS bit 20 clear) → SGL Descriptor Type Invalid;
 *   SGL Offset Invalid (0x016) is for bad offset values where offsets are supported (Fabrics).
 * - A Segment or Last Segment length must be a non-zero multiple of 16, else Invalid SGL Segment
 *   Descriptor (0x00D). This covers a segment with zero descriptors.
 * - A Segment or Last Segment descriptor anywhere but last in its segment → Invalid Number of SGL
 *   Descriptors (0x00E), as the status definition says. One last in a Last Segment's list →
 *   Invalid SGL Segment Descriptor (0x00D): that list holds only data descriptors.
 * - A Segment's list may end with a data descriptor: that ends the SGL. Linux 5.x sends this
 *   shape (a full page of data descriptors behind a Segment descriptor), and QEMU accepts it.
 * - A Data Block or Bit Bucket of length 0 transfers nothing and is valid (decision; QEMU 7.2
 *   skips it too).
 * - With SGLS bits 1:0 = 10b (`alignment: "dword"`), a Data Block whose address or length has
 *   bits 1:0 set → SGL Data Block Granularity Invalid (0x01E), the status defined for exactly
 *   this case.
 * - Data Block, Segment or Last Segment address + length past 2^64 → Data SGL Length Invalid
 *   (0x00F), as the descriptor figures of §4.3.2 say.
 * - The data descriptors must add up to the transfer length: fewer bytes → Data SGL Length
 *   Invalid; more → Data SGL Length Invalid unless SGLS bit 18 (`oversizedLength`) is set, when
 *   the transfer is cut at the length and no further descriptor is fetched. Without bit 18 the
 *   walker keeps fetching to the end of the SGL to find the excess.
 * - More than `maxSegments` segments fetched, or more than `maxDescriptors` descriptors in all,
 *   → Invalid Number of SGL Descriptors (0x00E). This also ends self-referencing chains (QEMU
 *   10.0.x returns 0x00D for those; 7.2 hangs). A fetch fault → Data Transfer Error (0x004);
 *   descriptors are fetched in chunks of up to 256, so a fault anywhere in a chunk wins over a
 *   malformed descriptor earlier in the same chunk.
 * - A zero transfer length looks at nothing. PSDT, admin-queue use of SGLs and SGLS bits 1:0 =
 *   00b are the command layer's to check (Invalid Field in Command), as is metadata (MPTR).
 *
 * @example One Data Block descriptor in the SQE
 * ```ts
 * import { SglWalker } from "./sgl_walker.ts";
 * import { SegmentList } from "./prp_walker.ts";
 * import { SglDescriptor, SglType } from "../spec/sgl.ts";
 * const sqe = new Uint8Array(64);
 * SglDescriptor.encode({ addr: 0x40000, len: 512, type: SglType.DATA_BLOCK }, sqe, 24);
 * const out = new SegmentList();
 * const walker = new SglWalker({ dmaRead: () => false });
 * if (walker.walk(sqe, 512, "controller-to-host", out) !== 0) throw new Error();
 * if (out.count !== 1 || out.addr[0] !== 0x40000 || out.len[0] !== 512) throw new Error();
 * if (walker.walk(sqe, 1024, "controller-to-host", out) !== 0x00f) throw new Error("too short");
 * ```
 *
 * @module
 */

import { bitRange, Sgls, SglSupport, testBit } from "../spec/identify_controller.ts";
import type { DataDirection } from "../spec/opcodes.ts";
import { SGL_DESCRIPTOR_SIZE, SglDescriptor, SglSubtype, SglType } from "../spec/sgl.ts";
import { SubmissionQueueEntrySgl } from "../spec/sqe.ts";
import { Status } from "../spec/status.ts";
import { offsetOf } from "../spec/struct.ts";
import type { DmaReader, SegmentList } from "./prp_walker.ts";

/** Default limit on SGL segments fetched from host memory for one command. */
export const DEFAULT_MAX_SGL_SEGMENTS = 256;
/** Default limit on SGL descriptors (SGL Entry 1 included) for one command. */
export const DEFAULT_MAX_SGL_DESCRIPTORS = 4096;

/** Options of {@linkcode SglWalker}: what the controller advertises in Identify SGLS, and limits. */
export interface SglWalkerOptions {
  /** SGLS bits 1:0: 01b byte aligned (default) or 10b Data Blocks dword aligned and granular. */
  readonly alignment?: "byte" | "dword";
  /** SGLS bit 16: Bit Bucket descriptors supported (default true). */
  readonly bitBucket?: boolean;
  /** SGLS bit 18: an SGL may describe more data than the command transfers (default false). */
  readonly oversizedLength?: boolean;
  /** Segments fetched from host memory before Invalid Number of SGL Descriptors (default 256). */
  readonly maxSegments?: number;
  /** Descriptors in all before Invalid Number of SGL Descriptors (default 4096). */
  readonly maxDescriptors?: number;
}

/**
 * Walker options from an Identify Controller SGLS value (Base 2.1 §5.1.13.2.1), so the walker
 * enforces what the controller advertises. SGLS bits 1:0 = 00b (no SGL support) gives byte
 * alignment: the command layer rejects SGL commands before walking.
 *
 * @example
 * ```ts
 * import { sglWalkerOptionsFromSgls } from "./sgl_walker.ts";
 * const o = sglWalkerOptionsFromSgls(0x2 | (1 << 18));
 * if (o.alignment !== "dword" || !o.oversizedLength || o.bitBucket) throw new Error();
 * ```
 */
export function sglWalkerOptionsFromSgls(
  sgls: number,
  limits: Pick<SglWalkerOptions, "maxSegments" | "maxDescriptors"> = {},
): SglWalkerOptions {
  return {
    alignment: bitRange(sgls, Sgls.SUPPORT) === SglSupport.DWORD_ALIGNED ? "dword" : "byte",
    bitBucket: testBit(sgls, Sgls.BIT_BUCKET),
    oversizedLength: testBit(sgls, Sgls.LENGTH_LARGER_THAN_DATA),
    ...limits,
  };
}

/** Byte offset of SGL Entry 1 in the SQE (Base 2.1 §4.1.1). */
const SQE_SGL1_OFFSET = offsetOf(SubmissionQueueEntrySgl, "sgl_addr");
const DESC_ADDR = offsetOf(SglDescriptor, "addr");
const DESC_LEN = offsetOf(SglDescriptor, "len");
/** The SGL Identifier byte: type in bits 7:4, sub type in bits 3:0. */
const DESC_ID = offsetOf(SglDescriptor, "type");
const TYPE_SHIFT = 4;
const SUBTYPE_MASK = 0xf;
/** Bits 1:0 of a Data Block address and length under dword granularity (SGLS bits 1:0 = 10b). */
const DWORD_MASK = 0x3;
/** Descriptors fetched per DMA read: one 4 KiB chunk, as QEMU does. */
const SGL_FETCH_DESCRIPTORS = 256;
const TWO_POW_32 = 2 ** 32;
const U32_MAX = 0xffff_ffff;
/** Internal result of a data descriptor meaning "transfer complete, stop fetching". */
const DONE = -1;

/**
 * Walks SGL data pointers. One per controller (it owns a preallocated fetch buffer), so a walk
 * allocates nothing unless `out` must grow.
 *
 * @example A Last Segment pointing at two Data Blocks
 * ```ts
 * import { SglWalker } from "./sgl_walker.ts";
 * import { SegmentList } from "./prp_walker.ts";
 * import { SglDescriptor, SglType } from "../spec/sgl.ts";
 * const list = new Uint8Array(32);
 * SglDescriptor.encode({ addr: 0x8000, len: 100, type: SglType.DATA_BLOCK }, list, 0);
 * SglDescriptor.encode({ addr: 0x9000, len: 28, type: SglType.DATA_BLOCK }, list, 16);
 * const reader = {
 *   dmaRead(addr: number, dst: Uint8Array, off = 0, len = dst.length - off): boolean {
 *     dst.set(list.subarray(addr - 0x1000, addr - 0x1000 + len), off);
 *     return true;
 *   },
 * };
 * const sqe = new Uint8Array(64);
 * SglDescriptor.encode({ addr: 0x1000, len: 32, type: SglType.LAST_SEGMENT }, sqe, 24);
 * const out = new SegmentList();
 * if (new SglWalker(reader).walk(sqe, 128, "host-to-controller", out) !== 0) throw new Error();
 * if (out.count !== 2 || out.addr[1] !== 0x9000 || out.totalBytes !== 128) throw new Error();
 * ```
 */
export class SglWalker {
  /** Descriptors looked at by the last walk (SGL Entry 1 included). */
  descriptorsRead = 0;
  /** Segments fetched from host memory by the last walk. */
  segmentsRead = 0;
  readonly #reader: DmaReader;
  readonly #dwordAligned: boolean;
  readonly #bitBucket: boolean;
  readonly #oversized: boolean;
  readonly #maxSegments: number;
  readonly #maxDescriptors: number;
  readonly #fetch = new Uint8Array(SGL_FETCH_DESCRIPTORS * SGL_DESCRIPTOR_SIZE);
  // Per-walk state, kept on the instance so a walk allocates nothing.
  #remaining = 0;
  #read = false;

  /** Creates a walker fetching SGL segments through `reader` (a `DevicePort` will do). */
  constructor(reader: DmaReader, options: SglWalkerOptions = {}) {
    this.#reader = reader;
    this.#dwordAligned = options.alignment === "dword";
    this.#bitBucket = options.bitBucket ?? true;
    this.#oversized = options.oversizedLength ?? false;
    this.#maxSegments = options.maxSegments ?? DEFAULT_MAX_SGL_SEGMENTS;
    this.#maxDescriptors = options.maxDescriptors ?? DEFAULT_MAX_SGL_DESCRIPTORS;
  }

  /**
   * Fills `out` with the segments of a `length`-byte transfer described by the SQE's SGL Entry 1
   * (bytes 24..39 of the 64-byte `sqe`) and returns {@linkcode Status.SUCCESS}, or returns the
   * status to post (and leaves `out` empty). `direction` is the opcode's (spec/opcodes.ts).
   */
  walk(sqe: Uint8Array, length: number, direction: DataDirection, out: SegmentList): number {
    return this.walkDescriptor(sqe, SQE_SGL1_OFFSET, length, direction, out);
  }

  /**
   * {@linkcode walk} for a first descriptor at `bytes[offset…offset+16)`, e.g. one fetched
   * through MPTR when PSDT = 10b.
   */
  walkDescriptor(
    bytes: Uint8Array,
    offset: number,
    length: number,
    direction: DataDirection,
    out: SegmentList,
  ): number {
    out.clear();
    this.descriptorsRead = 0;
    this.segmentsRead = 0;
    if (length <= 0) return Status.SUCCESS;
    this.#remaining = length;
    this.#read = direction === "controller-to-host";
    const status = this.#walk(bytes, offset, out);
    if (status !== Status.SUCCESS) out.clear();
    return status;
  }

  #walk(first: Uint8Array, firstOffset: number, out: SegmentList): number {
    this.descriptorsRead = 1;
    const id = first[firstOffset + DESC_ID];
    let type = id >> TYPE_SHIFT;
    if (type === SglType.DATA_BLOCK || type === SglType.BIT_BUCKET) {
      const st = this.#data(first, firstOffset, out);
      return st === DONE ? Status.SUCCESS : st !== Status.SUCCESS ? st : this.#finish();
    }
    let subtype = id & SUBTYPE_MASK;
    let lo = u32le(first, firstOffset + DESC_ADDR);
    let hi = u32le(first, firstOffset + DESC_ADDR + 4);
    let segLen = u32le(first, firstOffset + DESC_LEN);
    const fetch = this.#fetch;
    for (;;) {
      // `type`/`subtype`/`lo`/`hi`/`segLen` describe a (Last) Segment descriptor to follow.
      if (type !== SglType.SEGMENT && type !== SglType.LAST_SEGMENT) {
        return Status.SGL_DESCRIPTOR_TYPE_INVALID;
      }
      if (subtype !== SglSubtype.ADDRESS) return Status.SGL_DESCRIPTOR_TYPE_INVALID;
      if (segLen === 0 || segLen % SGL_DESCRIPTOR_SIZE !== 0) {
        return Status.INVALID_SGL_SEGMENT_DESCRIPTOR;
      }
      if (hi === U32_MAX && lo + segLen > TWO_POW_32) return Status.DATA_SGL_LENGTH_INVALID;
      const count = segLen / SGL_DESCRIPTOR_SIZE;
      if (++this.segmentsRead > this.#maxSegments) return Status.INVALID_SGL_DESCRIPTOR_COUNT;
      if (this.descriptorsRead + count > this.#maxDescriptors) {
        return Status.INVALID_SGL_DESCRIPTOR_COUNT;
      }
      const isLast = type === SglType.LAST_SEGMENT;
      const base = hi * TWO_POW_32 + lo;
      let follow = false;
      for (let i = 0; i < count;) {
        const n = Math.min(count - i, SGL_FETCH_DESCRIPTORS);
        if (
          !this.#reader.dmaRead(base + i * SGL_DESCRIPTOR_SIZE, fetch, 0, n * SGL_DESCRIPTOR_SIZE)
        ) {
          return Status.DATA_TRANSFER_ERROR;
        }
        this.descriptorsRead += n;
        for (let j = 0; j < n; j++, i++) {
          const at = j * SGL_DESCRIPTOR_SIZE;
          const t = fetch[at + DESC_ID] >> TYPE_SHIFT;
          if (t === SglType.SEGMENT || t === SglType.LAST_SEGMENT) {
            // Base 2.1 §4.3.2 and the 0x00E/0x00D definitions: only last, and not in a Last Segment.
            if (i !== count - 1) return Status.INVALID_SGL_DESCRIPTOR_COUNT;
            if (isLast) return Status.INVALID_SGL_SEGMENT_DESCRIPTOR;
            type = t;
            subtype = fetch[at + DESC_ID] & SUBTYPE_MASK;
            lo = u32le(fetch, at + DESC_ADDR);
            hi = u32le(fetch, at + DESC_ADDR + 4);
            segLen = u32le(fetch, at + DESC_LEN);
            follow = true;
          } else {
            const st = this.#data(fetch, at, out);
            if (st === DONE) return Status.SUCCESS;
            if (st !== Status.SUCCESS) return st;
          }
        }
      }
      if (!follow) return this.#finish();
    }
  }

  /** One Data Block or Bit Bucket (or any other non-segment type) at `bytes[at…]`. */
  #data(bytes: Uint8Array, at: number, out: SegmentList): number {
    const id = bytes[at + DESC_ID];
    const type = id >> TYPE_SHIFT;
    const isBitBucket = type === SglType.BIT_BUCKET;
    if (type !== SglType.DATA_BLOCK && !isBitBucket) return Status.SGL_DESCRIPTOR_TYPE_INVALID;
    if ((id & SUBTYPE_MASK) !== SglSubtype.ADDRESS) return Status.SGL_DESCRIPTOR_TYPE_INVALID;
    if (isBitBucket) {
      if (!this.#bitBucket) return Status.SGL_DESCRIPTOR_TYPE_INVALID;
      // In a source data buffer a Bit Bucket has no effect: as if its Length were 0.
      if (!this.#read) return Status.SUCCESS;
    }
    const lo = u32le(bytes, at + DESC_ADDR);
    const hi = u32le(bytes, at + DESC_ADDR + 4);
    const len = u32le(bytes, at + DESC_LEN);
    if (!isBitBucket) {
      if (this.#dwordAligned && ((lo & DWORD_MASK) !== 0 || (len & DWORD_MASK) !== 0)) {
        return Status.SGL_DATA_BLOCK_GRANULARITY_INVALID;
      }
      if (hi === U32_MAX && lo + len > TWO_POW_32) return Status.DATA_SGL_LENGTH_INVALID;
    }
    if (len === 0) return Status.SUCCESS;
    const remaining = this.#remaining;
    if (len > remaining && !this.#oversized) return Status.DATA_SGL_LENGTH_INVALID;
    const take = Math.min(len, remaining);
    out.push(isBitBucket ? 0 : hi * TWO_POW_32 + lo, take, isBitBucket);
    this.#remaining = remaining - take;
    return this.#remaining === 0 && this.#oversized ? DONE : Status.SUCCESS;
  }

  #finish(): number {
    return this.#remaining === 0 ? Status.SUCCESS : Status.DATA_SGL_LENGTH_INVALID;
  }
}

/** A little-endian u32 at `bytes[offset…]`. */
function u32le(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) |
    (bytes[offset + 3] << 24)) >>> 0;
}
