/**
 * SGL descriptors (Base 2.1 §4.3.2): 16 bytes each, the type in the high nibble of byte 15 and the
 * subtype in its low nibble. Data Block, Bit Bucket, Segment and Last Segment share one layout
 * (address, length, identifier); a Bit Bucket ignores the address. Which kinds a controller
 * supports is in Identify Controller SGLS (`Sgls`, `SglSupport` in identify_controller.ts).
 *
 * @example A 4 KiB Data Block descriptor
 * ```ts
 * import { SglDescriptor, SglType } from "./sgl.ts";
 * const d = SglDescriptor.encode({ addr: 0x10000, len: 4096, type: SglType.DATA_BLOCK });
 * if (d[15] !== 0x00 || SglDescriptor.decode(d).len !== 4096) throw new Error();
 * ```
 *
 * @module
 */

import { bits, defineStruct, type Layout, rsvd, u32, u64 } from "./struct.ts";
import type { SglDescriptorValue } from "./value_types.ts";

/** Size of one SGL descriptor in bytes. */
export const SGL_DESCRIPTOR_SIZE = 16;

/** The common SGL descriptor layout. */
export const SglDescriptor: Layout<SglDescriptorValue> = defineStruct(
  "SglDescriptor",
  SGL_DESCRIPTOR_SIZE,
  [
    u64("addr", 0),
    u32("len", 8),
    rsvd(12, 3),
    bits("subtype", 15, 1, 0, 3),
    bits("type", 15, 1, 4, 7),
  ] as const,
  { section: "Base 2.1 §4.3.2 (Scatter Gather List)", libnvme: null },
);

/** SGL Descriptor Type values. */
export const SglType = {
  /** Data Block: a data buffer. */
  DATA_BLOCK: 0x0,
  /** Bit Bucket: data to be discarded (reads only). */
  BIT_BUCKET: 0x1,
  /** Segment: points at the next SGL segment. */
  SEGMENT: 0x2,
  /** Last Segment: points at the last SGL segment. */
  LAST_SEGMENT: 0x3,
  /** Keyed Data Block (fabrics). */
  KEYED_DATA_BLOCK: 0x4,
  /** Transport SGL Data Block (fabrics). */
  TRANSPORT_DATA_BLOCK: 0x5,
  /** Vendor specific. */
  VENDOR: 0xf,
} as const;

/** SGL Descriptor Sub Type values. */
export const SglSubtype = {
  /** The Address field is a memory address. */
  ADDRESS: 0x0,
  /** The Address field is an offset. */
  OFFSET: 0x1,
  /** Transport specific. */
  TRANSPORT: 0xa,
} as const;
