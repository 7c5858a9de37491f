/**
 * SGL helpers of the data-pointer cases (Base 2.1 §4.3.2): descriptors, segments in host memory,
 * and an SQE switched to PSDT = 01b with SGL Entry 1 in the data pointer. Written here, independent
 * of the driver's SGL builder and the controller's walker.
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { SGL_DESCRIPTOR_SIZE, SglDescriptor, SglSubtype, SglType } from "../../spec/sgl.ts";
import { Psdt, SubmissionQueueEntrySgl } from "../../spec/sqe.ts";
import { offsetOf } from "../../spec/struct.ts";

/** Byte offset of the data pointer (SGL Entry 1) in an SQE. */
const DPTR_OFFSET = offsetOf(SubmissionQueueEntrySgl, "sgl_addr");
/** The SQE byte holding CDW0.PSDT (CDW0 bits 15:14, the byte's bits 7:6). */
const PSDT_BYTE = offsetOf(SubmissionQueueEntrySgl, "psdt");
const PSDT_SHIFT = 6;
const PSDT_MASK = 0xc0;
/** Alignment of SGL segments in host memory (descriptors are 16 bytes). */
const SEGMENT_ALIGN = 16;

/** One SGL descriptor (Address sub type). */
export function sglDescriptor(
  addr: number,
  len: number,
  type: number = SglType.DATA_BLOCK,
): Uint8Array {
  return SglDescriptor.encode({ addr, len, type, subtype: SglSubtype.ADDRESS });
}

/** Writes `descriptors` as one SGL segment in fresh host memory; returns its address and length. */
export function sglSegment(
  host: HostPort,
  descriptors: readonly Uint8Array[],
): { addr: number; len: number } {
  const len = descriptors.length * SGL_DESCRIPTOR_SIZE;
  const addr = host.allocate(Math.max(len, SEGMENT_ALIGN), SEGMENT_ALIGN);
  descriptors.forEach((d, i) => host.memWrite(addr + i * SGL_DESCRIPTOR_SIZE, d));
  return { addr, len };
}

/** A Segment (or Last Segment) descriptor pointing at a segment written with {@linkcode sglSegment}. */
export function segmentDescriptor(
  host: HostPort,
  descriptors: readonly Uint8Array[],
  last: boolean,
): Uint8Array {
  const seg = sglSegment(host, descriptors);
  return sglDescriptor(seg.addr, seg.len, last ? SglType.LAST_SEGMENT : SglType.SEGMENT);
}

/** Puts `entry1` into the SQE's data pointer and sets PSDT = 01b (SGLs, contiguous metadata). */
export function useSgl(sqe: Uint8Array, entry1: Uint8Array): Uint8Array {
  sqe.set(entry1, DPTR_OFFSET);
  sqe[PSDT_BYTE] = (sqe[PSDT_BYTE] & ~PSDT_MASK) | (Psdt.SGL_MPTR_CONTIG << PSDT_SHIFT);
  return sqe;
}
